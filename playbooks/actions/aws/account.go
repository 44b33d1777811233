package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// noticeContacts is account.notice_contacts: who receives the account's
// AWS notices. In the Prod Green outage AWS announced the instance's
// retirement by email, to an address nobody on the team read; the
// postmortem's lesson "make sure we receive emails from AWS" is this
// check. It reads the account of the service's role (or the bot's own).
type noticeContacts struct{ c *Clients }

// noticeTypes are the alternate contacts, operations first: that is where
// AWS sends scheduled maintenance and retirement notices.
var noticeTypes = []types.AlternateContactType{
	types.AlternateContactTypeOperations,
	types.AlternateContactTypeSecurity,
	types.AlternateContactTypeBilling,
}

// rootOnly is what an unset alternate contact means.
const rootOnly = "none set: AWS writes to the root user's email only"

func (noticeContacts) Preview(context.Context, actions.Request) (actions.Preview, error) {
	return actions.Preview{}, nil
}

func (r noticeContacts) Run(ctx context.Context, req actions.Request) (actions.Result, error) {
	a, _, err := r.c.service(ctx, req)
	if err != nil {
		return actions.Result{}, err
	}
	var rows []string
	var ops *types.AlternateContact
	var reqID string
	for _, typ := range noticeTypes {
		c, id, err := alternateContact(ctx, a.account, typ)
		if err != nil {
			return actions.Result{}, err
		}
		if reqID == "" {
			reqID = id
		}
		if typ == types.AlternateContactTypeOperations {
			ops = c
		}
		rows = append(rows, contactRow(typ, c))
	}
	secs := []actions.Section{
		{Title: "Alternate contacts (who AWS writes to besides the root user)", Rows: rows},
		{Title: "Primary contact", Rows: []string{primaryContact(ctx, a.account)}},
		{Rows: []string{
			"The root user's email address cannot be read through the API: check in the console (Account) that it is a mailbox the team reads.",
		}},
	}
	if ops == nil {
		secs = append(secs, actions.Section{Rows: []string{
			"This is the gap the instance-retirement postmortem found: AWS's retirement notice went to an address the team does not manage. " +
				"Set the operations contact to a team mailbox (console: Account → Alternate contacts, or aws account put-alternate-contact).",
		}})
	}
	return actions.Result{Summary: noticeSummary(ops), Sections: secs, RequestID: reqID}, nil
}

// alternateContact returns the contact of a type, or nil when none is
// set (AWS answers ResourceNotFoundException), with the request ID.
func alternateContact(ctx context.Context, api accountAPI, typ types.AlternateContactType) (*types.AlternateContact, string, error) {
	out, err := api.GetAlternateContact(ctx, &account.GetAlternateContactInput{AlternateContactType: typ})
	switch {
	case isCode(err, "ResourceNotFoundException"):
		return nil, errRequestID(err), nil
	case err != nil:
		return nil, "", apiError("account GetAlternateContact "+string(typ), err)
	}
	return out.AlternateContact, requestID(out.ResultMetadata), nil
}

func contactRow(typ types.AlternateContactType, c *types.AlternateContact) string {
	label := strings.ToLower(string(typ))
	if c == nil {
		return label + ": " + rootOnly
	}
	row := fmt.Sprintf("%s: %s", label, aws.ToString(c.EmailAddress))
	var who []string
	for _, s := range []string{aws.ToString(c.Name), aws.ToString(c.Title), aws.ToString(c.PhoneNumber)} {
		if s != "" {
			who = append(who, s)
		}
	}
	if len(who) > 0 {
		row += " (" + strings.Join(who, ", ") + ")"
	}
	return row
}

// primaryContact is the account's primary contact, or why it could not
// be read: it is extra, so its failure (a policy without
// account:GetContactInformation, an old endpoint) does not hide the
// alternate contacts.
func primaryContact(ctx context.Context, api accountAPI) string {
	out, err := api.GetContactInformation(ctx, &account.GetContactInformationInput{})
	if err != nil {
		return "could not be read: " + apiError("account GetContactInformation", err).Error()
	}
	ci := out.ContactInformation
	if ci == nil {
		return "not set"
	}
	var parts []string
	for _, s := range []string{aws.ToString(ci.FullName), aws.ToString(ci.CompanyName), aws.ToString(ci.PhoneNumber), aws.ToString(ci.CountryCode)} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ") + " (a postal contact: AWS's notices go by email to the root user and the alternate contacts)"
}

// noticeSummary says plainly whether operations notices reach anyone
// besides the root user's mailbox, and where.
func noticeSummary(ops *types.AlternateContact) string {
	if ops == nil {
		return "No operations contact is set: AWS sends operations notices (EC2 retirements among them) to the root user's email only"
	}
	to := aws.ToString(ops.EmailAddress)
	if name := aws.ToString(ops.Name); name != "" {
		to += " (" + name + ")"
	}
	return "Operations contact is set: AWS operations notices (EC2 retirements among them) go to " + to + " as well as the root user's email"
}
