//! Meeting and agenda writes that several routes share: a meeting saved and
//! announced, a document removed with its versions, an item's subtree.

use ecabinet_protocol::{EntityKind, MeetingBody};

use crate::db::Tx;
use crate::records::{emit_delete, emit_upsert};
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
