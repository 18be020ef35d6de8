//! The speaker queue: a member's request to speak on an agenda item, made
//! online (the chair's routes) or queued offline (`POST /v1/ops`).

use ecabinet_protocol::{
    EntityKind, MeetingStatus, SpeakerRequestBody, SpeakerStatus, MAX_SPEAKING_TIME_MS,
};

use crate::access::{item_for, Need};
use crate::auth::Caller;
use crate::db::Tx;
use crate::records::{self, emit_upsert, new_id};
use crate::{params, AppError};

/// Puts the caller in the speaker queue of an item.
pub fn insert_speaker(
    tx: &mut Tx<'_>,
    caller: &Caller,
    item_id: &str,
    now: i64,
) -> Result<SpeakerRequestBody, AppError> {
    let (item, m) = item_for(tx, caller, item_id, Need::See)?;
    if m.status == MeetingStatus::Closed {
        return Err(AppError::conflict("the meeting is closed"));
    }
    let open = tx.conn.query(
        "SELECT id FROM speaker_requests WHERE agenda_item_id = ? AND user_id = ? AND status IN ('waiting', 'speaking')",
        params![&item.id, &caller.user_id],
    )?;
    if !open.is_empty() {
        return Err(AppError::conflict(
            "you are already in the queue of this item",
        ));
    }
    let next = tx
        .conn
        .query(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM speaker_requests WHERE agenda_item_id = ?",
            params![&item.id],
        )?
        .first()
        .ok_or_else(|| AppError::internal("no position"))?
        .int(0)?;
    let id = new_id();
    tx.conn.execute(
        "INSERT INTO speaker_requests (id, meeting_id, agenda_item_id, user_id, status, position, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![&id, &m.id, &item.id, &caller.user_id, SpeakerStatus::Waiting.as_str(), next, now],
    )?;
    let s =
        records::speaker(tx.conn, &id)?.ok_or_else(|| AppError::internal("speaker vanished"))?;
    emit_upsert(tx, &m, EntityKind::SpeakerRequest, &id, &s, now)?;
    Ok(s)
}

/// A default speaking-time limit (a committee's, an agenda item's) is 1 s
/// to [`MAX_SPEAKING_TIME_MS`], or none.
pub fn check_default_limit(limit_ms: Option<i64>) -> Result<(), AppError> {
    match limit_ms {
        Some(ms) if !(1_000..=MAX_SPEAKING_TIME_MS).contains(&ms) => {
            Err(AppError::invalid(format!(
                "a speaking-time limit is 1 s to {} h",
                MAX_SPEAKING_TIME_MS / 3_600_000
            )))
        }
        _ => Ok(()),
    }
}
