package slacktest_test

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incident-bot/incident-bot/bot/slacktest"
)

func TestSlashCommandRoundTripThroughSlackGo(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops", humanUser)
	bot := startSocketBot(t, s, map[string]any{"response_type": "ephemeral", "text": "Opening incident..."})
	if err := s.WaitConnected(timeout(t)); err != nil {
		t.Fatal(err)
	}

	p := s.SlashCommand(humanUser, "ops", "open api-5xx sev2")
	id, err := s.SendEnvelope("slash_commands", p)
	if err != nil {
		t.Fatal(err)
	}
	evt := bot.next(t)
	cmd, ok := evt.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("event data = %T, want slack.SlashCommand", evt.Data)
	}
	if cmd.Command != "/incident" || cmd.Text != "open api-5xx sev2" || cmd.ChannelID != ch || cmd.UserID != humanUser {
		t.Errorf("slash command = %+v", cmd)
	}
	if cmd.TriggerID != p.TriggerID || cmd.ResponseURL != p.ResponseURL || !evt.Request.AcceptsResponsePayload {
		t.Errorf("trigger/response_url/accepts not carried: %+v %+v", cmd, evt.Request)
	}

	ack, err := s.WaitAck(timeout(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Latency <= 0 || ack.Latency > 5*time.Second {
		t.Errorf("ack latency = %v", ack.Latency)
	}
	var body map[string]string
	if err := json.Unmarshal(ack.Payload, &body); err != nil || body["text"] != "Opening incident..." {
		t.Errorf("ack payload = %s (%v)", ack.Payload, err)
	}
	// Slack shows a slash command's response payload to the user who typed it.
	msgs := posts(s.Messages(ch))
	if len(msgs) != 1 || !msgs[0].Ephemeral || msgs[0].For != humanUser || msgs[0].Text != "Opening incident..." {
		t.Errorf("messages after ack = %+v", msgs)
	}
	if len(s.Acks()) != 1 {
		t.Errorf("acks = %+v", s.Acks())
	}
}

func TestInteractiveAndEventsEnvelopesDecodeInSlackGo(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	ch := s.AddChannel("ops", humanUser, botUser)
	bot := startSocketBot(t, s, nil)
	api := newAPI(s)
	_, ts, err := api.PostMessage(ch, slack.MsgOptionText("Deploy?", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("deploy_actions", slack.NewButtonBlockElement("deploy_approve", "deploy:web:v42",
			slack.NewTextBlockObject(slack.PlainTextType, "Approve", true, false))),
	))
	if err != nil {
		t.Fatal(err)
	}

	if _, err := s.SendEnvelope("interactive", s.BlockAction(humanUser, ch, ts, "deploy_approve", "deploy:web:v42")); err != nil {
		t.Fatal(err)
	}
	cb, ok := bot.next(t).Data.(slack.InteractionCallback)
	if !ok || cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("interaction = %+v", cb)
	}
	a := cb.ActionCallback.BlockActions[0]
	if a.ActionID != "deploy_approve" || a.BlockID != "deploy_actions" || a.Value != "deploy:web:v42" || cb.Message.Timestamp != ts {
		t.Errorf("block action = %+v, message ts %q", a, cb.Message.Timestamp)
	}

	event := map[string]any{
		"type": "event_callback", "team_id": "T0FAKETEAM1", "api_app_id": "A0FAKEAPP01", "event_id": "Ev1",
		"event": map[string]any{"type": "app_mention", "user": humanUser, "text": "<@U0BOT00001> status", "ts": "1.2", "channel": ch},
	}
	if _, err := s.SendEnvelope("events_api", event, slacktest.RetryAttempt(1, "timeout")); err != nil {
		t.Fatal(err)
	}
	evt := bot.next(t)
	if evt.Type != socketmode.EventTypeEventsAPI || evt.Request.RetryAttempt != 1 || evt.Request.RetryReason != "timeout" {
		t.Errorf("events_api request = %+v", evt.Request)
	}
}

func TestSlackGoReconnectsAfterDisconnect(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	bot := startSocketBot(t, s, nil)
	if err := s.WaitConnected(timeout(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.Disconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitConnected(timeout(t)); err != nil {
		t.Fatal(err)
	}
	if n := s.Connections(); n != 2 {
		t.Fatalf("connections = %d, want 2", n)
	}
	// Envelopes flow on the new connection.
	id, err := s.SendEnvelope("slash_commands", s.SlashCommand(humanUser, "C0NOWHERE1", "status"))
	if err != nil {
		t.Fatal(err)
	}
	bot.next(t)
	if _, err := s.WaitAck(timeout(t), id); err != nil {
		t.Fatal(err)
	}
}

func TestSlackGoReconnectsAfterDroppedConnection(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	startSocketBot(t, s, nil)
	if err := s.WaitConnected(timeout(t)); err != nil {
		t.Fatal(err)
	}
	s.DropConnection()
	if err := s.WaitConnected(timeout(t)); err != nil {
		t.Fatal(err)
	}
	if n := s.Connections(); n != 2 {
		t.Fatalf("connections = %d, want 2", n)
	}
}

func TestDisconnectWithoutConnectionFails(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	if err := s.Disconnect("warning"); err == nil {
		t.Fatal("Disconnect with nobody connected succeeded")
	}
}

func TestTicketIsOneTimeAndAppTokenRequired(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	_, wsURL, err := newAPI(s).StartSocketModeContext(timeout(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, resp, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("second dial with the same ticket: err=%v resp=%v", err, resp)
	}

	// apps.connections.open wants the app-level token.
	_, _, err = slack.New("xoxb-test", slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken("xoxb-test")).StartSocketModeContext(timeout(t))
	wantSlackError(t, err, "not_allowed_token_type")
	_, _, err = slack.New("xoxb-test", slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken("xapp-wrong")).StartSocketModeContext(timeout(t))
	wantSlackError(t, err, "invalid_auth")
}

func TestServerPingsAtInterval(t *testing.T) {
	s := newServer(t, slacktest.Options{PingInterval: 20 * time.Millisecond})
	_, wsURL, err := newAPI(s).StartSocketModeContext(timeout(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pings atomic.Int32
	conn.SetPingHandler(func(string) error { pings.Add(1); return nil })
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for pings.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if pings.Load() < 3 {
		t.Fatalf("got %d pings, want at least 3", pings.Load())
	}
}

func TestSendEnvelopeRejectsUnknownType(t *testing.T) {
	s := newServer(t, slacktest.Options{})
	if _, err := s.SendEnvelope("hello", map[string]any{}); err == nil {
		t.Fatal("unknown envelope type accepted")
	}
}
