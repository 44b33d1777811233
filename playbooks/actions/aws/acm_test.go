package aws

// Listener certificates against moto, which has DescribeListeners,
// DescribeListenerCertificates and ACM's DescribeCertificate with the
// imported certificate's real NotAfter. Moto refuses to import an
// expired certificate, as ACM does, so the expired case moves the
// action's clock forward (Options.Now) past a certificate's expiry.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// selfSigned makes a certificate for domain valid until notAfter, PEM
// encoded, with its key.
func selfSigned(t *testing.T, domain string, notAfter time.Time) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: domain}, DNSNames: []string{domain},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// importCert imports a self-signed certificate into ACM.
func (f *fixture) importCert(domain string, notAfter time.Time) string {
	f.t.Helper()
	cert, key := selfSigned(f.t, domain, notAfter)
	out, err := acm.NewFromConfig(f.cfg).ImportCertificate(f.t.Context(), &acm.ImportCertificateInput{Certificate: cert, PrivateKey: key})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.CertificateArn)
}

// loadBalancer creates an application load balancer with an HTTP
// listener on port 80, and returns it and its target group.
func (f *fixture) loadBalancer() (lb, tg string) {
	f.t.Helper()
	ctx := f.t.Context()
	ec2api, elbapi := ec2.NewFromConfig(f.cfg), elb.NewFromConfig(f.cfg)
	vpc, err := ec2api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		f.t.Fatal(err)
	}
	var subnets []string
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		sn, err := ec2api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String([]string{"10.1.1.0/24", "10.1.2.0/24"}[i]), AvailabilityZone: aws.String(az)})
		if err != nil {
			f.t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	out, err := elbapi.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(testmoto.Name("lb")), Subnets: subnets, Type: elbtypes.LoadBalancerTypeEnumApplication})
	if err != nil {
		f.t.Fatal(err)
	}
	arn := aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	group, err := elbapi.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(testmoto.Name("tg")), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		f.t.Fatal(err)
	}
	tgARN := aws.ToString(group.TargetGroups[0].TargetGroupArn)
	f.listener(arn, tgARN, elbtypes.ProtocolEnumHttp, 80, "")
	return arn, tgARN
}

// listener adds a listener forwarding to a target group.
func (f *fixture) listener(lb, tg string, proto elbtypes.ProtocolEnum, port int32, cert string) string {
	f.t.Helper()
	in := &elb.CreateListenerInput{LoadBalancerArn: aws.String(lb), Protocol: proto, Port: aws.Int32(port),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}}
	if cert != "" {
		in.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(cert)}}
	}
	out, err := elb.NewFromConfig(f.cfg).CreateListener(f.t.Context(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.Listeners[0].ListenerArn)
}

func TestListenerCerts(t *testing.T) {
	now := time.Now()
	var clock time.Time
	f := newFixture(t, func(o *Options) { o.Now = func() time.Time { return clock } })
	ctx := t.Context()
	lb, tg := f.loadBalancer()
	svc := &actions.Service{Name: "web", Region: testmoto.Region, LoadBalancerARN: lb}
	lbName := lb[strings.Index(lb, ":loadbalancer/")+len(":loadbalancer/"):]

	clock = now
	_, res := f.previewAndRun("acm.listener_certs", actions.Request{Service: svc})
	if want := "web: no HTTPS or TLS listeners on " + lbName + " (it has HTTP :80)"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}

	// Expiry half a day past a whole number of days, so the count of days
	// left does not depend on how long the test takes.
	soon := f.importCert("www.example.test", now.Add(10*24*time.Hour+12*time.Hour))
	later := f.importCert("example.test", now.Add(200*24*time.Hour+12*time.Hour))
	listener := f.listener(lb, tg, elbtypes.ProtocolEnumHttps, 443, later)
	iamCert, err := iam.NewFromConfig(f.cfg).UploadServerCertificate(ctx, func() *iam.UploadServerCertificateInput {
		cert, key := selfSigned(t, "legacy.example.test", now.Add(400*24*time.Hour))
		return &iam.UploadServerCertificateInput{ServerCertificateName: aws.String(testmoto.Name("legacy")), CertificateBody: aws.String(string(cert)), PrivateKey: aws.String(string(key))}
	}())
	if err != nil {
		t.Fatal(err)
	}
	iamARN := aws.ToString(iamCert.ServerCertificateMetadata.Arn)
	_, err = elb.NewFromConfig(f.cfg).AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: aws.String(listener),
		Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(soon)}, {CertificateArn: aws.String(iamARN)}}})
	if err != nil {
		t.Fatal(err)
	}
	// A second listener sharing the default certificate: it is counted once.
	f.listener(lb, tg, elbtypes.ProtocolEnumHttps, 8443, later)

	_, res = f.previewAndRun("acm.listener_certs", actions.Request{Service: svc})
	if want := "web: 3 certificates on 2 TLS listeners of " + lbName + ": 1 expiring within 30 days (soonest in 10 days), 1 IAM server certificate not checked"; res.Summary != want {
		t.Errorf("summary %q\nwant    %q", res.Summary, want)
	}
	day := func(d int) string {
		return now.Add(time.Duration(d)*24*time.Hour + 12*time.Hour).UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, want := range []string{
		"HTTPS :443 (3 certificates)\n",
		"`example.test` expires " + day(200) + ", 200 days left (default) `" + later + "`\n",
		"`www.example.test` ⚠ expires " + day(10) + ", 10 days left; imported: ACM does not renew it, import a new one (SNI) `" + soon + "`\n",
		"IAM server certificate, expiry not checked (SNI) `" + iamARN + "`",
		"HTTPS :8443 (1 certificate)\n`example.test` expires",
	} {
		contains(t, "details", res.Text(), want)
	}
	if len(res.Sections) != 2 || res.Sections[0].Title != "HTTPS :443 (3 certificates)" || len(res.Sections[0].Rows) != 3 {
		t.Errorf("sections %+v", res.Sections)
	}
	if strings.Contains(res.Text(), "HTTP :80") {
		t.Error("the HTTP listener was listed")
	}

	// Fifteen days on, the first has expired.
	clock = now.Add(15 * 24 * time.Hour)
	_, res = f.previewAndRun("acm.listener_certs", actions.Request{Service: svc})
	if want := "web: 3 certificates on 2 TLS listeners of " + lbName + ": 1 EXPIRED, 1 IAM server certificate not checked"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}
	contains(t, "details", res.Text(), "`www.example.test` ❌ EXPIRED "+day(10)+" (4 days ago); imported: ACM does not renew it, import a new one (SNI)")
	contains(t, "details", res.Text(), "`example.test` expires "+day(200)+", 185 days left (default)")

	// Only the far one left: all fine.
	_, err = elb.NewFromConfig(f.cfg).RemoveListenerCertificates(ctx, &elb.RemoveListenerCertificatesInput{ListenerArn: aws.String(listener),
		Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(soon)}, {CertificateArn: aws.String(iamARN)}}})
	if err != nil {
		t.Fatal(err)
	}
	clock = now
	_, res = f.previewAndRun("acm.listener_certs", actions.Request{Service: svc})
	if want := "web: 1 certificate on 2 TLS listeners of " + lbName + ": all valid for 30+ days (next expiry in 200 days)"; res.Summary != want {
		t.Errorf("summary %q", res.Summary)
	}

	svc.LoadBalancerARN = strings.Replace(lb, lbName, "app/gone/0123456789abcdef", 1)
	_, err = f.run("acm.listener_certs", actions.Request{Service: svc}, nil)
	wantCode(t, err, "LoadBalancerNotFound")
	svc.LoadBalancerARN = ""
	_, err = f.run("acm.listener_certs", actions.Request{Service: svc}, nil)
	wantErr(t, err, "service web has no load_balancer_arn in the targets file")
}

// TestCertExpiry covers what moto's imported certificates do not have:
// renewal status and a status other than ISSUED.
func TestCertExpiry(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := now.Add(5 * 24 * time.Hour)
	st := certExpiry(&acmtypes.CertificateDetail{
		DomainName: aws.String("api.example.test"), SubjectAlternativeNames: []string{"api.example.test", "www.example.test"},
		NotAfter: &at, Status: acmtypes.CertificateStatusIssued, Type: acmtypes.CertificateTypeAmazonIssued,
		RenewalSummary: &acmtypes.RenewalSummary{RenewalStatus: acmtypes.RenewalStatusPendingValidation},
	}, now)
	if want := "`api.example.test` (+1 names) ⚠ expires 2026-03-06 12:00 UTC, 5 days left; renewal PENDING_VALIDATION"; st.line != want || !st.soon || st.expired || st.daysLeft != 5 {
		t.Errorf("%+v", st)
	}
	st = certExpiry(&acmtypes.CertificateDetail{DomainName: aws.String("old.example.test"), NotAfter: &now, Status: acmtypes.CertificateStatusExpired}, now)
	if want := "`old.example.test` ❌ EXPIRED 2026-03-01 12:00 UTC (today); status EXPIRED"; st.line != want || !st.expired {
		t.Errorf("%+v", st)
	}
}

// stubListenerCerts answers DescribeListenerCertificates as ELB does
// when the default certificate is also in the listener's list: twice.
type stubListenerCerts struct{ elbAPI }

func (stubListenerCerts) DescribeListenerCertificates(context.Context, *elb.DescribeListenerCertificatesInput, ...func(*elb.Options)) (*elb.DescribeListenerCertificatesOutput, error) {
	return &elb.DescribeListenerCertificatesOutput{Certificates: []elbtypes.Certificate{
		{CertificateArn: aws.String("arn:a"), IsDefault: aws.Bool(false)},
		{CertificateArn: aws.String("arn:b"), IsDefault: aws.Bool(false)},
		{CertificateArn: aws.String("arn:a"), IsDefault: aws.Bool(true)},
	}}, nil
}

func TestListenerCertificatesOnce(t *testing.T) {
	certs, err := listenerCerts{}.listenerCertificates(t.Context(), stubListenerCerts{}, elbtypes.Listener{ListenerArn: aws.String("arn:l")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range certs {
		got = append(got, fmt.Sprintf("%s %v", aws.ToString(c.CertificateArn), aws.ToBool(c.IsDefault)))
	}
	if want := []string{"arn:a true", "arn:b false"}; !slices.Equal(got, want) {
		t.Errorf("certificates %q", got)
	}
}
