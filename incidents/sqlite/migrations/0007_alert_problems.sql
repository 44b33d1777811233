-- Correlation lives in the store, so restarts and replicas decide alike.
--
-- alerts.card: the problem an alert belongs to (its Alertmanager group,
-- else its service, else its fingerprint); warnings of one problem share
-- one triage card, and a decision on the card covers them all.
ALTER TABLE alerts ADD COLUMN card TEXT NOT NULL DEFAULT '';
-- Alerts stored before: each its own problem, as their cards were; the
-- decisions on those cards name the same problems.
UPDATE alerts SET card = 'fp:' || fingerprint;
UPDATE alert_triage SET fingerprint = 'fp:' || fingerprint;
CREATE INDEX alerts_card_idx ON alerts (card, received_at);

-- The problems each incident opened by alerts stands for (an alert group,
-- a service and runbook): later alerts of the problem join it. Counting
-- the rows of a key names the next incident alike on every replica.
CREATE TABLE alert_keys (
    key         TEXT NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    opened_at   TEXT NOT NULL,
    PRIMARY KEY (key, incident_id)
);

-- Triage cards posted, one row per card: epoch counts a problem's cards.
CREATE TABLE triage_cards (
    card      TEXT NOT NULL,
    epoch     INTEGER NOT NULL,
    opened_at TEXT NOT NULL,
    PRIMARY KEY (card, epoch)
);
