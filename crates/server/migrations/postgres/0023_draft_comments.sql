-- Members' comments on published drafts before the meeting (góp ý dự thảo,
-- issue 20), sent through the outbox as `comment` operations: one row per
-- accepted operation (its op_id is the comment's id). The secretary or the
-- chair answers each one; members see only their own unless the committee
-- shares comments with members.
CREATE TABLE draft_comments (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id),
    version_id TEXT NOT NULL REFERENCES document_versions(id),
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    page BIGINT,
    region TEXT,
    body TEXT NOT NULL,
    written_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    reply TEXT,
    replied_by TEXT REFERENCES users(id),
    replied_at BIGINT
);
CREATE INDEX draft_comments_document ON draft_comments (document_id, received_at);
ALTER TABLE committees ADD COLUMN comments_shared BIGINT NOT NULL DEFAULT 0;
