-- Every alert received (Store.AddAlerts). incident_id is NULL for alerts
-- attached to no incident. labels and links are JSON.
--
-- alerts_fingerprint_idx serves both dedup questions — "which open
-- incident has this fingerprint?" and "how many since?" — with one range
-- scan per fingerprint.

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    source      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity    TEXT NOT NULL CHECK (severity IN ('critical', 'warning')),
    title       TEXT NOT NULL,
    text        TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '{}',
    links       TEXT NOT NULL DEFAULT '[]',
    at          TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents (id)
);

CREATE INDEX alerts_fingerprint_idx ON alerts (fingerprint, received_at);

-- Triage of warning alerts (Store.TriageAlerts): who chose what, when.
-- incident_id is set when the choice was to declare an incident.
CREATE TABLE alert_triage (
    fingerprint TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('declared', 'monitor', 'dismissed')),
    decided_by  TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents (id),
    PRIMARY KEY (fingerprint, decided_at, decided_by)
);

-- Which incidents each fingerprint was attached to: AlertIncident reads
-- this small table instead of every alert a fingerprint ever sent.
CREATE TABLE alert_incidents (
    fingerprint TEXT NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (fingerprint, incident_id)
);
