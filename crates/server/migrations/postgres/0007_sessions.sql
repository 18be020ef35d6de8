-- Sessions (issue 15): a login is a session; its access tokens are short-lived
-- and the enrolled device renews them by signing with its device key until
-- the session ends (logout, disabled user, the session's own lifetime).
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    device_id TEXT REFERENCES devices(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- The newest signed refresh time: a refresh must be signed later, so a
    -- captured refresh request cannot be replayed.
    last_refresh_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);
ALTER TABLE tokens ADD COLUMN session_id TEXT REFERENCES sessions(id);
CREATE INDEX tokens_expires ON tokens (expires_at);
CREATE INDEX tokens_session ON tokens (session_id);
