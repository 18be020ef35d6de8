-- The readers' watermark, export policy and classification of a document
-- (issue 19), the policy each published version's signature covers (NULL:
-- signed before policies existed, in the first manifest form), and the
-- register of who fetched a classified document, and when.
ALTER TABLE documents ADD COLUMN reader_watermark BIGINT NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN export_policy TEXT NOT NULL DEFAULT 'allowed';
ALTER TABLE document_versions ADD COLUMN signed_policy TEXT;
ALTER TABLE document_versions ADD COLUMN signed_at BIGINT;
ALTER TABLE documents ADD COLUMN classification TEXT NOT NULL DEFAULT 'normal';
CREATE TABLE access_register (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT,
    document_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    classification TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX access_register_by_document ON access_register (document_id, at);
