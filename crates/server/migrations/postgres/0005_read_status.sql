-- Document read status (issue 8): where a committee switches it on, members'
-- devices report when they first downloaded and opened each document
-- version, and the chair and secretary see it per member.
ALTER TABLE committees ADD COLUMN read_status BIGINT NOT NULL DEFAULT 0;
-- The earliest report of each kind per version and member (device clock, ms).
CREATE TABLE read_status (
    version_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    downloaded_at BIGINT,
    opened_at BIGINT,
    PRIMARY KEY (version_id, member_id)
);
