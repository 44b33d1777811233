-- Every alert received (Store.AddAlerts). incident_id is NULL for alerts
-- attached to no incident.
--
-- alerts_fingerprint_idx serves both dedup questions — "which open
-- incident has this fingerprint?" and "how many since?" — with one range
-- scan per fingerprint.

CREATE TABLE alerts (
    id          uuid PRIMARY KEY,
    received_at timestamptz NOT NULL,
    source      text NOT NULL,
    fingerprint text NOT NULL,
    status      text NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity    text NOT NULL CHECK (severity IN ('critical', 'warning')),
    title       text NOT NULL,
    text        text NOT NULL DEFAULT '',
    labels      jsonb NOT NULL DEFAULT '{}',
    links       jsonb NOT NULL DEFAULT '[]',
    at          timestamptz NOT NULL,
    incident_id uuid REFERENCES incidents (id)
);

CREATE INDEX alerts_fingerprint_idx ON alerts (fingerprint, received_at);
