package postmortem

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/incident-bot/incident-bot/incidents"
)

// Source is where an incident's channel is read from: Slack's history
// (the bot), a workspace export (slackexport), or nothing at all (a
// draft from the record alone).
type Source interface {
	Channel(ctx context.Context, inc incidents.Incident) (Channel, error)
}

// Record is what a draft reads of the store.
type Record interface {
	Get(ctx context.Context, id uuid.UUID) (incidents.Incident, error)
	Timeline(ctx context.Context, id uuid.UUID) ([]incidents.Event, error)
}

// Inputs are the ports a draft is made with. Names looks people up that
// the channel does not name (nil: none); Runbooks finds a runbook's
// title and likely causes for the five whys (nil: none).
type Inputs struct {
	Record   Record
	Source   Source
	Changes  Changes // nil: CloudTrail is not read
	Now      func() time.Time
	Names    func(ctx context.Context, id string) string
	Runbooks func(id string) (title string, causes []string, ok bool)
}

// Prepared is a draft and what it was made from.
type Prepared struct {
	Incident incidents.Incident
	Events   []incidents.Event
	Channel  Channel
	Changes  []Change
	Draft    Draft
}

// Prepare makes the draft of incident id: its record, its channel as the
// source has it, every person named, the last runbook's causes. The
// channel is read first: it is the slow part, and changes nothing.
func Prepare(ctx context.Context, in Inputs, id uuid.UUID, opts Options) (Prepared, error) {
	var p Prepared
	inc, err := in.Record.Get(ctx, id)
	if err != nil {
		return p, err
	}
	if in.Source != nil {
		if p.Channel, err = in.Source.Channel(ctx, inc); err != nil {
			return p, err
		}
	}
	if p.Events, err = in.Record.Timeline(ctx, id); err != nil {
		return p, err
	}
	p.Incident = inc
	if p.Channel.Users == nil {
		p.Channel.Users = map[string]string{}
	}
	if in.Names != nil {
		for _, uid := range People(inc, p.Events, p.Channel.Messages) {
			if _, ok := p.Channel.Users[uid]; !ok {
				if n := in.Names(ctx, uid); n != "" {
					p.Channel.Users[uid] = n
				}
			}
		}
	}
	if in.Runbooks != nil {
		opts.Runbook, opts.LikelyCauses = LastRunbook(p.Events, in.Runbooks)
	}
	if in.Changes != nil {
		now := time.Now
		if in.Now != nil {
			now = in.Now
		}
		from, to := changeWindow(inc, p.Events, now())
		// A draft without them is still a draft: the gap lines stay, and
		// the draft says why they were not filled.
		if opts.Changes, err = in.Changes.Changes(ctx, from, to); err != nil {
			opts.ChangesMissing = err.Error()
		}
		p.Changes = opts.Changes
	}
	var ch *Channel
	if in.Source != nil {
		ch = &p.Channel
	}
	p.Draft = Assemble(inc, p.Events, ch, opts)
	return p, nil
}
