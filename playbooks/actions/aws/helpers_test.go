package aws

// Test helpers. The tests run the actions against moto_server
// (scripts/test starts one) and check AWS's state afterwards with the
// SDK. Where moto lacks something, a test says so at the top of its file
// and either asserts what moto does provide or uses a small server below
// speaking the service's real protocol for just the operations involved:
// fakeJSON (JSON 1.1, optionally passing the service's other operations
// on to moto), fakeQuery (the query protocol, form in and XML out) and
// fakeCBOR (Smithy RPC v2 CBOR).

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/aws/smithy-go/middleware"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// fixture is one test's view of AWS: the Clients the actions use (which
// record the operations they call) and a config for setting up and
// checking resources directly.
type fixture struct {
	t       *testing.T
	clients *Clients
	reg     *actions.Registry
	cfg     aws.Config
	ops     *opsLog
}

// newFixture points the SDK at moto for this test.
func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	testmoto.Endpoint(t)
	return fixtureAt(t, opts...)
}

// fixtureAt builds a fixture for whatever endpoint the environment names
// (moto, or a fakeJSON server after testmoto.Use).
func fixtureAt(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, ops: &opsLog{}}
	o := Options{APIOptions: []func(*middleware.Stack) error{recordOps}}
	for _, fn := range opts {
		fn(&o)
	}
	f.clients = NewClients(o)
	f.reg = actions.NewRegistry()
	if err := Register(f.reg, f.clients); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion(testmoto.Region))
	if err != nil {
		t.Fatal(err)
	}
	f.cfg = cfg
	return f
}

// ctx carries the operation log the recording middleware writes to.
func (f *fixture) ctx() context.Context {
	return context.WithValue(f.t.Context(), opsKey{}, f.ops)
}

// preview runs an action's Preview, checking its IAM list covers the calls.
func (f *fixture) preview(id string, req actions.Request) (actions.Preview, error) {
	f.t.Helper()
	run := f.runner(id)
	f.ops.reset()
	p, err := run.Preview(f.ctx(), req)
	f.checkIAM(id)
	return p, err
}

// run runs an action's Run with the preview as confirmed, checking its
// IAM list covers the calls.
func (f *fixture) run(id string, req actions.Request, confirmed *actions.Preview) (actions.Result, error) {
	f.t.Helper()
	run := f.runner(id)
	req.Confirmed = confirmed
	f.ops.reset()
	res, err := run.Run(f.ctx(), req)
	f.checkIAM(id)
	if err == nil && res.Summary == "" {
		f.t.Errorf("%s: empty Summary", id)
	}
	if err == nil && len(f.ops.list()) == 0 { // the IAM check saw nothing: recordOps is broken
		f.t.Errorf("%s: no AWS calls recorded", id)
	}
	return res, err
}

// previewAndRun is the happy path: Preview, then Run with it confirmed.
func (f *fixture) previewAndRun(id string, req actions.Request) (actions.Preview, actions.Result) {
	f.t.Helper()
	p, err := f.preview(id, req)
	if err != nil {
		f.t.Fatalf("%s preview: %v", id, err)
	}
	res, err := f.run(id, req, &p)
	if err != nil {
		f.t.Fatalf("%s run: %v", id, err)
	}
	f.t.Logf("%s: preview %+v\nsummary: %s\ndetails:\n%s\nrequest: %s", id, p, res.Summary, res.Text(), res.RequestID)
	if res.RequestID == "" {
		f.t.Errorf("%s: no RequestID", id)
	}
	return p, res
}

func (f *fixture) runner(id string) actions.Runner {
	f.t.Helper()
	run, ok := f.reg.Runner(id)
	if !ok {
		f.t.Fatalf("%s is not registered", id)
	}
	return run
}

// iamPrefix maps SDK service IDs to IAM action prefixes.
var iamPrefix = map[string]string{
	"ECS":                       "ecs",
	"Application Auto Scaling":  "application-autoscaling",
	"RDS":                       "rds",
	"CloudWatch":                "cloudwatch",
	"CloudFront":                "cloudfront",
	"Elastic Load Balancing v2": "elasticloadbalancing",
	"ElastiCache":               "elasticache",
	"CloudWatch Logs":           "logs",
	"ECR":                       "ecr",
	"SSM":                       "ssm",
	"S3":                        "s3",
	"ACM":                       "acm",
	"IAM":                       "iam",
	"Route 53":                  "route53",
	"WAFV2":                     "wafv2",
	"EC2":                       "ec2",
	"Account":                   "account",
	"CloudTrail":                "cloudtrail",
}

// iamAction maps the operations whose IAM action is not named after them.
var iamAction = map[string]string{
	"S3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
}

// checkIAM fails the test if the action called an operation its Spec's
// IAM list lacks (the generated policy would then deny it in production).
func (f *fixture) checkIAM(id string) {
	f.t.Helper()
	spec, _ := actions.Lookup(id)
	for _, op := range f.ops.list() {
		svc, name, _ := strings.Cut(op, ":")
		if svc == "STS" { // AssumeRole is allowed by the role's trust policy
			continue
		}
		prefix, ok := iamPrefix[svc]
		if !ok {
			f.t.Errorf("%s called %s: add its service to iamPrefix", id, op)
			continue
		}
		perm := prefix + ":" + name
		if p, ok := iamAction[op]; ok {
			perm = p
		}
		if !slices.Contains(spec.IAM, perm) {
			f.t.Errorf("%s calls %s, which its Spec's IAM list %v lacks", id, perm, spec.IAM)
		}
	}
}

type opsKey struct{}

// opsLog records "ServiceID:Operation" for each SDK call.
type opsLog struct {
	mu  sync.Mutex
	ops []string
}

func (o *opsLog) add(op string) { o.mu.Lock(); o.ops = append(o.ops, op); o.mu.Unlock() }
func (o *opsLog) reset()        { o.mu.Lock(); o.ops = nil; o.mu.Unlock() }
func (o *opsLog) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.ops)
}

// recordOps is an SDK middleware writing each call to the context's log.
func recordOps(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordOps",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if o, ok := ctx.Value(opsKey{}).(*opsLog); ok {
				o.add(awsmiddleware.GetServiceID(ctx) + ":" + awsmiddleware.GetOperationName(ctx))
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// wantCode asserts err is an *actions.Error with the given AWS code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae *actions.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *actions.Error", err)
	}
	if ae.Code != code {
		t.Fatalf("code %q, want %q (error: %v)", ae.Code, code, err)
	}
	t.Logf("error as shown: %v", err)
}

// wantErr asserts err's text contains want.
func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
}

func contains(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%s %q does not contain %q", what, got, want)
	}
}

// fakeJSON serves AWS JSON 1.1 operations (X-Amz-Target "Prefix.Op") for
// operations moto lacks or answers unusably, and points the SDK at it. A
// handler returns the response body, or an *actions.Error to send as an
// AWS error.
func fakeJSON(t *testing.T, handlers map[string]func(in map[string]any) (any, error)) string {
	t.Helper()
	u := fakeJSONOver(t, "", handlers)
	testmoto.Use(t, u)
	return u
}

// fakeJSONOver is fakeJSON for one service alongside moto: operations
// without a handler go on to upstream (moto) as they came, so a test
// points just that service at it (AWS_ENDPOINT_URL_<SERVICE>) and the
// operations moto has stay real.
func fakeJSONOver(t *testing.T, upstream string, handlers map[string]func(in map[string]any) (any, error)) string {
	t.Helper()
	var proxy *httputil.ReverseProxy
	if upstream != "" {
		u, err := url.Parse(upstream)
		if err != nil {
			t.Fatal(err)
		}
		proxy = httputil.NewSingleHostReverseProxy(u)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		body, _ := io.ReadAll(r.Body)
		h, ok := handlers[target]
		if !ok && proxy != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			proxy.ServeHTTP(w, r)
			return
		}
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", "fake-"+target)
		if !ok {
			t.Errorf("fake AWS: unexpected call %s", target)
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "UnknownOperationException", "message": target})
			return
		}
		out, err := h(in)
		if ae, ok := err.(*actions.Error); ok {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": ae.Code, "message": ae.Message})
			return
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fakeQuery serves AWS query-protocol operations (a form with Action=Op,
// an XML answer) for one service and returns its URL: point the service
// at it with AWS_ENDPOINT_URL_<SERVICE>. signing is the service's signing
// name, checked in each request's credential scope; xmlns its namespace.
// A handler returns the inner XML of <OpResult>, or an *actions.Error to
// send as an AWS error with status 400.
func fakeQuery(t *testing.T, signing, xmlns string, handlers map[string]func(form url.Values) (string, error)) string {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		op := r.PostForm.Get("Action")
		id := fmt.Sprintf("fake-%s-%d", op, n.Add(1))
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", id)
		if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "/"+signing+"/aws4_request") {
			t.Errorf("fake AWS: %s signed for another service: %s", op, auth)
		}
		h, ok := handlers[op]
		if !ok {
			t.Errorf("fake AWS: unexpected call %s", op)
			h = func(url.Values) (string, error) { return "", &actions.Error{Code: "InvalidAction", Message: op} }
		}
		inner, err := h(r.PostForm)
		if ae, ok := err.(*actions.Error); ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
				xmlns, ae.Code, xmlText(ae.Message), id)
			return
		}
		fmt.Fprintf(w, `<%[1]sResponse xmlns="%[2]s"><%[1]sResult>%[3]s</%[1]sResult><ResponseMetadata><RequestId>%[4]s</RequestId></ResponseMetadata></%[1]sResponse>`,
			op, xmlns, inner, id)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// xmlText escapes s for an XML element.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// fakeCBOR serves one operation in Smithy RPC v2 CBOR and returns its URL.
// handle gets the decoded request and returns the response body.
func fakeCBOR(t *testing.T, service, op string, handle func(in cbor.Map) cbor.Value) string {
	t.Helper()
	path := "/service/" + service + "/operation/" + op
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("X-Amzn-Requestid", "fake-"+op)
		in, err := cbor.Decode(body)
		m, ok := in.(cbor.Map)
		if r.URL.Path != path || err != nil || !ok {
			t.Errorf("fake AWS: unexpected %s %s (%v)", r.Method, r.URL.Path, err)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("UnknownOperationException")}))
			return
		}
		_, _ = w.Write(cbor.Encode(handle(m)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// epoch is a time in the JSON protocols' form (seconds, fractional).
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
