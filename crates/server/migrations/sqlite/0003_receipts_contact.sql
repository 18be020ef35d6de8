-- Ballot receipts and device contact (DESIGN.md §5).
--
-- The receipt of an audit record: hex SHA-256 of its canonical bytes
-- (`ecabinet_model::AuditRecord::receipt`), what a member's client keeps and
-- asks an inclusion proof for. NULL only for rows written before this
-- migration (their receipts are found by recomputing them).
ALTER TABLE audit_log ADD COLUMN receipt TEXT;
CREATE INDEX audit_log_receipt ON audit_log (receipt);
-- When the device last pushed or pulled (server unix ms): the chair sees
-- how many eligible devices have not been heard from since a vote opened.
ALTER TABLE devices ADD COLUMN last_seen_at BIGINT;
