package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

const insertEffect = `INSERT INTO work_items (id, queue, key, lane, incident_id, kind, body, not_before, created_at)
	VALUES ($1, 'outbox', $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (queue, key) DO NOTHING`

// queueEffects adds the inserts of effs (prepared, with their bodies) to b.
func queueEffects(b *pgx.Batch, effs []incidents.Effect, bodies [][]byte, now time.Time) {
	for i, e := range effs {
		b.Queue(insertEffect, e.ID, e.Key, e.Lane, storeutil.NullUUID(e.IncidentID), string(e.Kind), bodies[i], e.NotBefore, now)
	}
}

// lockLanes adds to b the locks of the incidents whose lanes effs join:
// an incident's effects are added under its row lock (Update takes it),
// so they commit in the order of their seq and a claim never sees a later
// effect of a lane before an earlier one. Rows are locked in one order so
// two writers cannot wait on each other, and NO KEY UPDATE leaves alone
// the key-share locks that other writers' foreign keys take.
func lockLanes(b *pgx.Batch, effs []incidents.Effect) {
	var ids []uuid.UUID
	for _, e := range effs {
		if e.IncidentID != uuid.Nil && !slices.Contains(ids, e.IncidentID) {
			ids = append(ids, e.IncidentID)
		}
	}
	if len(ids) > 0 {
		b.Queue("SELECT id FROM incidents WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE", ids)
	}
}

// queueSettle adds the writes of settlements to b. Only pending rows are
// settled: a late retry never undoes a success recorded meanwhile.
func queueSettle(b *pgx.Batch, ss []incidents.Settlement, owner int32, now time.Time) error {
	for _, s := range ss {
		res, err := storeutil.CheckSettlement(s)
		if err != nil {
			return err
		}
		switch s.Outcome {
		case incidents.Done, incidents.Failed:
			state := "done"
			if s.Outcome == incidents.Failed {
				state = "failed"
			}
			// A settled job's body (the envelope, with its response_url, a
			// bearer credential) is not kept.
			b.Queue(`UPDATE work_items SET state = $2, result = $3, last_error = $4, settled_at = $5, owner = NULL,
				body = CASE WHEN queue = 'inbox' THEN ''::bytea ELSE body END
				WHERE id = $1 AND state = 'pending' AND ($2 = 'done' OR owner = $6)`, s.ID, state, res, storeutil.Clean(s.Error), now, owner)
		case incidents.Retry:
			b.Queue(`UPDATE work_items SET not_before = $2, last_error = $3, uncertain = uncertain OR $4, owner = NULL, claimed_at = NULL
				WHERE id = $1 AND state = 'pending' AND owner = $5`, s.ID, storeutil.StoredTime(s.NotBefore), storeutil.Clean(s.Error), s.Uncertain, owner)
		case incidents.Release:
			b.Queue(`UPDATE work_items SET owner = NULL, claimed_at = NULL, attempts = greatest(attempts - 1, 0)
				WHERE id = $1 AND state = 'pending' AND owner = $2`, s.ID, owner)
		}
	}
	return nil
}

// statement is one SQL statement with its arguments, and what it does
// (for its error).
type statement struct {
	sql  string
	args []any
	what string
}

// writeChange writes first, then a change's events, effects and
// settlements in tx, all in one round trip.
func writeChange(ctx context.Context, tx pgx.Tx, ch incidents.Change, bodies [][]byte, owner int32, first ...statement) error {
	b := &pgx.Batch{}
	for _, st := range first {
		b.Queue(st.sql, st.args...)
	}
	if err := queueEvents(b, ch.Events); err != nil {
		return err
	}
	now := time.Now()
	queueEffects(b, ch.Effects, bodies, now)
	if err := queueSettle(b, ch.Settle, owner, now); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	for _, st := range first {
		if _, err := br.Exec(); err != nil {
			return writeError(st.what, err)
		}
	}
	for _, ev := range ch.Events {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("insert event %s: %w", ev.ID, err)
		}
	}
	for range ch.Effects {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("write effects: %w", err)
		}
	}
	for _, s := range ch.Settle {
		tag, err := br.Exec()
		if err != nil {
			return fmt.Errorf("settle %s: %w", s.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("settle %s: %w", s.ID, incidents.ErrNotHeld)
		}
	}
	return br.Close()
}

// AddEffects stores effects outside an incident change.
func (s *Store) AddEffects(ctx context.Context, effs []incidents.Effect) error {
	if len(effs) == 0 {
		return nil
	}
	now := time.Now()
	effs, bodies, err := storeutil.PrepareEffects(effs, now)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	lockLanes(b, effs)
	queueEffects(b, effs, bodies, now)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		return fmt.Errorf("add effects: %w", err)
	}
	return nil
}

// SettleEffects records outcomes of attempts at effects.
func (s *Store) SettleEffects(ctx context.Context, ss []incidents.Settlement) error {
	return s.settle(ctx, ss, "settle effects")
}

// SettleJobs records what became of jobs.
func (s *Store) SettleJobs(ctx context.Context, ss []incidents.Settlement) error {
	return s.settle(ctx, ss, "settle jobs")
}

func (s *Store) settle(ctx context.Context, ss []incidents.Settlement, op string) error {
	if len(ss) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	if err := queueSettle(b, ss, s.presence.id(), time.Now()); err != nil {
		return err
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
