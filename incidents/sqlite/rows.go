package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// timeLayout stores times as fixed-width UTC text, so that comparing the
// text compares the times.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// incidentColumns is the column list scanIncident expects, in its order.
const incidentColumns = `id, number, title, description, severity, status, commander, reporter,
	channel_id, channel_name, header_ts, summary,
	declared_at, updated_at, mitigated_at, resolved_at, last_status_update_at,
	remind_at, escalate_at, escalation_level, reminder_snoozed,
	ack_due_at, acknowledged_at, acknowledged_by, paged`

const eventColumns = `id, incident_id, at, actor, kind, text, data`

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// scanIncident reads one row of incidentColumns; no row is ErrNotFound.
func scanIncident(row scanner) (incidents.Incident, error) {
	var (
		inc                           incidents.Incident
		severity                      int64
		status                        string
		declared, updated, lastUpdate string
		mitigated, resolved           sql.NullString
		remind, escalate              sql.NullString
		ackDue, acked                 sql.NullString
		paged                         string
		level                         int64
	)
	err := row.Scan(&inc.ID, &inc.Number, &inc.Title, &inc.Description, &severity, &status,
		&inc.Commander, &inc.Reporter, &inc.ChannelID, &inc.ChannelName, &inc.HeaderTS, &inc.Summary,
		&declared, &updated, &mitigated, &resolved, &lastUpdate,
		&remind, &escalate, &level, &inc.ReminderSnoozed,
		&ackDue, &acked, &inc.AcknowledgedBy, &paged)
	if errors.Is(err, sql.ErrNoRows) {
		return incidents.Incident{}, incidents.ErrNotFound
	}
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("scan incident: %w", err)
	}
	inc.Severity, inc.Status = incidents.Severity(severity), incidents.Status(status)
	inc.EscalationLevel = int(level)
	if inc.Paged, err = storeutil.DecodePaged([]byte(paged)); err != nil {
		return incidents.Incident{}, fmt.Errorf("scan incident %s: %w", inc.ID, err)
	}
	for _, f := range []struct {
		dst *time.Time
		src sql.NullString
	}{
		{&inc.DeclaredAt, sql.NullString{String: declared, Valid: true}},
		{&inc.UpdatedAt, sql.NullString{String: updated, Valid: true}},
		{&inc.MitigatedAt, mitigated},
		{&inc.ResolvedAt, resolved},
		{&inc.LastStatusUpdateAt, sql.NullString{String: lastUpdate, Valid: true}},
		{&inc.RemindAt, remind},
		{&inc.EscalateAt, escalate},
		{&inc.AckDueAt, ackDue},
		{&inc.AcknowledgedAt, acked},
	} {
		if !f.src.Valid {
			continue // NULL: not mitigated, still open, not scheduled
		}
		if *f.dst, err = time.Parse(timeLayout, f.src.String); err != nil {
			return incidents.Incident{}, fmt.Errorf("scan incident %s: %w", inc.ID, err)
		}
	}
	return inc, nil
}

// incidentArgs are the values Create and Update write: those of
// incidentColumns after id and number, then next_timer_at.
func incidentArgs(inc incidents.Incident) []any {
	return []any{inc.Title, inc.Description, int64(inc.Severity), string(inc.Status),
		inc.Commander, inc.Reporter, inc.ChannelID, inc.ChannelName, inc.HeaderTS, inc.Summary,
		formatTime(inc.DeclaredAt), formatTime(inc.UpdatedAt), nullTime(inc.MitigatedAt),
		nullTime(inc.ResolvedAt), formatTime(inc.LastStatusUpdateAt),
		nullTime(inc.RemindAt), nullTime(inc.EscalateAt), int64(inc.EscalationLevel), inc.ReminderSnoozed,
		nullTime(inc.AckDueAt), nullTime(inc.AcknowledgedAt), inc.AcknowledgedBy, string(storeutil.EncodePaged(inc.Paged)),
		nullTime(storeutil.NextTimerAt(inc))}
}

func scanEvent(row scanner) (incidents.Event, error) {
	var (
		ev       incidents.Event
		at, kind string
		data     string
	)
	if err := row.Scan(&ev.ID, &ev.IncidentID, &at, &ev.Actor, &kind, &ev.Text, &data); err != nil {
		return incidents.Event{}, fmt.Errorf("scan event: %w", err)
	}
	t, err := time.Parse(timeLayout, at)
	if err != nil {
		return incidents.Event{}, fmt.Errorf("scan event %s: %w", ev.ID, err)
	}
	ev.At, ev.Kind = t, incidents.EventKind(kind)
	if ev.Data, err = storeutil.DecodeEventData([]byte(data)); err != nil {
		return incidents.Event{}, fmt.Errorf("decode data of event %s: %w", ev.ID, err)
	}
	return ev, nil
}

func insertEvents(ctx context.Context, tx *wtx, events []incidents.Event) error {
	for _, ev := range events {
		data, err := storeutil.EncodeEventData(ev.Data)
		if err != nil {
			return fmt.Errorf("encode data of event %s: %w", ev.ID, err)
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO incident_events ("+eventColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			ev.ID.String(), ev.IncidentID.String(), formatTime(ev.At), ev.Actor, string(ev.Kind), ev.Text, data)
		if err != nil {
			return fmt.Errorf("insert event %s: %w", ev.ID, err)
		}
	}
	return nil
}

// writeError wraps err with op, mapping a taken channel to the domain error.
func writeError(op string, err error) error {
	if e, ok := errors.AsType[*sqlite.Error](err); ok && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		strings.Contains(e.Error(), "incidents.channel_id") {
		return fmt.Errorf("%s: %w", op, incidents.ErrChannelTaken)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime stores the zero time as NULL ("not mitigated", "still open").
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}
