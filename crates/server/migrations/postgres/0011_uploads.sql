-- Resumable uploads (issue 17): a secretary's PDF arrives in checked parts,
-- kept in the blob store's incoming folder as `{id}.upload`; `received` is
-- how many bytes of it are on disk and checked. The row goes when the
-- upload is finished, cancelled or expired.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX uploads_by_user ON uploads (user_id);
