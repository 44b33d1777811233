package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// listenerCerts is acm.listener_certs: every certificate on the load
// balancer's HTTPS and TLS listeners (default and SNI), when each
// expires, and which are expired or have less than expiryWarnDays left.
type listenerCerts struct{ c *Clients }

// expiryWarnDays is when a certificate's expiry becomes a finding.
const expiryWarnDays = 30

func (listenerCerts) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

// certState is one certificate's expiry, worked out once even when
// several listeners share it.
type certState struct {
	line     string // "example.com — expires …"
	expired  bool
	soon     bool // fewer than expiryWarnDays left
	checked  bool // false for IAM server certificates
	daysLeft int
}

func (r listenerCerts) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, s, err := r.c.service(ctx, req, "load_balancer_arn")
	if err != nil {
		return actions.Result{}, err
	}
	listeners, id, err := describeListeners(ctx, a.elb, s.LoadBalancerARN)
	if err != nil {
		return actions.Result{}, err
	}
	lb := lbName(s.LoadBalancerARN)
	rep, err := r.report(ctx, a.elb, s, listeners)
	if err != nil {
		return actions.Result{}, err
	}
	if len(rep.tls) == 0 {
		summary := fmt.Sprintf("%s: no HTTPS or TLS listeners on %s", s.Name, lb)
		if len(rep.other) > 0 {
			summary += " (it has " + strings.Join(rep.other, ", ") + ")"
		}
		return actions.Result{Summary: summary, RequestID: id}, nil
	}
	return actions.Result{Summary: rep.summary(s.Name, lb), Sections: rep.sections, RequestID: id}, nil
}

// describeListeners fetches the load balancer's listeners and the first page's request ID.
func describeListeners(ctx context.Context, api elbAPI, lbARN string) ([]elbtypes.Listener, string, error) {
	var listeners []elbtypes.Listener
	var id string
	pages := elb.NewDescribeListenersPaginator(api, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, "", apiError("elasticloadbalancing DescribeListeners", err)
		}
		if id == "" {
			id = requestID(out.ResultMetadata)
		}
		listeners = append(listeners, out.Listeners...)
	}
	return listeners, id, nil
}

// certReport is the listeners' certificates as the details show them.
type certReport struct {
	sections   []actions.Section // one per TLS listener
	tls, other []string          // listener names, "HTTPS :443"
	states     map[string]*certState
	order      []string // certificate ARNs as first seen
}

// report checks the certificates of each HTTPS and TLS listener in turn.
func (r listenerCerts) report(ctx context.Context, api elbAPI, s *actions.Service, listeners []elbtypes.Listener) (*certReport, error) {
	rep := &certReport{states: map[string]*certState{}}
	for _, l := range listeners {
		name := fmt.Sprintf("%s :%d", l.Protocol, aws.ToInt32(l.Port))
		if l.Protocol != elbtypes.ProtocolEnumHttps && l.Protocol != elbtypes.ProtocolEnumTls {
			rep.other = append(rep.other, name)
			continue
		}
		rep.tls = append(rep.tls, name)
		if err := r.writeListener(ctx, api, s, rep, l, name); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// writeListener writes one TLS listener's certificates, checking those not seen before.
func (r listenerCerts) writeListener(ctx context.Context, api elbAPI, s *actions.Service, rep *certReport, l elbtypes.Listener, name string) error {
	certs, err := r.listenerCertificates(ctx, api, l)
	if err != nil {
		return err
	}
	sec := actions.Section{Title: fmt.Sprintf("%s (%s)", name, plural(len(certs), "certificate"))}
	if len(certs) == 0 {
		sec.Rows = append(sec.Rows, "no certificates")
	}
	for _, c := range certs {
		arn := aws.ToString(c.CertificateArn)
		st, ok := rep.states[arn]
		if !ok {
			if st, err = r.certificate(ctx, s, arn); err != nil {
				return err
			}
			rep.states[arn] = st
			rep.order = append(rep.order, arn)
		}
		role := "SNI"
		if aws.ToBool(c.IsDefault) {
			role = "default"
		}
		sec.Rows = append(sec.Rows, fmt.Sprintf("%s (%s) `%s`", st.line, role, arn))
	}
	rep.sections = append(rep.sections, sec)
	return nil
}

// summary words the summary: the certificates expired, expiring soon or not checked.
func (rep *certReport) summary(service, lb string) string {
	expired, soon, unchecked, soonest := rep.tally()
	summary := fmt.Sprintf("%s: %s on %s of %s", service, plural(len(rep.order), "certificate"), plural(len(rep.tls), "TLS listener"), lb)
	var parts []string
	if expired > 0 {
		parts = append(parts, fmt.Sprintf("%d EXPIRED", expired))
	}
	if soon > 0 {
		parts = append(parts, fmt.Sprintf("%d expiring within %d days (soonest in %s)", soon, expiryWarnDays, plural(soonest, "day")))
	}
	if expired == 0 && soon == 0 && soonest >= 0 {
		parts = append(parts, fmt.Sprintf("all valid for %d+ days (next expiry in %s)", expiryWarnDays, plural(soonest, "day")))
	}
	if unchecked > 0 {
		parts = append(parts, fmt.Sprintf("%d IAM server %s not checked", unchecked, pluralWord(unchecked, "certificate")))
	}
	if len(parts) > 0 {
		summary += ": " + strings.Join(parts, ", ")
	}
	return summary
}

// tally counts the certificates by state, with the fewest days left of an unexpired one (-1 if none).
func (rep *certReport) tally() (expired, soon, unchecked, soonest int) {
	soonest = -1
	for _, arn := range rep.order {
		st := rep.states[arn]
		switch {
		case !st.checked:
			unchecked++
			continue
		case st.expired:
			expired++
		case st.soon:
			soon++
		}
		if !st.expired && (soonest < 0 || st.daysLeft < soonest) {
			soonest = st.daysLeft
		}
	}
	return expired, soon, unchecked, soonest
}

// listenerCertificates lists a listener's default and SNI certificates.
func (listenerCerts) listenerCertificates(ctx context.Context, api elbAPI, l elbtypes.Listener) ([]elbtypes.Certificate, error) {
	var certs []elbtypes.Certificate
	pages := elb.NewDescribeListenerCertificatesPaginator(api, &elb.DescribeListenerCertificatesInput{ListenerArn: l.ListenerArn})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, apiError("elasticloadbalancing DescribeListenerCertificates", err)
		}
		certs = append(certs, out.Certificates...)
	}
	if len(certs) == 0 { // DescribeListeners names the default one too
		certs = l.Certificates
	}
	// ELB lists the default certificate twice when it is also in the
	// certificate list: once as default, once not.
	var out []elbtypes.Certificate
	for _, c := range certs {
		i := slices.IndexFunc(out, func(o elbtypes.Certificate) bool {
			return aws.ToString(o.CertificateArn) == aws.ToString(c.CertificateArn)
		})
		switch {
		case i < 0:
			out = append(out, c)
		case aws.ToBool(c.IsDefault):
			out[i].IsDefault = aws.Bool(true)
		}
	}
	return out, nil
}

// certificate describes an ACM certificate in its own region. IAM server
// certificates are listed but not checked (that needs iam permissions
// the action does not have).
func (r listenerCerts) certificate(ctx context.Context, s *actions.Service, arn string) (*certState, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[2] != "acm" {
		return &certState{line: "IAM server certificate, expiry not checked"}, nil
	}
	region := parts[3]
	if region == "" {
		region = s.Region
	}
	a, err := r.c.get(ctx, region, s.RoleARN)
	if err != nil {
		return nil, err
	}
	out, err := a.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		return nil, apiError("acm DescribeCertificate", err)
	}
	return certExpiry(out.Certificate, r.c.now()), nil
}

// certExpiry describes a certificate's expiry as of now.
func certExpiry(c *acmtypes.CertificateDetail, now time.Time) *certState {
	if c == nil {
		c = &acmtypes.CertificateDetail{}
	}
	st := &certState{checked: true}
	name := "`" + aws.ToString(c.DomainName) + "`"
	if n := len(c.SubjectAlternativeNames); n > 1 {
		name += fmt.Sprintf(" (+%d names)", n-1)
	}
	var state string
	if c.NotAfter == nil {
		state = "no expiry date (status " + string(c.Status) + ")"
	} else {
		left := c.NotAfter.Sub(now)
		at := c.NotAfter.UTC().Format("2006-01-02 15:04 UTC")
		st.daysLeft = int(left / (24 * time.Hour))
		switch {
		case left <= 0:
			st.expired = true
			ago := "today"
			if d := int(-left / (24 * time.Hour)); d > 0 {
				ago = plural(d, "day") + " ago"
			}
			state = fmt.Sprintf("❌ EXPIRED %s (%s)", at, ago)
		case st.daysLeft < expiryWarnDays:
			st.soon = true
			state = fmt.Sprintf("⚠ expires %s, %s left", at, plural(st.daysLeft, "day"))
		default:
			state = fmt.Sprintf("expires %s, %s left", at, plural(st.daysLeft, "day"))
		}
	}
	var notes []string
	if c.Status != "" && c.Status != acmtypes.CertificateStatusIssued {
		notes = append(notes, "status "+string(c.Status))
	}
	if c.Type == acmtypes.CertificateTypeImported && (st.expired || st.soon) {
		notes = append(notes, "imported: ACM does not renew it, import a new one")
	}
	if rs := c.RenewalSummary; rs != nil && rs.RenewalStatus != "" {
		n := "renewal " + string(rs.RenewalStatus)
		if rs.RenewalStatusReason != "" {
			n += " (" + string(rs.RenewalStatusReason) + ")"
		}
		notes = append(notes, n)
	}
	st.line = name + " " + state
	if len(notes) > 0 {
		st.line += "; " + strings.Join(notes, "; ")
	}
	return st
}

// lbName shortens a load balancer ARN to "app/web/0123…".
func lbName(arn string) string {
	if _, name, ok := strings.Cut(arn, ":loadbalancer/"); ok {
		return name
	}
	return arn
}
