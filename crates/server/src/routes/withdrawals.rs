//! Withdrawing agenda items and documents. Once members have seen a meeting,
//! what was put before them stays on the record: an item or a document is
//! not deleted but withdrawn, marked with who withdrew it, when and why, and
//! the withdrawal is kept in the append-only `withdrawals` table for the
//! audit. A closed meeting is read-only, so nothing is withdrawn from it.

use axum::extract::State;
use ecabinet_protocol::{
    AgendaItemBody, DocumentBody, EntityKind, ErrorCode, MeetingBody, MeetingStatus,
    WithdrawRequest, Withdrawal,
};

use crate::access::{document_for, item_for, Need};
use crate::agenda::{save_meeting, subtree};
use crate::auth::Caller;
use crate::db::Tx;
use crate::error::{Json, Path};
use crate::records::{self, emit_upsert, new_id};
use crate::{params, AppError, AppState};

/// The longest reason kept on the record, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Withdraws an agenda item and every item nested under it.
pub async fn withdraw_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(item_id): Path<String>,
    Json(req): Json<WithdrawRequest>,
) -> Result<Json<AgendaItemBody>, AppError> {
    let now = state.now();
    let item = state
        .db
        .write(move |tx| {
            let (item, mut m) = item_for(tx, &caller, &item_id, Need::Prepare)?;
            let w = withdrawal(&caller, &req, &m, now)?;
            refuse_twice(item.withdrawn.as_ref(), "agenda item")?;
            let items = subtree(tx, &item.id)?;
            for id in &items {
                let open = tx.conn.query(
                    "SELECT id FROM motions WHERE agenda_item_id = ? AND status = 'open'",
                    params![id],
                )?;
                if !open.is_empty() {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        "a vote under this agenda item is open: close it before withdrawing the item",
                    ));
                }
            }
            for id in &items {
                let Some(mut it) = records::agenda_item(tx.conn, id)? else {
                    continue;
                };
                if it.withdrawn.is_some() {
                    continue;
                }
                tx.conn.execute(
                    "UPDATE agenda_items SET withdrawn_at = ?, withdrawn_by = ?, withdrawn_reason = ? WHERE id = ?",
                    params![w.at_ms, &w.by_user_id, &w.reason, id],
                )?;
                record(tx, &m, "agenda_item", id, &w)?;
                it.withdrawn = Some(w.clone());
                emit_upsert(tx, &m, EntityKind::AgendaItem, id, &it, now)?;
            }
            if m.current_item_id.as_ref().is_some_and(|c| items.contains(c)) {
                m.current_item_id = None;
                save_meeting(tx, &m, now)?;
            }
            records::agenda_item(tx.conn, &item.id)?
                .ok_or_else(|| AppError::internal("item vanished"))
        })
        .await?;
    Ok(Json(item))
}

/// Withdraws a document: its versions stay readable, marked, and no new
/// version is accepted.
pub async fn withdraw_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(document_id): Path<String>,
    Json(req): Json<WithdrawRequest>,
) -> Result<Json<DocumentBody>, AppError> {
    let now = state.now();
    let d = state
        .db
        .write(move |tx| {
            let (mut d, m) = document_for(tx, &caller, &document_id, Need::Prepare)?;
            let w = withdrawal(&caller, &req, &m, now)?;
            refuse_twice(d.withdrawn.as_ref(), "document")?;
            tx.conn.execute(
                "UPDATE documents SET withdrawn_at = ?, withdrawn_by = ?, withdrawn_reason = ? WHERE id = ?",
                params![w.at_ms, &w.by_user_id, &w.reason, &d.id],
            )?;
            record(tx, &m, "document", &d.id, &w)?;
            d.withdrawn = Some(w);
            emit_upsert(tx, &m, EntityKind::Document, &d.id, &d, now)?;
            Ok::<_, AppError>(d)
        })
        .await?;
    Ok(Json(d))
}

/// The withdrawal to record, once the request and the meeting allow it.
fn withdrawal(
    caller: &Caller,
    req: &WithdrawRequest,
    meeting: &MeetingBody,
    now: i64,
) -> Result<Withdrawal, AppError> {
    if meeting.status == MeetingStatus::Draft {
        return Err(AppError::invalid(
            "the meeting is still a draft that members have not seen: delete instead of withdrawing",
        ));
    }
    let reason = req.reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "a withdrawal needs a reason, which stays on the record",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid(format!(
            "the reason is longer than {MAX_REASON_CHARS} characters"
        )));
    }
    Ok(Withdrawal {
        at_ms: now,
        by_user_id: caller.user_id.clone(),
        reason: reason.to_owned(),
    })
}

fn refuse_twice(already: Option<&Withdrawal>, what: &str) -> Result<(), AppError> {
    match already {
        Some(_) => Err(AppError::new(
            ErrorCode::Conflict,
            format!("the {what} has already been withdrawn"),
        )),
        None => Ok(()),
    }
}

/// The audit row: append-only, one per withdrawn record.
fn record(
    tx: &mut Tx<'_>,
    meeting: &MeetingBody,
    entity: &str,
    entity_id: &str,
    w: &Withdrawal,
) -> Result<(), AppError> {
    tx.conn.execute(
        "INSERT INTO withdrawals (id, meeting_id, entity, entity_id, user_id, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![new_id(), &meeting.id, entity, entity_id, &w.by_user_id, &w.reason, w.at_ms],
    )?;
    Ok(())
}
