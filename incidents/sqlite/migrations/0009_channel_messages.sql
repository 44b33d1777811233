-- Incident channels as they happen: every message, edit, deletion, pin and
-- reaction Slack reports in an incident channel, so the postmortem draft is
-- made from the store instead of re-reading the channel at the end.
--
-- Keyed by (channel, ts), Slack's own ID of a message: a redelivered event
-- finds its row. seen: the message itself arrived (a pin, reaction or
-- deletion may arrive first and wait for it here). text_at and pin_at are
-- when the stored wording and pin were written: a change older than them
-- (delivered late, or twice) changes nothing. changed_at is the last change.
CREATE TABLE channel_messages (
    channel     TEXT NOT NULL,
    ts          TEXT NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seen        INTEGER NOT NULL DEFAULT 0,
    posted_at   TEXT,
    user_id     TEXT NOT NULL DEFAULT '',
    bot_id      TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    subtype     TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    thread_ts   TEXT NOT NULL DEFAULT '',
    color       TEXT NOT NULL DEFAULT '',
    files       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(files)),
    edited      INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    pinned      INTEGER NOT NULL DEFAULT 0,
    text_at     TEXT,
    pin_at      TEXT,
    changed_at  TEXT NOT NULL,
    PRIMARY KEY (channel, ts)
) STRICT;

CREATE INDEX channel_messages_incident_idx ON channel_messages (incident_id);

-- One row per person and emoji on a message; present is whether the
-- reaction is there after the latest change (at) of it.
CREATE TABLE channel_reactions (
    channel TEXT NOT NULL,
    ts      TEXT NOT NULL,
    name    TEXT NOT NULL,
    user_id TEXT NOT NULL,
    present INTEGER NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (channel, ts, name, user_id)
) STRICT;

-- When the bot began to hear events: what it missed lies just before
-- each start, and is read from Slack's history when a draft needs it.
CREATE TABLE capture_starts (
    at TEXT PRIMARY KEY
) STRICT;
