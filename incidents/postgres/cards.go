package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// LatestCard returns the problem's latest triage card.
func (s *Store) LatestCard(ctx context.Context, card string) (incidents.TriageCard, error) {
	c := incidents.TriageCard{Key: card}
	err := s.pool.QueryRow(ctx, "SELECT epoch, opened_at FROM triage_cards WHERE card = $1 ORDER BY epoch DESC LIMIT 1", card).Scan(&c.Epoch, &c.OpenedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("triage card %q: %w", card, incidents.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("triage card %q: %w", card, err)
	}
	c.OpenedAt = c.OpenedAt.UTC()
	return c, nil
}

// CardAlerts summarises the problem's alerts received since.
func (s *Store) CardAlerts(ctx context.Context, card string, since time.Time, max int) (incidents.CardView, error) {
	var v incidents.CardView
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM alerts WHERE card = $1 AND received_at >= $2", card, since).Scan(&v.Count); err != nil {
		return v, fmt.Errorf("alerts of %q: %w", card, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+alertColumns+` FROM (
			SELECT DISTINCT ON (fingerprint) * FROM alerts WHERE card = $1 AND received_at >= $2
			ORDER BY fingerprint, received_at DESC, seq DESC) a
		ORDER BY received_at DESC, seq DESC`, card, since)
	if err != nil {
		return v, fmt.Errorf("alerts of %q: %w", card, err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (incidents.AlertRecord, error) { return scanAlert(r) })
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
	var inc *uuid.UUID
	if t.IncidentID != uuid.Nil {
		inc = &t.IncidentID
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		queueEffects(b, effs, bodies, now)
		if inc != nil {
			b.Queue(`INSERT INTO alert_incidents (fingerprint, incident_id)
				SELECT DISTINCT fingerprint, $1::uuid FROM alerts WHERE card = $2 AND incident_id IS NULL ON CONFLICT DO NOTHING`, inc, t.Card)
			b.Queue("UPDATE alerts SET incident_id = $1 WHERE card = $2 AND incident_id IS NULL", inc, t.Card)
		}
		// The column is named fingerprint: cards were one per fingerprint
		// before problems grouped them.
		b.Queue("INSERT INTO alert_triage (fingerprint, decision, decided_by, decided_at, incident_id) VALUES ($1, $2, $3, $4, $5)",
			t.Card, t.Decision, t.By, t.At, inc)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("triage %q: %w", t.Card, err)
	}
	return nil
}

// LastTriage returns the latest decision on a card.
func (s *Store) LastTriage(ctx context.Context, card string) (incidents.Triage, error) {
	t := incidents.Triage{Card: card}
	var inc *uuid.UUID
	err := s.pool.QueryRow(ctx, `SELECT decision, decided_by, decided_at, incident_id FROM alert_triage
		WHERE fingerprint = $1 ORDER BY decided_at DESC LIMIT 1`, card).Scan(&t.Decision, &t.By, &t.At, &inc)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("triage of %q: %w", card, incidents.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("triage of %q: %w", card, err)
	}
	t.At = t.At.UTC()
	if inc != nil {
		t.IncidentID = *inc
	}
	return t, nil
}
