package aws

// account.notice_contacts against moto, which serves the alternate
// contacts (PutAlternateContact, GetAlternateContact, with
// ResourceNotFoundException for a type never set) per account. Each test
// uses an account of its own: the service's role_arn names it, and moto
// ties the credentials AssumeRole hands out to that account, as AWS does.
// Moto 5.2 lacks GetContactInformation, so the Account endpoint is a
// small server speaking Account's REST-JSON (POST /getContactInformation)
// that passes every other call on to moto (fakeRESTOver).

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// accountService is a service whose role is in a fresh account.
func accountService(t *testing.T) (*actions.Service, string) {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(9e11))
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%012d", n.Int64()+1e11)
	return &actions.Service{Name: "web", Region: testmoto.Region, RoleARN: "arn:aws:iam::" + id + ":role/incident-bot"}, id
}

// fakeRESTOver serves REST-JSON operations by path for one service and
// passes the others on to upstream (moto); signing is the service's
// signing name, checked in each request's credential scope. A handler
// returns the response body, or an *actions.Error to send as an AWS
// error (with its HTTP status, as AWS does).
func fakeRESTOver(t *testing.T, upstream, signing string, handlers map[string]func(in map[string]any) (any, error)) string {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	status := map[string]int{"AccessDeniedException": 403, "ResourceNotFoundException": 404}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := handlers[r.URL.Path]
		if !ok {
			proxy.ServeHTTP(w, r)
			return
		}
		if auth := r.Header.Get("Authorization"); r.Method != http.MethodPost || !strings.Contains(auth, "/"+signing+"/aws4_request") {
			t.Errorf("fake AWS: %s %s signed %s", r.Method, r.URL.Path, auth)
		}
		body, _ := io.ReadAll(r.Body)
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Requestid", "fake-"+strings.TrimPrefix(r.URL.Path, "/"))
		out, err := h(in)
		if ae, ok := err.(*actions.Error); ok {
			w.Header().Set("X-Amzn-Errortype", ae.Code)
			w.WriteHeader(max(status[ae.Code], 400))
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": ae.Code, "message": ae.Message})
			return
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// withContactInformation answers GetContactInformation with ci, or with
// fail when it is set.
func withContactInformation(t *testing.T, ci map[string]any, fail *actions.Error) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_ACCOUNT", fakeRESTOver(t, testmoto.Endpoint(t), "account", map[string]func(map[string]any) (any, error){
		"/getContactInformation": func(in map[string]any) (any, error) {
			if len(in) != 0 {
				t.Errorf("GetContactInformation %v: the bot reads its own account", in)
			}
			if fail != nil {
				return nil, fail
			}
			return map[string]any{"ContactInformation": ci}, nil
		},
	}))
}

func TestNoticeContactsSet(t *testing.T) {
	f := newFixture(t)
	withContactInformation(t, map[string]any{"FullName": "Platform Team", "CompanyName": "Acme", "PhoneNumber": "+441234567890",
		"AddressLine1": "1 Main St", "City": "London", "CountryCode": "GB", "PostalCode": "N1 1AA"}, nil)
	svc, acct := accountService(t)
	_, err := account.NewFromConfig(f.cfg).PutAlternateContact(t.Context(), &account.PutAlternateContactInput{
		AccountId: aws.String(acct), AlternateContactType: types.AlternateContactTypeOperations,
		EmailAddress: aws.String("platform-oncall@example.org"), Name: aws.String("Platform on-call"),
		PhoneNumber: aws.String("+441234567890"), Title: aws.String("On-call"),
	})
	if err != nil {
		t.Fatal(err)
	}

	_, res := f.previewAndRun("account.notice_contacts", actions.Request{Service: svc})
	contains(t, "summary", res.Summary, "Operations contact is set: AWS operations notices (EC2 retirements among them) go to platform-oncall@example.org (Platform on-call)")
	text := res.Text()
	contains(t, "details", text, "operations: platform-oncall@example.org (Platform on-call, On-call, +441234567890)")
	contains(t, "details", text, "security: none set: AWS writes to the root user's email only")
	contains(t, "details", text, "billing: none set: AWS writes to the root user's email only")
	contains(t, "details", text, "Platform Team, Acme, +441234567890, GB")
	if strings.Contains(text, "postmortem") {
		t.Errorf("the gap is named though the operations contact is set:\n%s", text)
	}
}

// No alternate contact at all: the summary says so plainly, and names the
// postmortem's gap. A primary contact that cannot be read does not hide
// the rest.
func TestNoticeContactsNone(t *testing.T) {
	f := newFixture(t)
	withContactInformation(t, nil, &actions.Error{Code: "AccessDeniedException", Message: "not authorized to perform: account:GetContactInformation"})
	svc, _ := accountService(t)

	_, res := f.previewAndRun("account.notice_contacts", actions.Request{Service: svc})
	if want := "No operations contact is set: AWS sends operations notices (EC2 retirements among them) to the root user's email only"; res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
	}
	text := res.Text()
	contains(t, "details", text, "operations: none set: AWS writes to the root user's email only")
	contains(t, "details", text, "This is the gap the instance-retirement postmortem found")
	contains(t, "details", text, "could not be read: account GetContactInformation (request fake-getContactInformation): AccessDeniedException: not authorized")
}

// A failure other than "none set" is an error, with AWS's code: the
// check cannot say the contacts are fine when it could not read them.
func TestNoticeContactsDenied(t *testing.T) {
	f := newFixture(t)
	t.Setenv("AWS_ENDPOINT_URL_ACCOUNT", fakeRESTOver(t, testmoto.Endpoint(t), "account", map[string]func(map[string]any) (any, error){
		"/getAlternateContact": func(in map[string]any) (any, error) {
			if in["AlternateContactType"] != "OPERATIONS" || in["AccountId"] != nil {
				t.Errorf("GetAlternateContact %v", in)
			}
			return nil, &actions.Error{Code: "AccessDeniedException", Message: "not authorized to perform: account:GetAlternateContact"}
		},
	}))
	svc, _ := accountService(t)
	_, err := f.run("account.notice_contacts", actions.Request{Service: svc}, nil)
	wantCode(t, err, "AccessDeniedException")
	wantErr(t, err, "account GetAlternateContact OPERATIONS")
}
