-- E-Cabinet server schema, SQLite flavour. Times are unix ms (BIGINT); ids are text.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    device_id TEXT REFERENCES devices(id),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE committees (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE memberships (
    id TEXT PRIMARY KEY,
    committee_id TEXT NOT NULL REFERENCES committees(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    UNIQUE (committee_id, user_id)
);
CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    committee_id TEXT NOT NULL REFERENCES committees(id),
    title TEXT NOT NULL,
    location TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    published_at BIGINT,
    current_item_id TEXT
);
CREATE TABLE agenda_items (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    parent_id TEXT,
    position BIGINT NOT NULL,
    title TEXT NOT NULL
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id);
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    agenda_item_id TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE document_versions (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    meeting_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    published_at BIGINT,
    signature TEXT,
    superseded BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (document_id, version)
);
CREATE INDEX document_versions_sha ON document_versions (sha256);
CREATE TABLE motions (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    agenda_item_id TEXT NOT NULL,
    question TEXT NOT NULL,
    options TEXT NOT NULL,
    kind TEXT NOT NULL,
    majority TEXT NOT NULL,
    quorum BIGINT NOT NULL,
    mode TEXT NOT NULL,
    deadline BIGINT,
    status TEXT NOT NULL,
    opened_at BIGINT,
    closed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE speaker_requests (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    agenda_item_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    position BIGINT NOT NULL,
    requested_at BIGINT NOT NULL
);
-- The change feed. `seq` is assigned as max+1 while holding the database's
-- write lock, so commit order equals seq order and a reader never sees a gap
-- that is filled later. `audience` is 'all' (every member of the committee)
-- or 'editors' (secretary and chair: drafts). `user_id` names a user who sees
-- the change even without a membership (their own membership's tombstone).
CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    committee_id TEXT NOT NULL,
    audience TEXT NOT NULL,
    user_id TEXT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL,
    body TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX changes_committee_seq ON changes (committee_id, seq);
