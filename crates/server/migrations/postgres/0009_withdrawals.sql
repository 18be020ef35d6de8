-- Withdrawals (issue 15): once a meeting has started, an agenda item or a
-- document is no longer deleted but withdrawn. The record stays, marked with
-- who withdrew it, when and why; `withdrawals` keeps one append-only row per
-- withdrawal for the audit, which no route updates or deletes.
ALTER TABLE agenda_items ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE agenda_items ADD COLUMN withdrawn_by TEXT;
ALTER TABLE agenda_items ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE documents ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE documents ADD COLUMN withdrawn_by TEXT;
ALTER TABLE documents ADD COLUMN withdrawn_reason TEXT;
CREATE TABLE withdrawals (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX withdrawals_meeting ON withdrawals (meeting_id, at);
