-- Acknowledgement (Incident.AckDueAt, AcknowledgedAt, AcknowledgedBy,
-- Paged): when an incident an alert opened pages its first level if
-- nobody takes command, and who acknowledged it. ack_due_at is one more
-- timer: next_timer_at includes it (storeutil.NextTimerAt). Existing
-- incidents await nothing: NULL is right.

ALTER TABLE incidents ADD COLUMN ack_due_at TEXT;
ALTER TABLE incidents ADD COLUMN acknowledged_at TEXT;
ALTER TABLE incidents ADD COLUMN acknowledged_by TEXT NOT NULL DEFAULT '';
-- The pages sent (Incident.Paged, JSON): what is acknowledged and resolved
-- later, whatever the settings or the severity have become since.
ALTER TABLE incidents ADD COLUMN paged TEXT NOT NULL DEFAULT '[]';
