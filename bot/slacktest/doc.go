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
//   - pins.list and reactions.get cover messages, not files.
//
// Tests build realistic channels with AddMessage, AddReply, AddBotMessage, AddFile, EditMessage,
// Pin and React; the MessageOptions At (post at a given time, for channels spanning days),
// InThread and Broadcast adjust what they add.
//
// Options.Now sets the clock behind timestamps and trigger_id expiry (3 seconds), so tests can
// expire a trigger without sleeping.
//
// Slack answers JSON bodies sent as "application/json" without a charset with the warning
// missing_charset; so does the fake (slack-go sends views.* and apps.connections.open that way).
package slacktest
