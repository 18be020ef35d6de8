//! `ecabinet-server backup` and `restore`: an online, consistent copy of a
//! SQLite deployment's data directory — the metadata database, the local
//! blobs and the signing key — and its way back into an empty directory.
//!
//! The database is copied first, with SQLite's `VACUUM INTO`: one read
//! transaction, so the copy is the database as of one instant while the
//! server goes on writing. Blobs are content-addressed and never change, so
//! copying them after the snapshot finds every blob the snapshot refers to;
//! each copy is checked against its name (SHA-256) and the backup fails if a
//! referenced blob is missing or damaged. The signing key goes along: a
//! server restored with another key would be refused by every enrolled
//! device (`server_key_changed`).
//!
//! PostgreSQL deployments back up with `pg_dump` and their object store's
//! own tools (README, operator section); this command says so.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use crate::db::Db;

/// The metadata database's file in a data directory.
pub const DATABASE_FILE: &str = "ecabinet.sqlite3";
/// The signing key's file in a data directory.
pub const SIGNING_KEY_FILE: &str = "signing-key.pk8";
/// The local blob store's folder in a data directory.
pub const BLOB_DIR: &str = "blobs";
/// What a backup folder describes itself with.
const MANIFEST_FILE: &str = "backup.json";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Db(#[from] crate::db::DbError),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

/// What a backup holds, as written to `backup.json` and printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    pub format: u32,
    /// Server time of the snapshot, unix ms.
    pub created_at_ms: i64,
    /// The highest migration the database had.
    pub schema_version: i64,
    pub database_bytes: u64,
    pub blobs: usize,
    pub blob_bytes: u64,
    /// The SHA-256 (hex) of the signing key file, to check the copy.
    pub signing_key_file_sha256: String,
}

fn sha256_file(path: &Path) -> Result<String, BackupError> {
    let mut f = fs::File::open(path).map_err(io(format!("reading {}", path.display())))?;
    let mut ctx = Context::new(&SHA256);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(io(format!("reading {}", path.display())))?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(ecabinet_protocol::hex::encode(ctx.finish().as_ref()))
}

/// Copies `from` to `to` and flushes it to disk; the copy gets `mode`.
fn copy_durable(from: &Path, to: &Path, mode: u32) -> Result<u64, BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut src = fs::File::open(from).map_err(io(format!("reading {}", from.display())))?;
    let mut dst = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(to)
        .map_err(io(format!("creating {}", to.display())))?;
    let n =
        std::io::copy(&mut src, &mut dst).map_err(io(format!("copying to {}", to.display())))?;
    dst.flush()
        .and_then(|()| dst.sync_all())
        .map_err(io(format!("writing {}", to.display())))?;
    Ok(n)
}

fn is_sha256(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Every blob file of a local store: `(sha256, path)`, `incoming/` left out.
fn blob_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, BackupError> {
    let mut out = Vec::new();
    let Ok(shards) = fs::read_dir(dir) else {
        return Ok(out);
    };
    for shard in shards {
        let shard = shard
            .map_err(io(format!("listing {}", dir.display())))?
            .path();
        let name = shard
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !shard.is_dir() || name.len() != 2 {
            continue;
        }
        for f in fs::read_dir(&shard).map_err(io(format!("listing {}", shard.display())))? {
            let path = f
                .map_err(io(format!("listing {}", shard.display())))?
                .path();
            let sha = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if is_sha256(sha) && sha.starts_with(name) {
                out.push((sha.to_owned(), path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The blobs a database refers to (every document version's content and
/// the text layers read from them).
fn referenced_blobs(db_path: &Path) -> Result<BTreeSet<String>, BackupError> {
    let conn =
        rusqlite::Connection::open_with_flags(db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare(
        "SELECT sha256 FROM document_versions UNION SELECT layer_sha256 FROM text_layers WHERE layer_sha256 IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn schema_version(db_path: &Path) -> Result<i64, BackupError> {
    let conn =
        rusqlite::Connection::open_with_flags(db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?)
}

fn empty_or_missing(dir: &Path) -> Result<bool, BackupError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io(format!("reading {}", dir.display()))(e)),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(format!("creating {}", dir.display())))
}

/// Copies the blobs named in `wanted` from the store `from` into a store at
/// `to`, each checked against its name; returns (count, bytes).
fn copy_blobs(
    from: &Path,
    to: &Path,
    wanted: &BTreeSet<String>,
) -> Result<(usize, u64), BackupError> {
    let present: Vec<(String, PathBuf)> = blob_files(from)?
        .into_iter()
        .filter(|(sha, _)| wanted.contains(sha))
        .collect();
    let found: BTreeSet<&str> = present.iter().map(|(s, _)| s.as_str()).collect();
    if let Some(missing) = wanted.iter().find(|s| !found.contains(s.as_str())) {
        return Err(BackupError::Refused(format!(
            "blob {missing} is referenced by a document version but is not in {} \
             (with an S3 blob store, back up the bucket with its own tools; see README)",
            from.display()
        )));
    }
    let (mut count, mut bytes) = (0, 0);
    for (sha, path) in present {
        let shard = to.join(&sha[..2]);
        create_private_dir(&shard)?;
        let dest = shard.join(&sha);
        bytes += copy_durable(&path, &dest, 0o600)?;
        let got = sha256_file(&dest)?;
        if got != sha {
            return Err(BackupError::Refused(format!(
                "blob {sha} is damaged (its content hashes to {got}); nothing was restored or backed up past it"
            )));
        }
        count += 1;
    }
    Ok((count, bytes))
}

/// Backs up the SQLite deployment in `data_dir` into the new or empty
/// folder `to`, while the server may be running.
pub fn backup(data_dir: &Path, to: &Path, now_ms: i64) -> Result<BackupReport, BackupError> {
    let db_path = data_dir.join(DATABASE_FILE);
    let key_path = data_dir.join(SIGNING_KEY_FILE);
    if !db_path.is_file() {
        return Err(BackupError::Refused(format!(
            "no SQLite database at {} (a PostgreSQL deployment backs up with pg_dump and its object store's tools; see README)",
            db_path.display()
        )));
    }
    if !key_path.is_file() {
        return Err(BackupError::Refused(format!(
            "no signing key at {}: is {} the server's data directory?",
            key_path.display(),
            data_dir.display()
        )));
    }
    if !empty_or_missing(to)? {
        return Err(BackupError::Refused(format!(
            "{} is not empty: back up into a new folder",
            to.display()
        )));
    }
    create_private_dir(to)?;

    // One consistent snapshot of the database, while writers go on.
    let copy = to.join(DATABASE_FILE);
    {
        let conn = rusqlite::Connection::open(&db_path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let target = copy
            .to_str()
            .ok_or_else(|| BackupError::Refused(format!("{} is not UTF-8", copy.display())))?;
        conn.execute("VACUUM INTO ?1", [target])?;
    }
    fs::File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(io(format!("writing {}", copy.display())))?;
    let database_bytes = fs::metadata(&copy)
        .map_err(io(format!("reading {}", copy.display())))?
        .len();

    let wanted = referenced_blobs(&copy)?;
    let (blobs, blob_bytes) = copy_blobs(&data_dir.join(BLOB_DIR), &to.join(BLOB_DIR), &wanted)?;
    copy_durable(&key_path, &to.join(SIGNING_KEY_FILE), 0o600)?;

    let report = BackupReport {
        format: FORMAT,
        created_at_ms: now_ms,
        schema_version: schema_version(&copy)?,
        database_bytes,
        blobs,
        blob_bytes,
        signing_key_file_sha256: sha256_file(&key_path)?,
    };
    let manifest = to.join(MANIFEST_FILE);
    fs::write(
        &manifest,
        serde_json::to_vec_pretty(&report).map_err(|e| BackupError::Refused(e.to_string()))?,
    )
    .map_err(io(format!("writing {}", manifest.display())))?;
    fsync_dir(to)?;
    Ok(report)
}

fn fsync_dir(dir: &Path) -> Result<(), BackupError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("writing {}", dir.display())))
}

/// Restores the backup in `from` into `data_dir`, which must hold no
/// database, key or blob yet. The restored database is checked (SQLite's
/// integrity check, the migrations of this version, the audit chain).
pub fn restore(from: &Path, data_dir: &Path) -> Result<BackupReport, BackupError> {
    let manifest = from.join(MANIFEST_FILE);
    let text = fs::read(&manifest).map_err(io(format!(
        "reading {} (is {} a backup folder?)",
        manifest.display(),
        from.display()
    )))?;
    let report: BackupReport = serde_json::from_slice(&text).map_err(|e| {
        BackupError::Refused(format!(
            "{} is not a backup manifest: {e}",
            manifest.display()
        ))
    })?;
    if report.format != FORMAT {
        return Err(BackupError::Refused(format!(
            "backup format {} is not one this version restores ({FORMAT})",
            report.format
        )));
    }
    let db_path = data_dir.join(DATABASE_FILE);
    let key_path = data_dir.join(SIGNING_KEY_FILE);
    if db_path.exists() || key_path.exists() || !empty_or_missing(&data_dir.join(BLOB_DIR))? {
        return Err(BackupError::Refused(format!(
            "{} already holds a database, a signing key or blobs: restore into an empty data directory",
            data_dir.display()
        )));
    }
    let key_sha = sha256_file(&from.join(SIGNING_KEY_FILE))?;
    if key_sha != report.signing_key_file_sha256 {
        return Err(BackupError::Refused(
            "the backup's signing key is not the one its manifest names".into(),
        ));
    }
    create_private_dir(data_dir)?;
    let src_db = from.join(DATABASE_FILE);
    {
        let conn = rusqlite::Connection::open_with_flags(
            &src_db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(BackupError::Refused(format!(
                "the backup's database is damaged: {check}"
            )));
        }
    }
    let wanted = referenced_blobs(&src_db)?;
    let (blobs, _) = copy_blobs(&from.join(BLOB_DIR), &data_dir.join(BLOB_DIR), &wanted)?;
    copy_durable(&src_db, &db_path, 0o600)?;
    copy_durable(&from.join(SIGNING_KEY_FILE), &key_path, 0o600)?;
    fsync_dir(data_dir)?;

    // Migrations of this version, then the vote audit chain, end to end.
    let db = Db::open(&db_path.display().to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(io("starting a runtime"))?;
    rt.block_on(db.read(|conn| {
        crate::audit::verify(conn).map(drop).map_err(|e| {
            BackupError::Refused(format!("the restored audit chain does not verify: {e}"))
        })
    }))?;
    Ok(BackupReport { blobs, ..report })
}
