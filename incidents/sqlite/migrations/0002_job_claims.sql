-- Claims of scheduled jobs (Store.Claim): a key is claimed by whoever
-- inserts it first, so a job meant to run once runs once. Not
-- idempotency_keys: a claim belongs to no incident. Claims never expire.

CREATE TABLE job_claims (
    key        TEXT PRIMARY KEY,
    claimed_at TEXT NOT NULL
) STRICT;
