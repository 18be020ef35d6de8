//! Test support, not part of the API: building fixture stores at an older schema.

use std::path::Path;

use rusqlite::params;

use crate::error::Result;
use crate::{db, keys, StoreConfig};

/// PIN of the committed schema-v1 fixture (`tests/fixtures/v1/`).
pub const FIXTURE_PIN: &str = "2468";

/// Creates a store in `dir` whose database stops at schema version 1, with one
/// committee, meeting, agenda item and annotation, as a v1 client would have
/// left it. Used to generate `tests/fixtures/v1/` (see the `ecabinet-store-testtool
/// fixture-v1` command) and by the upgrade test.
pub fn create_v1_fixture(dir: &Path, pin: &str, config: &StoreConfig) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(crate::error::io_err("create directory", dir))?;
    let key = keys::create(dir, pin, config.kdf, &config.pin, &config.keystore)?;
    let mut conn = db::open_keyed(&dir.join(db::DB_FILE), &key, false)?;
    db::migrate_to(&mut conn, 1)?;
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO committee (id, body) VALUES ('c1', ?1)",
        [r#"{"id":"c1","name":"UBND tỉnh"}"#],
    )?;
    tx.execute(
        "INSERT INTO meeting (id, committee_id, starts_at, title, body) VALUES ('m1', 'c1', 1700000000000, ?1, ?2)",
        params![
            "Phiên họp thường kỳ tháng 11",
            r#"{"id":"m1","committee_id":"c1","title":"Phiên họp thường kỳ tháng 11","starts_at":1700000000000}"#
        ],
    )?;
    tx.execute(
        "INSERT INTO agenda_item (id, meeting_id, parent_id, position, body) VALUES ('a1', 'm1', NULL, 0, ?1)",
        [r#"{"id":"a1","meeting_id":"m1","parent_id":null,"position":0,"title":"Khai mạc"}"#],
    )?;
    tx.execute(
        "INSERT INTO annotation (id, doc_id, version, page, kind, data, updated_at)
         VALUES ('n1', 'd1', 1, 2, 'note', ?1, '0000000001-0000-dev1')",
        [r#"{"text":"ghi chú v1"}"#],
    )?;
    tx.execute(
        "INSERT INTO sync_state (name, value) VALUES ('cursor', 41)",
        [],
    )?;
    tx.commit()?;
    // Leave a single self-contained file behind, as a cleanly closed client would.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    drop(conn);
    Ok(())
}

/// A store configuration for tests of other components: Argon2id at the
/// OWASP floor (19 MiB, t = 2), which is real but cheaper than the default;
/// no keystore, and short PINs allowed without one (never the product's
/// setting: see [`crate::PinOnlyRule`]).
pub fn test_config() -> StoreConfig {
    StoreConfig {
        kdf: crate::KdfParams::FLOOR,
        pin: crate::PinPolicy {
            pin_only: crate::PinOnlyRule::MinLengthOnly,
            ..crate::PinPolicy::default()
        },
        keystore: crate::Keystore::None,
        ..StoreConfig::default()
    }
}

/// Deterministic, non-repeating-looking test content of `len` bytes.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Lower-case hex SHA-256, the blob id of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// A migrated connection with the store's pragmas, encrypted with `key` or,
/// with `None`, the plain-SQLite baseline (same library, codec off). For the benchmark.
/// `cipher_pragmas` (e.g. `PRAGMA cipher_hmac_algorithm = HMAC_SHA256;`) runs
/// right after the key, to measure alternatives to SQLCipher's defaults.
pub fn bench_connection(
    path: &Path,
    key: Option<&[u8; 32]>,
    cipher_pragmas: &str,
) -> Result<rusqlite::Connection> {
    let mut conn = db::open_conn(path, key, false, cipher_pragmas)?;
    db::migrate(&mut conn)?;
    Ok(conn)
}
