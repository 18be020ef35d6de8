-- The reader's watermark for every document of a meeting (issue 19): the
-- secretary's choice per meeting; a version's signed policy carries the
-- watermark when its document or its meeting asks for it.
ALTER TABLE meetings ADD COLUMN reader_watermark BIGINT NOT NULL DEFAULT 0;
