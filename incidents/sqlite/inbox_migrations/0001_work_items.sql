-- The inbox file (beside the database file: bot.db → bot.inbox.db) holds
-- the Slack envelopes the bot accepted (incidents.Job) until their work is
-- done. It is a file of its own because SQLite takes one writer per file
-- and an envelope's acknowledgement waits for its write: in the database
-- file it would wait behind whatever incident change is being written.
--
-- The table is the database file's work_items (migration 0005), holding
-- queue 'inbox' rows only, so the two files share their statements.
-- owner is the process holding the row: the embedded store serves one
-- process, so a row held by another owner was held by a process that has
-- died.

CREATE TABLE work_items (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    queue       TEXT NOT NULL CHECK (queue = 'inbox'),
    key         TEXT NOT NULL,
    lane        TEXT NOT NULL,
    incident_id TEXT,
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
CREATE INDEX work_items_settled_idx ON work_items (settled_at) WHERE state <> 'pending';
