-- Claims of scheduled jobs (Store.Claim): a key is claimed by whoever
-- inserts it first, so a job meant to run once runs on one replica only.
-- Not idempotency_keys: a claim belongs to no incident. Claims never expire.

CREATE TABLE job_claims (
    key        text PRIMARY KEY,
    claimed_at timestamptz NOT NULL DEFAULT now()
);
