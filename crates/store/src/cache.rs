//! Typed operations the sync client and the UI need, built on
//! [`Store::write`] and [`Store::read`]. Every multi-row change is one transaction.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::Value;

use crate::error::{Result, StoreError};
use crate::Store;

/// Kinds of record the change feed carries (the wire's `entity` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// `committee`
    Committee,
    /// `membership` (a member of a committee and their role)
    Membership,
    /// `meeting`
    Meeting,
    /// `agenda_item`, ordered and nested through `parent_id` + `position`
    AgendaItem,
    /// `document`
    Document,
    /// `document_version` with its signed manifest
    DocumentVersion,
    /// `motion`
    Motion,
    /// `motion_result` (a published result)
    MotionResult,
    /// `speaker_request`
    SpeakerRequest,
    /// `attendance` (one member's latest presence mark at a meeting)
    Attendance,
}

impl Entity {
    /// Every kind.
    pub const ALL: [Entity; 10] = [
        Entity::Committee,
        Entity::Membership,
        Entity::Meeting,
        Entity::AgendaItem,
        Entity::Document,
        Entity::DocumentVersion,
        Entity::Motion,
        Entity::MotionResult,
        Entity::SpeakerRequest,
        Entity::Attendance,
    ];

    /// The wire name, which is also the table name.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Committee => "committee",
            Entity::Membership => "membership",
            Entity::Meeting => "meeting",
            Entity::AgendaItem => "agenda_item",
            Entity::Document => "document",
            Entity::DocumentVersion => "document_version",
            Entity::Motion => "motion",
            Entity::MotionResult => "motion_result",
            Entity::SpeakerRequest => "speaker_request",
            Entity::Attendance => "attendance",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// What a feed change does.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedOp {
    /// Insert or replace the record with this body (the wire's `*Body` JSON).
    Upsert(Value),
    /// Remove the record (tombstone).
    Delete,
}

/// One change of the server's feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedChange {
    /// Which table.
    pub entity: Entity,
    /// Record id.
    pub id: String,
    /// Upsert with body, or delete.
    pub op: FeedOp,
}

/// A meeting as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRow {
    /// Meeting id.
    pub id: String,
    /// Its committee.
    pub committee_id: String,
    /// Title.
    pub title: String,
    /// Start, unix ms.
    pub starts_at: i64,
    /// The whole record as received.
    pub body: Value,
}

/// An agenda item with its depth in the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct AgendaRow {
    /// Item id.
    pub id: String,
    /// Parent item, `None` at top level.
    pub parent_id: Option<String>,
    /// Order among siblings.
    pub position: i64,
    /// 0 at top level.
    pub depth: usize,
    /// The whole record as received.
    pub body: Value,
}

/// A document version as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    /// Version record id.
    pub id: String,
    /// Its document.
    pub document_id: String,
    /// Version number.
    pub version: u32,
    /// Blob id of its PDF.
    pub sha256: String,
    /// The whole record, including the signed manifest.
    pub body: Value,
}

/// State of an outbox operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxState {
    /// Not sent yet.
    Pending,
    /// Sent, no answer recorded yet (resend with the same op id).
    Sent,
    /// The server applied it.
    Accepted,
    /// A later operation of the same member replaced it.
    Superseded,
    /// The server refused it.
    Rejected {
        /// The server's reason code.
        reason: String,
    },
}

/// The server's final answer for an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// Applied.
    Accepted,
    /// Replaced by a later one.
    Superseded,
    /// Refused, with the server's reason.
    Rejected {
        /// The reason code.
        reason: String,
    },
}

/// One outbox operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Client-made id (UUIDv7 text), unique.
    pub op_id: String,
    /// What it is (e.g. `vote`, `annotation`, `speak`).
    pub kind: String,
    /// The signed operation as sent.
    pub payload: Vec<u8>,
    /// Where it stands.
    pub state: OutboxState,
}

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
fn merge_annotation(tx: &Transaction<'_>, a: &Annotation) -> Result<bool> {
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

/// What [`Store::remove_meetings_before`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionReport {
    /// Meetings removed.
    pub meetings: usize,
    /// Documents removed.
    pub documents: usize,
    /// Blob files deleted.
    pub blobs: usize,
}

const CURSOR: &str = "cursor";
const ANNOTATION_CLOCK: &str = "annotation_clock";
const ANNOTATION_KEY: &str = "annotation_key";
const CLOCK_OFFSET: &str = "clock_offset_ms";
const MANIFEST_KEY: &str = "manifest_key";

fn field_str(body: &Value, entity: Entity, id: &str, field: &'static str) -> Result<String> {
    body.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad(entity, id, field))
}

fn field_i64(body: &Value, entity: Entity, id: &str, field: &'static str) -> Result<i64> {
    body.get(field)
        .and_then(Value::as_i64)
        .ok_or_else(|| bad(entity, id, field))
}

fn bad(entity: Entity, id: &str, field: &'static str) -> StoreError {
    StoreError::BadBody {
        entity: entity.as_str(),
        id: id.to_owned(),
        field,
    }
}

fn upsert(tx: &Transaction<'_>, entity: Entity, id: &str, body: &Value) -> Result<()> {
    let text = body.to_string();
    let e = entity;
    match entity {
        Entity::Committee => {
            tx.execute(
                "INSERT OR REPLACE INTO committee (id, body) VALUES (?1, ?2)",
                params![id, text],
            )?;
        }
        Entity::Membership => {
            tx.execute(
                "INSERT OR REPLACE INTO membership (id, committee_id, body) VALUES (?1, ?2, ?3)",
                params![id, field_str(body, e, id, "committee_id")?, text],
            )?;
        }
        Entity::Meeting => {
            tx.execute(
                "INSERT OR REPLACE INTO meeting (id, committee_id, starts_at, title, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    field_str(body, e, id, "committee_id")?,
                    field_i64(body, e, id, "starts_at")?,
                    field_str(body, e, id, "title")?,
                    text
                ],
            )?;
        }
        Entity::AgendaItem => {
            let parent = match body.get("parent_id") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(bad(e, id, "parent_id")),
            };
            tx.execute(
                "INSERT OR REPLACE INTO agenda_item (id, meeting_id, parent_id, position, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, field_str(body, e, id, "meeting_id")?, parent, field_i64(body, e, id, "position")?, text],
            )?;
        }
        Entity::Document => {
            tx.execute(
                "INSERT OR REPLACE INTO document (id, meeting_id, body) VALUES (?1, ?2, ?3)",
                params![id, field_str(body, e, id, "meeting_id")?, text],
            )?;
        }
        Entity::DocumentVersion => {
            let sha = field_str(body, e, id, "sha256")?;
            crate::blob::BlobId::parse(&sha).map_err(|_| bad(e, id, "sha256"))?;
            let version = u32::try_from(field_i64(body, e, id, "version")?)
                .map_err(|_| bad(e, id, "version"))?;
            tx.execute(
                "INSERT OR REPLACE INTO document_version (id, document_id, meeting_id, version, sha256, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, field_str(body, e, id, "document_id")?, field_str(body, e, id, "meeting_id")?, version, sha, text],
            )?;
        }
        Entity::Motion => {
            tx.execute(
                "INSERT OR REPLACE INTO motion (id, meeting_id, body) VALUES (?1, ?2, ?3)",
                params![id, field_str(body, e, id, "meeting_id")?, text],
            )?;
        }
        Entity::MotionResult => {
            tx.execute(
                "INSERT OR REPLACE INTO motion_result (id, motion_id, body) VALUES (?1, ?2, ?3)",
                params![id, field_str(body, e, id, "motion_id")?, text],
            )?;
        }
        Entity::SpeakerRequest => {
            tx.execute(
                "INSERT OR REPLACE INTO speaker_request (id, meeting_id, body) VALUES (?1, ?2, ?3)",
                params![id, field_str(body, e, id, "meeting_id")?, text],
            )?;
        }
        Entity::Attendance => {
            tx.execute(
                "INSERT OR REPLACE INTO attendance (id, meeting_id, body) VALUES (?1, ?2, ?3)",
                params![id, field_str(body, e, id, "meeting_id")?, text],
            )?;
        }
    }
    Ok(())
}

fn get_state<T: rusqlite::types::FromSql>(tx: &Transaction<'_>, name: &str) -> Result<Option<T>> {
    Ok(tx
        .query_row(
            "SELECT value FROM sync_state WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

fn set_state(tx: &Transaction<'_>, name: &str, value: &dyn rusqlite::ToSql) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO sync_state (name, value) VALUES (?1, ?2)",
        params![name, value],
    )?;
    Ok(())
}

fn parse_json(text: &str) -> Result<Value> {
    Ok(serde_json::from_str(text)?)
}

impl Store {
    // ---- feed -------------------------------------------------------------

    /// Applies one page of feed changes and the new cursor in one transaction:
    /// after a crash the cache holds either the whole page and the new cursor
    /// or neither. A body lacking a field the cache indexes fails the whole
    /// page with [`StoreError::BadBody`].
    pub fn apply_changes(&self, changes: &[FeedChange], next_cursor: i64) -> Result<()> {
        self.apply_page(changes, &[], next_cursor)
    }

    /// [`Store::apply_changes`] together with the page's annotation edits,
    /// all in one transaction. Each opened annotation is merged by its stamp
    /// (the later one wins, see [`Store::put_annotation`]) and advances the
    /// annotation clock; sealed ones are kept aside as ciphertext.
    pub fn apply_page(
        &self,
        changes: &[FeedChange],
        annotations: &[ReceivedAnnotation],
        next_cursor: i64,
    ) -> Result<()> {
        self.write(|tx| {
            for a in annotations {
                match a {
                    ReceivedAnnotation::Open(a) => {
                        merge_annotation(tx, a)?;
                    }
                    ReceivedAnnotation::Sealed {
                        id,
                        stamp,
                        envelope,
                        reason,
                    } => {
                        tx.execute(
                            "INSERT INTO annotation_sealed (id, stamp, envelope, reason) VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp,
                               envelope = excluded.envelope, reason = excluded.reason
                             WHERE excluded.stamp > annotation_sealed.stamp",
                            params![id, stamp, envelope, reason],
                        )?;
                    }
                }
            }
            for c in changes {
                match &c.op {
                    FeedOp::Upsert(body) => upsert(tx, c.entity, &c.id, body)?,
                    FeedOp::Delete => {
                        // Table names come from the closed Entity enum, never from input.
                        let sql = format!("DELETE FROM {} WHERE id = ?1", c.entity.as_str());
                        tx.execute(&sql, [&c.id])?;
                        if c.entity == Entity::DocumentVersion {
                            // A deleted version is no longer shown; its number
                            // stays trusted, so an older one cannot become current.
                            tx.execute("DELETE FROM verified_version WHERE id = ?1", [&c.id])?;
                        }
                    }
                }
            }
            set_state(tx, CURSOR, &next_cursor)
        })
    }

    /// The last applied feed `seq` (0 before the first pull).
    pub fn cursor(&self) -> Result<i64> {
        self.read(|tx| Ok(get_state::<i64>(tx, CURSOR)?.unwrap_or(0)))
    }

    /// One record's body, if present.
    pub fn entity(&self, entity: Entity, id: &str) -> Result<Option<Value>> {
        self.read(|tx| {
            let sql = format!("SELECT body FROM {} WHERE id = ?1", entity.as_str());
            let text: Option<String> = tx.query_row(&sql, [id], |r| r.get(0)).optional()?;
            text.as_deref().map(parse_json).transpose()
        })
    }

    // ---- clock, trust, identity ------------------------------------------------

    /// Server clock minus local clock in ms, as last measured (0 if never).
    pub fn clock_offset_ms(&self) -> Result<i64> {
        self.read(|tx| Ok(get_state::<i64>(tx, CLOCK_OFFSET)?.unwrap_or(0)))
    }

    /// Records the measured server-clock offset.
    pub fn set_clock_offset_ms(&self, offset: i64) -> Result<()> {
        self.write(|tx| set_state(tx, CLOCK_OFFSET, &offset))
    }

    /// The pinned manifest-signing public key of the server (raw bytes), if enrolled.
    pub fn manifest_key(&self) -> Result<Option<Vec<u8>>> {
        self.read(|tx| get_state::<Vec<u8>>(tx, MANIFEST_KEY))
    }

    /// Pins the server's manifest-signing public key (at enrolment).
    pub fn set_manifest_key(&self, public_key: &[u8]) -> Result<()> {
        self.write(|tx| set_state(tx, MANIFEST_KEY, &public_key))
    }

    /// The highest manifest version verified so far for `document_id`.
    pub fn trusted_version(&self, document_id: &str) -> Result<Option<u32>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT version FROM trusted_version WHERE document_id = ?1",
                    [document_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Records that `version` of `document_id` was verified; keeps the highest.
    pub fn set_trusted_version(&self, document_id: &str, version: u32) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO trusted_version (document_id, version) VALUES (?1, ?2)
                 ON CONFLICT (document_id) DO UPDATE SET version = max(version, excluded.version)",
                params![document_id, version],
            )?;
            Ok(())
        })
    }

    /// Stores the device's Ed25519 private key (PKCS#8), only ever inside the
    /// encrypted database.
    pub fn set_device_key(&self, pkcs8: &[u8]) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO device_identity (id, pkcs8) VALUES (1, ?1)",
                [pkcs8],
            )?;
            Ok(())
        })
    }

    /// The device's private key (PKCS#8), wiped from memory when dropped.
    pub fn device_key(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        self.read(|tx| {
            let k: Option<Vec<u8>> = tx
                .query_row("SELECT pkcs8 FROM device_identity WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(k.map(zeroize::Zeroizing::new))
        })
    }

    // ---- queries ----------------------------------------------------------------

    /// Meetings, earliest first; of one committee or of all.
    pub fn meetings(&self, committee_id: Option<&str>) -> Result<Vec<MeetingRow>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, committee_id, title, starts_at, body FROM meeting
                 WHERE ?1 IS NULL OR committee_id = ?1 ORDER BY starts_at, id",
            )?;
            let rows = stmt.query_map([committee_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, committee_id, title, starts_at, body) = row?;
                out.push(MeetingRow {
                    id,
                    committee_id,
                    title,
                    starts_at,
                    body: parse_json(&body)?,
                });
            }
            Ok(out)
        })
    }

    /// The agenda of a meeting in reading order: depth first, siblings by position.
    /// Items whose parent is missing are listed at top level rather than hidden.
    pub fn agenda(&self, meeting_id: &str) -> Result<Vec<AgendaRow>> {
        let rows: Vec<(String, Option<String>, i64, String)> = self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, parent_id, position, body FROM agenda_item WHERE meeting_id = ?1 ORDER BY position, id",
            )?;
            let rows = stmt.query_map([meeting_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            let parent = r.1.as_deref().filter(|p| ids.contains(p));
            children.entry(parent).or_default().push(i);
        }
        let mut out = Vec::with_capacity(rows.len());
        let mut stack: Vec<(usize, usize)> = children
            .get(&None)
            .map(|v| v.iter().rev().map(|&i| (i, 0)).collect())
            .unwrap_or_default();
        let mut seen = vec![false; rows.len()];
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let (id, parent_id, position, body) = &rows[i];
            out.push(AgendaRow {
                id: id.clone(),
                parent_id: parent_id.clone(),
                position: *position,
                depth,
                body: parse_json(body)?,
            });
            if let Some(kids) = children.get(&Some(id.as_str())) {
                stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
            }
        }
        Ok(out)
    }

    /// Documents of a meeting as `(id, body)`, by id.
    pub fn documents(&self, meeting_id: &str) -> Result<Vec<(String, Value)>> {
        self.bodies(
            "SELECT id, body FROM document WHERE meeting_id = ?1 ORDER BY id",
            meeting_id,
        )
    }

    /// Motions of a meeting as `(id, body)`, by id.
    pub fn motions(&self, meeting_id: &str) -> Result<Vec<(String, Value)>> {
        self.bodies(
            "SELECT id, body FROM motion WHERE meeting_id = ?1 ORDER BY id",
            meeting_id,
        )
    }

    /// Published results of a motion as `(id, body)`.
    pub fn motion_results(&self, motion_id: &str) -> Result<Vec<(String, Value)>> {
        self.bodies(
            "SELECT id, body FROM motion_result WHERE motion_id = ?1 ORDER BY id",
            motion_id,
        )
    }

    fn bodies(&self, sql: &'static str, key: &str) -> Result<Vec<(String, Value)>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(sql)?;
            let rows = stmt.query_map([key], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, body) = row?;
                out.push((id, parse_json(&body)?));
            }
            Ok(out)
        })
    }

    /// Versions of a document, oldest first.
    pub fn document_versions(&self, document_id: &str) -> Result<Vec<VersionRow>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, document_id, version, sha256, body FROM document_version WHERE document_id = ?1 ORDER BY version",
            )?;
            let rows = stmt.query_map([document_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, document_id, version, sha256, body) = row?;
                out.push(VersionRow { id, document_id, version, sha256, body: parse_json(&body)? });
            }
            Ok(out)
        })
    }

    // ---- outbox -----------------------------------------------------------------

    /// Queues an operation. Enqueuing the same `op_id` again is a no-op.
    pub fn enqueue(&self, op_id: &str, kind: &str, payload: &[u8]) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO outbox (op_id, kind, payload, state) VALUES (?1, ?2, ?3, 'pending')
                 ON CONFLICT (op_id) DO NOTHING",
                params![op_id, kind, payload],
            )?;
            Ok(())
        })?;
        self.refresh_unsent()
    }

    /// Operations still waiting for an answer (pending or sent), oldest first.
    pub fn unresolved_ops(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT op_id, kind, payload, state, reason FROM outbox
                 WHERE state IN ('pending', 'sent') ORDER BY seq LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], row_to_entry)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every operation with its state, oldest first (for "what happened to my vote").
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT op_id, kind, payload, state, reason FROM outbox ORDER BY seq",
            )?;
            let rows = stmt.query_map([], row_to_entry)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Marks operations as sent (still awaiting an answer).
    pub fn mark_sent(&self, op_ids: &[&str]) -> Result<()> {
        self.write(|tx| {
            for id in op_ids {
                tx.execute(
                    "UPDATE outbox SET state = 'sent' WHERE op_id = ?1 AND state = 'pending'",
                    [id],
                )?;
            }
            Ok(())
        })
    }

    /// Records the server's answers, all in one transaction.
    pub fn record_results(&self, results: &[(&str, OpResult)]) -> Result<()> {
        self.write(|tx| {
            for (op_id, result) in results {
                let (state, reason) = match result {
                    OpResult::Accepted => ("accepted", None),
                    OpResult::Superseded => ("superseded", None),
                    OpResult::Rejected { reason } => ("rejected", Some(reason.as_str())),
                };
                let n = tx.execute(
                    "UPDATE outbox SET state = ?2, reason = ?3 WHERE op_id = ?1",
                    params![op_id, state, reason],
                )?;
                if n == 0 {
                    return Err(StoreError::UnknownOperation((*op_id).to_owned()));
                }
            }
            Ok(())
        })?;
        self.refresh_unsent()
    }

    // ---- annotations ------------------------------------------------------------

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
                tx.execute(
                    "INSERT INTO outbox (op_id, kind, payload, state) VALUES (?1, ?2, ?3, 'pending')",
                    params![op.op_id, op.kind, op.payload],
                )?;
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

    // ---- retention --------------------------------------------------------------

    /// Removes meetings that started before `before_ms` (unix ms) with their
    /// agenda, documents, versions, motions, speaker requests and annotations
    /// in one transaction, then deletes the blob files no remaining version uses.
    pub fn remove_meetings_before(&self, before_ms: i64) -> Result<RetentionReport> {
        let (mut report, orphans) = self.write(|tx| {
            tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS old_meeting (id TEXT PRIMARY KEY); DELETE FROM old_meeting;")?;
            let meetings = tx.execute("INSERT INTO old_meeting SELECT id FROM meeting WHERE starts_at < ?1", [before_ms])?;
            let mut shas: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT DISTINCT sha256 FROM document_version WHERE meeting_id IN (SELECT id FROM old_meeting)",
                )?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.execute(
                "DELETE FROM annotation WHERE doc_id IN
                   (SELECT id FROM document WHERE meeting_id IN (SELECT id FROM old_meeting))",
                [],
            )?;
            tx.execute(
                "DELETE FROM trusted_version WHERE document_id IN
                   (SELECT id FROM document WHERE meeting_id IN (SELECT id FROM old_meeting))",
                [],
            )?;
            let documents =
                tx.execute("DELETE FROM document WHERE meeting_id IN (SELECT id FROM old_meeting)", [])?;
            for table in ["document_version", "verified_version", "agenda_item", "speaker_request", "attendance"] {
                tx.execute(&format!("DELETE FROM {table} WHERE meeting_id IN (SELECT id FROM old_meeting)"), [])?;
            }
            tx.execute(
                "DELETE FROM motion_result WHERE motion_id IN
                   (SELECT id FROM motion WHERE meeting_id IN (SELECT id FROM old_meeting))",
                [],
            )?;
            tx.execute("DELETE FROM motion WHERE meeting_id IN (SELECT id FROM old_meeting)", [])?;
            tx.execute("DELETE FROM meeting WHERE id IN (SELECT id FROM old_meeting)", [])?;
            tx.execute("DELETE FROM old_meeting", [])?;
            // A blob shared with a kept meeting's version stays.
            let mut still_used = tx.prepare(
                "SELECT 1 FROM document_version WHERE sha256 = ?1
                 UNION ALL SELECT 1 FROM verified_version WHERE sha256 = ?1 LIMIT 1",
            )?;
            shas.retain(|s| !still_used.exists([s]).unwrap_or(true));
            Ok((RetentionReport { meetings, documents, blobs: 0 }, shas))
        })?;
        // Files go after the commit: a crash in between leaves unreferenced
        // ciphertext, never a row pointing at a missing blob.
        for sha in orphans {
            if self.has_blob(&sha)? {
                report.blobs += 1;
            }
            self.remove_blob(&sha)?;
        }
        Ok(report)
    }
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let state: String = r.get(3)?;
    let reason: Option<String> = r.get(4)?;
    let state = match state.as_str() {
        "pending" => OutboxState::Pending,
        "sent" => OutboxState::Sent,
        "accepted" => OutboxState::Accepted,
        "superseded" => OutboxState::Superseded,
        _ => OutboxState::Rejected {
            reason: reason.unwrap_or_default(),
        },
    };
    Ok(OutboxEntry {
        op_id: r.get(0)?,
        kind: r.get(1)?,
        payload: r.get(2)?,
        state,
    })
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
