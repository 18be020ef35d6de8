//! The secretary's meetings and their nested, ordered agenda.

use axum::extract::State;
use axum::http::StatusCode;
use ecabinet_protocol::{
    AgendaItemBody, CreateAgendaItemRequest, CreateMeetingRequest, EntityKind, ErrorCode,
    MeetingBody, MeetingStatus, UpdateAgendaItemRequest, UpdateMeetingRequest, MAX_PLANNED_MINUTES,
};

use crate::access::{
    item_for, meeting_for, refuse_delete_once_started, refuse_withdrawn, role_in, Need,
};
use crate::agenda::{remove_document, save_meeting, subtree};
use crate::auth::Caller;
use crate::db::Tx;
use crate::error::{Json, Path};
use crate::records::{self, emit_delete, emit_upsert, new_id};
use crate::{params, AppError, AppState};

/// Creates a draft meeting; shared with the seed.
pub fn insert_meeting(
    tx: &mut Tx<'_>,
    committee_id: &str,
    req: &CreateMeetingRequest,
    now: i64,
) -> Result<MeetingBody, AppError> {
    if req.title.trim().is_empty() {
        return Err(AppError::invalid("the meeting needs a title"));
    }
    let m = MeetingBody {
        id: new_id(),
        committee_id: committee_id.to_owned(),
        title: req.title.trim().to_owned(),
        location: req.location.trim().to_owned(),
        starts_at: req.starts_at,
        status: MeetingStatus::Draft,
        published_at: None,
        current_item_id: None,
        reader_watermark: false,
    };
    tx.conn.execute(
        "INSERT INTO meetings (id, committee_id, title, location, starts_at, status, published_at, current_item_id) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
        params![&m.id, &m.committee_id, &m.title, &m.location, m.starts_at, m.status.as_str()],
    )?;
    emit_upsert(tx, &m, EntityKind::Meeting, &m.id, &m, now)?;
    Ok(m)
}

pub async fn create_meeting(
    State(state): State<AppState>,
    caller: Caller,
    Path(committee_id): Path<String>,
    Json(req): Json<CreateMeetingRequest>,
) -> Result<(StatusCode, Json<MeetingBody>), AppError> {
    let now = state.now();
    let m = state
        .db
        .write(move |tx| {
            let role = role_in(tx.conn, &caller.user_id, &committee_id)?
                .ok_or_else(|| AppError::not_found("committee"))?;
            if !role.can_prepare_meetings() {
                return Err(AppError::forbidden(
                    "only the secretary or the chair prepares meetings",
                ));
            }
            insert_meeting(tx, &committee_id, &req, now)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

pub async fn update_meeting(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
    Json(req): Json<UpdateMeetingRequest>,
) -> Result<Json<MeetingBody>, AppError> {
    let now = state.now();
    let st = state.clone();
    let m = state
        .db
        .write(move |tx| {
            let (mut m, _) = meeting_for(tx.conn, &caller, &meeting_id, Need::Prepare)?;
            let watermark_changed = req
                .reader_watermark
                .is_some_and(|w| w != m.reader_watermark);
            if let Some(t) = req.title {
                if t.trim().is_empty() {
                    return Err(AppError::invalid("the meeting needs a title"));
                }
                m.title = t.trim().to_owned();
            }
            if let Some(l) = req.location {
                m.location = l.trim().to_owned();
            }
            if let Some(s) = req.starts_at {
                m.starts_at = s;
            }
            if let Some(w) = req.reader_watermark {
                m.reader_watermark = w;
            }
            save_meeting(tx, &m, now)?;
            if watermark_changed {
                // Every published version of the meeting is signed again
                // under its new policy and sent again (no re-download).
                let resigned = records::resign_published(
                    tx.conn,
                    &st.signer,
                    records::Published::OfMeeting(&m.id),
                    now,
                )?;
                for id in &resigned {
                    records::emit_version(tx, id, now, false)?;
                }
            }
            Ok(m)
        })
        .await?;
    Ok(Json(m))
}

/// The ids of the children of `parent` (top level when `None`) in order.
fn siblings(
    tx: &mut Tx<'_>,
    meeting_id: &str,
    parent: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let rows = match parent {
        Some(p) => tx.conn.query(
            "SELECT id FROM agenda_items WHERE meeting_id = ? AND parent_id = ? ORDER BY position, id",
            params![meeting_id, p],
        )?,
        None => tx.conn.query(
            "SELECT id FROM agenda_items WHERE meeting_id = ? AND parent_id IS NULL ORDER BY position, id",
            params![meeting_id],
        )?,
    };
    Ok(rows.iter().map(|r| r.text(0)).collect::<Result<_, _>>()?)
}

/// Gives `ids` the positions 0, 1, ... under `parent`, recording each item
/// whose place changed.
fn renumber(
    tx: &mut Tx<'_>,
    meeting: &MeetingBody,
    parent: Option<&str>,
    ids: &[String],
    now: i64,
) -> Result<(), AppError> {
    // One read of the meeting's items instead of one per sibling.
    let current: std::collections::HashMap<String, AgendaItemBody> =
        records::agenda_items(tx.conn, &meeting.id)?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
    for (pos, id) in ids.iter().enumerate() {
        let item = current
            .get(id)
            .cloned()
            .ok_or_else(|| AppError::internal("item vanished"))?;
        let pos = i64::try_from(pos).unwrap_or(i64::MAX);
        if item.position != pos || item.parent_id.as_deref() != parent {
            tx.conn.execute(
                "UPDATE agenda_items SET position = ?, parent_id = ? WHERE id = ?",
                params![pos, parent, id],
            )?;
            let item = AgendaItemBody {
                position: pos,
                parent_id: parent.map(str::to_owned),
                ..item
            };
            emit_upsert(tx, meeting, EntityKind::AgendaItem, id, &item, now)?;
        }
    }
    Ok(())
}

fn check_parent(tx: &mut Tx<'_>, meeting_id: &str, parent: Option<&str>) -> Result<(), AppError> {
    if let Some(p) = parent {
        match records::agenda_item(tx.conn, p)? {
            Some(item) if item.meeting_id == meeting_id => refuse_withdrawn(
                item.withdrawn.as_ref(),
                "the parent agenda item has been withdrawn: nothing is nested under it",
            )?,
            _ => {
                return Err(AppError::invalid(
                    "parent_id is not an agenda item of this meeting",
                ))
            }
        }
    }
    Ok(())
}

/// The time planned for an item is 1 to [`MAX_PLANNED_MINUTES`] minutes, or none.
fn check_planned_minutes(minutes: Option<i64>) -> Result<(), AppError> {
    match minutes {
        Some(m) if !(1..=MAX_PLANNED_MINUTES).contains(&m) => Err(AppError::invalid(format!(
            "the time planned for an agenda item is 1 to {MAX_PLANNED_MINUTES} minutes"
        ))),
        _ => Ok(()),
    }
}

fn place(len: usize, position: Option<i64>) -> usize {
    match position {
        None => len,
        Some(p) => usize::try_from(p.max(0)).unwrap_or(usize::MAX).min(len),
    }
}

/// Adds an agenda item; shared with the seed.
pub fn insert_item(
    tx: &mut Tx<'_>,
    meeting: &MeetingBody,
    req: &CreateAgendaItemRequest,
    now: i64,
) -> Result<AgendaItemBody, AppError> {
    if req.title.trim().is_empty() {
        return Err(AppError::invalid("the agenda item needs a title"));
    }
    check_planned_minutes(req.planned_minutes)?;
    crate::speakers::check_default_limit(req.speaking_limit_ms)?;
    let parent = req.parent_id.as_deref();
    check_parent(tx, &meeting.id, parent)?;
    let mut ids = siblings(tx, &meeting.id, parent)?;
    let at = place(ids.len(), req.position);
    let item = AgendaItemBody {
        id: new_id(),
        meeting_id: meeting.id.clone(),
        parent_id: req.parent_id.clone(),
        position: i64::try_from(at).unwrap_or(i64::MAX),
        title: req.title.trim().to_owned(),
        withdrawn: None,
        planned_minutes: req.planned_minutes,
        speaking_limit_ms: req.speaking_limit_ms,
        time_on_floor_ms: 0,
        on_floor_since: None,
    };
    tx.conn.execute(
        "INSERT INTO agenda_items (id, meeting_id, parent_id, position, title, planned_minutes, speaking_limit_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![&item.id, &item.meeting_id, item.parent_id.clone(), item.position, &item.title, item.planned_minutes, item.speaking_limit_ms],
    )?;
    emit_upsert(tx, meeting, EntityKind::AgendaItem, &item.id, &item, now)?;
    ids.insert(at, item.id.clone());
    renumber(tx, meeting, parent, &ids, now)?;
    Ok(item)
}

pub async fn create_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
    Json(req): Json<CreateAgendaItemRequest>,
) -> Result<(StatusCode, Json<AgendaItemBody>), AppError> {
    let now = state.now();
    let item = state
        .db
        .write(move |tx| {
            let (m, _) = meeting_for(tx.conn, &caller, &meeting_id, Need::Prepare)?;
            insert_item(tx, &m, &req, now)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

pub async fn update_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(item_id): Path<String>,
    Json(req): Json<UpdateAgendaItemRequest>,
) -> Result<Json<AgendaItemBody>, AppError> {
    let now = state.now();
    let item = state
        .db
        .write(move |tx| {
            let (mut item, m) = item_for(tx, &caller, &item_id, Need::Prepare)?;
            if let Some(t) = &req.title {
                if t.trim().is_empty() {
                    return Err(AppError::invalid("the agenda item needs a title"));
                }
                refuse_withdrawn(
                    item.withdrawn.as_ref(),
                    "the agenda item has been withdrawn: its title stays as it was on the record",
                )?;
                item.title = t.trim().to_owned();
                tx.conn.execute(
                    "UPDATE agenda_items SET title = ? WHERE id = ?",
                    params![&item.title, &item.id],
                )?;
                emit_upsert(tx, &m, EntityKind::AgendaItem, &item.id, &item, now)?;
            }
            if req.planned_minutes.is_some() || req.speaking_limit_ms.is_some() {
                let planned = req.planned_minutes.unwrap_or(item.planned_minutes);
                let limit = req.speaking_limit_ms.unwrap_or(item.speaking_limit_ms);
                check_planned_minutes(planned)?;
                crate::speakers::check_default_limit(limit)?;
                if (planned, limit) != (item.planned_minutes, item.speaking_limit_ms) {
                    item.planned_minutes = planned;
                    item.speaking_limit_ms = limit;
                    tx.conn.execute(
                        "UPDATE agenda_items SET planned_minutes = ?, speaking_limit_ms = ? WHERE id = ?",
                        params![planned, limit, &item.id],
                    )?;
                    emit_upsert(tx, &m, EntityKind::AgendaItem, &item.id, &item, now)?;
                }
            }
            if req.parent_id.is_some() || req.position.is_some() {
                let old_parent = item.parent_id.clone();
                let new_parent = match &req.parent_id {
                    Some(p) => p.clone(),
                    None => old_parent.clone(),
                };
                check_parent(tx, &m.id, new_parent.as_deref())?;
                // No item may become its own ancestor.
                let mut cursor = new_parent.clone();
                while let Some(c) = cursor {
                    if c == item.id {
                        return Err(AppError::invalid(
                            "an agenda item cannot be nested under itself",
                        ));
                    }
                    cursor = records::agenda_item(tx.conn, &c)?.and_then(|i| i.parent_id);
                }
                let mut old = siblings(tx, &m.id, old_parent.as_deref())?;
                old.retain(|i| i != &item.id);
                let mut new = if old_parent == new_parent {
                    old.clone()
                } else {
                    renumber(tx, &m, old_parent.as_deref(), &old, now)?;
                    siblings(tx, &m.id, new_parent.as_deref())?
                };
                let at = place(new.len(), req.position);
                new.insert(at, item.id.clone());
                renumber(tx, &m, new_parent.as_deref(), &new, now)?;
                item = records::agenda_item(tx.conn, &item.id)?
                    .ok_or_else(|| AppError::internal("item vanished"))?;
            }
            Ok(item)
        })
        .await?;
    Ok(Json(item))
}

pub async fn delete_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(item_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let now = state.now();
    state
        .db
        .write(move |tx| {
            let (item, mut m) = item_for(tx, &caller, &item_id, Need::Prepare)?;
            refuse_delete_once_started(
                &m,
                "the meeting has started, so its agenda items stay on the record and can no longer be deleted",
            )?;
            let subtree = subtree(tx, &item.id)?;
            // A motion once put to the vote is on the audit record (a
            // written consultation opens before the session starts).
            for id in &subtree {
                let voted = tx.conn.query(
                    "SELECT id FROM motions WHERE agenda_item_id = ? AND status <> 'draft'",
                    params![id],
                )?;
                if !voted.is_empty() {
                    return Err(AppError::new(
                        ErrorCode::NotDeletable,
                        "a motion under this agenda item has been put to the vote, so the item can no longer be deleted",
                    ));
                }
            }
            for id in subtree.iter().rev() {
                let docs = tx.conn.query(
                    "SELECT id FROM documents WHERE agenda_item_id = ?",
                    params![id],
                )?;
                for d in docs {
                    remove_document(tx, &m, &d.text(0)?, now)?;
                }
                for (table, entity) in [
                    ("motions", EntityKind::Motion),
                    ("speaker_requests", EntityKind::SpeakerRequest),
                ] {
                    let rows = tx.conn.query(
                        &format!("SELECT id FROM {table} WHERE agenda_item_id = ?"),
                        params![id],
                    )?;
                    for r in rows {
                        let rid = r.text(0)?;
                        tx.conn
                            .execute(&format!("DELETE FROM {table} WHERE id = ?"), params![&rid])?;
                        emit_delete(tx, &m, entity, &rid, now)?;
                    }
                }
                tx.conn
                    .execute("DELETE FROM agenda_items WHERE id = ?", params![id])?;
                emit_delete(tx, &m, EntityKind::AgendaItem, id, now)?;
            }
            if m.current_item_id
                .as_ref()
                .is_some_and(|c| subtree.contains(c))
            {
                m.current_item_id = None;
                save_meeting(tx, &m, now)?;
            }
            let rest = siblings(tx, &m.id, item.parent_id.as_deref())?;
            renumber(tx, &m, item.parent_id.as_deref(), &rest, now)?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
