-- Private annotations, synced across one user's devices end to end encrypted
-- (DESIGN.md §6). The server holds ciphertext only: no document, page, kind,
-- geometry or text of an annotation is stored in the clear.
--
-- The user's random annotation key, wrapped under a key derived from their
-- password (Argon2id, parameters and salt inside `body`, JSON). `key_id`
-- names the key; rewrapping keeps it.
CREATE TABLE annotation_keys (
    user_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The latest edit of each annotation of a user: its hybrid-logical-clock
-- stamp (ms, counter, device), whether it deletes, and the sealed content.
CREATE TABLE annotations (
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    hlc_ms BIGINT NOT NULL,
    hlc_counter BIGINT NOT NULL,
    hlc_node TEXT NOT NULL,
    deleted BIGINT NOT NULL,
    nonce TEXT NOT NULL,
    ciphertext TEXT NOT NULL,
    op_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, id)
);
