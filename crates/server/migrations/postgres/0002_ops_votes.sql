-- Outbox operations (POST /v1/ops) and votes (DESIGN.md §5).
--
-- Vote parameters of a motion. `eligible` is a JSON array of user ids, NULL
-- for "every member of the committee". `opened_seq` is the feed seq of the
-- change that announced the opening: a ballot must have seen it.
ALTER TABLE motions ADD COLUMN eligible TEXT;
ALTER TABLE motions ADD COLUMN may_change_vote BIGINT NOT NULL DEFAULT 0;
ALTER TABLE motions ADD COLUMN grace_ms BIGINT NOT NULL DEFAULT 120000;
ALTER TABLE motions ADD COLUMN opened_seq BIGINT;
-- Set once the final result is published: the audit head it carries.
ALTER TABLE motions ADD COLUMN result_head TEXT;
-- Every operation ever decided, once, under the client's id. `status` is
-- accepted | superseded | rejected; a ballot's row moves from accepted to
-- superseded when a later ballot of the same member replaces it.
CREATE TABLE ops (
    op_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT,
    kind TEXT NOT NULL,
    motion_id TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    superseded_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX ops_motion ON ops (motion_id);
-- Accepted ballots of named motions. `counting` is 0 once superseded.
CREATE TABLE ballots (
    op_id TEXT PRIMARY KEY,
    motion_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    choice BIGINT NOT NULL,
    cast_at BIGINT NOT NULL,
    counting BIGINT NOT NULL
);
CREATE INDEX ballots_motion ON ballots (motion_id, member_id);
-- Secret motions: that a member voted ...
CREATE TABLE voters (
    motion_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    op_id TEXT NOT NULL,
    PRIMARY KEY (motion_id, member_id)
);
-- ... and, with nothing linking the two, what was voted: a random token
-- and the choice; no member, device, op id or time.
CREATE TABLE secret_ballots (
    motion_id TEXT NOT NULL,
    token TEXT NOT NULL,
    choice BIGINT NOT NULL,
    PRIMARY KEY (motion_id, token)
);
-- The latest attendance mark per meeting and member.
CREATE TABLE attendance (
    meeting_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    op_id TEXT NOT NULL,
    presence TEXT NOT NULL,
    reason TEXT,
    at BIGINT NOT NULL,
    marked_by TEXT NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);
-- The vote audit hash chain (all motions, one chain): `head` is
-- SHA-256(previous head || canonical record), see `src/audit.rs`.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    motion_id TEXT NOT NULL,
    record TEXT NOT NULL,
    head TEXT NOT NULL
);
