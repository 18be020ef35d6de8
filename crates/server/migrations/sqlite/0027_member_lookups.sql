-- Lookups by member that ran as full scans. Every pushed operation reads the
-- member's devices (`WHERE user_id = ?`, to check the op's signature), and
-- every live-events connection reads the member's committees: with 10,000
-- members the scale-out bench spent over half of both cores in PostgreSQL
-- scanning these two tables (docs/benchmark-notes.md).
CREATE INDEX devices_user ON devices (user_id);
CREATE INDEX memberships_user ON memberships (user_id);
