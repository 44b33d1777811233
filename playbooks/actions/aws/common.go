package aws

import (
	"context"
	"errors"
	"fmt"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// service resolves the request's service, checks that the targets file
// gives it the named fields (as written in the file), and returns its
// clients.
func (c *Clients) service(ctx context.Context, req actions.Request, fields ...string) (*apis, *actions.Service, error) {
	s := req.Service
	if s == nil {
		return nil, nil, errors.New("this action needs a service from the targets file")
	}
	for _, f := range append([]string{"region"}, fields...) {
		v, err := serviceField(s, f)
		if err != nil {
			return nil, nil, err
		}
		if v == "" {
			return nil, nil, fmt.Errorf("service %s has no %s in the targets file", s.Name, f)
		}
	}
	a, err := c.get(ctx, s.Region, s.RoleARN)
	return a, s, err
}

func serviceField(s *actions.Service, name string) (string, error) {
	switch name {
	case "region":
		return s.Region, nil
	case "cluster":
		return s.Cluster, nil
	case "ecs_service":
		return s.ECSService, nil
	case "target_group_arn":
		return s.TargetGroupARN, nil
	case "distribution_id":
		return s.DistributionID, nil
	case "log_group":
		return s.LogGroup, nil
	case "replication_group":
		return s.ReplicationGroup, nil
	case "image_parameter":
		return s.ImageParameter, nil
	case "ecr_repository":
		return s.ECRRepository, nil
	case "load_balancer_arn":
		return s.LoadBalancerARN, nil
	case "web_acl_arn":
		return s.WebACLARN, nil
	case "hosted_zone_id":
		return s.HostedZoneID, nil
	case "domain":
		return s.Domain, nil
	}
	return "", fmt.Errorf("internal: no service field %q", name)
}

// database resolves the request's database and returns its clients.
func (c *Clients) database(ctx context.Context, req actions.Request) (*apis, *actions.Database, error) {
	d := req.Database
	if d == nil {
		return nil, nil, errors.New("this action needs a database from the targets file")
	}
	// Unlike services, the targets file lets a database go without a
	// region (pg.* actions need none), so say so here.
	if d.Region == "" {
		return nil, nil, fmt.Errorf("database %s has no region in the targets file", d.Name)
	}
	if d.Instance == "" {
		return nil, nil, fmt.Errorf("database %s has no rds_instance in the targets file", d.Name)
	}
	a, err := c.get(ctx, d.Region, d.RoleARN)
	return a, d, err
}

// apiError turns an SDK failure into an *actions.Error carrying AWS's
// error code and message, wrapped with the operation and request ID so
// the message can be taken to AWS support as it is.
func apiError(op string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := ae.ErrorMessage()
	if msg == "" {
		msg = ae.Error()
	}
	e := &actions.Error{Code: ae.ErrorCode(), Message: msg}
	if id := errRequestID(err); id != "" {
		return fmt.Errorf("%s (request %s): %w", op, id, e)
	}
	return fmt.Errorf("%s: %w", op, e)
}

// isCode reports whether err is an AWS API error with the given code.
func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

func errRequestID(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.ServiceRequestID()
	}
	return ""
}

// requestID is the AWS request ID of a response, for the audit trail.
func requestID(md middleware.Metadata) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(md)
	return id
}

// sections builds a result's findings in the order they are found.
type sections []actions.Section

// title starts a new section headed t.
func (ss *sections) title(t string) { *ss = append(*ss, actions.Section{Title: t}) }

// row adds a row to the last section, or to a new one when the last
// ends in code (so the row stays below it).
func (ss *sections) row(r string) {
	if n := len(*ss); n == 0 || len((*ss)[n-1].Code) > 0 {
		*ss = append(*ss, actions.Section{})
	}
	last := &(*ss)[len(*ss)-1]
	last.Rows = append(last.Rows, r)
}

// code adds lines shown as they are to the last section.
func (ss *sections) code(lines []string) {
	if len(*ss) == 0 {
		*ss = append(*ss, actions.Section{})
	}
	last := &(*ss)[len(*ss)-1]
	last.Code = append(last.Code, lines...)
}

// clock formats a time for people reading in a channel across zones.
func clock(t *time.Time) string {
	if t == nil {
		return "?"
	}
	return t.UTC().Format("15:04 UTC")
}

// plural writes "1 task", "2 tasks".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// capOf is a configured cap, or the runbook's figure when the caller set
// none, so a zero Limits never means "no limit".
func capOf(v int) int {
	if v > 0 {
		return v
	}
	return runbookCap
}

// runbookCap is the team's runbook figure (guardrails default to it too).
const runbookCap = 15

// intParam reads an int parameter like Request.Int, but refuses a value
// of another type instead of silently using the default: "count: 5"
// arriving as a string must not scale to the cap.
func intParam(req actions.Request, name string, def int) (int, error) {
	v, ok := req.Params[name]
	if !ok || v == nil {
		return def, nil
	}
	if n, ok := v.(int); ok {
		return n, nil
	}
	return 0, fmt.Errorf("%s must be a whole number, not %v", name, v)
}

// stringsParam reads a list-of-strings parameter, refusing other types
// for the same reason: a mistyped path list must not become "/*".
func stringsParam(req actions.Request, name string) ([]string, error) {
	switch v := req.Params[name].(type) {
	case nil:
		return nil, nil
	case []string:
		return v, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s must be a list of strings, not %v", name, req.Params[name])
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a list of strings, not %v", name, req.Params[name])
}

// stringParam reads a string parameter, refusing other types for the
// same reason: "instance: 123" must not quietly mean "every instance".
func stringParam(req actions.Request, name string) (string, error) {
	switch v := req.Params[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", fmt.Errorf("%s must be a string, not %v", name, req.Params[name])
}
