-- Rotations of the manifest-signing key (issue 18), oldest first: each
-- names the retired key and its successor (standard base64 of the raw
-- Ed25519 keys) and carries the retired key's signature over the pair, so
-- devices that pinned an older key can follow the chain to the current one.
CREATE TABLE key_rotations (
    seq BIGINT PRIMARY KEY,
    from_key TEXT NOT NULL UNIQUE,
    to_key TEXT NOT NULL UNIQUE,
    rotated_at BIGINT NOT NULL,
    signature TEXT NOT NULL
);
