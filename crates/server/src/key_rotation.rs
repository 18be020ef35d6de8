//! Replacing the manifest-signing key (`ecabinet-server rotate-signing-key`).
//!
//! A rotation, with the server stopped:
//! 1. a new key is written beside the current one (`signing-key.next.pk8`);
//! 2. one database transaction records the [`KeyRotation`] (signed by the
//!    old key), signs every published version's manifest and every text
//!    layer again with the new key, sends each published version again
//!    through the feed (and drops its older feed entries, which carry the
//!    old signature), and voids the unused enrol codes (their fingerprint
//!    names the old key);
//! 3. the new key file replaces the old one.
//!
//! A crash between 2 and 3 is finished at the next start ([`settle_key_file`]):
//! the database says which key it rotated to, and the waiting file is
//! either that key (renamed into place) or a leftover of a rotation that
//! never committed (removed). A key file that is not the one the database
//! last rotated to is refused, so a restore that mixes a database and a key
//! of different ages never signs with the wrong key.
//!
//! Devices follow the chain from the key they pinned ([`ecabinet_protocol::follow_rotations`]).

use std::fs::File;
use std::path::{Path, PathBuf};

use ecabinet_protocol::{enrol_code, KeyRotation, TextLayerManifest};

use crate::backup::SIGNING_KEY_FILE;
use crate::db::{Conn, Db};
use crate::signer::{write_private, Signer};
use crate::{params, AppError, AppState, OpenError};

/// Where a new key waits while its rotation commits.
pub const NEXT_KEY_FILE: &str = "signing-key.next.pk8";

/// Held by `serve` (shared) and by a rotation (exclusive), so a key is never
/// replaced under a running server of the same data directory.
pub const LOCK_FILE: &str = "server.lock";

/// Every rotation, oldest first.
pub fn rotations(conn: &mut dyn Conn) -> Result<Vec<KeyRotation>, AppError> {
    let rows = conn.query(
        "SELECT from_key, to_key, rotated_at, signature FROM key_rotations ORDER BY seq",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(KeyRotation {
                from_key: r.text(0)?,
                to_key: r.text(1)?,
                rotated_at: r.int(2)?,
                signature: r.text(3)?,
            })
        })
        .collect()
}

fn fingerprint_b64(key_b64: &str) -> String {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key_b64)
        .unwrap_or_default();
    enrol_code::format_fingerprint(&enrol_code::fingerprint(&raw))
}

/// Finishes or discards a rotation a crash cut off, then loads the signing
/// key (created on a first start) and checks it is the one the database
/// last rotated to.
pub async fn settle_key_file(data_dir: &Path, db: &Db) -> Result<Signer, OpenError> {
    let latest = db
        .read(|conn| rotations(conn))
        .await
        .map_err(|e| OpenError::Key(e.message))?
        .pop();
    let key_path = data_dir.join(SIGNING_KEY_FILE);
    let next_path = data_dir.join(NEXT_KEY_FILE);
    if next_path.exists() {
        let waiting = Signer::load(&next_path)?;
        let committed = latest
            .as_ref()
            .is_some_and(|r| r.to_key == waiting.public_key_b64());
        let io = |source| OpenError::DataDir {
            path: next_path.display().to_string(),
            source,
        };
        if committed {
            std::fs::rename(&next_path, &key_path).map_err(io)?;
        } else {
            std::fs::remove_file(&next_path).map_err(io)?;
        }
        fsync_dir(data_dir).map_err(io)?;
    }
    let signer = match &latest {
        // A deployment whose key was rotated never makes a new one by itself.
        Some(_) => Signer::load(&key_path)?,
        None => Signer::load_or_create(&key_path)?,
    };
    if let Some(r) = latest {
        if r.to_key != signer.public_key_b64() {
            return Err(OpenError::Key(format!(
                "the signing key file {} (fingerprint {}) is not the key this database last rotated to (fingerprint {}); put back the key file that belongs with this database (a backup holds both)",
                key_path.display(),
                fingerprint_b64(signer.public_key_b64()),
                fingerprint_b64(&r.to_key),
            )));
        }
    }
    Ok(signer)
}

fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The lock of a data directory, held for as long as the value lives.
pub struct DataDirLock(#[allow(dead_code)] File);

/// Takes `DIR/server.lock`: shared for `serve` (several may run), exclusive
/// for a rotation (refused while any server runs on the directory).
pub fn lock_data_dir(data_dir: &Path, exclusive: bool) -> Result<DataDirLock, String> {
    std::fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let path: PathBuf = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let taken = if exclusive {
        file.try_lock()
    } else {
        file.try_lock_shared()
    };
    match taken {
        Ok(()) => Ok(DataDirLock(file)),
        Err(std::fs::TryLockError::WouldBlock) if exclusive => Err(format!(
            "a server is running on {}: stop it first (systemctl stop ecabinet-server), then rotate the key and start it again",
            data_dir.display()
        )),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "the signing key of {} is being replaced (rotate-signing-key): try again when that has finished",
            data_dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("{}: {e}", path.display())),
    }
}

/// What a rotation did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RotationReport {
    /// Fingerprints (`FFFF-FFFF-FFFF-FFFF`) of the retired and the new key.
    pub old_fingerprint: String,
    pub new_fingerprint: String,
    /// Published document versions whose manifest was signed again.
    pub versions_resigned: usize,
    /// Text layers signed again.
    pub text_layers_resigned: usize,
    /// Unused enrol codes voided (they name the old key): hand out new ones.
    pub enrol_codes_voided: usize,
}

/// Replaces the signing key of `state`'s deployment (see the module's
/// description). The caller holds the data directory's exclusive lock.
pub async fn rotate(state: &AppState, data_dir: &Path) -> Result<RotationReport, String> {
    let next_path = data_dir.join(NEXT_KEY_FILE);
    let pkcs8 = Signer::generate_pkcs8().map_err(|e| e.to_string())?;
    let next = Signer::from_pkcs8(&pkcs8).ok_or("the new key does not load")?;
    // Left by nothing once the state opened (settle_key_file ran).
    let _ = std::fs::remove_file(&next_path);
    write_private(&next_path, &pkcs8).map_err(|e| format!("{}: {e}", next_path.display()))?;
    let now = state.now();
    let rotation = state.signer.sign_rotation(next.public_key_b64(), now);
    let new_key = next.public_key_b64().to_owned();
    let report = RotationReport {
        old_fingerprint: fingerprint_b64(state.signer.public_key_b64()),
        new_fingerprint: fingerprint_b64(&new_key),
        versions_resigned: 0,
        text_layers_resigned: 0,
        enrol_codes_voided: 0,
    };
    let report = state
        .db
        .write(move |tx| {
            let seq = tx
                .conn
                .query("SELECT COALESCE(MAX(seq), 0) + 1 FROM key_rotations", &[])?
                .first()
                .ok_or_else(|| AppError::internal("no seq"))?
                .int(0)?;
            tx.conn.execute(
                "INSERT INTO key_rotations (seq, from_key, to_key, rotated_at, signature) VALUES (?, ?, ?, ?, ?)",
                params![seq, &rotation.from_key, &rotation.to_key, rotation.rotated_at, &rotation.signature],
            )?;
            let resigned = crate::records::resign_published(
                tx.conn,
                &next,
                crate::records::Published::All,
                now,
            )?;
            let layers = tx.conn.query(
                "SELECT t.version_id, v.document_id, v.version, v.sha256, t.layer_sha256, t.layer_size \
                 FROM text_layers t JOIN document_versions v ON v.id = t.version_id \
                 WHERE t.status = 'ready' AND t.layer_signature IS NOT NULL",
                &[],
            )?;
            for r in &layers {
                let signature = next.sign_text_layer(&TextLayerManifest {
                    doc_id: r.text(1)?,
                    version: u32::try_from(r.int(2)?).map_err(AppError::internal)?,
                    pdf_sha256: r.text(3)?,
                    layer_sha256: r.text(4)?,
                    layer_size: u64::try_from(r.int(5)?).map_err(AppError::internal)?,
                });
                tx.conn.execute(
                    "UPDATE text_layers SET layer_signature = ? WHERE version_id = ?",
                    params![&signature, &r.text(0)?],
                )?;
            }
            // Devices past these versions in the feed get them again, signed
            // with the new key; a device reading the feed from the start
            // meets only the new signatures.
            let first_new = tx
                .conn
                .query("SELECT COALESCE(MAX(seq), 0) + 1 FROM changes", &[])?
                .first()
                .ok_or_else(|| AppError::internal("no seq"))?
                .int(0)?;
            for id in &resigned {
                crate::records::emit_version(tx, id, now, false)?;
                tx.conn.execute(
                    "DELETE FROM changes WHERE entity = 'document_version' AND entity_id = ? AND seq < ?",
                    params![id, first_new],
                )?;
            }
            // The trusted roots, signed again and dated anew so devices fetch them.
            if let Some(roots) = crate::trusted_roots::current(tx.conn)? {
                crate::trusted_roots::set(tx.conn, &next, &roots.pem, now)?;
            }
            let voided = tx.conn.execute("DELETE FROM enrol_codes WHERE used_at IS NULL", &[])?;
            Ok::<_, AppError>(RotationReport {
                versions_resigned: resigned.len(),
                text_layers_resigned: layers.len(),
                enrol_codes_voided: voided as usize,
                ..report
            })
        })
        .await
        .map_err(|e: AppError| {
            let _ = std::fs::remove_file(&next_path);
            format!("the rotation was not recorded, nothing changed: {}", e.message)
        })?;
    let key_path = data_dir.join(SIGNING_KEY_FILE);
    std::fs::rename(&next_path, &key_path)
        .and_then(|()| fsync_dir(data_dir))
        .map_err(|e| {
            format!(
                "the rotation is recorded, but {} could not replace {}: {e}; the next start finishes it",
                next_path.display(),
                key_path.display()
            )
        })?;
    Ok(report)
}
