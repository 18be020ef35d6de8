//! The words OCR read on a version's scanned pages (its text layer), kept
//! beside the verified version they belong to, inside the encrypted cache.
//! Sync stores one only after the server's signature over it held under the
//! pinned key and its hash matched; search reads it for pages without text.

use rusqlite::{params, OptionalExtension};

use crate::error::Result;
use crate::Store;

impl Store {
    /// Keeps `body` (the layer's JSON, whose SHA-256 is `sha256`) as version
    /// `version_id`'s text layer, replacing an earlier one.
    pub fn put_text_layer(&self, version_id: &str, sha256: &str, body: &str) -> Result<()> {
        crate::blob::BlobId::parse(sha256)?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO text_layer (version_id, sha256, body) VALUES (?1, ?2, ?3)",
                params![version_id, sha256, body],
            )?;
            Ok(())
        })
    }

    /// The SHA-256 of version `version_id`'s stored text layer, if any.
    /// Forgets a version's text layer (a document classified since).
    pub fn remove_text_layer(&self, version_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM text_layer WHERE version_id = ?1", [version_id])?;
            Ok(())
        })
    }

    pub fn text_layer_sha(&self, version_id: &str) -> Result<Option<String>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT sha256 FROM text_layer WHERE version_id = ?1",
                    [version_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Version `version_id`'s text layer (its JSON), if one was stored.
    pub fn text_layer(&self, version_id: &str) -> Result<Option<String>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT body FROM text_layer WHERE version_id = ?1",
                    [version_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }
}
