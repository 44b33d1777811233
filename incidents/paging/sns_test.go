package paging

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/incident-bot/incident-bot/internal/testmoto"
)

// snsNotification is what SNS posts to an http subscriber.
type snsNotification struct {
	Type, MessageId, TopicArn, Subject, Message string
}

// snsTopic creates a topic in moto with an http subscription to a server
// of the test's, and returns the topic's ARN and what the server receives.
func snsTopic(t *testing.T, ctx context.Context) (string, <-chan snsNotification) {
	testmoto.Endpoint(t)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := sns.NewFromConfig(cfg)
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(testmoto.Name("oncall"))})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan snsNotification, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var n snsNotification
		if err := json.Unmarshal(b, &n); err != nil {
			t.Errorf("SNS posted %q: %v", b, err)
		}
		got <- n
	}))
	t.Cleanup(srv.Close)
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(srv.URL)}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(topic.TopicArn), got
}

func received(t *testing.T, ch <-chan snsNotification) snsNotification {
	t.Helper()
	select {
	case n := <-ch:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("the subscriber received nothing")
		return snsNotification{}
	}
}

func TestSNSPublish(t *testing.T) {
	ctx := context.Background()
	arn, got := snsTopic(t, ctx)
	s := NewSender(Options{})
	target := Target{Kind: KindSNS, Addr: arn}

	res, err := s.Send(ctx, target, trigger("incident-12-level-1"))
	if err != nil {
		t.Fatal(err)
	}
	n := received(t, got)
	if res.Provider != "SNS" || res.Answer != "MessageId "+n.MessageId || n.MessageId == "" || res.DedupKey != "incident-12-level-1" {
		t.Errorf("result %+v, notification %+v", res, n)
	}
	p := trigger("")
	if n.TopicArn != arn || n.Subject != p.Summary || n.Message != p.Summary+"\n"+p.Link {
		t.Errorf("published %+v", n)
	}

	p.Action, p.DedupKey = ActionAcknowledge, "incident-12-level-1"
	if _, err := s.Send(ctx, target, p); err != nil {
		t.Fatal(err)
	}
	if n := received(t, got); n.Subject != "Acknowledged: "+p.Summary || !strings.HasPrefix(n.Message, "Acknowledged: #12 Checkout") {
		t.Errorf("acknowledge published %+v", n)
	}
}

func TestSNSMissingTopic(t *testing.T) {
	testmoto.Endpoint(t)
	missing := "arn:aws:sns:" + testmoto.Region + ":123456789012:" + testmoto.Name("gone")
	_, err := NewSender(Options{}).Send(context.Background(), Target{Kind: KindSNS, Addr: missing}, trigger("k"))
	de := deliveryError(t, err)
	if !de.Permanent || de.Code != "NotFound" || !strings.HasPrefix(de.Reason, "SNS Publish failed: NotFound: ") {
		t.Errorf("missing topic: %+v", de)
	}
}

// Without a server to answer: retried, and not uncertain (nothing was sent).
func TestSNSNoAnswer(t *testing.T) {
	testmoto.Use(t, "http://"+closedPort(t))
	_, err := NewSender(Options{}).Send(context.Background(), Target{Kind: KindSNS, Addr: "arn:aws:sns:us-east-1:123456789012:oncall"}, trigger("k"))
	de := deliveryError(t, err)
	if de.Permanent || de.Uncertain || !strings.HasPrefix(de.Reason, "SNS Publish failed: could not reach SNS (dial tcp 127.0.0.1:") {
		t.Errorf("connection refused: %+v", de)
	}
}

func TestSNSText(t *testing.T) {
	p := Page{Action: ActionResolve, Summary: "#12 Café “checkout” — down… 🔥\tagain", Link: "https://acme.slack.com/archives/C0123"}
	if got, want := snsSubject(p), `Resolved: #12 Cafe "checkout" - down... again`; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if got, want := snsMessage(p), "Resolved: "+p.Summary+"\n"+p.Link; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	p.Summary = strings.Repeat("x", 300)
	if got := snsSubject(p); len(got) != maxSubject || !strings.HasSuffix(got, "...") {
		t.Errorf("long subject: %d characters: %q", len(got), got)
	}
	if got := snsSubject(Page{Summary: "🔥🔥"}); got != "Incident page" {
		t.Errorf("emoji-only subject: %q", got)
	}
}

// FIFO topics refuse a publication without a group and deduplication ID.
func TestSNSFIFOTopic(t *testing.T) {
	ctx := context.Background()
	testmoto.Endpoint(t)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{
		Name: aws.String(testmoto.Name("oncall") + ".fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewSender(Options{}).Send(ctx, Target{Kind: KindSNS, Addr: aws.ToString(topic.TopicArn)}, trigger("k"))
	if err != nil || !strings.HasPrefix(res.Answer, "MessageId ") {
		t.Errorf("FIFO topic: %+v, %v", res, err)
	}
}
