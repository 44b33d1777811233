// Package slacktest is the project's fake Slack: one in-process server that speaks Slack's real
// wire formats for the Web API methods, the Socket Mode WebSocket and response_url hooks the bot
// uses, so tests drive the production code through the real slack-go client and fake nothing but
// the network edge.
//
// The fake keeps state (users, channels, members, messages, threads, views, trigger_ids, response
// URLs, files, bookmarks) and enforces the rules real Slack enforces for these methods, answering
// with Slack's own error codes (`{"ok":false,"error":"name_taken"}`, HTTP 429 + Retry-After,
// `invalid_arguments` with response_metadata.messages, ...). A test that passes against it should
// fail against it for the same reasons it would fail against Slack.
//
// Where the fake is deliberately more lenient than Slack, or had to pick a behaviour Slack does
// not document, it says so here:
//
//   - Users: any ID starting with "U" or "W" is a known user (created on first use with a name
//     derived from the ID) unless it starts with "UUNKNOWN"; AddUser gives a user a proper name.
//   - The bot token is treated as having chat:write.public: the bot may post to public channels it
//     has not joined, but needs membership for private ones. Private channels the bot is not in are
//     invisible to it (channel_not_found), as in Slack.
//   - conversations.invite is all-or-nothing: the first failing user's error is returned and nobody
//     is invited (the `force` argument is not implemented).
//   - views.open/views.push: a trigger_id that does not have Slack's shape gets invalid_trigger_id;
//     one with the right shape that the fake never issued gets invalid_arguments with the message
//     "invalid `trigger_id`" (the example error in Slack's views.open reference).
//   - Block Kit validation covers the common limits (50 blocks per message, 100 per modal, text
//     lengths, element counts, required fields). Messages whose wording was confirmed against
//     recorded Slack answers: "must be less than N characters", "must be more than 0 characters",
//     "no more than N items allowed", "must provide at least 1 items". The other messages are
//     worded by the fake; rely only on their error code and json-pointer. Blocks that are not a
//     JSON array of objects get invalid_blocks_format, as Slack's reference lists.
//   - views.push with no modal open for the trigger's user answers not_found; a stack holds at most
//     three views (push_limit_reached), as documented.
//   - response_url: answers 200 with the plain-text body "ok" (refusals: 400 no_text/invalid_payload,
//     404 no_service, the incoming-webhook codes). Slack allows five posts within 30 minutes; the fake
//     does not count them.
//   - A slash command acknowledged with a payload shows that payload to the user, as Slack does
//     (an ephemeral message, or a channel message for "in_channel"); Messages shows it.
//   - Like Slack, the fake fills in missing block_ids (and action_ids) of stored messages and views.
//   - Joining a channel posts Slack's channel_join message ("<@U> has joined the channel", with
//     inviter when invited): for the creator on conversations.create, for each member AddChannel
//     is given, for each user conversations.invite adds and for the bot on conversations.join.
//     Messages includes them (Subtype "channel_join").
//   - conversations.history and conversations.replies need the bot in the conversation
//     (not_in_channel otherwise; Slack lists that error for history only, the fake answers it for
//     both). Without latest there is no upper bound (Slack's default is "now", which a test clock
//     would cut short). history: limit 100 by default, at most 999; replies: 1000 and 1000; a limit
//     that is not a number is invalid_limit. Cursors look like the sample's (base64 of
//     "next_ts:<ts without its dot>"). replies puts the parent on the first page only and applies
//     oldest/latest to the replies.
//   - File uploads: the upload_url (/upload/v1/<secret>) takes raw bytes or a multipart file part
//     and answers 200 "OK - <n>"; bytes that do not match the announced length get 400 and the
//     file stays unuploaded. Completing an unknown, unuploaded or already completed file is
//     file_not_found. Sharing needs membership (not_in_channel), unlike chat.postMessage. Files
//     are shared at once (Slack processes them asynchronously), and are capped at 64 MiB
//     (file_upload_size_restricted). url_private(_download) serve the bytes to the bot token and
//     answer 403 to anyone else. The invalid_arguments messages of the files.* and bookmarks.*
//     methods are worded by the fake.
//   - Bookmarks: only type "link" (invalid_bookmark_type otherwise); the bot may bookmark public
//     channels it is not in; emoji is not validated and the per-channel limit is not enforced.
//   - Canvases: conversations.canvases.create makes a channel's one canvas (the bot must be in
//     the channel: not_in_channel; a second is channel_canvas_already_exists) from markdown
//     document_content; canvases.edit takes replace (whole canvas), insert_at_start and
//     insert_at_end, without section_id (the fake has no sections). Canvases lists them with
//     their edits; they are not files in Files. A workspace that refuses canvases is FailNext
//     with its code (canvas_disabled_user_team, team_tier_cannot_create_channel_canvases…).
//   - pins.list and reactions.get cover messages, not files.
//   - conversations.list takes the types public_channel (the default), private_channel, mpim and
//     im (the fake has no group DMs; im lists the bot's DMs); any other type is invalid_types. A
//     limit above 1000 is invalid_limit. The fake has no archived channels, so exclude_archived
//     changes nothing. Cursors look like the sample in Slack's reference (base64 of "team:<ID of
//     the next page's first conversation>"). Scopes are not checked, here or anywhere.
//   - Message metadata (chat.postMessage, chat.update): metadata that is not a JSON object is
//     invalid_metadata_format; an event_type that is missing, empty or not letters, digits and
//     underscores, or an event_payload that is not an object, is invalid_metadata_schema (Slack
//     lists both codes; which mistake gets which is the fake's choice). A missing or null
//     event_payload is stored as {}. The size limit (metadata_too_large) is not enforced. Only
//     conversations.history and conversations.replies with include_all_metadata return it; the
//     chat.* answers and interaction payloads do not.
//   - Injected faults (Inject): ServerError answers with an HTML page worded by the fake (clients
//     only read the status). Reset closes the connection with a TCP RST. Hang answers nothing and,
//     when its Until passes, it is cancelled or the server closes, closes the connection without
//     an answer (a proxy of Slack's would eventually answer 504; the fake never does).
//   - Rate limits (Options.RateLimits, off by default): each method's bucket holds its tier's base
//     number (Tier 1: 1, Tier 2: 20, Tier 3: 50, Tier 4: 100 calls) and refills evenly over a
//     minute; Slack documents only "N+ per minute" and allows bursts it does not specify.
//     chat.postMessage is limited per channel only (1 a second, bursts of 3); Slack's workspace-wide
//     cap on posting is not modelled. auth.test counts as Tier 4, unlisted methods as Tier 3. The
//     limits are checked before the token, so calls with a wrong token spend them too, and a
//     refused call spends nothing. apps.connections.open is Tier 1: a Socket Mode client that
//     reconnects within a minute is refused, so tests of reconnection leave the limits off.
//
// Tests build realistic channels with AddMessage, AddReply, AddBotMessage, AddFile, EditMessage,
// Pin and React; the MessageOptions At (post at a given time, for channels spanning days),
// InThread and Broadcast adjust what they add.
//
// Options.Now sets the clock behind timestamps and trigger_id expiry (3 seconds), so tests can
// expire a trigger without sleeping. Injected faults' Until and the rate-limit buckets run on the
// wall clock instead, because the clients under test really wait.
//
// FailNext and RateLimitNext fail the next call to a method; Inject arms a Fault for a number of
// calls or a stretch of time (a 429 storm on every method, 503s, reset or hung connections,
// calls that take effect although their answer is lost). Calls records each call with the fault
// that answered it, WaitCalls waits for calls to arrive and RateLimitedCount counts the 429s.
//
// Slack answers JSON bodies sent as "application/json" without a charset with the warning
// missing_charset; so does the fake (slack-go sends views.* and apps.connections.open that way).
package slacktest
