-- The inbox and the outbox (incidents.Job, incidents.Effect): requests the
-- bot accepted and effects it decided on, kept until they are done so a
-- crash or a Slack outage loses none of them.
--
-- queue 'inbox': a Slack envelope, stored before it is acknowledged.
-- queue 'outbox': a Slack call, stored in the same transaction as the
-- change that implies it. Effects of one lane (an incident) are performed
-- one after another in seq order.
--
-- owner is the process holding the row. The embedded store serves one
-- process, so a row held by any other owner was held by a process that
-- has died, and is taken over at once. claimed_at bounds a hold by a
-- process that is alive but stuck.

CREATE TABLE work_items (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    queue       TEXT NOT NULL CHECK (queue IN ('inbox', 'outbox')),
    key         TEXT NOT NULL,
    lane        TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents (id),
    kind        TEXT NOT NULL,
    body        BLOB NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    not_before  TEXT NOT NULL,
    owner       INTEGER,
    claimed_at  TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    uncertain   INTEGER NOT NULL DEFAULT 0 CHECK (uncertain IN (0, 1)),
    result      TEXT NOT NULL DEFAULT '{}',
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    settled_at  TEXT,
    UNIQUE (queue, key)
) STRICT;

CREATE INDEX work_items_pending_idx ON work_items (queue, lane, seq) WHERE state = 'pending';
CREATE INDEX work_items_lane_idx ON work_items (lane, seq);
CREATE INDEX work_items_settled_idx ON work_items (settled_at) WHERE state <> 'pending';
