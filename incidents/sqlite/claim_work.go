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
// store serves one process (see the migration 0005 comment). The first
// pending row of each lane comes from one pass over the pending index. A
// lane whose later effect is in flight (an earlier one was put back by a
// repair) waits for it: one effect of a lane at a time.
const effectHeads = `SELECT w.seq FROM
	(SELECT min(seq) AS seq FROM work_items WHERE queue = 'outbox' AND state = 'pending' GROUP BY lane) h
	JOIN work_items w ON w.seq = h.seq
	WHERE w.not_before <= ?1 AND (w.owner IS NULL OR w.owner <> ?2 OR w.claimed_at < ?3)
		AND NOT EXISTS (SELECT 1 FROM work_items b
			WHERE b.queue = 'outbox' AND b.state = 'pending' AND b.lane = w.lane AND b.seq > w.seq
				AND b.owner = ?2 AND b.claimed_at >= ?3)
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
	seqs, err := s.seqs(ctx, effectHeads, formatTime(now), s.owner, cutoff, limit)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("claim effects: %w", err)
	}
	var effs []incidents.Effect
	if len(seqs) > 0 {
		err = s.inTx(ctx, "claim effects", false, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `UPDATE work_items SET owner = ?2, claimed_at = ?1, attempts = attempts + 1,
				uncertain = (uncertain OR owner IS NOT NULL)
				WHERE seq IN (SELECT value FROM json_each(?4)) AND state = 'pending' AND (owner IS NULL OR owner <> ?2 OR claimed_at < ?3)
				RETURNING seq, id, key, lane, incident_id, kind, body, not_before, attempts, uncertain, last_error`,
				formatTime(now), s.owner, cutoff, seqsJSON(seqs))
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				e, err := scanEffect(rows)
				if err != nil {
					return err
				}
				effs = append(effs, e)
			}
			return rows.Err()
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

// seqs reads a column of row numbers.
func (s *Store) seqs(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
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
	if err := s.db.QueryRowContext(ctx, `SELECT min(not_before) FROM work_items
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

// ClaimJobs claims due jobs nobody alive holds.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, limit int) ([]incidents.Job, error) {
	if err := storeutil.CheckDueLimit(limit); err != nil {
		return nil, err
	}
	// Read first, claim after, as for effects: the sweep runs every
	// second and mostly finds nothing, which needs no write lock. The
	// embedded store has one process, so the only live holder is this
	// one, and the cutoff is the recheck of its own jobs.
	cutoff := formatTime(now.Add(-storeutil.OwnJobRecheck))
	seqs, err := s.seqs(ctx, `SELECT seq FROM work_items WHERE queue = 'inbox' AND state = 'pending' AND not_before <= ?1
		AND (owner IS NULL OR owner <> ?2 OR claimed_at < ?3) ORDER BY seq LIMIT ?4`, formatTime(now), s.owner, cutoff, limit)
	if err != nil || len(seqs) == 0 {
		return nil, err
	}
	var jobs []incidents.Job
	err = s.inTx(ctx, "claim jobs", false, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE work_items SET owner = ?2, claimed_at = ?1, attempts = attempts + 1
			WHERE seq IN (SELECT value FROM json_each(?4)) AND state = 'pending' AND (owner IS NULL OR owner <> ?2 OR claimed_at < ?3)
			RETURNING id, key, kind, body, not_before, created_at, attempts, last_error`,
			formatTime(now), s.owner, cutoff, seqsJSON(seqs))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				j                    incidents.Job
				id, before, received string
			)
			if err := rows.Scan(&id, &j.Key, &j.Kind, &j.Payload, &before, &received, &j.Attempts, &j.LastError); err != nil {
				return err
			}
			if j.ID, err = uuid.Parse(id); err != nil {
				return err
			}
			if j.NotBefore, err = time.Parse(timeLayout, before); err != nil {
				return err
			}
			if j.Received, err = time.Parse(timeLayout, received); err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	return jobs, err
}
