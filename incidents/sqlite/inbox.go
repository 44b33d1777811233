package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// The inbox (the envelopes accepted, incidents.Job) lives in a file of its
// own beside the database file: SQLite takes one writer per file, and an
// envelope's acknowledgement waits for its write. In the database file it
// would wait behind whatever incident change is being written; in its own
// it waits for at most one other inbox write. See
// inbox_migrations/0001_work_items.sql.
//
//go:embed inbox_migrations/*.sql
var inboxMigrationFiles embed.FS

// InboxPath is the inbox file of the database file path: bot.db →
// bot.inbox.db, in the same directory.
func InboxPath(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".inbox" + ext
}

// openInbox opens the inbox file and brings its schema up to date. Its
// schema is versioned apart from the database file's.
func openInbox(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", InboxPath(path)+"?"+connParams)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", InboxPath(path), err)
	}
	ms, err := storeutil.LoadMigrations(inboxMigrationFiles, "inbox_migrations/*.sql")
	if err == nil {
		err = firstPing(ctx, db)
	}
	if err == nil {
		err = migrateDB(ctx, db, ms)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("inbox %s: %w", InboxPath(path), err)
	}
	return db, nil
}

// moveInbox moves requests an older version left in the database file's
// work_items into the inbox file, once: copied first (a repeat is skipped
// by key), deleted after.
func (s *Store) moveInbox(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, key, kind, body, not_before, created_at, attempts, last_error
		FROM work_items WHERE queue = 'inbox' AND state = 'pending'`)
	if err != nil {
		return fmt.Errorf("move inbox: %w", err)
	}
	type row struct {
		id, key, kind, before, created, lastErr string
		body                                    []byte
		attempts                                int
	}
	var left []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.key, &r.kind, &r.body, &r.before, &r.created, &r.attempts, &r.lastErr); err != nil {
			rows.Close()
			return fmt.Errorf("move inbox: %w", err)
		}
		left = append(left, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("move inbox: %w", err)
	}
	err = txOn(ctx, s.inbox, s.iw, s.iq, "move inbox", false, func(tx *wtx) error {
		for _, r := range left {
			if _, err := tx.ExecContext(ctx, `INSERT INTO work_items (id, queue, key, lane, kind, body, not_before, attempts, last_error, created_at)
				VALUES (?, 'inbox', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (queue, key) DO NOTHING`,
				r.id, r.key, r.key, r.kind, r.body, r.before, r.attempts, r.lastErr, r.created); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.inTx(ctx, "move inbox", false, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM work_items WHERE queue = 'inbox'")
		return err
	})
}

// SettleJobs records what became of jobs.
func (s *Store) SettleJobs(ctx context.Context, ss []incidents.Settlement) error {
	if len(ss) == 0 {
		return nil
	}
	return txOn(ctx, s.inbox, s.iw, s.iq, "settle jobs", false, func(tx *wtx) error { return settle(ctx, tx, ss, s.owner, time.Now(), false) })
}

const insertJob = `INSERT INTO work_items (id, queue, key, lane, kind, body, not_before, owner, claimed_at, attempts, created_at)
	VALUES (?, 'inbox', ?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT (queue, key) DO NOTHING`

// AddJobs stores jobs held by this process and says which were new.
func (s *Store) AddJobs(ctx context.Context, jobs []incidents.Job) ([]bool, error) {
	jobs, err := storeutil.PrepareJobs(jobs, time.Now())
	if err != nil {
		return nil, err
	}
	added := make([]bool, len(jobs))
	err = txOn(ctx, s.inbox, s.iw, s.iq, "add jobs", true, func(tx *wtx) error {
		for i, j := range jobs {
			res, err := tx.ExecContext(ctx, insertJob, j.ID.String(), j.Key, j.Key, j.Kind, j.Payload, formatTime(j.NotBefore), s.owner, formatTime(j.Received), formatTime(j.Received))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added[i] = n == 1
		}
		return nil
	})
	return added, err
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
	seqs, err := readSeqs(ctx, s.iq, `SELECT seq FROM work_items WHERE queue = 'inbox' AND state = 'pending' AND not_before <= ?1
		AND (owner IS NULL OR owner <> ?2 OR claimed_at < ?3) ORDER BY seq LIMIT ?4`, formatTime(now), s.owner, cutoff, limit)
	if err != nil || len(seqs) == 0 {
		return nil, err
	}
	var jobs []incidents.Job
	err = txOn(ctx, s.inbox, s.iw, s.iq, "claim jobs", false, func(tx *wtx) error {
		// Taking back one's own job (the recheck) is not another attempt.
		rows, err := tx.QueryContext(ctx, `UPDATE work_items SET owner = ?2, claimed_at = ?1,
			attempts = CASE WHEN owner = ?2 THEN attempts ELSE attempts + 1 END
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
