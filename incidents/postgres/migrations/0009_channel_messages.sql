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
    channel     text NOT NULL,
    ts          text NOT NULL,
    incident_id uuid NOT NULL REFERENCES incidents (id),
    seen        boolean NOT NULL DEFAULT false,
    posted_at   timestamptz,
    user_id     text NOT NULL DEFAULT '',
    bot_id      text NOT NULL DEFAULT '',
    name        text NOT NULL DEFAULT '',
    subtype     text NOT NULL DEFAULT '',
    text        text NOT NULL DEFAULT '',
    thread_ts   text NOT NULL DEFAULT '',
    color       text NOT NULL DEFAULT '',
    files       jsonb NOT NULL DEFAULT '[]',
    edited      boolean NOT NULL DEFAULT false,
    deleted     boolean NOT NULL DEFAULT false,
    pinned      boolean NOT NULL DEFAULT false,
    text_at     timestamptz,
    pin_at      timestamptz,
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (channel, ts)
);

CREATE INDEX channel_messages_incident_idx ON channel_messages (incident_id);

-- One row per person and emoji on a message; present is whether the
-- reaction is there after the latest change (at) of it.
CREATE TABLE channel_reactions (
    channel text NOT NULL,
    ts      text NOT NULL,
    name    text NOT NULL,
    user_id text NOT NULL,
    present boolean NOT NULL,
    at      timestamptz NOT NULL,
    PRIMARY KEY (channel, ts, name, user_id)
);

-- When the bot began to hear events: what it missed lies just before
-- each start, and is read from Slack's history when a draft needs it.
CREATE TABLE capture_starts (
    at timestamptz PRIMARY KEY
);
