//! Small named values of the sync client (session, ETags, per-version
//! download errors) and the counts its status shows. All of it lives in the
//! encrypted database, never in a side file.

use rusqlite::params;
use rusqlite::types::Value as SqlValue;

use crate::cache::VersionRow;
use crate::error::Result;
use crate::named::{get_state, set_state};
use crate::Store;

pub(crate) const VERSION_ERROR_PREFIX: &str = "version_error.";

/// How much the cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheCounts {
    pub meetings: usize,
    pub documents: usize,
    pub versions: usize,
    /// Verified document versions (signed manifest and SHA-256) whose blob is stored.
    pub verified_blobs: usize,
}

impl Store {
    /// A named text value, `None` if never set (or not text).
    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        self.read(|tx| {
            Ok(match get_state::<SqlValue>(tx, name)? {
                Some(SqlValue::Text(text)) => Some(text),
                _ => None,
            })
        })
    }

    /// Sets one named value.
    pub fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        self.set_settings(&[(name, value)])
    }

    /// Sets several named values in one transaction.
    pub fn set_settings(&self, values: &[(&str, &str)]) -> Result<()> {
        self.write(|tx| {
            for (name, value) in values {
                set_state(tx, name, value)?;
            }
            Ok(())
        })
    }

    /// Removes a named value (no error if absent).
    pub fn clear_setting(&self, name: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sync_state WHERE name = ?1", [name])?;
            Ok(())
        })
    }

    /// Records why a document version was refused (`None` clears it).
    pub fn set_version_error(&self, version_id: &str, reason: Option<&str>) -> Result<()> {
        let name = format!("{VERSION_ERROR_PREFIX}{version_id}");
        match reason {
            Some(r) => self.set_setting(&name, r),
            None => self.clear_setting(&name),
        }
    }

    /// Why a document version was refused, if it was.
    pub fn version_error(&self, version_id: &str) -> Result<Option<String>> {
        self.setting(&format!("{VERSION_ERROR_PREFIX}{version_id}"))
    }

    /// Every refused document version with its reason, by version id.
    pub fn version_errors(&self) -> Result<Vec<(String, String)>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT substr(name, ?2), value FROM sync_state WHERE substr(name, 1, ?1) = ?3 ORDER BY name",
            )?;
            let rows = stmt.query_map(
                params![
                    VERSION_ERROR_PREFIX.len() as i64,
                    VERSION_ERROR_PREFIX.len() as i64 + 1,
                    VERSION_ERROR_PREFIX
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every document version record of the feed, by document and version.
    pub fn all_document_versions(&self) -> Result<Vec<VersionRow>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, document_id, version, sha256, body FROM document_version ORDER BY document_id, version",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, document_id, version, sha256, body) = row?;
                out.push(VersionRow {
                    id,
                    document_id,
                    version,
                    sha256,
                    body: serde_json::from_str(&body)?,
                });
            }
            Ok(out)
        })
    }

    /// Counts for the status display.
    pub fn cache_counts(&self) -> Result<CacheCounts> {
        let (meetings, documents, versions, shas) = self.read(|tx| {
            let count = |table: &str| -> Result<usize> {
                let n: i64 =
                    tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                Ok(n as usize)
            };
            let mut stmt = tx.prepare_cached("SELECT sha256 FROM verified_version")?;
            let shas = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((
                count("meeting")?,
                count("document")?,
                count("document_version")?,
                shas,
            ))
        })?;
        let mut verified = 0;
        for sha in &shas {
            if self.has_blob(sha)? {
                verified += 1;
            }
        }
        Ok(CacheCounts {
            meetings,
            documents,
            versions,
            verified_blobs: verified,
        })
    }
}
