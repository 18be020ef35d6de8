-- Presenter follow mode (issue 20): per meeting, who presents and what is
-- shown (version, page, region as JSON), with a step that grows with every
-- change. The feed carries the latest as the `presentation` record.
CREATE TABLE presentations (
    meeting_id TEXT PRIMARY KEY,
    presenter_id TEXT NOT NULL,
    version_id TEXT,
    page BIGINT NOT NULL,
    region TEXT,
    step BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
