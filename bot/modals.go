package bot

import (
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incident-bot/incident-bot/incidents"
)

// Modal callback IDs, and the block/action IDs of their inputs.
const (
	ViewDeclare = "incident_declare"
	ViewUpdate  = "incident_update"
	ViewResolve = "incident_resolve"
	// ViewActionItem records an action item for the postmortem.
	ViewActionItem = "incident_action_item"

	blockTitle       = "title"
	blockSeverity    = "severity"
	blockDescription = "description"
	blockText        = "text"
	blockOwner       = "owner"
	inputAction      = "value"
)

// viewMeta travels in a modal's private_metadata: which incident it is for
// and where to answer. The slash command's response_url stays valid for 30
// minutes, long enough to report a failure after the form is submitted.
type viewMeta struct {
	IncidentID  string `json:"i,omitempty"`
	Channel     string `json:"c,omitempty"`
	ResponseURL string `json:"r,omitempty"`
}

func (m viewMeta) encode() string {
	b, _ := json.Marshal(m) // strings only: cannot fail
	return string(b)
}

func decodeViewMeta(s string) viewMeta {
	var m viewMeta
	_ = json.Unmarshal([]byte(s), &m) // a tampered value just yields an empty meta
	return m
}

func textInput(block, label, placeholder string, multiline bool, maxLen int, optional bool) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain(placeholder), inputAction)
	el.Multiline = multiline
	el.MaxLength = maxLen
	in := slack.NewInputBlock(block, plain(label), nil, el)
	in.Optional = optional
	return in
}

// DeclareModal asks for title, severity and description; sev (when given
// on the command line) is preselected.
func DeclareModal(sev incidents.Severity, meta viewMeta) slack.ModalViewRequest {
	if !sev.Valid() {
		sev = incidents.DefaultSeverity
	}
	var opts []*slack.OptionBlockObject
	for s := incidents.Sev1; s <= incidents.Sev4; s++ {
		opts = append(opts, slack.NewOptionBlockObject(s.String(), plain(s.Label()), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Severity"), inputAction, opts...)
	sel.InitialOption = opts[sev-1]
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: ViewDeclare,
		Title:      plain("Declare an incident"),
		Submit:     plain("Declare"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textInput(blockTitle, "What is happening?", "Users see 502 errors", false, incidents.MaxTitleLen, false),
			slack.NewInputBlock(blockSeverity, plain("Severity"), nil, sel),
			textInput(blockDescription, "Details", "What you know so far", true, incidents.MaxDescriptionLen, true),
		}},
		PrivateMetadata: meta.encode(),
	}
}

// UpdateModal asks for a status update.
func UpdateModal(inc incidents.Incident, meta viewMeta) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: ViewUpdate,
		Title:      plain("Status update " + inc.Ref()),
		Submit:     plain("Post"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textInput(blockText, "What changed?", "Current state, next step, next update in 15 minutes", true, incidents.MaxUpdateLen, false),
		}},
		PrivateMetadata: meta.encode(),
	}
}

// ResolveModal asks for an optional resolution summary.
func ResolveModal(inc incidents.Incident, meta viewMeta) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: ViewResolve,
		Title:      plain("Resolve " + inc.Ref()),
		Submit:     plain("Resolve"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textInput(blockText, "Summary", "What fixed it", true, incidents.MaxUpdateLen, true),
		}},
		PrivateMetadata: meta.encode(),
	}
}

// inputValue reads a plain-text or select input from a submitted view.
func inputValue(state *slack.ViewState, block string) string {
	if state == nil {
		return ""
	}
	a, ok := state.Values[block][inputAction]
	if !ok {
		return ""
	}
	if a.SelectedOption.Value != "" {
		return a.SelectedOption.Value
	}
	if a.SelectedUser != "" {
		return a.SelectedUser
	}
	return strings.TrimSpace(a.Value)
}

// ActionItemModal asks for an action item and, optionally, its owner.
func ActionItemModal(inc incidents.Incident, meta viewMeta) slack.ModalViewRequest {
	owner := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Who owns it"), inputAction)
	ownerBlock := slack.NewInputBlock(blockOwner, plain("Owner"), nil, owner)
	ownerBlock.Optional = true
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: ViewActionItem,
		Title:      plain("Action item " + inc.Ref()),
		Submit:     plain("Add"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textInput(blockText, "What should be done?", "Alert on crash-looping tasks", true, 1000, false),
			ownerBlock,
		}},
		PrivateMetadata: meta.encode(),
	}
}
