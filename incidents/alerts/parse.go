package alerts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/incident-bot/incident-bot/internal/txt"
)

// decode reads exactly one JSON value into v, naming where it is broken.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("the body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fmt.Errorf("invalid JSON at byte %d: %v", syn.Offset, err)
		case errors.As(err, &typ):
			return fmt.Errorf("field %q must be a JSON %s, not %s", typ.Field, typ.Type.Kind(), typ.Value)
		}
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return errors.New("invalid JSON: more than one value in the body")
	}
	return nil
}

// Alertmanager webhook, payload version 4.
type amPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	ExternalURL       string            `json:"externalURL"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	Alerts            []amAlert         `json:"alerts"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// ParseAlertmanager reads an Alertmanager webhook (version 4): one alert
// per entry of "alerts". The "severity" label decides critical or
// warning; without one the alert is a warning, for a person to judge.
func ParseAlertmanager(body []byte, now time.Time) ([]Alert, error) {
	var p amPayload
	if err := decode(body, &p); err != nil {
		return nil, err
	}
	if p.Version != "4" {
		return nil, fmt.Errorf("unsupported Alertmanager webhook version %q (want \"4\")", p.Version)
	}
	if len(p.Alerts) == 0 {
		return nil, errors.New(`"alerts" is empty`)
	}
	out := make([]Alert, 0, len(p.Alerts))
	for i, am := range p.Alerts {
		a := Alert{Source: SourceAlertmanager, Fingerprint: am.Fingerprint, Labels: map[string]string{}, Group: p.GroupKey}
		switch am.Status {
		case "firing":
			a.Status, a.At = Firing, am.StartsAt
		case "resolved":
			a.Status, a.At = Resolved, am.EndsAt
		default:
			return nil, fmt.Errorf("alerts[%d]: status must be firing or resolved, got %q", i, am.Status)
		}
		for k, v := range am.Labels {
			a.Labels[k] = v
		}
		if len(a.Labels) == 0 {
			return nil, fmt.Errorf("alerts[%d] has no labels", i)
		}
		if a.Fingerprint == "" {
			a.Fingerprint = LabelsFingerprint(am.Labels)
		}
		a.Fingerprint = "alertmanager:" + a.Fingerprint
		ann := func(k string) string {
			if v := am.Annotations[k]; v != "" {
				return v
			}
			return p.CommonAnnotations[k]
		}
		a.Severity = Warning
		if s, ok := severityOf(a.Labels["severity"]); ok {
			a.Severity = s
		}
		a.Title = firstOf(ann("summary"), ann("title"), a.Labels["alertname"])
		a.Text = firstOf(ann("description"), ann("message"))
		if inst := a.Labels["instance"]; inst != "" && !strings.Contains(a.Title, inst) {
			a.Title += " (" + inst + ")"
		}
		a.Links = []string{am.GeneratorURL, ann("runbook_url"), ann("dashboard_url")}
		a.normalise(now)
		if expr := promExpr(am.GeneratorURL); expr != "" {
			a.Graph = &Graph{Kind: "prometheus", Expr: expr, Labels: a.Labels, State: string(a.Status), At: a.At}
		}
		out = append(out, a)
	}
	return out, nil
}

// Uptime Robot's webhook with its alert variables as a JSON body.
type urPayload struct {
	MonitorID             flexString `json:"monitorID"`
	MonitorURL            string     `json:"monitorURL"`
	MonitorFriendlyName   string     `json:"monitorFriendlyName"`
	AlertType             flexString `json:"alertType"`
	AlertTypeFriendlyName string     `json:"alertTypeFriendlyName"`
	AlertDetails          string     `json:"alertDetails"`
	AlertDuration         flexString `json:"alertDuration"`
	AlertFriendlyDuration string     `json:"alertFriendlyDuration"`
	AlertDateTime         flexString `json:"alertDateTime"`
	SSLExpiryDate         string     `json:"sslExpiryDate"`
	SSLExpiryDaysLeft     flexString `json:"sslExpiryDaysLeft"`
}

// ParseUptimeRobot reads an Uptime Robot webhook. Alert type 1 (down) is
// critical and firing, 2 (up) resolves it, 3 (SSL certificate expiry)
// is a warning.
func ParseUptimeRobot(body []byte, now time.Time) (Alert, error) {
	var p urPayload
	if err := decode(body, &p); err != nil {
		return Alert{}, err
	}
	if p.MonitorID == "" || strings.Contains(string(p.MonitorID), "*") {
		return Alert{}, errors.New(`"monitorID" is missing (is the webhook's POST value the JSON with *monitorID* and the other alert variables?)`)
	}
	a := Alert{Source: SourceUptimeRobot, Fingerprint: "uptimerobot:" + string(p.MonitorID), Labels: map[string]string{
		"monitor_id": string(p.MonitorID), "monitor": p.MonitorFriendlyName, "url": p.MonitorURL,
	}}
	name := firstOf(p.MonitorFriendlyName, p.MonitorURL, "monitor "+string(p.MonitorID))
	switch strings.TrimSpace(string(p.AlertType)) {
	case "1":
		a.Status, a.Severity, a.Title = Firing, Critical, name+" is down"
		a.Labels["alert_type"] = "down"
	case "2":
		a.Status, a.Severity, a.Title = Resolved, Critical, name+" is up"
		a.Labels["alert_type"] = "up"
	case "3":
		a.Status, a.Severity, a.Title = Firing, Warning, name+": SSL certificate expires soon"
		a.Labels["alert_type"] = "ssl"
		a.Fingerprint += ":ssl"
		if p.SSLExpiryDate != "" {
			a.Labels["ssl_expiry"] = p.SSLExpiryDate + " (" + string(p.SSLExpiryDaysLeft) + " days left)"
		}
	default:
		return Alert{}, fmt.Errorf(`"alertType" must be 1 (down), 2 (up) or 3 (SSL expiry), got %q`, p.AlertType)
	}
	var text []string
	if p.AlertDetails != "" {
		text = append(text, p.AlertDetails)
	}
	if p.AlertFriendlyDuration != "" && a.Status == Resolved {
		text = append(text, "down for "+p.AlertFriendlyDuration)
	}
	a.Text = strings.Join(text, "; ")
	if sec, err := strconv.ParseInt(strings.TrimSpace(string(p.AlertDateTime)), 10, 64); err == nil && sec > 0 && sec < 1<<40 {
		a.At = time.Unix(sec, 0)
	}
	a.Links = []string{p.MonitorURL}
	a.normalise(now)
	return a, nil
}

// The generic webhook, for anything else: one object or an array.
type genericAlert struct {
	Title       string            `json:"title"`
	Text        string            `json:"text"`
	Severity    string            `json:"severity"`
	Status      string            `json:"status"`
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	Links       []string          `json:"links"`
	Time        *time.Time        `json:"time"`
}

// ParseWebhook reads the generic JSON webhook: {"title", "text",
// "severity" (critical|warning), "status" (firing|resolved, default
// firing), "fingerprint", "labels", "links", "time"}, or an array of them.
func ParseWebhook(body []byte, now time.Time) ([]Alert, error) {
	var list []genericAlert
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		if err := decode(body, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, errors.New("the array of alerts is empty")
		}
	} else {
		var one genericAlert
		if err := decode(body, &one); err != nil {
			return nil, err
		}
		list = []genericAlert{one}
	}
	out := make([]Alert, 0, len(list))
	for i, g := range list {
		where := ""
		if len(list) > 1 {
			where = fmt.Sprintf("alert %d: ", i)
		}
		if strings.TrimSpace(g.Title) == "" && strings.TrimSpace(g.Text) == "" {
			return nil, fmt.Errorf(`%s"title" is required`, where)
		}
		a := Alert{Source: SourceWebhook, Title: g.Title, Text: g.Text, Labels: map[string]string{}, Links: g.Links}
		for k, v := range g.Labels {
			a.Labels[k] = v
		}
		sev, ok := severityOf(g.Severity)
		if !ok {
			return nil, fmt.Errorf(`%s"severity" must be critical or warning, got %q`, where, g.Severity)
		}
		a.Severity = sev
		switch strings.ToLower(strings.TrimSpace(g.Status)) {
		case "", "firing", "alarm", "triggered", "open":
			a.Status = Firing
		case "resolved", "ok", "closed":
			a.Status = Resolved
		default:
			return nil, fmt.Errorf(`%s"status" must be firing or resolved, got %q`, where, g.Status)
		}
		if g.Fingerprint != "" {
			a.Fingerprint = "webhook:" + g.Fingerprint
		} else if len(g.Labels) > 0 {
			a.Fingerprint = "webhook:" + LabelsFingerprint(g.Labels)
		} else {
			a.Fingerprint = "webhook:" + LabelsFingerprint(map[string]string{"title": strings.TrimSpace(g.Title)})
		}
		if g.Time != nil {
			a.At = *g.Time
		}
		a.normalise(now)
		out = append(out, a)
	}
	return out, nil
}

// flexString accepts a JSON string or number: senders' templates differ.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", txt.ClipBytes(string(b), 40))
	}
	*f = flexString(n.String())
	return nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
