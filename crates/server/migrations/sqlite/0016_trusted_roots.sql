-- The root certificates the deployment trusts for signatures embedded in
-- documents (issue 19): one row, the administrator's PEM list, when it was
-- set, and the server key's signature over both, which devices check.
CREATE TABLE trusted_roots (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    pem TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    signature TEXT NOT NULL
);
