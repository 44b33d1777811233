package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

const insertEffect = `INSERT INTO work_items (id, queue, key, lane, incident_id, kind, body, not_before, created_at)
	VALUES (?, 'outbox', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (queue, key) DO NOTHING`

// insertEffects writes prepared effects in tx; a stored key is skipped.
func insertEffects(ctx context.Context, tx *wtx, effs []incidents.Effect, bodies [][]byte, now time.Time) error {
	for i, e := range effs {
		var inc any
		if e.IncidentID != uuid.Nil {
			inc = e.IncidentID.String()
		}
		if _, err := tx.ExecContext(ctx, insertEffect, e.ID.String(), e.Key, e.Lane, inc, string(e.Kind), bodies[i],
			formatTime(e.NotBefore), formatTime(now)); err != nil {
			return fmt.Errorf("add effect %q: %w", e.Key, err)
		}
	}
	return nil
}

// settle writes settlements in tx. Only pending rows are settled: a late
// retry never undoes a success recorded meanwhile.
func settle(ctx context.Context, tx *wtx, ss []incidents.Settlement, owner int32, now time.Time, strict bool) error {
	for _, s := range ss {
		res, err := storeutil.CheckSettlement(s)
		if err != nil {
			return err
		}
		id := s.ID.String()
		var out sql.Result
		switch s.Outcome {
		case incidents.Done, incidents.Failed:
			state := "done"
			if s.Outcome == incidents.Failed {
				state = "failed"
			}
			// A settled job's body (the envelope, with its response_url, a
			// bearer credential) is not kept.
			out, err = tx.ExecContext(ctx, `UPDATE work_items SET state = ?, result = ?, last_error = ?, settled_at = ?, owner = NULL,
				body = CASE WHEN queue = 'inbox' THEN X'' ELSE body END
				WHERE id = ? AND state = 'pending' AND (? = 'done' OR owner = ?)`, state, res, storeutil.Clean(s.Error), formatTime(now), id, state, owner)
		case incidents.Retry:
			out, err = tx.ExecContext(ctx, `UPDATE work_items SET not_before = ?, last_error = ?, uncertain = (uncertain OR ?), owner = NULL, claimed_at = NULL
				WHERE id = ? AND state = 'pending' AND owner = ?`, formatTime(s.NotBefore), storeutil.Clean(s.Error), s.Uncertain, id, owner)
		case incidents.Release:
			out, err = tx.ExecContext(ctx, `UPDATE work_items SET owner = NULL, claimed_at = NULL, attempts = max(attempts - 1, 0)
				WHERE id = ? AND state = 'pending' AND owner = ?`, id, owner)
		}
		if err != nil {
			return fmt.Errorf("settle %s: %w", id, err)
		}
		if n, _ := out.RowsAffected(); strict && n == 0 {
			return fmt.Errorf("settle %s: %w", id, incidents.ErrNotHeld)
		}
	}
	return nil
}

// writeChange writes a change's events, effects and settlements in tx.
func writeChange(ctx context.Context, tx *wtx, ch incidents.Change, bodies [][]byte, owner int32) error {
	if err := insertEvents(ctx, tx, ch.Events); err != nil {
		return err
	}
	now := time.Now()
	if err := insertEffects(ctx, tx, ch.Effects, bodies, now); err != nil {
		return err
	}
	return settle(ctx, tx, ch.Settle, owner, now, true)
}

// inTx runs fn in a write transaction on the database file and commits
// it; urgent ones go first (see writer).
func (s *Store) inTx(ctx context.Context, op string, urgent bool, fn func(tx *wtx) error) error {
	return txOn(ctx, s.db, s.w, s.q, op, urgent, fn)
}

// txOn is inTx on one file with its writer.
func txOn(ctx context.Context, db *sql.DB, w *writer, q *stmts, op string, urgent bool, fn func(tx *wtx) error) error {
	tx, done, err := beginOn(ctx, db, w, q, urgent)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer done()
	if err := fn(tx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
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
	return s.inTx(ctx, "add effects", false, func(tx *wtx) error { return insertEffects(ctx, tx, effs, bodies, now) })
}

// SettleEffects records outcomes of attempts at effects.
func (s *Store) SettleEffects(ctx context.Context, ss []incidents.Settlement) error {
	if len(ss) == 0 {
		return nil
	}
	return s.inTx(ctx, "settle effects", false, func(tx *wtx) error { return settle(ctx, tx, ss, s.owner, time.Now(), false) })
}
