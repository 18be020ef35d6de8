-- The server's check, at upload, of the signatures embedded in a version's
-- PDF against the trusted roots it had then (issue 19): JSON of
-- `EmbeddedSignatureCheck`; NULL for versions uploaded before.
ALTER TABLE document_versions ADD COLUMN signature_check TEXT;
