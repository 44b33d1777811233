package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// effectHeads finds the due heads of lanes nobody alive holds. A row held
// by another owner was held by a process that has died: the embedded
// store serves one process (see the migration 0005 comment). The lanes
// are walked one index seek at a time (the recursive part), and each
// lane's first pending row is one more seek: the cost follows the number
// of lanes, not of rows, so a thousand posts owed in one incident cost
// what one does. A lane whose later effect is in flight (an earlier one
// was put back by a repair) waits for it: one effect of a lane at a time.
const effectHeads = `WITH RECURSIVE lanes(lane) AS (
		SELECT min(lane) FROM work_items WHERE queue = 'outbox' AND state = 'pending'
		UNION ALL
		SELECT (SELECT min(lane) FROM work_items WHERE queue = 'outbox' AND state = 'pending' AND lane > lanes.lane)
		FROM lanes WHERE lanes.lane IS NOT NULL
	)
	SELECT w.seq FROM lanes
	JOIN work_items w ON w.seq = (SELECT min(seq) FROM work_items WHERE queue = 'outbox' AND state = 'pending' AND lane = lanes.lane)
	WHERE w.not_before <= ?1 AND (w.owner IS NULL OR w.owner <> ?2 OR w.claimed_at < ?3)
		AND NOT EXISTS (SELECT 1 FROM work_items b
			WHERE b.queue = 'outbox' AND b.lane = w.lane AND b.state = 'pending' AND b.owner IS NOT NULL
				AND b.seq > w.seq AND b.owner = ?2 AND b.claimed_at >= ?3)
	ORDER BY w.seq LIMIT ?4`

// ClaimEffects claims due lane heads for this process. The heads are read
// outside the write transaction (WAL readers never wait), so the write
// lock is held only for the claim itself; the claim checks again that
// each row is pending and free, as only this process claims.
func (s *Store) ClaimEffects(ctx context.Context, now time.Time, limit int) ([]incidents.Effect, time.Time, error) {
	if err := storeutil.CheckDueLimit(limit); err != nil {
		return nil, time.Time{}, err
	}
	cutoff := formatTime(now.Add(-storeutil.EffectLease))
	seqs, err := readSeqs(ctx, s.q, effectHeads, formatTime(now), s.owner, cutoff, limit)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("claim effects: %w", err)
	}
	var effs []incidents.Effect
	if len(seqs) > 0 {
		err = s.inTx(ctx, "claim effects", false, func(tx *wtx) error {
			rows, err := tx.QueryContext(ctx, `UPDATE work_items SET owner = ?2, claimed_at = ?1, attempts = attempts + 1,
				uncertain = (uncertain OR owner IS NOT NULL)
				WHERE seq IN (SELECT value FROM json_each(?4)) AND state = 'pending' AND (owner IS NULL OR owner <> ?2 OR claimed_at < ?3)
				RETURNING seq, id, key, lane, incident_id, kind, body, not_before, attempts, uncertain, last_error`,
				formatTime(now), s.owner, cutoff, seqsJSON(seqs))
			if err != nil {
				return err
			}
			defer rows.Close()
			var bad []incidents.Settlement
			for rows.Next() {
				e, err := scanEffect(rows)
				if err != nil && e.ID == uuid.Nil {
					return err
				}
				if err != nil {
					bad = append(bad, storeutil.Unreadable(e.ID, err))
					continue
				}
				effs = append(effs, e)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			rows.Close()
			return settle(ctx, tx, bad, s.owner, time.Now(), false)
		})
		if err != nil {
			return nil, time.Time{}, err
		}
	}
	storeutil.SortBySeq(effs)
	next, err := s.nextDue(ctx, now)
	if err != nil {
		return effs, time.Time{}, fmt.Errorf("claim effects: next: %w", err)
	}
	return effs, next, nil
}

// readSeqs reads a column of row numbers.
func readSeqs(ctx context.Context, db *stmts, query string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func seqsJSON(seqs []int64) string {
	b, _ := json.Marshal(seqs) // integers: cannot fail
	return string(b)
}

// nextDue is when the next pending effect falls due after now (zero
// when none waits for a time).
func (s *Store) nextDue(ctx context.Context, now time.Time) (time.Time, error) {
	var at sql.NullString
	if err := s.q.QueryRowContext(ctx, `SELECT min(not_before) FROM work_items
		WHERE queue = 'outbox' AND state = 'pending' AND not_before > ?`, formatTime(now)).Scan(&at); err != nil || !at.Valid {
		return time.Time{}, err
	}
	return time.Parse(timeLayout, at.String)
}

func scanEffect(row scanner) (incidents.Effect, error) {
	var (
		e                incidents.Effect
		id, kind, before string
		inc              sql.NullString
		body             []byte
	)
	if err := row.Scan(&e.Seq, &id, &e.Key, &e.Lane, &inc, &kind, &body, &before, &e.Attempts, &e.Uncertain, &e.LastError); err != nil {
		return e, err
	}
	var err error
	if e.ID, err = uuid.Parse(id); err != nil {
		return e, err
	}
	if inc.Valid {
		if e.IncidentID, err = uuid.Parse(inc.String); err != nil {
			return e, err
		}
	}
	if e.NotBefore, err = time.Parse(timeLayout, before); err != nil {
		return e, err
	}
	e.Kind = incidents.EffectKind(kind)
	return e, storeutil.DecodeEffectBody(&e, body)
}
