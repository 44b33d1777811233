package aws

// DNS delegation: the hosted zone and its NS record set are on moto,
// which gives every zone the same four name servers. Public DNS is a
// local DNS server on 127.0.0.1 (testDNS, miekg/dns over UDP and TCP)
// playing both the resolver (Options.Resolver) and the parent zone's
// name server, whose address it gives as glue; the action asks name
// servers on the port in Clients.dns.port, which the tests set to the
// server's. Nothing leaves the loopback interface.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/miekg/dns"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// testDNS serves the zone example.test. from ns1.example.test.
// (127.0.0.1): NS for the zone itself, with glue; referrals for the
// names delegated from it; NXDOMAIN for names it does not have, and
// NODATA for sub.example.test., a name that exists only because names
// below it do.
type testDNS struct {
	addr string // "127.0.0.1:port"
	port string

	mu          sync.Mutex
	delegations map[string][]string // child zone → its name servers
	truncateUDP bool                // answer referrals over UDP truncated, so the client asks over TCP
	servfail    bool
	log         []string // "udp NS name. rd"
}

const testParent = "example.test."

func newTestDNS(t *testing.T) *testDNS {
	t.Helper()
	z := &testDNS{delegations: map[string][]string{}}
	var pc net.PacketConn
	var l net.Listener
	for try := 0; ; try++ { // the same port for UDP and TCP
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		z.addr = pc.LocalAddr().String()
		if l, err = net.Listen("tcp", z.addr); err == nil {
			break
		}
		pc.Close()
		if try == 10 {
			t.Fatal(err)
		}
	}
	_, z.port, _ = net.SplitHostPort(z.addr)
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: z}, {Listener: l, Handler: z}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return z
}

func (z *testDNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	z.mu.Lock()
	defer z.mu.Unlock()
	q := r.Question[0]
	name := dns.CanonicalName(q.Name)
	net := w.LocalAddr().Network()
	entry := fmt.Sprintf("%s %s %s", net, dns.TypeToString[q.Qtype], name)
	if r.RecursionDesired {
		entry += " rd"
	}
	z.log = append(z.log, entry)

	m := new(dns.Msg)
	m.SetReply(r)
	rr := func(s string) dns.RR {
		x, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		return x
	}
	soa := rr(testParent + " 300 IN SOA ns1." + testParent + " hostmaster." + testParent + " 1 7200 900 1209600 300")
	var child string
	for c := range z.delegations {
		if dns.IsSubDomain(c, name) {
			child = c
		}
	}
	switch {
	case z.servfail:
		m.Rcode = dns.RcodeServerFailure
	case name == testParent && q.Qtype == dns.TypeNS:
		m.Authoritative = true
		m.Answer = []dns.RR{rr(testParent + " 300 IN NS ns1." + testParent)}
		m.Extra = []dns.RR{rr("ns1." + testParent + " 300 IN A 127.0.0.1")}
	case child != "":
		// A referral: the child's name servers in the authority section,
		// not authoritative.
		for _, ns := range z.delegations[child] {
			m.Ns = append(m.Ns, rr(child+" 172800 IN NS "+ns))
		}
		if z.truncateUDP && net == "udp" {
			m.Ns, m.Truncated = nil, true
		}
	case name == "sub."+testParent || name == testParent:
		m.Authoritative = true
		m.Ns = []dns.RR{soa}
	default:
		m.Authoritative = true
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa}
	}
	_ = w.WriteMsg(m)
}

func (z *testDNS) delegate(child string, ns ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.delegations[child] = ns
}

func (z *testDNS) queries() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	out := z.log
	z.log = nil
	return out
}

// hostedZone creates a public hosted zone on moto and returns a service
// for it and the zone's name servers (fully qualified).
func (f *fixture) hostedZone(apex string) (*actions.Service, []string) {
	f.t.Helper()
	out, err := route53.NewFromConfig(f.cfg).CreateHostedZone(f.t.Context(), &route53.CreateHostedZoneInput{
		Name: aws.String(apex), CallerReference: aws.String(testmoto.Name("ref")),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	var ns []string
	for _, n := range out.DelegationSet.NameServers {
		ns = append(ns, dns.Fqdn(n))
	}
	id := strings.TrimPrefix(aws.ToString(out.HostedZone.Id), "/hostedzone/")
	return &actions.Service{Name: "web", Region: testmoto.Region, HostedZoneID: id, Domain: strings.TrimSuffix(apex, ".")}, ns
}

// dnsFixture is a moto fixture whose public DNS is z.
func dnsFixture(t *testing.T) (*fixture, *testDNS) {
	z := newTestDNS(t)
	f := newFixture(t, func(o *Options) { o.Resolver = z.addr })
	f.clients.dns.port = z.port
	return f, z
}

func TestDelegationMatches(t *testing.T) {
	f, z := dnsFixture(t)
	apex := testmoto.Name("shop") + "." + testParent
	svc, ns := f.hostedZone(apex)
	z.delegate(apex, ns...)

	_, res := f.previewAndRun("route53.delegation", actions.Request{Service: svc})
	if want := "web: " + apex + " is delegated to the 4 name servers of its Route 53 NS record set"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "Route 53 NS record set\nns-2048.awsdns-64.com\nns-2049.awsdns-65.net\n")
	contains(t, "details", res.Text(), "Parent zone example.test. (asked ns1.example.test. (127.0.0.1) without recursion)\nns-2048.awsdns-64.com\n")
	if len(res.Sections) != 3 || res.Sections[1].Title != "Route 53 NS record set" || len(res.Sections[1].Rows) != 4 || len(res.Sections[2].Rows) != 4 {
		t.Errorf("sections %+v", res.Sections)
	}
	// The resolver finds the parent zone (glue gives its server's
	// address); its server is asked without recursion.
	if got, want := z.queries(), []string{"udp NS " + testParent + " rd", "udp NS " + apex}; !slices.Equal(got, want) {
		t.Errorf("queries %q, want %q", got, want)
	}

	// A name inside the zone checks the zone's delegation.
	svc.Domain = "www." + strings.TrimSuffix(apex, ".")
	_, res = f.previewAndRun("route53.delegation", actions.Request{Service: svc})
	contains(t, "details", res.Text(), "Hosted zone `"+svc.HostedZoneID+"` "+apex+" (serving www."+apex+")")
	contains(t, "summary", res.Summary, "is delegated to the 4 name servers of its Route 53 NS record set")

	svc.Domain = "elsewhere.example"
	_, err := f.run("route53.delegation", actions.Request{Service: svc}, nil)
	wantErr(t, err, "service web: domain elsewhere.example in the targets file is not in hosted zone "+svc.HostedZoneID+" ("+apex+")")
}

// TestDelegationRecreatedZone is the runbook's row 3: the parent still
// names the old zone's name servers.
func TestDelegationRecreatedZone(t *testing.T) {
	f, z := dnsFixture(t)
	// Below sub.example.test., which is not a zone: the parent is found
	// by walking up.
	apex := testmoto.Name("shop") + ".sub." + testParent
	svc, ns := f.hostedZone(apex)
	old := []string{"ns-1.awsdns-01.org.", "ns-2.awsdns-02.co.uk.", "ns-3.awsdns-03.com.", "ns-4.awsdns-04.net."}
	z.delegate(apex, old...)
	z.truncateUDP = true // a large referral: asked again over TCP

	_, res := f.previewAndRun("route53.delegation", actions.Request{Service: svc})
	if want := "web: the parent zone example.test. delegates " + apex + " to other name servers than its Route 53 zone's (hosted zone recreated without updating the parent's NS records?)"; res.Summary != want {
		t.Errorf("summary %q\nwant    %q", res.Summary, want)
	}
	contains(t, "details", res.Text(), "\nns-1.awsdns-01.org ❌ not in the Route 53 zone\n")
	contains(t, "details", res.Text(), "Route 53 name servers the parent lacks: ns-2048.awsdns-64.com, ns-2049.awsdns-65.net, ns-2050.awsdns-66.org, ns-2051.awsdns-67.co.uk")
	if got, want := z.queries(), []string{"udp NS sub." + testParent + " rd", "udp NS " + testParent + " rd", "udp NS " + apex, "tcp NS " + apex}; !slices.Equal(got, want) {
		t.Errorf("queries %q, want %q", got, want)
	}

	// Half updated.
	z.delegate(apex, ns[0], ns[1], old[0])
	_, res = f.previewAndRun("route53.delegation", actions.Request{Service: svc})
	if want := "web: the parent zone example.test. delegates " + apex + " to 2 of the Route 53 zone's 4 name servers and 1 others"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}

	// Someone edited the zone's NS record set instead of the parent's:
	// Route 53 still serves the zone from its delegation set.
	var records []r53types.ResourceRecord
	for _, n := range old {
		records = append(records, r53types.ResourceRecord{Value: aws.String(n)})
	}
	_, err := route53.NewFromConfig(f.cfg).ChangeResourceRecordSets(t.Context(), &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(svc.HostedZoneID),
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{Action: r53types.ChangeActionUpsert, ResourceRecordSet: &r53types.ResourceRecordSet{
			Name: aws.String(apex), Type: r53types.RRTypeNs, TTL: aws.Int64(172800), ResourceRecords: records,
		}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	z.delegate(apex, old...)
	_, res = f.previewAndRun("route53.delegation", actions.Request{Service: svc})
	if want := "web: " + apex + " is delegated to the 4 name servers of its Route 53 NS record set; but the zone's NS record set is not the name servers Route 53 serves it from " +
		"(ns-2048.awsdns-64.com, ns-2049.awsdns-65.net, ns-2050.awsdns-66.org, ns-2051.awsdns-67.co.uk): the parent must name those"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "\n⚠ the zone's NS record set is not the name servers Route 53 serves it from (ns-2048.awsdns-64.com, ns-2049.awsdns-65.net, ns-2050.awsdns-66.org, ns-2051.awsdns-67.co.uk): the parent must name those")
}

func TestDelegationNXDOMAIN(t *testing.T) {
	f, z := dnsFixture(t)
	apex := testmoto.Name("shop") + "." + testParent
	svc, _ := f.hostedZone(apex) // the parent has no delegation for it

	_, res := f.previewAndRun("route53.delegation", actions.Request{Service: svc})
	if want := "web: the parent zone example.test. says " + apex + " does not exist (NXDOMAIN): nothing delegates to the Route 53 zone"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "\nNXDOMAIN: the parent says the name does not exist")

	// Errors: the resolver fails, the zone is gone, the targets file lacks
	// the domain.
	z.mu.Lock()
	z.servfail = true
	z.mu.Unlock()
	_, err := f.run("route53.delegation", actions.Request{Service: svc}, nil)
	wantCode(t, err, "SERVFAIL")
	wantErr(t, err, z.addr+" answered SERVFAIL for NS "+testParent)

	_, err = f.run("route53.delegation", actions.Request{Service: &actions.Service{Name: "web", Region: testmoto.Region, HostedZoneID: "ZGONE0000000", Domain: "gone.example.test"}}, nil)
	wantCode(t, err, "NoSuchHostedZone")
	svc.Domain = ""
	_, err = f.run("route53.delegation", actions.Request{Service: svc}, nil)
	wantErr(t, err, "service web has no domain in the targets file")
}

func TestResolverAddr(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("search example.test\nnameserver 127.0.0.53\nnameserver ::1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDNSConfig("")
	d.resolvConf = conf
	if got, err := d.resolverAddr(); err != nil || got != "127.0.0.53:53" {
		t.Errorf("resolverAddr = %q, %v", got, err)
	}
	d.resolvConf = filepath.Join(t.TempDir(), "none")
	if _, err := d.resolverAddr(); err == nil || !strings.Contains(err.Error(), "no DNS resolver") {
		t.Errorf("missing resolv.conf: %v", err)
	}
	if got, _ := newDNSConfig("127.0.0.1:5353").resolverAddr(); got != "127.0.0.1:5353" {
		t.Errorf("configured resolver: %q", got)
	}
	if d := newDNSConfig(""); d.port != "53" || d.resolvConf != "/etc/resolv.conf" {
		t.Errorf("defaults %+v", d)
	}
}
