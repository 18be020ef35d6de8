//! Meeting and agenda writes that several routes share: a meeting saved and
//! announced, a document removed with its versions, an item's subtree.

use ecabinet_protocol::{AgendaItemBody, EntityKind, MeetingBody};

use crate::db::Tx;
use crate::records::{self, emit_delete, emit_upsert};
use crate::{params, AppError};

/// Writes the meeting row back and records it.
pub fn save_meeting(tx: &mut Tx<'_>, m: &MeetingBody, now: i64) -> Result<(), AppError> {
    tx.conn.execute(
        "UPDATE meetings SET title = ?, location = ?, starts_at = ?, status = ?, published_at = ?, current_item_id = ?, reader_watermark = ? WHERE id = ?",
        params![&m.title, &m.location, m.starts_at, m.status.as_str(), m.published_at, m.current_item_id.clone(), m.reader_watermark, &m.id],
    )?;
    emit_upsert(tx, m, EntityKind::Meeting, &m.id, m, now)?;
    Ok(())
}

/// Puts `to` on the floor of the meeting (none: no item) and saves the
/// meeting. The item that leaves the floor adds the stretch it had to its
/// time on the floor; the one that comes starts a stretch now. The chair
/// compares the sum with the time the secretary planned.
pub fn put_on_floor(
    tx: &mut Tx<'_>,
    m: &mut MeetingBody,
    to: Option<String>,
    now: i64,
) -> Result<(), AppError> {
    if m.current_item_id != to {
        if let Some(mut item) = m
            .current_item_id
            .as_deref()
            .map(|id| records::agenda_item(tx.conn, id))
            .transpose()?
            .flatten()
        {
            if let Some(since) = item.on_floor_since.take() {
                item.time_on_floor_ms += (now - since).max(0);
            }
            save_floor_time(tx, m, &item, now)?;
        }
        if let Some(mut item) = to
            .as_deref()
            .map(|id| records::agenda_item(tx.conn, id))
            .transpose()?
            .flatten()
        {
            item.on_floor_since = Some(now);
            save_floor_time(tx, m, &item, now)?;
        }
    }
    m.current_item_id = to;
    save_meeting(tx, m, now)
}

fn save_floor_time(
    tx: &mut Tx<'_>,
    m: &MeetingBody,
    item: &AgendaItemBody,
    now: i64,
) -> Result<(), AppError> {
    tx.conn.execute(
        "UPDATE agenda_items SET time_on_floor_ms = ?, on_floor_since = ? WHERE id = ?",
        params![item.time_on_floor_ms, item.on_floor_since, &item.id],
    )?;
    emit_upsert(tx, m, EntityKind::AgendaItem, &item.id, item, now)?;
    Ok(())
}

/// Deletes a document with its versions, leaving tombstones.
pub fn remove_document(
    tx: &mut Tx<'_>,
    m: &MeetingBody,
    document_id: &str,
    now: i64,
) -> Result<(), AppError> {
    // Members' comments on a draft go with it (it is deleted only before
    // the session; afterwards it is withdrawn and they stay).
    tx.conn.execute(
        "DELETE FROM draft_comments WHERE document_id = ?",
        params![document_id],
    )?;
    let versions = tx.conn.query(
        "SELECT id FROM document_versions WHERE document_id = ?",
        params![document_id],
    )?;
    for v in versions {
        let vid = v.text(0)?;
        tx.conn
            .execute("DELETE FROM document_versions WHERE id = ?", params![&vid])?;
        emit_delete(tx, m, EntityKind::DocumentVersion, &vid, now)?;
    }
    tx.conn
        .execute("DELETE FROM documents WHERE id = ?", params![document_id])?;
    emit_delete(tx, m, EntityKind::Document, document_id, now)?;
    Ok(())
}

/// The item and everything nested under it, parents before children.
pub fn subtree(tx: &mut Tx<'_>, item_id: &str) -> Result<Vec<String>, AppError> {
    let mut ids = vec![item_id.to_owned()];
    let mut i = 0;
    while i < ids.len() {
        let kids = tx.conn.query(
            "SELECT id FROM agenda_items WHERE parent_id = ?",
            params![&ids[i]],
        )?;
        for k in kids {
            ids.push(k.text(0)?);
        }
        i += 1;
    }
    Ok(ids)
}
