-- Searchable scans (issue 17): the words OCR reads on a version's
-- image-only pages. One row per version, from its upload on: queued,
-- running (pages_done of pages_total), ready (the layer's blob, its size
-- and the server's signature over it), not_needed or failed (error).
CREATE TABLE text_layers (
    version_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    pages_done BIGINT NOT NULL DEFAULT 0,
    pages_total BIGINT NOT NULL DEFAULT 0,
    layer_sha256 TEXT,
    layer_size BIGINT,
    layer_signature TEXT,
    error TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX text_layers_by_status ON text_layers (status);
CREATE INDEX text_layers_by_layer ON text_layers (layer_sha256);
