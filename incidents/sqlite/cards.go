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

// LatestCard returns the problem's latest triage card.
func (s *Store) LatestCard(ctx context.Context, card string) (incidents.TriageCard, error) {
	c := incidents.TriageCard{Key: card}
	var at string
	err := s.db.QueryRowContext(ctx, "SELECT epoch, opened_at FROM triage_cards WHERE card = ? ORDER BY epoch DESC LIMIT 1", card).Scan(&c.Epoch, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("triage card %q: %w", card, incidents.ErrNotFound)
	}
	if err == nil {
		c.OpenedAt, err = time.Parse(timeLayout, at)
	}
	if err != nil {
		return c, fmt.Errorf("triage card %q: %w", card, err)
	}
	return c, nil
}

// CardAlerts summarises the problem's alerts received since.
func (s *Store) CardAlerts(ctx context.Context, card string, since time.Time, max int) (incidents.CardView, error) {
	var v incidents.CardView
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM alerts WHERE card = ? AND received_at >= ?", card, formatTime(since)).Scan(&v.Count); err != nil {
		return v, fmt.Errorf("alerts of %q: %w", card, err)
	}
	rows, err := s.db.QueryContext(ctx, `WITH latest AS (
			SELECT max(rowid) AS r FROM alerts WHERE card = ? AND received_at >= ? GROUP BY fingerprint)
		SELECT `+alertColumns+` FROM alerts WHERE rowid IN (SELECT r FROM latest) ORDER BY received_at DESC, rowid DESC`, card, formatTime(since))
	if err != nil {
		return v, fmt.Errorf("alerts of %q: %w", card, err)
	}
	all, err := collectAlerts(rows)
	if err != nil {
		return v, fmt.Errorf("alerts of %q: %w", card, err)
	}
	return storeutil.CardView(v.Count, all, max), nil
}

// TriageAlerts records a decision on a card, attaching the card's loose
// alerts to the declared incident in the same transaction.
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
		return fmt.Errorf("triage %q: %w", t.Card, err)
	}
	defer done()
	if err := insertEffects(ctx, tx, effs, bodies, now); err != nil {
		return fmt.Errorf("triage %q: %w", t.Card, err)
	}
	var inc any
	if t.IncidentID != uuid.Nil {
		inc = t.IncidentID.String()
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_incidents (fingerprint, incident_id)
			SELECT DISTINCT fingerprint, ? FROM alerts WHERE card = ? AND incident_id IS NULL ON CONFLICT DO NOTHING`, inc, t.Card); err != nil {
			return fmt.Errorf("triage %q: attach alerts: %w", t.Card, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE alerts SET incident_id = ? WHERE card = ? AND incident_id IS NULL", inc, t.Card); err != nil {
			return fmt.Errorf("triage %q: attach alerts: %w", t.Card, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO alert_triage (fingerprint, decision, decided_by, decided_at, incident_id) VALUES (?, ?, ?, ?, ?)",
		t.Card, t.Decision, t.By, formatTime(t.At), inc); err != nil {
		return fmt.Errorf("triage %q: %w", t.Card, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("triage %q: commit: %w", t.Card, err)
	}
	return nil
}

// LastTriage returns the latest decision on a card. (The column is named
// fingerprint: cards were one per fingerprint before problems grouped them.)
func (s *Store) LastTriage(ctx context.Context, card string) (incidents.Triage, error) {
	t := incidents.Triage{Card: card}
	var at string
	var inc sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT decision, decided_by, decided_at, incident_id FROM alert_triage
		WHERE fingerprint = ? ORDER BY decided_at DESC LIMIT 1`, card).Scan(&t.Decision, &t.By, &at, &inc)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("triage of %q: %w", card, incidents.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("triage of %q: %w", card, err)
	}
	if t.At, err = time.Parse(timeLayout, at); err != nil {
		return t, fmt.Errorf("triage of %q: %w", card, err)
	}
	if inc.Valid {
		if t.IncidentID, err = uuid.Parse(inc.String); err != nil {
			return t, fmt.Errorf("triage of %q: %w", card, err)
		}
	}
	return t, nil
}
