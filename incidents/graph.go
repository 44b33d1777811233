package incidents

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// Graphs: when an alert that can be drawn opens or joins an incident, or
// recovers, the bot draws its metric into the thread of the incident's
// opening message. A graph is an effect on a lane of its own, so drawing
// (an AWS or Prometheus call) never holds up the incident's messages, and
// a graph that cannot be drawn is one line, never a failure.

// EffectGraph draws an alert's graph, or a metric a check read (Data:
// graph — the graph as JSON, why — opened, joined, recovered, refresh or
// check, thread_key — the effect, on the incident's lane, whose message
// the graph goes under; thread — optional, the thread that message was
// posted in, when it is a reply: the graph joins that thread).
const EffectGraph EffectKind = "graph"

// ThreadOfPost, as the thread_key of a graph given with an event to
// Record or Audit, stands for the key of the post given with it: a
// check's graphs go under its result.
const ThreadOfPost = "@post"

// EventGraphRequested: someone asked for the graph again (Refresh graph).
const EventGraphRequested EventKind = "graph_requested"

// GraphLane is the lane of an incident's graphs.
func GraphLane(id uuid.UUID) string { return "graph:" + id.String() }

// IntroKey is the key of the effect that posts an incident's opening
// alert message: graphs go in its thread.
func IntroKey(id uuid.UUID) string { return setupKey(Incident{ID: id}, "intro") }

// graphEffect draws ev's graph (an alert event), if it has one.
func graphEffect(incID uuid.UUID, key string, ev Event, why string) (Effect, bool) {
	g := ev.Data["graph"]
	if ev.Kind != EventAlert || g == "" {
		return Effect{}, false
	}
	return Effect{Key: key, Lane: GraphLane(incID), IncidentID: incID, Kind: EffectGraph,
		Data: map[string]string{"graph": g, "why": why, "thread_key": IntroKey(incID)}}, true
}

// openingGraph draws the graph of the alert that opened an incident.
func openingGraph(id uuid.UUID, opening *Event) []Effect {
	if opening == nil {
		return nil
	}
	if e, ok := graphEffect(id, "graph:"+id.String()+":opened", *opening, "opened"); ok {
		return []Effect{e}
	}
	return nil
}

// maxNoticeGraphs bounds the graphs one notice brings: a storm of fifty
// alarms joining is told in one message, and fifty graphs would be fifty
// renders and uploads in one thread; the first few show the shape.
const maxNoticeGraphs = 3

// alertGraphs are the graphs of the alert lines a notice tells (joined
// alerts and recoveries), the first maxNoticeGraphs of them.
func alertGraphs(incID uuid.UUID, key string, events []Event) []Effect {
	var out []Effect
	for i, ev := range events {
		if len(out) == maxNoticeGraphs {
			break
		}
		why := "joined"
		if ev.Data["status"] == "resolved" {
			why = "recovered"
		}
		if e, ok := graphEffect(incID, fmt.Sprintf("%s:graph:%d", key, i), ev, why); ok {
			out = append(out, e)
		}
	}
	return out
}

// RequestGraph draws an alert's graph again (the Refresh graph button):
// graph is the alert's graph as its event keeps it.
func (s *Service) RequestGraph(ctx context.Context, id uuid.UUID, by By, graph string) (Incident, error) {
	return s.update(ctx, id, by.Key, func(inc *Incident) (Change, error) {
		ev := s.event(inc.ID, s.clock.Now(), by.User, EventGraphRequested, "Graph refreshed", map[string]string{})
		e, _ := graphEffect(inc.ID, ev.ID.String()+":graph", Event{Kind: EventAlert, Data: map[string]string{"graph": graph}}, "refresh")
		return Change{Events: []Event{ev}, Effects: []Effect{e}}, nil
	})
}

// EffectResult is where the effect key on lane is, and what it produced
// once done; "" when there is no such effect.
func (s *Service) EffectResult(ctx context.Context, lane, key string) (map[string]string, EffectState, error) {
	recs, err := s.store.Effects(ctx, lane)
	if err != nil {
		return nil, "", err
	}
	for _, r := range recs {
		if r.Key == key {
			return r.Result, r.State, nil
		}
	}
	return nil, "", nil
}
