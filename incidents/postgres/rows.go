package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/incident-bot/incident-bot/incidents"
)

// incidentColumns is the column list scanIncident expects, in its order.
const incidentColumns = `id, number, title, description, severity, status, commander, reporter,
	channel_id, channel_name, header_ts, summary,
	declared_at, updated_at, mitigated_at, resolved_at, last_status_update_at`

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
	)
	err := row.Scan(&inc.ID, &inc.Number, &inc.Title, &inc.Description, &severity, &status,
		&inc.Commander, &inc.Reporter, &inc.ChannelID, &inc.ChannelName, &inc.HeaderTS, &inc.Summary,
		&inc.DeclaredAt, &inc.UpdatedAt, &mitigated, &resolved, &inc.LastStatusUpdateAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return incidents.Incident{}, incidents.ErrNotFound
	}
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("scan incident: %w", err)
	}
	inc.Severity, inc.Status = incidents.Severity(severity), incidents.Status(status)
	inc.DeclaredAt = inc.DeclaredAt.UTC()
	inc.UpdatedAt = inc.UpdatedAt.UTC()
	inc.LastStatusUpdateAt = inc.LastStatusUpdateAt.UTC()
	if mitigated != nil {
		inc.MitigatedAt = mitigated.UTC()
	}
	if resolved != nil {
		inc.ResolvedAt = resolved.UTC()
	}
	return inc, nil
}

// incidentArgs are the values of incidentColumns after id and number.
func incidentArgs(inc incidents.Incident) []any {
	return []any{inc.Title, inc.Description, int16(inc.Severity), string(inc.Status),
		inc.Commander, inc.Reporter, inc.ChannelID, inc.ChannelName, inc.HeaderTS, inc.Summary,
		inc.DeclaredAt, inc.UpdatedAt, nullTime(inc.MitigatedAt), nullTime(inc.ResolvedAt), inc.LastStatusUpdateAt}
}

func scanEvent(row pgx.Row) (incidents.Event, error) {
	var (
		ev   incidents.Event
		kind string
		data []byte
	)
	if err := row.Scan(&ev.ID, &ev.IncidentID, &ev.At, &ev.Actor, &kind, &ev.Text, &data); err != nil {
		return incidents.Event{}, fmt.Errorf("scan event: %w", err)
	}
	ev.At, ev.Kind = ev.At.UTC(), incidents.EventKind(kind)
	if err := json.Unmarshal(data, &ev.Data); err != nil {
		return incidents.Event{}, fmt.Errorf("decode data of event %s: %w", ev.ID, err)
	}
	if len(ev.Data) == 0 {
		ev.Data = nil // both backends read "no data" back as nil
	}
	return ev, nil
}

func insertEvents(ctx context.Context, tx pgx.Tx, events []incidents.Event) error {
	for _, ev := range events {
		data, err := json.Marshal(ev.Data)
		if err != nil {
			return fmt.Errorf("encode data of event %s: %w", ev.ID, err)
		}
		if ev.Data == nil {
			data = []byte("{}")
		}
		_, err = tx.Exec(ctx, "INSERT INTO incident_events ("+eventColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
			ev.ID, ev.IncidentID, ev.At, ev.Actor, string(ev.Kind), ev.Text, string(data))
		if err != nil {
			return fmt.Errorf("insert event %s: %w", ev.ID, err)
		}
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

// normalizeIncident puts every time in UTC at microsecond precision, what
// both backends store, so the value returned equals the value read back.
func normalizeIncident(inc incidents.Incident) incidents.Incident {
	inc.DeclaredAt = storedTime(inc.DeclaredAt)
	inc.UpdatedAt = storedTime(inc.UpdatedAt)
	inc.MitigatedAt = storedTime(inc.MitigatedAt)
	inc.ResolvedAt = storedTime(inc.ResolvedAt)
	inc.LastStatusUpdateAt = storedTime(inc.LastStatusUpdateAt)
	return inc
}

// prepareEvents checks that events belong to the incident and normalises
// their times. An event without an IncidentID is taken to belong to it.
func prepareEvents(incidentID uuid.UUID, events []incidents.Event) ([]incidents.Event, error) {
	out := make([]incidents.Event, len(events))
	for i, ev := range events {
		if ev.ID == uuid.Nil {
			return nil, fmt.Errorf("event %d (%s) has no ID", i, ev.Kind)
		}
		if ev.IncidentID == uuid.Nil {
			ev.IncidentID = incidentID
		}
		if ev.IncidentID != incidentID {
			return nil, fmt.Errorf("event %s belongs to incident %s, not %s", ev.ID, ev.IncidentID, incidentID)
		}
		ev.At = storedTime(ev.At)
		out[i] = ev
	}
	return out, nil
}

func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTime stores the zero time as NULL ("not mitigated", "still open").
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
