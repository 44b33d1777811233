package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// AddAlerts stores a batch in one transaction, sent as one batch: a storm
// of thousands is one round trip, not thousands.
func (s *Store) AddAlerts(ctx context.Context, b incidents.AlertBatch) error {
	if len(b.Alerts) == 0 && len(b.Effects) == 0 && len(b.Cards) == 0 {
		return nil
	}
	now := time.Now()
	labels, links, err := storeutil.PrepareAlerts(b.Alerts, now)
	if err != nil {
		return err
	}
	if err := storeutil.PrepareCards(b.Cards, now); err != nil {
		return err
	}
	effs, bodies, err := storeutil.PrepareEffects(b.Effects, now)
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	lockLanes(batch, effs)
	queueAlerts(batch, b.Alerts, labels, links)
	for _, c := range b.Cards {
		batch.Queue("INSERT INTO triage_cards (card, epoch, opened_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", c.Key, c.Epoch, c.OpenedAt)
	}
	queueEffects(batch, effs, bodies, now)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return fmt.Errorf("add alerts: %w", err)
	}
	return nil
}

func queueAlerts(batch *pgx.Batch, alerts []incidents.AlertRecord, labels, links [][]byte) {
	attached := map[string]map[uuid.UUID]bool{}
	for i, a := range alerts {
		var inc *uuid.UUID
		if a.IncidentID != uuid.Nil {
			inc = &a.IncidentID
			if attached[a.Fingerprint] == nil {
				attached[a.Fingerprint] = map[uuid.UUID]bool{}
			}
			if !attached[a.Fingerprint][a.IncidentID] {
				attached[a.Fingerprint][a.IncidentID] = true
				batch.Queue("INSERT INTO alert_incidents (fingerprint, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", a.Fingerprint, a.IncidentID)
			}
		}
		batch.Queue(`INSERT INTO alerts (id, received_at, source, fingerprint, status, severity, title, text, labels, links, at, incident_id, card)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
			a.ID, a.ReceivedAt, a.Source, a.Fingerprint, a.Status, a.Severity, a.Title, a.Text, string(labels[i]), string(links[i]), a.At, inc, a.Card)
	}
}

// AlertIncident returns the newest open incident an alert with
// fingerprint is attached to.
func (s *Store) AlertIncident(ctx context.Context, fingerprint string) (incidents.Incident, error) {
	inc, err := scanIncident(s.pool.QueryRow(ctx, "SELECT "+incidentColumns+` FROM incidents
		WHERE status <> $1 AND id IN (SELECT incident_id FROM alert_incidents WHERE fingerprint = $2)
		ORDER BY declared_at DESC, number DESC LIMIT 1`, string(incidents.StatusResolved), fingerprint))
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("open incident for alert %q: %w", fingerprint, err)
	}
	return inc, nil
}

// KeyedIncident returns the newest open incident opened under key since.
func (s *Store) KeyedIncident(ctx context.Context, key string, since time.Time) (incidents.Incident, int, error) {
	var opened int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM alert_keys WHERE key = $1", key).Scan(&opened); err != nil {
		return incidents.Incident{}, 0, fmt.Errorf("incident for %q: %w", key, err)
	}
	inc, err := scanIncident(s.pool.QueryRow(ctx, "SELECT "+incidentColumns+` FROM incidents
		WHERE status <> $1 AND id IN (SELECT incident_id FROM alert_keys WHERE key = $2 AND opened_at >= $3)
		ORDER BY declared_at DESC, number DESC LIMIT 1`, string(incidents.StatusResolved), key, since))
	if err != nil {
		return incidents.Incident{}, opened, fmt.Errorf("incident for %q: %w", key, err)
	}
	return inc, opened, nil
}

const alertColumns = "id, received_at, source, fingerprint, status, severity, title, text, labels, links, at, incident_id, card"

func scanAlert(row pgx.Row) (incidents.AlertRecord, error) {
	var a incidents.AlertRecord
	var inc *uuid.UUID
	var labels, links []byte
	err := row.Scan(&a.ID, &a.ReceivedAt, &a.Source, &a.Fingerprint, &a.Status, &a.Severity, &a.Title, &a.Text, &labels, &links, &a.At, &inc, &a.Card)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, incidents.ErrNotFound
	}
	if err != nil {
		return a, err
	}
	if inc != nil {
		a.IncidentID = *inc
	}
	a.ReceivedAt, a.At = a.ReceivedAt.UTC(), a.At.UTC()
	if err := json.Unmarshal(labels, &a.Labels); err != nil {
		return a, fmt.Errorf("labels: %w", err)
	}
	if err := json.Unmarshal(links, &a.Links); err != nil {
		return a, fmt.Errorf("links: %w", err)
	}
	return a, nil
}

// LatestAlert returns the alert with fingerprint received last.
func (s *Store) LatestAlert(ctx context.Context, fingerprint string) (incidents.AlertRecord, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, "SELECT "+alertColumns+
		" FROM alerts WHERE fingerprint = $1 ORDER BY received_at DESC, seq DESC LIMIT 1", fingerprint))
	if err != nil {
		return a, fmt.Errorf("latest alert %q: %w", fingerprint, err)
	}
	return a, nil
}

// StillFiring returns the latest alert of each fingerprint attached to the
// incident, where that alert is firing.
func (s *Store) StillFiring(ctx context.Context, id uuid.UUID) ([]incidents.AlertRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+alertColumns+` FROM (SELECT a.* FROM alert_incidents ai
		CROSS JOIN LATERAL (SELECT * FROM alerts WHERE fingerprint = ai.fingerprint ORDER BY received_at DESC, seq DESC LIMIT 1) a
		WHERE ai.incident_id = $1 AND a.status = 'firing' AND a.incident_id = $1) f ORDER BY received_at`, id)
	if err != nil {
		return nil, fmt.Errorf("alerts still firing in %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (incidents.AlertRecord, error) { return scanAlert(r) })
	if err != nil {
		return nil, fmt.Errorf("alerts still firing in %s: %w", id, err)
	}
	return out, nil
}
