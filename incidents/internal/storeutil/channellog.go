package storeutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// PrepareChannelMessage brings a channel message into the form both
// stores keep: text they can hold (Slack's events are outside input),
// times at microseconds, files as JSON. A message must name its incident,
// channel and ts.
func PrepareChannelMessage(m incidents.ChannelMessage) (incidents.ChannelMessage, []byte, error) {
	ref, err := PrepareMessageRef(incidents.MessageRef{IncidentID: m.IncidentID, Channel: m.Channel, TS: m.TS})
	if err != nil {
		return m, nil, err
	}
	m.Channel, m.TS = ref.Channel, ref.TS
	for _, f := range []*string{&m.User, &m.BotID, &m.Name, &m.Subtype, &m.Text, &m.ThreadTS, &m.Color} {
		*f = Clean(*f)
	}
	files := make([]incidents.ChannelFile, 0, len(m.Files))
	for _, f := range m.Files {
		files = append(files, incidents.ChannelFile{Name: Clean(f.Name), URL: Clean(f.URL)})
	}
	raw, err := json.Marshal(files)
	if err != nil {
		return m, nil, fmt.Errorf("encode files: %w", err)
	}
	m.Reactions = slices.Clone(m.Reactions)
	for i, r := range m.Reactions {
		users := make([]string, len(r.Users))
		for j, u := range r.Users {
			users[j] = Clean(u)
		}
		m.Reactions[i] = incidents.ChannelReaction{Name: Clean(r.Name), Users: users}
	}
	if m.Changed.IsZero() {
		m.Changed = m.At
	}
	m.At, m.Changed = StoredTime(m.At), ChangedAt(m.Changed)
	return m, raw, nil
}

// PrepareMessageRef checks that ref names a message and cleans it.
func PrepareMessageRef(ref incidents.MessageRef) (incidents.MessageRef, error) {
	ref.Channel, ref.TS = Clean(ref.Channel), Clean(ref.TS)
	if ref.Channel == "" || ref.TS == "" {
		return ref, errors.New("a channel message needs a channel and a ts")
	}
	if ref.IncidentID == uuid.Nil {
		return ref, fmt.Errorf("channel message %s in %s names no incident", ref.TS, ref.Channel)
	}
	return ref, nil
}

// PrepareReacting cleans a reaction change and checks it names someone.
func PrepareReacting(r incidents.Reacting) (incidents.Reacting, error) {
	r.Name, r.User, r.At = Clean(r.Name), Clean(r.User), StoredTime(r.At)
	if r.Name == "" || r.User == "" {
		return r, errors.New("a reaction needs an emoji and a person")
	}
	return r, nil
}

// ChangedAt is when a change happened, as stored: the zero time (a
// caller that did not say) counts as now.
func ChangedAt(at time.Time) time.Time {
	if at.IsZero() {
		at = time.Now()
	}
	return StoredTime(at)
}

// DecodeChannelFiles reads the files of a stored message.
func DecodeChannelFiles(raw []byte) ([]incidents.ChannelFile, error) {
	var files []incidents.ChannelFile
	if len(raw) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &files); err != nil {
		return nil, fmt.Errorf("decode files: %w", err)
	}
	if len(files) == 0 {
		return nil, nil
	}
	return files, nil
}

// AttachReactions gives each message its reactions, read as (ts, name,
// user) rows in order.
func AttachReactions(msgs []incidents.ChannelMessage, rows [][3]string) {
	at := map[string]int{}
	for i, m := range msgs {
		at[m.TS] = i
	}
	for _, r := range rows {
		i, ok := at[r[0]]
		if !ok {
			continue // a reaction to a message not seen yet
		}
		rs := msgs[i].Reactions
		if n := len(rs); n > 0 && rs[n-1].Name == r[1] {
			rs[n-1].Users = append(rs[n-1].Users, r[2])
		} else {
			rs = append(rs, incidents.ChannelReaction{Name: r[1], Users: []string{r[2]}})
		}
		msgs[i].Reactions = rs
	}
}
