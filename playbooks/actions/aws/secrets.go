package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// secretsAccess is secrets.execution_role_access: whether the service's
// task execution role may read each secret its current task definition
// references (container secrets, log driver secret options, private
// registry credentials), by simulating the call ECS makes for it
// (secretsmanager:GetSecretValue, ssm:GetParameters) with IAM's policy
// simulator — the runbook's "execution role lacks Secrets Manager
// permissions" check.
type secretsAccess struct{ c *Clients }

func (secretsAccess) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

// secretRef is one secret a task definition references.
type secretRef struct {
	container string
	name      string // the environment variable, log option or "registry credentials"
	valueFrom string
	action    string // what ECS calls to fetch it
	resource  string // the ARN it calls it on
}

// The IAM actions ECS uses to fetch secrets for a task.
const (
	getSecretValue = "secretsmanager:GetSecretValue"
	getParameters  = "ssm:GetParameters"
)

func (r secretsAccess) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, s, err := r.c.service(ctx, req, "cluster", "ecs_service")
	if err != nil {
		return actions.Result{}, err
	}
	t := ecsTarget{api: a.ecs, svc: s, cluster: s.Cluster, name: s.ECSService}
	td, id, err := currentTaskDef(ctx, t)
	if err != nil {
		return actions.Result{}, err
	}
	tdName := taskDefName(aws.ToString(td.TaskDefinitionArn))
	partition, account := arnPartitionAccount(aws.ToString(td.TaskDefinitionArn))
	refs := secretRefs(td, partition, t.svc.Region, account)
	role := executionRoleARN(td, partition, account)

	sec := actions.Section{Title: fmt.Sprintf("Task definition `%s`, execution role `%s`", tdName, orNone(role))}
	switch {
	case len(refs) == 0:
		return actions.Result{Summary: fmt.Sprintf("%s: task definition %s references no secrets", t.name, tdName),
			Sections: []actions.Section{sec}, RequestID: id}, nil
	case role == "":
		for _, ref := range refs {
			sec.Rows = append(sec.Rows, fmt.Sprintf("❌ %s ← `%s`", refLabel(ref), ref.valueFrom))
		}
		return actions.Result{
			Summary:   fmt.Sprintf("%s: task definition %s references %s but has no execution role, so ECS cannot fetch them", t.name, tdName, plural(len(refs), "secret")),
			Sections:  []actions.Section{sec},
			RequestID: id,
		}, nil
	}

	decisions, simID, err := simulateSecretAccess(ctx, a.iam, role, refs)
	if err != nil {
		return actions.Result{}, err
	}
	if simID != "" {
		id = simID // the simulation's, which decided
	}
	rows, denied := secretChecks(refs, decisions)
	sec.Rows = rows
	note := actions.Section{Title: "Simulated against the role's own IAM policies; a secret's resource policy or a customer-managed KMS key can still deny."}
	summary := secretsSummary(t.name, role, tdName, len(refs), denied)
	return actions.Result{Summary: summary, Sections: []actions.Section{sec, note}, RequestID: id}, nil
}

// currentTaskDef fetches the service's current task definition and the request ID.
func currentTaskDef(ctx context.Context, t ecsTarget) (*ecstypes.TaskDefinition, string, error) {
	svc, _, err := t.describe(ctx)
	if err != nil {
		return nil, "", err
	}
	out, err := t.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition})
	if err != nil {
		return nil, "", apiError("ecs DescribeTaskDefinition", err)
	}
	td := out.TaskDefinition
	if td == nil {
		td = &ecstypes.TaskDefinition{}
	}
	return td, requestID(out.ResultMetadata), nil
}

// executionRoleARN is the task definition's execution role as an ARN, or "".
func executionRoleARN(td *ecstypes.TaskDefinition, partition, account string) string {
	role := aws.ToString(td.ExecutionRoleArn)
	if role != "" && !strings.HasPrefix(role, "arn:") {
		role = fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, role)
	}
	return role
}

// simulateSecretAccess is IAM's decisions on the calls refs need, and the request ID.
func simulateSecretAccess(ctx context.Context, api iamAPI, role string, refs []secretRef) (map[string]iamtypes.EvaluationResult, string, error) {
	// One simulation per IAM action, over all the resources it is used on.
	byAction := map[string][]string{}
	for _, ref := range refs {
		if ref.resource != "" && !slices.Contains(byAction[ref.action], ref.resource) {
			byAction[ref.action] = append(byAction[ref.action], ref.resource)
		}
	}
	var id string
	decisions := map[string]iamtypes.EvaluationResult{} // action + " " + resource
	for _, action := range slices.Sorted(maps.Keys(byAction)) {
		pages := iam.NewSimulatePrincipalPolicyPaginator(api, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(role),
			ActionNames:     []string{action},
			ResourceArns:    byAction[action],
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, "", apiError("iam SimulatePrincipalPolicy", err)
			}
			if rid := requestID(page.ResultMetadata); rid != "" {
				id = rid
			}
			addDecisions(decisions, page.EvaluationResults)
		}
	}
	return decisions, id, nil
}

// addDecisions records evaluation results by action + " " + resource.
func addDecisions(decisions map[string]iamtypes.EvaluationResult, results []iamtypes.EvaluationResult) {
	for _, res := range results {
		act := aws.ToString(res.EvalActionName)
		decisions[act+" "+aws.ToString(res.EvalResourceName)] = res
		for _, rs := range res.ResourceSpecificResults {
			decisions[act+" "+aws.ToString(rs.EvalResourceName)] = iamtypes.EvaluationResult{
				EvalActionName: res.EvalActionName, EvalResourceName: rs.EvalResourceName,
				EvalDecision: rs.EvalResourceDecision, MatchedStatements: rs.MatchedStatements,
			}
		}
	}
}

// secretChecks is a row per secret with its decision, and the denied ones' names.
func secretChecks(refs []secretRef, decisions map[string]iamtypes.EvaluationResult) (rows, denied []string) {
	for _, ref := range refs {
		if ref.resource == "" {
			rows = append(rows, fmt.Sprintf("❓ %s ← `%s`: not a Secrets Manager or Parameter Store reference, not checked", refLabel(ref), ref.valueFrom))
			continue
		}
		res, ok := decisions[ref.action+" "+ref.resource]
		switch {
		case !ok:
			rows = append(rows, fmt.Sprintf("❓ %s ← `%s`: no simulation result for %s", refLabel(ref), ref.valueFrom, ref.action))
		case res.EvalDecision == iamtypes.PolicyEvaluationDecisionTypeAllowed:
			rows = append(rows, fmt.Sprintf("✅ %s ← `%s`: %s allowed", refLabel(ref), ref.valueFrom, ref.action))
		default:
			denied = append(denied, ref.name)
			rows = append(rows, fmt.Sprintf("❌ %s ← `%s`: %s %s — %s", refLabel(ref), ref.valueFrom, ref.action, string(res.EvalDecision), denialReason(res)))
		}
	}
	return rows, denied
}

// denialReason says why the simulator did not allow a call.
func denialReason(res iamtypes.EvaluationResult) string {
	why := "no policy of the role allows it"
	if res.EvalDecision == iamtypes.PolicyEvaluationDecisionTypeExplicitDeny {
		why = "a policy statement denies it"
		for _, st := range res.MatchedStatements {
			if p := aws.ToString(st.SourcePolicyId); p != "" {
				why += " (" + p + ")"
				break
			}
		}
	}
	return why
}

// secretsSummary words the summary: all secrets readable, or which are denied.
func secretsSummary(service, role, tdName string, refs int, denied []string) string {
	roleName := role[strings.LastIndex(role, "/")+1:]
	if len(denied) > 0 {
		names := denied
		if len(names) > 3 {
			names = append(names[:3:3], "…")
		}
		return fmt.Sprintf("%s: execution role %s is DENIED %d of %s: %s", service, roleName, len(denied), plural(refs, "secret"), strings.Join(names, ", "))
	}
	return fmt.Sprintf("%s: execution role %s may read all %s of %s", service, roleName, plural(refs, "secret"), tdName)
}

// secretRefs lists the secrets a task definition references, with the
// IAM action and resource ECS needs for each. A Parameter Store name
// (not an ARN) is in the task's own region and account.
func secretRefs(td *ecstypes.TaskDefinition, partition, region, account string) []secretRef {
	var refs []secretRef
	add := func(container, name, valueFrom string) {
		ref := secretRef{container: container, name: name, valueFrom: valueFrom}
		ref.action, ref.resource = secretTarget(valueFrom, partition, region, account)
		refs = append(refs, ref)
	}
	for _, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		for _, s := range c.Secrets {
			add(name, aws.ToString(s.Name), aws.ToString(s.ValueFrom))
		}
		if c.LogConfiguration != nil {
			for _, s := range c.LogConfiguration.SecretOptions {
				add(name, "log option "+aws.ToString(s.Name), aws.ToString(s.ValueFrom))
			}
		}
		if rc := c.RepositoryCredentials; rc != nil && aws.ToString(rc.CredentialsParameter) != "" {
			add(name, "registry credentials", aws.ToString(rc.CredentialsParameter))
		}
	}
	return refs
}

// secretTarget is the IAM action and resource ARN ECS needs to fetch
// valueFrom: a Secrets Manager ARN (less any JSON key, version stage or
// version ID after the secret's name), a Parameter Store ARN, or a
// parameter name. Anything else gives "", "".
func secretTarget(valueFrom, partition, region, account string) (action, resource string) {
	if strings.HasPrefix(valueFrom, "arn:") {
		parts := strings.Split(valueFrom, ":")
		switch {
		case len(parts) >= 7 && parts[2] == "secretsmanager" && parts[5] == "secret":
			return getSecretValue, strings.Join(parts[:7], ":")
		case len(parts) == 6 && parts[2] == "ssm" && strings.HasPrefix(parts[5], "parameter/"):
			return getParameters, valueFrom
		}
		return "", ""
	}
	if valueFrom == "" || account == "" {
		return "", ""
	}
	return getParameters, fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", partition, region, account, strings.TrimPrefix(valueFrom, "/"))
}

// arnPartitionAccount reads an ARN's partition and account.
func arnPartitionAccount(arn string) (partition, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return "aws", ""
	}
	return parts[1], parts[4]
}

func refLabel(ref secretRef) string {
	return fmt.Sprintf("`%s` %s", ref.container, ref.name)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
