package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// AddAlerts stores alerts in one transaction, sent as one batch: a storm
// of thousands is one round trip, not thousands.
func (s *Store) AddAlerts(ctx context.Context, alerts []incidents.AlertRecord) error {
	if len(alerts) == 0 {
		return nil
	}
	labels, links, err := storeutil.PrepareAlerts(alerts, time.Now())
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for i, a := range alerts {
		var inc *uuid.UUID
		if a.IncidentID != uuid.Nil {
			inc = &a.IncidentID
		}
		batch.Queue(`INSERT INTO alerts (id, received_at, source, fingerprint, status, severity, title, text, labels, links, at, incident_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
			a.ID, a.ReceivedAt, a.Source, a.Fingerprint, a.Status, a.Severity, a.Title, a.Text, string(labels[i]), string(links[i]), a.At, inc)
	}
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
		WHERE status <> $1 AND id IN (SELECT incident_id FROM alerts WHERE fingerprint = $2 AND incident_id IS NOT NULL)
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
