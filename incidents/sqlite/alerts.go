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

// AddAlerts stores a batch in one transaction with one prepared statement:
// a storm of thousands is one write lock, not thousands.
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
	tx, done, err := s.begin(ctx, false)
	if err != nil {
		return fmt.Errorf("add alerts: %w", err)
	}
	defer done()
	if err := insertAlerts(ctx, tx, b.Alerts, labels, links); err != nil {
		return err
	}
	for _, c := range b.Cards {
		if _, err := tx.ExecContext(ctx, "INSERT INTO triage_cards (card, epoch, opened_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			c.Key, c.Epoch, formatTime(c.OpenedAt)); err != nil {
			return fmt.Errorf("add alerts: card %q: %w", c.Key, err)
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

func insertAlerts(ctx context.Context, tx *wtx, alerts []incidents.AlertRecord, labels, links [][]byte) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO alerts (id, received_at, source, fingerprint, status, severity,
		title, text, labels, links, at, incident_id, card) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
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
			a.Title, a.Text, string(labels[i]), string(links[i]), formatTime(a.At), inc, a.Card); err != nil {
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

// KeyedIncident returns the newest open incident opened under key since.
func (s *Store) KeyedIncident(ctx context.Context, key string, since time.Time) (incidents.Incident, int, error) {
	var opened int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM alert_keys WHERE key = ?", key).Scan(&opened); err != nil {
		return incidents.Incident{}, 0, fmt.Errorf("incident for %q: %w", key, err)
	}
	inc, err := scanIncident(s.db.QueryRowContext(ctx, "SELECT "+incidentColumns+` FROM incidents
		WHERE status <> ? AND id IN (SELECT incident_id FROM alert_keys WHERE key = ? AND opened_at >= ?)
		ORDER BY declared_at DESC, number DESC LIMIT 1`, string(incidents.StatusResolved), key, formatTime(since)))
	if err != nil {
		return incidents.Incident{}, opened, fmt.Errorf("incident for %q: %w", key, err)
	}
	return inc, opened, nil
}

const alertColumns = "id, received_at, source, fingerprint, status, severity, title, text, labels, links, at, incident_id, card"

func scanAlert(row interface{ Scan(...any) error }) (incidents.AlertRecord, error) {
	var a incidents.AlertRecord
	var id, received, at, labels, links string
	var inc sql.NullString
	err := row.Scan(&id, &received, &a.Source, &a.Fingerprint, &a.Status, &a.Severity, &a.Title, &a.Text, &labels, &links, &at, &inc, &a.Card)
	if errors.Is(err, sql.ErrNoRows) {
		return a, incidents.ErrNotFound
	}
	if err != nil {
		return a, err
	}
	if inc.Valid {
		if a.IncidentID, err = uuid.Parse(inc.String); err != nil {
			return a, err
		}
	}
	return a, storeutil.DecodeAlert(&a, id, received, at, []byte(labels), []byte(links), timeLayout)
}

// LatestAlert returns the alert with fingerprint received last.
func (s *Store) LatestAlert(ctx context.Context, fingerprint string) (incidents.AlertRecord, error) {
	a, err := scanAlert(s.db.QueryRowContext(ctx, "SELECT "+alertColumns+
		" FROM alerts WHERE fingerprint = ? ORDER BY received_at DESC, rowid DESC LIMIT 1", fingerprint))
	if err != nil {
		return a, fmt.Errorf("latest alert %q: %w", fingerprint, err)
	}
	return a, nil
}

// StillFiring returns the latest alert of each fingerprint attached to the
// incident, where that alert is firing.
func (s *Store) StillFiring(ctx context.Context, id uuid.UUID) ([]incidents.AlertRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts a
		WHERE a.rowid IN (SELECT (SELECT rowid FROM alerts WHERE fingerprint = ai.fingerprint ORDER BY received_at DESC, rowid DESC LIMIT 1)
			FROM alert_incidents ai WHERE ai.incident_id = ?)
		AND a.status = 'firing' AND a.incident_id = ? ORDER BY a.received_at`, id.String(), id.String())
	if err != nil {
		return nil, fmt.Errorf("alerts still firing in %s: %w", id, err)
	}
	return collectAlerts(rows)
}

func collectAlerts(rows *sql.Rows) ([]incidents.AlertRecord, error) {
	defer rows.Close()
	var out []incidents.AlertRecord
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
