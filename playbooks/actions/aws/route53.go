package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/miekg/dns"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// delegation is route53.delegation: the hosted zone's NS record set
// against the delegation public DNS really has, read from the parent
// zone's own name servers (as dig +trace would) — the runbook's "hosted
// zone recreated without updating parent DNS zone delegations".
type delegation struct{ c *Clients }

func (delegation) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r delegation) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, s, err := r.c.service(ctx, req, "hosted_zone_id", "domain")
	if err != nil {
		return actions.Result{}, err
	}
	hz, err := a.route53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(s.HostedZoneID)})
	if err != nil {
		return actions.Result{}, apiError("route53 GetHostedZone", err)
	}
	zone := r53types.HostedZone{}
	if hz.HostedZone != nil {
		zone = *hz.HostedZone
	}
	apex := dnsName(aws.ToString(zone.Name))
	domain := dnsName(s.Domain)
	if !dns.IsSubDomain(apex, domain) {
		return actions.Result{}, fmt.Errorf("service %s: domain %s in the targets file is not in hosted zone %s (%s)", s.Name, strings.TrimSuffix(domain, "."), s.HostedZoneID, apex)
	}
	ss := sections{{Title: zoneHeading(s.HostedZoneID, apex, domain)}}
	if zone.Config != nil && zone.Config.PrivateZone {
		return actions.Result{
			Summary:   fmt.Sprintf("%s: hosted zone %s (%s) is private: public DNS does not delegate to it", s.Name, s.HostedZoneID, apex),
			Sections:  ss,
			RequestID: requestID(hz.ResultMetadata),
		}, nil
	}

	zoneNS, id, err := zoneNameServers(ctx, a.route53, s.HostedZoneID, apex)
	if err != nil {
		return actions.Result{}, err
	}
	ss = append(ss, actions.Section{Title: "Route 53 NS record set", Rows: rowsOr(zoneNS, "none")})
	findings := servedFindings(hz.DelegationSet, zoneNS)

	parent, err := r.c.dns.delegationOf(ctx, apex)
	if err != nil {
		return actions.Result{}, err
	}
	summary := writeParentDelegation(&ss, s.Name, apex, zoneNS, parent)
	for _, f := range findings {
		ss.row("⚠ " + f)
	}
	if len(findings) > 0 {
		summary += "; but " + findings[0]
	}
	return actions.Result{Summary: summary, Sections: ss, RequestID: id}, nil
}

// zoneHeading is the details' first line: the zone and the domain it serves.
func zoneHeading(zoneID, apex, domain string) string {
	h := fmt.Sprintf("Hosted zone `%s` %s", zoneID, apex)
	if domain != apex {
		h += fmt.Sprintf(" (serving %s)", domain)
	}
	return h
}

// zoneNameServers fetches the zone's own NS record set at apex, sorted, and the request ID.
func zoneNameServers(ctx context.Context, api route53API, zoneID, apex string) ([]string, string, error) {
	rr, err := api.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{
		HostedZoneId:    aws.String(zoneID),
		StartRecordName: aws.String(apex),
		StartRecordType: r53types.RRTypeNs,
		MaxItems:        aws.Int32(1),
	})
	if err != nil {
		return nil, "", apiError("route53 ListResourceRecordSets", err)
	}
	var zoneNS []string
	for _, set := range rr.ResourceRecordSets {
		if set.Type == r53types.RRTypeNs && dnsName(aws.ToString(set.Name)) == apex {
			for _, v := range set.ResourceRecords {
				zoneNS = append(zoneNS, hostName(aws.ToString(v.Value)))
			}
		}
	}
	slices.Sort(zoneNS)
	return zoneNS, requestID(rr.ResultMetadata), nil
}

// servedFindings flags an NS record set that is not the zone's delegation set.
func servedFindings(ds *r53types.DelegationSet, zoneNS []string) []string {
	var served []string // the name servers Route 53 really serves the zone from
	if ds != nil {
		for _, n := range ds.NameServers {
			served = append(served, hostName(n))
		}
		slices.Sort(served)
	}
	var findings []string
	if len(served) > 0 && !slices.Equal(served, zoneNS) {
		findings = append(findings, fmt.Sprintf("the zone's NS record set is not the name servers Route 53 serves it from (%s): the parent must name those", strings.Join(served, ", ")))
	}
	return findings
}

// writeParentDelegation adds a section on what the parent delegates apex to and words the summary.
func writeParentDelegation(ss *sections, service, apex string, zoneNS []string, parent parentDelegation) string {
	ss.title(fmt.Sprintf("Parent zone %s (asked %s without recursion)", parent.zone, parent.server))
	switch {
	case parent.nxdomain:
		ss.row("NXDOMAIN: the parent says the name does not exist")
		return fmt.Sprintf("%s: the parent zone %s says %s does not exist (NXDOMAIN): nothing delegates to the Route 53 zone", service, parent.zone, apex)
	case len(parent.ns) == 0:
		ss.row("no NS records: not delegated")
		return fmt.Sprintf("%s: the parent zone %s has no NS records for %s: it is not delegated to the Route 53 zone", service, parent.zone, apex)
	}
	for _, n := range parent.ns {
		if slices.Contains(zoneNS, n) {
			ss.row(n)
		} else {
			ss.row(n + " ❌ not in the Route 53 zone")
		}
	}
	var missing []string
	for _, n := range zoneNS {
		if !slices.Contains(parent.ns, n) {
			missing = append(missing, n)
		}
	}
	summary := delegatedSummary(service, apex, zoneNS, parent, len(zoneNS)-len(missing))
	if len(missing) > 0 {
		ss.row("Route 53 name servers the parent lacks: " + strings.Join(missing, ", "))
	}
	return summary
}

// delegatedSummary words the summary when the parent has NS records for apex.
func delegatedSummary(service, apex string, zoneNS []string, parent parentDelegation, shared int) string {
	switch {
	case slices.Equal(parent.ns, zoneNS):
		return fmt.Sprintf("%s: %s is delegated to the %s of its Route 53 NS record set", service, apex, plural(len(zoneNS), "name server"))
	case shared == 0:
		return fmt.Sprintf("%s: the parent zone %s delegates %s to other name servers than its Route 53 zone's (hosted zone recreated without updating the parent's NS records?)", service, parent.zone, apex)
	}
	return fmt.Sprintf("%s: the parent zone %s delegates %s to %d of the Route 53 zone's %s and %d others", service, parent.zone, apex, shared, plural(len(zoneNS), "name server"), len(parent.ns)-shared)
}

// dnsConfig is how route53.delegation asks public DNS.
type dnsConfig struct {
	resolver   string // "host:port"; "" for resolvConf's first nameserver
	resolvConf string
	// port is the one authoritative name servers answer on: 53, except in
	// tests, whose servers listen on loopback ports of their own.
	port    string
	timeout time.Duration // per query
}

func newDNSConfig(resolver string) dnsConfig {
	return dnsConfig{resolver: resolver, resolvConf: "/etc/resolv.conf", port: "53", timeout: 3 * time.Second}
}

// resolverAddr is the recursive resolver to ask.
func (d dnsConfig) resolverAddr() (string, error) {
	if d.resolver != "" {
		return d.resolver, nil
	}
	cfg, err := dns.ClientConfigFromFile(d.resolvConf)
	if err != nil {
		return "", fmt.Errorf("no DNS resolver: %w", err)
	}
	if len(cfg.Servers) == 0 {
		return "", fmt.Errorf("no DNS resolver: %s names no nameserver", d.resolvConf)
	}
	return net.JoinHostPort(cfg.Servers[0], cfg.Port), nil
}

// exchange sends one query to addr, again over TCP when the UDP answer
// is truncated.
func (d dnsConfig) exchange(ctx context.Context, addr, name string, qtype uint16, recurse bool) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = recurse
	m.SetEdns0(1232, false)
	c := &dns.Client{Net: "udp", Timeout: d.timeout}
	in, _, err := c.ExchangeContext(ctx, m, addr)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("DNS %s %s at %s: %w", dns.TypeToString[qtype], name, addr, err)
	}
	return in, nil
}

// rcodeError is a DNS failure with its response code as the Error code
// ("SERVFAIL", "REFUSED").
func rcodeError(in *dns.Msg, addr string) error {
	code := dns.RcodeToString[in.Rcode]
	if code == "" {
		code = fmt.Sprintf("RCODE%d", in.Rcode)
	}
	q := dns.Question{Name: "?"}
	if len(in.Question) > 0 {
		q = in.Question[0]
	}
	return &actions.Error{Code: code, Message: fmt.Sprintf("%s answered %s for %s %s", addr, code, dns.TypeToString[q.Qtype], q.Name)}
}

// parentDelegation is what the zone above a domain says about it.
type parentDelegation struct {
	zone     string   // the parent zone, e.g. "example.com."
	server   string   // the name server that answered, "ns1.example.net. (192.0.2.1)"
	nxdomain bool     // the parent says the name does not exist
	ns       []string // the name servers it delegates to, sorted
}

// maxParentServers bounds how many of the parent's name servers are tried.
const maxParentServers = 4

// delegationOf finds the zone above apex with the resolver, then asks that
// zone's name servers directly, without recursion, for apex's NS records:
// their referral is the delegation, whatever the child zone itself says.
func (d dnsConfig) delegationOf(ctx context.Context, apex string) (parentDelegation, error) {
	resolver, err := d.resolverAddr()
	if err != nil {
		return parentDelegation{}, err
	}
	zone, servers, err := d.parentZone(ctx, resolver, apex)
	if err != nil {
		return parentDelegation{}, err
	}
	var errs []error
	for i, ns := range servers {
		if i == maxParentServers {
			break
		}
		addrs, err := d.addresses(ctx, resolver, ns)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ip := range addrs {
			addr := net.JoinHostPort(ip, d.port)
			in, err := d.exchange(ctx, addr, apex, dns.TypeNS, false)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p := parentDelegation{zone: zone, server: fmt.Sprintf("%s (%s)", ns.name, ip)}
			switch in.Rcode {
			case dns.RcodeNameError:
				p.nxdomain = true
				return p, nil
			case dns.RcodeSuccess:
				// A referral has the NS records in the authority section;
				// a server authoritative for both zones answers them.
				for _, rr := range append(in.Ns, in.Answer...) {
					if n, ok := rr.(*dns.NS); ok && dnsName(n.Hdr.Name) == apex && !slices.Contains(p.ns, hostName(n.Ns)) {
						p.ns = append(p.ns, hostName(n.Ns))
					}
				}
				slices.Sort(p.ns)
				return p, nil
			}
			errs = append(errs, rcodeError(in, addr))
		}
	}
	if len(errs) == 0 {
		return parentDelegation{}, fmt.Errorf("no address for any name server of %s", zone)
	}
	return parentDelegation{}, fmt.Errorf("no name server of the parent zone %s answered for %s: %w", zone, apex, errors.Join(errs...))
}

// nameServer is a zone's name server and any glue addresses for it.
type nameServer struct {
	name string
	glue []string
}

// parentZone walks up from apex's parent name until the resolver finds NS
// records: that name is the zone apex is delegated from.
func (d dnsConfig) parentZone(ctx context.Context, resolver, apex string) (string, []nameServer, error) {
	for name := parentName(apex); ; name = parentName(name) {
		in, err := d.exchange(ctx, resolver, name, dns.TypeNS, true)
		if err != nil {
			return "", nil, err
		}
		if in.Rcode != dns.RcodeSuccess && in.Rcode != dns.RcodeNameError {
			return "", nil, rcodeError(in, resolver)
		}
		var servers []nameServer
		for _, rr := range in.Answer {
			if n, ok := rr.(*dns.NS); ok && dnsName(n.Hdr.Name) == name {
				ns := nameServer{name: dnsName(n.Ns)}
				for _, x := range in.Extra {
					if dnsName(x.Header().Name) != ns.name {
						continue
					}
					switch g := x.(type) {
					case *dns.A:
						ns.glue = append(ns.glue, g.A.String())
					case *dns.AAAA:
						ns.glue = append(ns.glue, g.AAAA.String())
					}
				}
				servers = append(servers, ns)
			}
		}
		if len(servers) > 0 {
			slices.SortFunc(servers, func(a, b nameServer) int { return strings.Compare(a.name, b.name) })
			return name, servers, nil
		}
		if name == "." {
			return "", nil, fmt.Errorf("the resolver %s found no zone above %s", resolver, apex)
		}
	}
}

// addresses are a name server's glue, or else its A and AAAA records.
func (d dnsConfig) addresses(ctx context.Context, resolver string, ns nameServer) ([]string, error) {
	if len(ns.glue) > 0 {
		return ns.glue, nil
	}
	var addrs []string
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		in, err := d.exchange(ctx, resolver, ns.name, qtype, true)
		if err != nil {
			return nil, err
		}
		for _, rr := range in.Answer {
			switch g := rr.(type) {
			case *dns.A:
				addrs = append(addrs, g.A.String())
			case *dns.AAAA:
				addrs = append(addrs, g.AAAA.String())
			}
		}
		if len(addrs) > 0 {
			break
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no address for name server %s", ns.name)
	}
	return addrs, nil
}

// dnsName is a name as compared here: lowercase and fully qualified.
func dnsName(s string) string { return dns.CanonicalName(strings.TrimSpace(s)) }

// hostName is a name server as shown: lowercase, no final dot.
func hostName(s string) string { return strings.TrimSuffix(dnsName(s), ".") }

// parentName drops a fully qualified name's first label.
func parentName(name string) string {
	if _, rest, ok := strings.Cut(name, "."); ok && rest != "" {
		return rest
	}
	return "."
}

// rowsOr is items as rows, one each, or a row saying none.
func rowsOr(items []string, none string) []string {
	if len(items) == 0 {
		return []string{none}
	}
	return items
}
