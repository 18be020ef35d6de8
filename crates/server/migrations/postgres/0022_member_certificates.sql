-- Signing certificates registered to members by an administrator (issue 19,
-- from the security review): a ballot signed with a token counts only if
-- the token's certificate is one registered to the member who cast it, so a
-- member cannot sign with someone else's token, or with any certificate the
-- trusted CAs ever issued. Several per member (a token renewed, a spare).
CREATE TABLE member_certificates (
    user_id TEXT NOT NULL REFERENCES users(id),
    sha256 TEXT NOT NULL,
    der TEXT NOT NULL,
    subject TEXT,
    not_after BIGINT NOT NULL,
    registered_at BIGINT NOT NULL,
    registered_by TEXT NOT NULL,
    PRIMARY KEY (user_id, sha256)
);
-- A token belongs to one person: a certificate is registered to one user.
CREATE UNIQUE INDEX member_certificates_sha256 ON member_certificates (sha256);
