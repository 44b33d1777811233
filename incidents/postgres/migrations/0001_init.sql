-- Incidents, their append-only timelines, and the idempotency keys that make
-- Create safe to repeat. Migrations run inside one transaction, so nothing
-- here may need to run outside one (no CREATE INDEX CONCURRENTLY).

CREATE TABLE incidents (
    id                    uuid PRIMARY KEY,
    -- The human-facing "#12". An identity column so replicas sharing the
    -- database never hand out the same number; rolled-back creates leave gaps.
    number                bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    title                 text NOT NULL,
    description           text NOT NULL,
    severity              smallint NOT NULL,
    status                text NOT NULL,
    commander             text NOT NULL,
    reporter              text NOT NULL,
    channel_id            text NOT NULL,
    channel_name          text NOT NULL,
    header_ts             text NOT NULL,
    summary               text NOT NULL,
    declared_at           timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    mitigated_at          timestamptz, -- NULL while not mitigated
    resolved_at           timestamptz, -- NULL while open
    last_status_update_at timestamptz NOT NULL
);

-- One channel belongs to at most one incident; incidents without a channel
-- yet all have '' and must not collide.
CREATE UNIQUE INDEX incidents_channel_id_key ON incidents (channel_id) WHERE channel_id <> '';

CREATE INDEX incidents_declared_at_idx ON incidents (declared_at DESC, number DESC);

CREATE TABLE incident_events (
    -- seq keeps insertion order among events with the same timestamp.
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    incident_id uuid NOT NULL REFERENCES incidents (id),
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    kind        text NOT NULL,
    text        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX incident_events_timeline_idx ON incident_events (incident_id, at, seq);

CREATE TABLE idempotency_keys (
    key         text PRIMARY KEY,
    -- Deferred so Create can claim the key before inserting the incident:
    -- a redelivered request then waits on the key instead of burning a number.
    incident_id uuid NOT NULL REFERENCES incidents (id) DEFERRABLE INITIALLY DEFERRED,
    created_at  timestamptz NOT NULL DEFAULT now()
);
