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

// AddAlerts stores alerts in one transaction, sent as one batch: a storm
// of thousands is one round trip, not thousands.
func (s *Store) AddAlerts(ctx context.Context, alerts []incidents.AlertRecord, effs []incidents.Effect) error {
	if len(alerts) == 0 && len(effs) == 0 {
		return nil
	}
	now := time.Now()
	labels, links, err := storeutil.PrepareAlerts(alerts, now)
	if err != nil {
		return err
	}
	effs, bodies, err := storeutil.PrepareEffects(effs, now)
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	lockLanes(batch, effs)
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
		batch.Queue(`INSERT INTO alerts (id, received_at, source, fingerprint, status, severity, title, text, labels, links, at, incident_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
			a.ID, a.ReceivedAt, a.Source, a.Fingerprint, a.Status, a.Severity, a.Title, a.Text, string(labels[i]), string(links[i]), a.At, inc)
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

// AlertStats counts the alerts with fingerprint received since.
func (s *Store) AlertStats(ctx context.Context, fingerprint string, since time.Time) (incidents.AlertStats, error) {
	var st incidents.AlertStats
	var first, last *time.Time
	if err := s.pool.QueryRow(ctx, "SELECT count(*), min(received_at), max(received_at) FROM alerts WHERE fingerprint = $1 AND received_at >= $2",
		fingerprint, since).Scan(&st.Count, &first, &last); err != nil {
		return st, fmt.Errorf("alert stats %q: %w", fingerprint, err)
	}
	if first != nil {
		st.First, st.Last = first.UTC(), last.UTC()
	}
	return st, nil
}

// LatestAlert returns the alert with fingerprint received last.
func (s *Store) LatestAlert(ctx context.Context, fingerprint string) (incidents.AlertRecord, error) {
	var a incidents.AlertRecord
	var inc *uuid.UUID
	var labels, links []byte
	err := s.pool.QueryRow(ctx, `SELECT id, received_at, source, fingerprint, status, severity, title, text, labels, links, at, incident_id
		FROM alerts WHERE fingerprint = $1 ORDER BY received_at DESC, seq DESC LIMIT 1`, fingerprint).
		Scan(&a.ID, &a.ReceivedAt, &a.Source, &a.Fingerprint, &a.Status, &a.Severity, &a.Title, &a.Text, &labels, &links, &a.At, &inc)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("latest alert %q: %w", fingerprint, incidents.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("latest alert %q: %w", fingerprint, err)
	}
	if inc != nil {
		a.IncidentID = *inc
	}
	a.ReceivedAt, a.At = a.ReceivedAt.UTC(), a.At.UTC()
	if err := json.Unmarshal(labels, &a.Labels); err != nil {
		return a, fmt.Errorf("latest alert %q: labels: %w", fingerprint, err)
	}
	if err := json.Unmarshal(links, &a.Links); err != nil {
		return a, fmt.Errorf("latest alert %q: links: %w", fingerprint, err)
	}
	return a, nil
}

// TriageAlerts records a triage decision, attaching the fingerprint's
// loose alerts to the declared incident in the same transaction.
func (s *Store) TriageAlerts(ctx context.Context, t incidents.Triage, effs []incidents.Effect) error {
	now := time.Now()
	if err := storeutil.CheckTriage(&t, now); err != nil {
		return err
	}
	effs, bodies, err := storeutil.PrepareEffects(effs, now)
	if err != nil {
		return err
	}
	var inc *uuid.UUID
	if t.IncidentID != uuid.Nil {
		inc = &t.IncidentID
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if len(effs) > 0 {
			b := &pgx.Batch{}
			queueEffects(b, effs, bodies, now)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("add effects: %w", err)
			}
		}
		if inc != nil {
			if _, err := tx.Exec(ctx, "UPDATE alerts SET incident_id = $1 WHERE fingerprint = $2 AND incident_id IS NULL", inc, t.Fingerprint); err != nil {
				return fmt.Errorf("attach alerts: %w", err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO alert_incidents (fingerprint, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", t.Fingerprint, inc); err != nil {
				return fmt.Errorf("attach alerts: %w", err)
			}
		}
		_, err := tx.Exec(ctx, "INSERT INTO alert_triage (fingerprint, decision, decided_by, decided_at, incident_id) VALUES ($1, $2, $3, $4, $5)",
			t.Fingerprint, t.Decision, t.By, t.At, inc)
		return err
	})
	if err != nil {
		return fmt.Errorf("triage %q: %w", t.Fingerprint, err)
	}
	return nil
}

// LastTriage returns the latest triage decision on fingerprint.
func (s *Store) LastTriage(ctx context.Context, fingerprint string) (incidents.Triage, error) {
	t := incidents.Triage{Fingerprint: fingerprint}
	var inc *uuid.UUID
	err := s.pool.QueryRow(ctx, `SELECT decision, decided_by, decided_at, incident_id FROM alert_triage
		WHERE fingerprint = $1 ORDER BY decided_at DESC LIMIT 1`, fingerprint).Scan(&t.Decision, &t.By, &t.At, &inc)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("triage of %q: %w", fingerprint, incidents.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("triage of %q: %w", fingerprint, err)
	}
	t.At = t.At.UTC()
	if inc != nil {
		t.IncidentID = *inc
	}
	return t, nil
}
