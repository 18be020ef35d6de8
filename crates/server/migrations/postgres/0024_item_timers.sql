-- Timers (issue 20): the time the secretary plans for an agenda item, a
-- speaking-time limit per item and per committee (the turn's limit when the
-- chair gives the floor), and how long each item has been on the floor.
ALTER TABLE agenda_items ADD COLUMN planned_minutes BIGINT;
ALTER TABLE agenda_items ADD COLUMN speaking_limit_ms BIGINT;
ALTER TABLE agenda_items ADD COLUMN time_on_floor_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agenda_items ADD COLUMN on_floor_since BIGINT;
ALTER TABLE committees ADD COLUMN speaking_limit_ms BIGINT;
-- Comments shared with members from this server time on (NULL: not
-- shared). Committees that already shared keep sharing what they showed.
ALTER TABLE committees ADD COLUMN comments_shared_since BIGINT;
UPDATE committees SET comments_shared_since = 0 WHERE comments_shared = 1;
