-- The highest feed position the server has sent to each user (issue 18): a
-- user added to a committee is sent, once, the committee's records that
-- their devices' cursors have already passed, and only those.
ALTER TABLE users ADD COLUMN feed_sent BIGINT NOT NULL DEFAULT 0;
