//! Opening the SQLCipher database and its append-only migrations.
//!
//! Order matters: the key is set before anything else touches the file, then
//! the pragmas, then the migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Result, StoreError};

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "cache.db";

/// The schema migrations, in order. `PRAGMA user_version` is the number applied.
///
/// Append only: a shipped migration is never edited (a test pins their hashes).
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: the first shipped schema.
    r#"
CREATE TABLE committee (id TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;
CREATE TABLE membership (
    id TEXT PRIMARY KEY, committee_id TEXT NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX membership_committee ON membership (committee_id);
CREATE TABLE meeting (
    id TEXT PRIMARY KEY, committee_id TEXT NOT NULL, starts_at INTEGER NOT NULL,
    title TEXT NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX meeting_committee_start ON meeting (committee_id, starts_at);
CREATE INDEX meeting_start ON meeting (starts_at);
CREATE TABLE agenda_item (
    id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, parent_id TEXT,
    position INTEGER NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX agenda_item_meeting ON agenda_item (meeting_id, parent_id, position);
CREATE TABLE document (
    id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX document_meeting ON document (meeting_id);
CREATE TABLE document_version (
    id TEXT PRIMARY KEY, document_id TEXT NOT NULL, meeting_id TEXT NOT NULL,
    version INTEGER NOT NULL, sha256 TEXT NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX document_version_document ON document_version (document_id, version);
CREATE INDEX document_version_meeting ON document_version (meeting_id);
CREATE INDEX document_version_sha ON document_version (sha256);
CREATE TABLE motion (id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX motion_meeting ON motion (meeting_id);
CREATE TABLE motion_result (id TEXT PRIMARY KEY, motion_id TEXT NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX motion_result_motion ON motion_result (motion_id);
CREATE TABLE speaker_request (
    id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX speaker_request_meeting ON speaker_request (meeting_id);
CREATE TABLE sync_state (name TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    payload BLOB NOT NULL, state TEXT NOT NULL, reason TEXT) STRICT;
CREATE INDEX outbox_state ON outbox (state, seq);
CREATE TABLE annotation (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, version INTEGER NOT NULL, page INTEGER NOT NULL,
    kind TEXT NOT NULL, data TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT;
CREATE INDEX annotation_doc ON annotation (doc_id, version, page);
CREATE TABLE device_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1), pkcs8 BLOB NOT NULL) STRICT;
"#,
    // v2: annotation tombstones (so deletions sync across a member's devices)
    // and the highest manifest version trusted per document.
    r#"
ALTER TABLE annotation ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
CREATE TABLE trusted_version (document_id TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT;
"#,
    // v3: attendance marks of a meeting (the feed's `attendance` entity).
    r#"
CREATE TABLE attendance (id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, body TEXT NOT NULL) STRICT;
CREATE INDEX attendance_meeting ON attendance (meeting_id);
"#,
    // v4: annotation edits received from the feed that this device could not
    // decrypt (no annotation key, or not sealed under it), kept as ciphertext
    // rather than dropped; the newest stamp per annotation.
    r#"
CREATE TABLE annotation_sealed (
    id TEXT PRIMARY KEY, stamp TEXT NOT NULL, envelope TEXT NOT NULL, reason TEXT NOT NULL) STRICT;
"#,
    // v5: blob files checked end to end (tags and SHA-256), with the file
    // system's stamp of the file at that moment, so opening an unchanged
    // file again skips the whole-file pass.
    r#"
CREATE TABLE blob_seal (
    sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, inode INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL) STRICT;
"#,
    // v6: document versions as verified (signed manifest and blob), the only
    // source of what is shown and opened; the feed's rows are claims.
    r#"
CREATE TABLE verified_version (
    id TEXT PRIMARY KEY, document_id TEXT NOT NULL, meeting_id TEXT NOT NULL,
    version INTEGER NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    published_at INTEGER NOT NULL, signature TEXT NOT NULL) STRICT;
CREATE INDEX verified_version_document ON verified_version (document_id, version);
CREATE INDEX verified_version_sha ON verified_version (sha256);
"#,
    // v7: the words OCR read on a verified version's scanned pages, taken
    // only when the server's signature over them held (sync checks it).
    r#"
CREATE TABLE text_layer (
    version_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, body TEXT NOT NULL) STRICT;
"#,
    // v8: the document policy a verified manifest signed (watermark, export,
    // classification) and when the server signed it.
    r#"
ALTER TABLE verified_version ADD COLUMN policy TEXT;
ALTER TABLE verified_version ADD COLUMN signed_at INTEGER;
"#,
    // v9: what the presenter shows in a meeting (the feed's `presentation`
    // record, one per meeting).
    r#"
CREATE TABLE presentation (id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, body TEXT NOT NULL) STRICT;
"#,
    // v10: the salt of the blob file that passed the whole-file check, so a
    // file that only changed its stamp is re-checked by its tags alone.
    r#"
ALTER TABLE blob_seal ADD COLUMN salt BLOB;
"#,
];

/// The schema version this program migrates to.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Opens a connection and unlocks it with the raw 256-bit key; no migrations.
pub(crate) fn open_keyed(path: &Path, key: &[u8; 32], read_only: bool) -> Result<Connection> {
    open_conn(path, Some(key), read_only, "")
}

/// `key: None` opens the same file format with the codec off (plain SQLite),
/// and `cipher_pragmas` overrides SQLCipher defaults: both for the benchmark only.
pub(crate) fn open_conn(
    path: &Path,
    key: Option<&[u8; 32]>,
    read_only: bool,
    cipher_pragmas: &str,
) -> Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    // The raw-key form ("x'…'") skips SQLCipher's own PBKDF2: our key is
    // already a uniformly random 256-bit value unwrapped from the key file.
    if let Some(key) = key {
        let hex = zeroize::Zeroizing::new(crate::hex::encode(key));
        let stmt = zeroize::Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", hex.as_str()));
        conn.execute_batch(&stmt)?;
        // Without this SQLCipher prints HMAC failures to stderr; they reach the
        // caller as typed errors anyway.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        conn.execute_batch(cipher_pragmas)?;
    }
    // The first read is where a wrong key or a damaged header shows.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    if !read_only {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Crypto("could not switch the database to WAL"));
        }
        // FULL in WAL mode makes every commit durable: an outbox vote that was
        // acknowledged to the member must survive a power cut.
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
    } else {
        conn.execute_batch("PRAGMA query_only = ON;")?;
    }
    // 8 MiB instead of SQLite's 2 MiB: every page read from disk costs an
    // HMAC check and a decryption, so a page that stays cached is cheaper here
    // than with plain SQLite. Per connection (a writer and two readers by default).
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA cache_size = -8192;")?;
    // Sorts and temporary tables stay in memory: no temp file, encrypted or not.
    conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// Applies the migrations past the file's `user_version`, each in its own transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32> {
    migrate_to(conn, SCHEMA_VERSION)
}

pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(current as usize)
    {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
    }
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_in_order_to_an_empty_database_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        assert_eq!(migrate(&mut conn).expect("migrate"), SCHEMA_VERSION);
        assert_eq!(
            migrate(&mut conn).expect("re-run is a no-op"),
            SCHEMA_VERSION
        );
        let fk: Vec<String> = conn
            .prepare("PRAGMA foreign_key_check")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("fk check");
        assert!(fk.is_empty());
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(ok, "ok");
    }

    #[test]
    fn a_newer_schema_is_refused_rather_than_downgraded() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set");
        assert!(matches!(
            migrate(&mut conn),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }

    #[test]
    fn shipped_migrations_are_never_edited() {
        // Hashes of the shipped migrations. A failing entry means a shipped
        // migration changed: add a new migration instead. Append a line when
        // adding one.
        let shipped = [
            "ee7f9db7150738b8ab5127a9b2cab0542a48a453d53b863a94c9b9a7f3e85001",
            "aa52975c81fdb3b1b4aef53fefee3e47e60b978ccee7adceac0afc5d13808390",
            "cc5ec2a34a2c8dcdbbf327258cc43151554c3b9cc6d0e5fa152ca8d540439624",
            "a042695ff4c7c6c4ccaa48b4ae2123226b8d5c8e99ad03f042018d0b8292e42b",
            "f480e4b7df785a16ad4d2d772b1479fed1dd8816c1060a2fd913099a37adae78",
            "92872b807bb161bc57ab48bbf3c01e5d0d6bd7a564a54b70ff65d4d8c657cb7e",
            "059a9dbdaf8f57c536f7945aa1d82ea1e4948e046ee74afe915a42f26da2c245",
            "c116675c8eb173ce13ce29b6f93770103a53c9f6370cda4e7567fdf878c90248",
            "083cc7ed982c9766477efb857f6639891d73ea41a226f72d9a83cb24940fe55a",
            "c973e600eda7c6bb89247497f6a7227c2408f04a075548329afb23572a4c70ed",
        ];
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let h = crate::hex::encode(
                ring::digest::digest(&ring::digest::SHA256, sql.as_bytes()).as_ref(),
            );
            assert_eq!(
                shipped.get(i).copied(),
                Some(h.as_str()),
                "migration v{} changed or is not pinned",
                i + 1
            );
        }
    }
}
