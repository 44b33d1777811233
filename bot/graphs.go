package bot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
)

// ActionRefreshGraph is the opening message's "Refresh graph" button;
// its value is the incident ID.
const ActionRefreshGraph = "incident_refresh_graph"

// Graph is a drawn alert graph: the PNG, its title, and a line to post
// with it (plain text).
type Graph struct {
	PNG            []byte
	Title, Comment string
}

// GraphRenderer draws an alert's graph from the JSON its event keeps, for
// why it is drawn (opened, joined, recovered, refresh). ErrNoGraph says
// there is nothing to draw here (Prometheus without PROMETHEUS_URL):
// nothing is posted. Any other error is posted as one line.
type GraphRenderer interface {
	RenderGraph(ctx context.Context, graph, why string) (Graph, error)
	// Draws says whether the graph can be drawn here at all (a
	// Prometheus alert's, only with PROMETHEUS_URL): no Refresh graph
	// button offers what a click would not do.
	Draws(graph string) bool
}

// ErrNoGraph: the alert's graph cannot be drawn here, and that is normal.
var ErrNoGraph = errors.New("no graph to draw here")

// graphAPI is the slice of Slack graphs use.
type graphAPI interface {
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
}

// doGraph draws a graph into the thread of the message it goes under
// (an alert's: the incident's opening message; a check's: the thread
// of its result), once that message is posted: the files upload's three
// calls. A graph that cannot be drawn is a line in the thread instead;
// it never fails the incident.
func (p *performer) doGraph(ctx context.Context, e incidents.Effect, inc incidents.Incident) (map[string]string, error) {
	if p.graphs == nil {
		return nil, nil
	}
	intro, state, err := p.svc.EffectResult(ctx, incidents.LaneOf(inc.ID), e.Data["thread_key"])
	switch {
	case err != nil:
		return nil, err
	case state == incidents.EffectPending && e.Attempts < maxGraphWaits:
		// On its own lane, the graph may be ready before the channel and
		// the message it goes under.
		return nil, &incidents.DeliveryError{Reason: "the message it goes under is not posted yet", RetryAfter: 2 * time.Second}
	case state == incidents.EffectPending:
		// A graph minutes late shows nothing new: dropped without a word.
		return nil, &incidents.DeliveryError{Reason: "the message was not posted in time for the graph", Permanent: true, Quiet: true}
	case state != incidents.EffectDone:
		return nil, errNoChannel // no message to go under: people were told why
	case inc.ChannelID == "":
		// The incident was read before the message's lane finished: read
		// it again, now that its channel exists.
		if inc, err = p.svc.Get(ctx, inc.ID); err != nil {
			return nil, err
		}
	}
	thread, name := intro["ts"], graphFileName(e.Key)
	if t := e.Data["thread"]; t != "" {
		// The message is a reply (a check's result): the graph joins its
		// thread, as Slack threads only hang from a top-level message.
		thread = t
	}
	if e.Uncertain {
		posted, err := p.graphPosted(ctx, inc.ChannelID, thread, name)
		if err != nil {
			return nil, deliveryErr(err, false) // look again rather than post twice
		}
		if posted {
			return map[string]string{"file": name}, nil
		}
	}
	g, err := p.graphs.RenderGraph(ctx, e.Data["graph"], e.Data["why"])
	switch {
	case errors.Is(err, ErrNoGraph):
		return nil, nil
	case err != nil:
		ts, err := p.postOnce(ctx, e, inc.ChannelID, thread, ":chart_with_downwards_trend: graph unavailable: "+Escape(err.Error()), nil)
		return map[string]string{"ts": ts}, err
	}
	_, err = p.uploads.UploadFileContext(ctx, slack.UploadFileParameters{Channel: inc.ChannelID, ThreadTimestamp: thread,
		Filename: name, Title: g.Title, FileSize: len(g.PNG), Reader: bytes.NewReader(g.PNG), InitialComment: Escape(g.Comment)})
	if err != nil {
		return nil, quietly(deliveryErr(err, true))
	}
	return map[string]string{"file": name}, nil
}

// maxGraphWaits bounds how long a graph waits for the message it goes
// under: about a minute of 2-second waits.
const maxGraphWaits = 30

// quietly makes Slack's refusal of a graph quiet: the incident goes on,
// and a missing graph is not a failure to tell anyone about.
func quietly(err error) error {
	if de, ok := errors.AsType[*incidents.DeliveryError](err); ok && de.Permanent {
		de.Quiet = true
	}
	return err
}

// graphFileName names a graph's file after its effect, so a retry after
// an uncertain attempt can tell whether the upload happened.
func graphFileName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "graph-" + hex.EncodeToString(sum[:5]) + ".png"
}

// graphPosted says whether the thread already has the graph's file.
func (p *performer) graphPosted(ctx context.Context, channel, thread, name string) (bool, error) {
	msgs, err := p.latest(ctx, channel, thread)
	if err != nil {
		return false, err
	}
	for _, m := range msgs {
		for _, f := range m.Files {
			if f.Name == name {
				return true, nil
			}
		}
	}
	return false, nil
}

// refreshGraph answers Refresh graph: the latest alert of the incident
// that has a graph is drawn again.
func (l *lifecycle) refreshGraph(ctx context.Context, b button) error {
	tl, err := l.svc.Timeline(ctx, b.inc.ID)
	if err != nil {
		return err
	}
	for i := len(tl) - 1; i >= 0; i-- {
		if g := tl[i].Data["graph"]; tl[i].Kind == incidents.EventAlert && g != "" && l.graphs != nil && l.graphs.Draws(g) {
			return change(l.svc.RequestGraph(ctx, b.inc.ID, b.by, g))
		}
	}
	return incidents.Errorf(incidents.ENOTFOUND, "None of this incident's alerts has a graph to draw.")
}
