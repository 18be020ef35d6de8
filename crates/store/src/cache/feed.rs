//! The change feed: a page of changes and its cursor applied in one
//! transaction, and the cached records read back.

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::Value;

use super::annotations::merge_annotation;
use super::{parse_json, Entity, ReceivedAnnotation};
use crate::error::{Result, StoreError};
use crate::named::{get_state, set_state};
use crate::Store;

/// The `state` row name.
const CURSOR: &str = "cursor";

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
        Entity::Presentation => {
            tx.execute(
                "INSERT OR REPLACE INTO presentation (id, meeting_id, body) VALUES (?1, ?2, ?3)",
                params![id, field_str(body, e, id, "meeting_id")?, text],
            )?;
        }
    }
    Ok(())
}

impl Store {
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
                            tx.execute("DELETE FROM text_layer WHERE version_id = ?1", [&c.id])?;
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
}
