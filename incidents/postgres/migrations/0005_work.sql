-- The inbox and the outbox (incidents.Job, incidents.Effect): requests the
-- bot accepted and effects it decided on, kept until they are done so a
-- crash or a Slack outage loses none of them.
--
-- queue 'inbox': a Slack envelope, stored before it is acknowledged.
-- queue 'outbox': a Slack call, stored in the same transaction as the
-- change that implies it. Effects of one lane (an incident) are performed
-- one after another in seq order.
--
-- owner is the process holding the row, by the key of a session-level
-- advisory lock that process holds (pg_advisory_lock(ns, owner)): when the
-- process dies its session ends, the lock goes, and another process may
-- take the row at once. claimed_at bounds a hold by a process that is
-- alive but stuck.
--
-- body is bytea: a job is the raw envelope as Slack sent it, which
-- PostgreSQL text could refuse (invalid UTF-8).

CREATE TABLE work_items (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    queue       text NOT NULL CHECK (queue IN ('inbox', 'outbox')),
    key         text NOT NULL,
    lane        text NOT NULL,
    incident_id uuid REFERENCES incidents (id),
    kind        text NOT NULL,
    body        bytea NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    not_before  timestamptz NOT NULL,
    owner       integer,
    claimed_at  timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    uncertain   boolean NOT NULL DEFAULT false,
    result      text NOT NULL DEFAULT '{}',
    last_error  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    settled_at  timestamptz,
    UNIQUE (queue, key)
);

-- The claim: pending rows by lane and order, so the head of each lane is
-- the first index entry of its lane.
CREATE INDEX work_items_pending_idx ON work_items (queue, lane, seq) WHERE state = 'pending';
-- Effects(lane) and repair.
CREATE INDEX work_items_lane_idx ON work_items (lane, seq);
-- Prune.
CREATE INDEX work_items_settled_idx ON work_items (settled_at) WHERE state <> 'pending';
