package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/incidents/internal/storeutil"
)

// The channel log (incidents.ChannelLog): each write is one statement, or
// two in one transaction, whose WHERE clause leaves a newer version alone,
// so redeliveries and late events, on any replica, change nothing. Rows
// of one message are locked by the upsert, so concurrent changes to it
// queue and each sees the other's result.

// messageValues are the columns a message's content sets, in the order
// of messageArgs.
const messageValues = `channel, ts, incident_id, seen, posted_at, user_id, bot_id, name, subtype, text, thread_ts, color, files,
	edited, pinned, text_at, changed_at) VALUES ($1, $2, $3, true, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`

// messageUpdate sets a stored row to the content of the one offered.
const messageUpdate = `seen = true, posted_at = excluded.posted_at, user_id = excluded.user_id, bot_id = excluded.bot_id,
	name = excluded.name, subtype = excluded.subtype, text = excluded.text, thread_ts = excluded.thread_ts,
	color = excluded.color, files = excluded.files, edited = excluded.edited, text_at = excluded.text_at,
	changed_at = GREATEST(channel_messages.changed_at, excluded.changed_at)`

func messageArgs(m incidents.ChannelMessage, files []byte) []any {
	return []any{m.Channel, m.TS, m.IncidentID, m.At, m.User, m.BotID, m.Name, m.Subtype, m.Text, m.ThreadTS,
		m.Color, string(files), m.Edited, m.Pinned, m.Changed}
}

// Record stores a message as posted; a row that only waited for it (a
// pin, reaction or deletion that came first) is filled in, keeping its
// pin. Its reactions (read from history) are added only then too.
func (s *Store) Record(ctx context.Context, m incidents.ChannelMessage) error {
	m, files, err := storeutil.PrepareChannelMessage(m)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO channel_messages ("+messageValues+` ON CONFLICT (channel, ts) DO UPDATE SET `+messageUpdate+`,
			pinned = CASE WHEN channel_messages.pin_at IS NULL THEN excluded.pinned ELSE channel_messages.pinned END
			WHERE NOT channel_messages.seen`, messageArgs(m, files)...)
		if err != nil || tag.RowsAffected() == 0 {
			return err // or stored already: a redelivery
		}
		batch := &pgx.Batch{}
		for _, r := range m.Reactions {
			for _, u := range r.Users {
				batch.Queue(`INSERT INTO channel_reactions (channel, ts, name, user_id, present, at) VALUES ($1, $2, $3, $4, true, $5)
					ON CONFLICT DO NOTHING`, m.Channel, m.TS, r.Name, u, m.Changed)
			}
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return fmt.Errorf("record message %s: %w", m.TS, err)
	}
	return nil
}

// Edit stores a newer version of a message.
func (s *Store) Edit(ctx context.Context, m incidents.ChannelMessage) error {
	m, files, err := storeutil.PrepareChannelMessage(m)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, "INSERT INTO channel_messages ("+messageValues+` ON CONFLICT (channel, ts) DO UPDATE SET `+messageUpdate+`
		WHERE channel_messages.text_at IS NULL OR channel_messages.text_at < excluded.text_at`, messageArgs(m, files)...); err != nil {
		return fmt.Errorf("edit message %s: %w", m.TS, err)
	}
	return nil
}

// Delete marks a message deleted.
func (s *Store) Delete(ctx context.Context, ref incidents.MessageRef, at time.Time) error {
	ref, err := storeutil.PrepareMessageRef(ref)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO channel_messages (channel, ts, incident_id, deleted, changed_at) VALUES ($1, $2, $3, true, $4)
		ON CONFLICT (channel, ts) DO UPDATE SET deleted = true, changed_at = GREATEST(channel_messages.changed_at, excluded.changed_at)
		WHERE NOT channel_messages.deleted`, ref.Channel, ref.TS, ref.IncidentID, storeutil.ChangedAt(at)); err != nil {
		return fmt.Errorf("delete message %s: %w", ref.TS, err)
	}
	return nil
}

// Pin pins or unpins a message.
func (s *Store) Pin(ctx context.Context, ref incidents.MessageRef, pinned bool, at time.Time) error {
	ref, err := storeutil.PrepareMessageRef(ref)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO channel_messages (channel, ts, incident_id, pinned, pin_at, changed_at) VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (channel, ts) DO UPDATE SET pinned = excluded.pinned, pin_at = excluded.pin_at,
			changed_at = GREATEST(channel_messages.changed_at, excluded.changed_at)
		WHERE channel_messages.pin_at IS NULL OR channel_messages.pin_at < excluded.pin_at`,
		ref.Channel, ref.TS, ref.IncidentID, pinned, storeutil.ChangedAt(at)); err != nil {
		return fmt.Errorf("pin message %s: %w", ref.TS, err)
	}
	return nil
}

// React adds or removes one person's reaction.
func (s *Store) React(ctx context.Context, ref incidents.MessageRef, r incidents.Reacting) error {
	ref, err := storeutil.PrepareMessageRef(ref)
	if err != nil {
		return err
	}
	if r, err = storeutil.PrepareReacting(r); err != nil {
		return err
	}
	when := storeutil.ChangedAt(r.At)
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO channel_messages (channel, ts, incident_id, changed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, ts) DO UPDATE SET changed_at = GREATEST(channel_messages.changed_at, excluded.changed_at)`,
		ref.Channel, ref.TS, ref.IncidentID, when)
	batch.Queue(`INSERT INTO channel_reactions (channel, ts, name, user_id, present, at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (channel, ts, name, user_id) DO UPDATE SET present = excluded.present, at = excluded.at
		WHERE channel_reactions.at < excluded.at`, ref.Channel, ref.TS, r.Name, r.User, r.Added, when)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, batch).Close() })
	if err != nil {
		return fmt.Errorf("react to %s: %w", ref.TS, err)
	}
	return nil
}

// Messages returns the channel's messages that arrived, in ts order.
func (s *Store) Messages(ctx context.Context, channel string) ([]incidents.ChannelMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT ts, incident_id, posted_at, user_id, bot_id, name, subtype, text, thread_ts, color, files,
		edited, deleted, pinned, changed_at FROM channel_messages WHERE channel = $1 AND seen ORDER BY ts COLLATE "C"`, channel)
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", channel, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (incidents.ChannelMessage, error) {
		m := incidents.ChannelMessage{Channel: channel}
		var posted *time.Time
		var files []byte
		if err := row.Scan(&m.TS, &m.IncidentID, &posted, &m.User, &m.BotID, &m.Name, &m.Subtype, &m.Text, &m.ThreadTS, &m.Color, &files,
			&m.Edited, &m.Deleted, &m.Pinned, &m.Changed); err != nil {
			return m, err
		}
		if posted != nil {
			m.At = posted.UTC()
		}
		m.Changed = m.Changed.UTC()
		var err error
		m.Files, err = storeutil.DecodeChannelFiles(files)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", channel, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	rows, err = s.pool.Query(ctx, `SELECT ts, name, user_id FROM channel_reactions WHERE channel = $1 AND present
		ORDER BY ts COLLATE "C", name COLLATE "C", at, user_id`, channel)
	if err != nil {
		return nil, fmt.Errorf("reactions in %s: %w", channel, err)
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([3]string, error) {
		var r [3]string
		return r, row.Scan(&r[0], &r[1], &r[2])
	})
	if err != nil {
		return nil, fmt.Errorf("reactions in %s: %w", channel, err)
	}
	storeutil.AttachReactions(out, rs)
	return out, nil
}

// CaptureStarted records a start of capture.
func (s *Store) CaptureStarted(ctx context.Context, at time.Time) error {
	if _, err := s.pool.Exec(ctx, "INSERT INTO capture_starts (at) VALUES ($1) ON CONFLICT DO NOTHING", storeutil.ChangedAt(at)); err != nil {
		return fmt.Errorf("record capture start: %w", err)
	}
	return nil
}

// CaptureStarts returns the last start at or before since and those after.
func (s *Store) CaptureStarts(ctx context.Context, since time.Time) ([]time.Time, error) {
	rows, err := s.pool.Query(ctx, `(SELECT at FROM capture_starts WHERE at <= $1 ORDER BY at DESC LIMIT 1)
		UNION ALL (SELECT at FROM capture_starts WHERE at > $1) ORDER BY at`, since)
	if err != nil {
		return nil, fmt.Errorf("capture starts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (time.Time, error) {
		var t time.Time
		err := row.Scan(&t)
		return t.UTC(), err
	})
	if err != nil {
		return nil, fmt.Errorf("capture starts: %w", err)
	}
	return out, nil
}
