package bot

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// API is the part of Slack's Web API the bot uses; *slack.Client satisfies
// it. The manifest's scopes must cover exactly these calls (see scopes.go).
// Each part of the bot declares the slice it uses.
type API interface {
	ChannelsAPI
	MessagesAPI
	ViewsAPI
	HistoryAPI
	FilesAPI
	CanvasesAPI
	UserGroupsAPI
}

// ChannelsAPI makes and finds incident channels.
type ChannelsAPI interface {
	CreateConversationContext(ctx context.Context, params slack.CreateConversationParams) (*slack.Channel, error)
	SetTopicOfConversationContext(ctx context.Context, channelID, topic string) (*slack.Channel, error)
	InviteUsersToConversationContext(ctx context.Context, channelID string, users ...string) (*slack.Channel, error)
	GetConversationsContext(ctx context.Context, params *slack.GetConversationsParameters) ([]slack.Channel, string, error)
	JoinConversationContext(ctx context.Context, channelID string) (*slack.Channel, string, []string, error)
}

// MessagesAPI posts and redraws messages.
type MessagesAPI interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
}

// ViewsAPI opens forms.
type ViewsAPI interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
}

// HistoryAPI reads a channel and who wrote in it.
type HistoryAPI interface {
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

// FilesAPI shares the postmortem draft and bookmarks it.
type FilesAPI interface {
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
	// The upload in its parts, so that two files share one message.
	GetUploadURLExternalContext(ctx context.Context, params slack.GetUploadURLExternalParameters) (*slack.GetUploadURLExternalResponse, error)
	UploadToURL(ctx context.Context, params slack.UploadToURLParameters) error
	CompleteUploadExternalContext(ctx context.Context, params slack.CompleteUploadExternalParameters) (*slack.CompleteUploadExternalResponse, error)
	GetFileInfoContext(ctx context.Context, fileID string, count, page int) (*slack.File, []slack.Comment, *slack.Paging, error)
	DeleteFileContext(ctx context.Context, fileID string) error
	AddBookmarkContext(ctx context.Context, channelID string, params slack.AddBookmarkParameters) (slack.Bookmark, error)
	EditBookmarkContext(ctx context.Context, channelID, bookmarkID string, params slack.EditBookmarkParameters) (slack.Bookmark, error)
}

// CanvasesAPI offers the postmortem draft as the incident channel's
// canvas (conversations.canvases.create, canvases.edit).
type CanvasesAPI interface {
	CreateChannelCanvasContext(ctx context.Context, channel string, documentContent slack.DocumentContent, options ...slack.CreateChannelCanvasOption) (string, error)
	EditCanvasContext(ctx context.Context, params slack.EditCanvasParams) error
}

// UserGroupsAPI reads who is in a user group (approvers, escalation).
type UserGroupsAPI interface {
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// ClientOptions configures NewClient.
type ClientOptions struct {
	BotToken string
	AppToken string // xapp-…, for apps.connections.open
	APIURL   string // Slack Web API base; empty means Slack's own
	Metrics  *Metrics
	// NoPacing turns off the pacing by Slack's published tiers; Slack's
	// own 429s and their Retry-After are honoured either way.
	NoPacing bool
}

// requestTimeout bounds one HTTP request to Slack.
const requestTimeout = 30 * time.Second

// NewClient builds the Slack Web API client: every call waits for the
// shared rate limiter (Slack's tiers, chat.postMessage per channel, and
// any Retry-After Slack sent any caller), a 429 is retried when the
// caller may wait that long, and every call is counted and timed by
// method. slack-go's own retries are off: the limiter does them, shared.
func NewClient(opts ClientOptions) (*slack.Client, *http.Client) {
	counting := &countingTransport{next: http.DefaultTransport, m: opts.Metrics}
	lim := newLimiter(opts.Metrics)
	lim.noPacing = opts.NoPacing
	hc := &http.Client{Timeout: requestTimeout, Transport: &rateTransport{next: counting, lim: lim}}
	o := []slack.Option{slack.OptionHTTPClient(hc), slack.OptionAppLevelToken(opts.AppToken)}
	if opts.APIURL != "" {
		u := opts.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		o = append(o, slack.OptionAPIURL(u))
	}
	return slack.New(opts.BotToken, o...), hc
}

// countingTransport records each Slack call in the metrics, labelled by the
// Web API method (the last path segment), or "response_url".
type countingTransport struct {
	next http.RoundTripper
	m    *Metrics
}

// methodOf names the Web API method a request calls.
func methodOf(r *http.Request) string {
	if i := strings.Index(r.URL.Path, "/api/"); i >= 0 {
		return r.URL.Path[i+len("/api/"):]
	}
	return "response_url"
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.m == nil {
		return t.next.RoundTrip(r)
	}
	method := methodOf(r)
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	t.m.SlackLatency.WithLabelValues(method).Observe(time.Since(start).Seconds())
	outcome := "request_failed"
	if err == nil {
		outcome = slackOutcome(resp)
	}
	t.m.SlackCalls.WithLabelValues(method, outcome).Inc()
	return resp, err
}

// slackOutcome is Slack's own answer to a call: "ok", the error code of
// an ok:false answer ("channel_not_found"), or the HTTP status when the
// answer is not one of Slack's JSON bodies ("http_429"). The body is read
// and handed on unchanged.
func slackOutcome(resp *http.Response) string {
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return "http_" + strconv.Itoa(resp.StatusCode)
	}
	// Slack puts "ok" (and "error") first: a peek at the head is enough,
	// and the client still reads the whole body, once, as it came.
	br := bufio.NewReaderSize(resp.Body, outcomePeek)
	resp.Body = struct {
		io.Reader
		io.Closer
	}{br, resp.Body}
	head, _ := br.Peek(outcomePeek)
	switch {
	case bytes.Contains(head, []byte(`"ok":true`)):
		return "ok"
	case !bytes.Contains(head, []byte(`"ok":false`)):
		return "http_200"
	}
	_, rest, found := bytes.Cut(head, []byte(`"error":"`))
	code, _, closed := bytes.Cut(rest, []byte(`"`))
	if !found || !closed {
		return "other_error"
	}
	return errorLabel(string(code))
}

// outcomePeek is how much of an answer slackOutcome looks at.
const outcomePeek = 512

// errorLabel keeps a Slack error code as a metric label: Slack's codes
// are short snake_case words; anything else is one label, so a strange
// answer cannot grow the series without bound.
func errorLabel(code string) string {
	if code == "" || len(code) > 48 {
		return "other_error"
	}
	for _, c := range code {
		if (c < 'a' || c > 'z') && c != '_' && (c < '0' || c > '9') {
			return "other_error"
		}
	}
	return code
}

// SlackErrorCode extracts Slack's error code ("name_taken",
// "restricted_action", "ratelimited"…) from a client error; other failures
// (network: "request_failed", timeouts: "timeout") are named as such,
// and anything else is the bot's own failure ("internal_error").
func SlackErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		return e.Err
	}
	if _, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return "ratelimited"
	}
	if e, ok := errors.AsType[slack.StatusCodeError](err); ok {
		return "http_" + strconv.Itoa(e.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return "request_failed"
	}
	// Not Slack's answer nor the network: the bot's own failure (its
	// store, its code), which must not read as "Slack could not be
	// reached".
	return "internal_error"
}

// explanations turns Slack error codes into advice for the person at the
// keyboard at 3 a.m.
var explanations = map[string]string{
	"restricted_action":                        "this workspace does not let the app do that; a Slack admin must allow the bot to create channels",
	"missing_scope":                            "the app lacks a permission; reinstall it from deploy/slack/manifest.yaml",
	"not_in_channel":                           "the bot is not a member of that channel; invite it with /invite",
	"channel_not_found":                        "the channel does not exist or the bot cannot see it; invite the bot, or check INCIDENTS_CHANNEL",
	"is_archived":                              "the channel is archived",
	"ratelimited":                              "Slack is rate-limiting the bot; it will try again",
	"invalid_auth":                             "Slack rejected the bot token (SLACK_BOT_TOKEN)",
	"account_inactive":                         "the bot's token was revoked or the app uninstalled",
	"user_not_found":                           "Slack does not know that user",
	"expired_trigger_id":                       "the form took too long to open; run the command again",
	"canvas_disabled_user_team":                "canvases are turned off in this workspace",
	"team_tier_cannot_create_channel_canvases": "the workspace's Slack plan has no channel canvases",
	"request_failed":                           "Slack could not be reached",
	"timeout":                                  "Slack did not answer in time",
	"internal_error":                           "the bot failed on its side; its log has the details",
}

// DescribeSlackError is "`code` (advice)" for users, as mrkdwn.
func DescribeSlackError(code string) string {
	if e, ok := explanations[code]; ok {
		return "`" + code + "` (" + e + ")"
	}
	return "`" + code + "`"
}

// ExplainSlackError is "code (advice)" as plain text, for the record.
func ExplainSlackError(code string) string {
	if e, ok := explanations[code]; ok {
		return code + " (" + e + ")"
	}
	return code
}
