// Package slacktest is the project's fake Slack: one in-process server that speaks Slack's real
// wire formats for the Web API methods, the Socket Mode WebSocket and response_url hooks the bot
// uses, so tests drive the production code through the real slack-go client and fake nothing but
// the network edge.
//
// The fake keeps state (users, channels, members, messages, views, trigger_ids, response URLs) and
// enforces the rules real Slack enforces for these methods, answering with Slack's own error codes
// (`{"ok":false,"error":"name_taken"}`, HTTP 429 + Retry-After, `invalid_arguments` with
// response_metadata.messages, ...). A test that passes against it should fail against it for the
// same reasons it would fail against Slack.
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
//
// Options.Now sets the clock behind timestamps and trigger_id expiry (3 seconds), so tests can
// expire a trigger without sleeping.
//
// Slack answers JSON bodies sent as "application/json" without a charset with the warning
// missing_charset; so does the fake (slack-go sends views.* and apps.connections.open that way).
package slacktest
