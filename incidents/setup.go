package incidents

import (
	"fmt"
	"sort"
	"strings"
)

// The set-up steps of every incident, in order. Their keys are stable
// (setupKey), so an interrupted set-up resumes where it stopped and a
// repair adds only what is missing.
var setupSteps = []string{"channel", "topic", "invite", "header", "intro", "runbook", "announce"}

func setupKey(inc Incident, step string) string { return "setup:" + inc.ID.String() + ":" + step }

// setupEffects are the effects that give a new incident its Slack
// presence: channel, topic, the reporter invited, header, the opening
// alert, the runbook card and the announcement.
func (s *Service) setupEffects(inc Incident, declared Event, d Declaration) []Effect {
	notify := d.Reporter
	var out []Effect
	for _, step := range setupSteps {
		e := Effect{Key: setupKey(inc, step), Data: map[string]string{"notify": notify, "step": step}}
		switch step {
		case "channel":
			e.Kind = EffectChannel
		case "topic":
			e.Kind = EffectRefresh
		case "invite":
			e.Kind, e.Data["user"] = EffectInvite, inc.Reporter
		case "header":
			e.Kind = EffectHeader
		case "intro":
			if d.Opening == nil {
				continue
			}
			e.Kind, e.Event, e.Data["to"] = EffectPost, *d.Opening, ToChannel
		case "runbook":
			e.Kind = EffectRunbook
			if d.Runbook.Text != "" {
				e.Data["query"] = d.Runbook.Text
				e.Data["labels"] = encodeLabels(d.Runbook.Labels)
				if d.Runbook.Critical {
					e.Data["critical"] = "true"
				}
			}
		case "announce":
			e.Kind, e.Event, e.Data["to"] = EffectPost, declared, ToAnnounce
		}
		out = append(out, e)
	}
	return out
}

// encodeLabels keeps labels in an effect's plain-text data, one k=v per
// line, in order; DecodeLabels reads them back.
func encodeLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if strings.ContainsAny(k, "=\n") || strings.Contains(labels[k], "\n") {
			continue // cannot be kept on one line; labels are only a hint
		}
		fmt.Fprintf(&b, "%s=%s\n", k, labels[k])
	}
	return b.String()
}

// DecodeLabels reads labels written by encodeLabels.
func DecodeLabels(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// post is an effect telling people about ev; notify hears if it fails.
func post(ev Event, to, notify string) Effect {
	return Effect{Key: ev.ID.String() + ":" + to, Kind: EffectPost, Event: ev,
		Data: map[string]string{"to": to, "notify": notify}}
}

// refresh brings topic and header up to date after ev.
func refresh(ev Event, notify string) Effect {
	return Effect{Key: ev.ID.String() + ":refresh", Kind: EffectRefresh, Data: map[string]string{"notify": notify}}
}

// invite invites user to the incident channel.
func invite(key, user, notify string) Effect {
	return Effect{Key: key, Kind: EffectInvite, Data: map[string]string{"user": user, "notify": notify}}
}

// Describe says in a few words what an effect does, for the timeline
// ("Could not create the incident channel: restricted_action").
func Describe(e Effect) string {
	switch e.Kind {
	case EffectChannel:
		return "create the incident channel"
	case EffectRefresh:
		return "update the channel topic and header"
	case EffectInvite:
		return "invite " + e.Data["user"] + " to the channel"
	case EffectHeader:
		return "post the incident header"
	case EffectRunbook:
		return "post the runbook card"
	case EffectNotice:
		return "post an alert notice"
	case EffectTriage:
		return "post a triage card"
	case EffectTriageUpdate:
		return "update a triage card"
	case EffectTell:
		return "tell " + e.Data["user"] + " about a problem"
	case EffectSettle:
		return "update a message"
	case EffectRedraw:
		return "update the runbook card"
	case EffectGraph:
		return "draw the alert's graph"
	case EffectPage:
		return e.Data["action"] + " the page (" + e.Data["level"] + ") through " + e.Data["via"]
	case EffectPost:
		if e.Data["to"] == ToAnnounce {
			return "announce it in the incidents channel"
		}
		return "post " + strings.ReplaceAll(string(e.Event.Kind), "_", " ") + " in the incident channel"
	}
	return "do " + string(e.Kind)
}
