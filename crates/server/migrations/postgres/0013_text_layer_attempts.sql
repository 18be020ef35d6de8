-- How many times a text layer's reading was started: a layer a restart
-- (or a crash) cut off is read again at the next start, but not for ever.
ALTER TABLE text_layers ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
