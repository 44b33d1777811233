package aws

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/incident-bot/incident-bot/internal/txt"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// recentErrors is logs.recent_errors: the latest error lines in the
// service's log group.
type recentErrors struct{ c *Clients }

const (
	// errorPattern matches any of the words (CloudWatch Logs "?term" is OR).
	errorPattern = "?ERROR ?Error ?Exception ?Traceback"
	logWindow    = 15 * time.Minute
	logLines     = 20
	// logPages bounds the search: FilterLogEvents may page through a
	// busy group slowly, sometimes returning empty pages.
	logPages = 5
)

func (recentErrors) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r recentErrors) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, s, err := r.c.service(ctx, req, "log_group")
	if err != nil {
		return actions.Result{}, err
	}
	now := r.c.now()
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:  aws.String(s.LogGroup),
		StartTime:     aws.Int64(now.Add(-logWindow).UnixMilli()),
		EndTime:       aws.Int64(now.UnixMilli()),
		FilterPattern: aws.String(errorPattern),
		Limit:         aws.Int32(100),
	}
	// Events come oldest first; keep the latest logLines.
	var events []types.FilteredLogEvent
	var id string
	more := false
	for page := 0; page < logPages; page++ {
		out, err := a.logs.FilterLogEvents(ctx, in)
		if err != nil {
			return actions.Result{}, apiError("logs FilterLogEvents", err)
		}
		id = requestID(out.ResultMetadata)
		events = append(events, out.Events...)
		if len(events) > logLines {
			events = events[len(events)-logLines:]
			more = true
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if len(events) == 0 {
		return actions.Result{Summary: fmt.Sprintf("%s: no errors in %s in the last 15 minutes", s.Name, s.LogGroup), RequestID: id}, nil
	}
	lines := make([]string, 0, len(events))
	for _, e := range events {
		t := time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC().Format("15:04:05")
		msg := strings.TrimSpace(aws.ToString(e.Message))
		lines = append(lines, t+" "+txt.Clip(strings.ReplaceAll(msg, "\n", " ⏎ "), 300))
	}
	summary := fmt.Sprintf("%s: %s in %s in the last 15 minutes", s.Name, plural(len(events), "error line"), s.LogGroup)
	if more {
		summary = fmt.Sprintf("%s: more than %d error lines in %s in the last 15 minutes (latest shown)", s.Name, logLines, s.LogGroup)
	}
	return actions.Result{Summary: summary, Sections: []actions.Section{{Code: lines}}, RequestID: id}, nil
}
