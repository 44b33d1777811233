package main

import (
	"context"
	"testing"

	"github.com/incident-bot/incident-bot/incidents"
)

// Messages integrations post in an alert channel are alerts, end to end:
// AWS Chatbot's ALARM opens an incident, its OK recovers it; a person's
// message and a thread reply in the channel are not alerts.
func TestAlertChannelReader(t *testing.T) {
	h := newHarness(t, "sqlite", nil)
	alertsCh := h.slack.AddChannel("alerts")
	h.stop()
	h.env["ALERT_CHANNELS"] = alertsCh
	h.start()
	st := h.openStore(t)

	person := h.slack.IntegrationMessage(alertsCh, "B0CHATBOT1", "AWS Chatbot", "ALARM: api-5xx-high is firing, anyone?")
	ev := person["event"].(map[string]any)
	delete(ev, "subtype")
	delete(ev, "bot_id")
	ev["user"] = rita
	h.send("events_api", person)
	reply := h.slack.IntegrationMessage(alertsCh, "B0CHATBOT1", "AWS Chatbot", "", map[string]any{
		"title": "ALARM: api-5xx-high", "text": "State changed to ALARM: 5xx above 5%", "color": "danger"})
	reply["event"].(map[string]any)["thread_ts"] = "1700000000.000100"
	h.send("events_api", reply)
	h.settled()
	if list, _ := st.List(context.Background(), incidents.ListFilter{}); len(list) != 0 {
		t.Fatalf("a person's message or a thread reply opened %d incidents", len(list))
	}

	h.send("events_api", h.slack.IntegrationMessage(alertsCh, "B0CHATBOT1", "AWS Chatbot", "", map[string]any{
		"title": "ALARM: api-5xx-high", "text": "State changed to ALARM: 5xx above 5%", "color": "danger"}))
	var inc incidents.Incident
	h.eventually("an incident from the channel's alarm", func() bool {
		list, _ := st.List(context.Background(), incidents.ListFilter{})
		if len(list) == 1 && list[0].ChannelID != "" {
			inc = list[0]
			return true
		}
		return false
	})
	h.messageContaining(inc.ChannelID, "Opened automatically from a slack alert")
	h.send("events_api", h.slack.IntegrationMessage(alertsCh, "B0CHATBOT1", "AWS Chatbot", "", map[string]any{
		"title": "OK: api-5xx-high", "text": "State changed to OK", "color": "good"}))
	h.messageContaining(inc.ChannelID, "is back to OK at")
	h.settled()
	if list, _ := st.List(context.Background(), incidents.ListFilter{}); len(list) != 1 {
		t.Errorf("%d incidents, want 1", len(list))
	}
}
