//! The chair's session: start and close, the item on the floor, motions, and
//! the speaker queue (members ask, the chair orders, grants and ends).

use axum::extract::State;
use axum::http::StatusCode;
use ecabinet_protocol::{
    CreateMotionRequest, EntityKind, MeetingBody, MeetingStatus, MotionBody, MotionKind,
    MotionMode, MotionStatus, ReorderSpeakersRequest, SetCurrentItemRequest, SpeakerRequestBody,
    SpeakerStatus,
};

use ecabinet_model::AuditRecord;

use crate::access::{item_for, meeting_for, Need};
use crate::agenda::{put_on_floor, save_meeting};
use crate::auth::Caller;
use crate::db::Tx;
use crate::error::{Json, Path};
use crate::motions::{audit_closed, motion_audience, save_motion};
use crate::records::{self, emit, emit_upsert, new_id, Scope};
use crate::speakers::insert_speaker;
use crate::{params, AppError, AppState};

pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
) -> Result<Json<MeetingBody>, AppError> {
    let now = state.now();
    let m = state
        .db
        .write(move |tx| {
            let (mut m, _) = meeting_for(tx.conn, &caller, &meeting_id, Need::Chair)?;
            match m.status {
                MeetingStatus::Published => {}
                MeetingStatus::Draft => {
                    return Err(AppError::conflict("publish the meeting before starting it"))
                }
                MeetingStatus::InSession => {
                    return Err(AppError::conflict("the meeting is already in session"))
                }
                MeetingStatus::Closed => return Err(AppError::conflict("the meeting is closed")),
            }
            m.status = MeetingStatus::InSession;
            save_meeting(tx, &m, now)?;
            Ok(m)
        })
        .await?;
    Ok(Json(m))
}

pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
) -> Result<Json<MeetingBody>, AppError> {
    let now = state.now();
    let m = state
        .db
        .write(move |tx| {
            let (mut m, _) = meeting_for(tx.conn, &caller, &meeting_id, Need::Chair)?;
            if m.status != MeetingStatus::InSession {
                return Err(AppError::conflict("the meeting is not in session"));
            }
            // Live votes end with the session; written consultations run to their deadline.
            for mut mo in records::motions_where(
                tx.conn,
                "meeting_id = ? AND status = 'open' AND mode = 'live'",
                &m.id,
            )? {
                mo.status = MotionStatus::Closed;
                mo.closed_at = Some(now);
                save_motion(tx, &m, &mo, now)?;
                audit_closed(tx, &mo.id, now)?;
            }
            m.status = MeetingStatus::Closed;
            put_on_floor(tx, &mut m, None, now)?;
            Ok(m)
        })
        .await?;
    Ok(Json(m))
}

pub async fn set_current_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
    Json(req): Json<SetCurrentItemRequest>,
) -> Result<Json<MeetingBody>, AppError> {
    let now = state.now();
    let m = state
        .db
        .write(move |tx| {
            let (mut m, _) = meeting_for(tx.conn, &caller, &meeting_id, Need::Chair)?;
            if m.status != MeetingStatus::InSession {
                return Err(AppError::conflict("the meeting is not in session"));
            }
            if let Some(id) = &req.agenda_item_id {
                match records::agenda_item(tx.conn, id)? {
                    Some(item) if item.meeting_id == m.id => {}
                    _ => {
                        return Err(AppError::invalid(
                            "agenda_item_id is not an item of this meeting",
                        ))
                    }
                }
            }
            put_on_floor(tx, &mut m, req.agenda_item_id, now)?;
            Ok(m)
        })
        .await?;
    Ok(Json(m))
}

/// Creates a draft motion on an agenda item; shared with the seed.
pub fn insert_motion(
    tx: &mut Tx<'_>,
    m: &MeetingBody,
    item_id: &str,
    req: &CreateMotionRequest,
    now: i64,
) -> Result<MotionBody, AppError> {
    if req.question.trim().is_empty() {
        return Err(AppError::invalid("the motion needs a question"));
    }
    if req.options.len() < 2 || req.options.iter().any(|o| o.trim().is_empty()) {
        return Err(AppError::invalid(
            "a motion needs at least two non-empty options",
        ));
    }
    if req.mode == MotionMode::Written && req.deadline.is_none() {
        return Err(AppError::invalid("a written consultation needs a deadline"));
    }
    let mo = MotionBody {
        id: new_id(),
        meeting_id: m.id.clone(),
        agenda_item_id: item_id.to_owned(),
        question: req.question.trim().to_owned(),
        options: req.options.clone(),
        kind: req.kind,
        majority: req.majority,
        quorum: req.quorum,
        mode: req.mode,
        deadline: req.deadline,
        status: MotionStatus::Draft,
        opened_at: None,
        closed_at: None,
        eligible: req.eligible.clone(),
        may_change_vote: req.may_change_vote,
        grace_ms: req.grace_ms,
        signed_ballots: req.signed_ballots,
    };
    if mo.signed_ballots && mo.kind == MotionKind::Secret {
        return Err(AppError::invalid(
            "a secret ballot cannot carry the voter's signature: signed ballots are for named votes",
        ));
    }
    if mo.kind == MotionKind::Secret && mo.may_change_vote {
        return Err(AppError::invalid(
            "a secret motion cannot let members change their vote",
        ));
    }
    if mo.grace_ms < 0 {
        return Err(AppError::invalid("grace_ms must not be negative"));
    }
    if mo.eligible.as_ref().is_some_and(Vec::is_empty) {
        return Err(AppError::invalid(
            "a motion needs at least one eligible member",
        ));
    }
    let eligible = mo
        .eligible
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    tx.conn.execute(
        "INSERT INTO motions (id, meeting_id, agenda_item_id, question, options, kind, majority, quorum, mode, deadline, status, opened_at, closed_at, created_at, eligible, may_change_vote, grace_ms, signed_ballots) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?)",
        params![
            &mo.id, &mo.meeting_id, &mo.agenda_item_id, &mo.question, serde_json::to_string(&mo.options)?,
            mo.kind.as_str(), mo.majority.as_str(), i64::from(mo.quorum), mo.mode.as_str(), mo.deadline,
            mo.status.as_str(), now, eligible, mo.may_change_vote, mo.grace_ms, mo.signed_ballots
        ],
    )?;
    emit(
        tx,
        Scope::new(&m.committee_id, motion_audience(m, &mo)),
        EntityKind::Motion,
        &mo.id,
        ecabinet_protocol::Op::Upsert,
        Some(&mo),
        now,
    )?;
    Ok(mo)
}

pub async fn create_motion(
    State(state): State<AppState>,
    caller: Caller,
    Path(item_id): Path<String>,
    Json(req): Json<CreateMotionRequest>,
) -> Result<(StatusCode, Json<MotionBody>), AppError> {
    let now = state.now();
    let mo = state
        .db
        .write(move |tx| {
            let (item, m) = item_for(tx, &caller, &item_id, Need::Prepare)?;
            insert_motion(tx, &m, &item.id, &req, now)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(mo)))
}

/// Opens a draft motion: live ones only in session, written ones only before their deadline.
pub fn open_motion_tx(
    tx: &mut Tx<'_>,
    m: &MeetingBody,
    mut mo: MotionBody,
    now: i64,
) -> Result<MotionBody, AppError> {
    if mo.status != MotionStatus::Draft {
        return Err(AppError::conflict("the motion has already been opened"));
    }
    match mo.mode {
        MotionMode::Live if m.status != MeetingStatus::InSession => {
            return Err(AppError::conflict(
                "a live vote opens only while the meeting is in session",
            ))
        }
        MotionMode::Written
            if m.status == MeetingStatus::Draft || m.status == MeetingStatus::Closed =>
        {
            return Err(AppError::conflict(
                "a written consultation opens on a published meeting",
            ))
        }
        MotionMode::Written if mo.deadline.is_some_and(|d| d <= now) => {
            return Err(AppError::conflict("the deadline has passed"))
        }
        _ => {}
    }
    mo.status = MotionStatus::Open;
    mo.opened_at = Some(now);
    // Who may vote is fixed when voting starts, so later membership changes
    // cannot alter the motion the audit log describes.
    let eligible = match &mo.eligible {
        Some(list) => list.clone(),
        None => committee_members(tx.conn, &m.committee_id)?,
    };
    mo.eligible = Some(eligible.clone());
    let model = crate::motions::model_motion(
        &mo,
        eligible
            .iter()
            .map(|u| ecabinet_model::MemberId::new(u.as_str()))
            .collect(),
    )?;
    // A ballot must have seen this change (`seen_seq`) to count.
    let seq = save_motion(tx, m, &mo, now)?;
    tx.conn.execute(
        "UPDATE motions SET opened_seq = ?, eligible = ? WHERE id = ?",
        params![seq, serde_json::to_string(&eligible)?, &mo.id],
    )?;
    crate::audit::append(
        tx,
        [
            AuditRecord::motion_created(&model),
            AuditRecord::MotionOpened {
                motion_id: model.id().clone(),
                at: now,
                seq,
            },
        ],
    )?;
    Ok(mo)
}

/// Every user with a role in the committee: the default eligible voters.
pub fn committee_members(
    conn: &mut dyn crate::db::Conn,
    committee_id: &str,
) -> Result<Vec<String>, AppError> {
    conn.query(
        "SELECT user_id FROM memberships WHERE committee_id = ? ORDER BY user_id",
        params![committee_id],
    )?
    .iter()
    .map(|r| r.text(0).map_err(AppError::from))
    .collect()
}

fn motion_for(
    tx: &mut Tx<'_>,
    caller: &Caller,
    motion_id: &str,
    need: Need,
) -> Result<(MotionBody, MeetingBody), AppError> {
    let mo = records::motion(tx.conn, motion_id)?.ok_or_else(|| AppError::not_found("motion"))?;
    let (m, _) = meeting_for(tx.conn, caller, &mo.meeting_id, need).map_err(|e| {
        if e.code == ecabinet_protocol::ErrorCode::NotFound {
            AppError::not_found("motion")
        } else {
            e
        }
    })?;
    Ok((mo, m))
}

pub async fn open_motion(
    State(state): State<AppState>,
    caller: Caller,
    Path(motion_id): Path<String>,
) -> Result<Json<MotionBody>, AppError> {
    let now = state.now();
    let mo = state
        .db
        .write(move |tx| {
            let (mo, m) = motion_for(tx, &caller, &motion_id, Need::Chair)?;
            open_motion_tx(tx, &m, mo, now)
        })
        .await?;
    Ok(Json(mo))
}

pub async fn close_motion(
    State(state): State<AppState>,
    caller: Caller,
    Path(motion_id): Path<String>,
) -> Result<Json<MotionBody>, AppError> {
    let now = state.now();
    let mo = state
        .db
        .write(move |tx| {
            let (mut mo, m) = motion_for(tx, &caller, &motion_id, Need::EndVote)?;
            if mo.status != MotionStatus::Open {
                return Err(AppError::conflict("the motion is not open"));
            }
            mo.status = MotionStatus::Closed;
            mo.closed_at = Some(now);
            save_motion(tx, &m, &mo, now)?;
            audit_closed(tx, &mo.id, now)?;
            Ok(mo)
        })
        .await?;
    Ok(Json(mo))
}

fn save_speaker(
    tx: &mut Tx<'_>,
    m: &MeetingBody,
    s: &SpeakerRequestBody,
    now: i64,
) -> Result<(), AppError> {
    tx.conn.execute(
        "UPDATE speaker_requests SET status = ?, position = ?, granted_at = ?, time_limit_ms = ? WHERE id = ?",
        params![s.status.as_str(), s.position, s.granted_at, s.time_limit_ms, &s.id],
    )?;
    emit_upsert(tx, m, EntityKind::SpeakerRequest, &s.id, s, now)?;
    Ok(())
}

pub async fn request_to_speak(
    State(state): State<AppState>,
    caller: Caller,
    Path(item_id): Path<String>,
) -> Result<(StatusCode, Json<SpeakerRequestBody>), AppError> {
    let now = state.now();
    let s = state
        .db
        .write(move |tx| insert_speaker(tx, &caller, &item_id, now))
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

pub async fn reorder_speakers(
    State(state): State<AppState>,
    caller: Caller,
    Path(item_id): Path<String>,
    Json(req): Json<ReorderSpeakersRequest>,
) -> Result<Json<Vec<SpeakerRequestBody>>, AppError> {
    let now = state.now();
    let out = state
        .db
        .write(move |tx| {
            let (item, m) = item_for(tx, &caller, &item_id, Need::Chair)?;
            let waiting = records::speakers_where(
                tx.conn,
                "s.agenda_item_id = ? AND s.status = 'waiting'",
                &item.id,
            )?;
            let mut want: Vec<&str> = req.order.iter().map(String::as_str).collect();
            let mut have: Vec<&str> = waiting.iter().map(|s| s.id.as_str()).collect();
            want.sort_unstable();
            have.sort_unstable();
            if want != have {
                return Err(AppError::invalid(
                    "order must list exactly the waiting requests of this item",
                ));
            }
            let mut out = Vec::new();
            for (pos, id) in req.order.iter().enumerate() {
                let Some(mut s) = waiting.iter().find(|s| &s.id == id).cloned() else {
                    continue;
                };
                let pos = i64::try_from(pos).unwrap_or(i64::MAX);
                if s.position != pos {
                    s.position = pos;
                    save_speaker(tx, &m, &s, now)?;
                }
                out.push(s);
            }
            Ok(out)
        })
        .await?;
    Ok(Json(out))
}

#[derive(Clone, Copy)]
enum SpeakerAction {
    Grant,
    End,
    Withdraw,
}

async fn act_on_speaker(
    state: AppState,
    caller: Caller,
    speaker_id: String,
    action: SpeakerAction,
) -> Result<Json<SpeakerRequestBody>, AppError> {
    let now = state.now();
    let s = state
        .db
        .write(move |tx| {
            let mut s = records::speaker(tx.conn, &speaker_id)?
                .ok_or_else(|| AppError::not_found("speaker request"))?;
            let need = match action {
                SpeakerAction::Withdraw if s.user_id == caller.user_id => Need::See,
                _ => Need::Chair,
            };
            let (m, _) = meeting_for(tx.conn, &caller, &s.meeting_id, need).map_err(|e| {
                if e.code == ecabinet_protocol::ErrorCode::NotFound {
                    AppError::not_found("speaker request")
                } else {
                    e
                }
            })?;
            match action {
                SpeakerAction::Grant => {
                    if s.status != SpeakerStatus::Waiting {
                        return Err(AppError::conflict(
                            "only a waiting request can be given the floor",
                        ));
                    }
                    if m.status != MeetingStatus::InSession {
                        return Err(AppError::conflict("the meeting is not in session"));
                    }
                    // One speaker at a time: whoever has the floor yields it.
                    for mut other in records::speakers_where(
                        tx.conn,
                        "s.meeting_id = ? AND s.status = 'speaking'",
                        &m.id,
                    )? {
                        other.status = SpeakerStatus::Done;
                        save_speaker(tx, &m, &other, now)?;
                    }
                    s.status = SpeakerStatus::Speaking;
                    s.granted_at = Some(now);
                    // The item's limit, else the committee's default.
                    let item_limit = records::agenda_item(tx.conn, &s.agenda_item_id)?
                        .and_then(|i| i.speaking_limit_ms);
                    s.time_limit_ms = match item_limit {
                        Some(ms) => Some(ms),
                        None => records::committee(tx.conn, &m.committee_id)?
                            .and_then(|c| c.speaking_limit_ms),
                    };
                }
                SpeakerAction::End => {
                    if s.status != SpeakerStatus::Speaking {
                        return Err(AppError::conflict("this request does not have the floor"));
                    }
                    s.status = SpeakerStatus::Done;
                }
                SpeakerAction::Withdraw => {
                    if s.status != SpeakerStatus::Waiting {
                        return Err(AppError::conflict(
                            "only a waiting request can be withdrawn",
                        ));
                    }
                    s.status = SpeakerStatus::Withdrawn;
                }
            }
            save_speaker(tx, &m, &s, now)?;
            Ok(s)
        })
        .await?;
    Ok(Json(s))
}

/// `PUT /v1/speakers/{speaker_id}/time-limit` (chair): sets, extends or
/// lifts the current speaker's time limit; every device counts down from it.
pub async fn set_speaking_time(
    State(state): State<AppState>,
    caller: Caller,
    Path(speaker_id): Path<String>,
    Json(req): Json<ecabinet_protocol::SpeakingTimeRequest>,
) -> Result<Json<SpeakerRequestBody>, AppError> {
    if req
        .time_limit_ms
        .is_some_and(|t| !(1..=ecabinet_protocol::MAX_SPEAKING_TIME_MS).contains(&t))
    {
        return Err(AppError::invalid(format!(
            "a speaking-time limit is between 1 ms and {} hours",
            ecabinet_protocol::MAX_SPEAKING_TIME_MS / 3_600_000
        )));
    }
    let now = state.now();
    let s = state
        .db
        .write(move |tx| {
            let mut s = records::speaker(tx.conn, &speaker_id)?
                .ok_or_else(|| AppError::not_found("speaker request"))?;
            let (m, _) =
                meeting_for(tx.conn, &caller, &s.meeting_id, Need::Chair).map_err(|e| {
                    if e.code == ecabinet_protocol::ErrorCode::NotFound {
                        AppError::not_found("speaker request")
                    } else {
                        e
                    }
                })?;
            if s.status != SpeakerStatus::Speaking {
                return Err(AppError::conflict("this request does not have the floor"));
            }
            s.time_limit_ms = req.time_limit_ms;
            save_speaker(tx, &m, &s, now)?;
            Ok(s)
        })
        .await?;
    Ok(Json(s))
}

pub async fn grant_speaker(
    State(state): State<AppState>,
    caller: Caller,
    Path(speaker_id): Path<String>,
) -> Result<Json<SpeakerRequestBody>, AppError> {
    act_on_speaker(state, caller, speaker_id, SpeakerAction::Grant).await
}

pub async fn end_speaker(
    State(state): State<AppState>,
    caller: Caller,
    Path(speaker_id): Path<String>,
) -> Result<Json<SpeakerRequestBody>, AppError> {
    act_on_speaker(state, caller, speaker_id, SpeakerAction::End).await
}

pub async fn withdraw_speaker(
    State(state): State<AppState>,
    caller: Caller,
    Path(speaker_id): Path<String>,
) -> Result<Json<SpeakerRequestBody>, AppError> {
    act_on_speaker(state, caller, speaker_id, SpeakerAction::Withdraw).await
}
