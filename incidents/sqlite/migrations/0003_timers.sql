-- Reminder and escalation timers (Incident.RemindAt, EscalateAt,
-- EscalationLevel, ReminderSnoozed). NULL times mean "not scheduled".
--
-- next_timer_at is denormalised: the earliest of remind_at and escalate_at,
-- NULL when neither is set or the incident is resolved. Every write of an
-- incident sets it (storeutil.NextTimerAt), so the scheduler's sweep
-- (Store.Due) is one range scan of a small partial index however many
-- incidents there are. Existing incidents have no timers: NULL is right.

ALTER TABLE incidents ADD COLUMN remind_at TEXT;
ALTER TABLE incidents ADD COLUMN escalate_at TEXT;
ALTER TABLE incidents ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN reminder_snoozed INTEGER NOT NULL DEFAULT 0 CHECK (reminder_snoozed IN (0, 1));
ALTER TABLE incidents ADD COLUMN next_timer_at TEXT;

-- Entries are ordered by (next_timer_at, number): number is the rowid, so
-- Due's tie-break needs no sort either.
CREATE INDEX incidents_next_timer_at_idx ON incidents (next_timer_at) WHERE next_timer_at IS NOT NULL;
