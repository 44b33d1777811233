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

// The channel log (incidents.ChannelLog): each write is one statement, or
// two in one transaction, whose WHERE clause leaves a newer version alone,
// so redeliveries and late events change nothing.

// messageValues are the columns a message's content sets, in the order
// of messageArgs.
const messageValues = `channel, ts, incident_id, seen, posted_at, user_id, bot_id, name, subtype, text, thread_ts, color, files,
	edited, pinned, text_at, changed_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// messageUpdate sets a stored row to the content of the one offered.
const messageUpdate = `seen = 1, posted_at = excluded.posted_at, user_id = excluded.user_id, bot_id = excluded.bot_id,
	name = excluded.name, subtype = excluded.subtype, text = excluded.text, thread_ts = excluded.thread_ts,
	color = excluded.color, files = excluded.files, edited = excluded.edited, text_at = excluded.text_at,
	changed_at = max(channel_messages.changed_at, excluded.changed_at)`

func messageArgs(m incidents.ChannelMessage, files []byte) []any {
	return []any{m.Channel, m.TS, m.IncidentID.String(), formatTime(m.At), m.User, m.BotID, m.Name, m.Subtype, m.Text, m.ThreadTS,
		m.Color, string(files), m.Edited, m.Pinned, formatTime(m.Changed), formatTime(m.Changed)}
}

// Record stores a message as posted; a row that only waited for it (a
// pin, reaction or deletion that came first) is filled in, keeping its
// pin. Its reactions (read from history) are added only then too.
func (s *Store) Record(ctx context.Context, m incidents.ChannelMessage) error {
	m, files, err := storeutil.PrepareChannelMessage(m)
	if err != nil {
		return err
	}
	tx, done, err := s.begin(ctx, false)
	if err != nil {
		return fmt.Errorf("record message: %w", err)
	}
	defer done()
	res, err := tx.ExecContext(ctx, "INSERT INTO channel_messages ("+messageValues+` ON CONFLICT (channel, ts) DO UPDATE SET `+messageUpdate+`,
		pinned = CASE WHEN channel_messages.pin_at IS NULL THEN excluded.pinned ELSE channel_messages.pinned END
		WHERE channel_messages.seen = 0`, messageArgs(m, files)...)
	if err != nil {
		return fmt.Errorf("record message %s: %w", m.TS, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // stored already: a redelivery
	}
	for _, r := range m.Reactions {
		for _, u := range r.Users {
			if _, err := tx.ExecContext(ctx, `INSERT INTO channel_reactions (channel, ts, name, user_id, present, at) VALUES (?, ?, ?, ?, 1, ?)
				ON CONFLICT DO NOTHING`, m.Channel, m.TS, r.Name, u, formatTime(m.Changed)); err != nil {
				return fmt.Errorf("record reactions of %s: %w", m.TS, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record message %s: commit: %w", m.TS, err)
	}
	return nil
}

// Edit stores a newer version of a message.
func (s *Store) Edit(ctx context.Context, m incidents.ChannelMessage) error {
	m, files, err := storeutil.PrepareChannelMessage(m)
	if err != nil {
		return err
	}
	defer s.w.hold(false)()
	if _, err := s.db.ExecContext(ctx, "INSERT INTO channel_messages ("+messageValues+` ON CONFLICT (channel, ts) DO UPDATE SET `+messageUpdate+`
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
	defer s.w.hold(false)()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO channel_messages (channel, ts, incident_id, deleted, changed_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (channel, ts) DO UPDATE SET deleted = 1, changed_at = max(channel_messages.changed_at, excluded.changed_at)
		WHERE channel_messages.deleted = 0`, ref.Channel, ref.TS, ref.IncidentID.String(), formatTime(storeutil.ChangedAt(at))); err != nil {
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
	when := formatTime(storeutil.ChangedAt(at))
	defer s.w.hold(false)()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO channel_messages (channel, ts, incident_id, pinned, pin_at, changed_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel, ts) DO UPDATE SET pinned = excluded.pinned, pin_at = excluded.pin_at,
			changed_at = max(channel_messages.changed_at, excluded.changed_at)
		WHERE channel_messages.pin_at IS NULL OR channel_messages.pin_at < excluded.pin_at`,
		ref.Channel, ref.TS, ref.IncidentID.String(), pinned, when, when); err != nil {
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
	when := formatTime(storeutil.ChangedAt(r.At))
	tx, done, err := s.begin(ctx, false)
	if err != nil {
		return fmt.Errorf("react: %w", err)
	}
	defer done()
	if _, err := tx.ExecContext(ctx, `INSERT INTO channel_messages (channel, ts, incident_id, changed_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel, ts) DO UPDATE SET changed_at = max(channel_messages.changed_at, excluded.changed_at)`,
		ref.Channel, ref.TS, ref.IncidentID.String(), when); err != nil {
		return fmt.Errorf("react to %s: %w", ref.TS, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO channel_reactions (channel, ts, name, user_id, present, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel, ts, name, user_id) DO UPDATE SET present = excluded.present, at = excluded.at
		WHERE channel_reactions.at < excluded.at`, ref.Channel, ref.TS, r.Name, r.User, r.Added, when); err != nil {
		return fmt.Errorf("react to %s: %w", ref.TS, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("react to %s: commit: %w", ref.TS, err)
	}
	return nil
}

// Messages returns the channel's messages that arrived, in ts order.
func (s *Store) Messages(ctx context.Context, channel string) ([]incidents.ChannelMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT ts, incident_id, posted_at, user_id, bot_id, name, subtype, text, thread_ts, color, files,
		edited, deleted, pinned, changed_at FROM channel_messages WHERE channel = ? AND seen = 1 ORDER BY ts`, channel)
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", channel, err)
	}
	defer rows.Close()
	var out []incidents.ChannelMessage
	for rows.Next() {
		m := incidents.ChannelMessage{Channel: channel}
		var id, changed, files string
		var posted sql.NullString
		if err := rows.Scan(&m.TS, &id, &posted, &m.User, &m.BotID, &m.Name, &m.Subtype, &m.Text, &m.ThreadTS, &m.Color, &files,
			&m.Edited, &m.Deleted, &m.Pinned, &changed); err != nil {
			return nil, fmt.Errorf("messages of %s: %w", channel, err)
		}
		if err := decodeMessage(&m, id, posted.String, changed, files); err != nil {
			return nil, fmt.Errorf("message %s of %s: %w", m.TS, channel, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages of %s: %w", channel, err)
	}
	return out, s.attachReactions(ctx, channel, out)
}

func decodeMessage(m *incidents.ChannelMessage, id, posted, changed, files string) error {
	var err error
	if m.IncidentID, err = uuid.Parse(id); err != nil {
		return err
	}
	if posted != "" {
		if m.At, err = time.Parse(timeLayout, posted); err != nil {
			return err
		}
	}
	if m.Changed, err = time.Parse(timeLayout, changed); err != nil {
		return err
	}
	m.Files, err = storeutil.DecodeChannelFiles([]byte(files))
	return err
}

// attachReactions reads the channel's reactions onto its messages.
func (s *Store) attachReactions(ctx context.Context, channel string, msgs []incidents.ChannelMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT ts, name, user_id FROM channel_reactions WHERE channel = ? AND present = 1
		ORDER BY ts, name, at, user_id`, channel)
	if err != nil {
		return fmt.Errorf("reactions in %s: %w", channel, err)
	}
	defer rows.Close()
	var rs [][3]string
	for rows.Next() {
		var r [3]string
		if err := rows.Scan(&r[0], &r[1], &r[2]); err != nil {
			return fmt.Errorf("reactions in %s: %w", channel, err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reactions in %s: %w", channel, err)
	}
	storeutil.AttachReactions(msgs, rs)
	return nil
}

// CaptureStarted records a start of capture.
func (s *Store) CaptureStarted(ctx context.Context, at time.Time) error {
	defer s.w.hold(false)()
	if _, err := s.db.ExecContext(ctx, "INSERT INTO capture_starts (at) VALUES (?) ON CONFLICT DO NOTHING",
		formatTime(storeutil.ChangedAt(at))); err != nil {
		return fmt.Errorf("record capture start: %w", err)
	}
	return nil
}

// CaptureStarts returns the last start at or before since and those after.
func (s *Store) CaptureStarts(ctx context.Context, since time.Time) ([]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at FROM (SELECT max(at) AS at FROM capture_starts WHERE at <= ?1)
		WHERE at IS NOT NULL UNION ALL SELECT at FROM capture_starts WHERE at > ?1 ORDER BY at`, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("capture starts: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at string
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("capture starts: %w", err)
		}
		t, err := time.Parse(timeLayout, at)
		if err != nil {
			return nil, fmt.Errorf("capture starts: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
