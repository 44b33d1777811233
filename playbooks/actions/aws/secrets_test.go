package aws

// Execution role access: ECS (the service and its task definition, with
// secrets, log secret options and registry credentials) is on moto.
// Moto has no IAM policy simulator (SimulatePrincipalPolicy), so IAM
// alone (AWS_ENDPOINT_URL_IAM) points at fakeQuery, a server speaking
// IAM's query protocol (form-encoded Action=SimulatePrincipalPolicy, XML
// answer) for that one operation, deciding from a table per resource and
// answering in two pages to exercise the Marker.

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/incident-bot/incident-bot/internal/testmoto"
	"github.com/incident-bot/incident-bot/playbooks/actions"
)

const (
	iamXMLNS  = "https://iam.amazonaws.com/doc/2010-05-08/"
	execRole  = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
	secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
	regARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/registry-XyZ123"
	paramARN  = "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api-key"
	logARN    = "arn:aws:ssm:us-east-1:123456789012:parameter/prod/log-token"
)

// secretService creates an ECS service whose task definition references
// secrets in every way ECS allows, with the given execution role.
func (f *fixture) secretService(role string, secrets bool) *actions.Service {
	f.t.Helper()
	ctx, api := f.t.Context(), ecs.NewFromConfig(f.cfg)
	cluster, family := testmoto.Name("cluster"), testmoto.Name("api")
	if _, err := api.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		f.t.Fatal(err)
	}
	app := types.ContainerDefinition{Name: aws.String("app"), Image: aws.String("registry.example.test/api:1"), Memory: aws.Int32(256)}
	side := types.ContainerDefinition{Name: aws.String("sidecar"), Image: aws.String("fluent-bit:2"), Memory: aws.Int32(64)}
	if secrets {
		app.Secrets = []types.Secret{
			{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String(secretARN + ":password::")},
			{Name: aws.String("DB_USER"), ValueFrom: aws.String(secretARN + ":username::")},
			{Name: aws.String("API_KEY"), ValueFrom: aws.String("/prod/api-key")},
		}
		app.RepositoryCredentials = &types.RepositoryCredentials{CredentialsParameter: aws.String(regARN)}
		side.LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwsfirelens,
			SecretOptions: []types.Secret{{Name: aws.String("token"), ValueFrom: aws.String(logARN)}}}
	}
	in := &ecs.RegisterTaskDefinitionInput{Family: aws.String(family), ContainerDefinitions: []types.ContainerDefinition{app, side}}
	if role != "" {
		in.ExecutionRoleArn = aws.String(role)
	}
	if _, err := api.RegisterTaskDefinition(ctx, in); err != nil {
		f.t.Fatal(err)
	}
	_, err := api.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String("api"),
		TaskDefinition: aws.String(family + ":1"), DesiredCount: aws.Int32(2)})
	if err != nil {
		f.t.Fatal(err)
	}
	return &actions.Service{Name: "api", Region: testmoto.Region, Cluster: cluster, ECSService: "api"}
}

// simulator is the fake IAM policy simulator's state.
type simulator struct {
	mu        sync.Mutex
	decisions map[string]string // resource → allowed, implicitDeny, explicitDeny
	asked     []string          // "action resource,resource"
	err       error
}

// fakeSimulator points IAM at a SimulatePrincipalPolicy server.
func fakeSimulator(t *testing.T, sim *simulator) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_IAM", fakeQuery(t, "iam", iamXMLNS, map[string]func(url.Values) (string, error){
		"SimulatePrincipalPolicy": func(form url.Values) (string, error) {
			sim.mu.Lock()
			defer sim.mu.Unlock()
			if sim.err != nil {
				return "", sim.err
			}
			if got := form.Get("PolicySourceArn"); got != execRole {
				t.Errorf("simulated for %q", got)
			}
			action := form.Get("ActionNames.member.1")
			if form.Has("ActionNames.member.2") {
				t.Errorf("more than one action at once: %v", form)
			}
			var resources []string
			for i := 1; form.Has(fmt.Sprintf("ResourceArns.member.%d", i)); i++ {
				resources = append(resources, form.Get(fmt.Sprintf("ResourceArns.member.%d", i)))
			}
			// The first page has one result; the second, after the
			// Marker, the rest.
			page, next := resources[:1], "<IsTruncated>true</IsTruncated><Marker>page2</Marker>"
			if form.Get("Marker") == "page2" {
				page, next = resources[1:], "<IsTruncated>false</IsTruncated>"
			} else {
				sim.asked = append(sim.asked, action+" "+strings.Join(resources, ","))
				if len(resources) == 1 {
					next = "<IsTruncated>false</IsTruncated>"
				}
			}
			var b strings.Builder
			b.WriteString("<EvaluationResults>")
			for _, r := range page {
				d := sim.decisions[r]
				if d == "" {
					d = "implicitDeny"
				}
				matched := ""
				if d == "explicitDeny" {
					matched = "<MatchedStatements><member><SourcePolicyId>DenyProdSecrets</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType></member></MatchedStatements>"
				}
				fmt.Fprintf(&b, "<member><EvalActionName>%s</EvalActionName><EvalResourceName>%s</EvalResourceName><EvalDecision>%s</EvalDecision>%s<MissingContextValues/></member>",
					action, xmlText(r), d, matched)
			}
			b.WriteString("</EvaluationResults>" + next)
			return b.String(), nil
		},
	}))
}

func TestExecutionRoleAccess(t *testing.T) {
	f := newFixture(t)
	sim := &simulator{decisions: map[string]string{secretARN: "allowed", regARN: "allowed", logARN: "explicitDeny"}}
	fakeSimulator(t, sim)
	svc := f.secretService(execRole, true)

	_, res := f.previewAndRun("secrets.execution_role_access", actions.Request{Service: svc})
	if want := "api: execution role ecsTaskExecutionRole is DENIED 2 of 5 secrets: API_KEY, log option token"; res.Summary != want {
		t.Errorf("summary %q\nwant    %q", res.Summary, want)
	}
	for _, want := range []string{
		":1`, execution role `" + execRole + "`\n",
		"✅ `app` DB_PASSWORD ← `" + secretARN + ":password::`: secretsmanager:GetSecretValue allowed\n",
		"✅ `app` DB_USER ← `" + secretARN + ":username::`: secretsmanager:GetSecretValue allowed\n",
		"❌ `app` API_KEY ← `/prod/api-key`: ssm:GetParameters implicitDeny — no policy of the role allows it\n",
		"✅ `app` registry credentials ← `" + regARN + "`: secretsmanager:GetSecretValue allowed\n",
		"❌ `sidecar` log option token ← `" + logARN + "`: ssm:GetParameters explicitDeny — a policy statement denies it (DenyProdSecrets)\n",
		"\nSimulated against the role's own IAM policies; a secret's resource policy or a customer-managed KMS key can still deny.",
	} {
		contains(t, "details", res.Text(), want)
	}
	if len(res.Sections) != 2 || len(res.Sections[0].Rows) != 5 || !strings.HasPrefix(res.Sections[1].Title, "Simulated against") {
		t.Errorf("sections %+v", res.Sections)
	}
	sim.mu.Lock()
	asked := slices.Clone(sim.asked)
	sim.mu.Unlock()
	// The JSON key is not part of the secret's ARN; the parameter name is
	// made an ARN in the task's region and account; each resource once.
	if want := []string{
		"secretsmanager:GetSecretValue " + secretARN + "," + regARN,
		"ssm:GetParameters " + paramARN + "," + logARN,
	}; !slices.Equal(asked, want) {
		t.Errorf("simulated %q\nwant      %q", asked, want)
	}

	sim.mu.Lock()
	sim.decisions[paramARN], sim.decisions[logARN] = "allowed", "allowed"
	sim.mu.Unlock()
	_, res = f.previewAndRun("secrets.execution_role_access", actions.Request{Service: svc})
	if !strings.HasPrefix(res.Summary, "api: execution role ecsTaskExecutionRole may read all 5 secrets of ") {
		t.Errorf("summary %q", res.Summary)
	}

	// The role is gone: IAM's error code is shown.
	sim.mu.Lock()
	sim.err = &actions.Error{Code: "NoSuchEntity", Message: "The role with name ecsTaskExecutionRole cannot be found."}
	sim.mu.Unlock()
	_, err := f.run("secrets.execution_role_access", actions.Request{Service: svc}, nil)
	wantCode(t, err, "NoSuchEntity")
	wantErr(t, err, "iam SimulatePrincipalPolicy (request fake-SimulatePrincipalPolicy-")
}

func TestExecutionRoleAccessWithoutSimulating(t *testing.T) {
	f := newFixture(t)
	fakeSimulator(t, &simulator{}) // not to be called: checked below

	svc := f.secretService(execRole, false)
	_, res := f.previewAndRun("secrets.execution_role_access", actions.Request{Service: svc})
	if !strings.HasSuffix(res.Summary, ":1 references no secrets") || slices.Contains(f.ops.list(), "IAM:SimulatePrincipalPolicy") {
		t.Errorf("summary %q, calls %v", res.Summary, f.ops.list())
	}

	svc = f.secretService("", true)
	_, res = f.previewAndRun("secrets.execution_role_access", actions.Request{Service: svc})
	if !strings.HasSuffix(res.Summary, ":1 references 5 secrets but has no execution role, so ECS cannot fetch them") || slices.Contains(f.ops.list(), "IAM:SimulatePrincipalPolicy") {
		t.Errorf("summary %q, calls %v", res.Summary, f.ops.list())
	}
	contains(t, "details", res.Text(), "execution role `none`")

	svc.ECSService = "gone"
	_, err := f.run("secrets.execution_role_access", actions.Request{Service: svc}, nil)
	wantCode(t, err, "MISSING")
	svc.Cluster = ""
	_, err = f.run("secrets.execution_role_access", actions.Request{Service: svc}, nil)
	wantErr(t, err, "service api has no cluster in the targets file")
}

func TestSecretTarget(t *testing.T) {
	for _, c := range []struct{ in, action, resource string }{
		{secretARN, getSecretValue, secretARN},
		{secretARN + ":password:AWSCURRENT:", getSecretValue, secretARN},
		{paramARN, getParameters, paramARN},
		{"/prod/api-key", getParameters, paramARN},
		{"prod-key", getParameters, "arn:aws:ssm:us-east-1:123456789012:parameter/prod-key"},
		{"arn:aws:s3:::bucket/key", "", ""},
		{"", "", ""},
	} {
		action, resource := secretTarget(c.in, "aws", "us-east-1", "123456789012")
		if action != c.action || resource != c.resource {
			t.Errorf("secretTarget(%q) = %q %q", c.in, action, resource)
		}
	}
}
