-- How many pages a version has, as the upload's PDF check counted them
-- (NULL for versions stored before it was kept, and for the demo's): a
-- draft comment on a page past the last is refused.
ALTER TABLE document_versions ADD COLUMN page_count BIGINT;
