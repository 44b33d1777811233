-- The claim skips a lane that has an effect in flight (held, pending). The
-- rows held at any moment are few (one per worker and process), so this
-- index stays small however long the lanes grow, and the test costs one
-- probe instead of a walk along the lane.
CREATE INDEX work_items_held_idx ON work_items (queue, lane) WHERE queue = 'outbox' AND state = 'pending' AND owner IS NOT NULL;

-- When the next waiting effect falls due, asked after every claim: one
-- probe instead of a walk over everything owed.
CREATE INDEX work_items_due_idx ON work_items (queue, not_before) WHERE queue = 'outbox' AND state = 'pending';
