package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// incidentColumns is the column list scanIncident expects, in its order.
const incidentColumns = `id, number, title, description, severity, status, commander, reporter,
	channel_id, channel_name, header_ts, summary,
	declared_at, updated_at, mitigated_at, resolved_at, last_status_update_at,
	remind_at, escalate_at, escalation_level, reminder_snoozed,
	ack_due_at, acknowledged_at, acknowledged_by, paged`

const eventColumns = `id, incident_id, at, actor, kind, text, data`

// channelIndex is the partial unique index on incidents.channel_id.
const channelIndex = "incidents_channel_id_key"

// scanIncident reads one row of incidentColumns; no row is ErrNotFound.
func scanIncident(row pgx.Row) (incidents.Incident, error) {
	var (
		inc                 incidents.Incident
		severity            int16
		status              string
		mitigated, resolved *time.Time
		remind, escalate    *time.Time
		ackDue, acked       *time.Time
		paged               []byte
		level               int32
	)
	err := row.Scan(&inc.ID, &inc.Number, &inc.Title, &inc.Description, &severity, &status,
		&inc.Commander, &inc.Reporter, &inc.ChannelID, &inc.ChannelName, &inc.HeaderTS, &inc.Summary,
		&inc.DeclaredAt, &inc.UpdatedAt, &mitigated, &resolved, &inc.LastStatusUpdateAt,
		&remind, &escalate, &level, &inc.ReminderSnoozed,
		&ackDue, &acked, &inc.AcknowledgedBy, &paged)
	if errors.Is(err, pgx.ErrNoRows) {
		return incidents.Incident{}, incidents.ErrNotFound
	}
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("scan incident: %w", err)
	}
	inc.Severity, inc.Status = incidents.Severity(severity), incidents.Status(status)
	inc.EscalationLevel = int(level)
	if inc.Paged, err = storeutil.DecodePaged(paged); err != nil {
		return incidents.Incident{}, fmt.Errorf("scan incident %s: %w", inc.ID, err)
	}
	inc.DeclaredAt = inc.DeclaredAt.UTC()
	inc.UpdatedAt = inc.UpdatedAt.UTC()
	inc.LastStatusUpdateAt = inc.LastStatusUpdateAt.UTC()
	for _, f := range []struct {
		dst *time.Time
		src *time.Time
	}{{&inc.MitigatedAt, mitigated}, {&inc.ResolvedAt, resolved}, {&inc.RemindAt, remind}, {&inc.EscalateAt, escalate},
		{&inc.AckDueAt, ackDue}, {&inc.AcknowledgedAt, acked}} {
		if f.src != nil { // NULL: not mitigated, still open, not scheduled
			*f.dst = f.src.UTC()
		}
	}
	return inc, nil
}

// incidentArgs are the values Create and Update write: those of
// incidentColumns after id and number, then next_timer_at.
func incidentArgs(inc incidents.Incident) []any {
	return []any{inc.Title, inc.Description, int16(inc.Severity), string(inc.Status),
		inc.Commander, inc.Reporter, inc.ChannelID, inc.ChannelName, inc.HeaderTS, inc.Summary,
		inc.DeclaredAt, inc.UpdatedAt, nullTime(inc.MitigatedAt), nullTime(inc.ResolvedAt), inc.LastStatusUpdateAt,
		nullTime(inc.RemindAt), nullTime(inc.EscalateAt), int32(inc.EscalationLevel), inc.ReminderSnoozed,
		nullTime(inc.AckDueAt), nullTime(inc.AcknowledgedAt), inc.AcknowledgedBy, string(storeutil.EncodePaged(inc.Paged)),
		nullTime(storeutil.NextTimerAt(inc))}
}

func scanEvent(row pgx.Row) (incidents.Event, error) {
	var (
		ev     incidents.Event
		kind   string
		stored []byte
	)
	if err := row.Scan(&ev.ID, &ev.IncidentID, &ev.At, &ev.Actor, &kind, &ev.Text, &stored); err != nil {
		return incidents.Event{}, fmt.Errorf("scan event: %w", err)
	}
	data, err := storeutil.DecodeEventData(stored)
	if err != nil {
		return incidents.Event{}, fmt.Errorf("decode data of event %s: %w", ev.ID, err)
	}
	ev.At, ev.Kind, ev.Data = ev.At.UTC(), incidents.EventKind(kind), data
	return ev, nil
}

// queueEvents adds the inserts of events to b.
func queueEvents(b *pgx.Batch, events []incidents.Event) error {
	for _, ev := range events {
		data, err := storeutil.EncodeEventData(ev.Data)
		if err != nil {
			return fmt.Errorf("encode data of event %s: %w", ev.ID, err)
		}
		b.Queue("INSERT INTO incident_events ("+eventColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
			ev.ID, ev.IncidentID, ev.At, ev.Actor, string(ev.Kind), ev.Text, data)
	}
	return nil
}

// writeError wraps err with op, mapping a taken channel to the domain error.
func writeError(op string, err error) error {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok &&
		pgErr.Code == "23505" && pgErr.ConstraintName == channelIndex {
		return fmt.Errorf("%s: %w", op, incidents.ErrChannelTaken)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// nullTime stores the zero time as NULL ("not mitigated", "still open").
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
