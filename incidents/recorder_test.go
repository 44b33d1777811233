package incidents_test

import (
	"context"

	"github.com/incident-bot/incident-bot/incidents"
)

// recorder reads what the timers owe people from the outbox: the
// reminders and escalations posted in incident channels.
type recorder struct {
	st incidents.Store
}

// notices lists the effects of kind among the posts to incident channels.
func (r *recorder) notices(kind incidents.EventKind) []incidents.Effect {
	incs, err := r.st.List(context.Background(), incidents.ListFilter{})
	if err != nil {
		panic(err)
	}
	var out []incidents.Effect
	for _, inc := range incs {
		effs, err := r.st.Effects(context.Background(), incidents.LaneOf(inc.ID))
		if err != nil {
			panic(err)
		}
		for _, e := range effs {
			if e.Kind == incidents.EffectPost && e.Data["to"] == incidents.ToChannel && e.Event.Kind == kind {
				out = append(out, e.Effect)
			}
		}
	}
	return out
}

func (r *recorder) counts() (int, int) {
	return len(r.notices(incidents.EventReminder)), len(r.notices(incidents.EventEscalated))
}

// groups are the user groups escalated to, in order.
func (r *recorder) groups() []string {
	var out []string
	for _, e := range r.notices(incidents.EventEscalated) {
		out = append(out, e.Event.Data["group"])
	}
	return out
}
