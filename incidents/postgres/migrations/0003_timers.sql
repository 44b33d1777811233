-- Reminder and escalation timers (Incident.RemindAt, EscalateAt,
-- EscalationLevel, ReminderSnoozed). NULL times mean "not scheduled".
--
-- next_timer_at is denormalised: the earliest of remind_at and escalate_at,
-- NULL when neither is set or the incident is resolved. Every write of an
-- incident sets it (storeutil.NextTimerAt), so the scheduler's sweep
-- (Store.Due) is one range scan of a small partial index however many
-- incidents there are. Existing incidents have no timers: NULL is right.

ALTER TABLE incidents
    ADD COLUMN remind_at        timestamptz,
    ADD COLUMN escalate_at      timestamptz,
    ADD COLUMN escalation_level integer NOT NULL DEFAULT 0,
    ADD COLUMN reminder_snoozed boolean NOT NULL DEFAULT false,
    ADD COLUMN next_timer_at    timestamptz;

-- number breaks ties, so Due's order is stable and needs no sort.
CREATE INDEX incidents_next_timer_at_idx ON incidents (next_timer_at, number) WHERE next_timer_at IS NOT NULL;
