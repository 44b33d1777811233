package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// A row held by another owner was held by a process that has died: the
// embedded store serves one process (see the migration 0005 comment).
const effectHeads = `SELECT seq FROM work_items w
	WHERE queue = 'outbox' AND state = 'pending' AND not_before <= ?1
		AND (owner IS NULL OR owner <> ?2 OR claimed_at < ?3)
		AND NOT EXISTS (SELECT 1 FROM work_items p WHERE p.queue = 'outbox' AND p.state = 'pending'
			AND p.lane = w.lane AND p.seq < w.seq)
	ORDER BY seq LIMIT ?4`

// ClaimEffects claims due lane heads for this process. The transaction
// holds the write lock from its start, so finding and claiming is atomic.
func (s *Store) ClaimEffects(ctx context.Context, now time.Time, limit int) ([]incidents.Effect, time.Time, error) {
	if err := storeutil.CheckDueLimit(limit); err != nil {
		return nil, time.Time{}, err
	}
	var (
		effs []incidents.Effect
		next time.Time
	)
	err := s.inTx(ctx, "claim effects", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE work_items SET owner = ?2, claimed_at = ?1, attempts = attempts + 1,
			uncertain = (uncertain OR owner IS NOT NULL)
			WHERE seq IN (`+effectHeads+`)
			RETURNING seq, id, key, lane, incident_id, kind, body, not_before, attempts, uncertain, last_error`,
			formatTime(now), s.owner, formatTime(now.Add(-storeutil.EffectLease)), limit)
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
		if err := rows.Err(); err != nil {
			return err
		}
		var at sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT min(not_before) FROM work_items
			WHERE queue = 'outbox' AND state = 'pending' AND not_before > ?`, formatTime(now)).Scan(&at); err != nil {
			return err
		}
		if at.Valid {
			next, err = time.Parse(timeLayout, at.String)
		}
		return err
	})
	storeutil.SortBySeq(effs)
	return effs, next, err
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
	var jobs []incidents.Job
	err := s.inTx(ctx, "claim jobs", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE work_items SET owner = ?2, claimed_at = ?1, attempts = attempts + 1
			WHERE seq IN (SELECT seq FROM work_items WHERE queue = 'inbox' AND state = 'pending' AND not_before <= ?1
				AND (owner IS NULL OR owner <> ?2 OR claimed_at < ?3) ORDER BY seq LIMIT ?4)
			RETURNING id, key, kind, body, not_before, created_at, attempts, last_error`,
			formatTime(now), s.owner, formatTime(now.Add(-storeutil.JobLease)), limit)
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
