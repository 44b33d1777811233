-- Acknowledgement (Incident.AckDueAt, AcknowledgedAt, AcknowledgedBy,
-- Paged): when an incident an alert opened pages its first level if
-- nobody takes command, and who acknowledged it. ack_due_at is one more
-- timer: next_timer_at includes it (storeutil.NextTimerAt). Existing
-- incidents await nothing: NULL is right.

ALTER TABLE incidents
    ADD COLUMN ack_due_at      timestamptz,
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN acknowledged_by text NOT NULL DEFAULT '',
    -- The pages sent (Incident.Paged, JSON): what is acknowledged and
    -- resolved later, whatever the settings or severity have become.
    ADD COLUMN paged           jsonb NOT NULL DEFAULT '[]';
