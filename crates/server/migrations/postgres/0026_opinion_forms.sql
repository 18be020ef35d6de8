-- Written consultations (lấy ý kiến bằng văn bản) that take signed ballots
-- take each ballot with its opinion form (phiếu lấy ý kiến): a PDF signed
-- with the member's token, whose SHA-256 the token's ballot signature and
-- the audit record also cover. The form is kept here (standard base64) for
-- the secretary, the chair and auditors.
ALTER TABLE ballots ADD COLUMN opinion_sha256 TEXT;
CREATE TABLE opinion_forms (
    op_id TEXT PRIMARY KEY,
    motion_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    pdf TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX opinion_forms_motion ON opinion_forms (motion_id);
