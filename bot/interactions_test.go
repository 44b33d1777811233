package bot

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

// FuzzInteraction: whatever interaction payload arrives, validating it and
// reading its metadata never panics.
func FuzzInteraction(f *testing.F) {
	f.Add([]byte(`{"type":"view_submission","view":{"callback_id":"incident_declare","private_metadata":"{\"c\":\"C1\"}","state":{"values":{"title":{"value":{"type":"plain_text_input","value":"x"}}}}}}`))
	f.Add([]byte(`{"type":"view_submission","view":{"callback_id":"incident_update","state":null}}`))
	f.Add([]byte(`{"type":"block_actions","actions":[{"action_id":"incident_resolve","value":"not-a-uuid"}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var cb slack.InteractionCallback
		if json.Unmarshal(raw, &cb) != nil {
			return
		}
		_ = ValidateSubmission(cb.View)
		_ = decodeViewMeta(cb.View.PrivateMetadata)
		_ = firstBlock(cb.View)
	})
}

func TestValidateSubmission(t *testing.T) {
	state := func(block, value string) *slack.ViewState {
		return &slack.ViewState{Values: map[string]map[string]slack.BlockAction{block: {inputAction: {Value: value}}}}
	}
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name    string
		view    slack.View
		errKey  string
		wantErr bool
	}{
		{"declare ok", slack.View{CallbackID: ViewDeclare, State: state(blockTitle, "DB down")}, "", false},
		{"declare blank", slack.View{CallbackID: ViewDeclare, State: state(blockTitle, "  ")}, blockTitle, true},
		{"declare too long", slack.View{CallbackID: ViewDeclare, State: state(blockTitle, string(long))}, blockTitle, true},
		{"declare no state", slack.View{CallbackID: ViewDeclare}, blockTitle, true},
		{"update blank", slack.View{CallbackID: ViewUpdate, State: state(blockText, "")}, blockText, true},
		{"update ok", slack.View{CallbackID: ViewUpdate, State: state(blockText, "better")}, "", false},
		{"resolve empty summary ok", slack.View{CallbackID: ViewResolve}, "", false},
	}
	for _, tt := range tests {
		errs := ValidateSubmission(tt.view)
		if (errs != nil) != tt.wantErr || (tt.wantErr && errs[tt.errKey] == "") {
			t.Errorf("%s: errors = %v", tt.name, errs)
		}
	}
}
