package aws

// Logs against moto, which honours the time window but not "?term"
// (OR) filter patterns: it returns every event in the window. The moto
// test checks the window; TestRecentErrorsRequest checks the pattern,
// window and paging against fakeJSON (CloudWatch Logs' JSON 1.1).

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

func TestRecentErrors(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	api := cloudwatchlogs.NewFromConfig(f.cfg)
	group := "/ecs/" + testmoto.Name("web")
	if _, err := api.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	svc := &actions.Service{Name: "web", Region: testmoto.Region, LogGroup: group}

	_, res := f.previewAndRun("logs.recent_errors", actions.Request{Service: svc})
	if res.Summary != "web: no errors in "+group+" in the last 15 minutes" {
		t.Errorf("summary %q", res.Summary)
	}

	if _, err := api.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	at := func(ago time.Duration, msg string) types.InputLogEvent {
		return types.InputLogEvent{Timestamp: aws.Int64(now.Add(-ago).UnixMilli()), Message: aws.String(msg)}
	}
	_, err := api.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String("app"),
		LogEvents: []types.InputLogEvent{
			at(time.Hour, "ERROR an hour ago, before the window"),
			at(3*time.Minute, "ERROR connection refused <db:5432> & retrying"),
			at(2*time.Minute, "Traceback (most recent call last):\n  File \"app.py\""),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, res = f.previewAndRun("logs.recent_errors", actions.Request{Service: svc})
	if res.Summary != "web: 2 error lines in "+group+" in the last 15 minutes" {
		t.Errorf("summary %q", res.Summary)
	}
	// Kept plain: the renderers escape it.
	contains(t, "details", res.Text(), "ERROR connection refused <db:5432> & retrying\n")
	contains(t, "details", res.Text(), "Traceback (most recent call last): ⏎   File \"app.py\"")
	if strings.Contains(res.Text(), "an hour ago") {
		t.Error("an event from before the window was shown")
	}

	svc.LogGroup = "/ecs/" + testmoto.Name("gone")
	_, err = f.run("logs.recent_errors", actions.Request{Service: svc}, nil)
	wantCode(t, err, "ResourceNotFoundException")
}

func TestRecentErrorsRequest(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	calls := 0
	fakeJSON(t, map[string]func(map[string]any) (any, error){
		"Logs_20140328.FilterLogEvents": func(in map[string]any) (any, error) {
			calls++
			if in["filterPattern"] != "?ERROR ?Error ?Exception ?Traceback" || in["logGroupName"] != "/ecs/web" ||
				in["startTime"] != float64(now.Add(-15*time.Minute).UnixMilli()) || in["endTime"] != float64(now.UnixMilli()) {
				t.Errorf("request %v", in)
			}
			// Two pages of 15, oldest first, as CloudWatch Logs returns them.
			var events []any
			for i := range 15 {
				n := (calls-1)*15 + i
				events = append(events, map[string]any{"timestamp": now.Add(time.Duration(n-30) * time.Second).UnixMilli(), "message": fmt.Sprintf("ERROR %02d", n)})
			}
			out := map[string]any{"events": events}
			if calls == 1 {
				out["nextToken"] = "page2"
			} else if in["nextToken"] != "page2" {
				t.Errorf("second page asked with %v", in["nextToken"])
			}
			return out, nil
		},
	})
	f := fixtureAt(t, func(o *Options) { o.Now = func() time.Time { return now } })
	svc := &actions.Service{Name: "web", Region: testmoto.Region, LogGroup: "/ecs/web"}
	_, res := f.previewAndRun("logs.recent_errors", actions.Request{Service: svc})
	if res.Summary != "web: more than 20 error lines in /ecs/web in the last 15 minutes (latest shown)" {
		t.Errorf("summary %q", res.Summary)
	}
	if len(res.Sections) != 1 || len(res.Sections[0].Code) != 20 || len(res.Sections[0].Rows) != 0 ||
		res.Sections[0].Code[0] != "10:29:40 ERROR 10" || res.Sections[0].Code[19] != "10:29:59 ERROR 29" {
		t.Errorf("sections %+v", res.Sections)
	}
	if calls != 2 {
		t.Errorf("%d calls", calls)
	}
}
