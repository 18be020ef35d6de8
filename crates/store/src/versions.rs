//! Document versions as verified, not as the feed last described them.
//!
//! The feed's `document_version` rows are whatever the server sent last: a
//! hostile or broken server can re-send an old record as current, or a record
//! whose manifest no longer verifies. What a device shows and opens comes from
//! `verified_version` instead: one row per version whose signed manifest
//! passed the pinned key and whose blob passed its SHA-256, holding the
//! manifest's fields and signature (so the signature can be checked again at
//! open). Whether a version is superseded is computed here from the highest
//! version ever verified for its document (`trusted_version`, never lowered),
//! never taken from the server's flag.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::{Result, StoreError};
use crate::Store;

/// A document version whose signed manifest and blob were verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedVersion {
    /// Version record id.
    pub id: String,
    /// The manifest's document.
    pub document_id: String,
    /// The manifest's meeting.
    pub meeting_id: String,
    /// The manifest's version number.
    pub version: u32,
    /// The manifest's SHA-256 of the PDF (the blob id).
    pub sha256: String,
    /// The manifest's size in bytes.
    pub size: u64,
    /// The manifest's publication time, unix ms.
    pub published_at: i64,
    /// The manifest's Ed25519 signature (standard base64).
    pub signature: String,
    /// The manifest's document policy as signed (JSON), absent from a
    /// manifest signed before policies existed.
    pub policy: Option<String>,
    /// When the server signed the manifest (second form only), unix ms.
    pub signed_at: Option<i64>,
    /// A higher version of the same document was verified on this device.
    pub superseded: bool,
}

const SELECT: &str = "SELECT v.id, v.document_id, v.meeting_id, v.version, v.sha256, v.size, \
     v.published_at, v.signature, \
     v.version < coalesce((SELECT t.version FROM trusted_version t WHERE t.document_id = v.document_id), 0), \
     v.policy, v.signed_at FROM verified_version v";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VerifiedVersion> {
    Ok(VerifiedVersion {
        id: r.get(0)?,
        document_id: r.get(1)?,
        meeting_id: r.get(2)?,
        version: r.get(3)?,
        sha256: r.get(4)?,
        size: r.get::<_, i64>(5)? as u64,
        published_at: r.get(6)?,
        signature: r.get(7)?,
        superseded: r.get(8)?,
        policy: r.get(9)?,
        signed_at: r.get(10)?,
    })
}

impl Store {
    /// Records a verified version (replacing an earlier record of the same
    /// id) and raises its document's trusted version, in one transaction.
    /// `superseded` is ignored: it is computed on reading.
    pub fn record_verified_version(&self, v: &VerifiedVersion) -> Result<()> {
        self.write(|tx| insert_verified(tx, v))
    }

    /// [`Store::record_verified_version`], and the version's earlier
    /// refusal, if any, cleared: a version accepted, in one transaction.
    pub fn accept_verified_version(&self, v: &VerifiedVersion) -> Result<()> {
        self.write(|tx| accept_verified(tx, v))
    }
}

/// Records `v` and clears its refusal (inside the caller's transaction).
pub(crate) fn accept_verified(tx: &Transaction<'_>, v: &VerifiedVersion) -> Result<()> {
    insert_verified(tx, v)?;
    tx.execute(
        "DELETE FROM sync_state WHERE name = ?1",
        [format!("{}{}", crate::settings::VERSION_ERROR_PREFIX, v.id)],
    )?;
    Ok(())
}

fn insert_verified(tx: &Transaction<'_>, v: &VerifiedVersion) -> Result<()> {
    crate::blob::BlobId::parse(&v.sha256)?;
    let size = i64::try_from(v.size).map_err(|_| StoreError::BadBody {
        entity: "verified_version",
        id: v.id.clone(),
        field: "size",
    })?;
    {
        {
            tx.execute(
                "INSERT OR REPLACE INTO verified_version \
                 (id, document_id, meeting_id, version, sha256, size, published_at, signature, policy, signed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    v.id,
                    v.document_id,
                    v.meeting_id,
                    v.version,
                    v.sha256,
                    size,
                    v.published_at,
                    v.signature,
                    v.policy,
                    v.signed_at
                ],
            )?;
            tx.execute(
                "INSERT INTO trusted_version (document_id, version) VALUES (?1, ?2)
                 ON CONFLICT (document_id) DO UPDATE SET version = max(version, excluded.version)",
                params![v.document_id, v.version],
            )?;
            Ok(())
        }
    }
}

impl Store {
    /// The verified record of one version, if it was verified here.
    pub fn verified_version(&self, version_id: &str) -> Result<Option<VerifiedVersion>> {
        self.read(|tx| {
            Ok(tx
                .query_row(&format!("{SELECT} WHERE v.id = ?1"), [version_id], row)
                .optional()?)
        })
    }

    /// The verified versions of a document, oldest first.
    pub fn verified_versions(&self, document_id: &str) -> Result<Vec<VerifiedVersion>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "{SELECT} WHERE v.document_id = ?1 ORDER BY v.version"
            ))?;
            let rows = stmt.query_map([document_id], row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Whether any verified version uses the blob `sha256_hex`: such a blob
    /// is never deleted because another record naming it was refused.
    pub fn blob_in_verified_use(&self, sha256_hex: &str) -> Result<bool> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT 1 FROM verified_version WHERE sha256 = ?1 LIMIT 1",
                    [sha256_hex],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
    }

    /// Every verified version whose content is the blob `sha256_hex`.
    pub fn verified_versions_of_blob(&self, sha256_hex: &str) -> Result<Vec<VerifiedVersion>> {
        self.read(|tx| {
            let mut stmt = tx.prepare(&format!("{SELECT} WHERE v.sha256 = ?1 ORDER BY v.id"))?;
            let rows = stmt.query_map([sha256_hex], row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Deletes a blob unless a verified version uses it. Returns whether it
    /// was deleted.
    pub fn remove_blob_unless_verified(&self, sha256_hex: &str) -> Result<bool> {
        if self.blob_in_verified_use(sha256_hex)? {
            return Ok(false);
        }
        self.remove_blob(sha256_hex)?;
        Ok(true)
    }

    /// Whether a complete blob is stored and passes the whole-file check (at
    /// once when its seal still holds). A stored blob that fails it is
    /// deleted, so the next download fetches it again; `Ok(false)` then.
    pub fn blob_intact_or_removed(&self, sha256_hex: &str) -> Result<bool> {
        if !self.has_blob(sha256_hex)? {
            return Ok(false);
        }
        match self.checked_blob_reader(sha256_hex) {
            Ok(_) => Ok(true),
            Err(
                StoreError::BlobCorrupt { .. }
                | StoreError::BlobHashMismatch { .. }
                | StoreError::BlobSizeMismatch { .. },
            ) => {
                self.remove_blob(sha256_hex)?;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}
