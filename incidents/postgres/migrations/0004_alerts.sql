-- Every alert received (Store.AddAlerts). incident_id is NULL for alerts
-- attached to no incident.
--
-- alerts_fingerprint_idx serves both dedup questions — "which open
-- incident has this fingerprint?" and "how many since?" — with one range
-- scan per fingerprint.

CREATE TABLE alerts (
    id          uuid PRIMARY KEY,
    seq         bigint GENERATED ALWAYS AS IDENTITY, -- order of arrival within one received_at
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

-- Triage of warning alerts (Store.TriageAlerts): who chose what, when.
-- incident_id is set when the choice was to declare an incident.
CREATE TABLE alert_triage (
    fingerprint text NOT NULL,
    decision    text NOT NULL CHECK (decision IN ('declared', 'monitor', 'dismissed')),
    decided_by  text NOT NULL,
    decided_at  timestamptz NOT NULL,
    incident_id uuid REFERENCES incidents (id),
    PRIMARY KEY (fingerprint, decided_at, decided_by)
);

-- Which incidents each fingerprint was attached to: AlertIncident reads
-- this small table instead of every alert a fingerprint ever sent.
CREATE TABLE alert_incidents (
    fingerprint text NOT NULL,
    incident_id uuid NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (fingerprint, incident_id)
);
