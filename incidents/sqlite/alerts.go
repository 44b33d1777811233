package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// AddAlerts stores alerts in one transaction with one prepared statement:
// a storm of thousands is one write lock, not thousands.
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
	tx, done, err := s.begin(ctx, false)
	if err != nil {
		return fmt.Errorf("add alerts: %w", err)
	}
	defer done()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO alerts (id, received_at, source, fingerprint, status, severity,
		title, text, labels, links, at, incident_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("add alerts: %w", err)
	}
	defer stmt.Close()
	attached := map[[2]string]bool{}
	for i, a := range alerts {
		var inc any
		if a.IncidentID != uuid.Nil {
			inc = a.IncidentID.String()
		}
		if _, err := stmt.ExecContext(ctx, a.ID.String(), formatTime(a.ReceivedAt), a.Source, a.Fingerprint, a.Status, a.Severity,
			a.Title, a.Text, string(labels[i]), string(links[i]), formatTime(a.At), inc); err != nil {
			return fmt.Errorf("add alert %s: %w", a.ID, err)
		}
		if inc != nil {
			attached[[2]string{a.Fingerprint, inc.(string)}] = true
		}
	}
	for k := range attached {
		if _, err := tx.ExecContext(ctx, "INSERT INTO alert_incidents (fingerprint, incident_id) VALUES (?, ?) ON CONFLICT DO NOTHING", k[0], k[1]); err != nil {
			return fmt.Errorf("add alerts: attach %q: %w", k[0], err)
		}
	}
	if err := insertEffects(ctx, tx, effs, bodies, now); err != nil {
		return fmt.Errorf("add alerts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add alerts: commit: %w", err)
	}
	return nil
}

// AlertIncident returns the newest open incident an alert with
// fingerprint is attached to.
func (s *Store) AlertIncident(ctx context.Context, fingerprint string) (incidents.Incident, error) {
	inc, err := scanIncident(s.db.QueryRowContext(ctx, "SELECT "+incidentColumns+` FROM incidents
		WHERE status <> ? AND id IN (SELECT incident_id FROM alert_incidents WHERE fingerprint = ?)
		ORDER BY declared_at DESC, number DESC LIMIT 1`, string(incidents.StatusResolved), fingerprint))
	if err != nil {
		return incidents.Incident{}, fmt.Errorf("open incident for alert %q: %w", fingerprint, err)
	}
	return inc, nil
}

// AlertStats counts the alerts with fingerprint received since.
func (s *Store) AlertStats(ctx context.Context, fingerprint string, since time.Time) (incidents.AlertStats, error) {
	var st incidents.AlertStats
	var first, last sql.NullString
	err := s.db.QueryRowContext(ctx, "SELECT count(*), min(received_at), max(received_at) FROM alerts WHERE fingerprint = ? AND received_at >= ?",
		fingerprint, formatTime(since)).Scan(&st.Count, &first, &last)
	if err != nil {
		return st, fmt.Errorf("alert stats %q: %w", fingerprint, err)
	}
	if first.Valid {
		if st.First, err = time.Parse(timeLayout, first.String); err != nil {
			return st, fmt.Errorf("alert stats %q: %w", fingerprint, err)
		}
		if st.Last, err = time.Parse(timeLayout, last.String); err != nil {
			return st, fmt.Errorf("alert stats %q: %w", fingerprint, err)
		}
	}
	return st, nil
}

// LatestAlert returns the alert with fingerprint received last.
func (s *Store) LatestAlert(ctx context.Context, fingerprint string) (incidents.AlertRecord, error) {
	var a incidents.AlertRecord
	var id, received, at, labels, links string
	var inc sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT id, received_at, source, fingerprint, status, severity, title, text, labels, links, at, incident_id
		FROM alerts WHERE fingerprint = ? ORDER BY received_at DESC, rowid DESC LIMIT 1`, fingerprint).
		Scan(&id, &received, &a.Source, &a.Fingerprint, &a.Status, &a.Severity, &a.Title, &a.Text, &labels, &links, &at, &inc)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("latest alert %q: %w", fingerprint, incidents.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("latest alert %q: %w", fingerprint, err)
	}
	if inc.Valid {
		id2, perr := uuid.Parse(inc.String)
		if perr != nil {
			return a, fmt.Errorf("latest alert %q: %w", fingerprint, perr)
		}
		a.IncidentID = id2
	}
	if err := storeutil.DecodeAlert(&a, id, received, at, []byte(labels), []byte(links), timeLayout); err != nil {
		return a, fmt.Errorf("latest alert %q: %w", fingerprint, err)
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
	tx, done, err := s.begin(ctx, false)
	if err != nil {
		return fmt.Errorf("triage %q: %w", t.Fingerprint, err)
	}
	defer done()
	if err := insertEffects(ctx, tx, effs, bodies, now); err != nil {
		return fmt.Errorf("triage %q: %w", t.Fingerprint, err)
	}
	var inc any
	if t.IncidentID != uuid.Nil {
		inc = t.IncidentID.String()
		if _, err := tx.ExecContext(ctx, "UPDATE alerts SET incident_id = ? WHERE fingerprint = ? AND incident_id IS NULL", inc, t.Fingerprint); err != nil {
			return fmt.Errorf("triage %q: attach alerts: %w", t.Fingerprint, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO alert_incidents (fingerprint, incident_id) VALUES (?, ?) ON CONFLICT DO NOTHING", t.Fingerprint, inc); err != nil {
			return fmt.Errorf("triage %q: attach alerts: %w", t.Fingerprint, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO alert_triage (fingerprint, decision, decided_by, decided_at, incident_id) VALUES (?, ?, ?, ?, ?)",
		t.Fingerprint, t.Decision, t.By, formatTime(t.At), inc); err != nil {
		return fmt.Errorf("triage %q: %w", t.Fingerprint, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("triage %q: commit: %w", t.Fingerprint, err)
	}
	return nil
}

// LastTriage returns the latest triage decision on fingerprint.
func (s *Store) LastTriage(ctx context.Context, fingerprint string) (incidents.Triage, error) {
	t := incidents.Triage{Fingerprint: fingerprint}
	var at string
	var inc sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT decision, decided_by, decided_at, incident_id FROM alert_triage
		WHERE fingerprint = ? ORDER BY decided_at DESC LIMIT 1`, fingerprint).Scan(&t.Decision, &t.By, &at, &inc)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("triage of %q: %w", fingerprint, incidents.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("triage of %q: %w", fingerprint, err)
	}
	if t.At, err = time.Parse(timeLayout, at); err != nil {
		return t, fmt.Errorf("triage of %q: %w", fingerprint, err)
	}
	if inc.Valid {
		if t.IncidentID, err = uuid.Parse(inc.String); err != nil {
			return t, fmt.Errorf("triage of %q: %w", fingerprint, err)
		}
	}
	return t, nil
}
