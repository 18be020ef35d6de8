-- Ballots signed with the member's token (issue 19): a named motion may
-- require them; a ballot keeps its certificate's hash and the signature
-- (both go into its audit record), and the certificate itself is kept once
-- so an auditor can check every signature later.
ALTER TABLE motions ADD COLUMN signed_ballots BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ballots ADD COLUMN certificate_sha256 TEXT;
ALTER TABLE ballots ADD COLUMN qualified_signature TEXT;
-- The rest of what the token signed, so the signature can be checked later.
ALTER TABLE ballots ADD COLUMN device_cast_at BIGINT;
ALTER TABLE ballots ADD COLUMN seen_seq BIGINT;
CREATE TABLE signer_certificates (
    sha256 TEXT PRIMARY KEY,
    der TEXT NOT NULL,
    subject TEXT,
    first_seen BIGINT NOT NULL
);
