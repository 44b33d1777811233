-- Incidents, their append-only timelines, and the idempotency keys that make
-- Create safe to repeat. Times are TEXT in UTC, 2006-01-02T15:04:05.000000Z:
-- readable in the sqlite3 shell, and fixed width so text order is time order.

CREATE TABLE incidents (
    -- AUTOINCREMENT: numbers never go back, even after the newest incident
    -- is deleted by hand.
    number                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT NOT NULL UNIQUE,
    title                 TEXT NOT NULL,
    description           TEXT NOT NULL,
    severity              INTEGER NOT NULL,
    status                TEXT NOT NULL,
    commander             TEXT NOT NULL,
    reporter              TEXT NOT NULL,
    channel_id            TEXT NOT NULL,
    channel_name          TEXT NOT NULL,
    header_ts             TEXT NOT NULL,
    summary               TEXT NOT NULL,
    declared_at           TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    mitigated_at          TEXT, -- NULL while not mitigated
    resolved_at           TEXT, -- NULL while open
    last_status_update_at TEXT NOT NULL
) STRICT;

-- One channel belongs to at most one incident; incidents without a channel
-- yet all have '' and must not collide.
CREATE UNIQUE INDEX incidents_channel_id_key ON incidents (channel_id) WHERE channel_id <> '';

CREATE INDEX incidents_declared_at_idx ON incidents (declared_at DESC, number DESC);

CREATE TABLE incident_events (
    -- seq keeps insertion order among events with the same timestamp.
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
) STRICT;

CREATE INDEX incident_events_timeline_idx ON incident_events (incident_id, at, seq);

CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    created_at  TEXT NOT NULL
) STRICT;
