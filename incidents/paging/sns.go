package paging

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/text/unicode/norm"

	"github.com/incident-bot/incident-bot/incidents"
	"github.com/incident-bot/incident-bot/internal/txt"
)

func (s *Sender) sendSNS(ctx context.Context, t Target, p Page) (Result, error) {
	arn, err := parseTopicARN(t.Addr)
	if err != nil {
		return Result{}, permanent(fmt.Sprintf("SNS: %q is not a topic ARN (%v)", t.Addr, err))
	}
	c, err := s.snsClient(ctx, arn.region)
	if err != nil {
		return Result{}, &incidents.DeliveryError{Reason: "SNS: could not load the AWS configuration: " + txt.OneLine(err.Error())}
	}
	in := &sns.PublishInput{
		TopicArn: aws.String(t.Addr),
		Message:  aws.String(snsMessage(p)),
		Subject:  aws.String(snsSubject(p)),
	}
	if strings.HasSuffix(arn.name, ".fifo") {
		// FIFO topics insist on both. SNS drops a repeat of the same
		// page and action for five minutes, as PagerDuty does by key.
		in.MessageGroupId = aws.String(digest(p.DedupKey))
		in.MessageDeduplicationId = aws.String(digest(p.DedupKey + ":" + p.Action))
	}
	ctx, wrote := trackWrite(ctx)
	out, err := c.Publish(ctx, in)
	if err != nil {
		return Result{}, snsFailure(err, wrote.Load())
	}
	return Result{Provider: "SNS", Answer: "MessageId " + aws.ToString(out.MessageId), DedupKey: p.DedupKey}, nil
}

// snsClient returns the client for region, loading the SDK's default
// configuration (credentials chain, AWS_ENDPOINT_URL) at the first use so
// a bot without SNS targets never needs AWS credentials.
func (s *Sender) snsClient(ctx context.Context, region string) (*sns.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.sns[region]; c != nil {
		return c, nil
	}
	if s.awsCfg == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, err
		}
		s.awsCfg = &cfg
	}
	c := sns.NewFromConfig(*s.awsCfg, func(o *sns.Options) {
		o.Region = region // the topic's, whatever AWS_REGION says
		o.HTTPClient = s.http
		// Publish is not idempotent on standard topics: the outbox, which
		// knows whether an attempt may have landed, does the retrying.
		o.RetryMaxAttempts = 1
	})
	s.sns[region] = c
	return c, nil
}

// snsRetryable are error codes that mean "not now" rather than "no".
var snsRetryable = map[string]bool{
	"Throttled": true, "Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"KMSThrottling": true, "RequestLimitExceeded": true, "InternalError": true, "InternalFailure": true,
	"ServiceUnavailable": true, "ExpiredToken": true, "RequestExpired": true,
}

// snsFailure explains a failed Publish: "SNS Publish failed:
// AuthorizationError: …". Refusals (a missing topic, a denied
// permission, a bad parameter) are permanent; throttling and AWS's own
// failures are retried.
func snsFailure(err error, sent bool) *incidents.DeliveryError {
	ae, ok := errors.AsType[smithy.APIError](err)
	if !ok {
		if rse, ok := errors.AsType[*smithyhttp.RequestSendError](err); ok {
			// The SDK's wrapping says no more than the network's error.
			err = noAnswer("SNS", rse.Err, sent)
		}
		return &incidents.DeliveryError{Reason: "SNS Publish failed: " + txt.Clip(txt.OneLine(err.Error()), 300), Uncertain: sent}
	}
	de := &incidents.DeliveryError{
		Code:   ae.ErrorCode(),
		Reason: txt.Clip(txt.OneLine(fmt.Sprintf("SNS Publish failed: %s: %s", ae.ErrorCode(), ae.ErrorMessage())), 300),
	}
	status := 0
	if re, ok := errors.AsType[*awshttp.ResponseError](err); ok {
		status = re.HTTPStatusCode()
	}
	retry := snsRetryable[ae.ErrorCode()] || ae.ErrorFault() == smithy.FaultServer ||
		status >= 500 || status == 429
	de.Permanent = !retry
	return de
}

// snsMessage is plain text for SMS and email: what happened, then where.
func snsMessage(p Page) string {
	m := actionPrefix(p.Action) + p.Summary
	if p.Link != "" {
		m += "\n" + p.Link
	}
	return m
}

func actionPrefix(action string) string {
	switch action {
	case ActionAcknowledge:
		return "Acknowledged: "
	case ActionResolve:
		return "Resolved: "
	}
	return ""
}

// maxSubject keeps under SNS's limit ("less than 100 characters").
const maxSubject = 99

// snsSubject is the email subject: printable ASCII, one line, short, as
// SNS requires. Accents are dropped from letters ("é" → "e"), common
// typography is spelled in ASCII, anything else (emoji) is left out.
func snsSubject(p Page) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(actionPrefix(p.Action) + p.Summary) {
		switch {
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r == '–' || r == '—' || r == '−':
			b.WriteByte('-')
		case r == '‘' || r == '’':
			b.WriteByte('\'')
		case r == '“' || r == '”':
			b.WriteByte('"')
		case r == '…':
			b.WriteString("...")
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		}
	}
	s := txt.OneLine(b.String())
	if s == "" {
		return "Incident page"
	}
	if len(s) > maxSubject {
		s = strings.TrimSpace(s[:maxSubject-3]) + "..."
	}
	return s
}

// digest is a fixed-length token of s, within the 128 characters and the
// alphabet SNS allows in FIFO group and deduplication IDs.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
