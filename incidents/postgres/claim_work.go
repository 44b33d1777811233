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

// claimEffects takes the due heads of lanes nobody alive holds. The lanes
// are walked one index seek at a time (the recursive part) and each
// lane's first pending row is one more, so the cost follows the number
// of lanes, not of rows owed. The lane heads come from one snapshot; FOR
// UPDATE … SKIP LOCKED then lets two replicas claim at once without
// taking the same row, and the repeated state test drops a head another
// replica settled meanwhile. A lane whose later effect is in flight (an
// earlier one was put back by a repair) waits for it: one effect of a
// lane at a time.
var claimEffects = `WITH RECURSIVE lanes(lane) AS (
		(SELECT lane FROM work_items WHERE queue = 'outbox' AND state = 'pending' ORDER BY lane LIMIT 1)
		UNION ALL
		SELECT (SELECT l.lane FROM work_items l WHERE l.queue = 'outbox' AND l.state = 'pending' AND l.lane > lanes.lane
			ORDER BY l.lane LIMIT 1)
		FROM lanes WHERE lanes.lane IS NOT NULL
	), heads AS (
		SELECT (SELECT h.seq FROM work_items h WHERE h.queue = 'outbox' AND h.state = 'pending' AND h.lane = lanes.lane
			ORDER BY h.seq LIMIT 1) AS seq
		FROM lanes WHERE lanes.lane IS NOT NULL
	), picked AS (
		SELECT w.seq FROM work_items w JOIN heads USING (seq)
		WHERE w.state = 'pending' AND w.not_before <= $1
			AND (w.owner IS NULL OR w.claimed_at < $2 OR (w.owner <> ALL($5) AND w.owner NOT IN (` + liveOwners + `)))
			AND NOT EXISTS (SELECT 1 FROM work_items b
				WHERE b.queue = 'outbox' AND b.lane = w.lane AND b.state = 'pending' AND b.owner IS NOT NULL
					AND b.seq > w.seq AND b.claimed_at >= $2 AND (b.owner = ANY($5) OR b.owner IN (` + liveOwners + `)))
		ORDER BY w.seq LIMIT $3
		FOR UPDATE OF w SKIP LOCKED
	)
	UPDATE work_items w SET owner = $4, claimed_at = $1, attempts = w.attempts + 1,
		uncertain = w.uncertain OR w.owner IS NOT NULL
	FROM picked WHERE w.seq = picked.seq
	RETURNING w.seq, w.id, w.key, w.lane, w.incident_id, w.kind, w.body, w.not_before, w.attempts, w.uncertain, w.last_error`

// ClaimEffects claims due lane heads for this process.
func (s *Store) ClaimEffects(ctx context.Context, now time.Time, limit int) ([]incidents.Effect, time.Time, error) {
	if err := storeutil.CheckDueLimit(limit); err != nil {
		return nil, time.Time{}, err
	}
	owner, err := s.presence.claimant()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("claim effects: %w", err)
	}
	now = storeutil.StoredTime(now)
	rows, err := s.pool.Query(ctx, claimEffects, now, now.Add(-storeutil.EffectLease), limit, owner, s.presence.alive())
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("claim effects: %w", err)
	}
	defer rows.Close()
	var (
		effs []incidents.Effect
		bad  []incidents.Settlement
	)
	for rows.Next() {
		e, err := scanEffect(rows)
		switch {
		case err == nil:
			effs = append(effs, e)
		case e.ID != uuid.Nil:
			bad = append(bad, storeutil.Unreadable(e.ID, err))
		default:
			return effs, time.Time{}, fmt.Errorf("claim effects: %w", err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return effs, time.Time{}, fmt.Errorf("claim effects: %w", err)
	}
	if err := s.settle(ctx, bad, "settle unreadable effects"); err != nil {
		return effs, time.Time{}, err
	}
	storeutil.SortBySeq(effs)
	var next *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT min(not_before) FROM work_items
		WHERE queue = 'outbox' AND state = 'pending' AND not_before > $1`, now).Scan(&next); err != nil {
		return effs, time.Time{}, fmt.Errorf("claim effects: next: %w", err)
	}
	if next == nil {
		return effs, time.Time{}, nil
	}
	return effs, next.UTC(), nil
}

func scanEffect(row pgx.CollectableRow) (incidents.Effect, error) {
	var (
		e    incidents.Effect
		inc  *uuid.UUID
		kind string
		body []byte
	)
	if err := row.Scan(&e.Seq, &e.ID, &e.Key, &e.Lane, &inc, &kind, &body, &e.NotBefore, &e.Attempts, &e.Uncertain, &e.LastError); err != nil {
		return e, err
	}
	if inc != nil {
		e.IncidentID = *inc
	}
	e.Kind, e.NotBefore = incidents.EffectKind(kind), e.NotBefore.UTC()
	return e, storeutil.DecodeEffectBody(&e, body)
}

// Taking back one's own job (the recheck) is not another attempt.
var claimJobs = `UPDATE work_items w SET owner = $4, claimed_at = $1,
	attempts = CASE WHEN w.owner = $4 THEN w.attempts ELSE w.attempts + 1 END
	WHERE w.seq IN (
		SELECT seq FROM work_items
		WHERE queue = 'inbox' AND state = 'pending' AND not_before <= $1
			AND (owner IS NULL OR claimed_at < $2 OR (owner <> ALL($6) AND owner NOT IN (` + liveOwners + `))
				OR (owner = $4 AND claimed_at < $5))
		ORDER BY seq LIMIT $3
		FOR UPDATE SKIP LOCKED)
	RETURNING w.id, w.key, w.kind, w.body, w.not_before, w.created_at, w.attempts, w.last_error`

// ClaimJobs claims due jobs nobody alive holds, and this process's own
// held longer than OwnJobRecheck.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, limit int) ([]incidents.Job, error) {
	if err := storeutil.CheckDueLimit(limit); err != nil {
		return nil, err
	}
	owner, err := s.presence.claimant()
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	now = storeutil.StoredTime(now)
	rows, err := s.pool.Query(ctx, claimJobs, now, now.Add(-storeutil.JobLease), limit, owner, now.Add(-storeutil.OwnJobRecheck), s.presence.alive())
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	jobs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (incidents.Job, error) {
		var j incidents.Job
		err := row.Scan(&j.ID, &j.Key, &j.Kind, &j.Payload, &j.NotBefore, &j.Received, &j.Attempts, &j.LastError)
		j.NotBefore, j.Received = j.NotBefore.UTC(), j.Received.UTC()
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return jobs, nil
}

// AddJobs stores jobs held by this process and says which were new.
func (s *Store) AddJobs(ctx context.Context, jobs []incidents.Job) ([]bool, error) {
	jobs, err := storeutil.PrepareJobs(jobs, time.Now())
	if err != nil {
		return nil, err
	}
	owner, err := s.presence.claimant()
	if err != nil {
		return nil, fmt.Errorf("add jobs: %w", err)
	}
	b := &pgx.Batch{}
	for _, j := range jobs {
		b.Queue(`INSERT INTO work_items (id, queue, key, lane, kind, body, not_before, owner, claimed_at, attempts, created_at)
			VALUES ($1, 'inbox', $2, $2, $3, $4, $5, $6, $7, 1, $7) ON CONFLICT (queue, key) DO NOTHING`,
			j.ID, j.Key, j.Kind, j.Payload, j.NotBefore, owner, j.Received)
	}
	// One round trip: a batch outside a transaction runs as one implicit
	// transaction, all or nothing, which is what the acknowledgement
	// waits for.
	added := make([]bool, len(jobs))
	br := s.intake.SendBatch(ctx, b)
	for i := range jobs {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return nil, fmt.Errorf("add jobs: %w", err)
		}
		added[i] = tag.RowsAffected() == 1
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("add jobs: %w", err)
	}
	return added, nil
}
