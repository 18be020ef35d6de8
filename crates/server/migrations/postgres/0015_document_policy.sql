-- The readers' watermark and export policy of a document (issue 19), and
-- the policy each published version's signature covers (NULL: signed
-- before policies existed, in the first manifest form).
ALTER TABLE documents ADD COLUMN reader_watermark BIGINT NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN export_policy TEXT NOT NULL DEFAULT 'allowed';
ALTER TABLE document_versions ADD COLUMN signed_policy TEXT;
