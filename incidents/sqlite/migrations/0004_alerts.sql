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
