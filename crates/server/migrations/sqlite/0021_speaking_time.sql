-- Speaking time (issue 20): when the chair gave the floor (server time) and
-- the turn's limit, which the chair sets and extends; devices count down
-- from these with the clock offset they already measure.
ALTER TABLE speaker_requests ADD COLUMN granted_at BIGINT;
ALTER TABLE speaker_requests ADD COLUMN time_limit_ms BIGINT;
