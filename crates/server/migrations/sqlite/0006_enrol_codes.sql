-- Enrol codes (issue 15): one-time, short-lived codes an administrator hands a
-- member out of band. Only the SHA-256 of the secret is kept (lower-case hex),
-- so a copy of the database cannot enrol a device.
CREATE TABLE enrol_codes (
    secret_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX enrol_codes_user ON enrol_codes (user_id);
