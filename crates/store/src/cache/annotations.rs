//! A member's annotations: merged by their stamp, queued for the member's
//! other devices, and the clock and key they sync with.

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::Value;

use super::parse_json;
use crate::error::{Result, StoreError};
use crate::named::{get_state, set_state};
use crate::Store;

/// The `state` row name.
const ANNOTATION_KEY: &str = "annotation_key";

/// The `state` row name.
const ANNOTATION_CLOCK: &str = "annotation_clock";

/// An annotation of a member, in PDF page coordinates inside `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// Annotation id.
    pub id: String,
    /// Document id.
    pub doc_id: String,
    /// Document version it was made on.
    pub version: u32,
    /// 0-based page.
    pub page: u32,
    /// ink, highlight, underline, note, text …
    pub kind: String,
    /// Geometry, colour, note text.
    pub data: Value,
    /// Hybrid logical clock stamp; later wins (compared as strings).
    pub updated_at: String,
    /// Tombstone: deleted, kept so the deletion syncs.
    pub deleted: bool,
}

/// An annotation edit received from the feed, for [`Store::apply_page`].
#[derive(Debug, Clone, PartialEq)]
pub enum ReceivedAnnotation {
    /// Decrypted and checked.
    Open(Annotation),
    /// Could not be decrypted here: kept as the ciphertext it came as.
    Sealed {
        /// Annotation id.
        id: String,
        /// Its clock stamp (text form).
        stamp: String,
        /// The sealed annotation as received (JSON).
        envelope: String,
        /// Why it could not be opened.
        reason: String,
    },
}

/// An outbox operation to queue with a local annotation edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedOp {
    /// Client-made id (UUIDv7 text).
    pub op_id: String,
    /// Operation kind (`annotation`).
    pub kind: String,
    /// The operation's body as sent.
    pub payload: Vec<u8>,
}

/// Stores `a` if its stamp is later than the stored one's, and moves the
/// annotation clock up to it. Returns whether `a` was applied.
pub(super) fn merge_annotation(tx: &Transaction<'_>, a: &Annotation) -> Result<bool> {
    let data = a.data.to_string();
    let n = tx.execute(
        "INSERT INTO annotation (id, doc_id, version, page, kind, data, updated_at, deleted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET doc_id = excluded.doc_id, version = excluded.version,
           page = excluded.page, kind = excluded.kind, data = excluded.data,
           updated_at = excluded.updated_at, deleted = excluded.deleted
         WHERE excluded.updated_at > annotation.updated_at",
        params![
            a.id,
            a.doc_id,
            a.version,
            a.page,
            a.kind,
            data,
            a.updated_at,
            a.deleted
        ],
    )?;
    tx.execute(
        "INSERT INTO sync_state (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE excluded.value > sync_state.value",
        params![ANNOTATION_CLOCK, a.updated_at],
    )?;
    Ok(n > 0)
}

impl Store {
    /// Inserts or updates an annotation (also a tombstone) if it is newer than
    /// the stored one (`updated_at` compared as strings). Returns whether it was applied.
    pub fn put_annotation(&self, a: &Annotation) -> Result<bool> {
        self.write(|tx| merge_annotation(tx, a))
    }

    /// A local annotation edit, in one transaction: `build` gets the newest
    /// annotation clock stamp this store has issued or received and returns
    /// the edited annotation, stamped later than that in `updated_at`, and
    /// the outbox operation that carries it to the member's other devices
    /// (`None` when this device cannot seal it). The annotation is stored,
    /// the clock advances to its stamp and the operation is queued — all or
    /// nothing.
    pub fn record_annotation_edit(
        &self,
        build: impl FnOnce(Option<&str>) -> Result<(Annotation, Option<QueuedOp>)>,
    ) -> Result<Annotation> {
        let (a, queued) = self.write(|tx| {
            let clock: Option<String> = get_state(tx, ANNOTATION_CLOCK)?;
            let (a, op) = build(clock.as_deref())?;
            if clock.as_deref().is_some_and(|c| a.updated_at.as_str() <= c) {
                return Err(StoreError::StaleAnnotationStamp);
            }
            merge_annotation(tx, &a)?;
            let queued = op.is_some();
            if let Some(op) = op {
                super::outbox::insert_pending(tx, &op.op_id, &op.kind, &op.payload)?;
            }
            Ok((a, queued))
        })?;
        if queued {
            self.refresh_unsent()?;
        }
        Ok(a)
    }

    /// The newest annotation clock stamp issued or received here.
    pub fn annotation_clock(&self) -> Result<Option<String>> {
        self.read(|tx| get_state(tx, ANNOTATION_CLOCK))
    }

    /// Keeps the member's annotation key (32 bytes), only ever inside the
    /// encrypted database.
    pub fn set_annotation_key(&self, key: &[u8]) -> Result<()> {
        self.write(|tx| set_state(tx, ANNOTATION_KEY, &key))
    }

    /// The member's annotation key, wiped from memory when dropped.
    pub fn annotation_key(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        self.read(|tx| Ok(get_state::<Vec<u8>>(tx, ANNOTATION_KEY)?.map(zeroize::Zeroizing::new)))
    }

    /// Annotation edits received but not decryptable here, as `(id, reason)`.
    pub fn sealed_annotations(&self) -> Result<Vec<(String, String)>> {
        self.read(|tx| {
            let mut stmt =
                tx.prepare_cached("SELECT id, reason FROM annotation_sealed ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every annotation, tombstones included, by id (what a device holds, to
    /// compare devices).
    pub fn all_annotations(&self) -> Result<Vec<Annotation>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, doc_id, version, page, kind, data, updated_at, deleted FROM annotation ORDER BY id",
            )?;
            let rows = stmt.query_map([], row_to_annotation)?;
            let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(a, data)| Ok(Annotation { data: parse_json(&data)?, ..a }))
                .collect()
        })
    }

    /// Annotations of a document version, by page; tombstones only if asked.
    pub fn annotations(
        &self,
        doc_id: &str,
        version: u32,
        include_deleted: bool,
    ) -> Result<Vec<Annotation>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, doc_id, version, page, kind, data, updated_at, deleted FROM annotation
                 WHERE doc_id = ?1 AND version = ?2 AND (?3 OR deleted = 0) ORDER BY page, id",
            )?;
            let rows =
                stmt.query_map(params![doc_id, version, include_deleted], row_to_annotation)?;
            let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(a, data)| {
                    Ok(Annotation {
                        data: parse_json(&data)?,
                        ..a
                    })
                })
                .collect()
        })
    }

    /// One annotation by id (tombstone included).
    pub fn annotation(&self, id: &str) -> Result<Option<Annotation>> {
        self.read(|tx| {
            let row = tx
                .query_row(
                    "SELECT id, doc_id, version, page, kind, data, updated_at, deleted FROM annotation WHERE id = ?1",
                    [id],
                    row_to_annotation,
                )
                .optional()?;
            row.map(|(a, data)| Ok(Annotation { data: parse_json(&data)?, ..a })).transpose()
        })
    }
}

fn row_to_annotation(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Annotation, String)> {
    Ok((
        Annotation {
            id: r.get(0)?,
            doc_id: r.get(1)?,
            version: r.get(2)?,
            page: r.get(3)?,
            kind: r.get(4)?,
            data: Value::Null,
            updated_at: r.get(6)?,
            deleted: r.get(7)?,
        },
        r.get(5)?,
    ))
}
