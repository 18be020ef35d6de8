-- Lost operations (issue 15): outbox operations a wrong-PIN wipe erased on a
-- member's device before the server answered them, reported by the member's
-- next enrolled device so the chair, secretary and administrators learn what
-- was lost. One row per member and operation id; a report sent again adds
-- nothing.
CREATE TABLE lost_ops (
    user_id TEXT NOT NULL REFERENCES users(id),
    op_id TEXT NOT NULL,
    reported_by_device TEXT REFERENCES devices(id),
    reported_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, op_id)
);
