//! `GET /v1/motions/{id}/result`: the tally by the model's rules, provisional
//! until the motion stops receiving ballots (close + grace, or the written
//! deadline), then final. The first read that finds it final publishes it:
//! secret ballots are sealed into the audit chain, the head is stored with
//! the motion, and a `motion_result` change goes out on the feed.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use ecabinet_model as model;
use ecabinet_protocol::{
    AuditRecordWire, ChairViewBody, EntityKind, InclusionProofBody, MeetingBody, MotionKind,
    MotionResultBody, MotionStatus, Op, ResultFinality, ResultOutcome,
};

use crate::access::{meeting_for, Need};
use crate::auth::Caller;
use crate::db::{Conn, Tx};
use crate::error::{Json, Path};
use crate::motions::{load_motion, load_motion_as};
use crate::records::{emit, Audience, Scope};
use crate::{params, AppError, AppState};

/// A result computed inside one transaction.
struct Computed {
    body: MotionResultBody,
    meeting: MeetingBody,
    motion: model::Motion,
    state: model::MotionState,
    /// Set once published.
    published_head: Option<String>,
}

pub async fn result(
    State(state): State<AppState>,
    caller: Caller,
    Path(motion_id): Path<String>,
) -> Result<Json<MotionResultBody>, AppError> {
    let now = state.now();
    let c = caller.clone();
    let id = motion_id.clone();
    let computed = state
        .db
        .read(move |conn| compute(conn, Some(&c), &id, now))
        .await?;
    if computed.body.finality == ResultFinality::Provisional || computed.published_head.is_some() {
        return Ok(Json(computed.body));
    }
    let body = state
        .db
        .write(move |tx| publish(tx, Some(&caller), &motion_id, now))
        .await?;
    Ok(Json(body))
}

/// Publishes the motion's result if it is final and not yet published:
/// secret ballots are sealed into the audit chain, the head is stored with
/// the motion and a `motion_result` change goes out on the feed. Returns the
/// result as `viewer` sees it (`None`: the server itself).
fn publish(
    tx: &mut Tx<'_>,
    viewer: Option<&Caller>,
    motion_id: &str,
    now: i64,
) -> Result<MotionResultBody, AppError> {
    // Decided again under the write lock: only one writer publishes.
    let mut c = compute(tx.conn, viewer, motion_id, now)?;
    if c.published_head.is_some() || c.body.finality == ResultFinality::Provisional {
        return Ok(c.body);
    }
    let mut sealed = Vec::new();
    if c.motion.kind() == model::BallotKind::Secret {
        for r in tx.conn.query(
            "SELECT token, choice FROM secret_ballots WHERE motion_id = ?",
            params![motion_id],
        )? {
            let token = ecabinet_protocol::hex::decode_array::<16>(&r.text(0)?)
                .ok_or_else(|| AppError::internal("stored ballot token"))?;
            sealed.push(model::SecretBallot {
                motion_id: c.motion.id().clone(),
                token: model::BallotToken(token),
                choice: u32::try_from(r.int(1)?)
                    .map_err(|_| AppError::internal("stored choice"))?,
            });
        }
    }
    let closed_at = sealed_at(&c.motion, &c.state, now);
    let records = model::seal_secret_ballots(closed_at, &sealed);
    let head = crate::audit::append(tx, records)?.head.to_hex();
    tx.conn.execute(
        "UPDATE motions SET result_head = ? WHERE id = ?",
        params![&head, motion_id],
    )?;
    c.body.audit_head = Some(head);
    if c.motion.kind() == model::BallotKind::Secret {
        c.body.ballots_sealed_at = Some(closed_at);
    }
    let public = MotionResultBody {
        chair: None,
        ..c.body.clone()
    };
    emit(
        tx,
        Scope::new(&c.meeting.committee_id, Audience::of_meeting(&c.meeting)),
        EntityKind::MotionResult,
        motion_id,
        Op::Upsert,
        Some(&public),
        now,
    )?;
    Ok(c.body)
}

/// The `closed_at` stamped on a secret motion's sealed ballot records.
fn sealed_at(motion: &model::Motion, state: &model::MotionState, now: i64) -> i64 {
    motion.voting_ends(state).unwrap_or(now)
}

/// How often the background finaliser looks for results to publish.
pub const FINALISE_EVERY: Duration = Duration::from_millis(500);

/// Starts the task that publishes results with no request: live motions
/// once their grace period ends, written consultations at their deadline
/// (closing them first). It ends when the server state is dropped.
pub fn spawn_finaliser(state: &AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        // No runtime (a state built for a synchronous tool): results are
        // still published by the first read that finds them final.
        return;
    };
    let weak = Arc::downgrade(&state.0);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(FINALISE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let state = AppState(inner);
            // A failed pass (database briefly away) is simply tried again.
            let _ = finalise_due(&state).await;
        }
    });
}

/// One pass of the finaliser; returns how many results it published.
pub async fn finalise_due(state: &AppState) -> Result<usize, AppError> {
    let now = state.now();
    let due: Vec<String> = state
        .db
        .read(move |conn| {
            conn.query(
                "SELECT id FROM motions WHERE result_head IS NULL AND ((status = 'closed' AND mode = 'live' AND closed_at + grace_ms <= ?) OR (mode = 'written' AND status IN ('open', 'closed') AND deadline <= ?))",
                params![now, now],
            )?
            .iter()
            .map(|r| r.text(0).map_err(AppError::from))
            .collect::<Result<Vec<_>, AppError>>()
        })
        .await?;
    let mut published = 0;
    for id in due {
        let done = state
            .db
            .write(move |tx| {
                close_written_at_deadline(tx, &id, now)?;
                publish(tx, None, &id, now).map(|b| b.audit_head.is_some())
            })
            .await?;
        published += usize::from(done);
    }
    Ok(published)
}

/// A written consultation still open past its deadline is closed as of the
/// deadline (audited and announced on the feed like a chair's close).
fn close_written_at_deadline(tx: &mut Tx<'_>, motion_id: &str, now: i64) -> Result<(), AppError> {
    let Some(mut mo) = crate::records::motion(tx.conn, motion_id)? else {
        return Ok(());
    };
    let Some(deadline) = mo.deadline else {
        return Ok(());
    };
    if mo.status != MotionStatus::Open
        || mo.mode != ecabinet_protocol::MotionMode::Written
        || deadline > now
    {
        return Ok(());
    }
    let Some(m) = crate::records::meeting(tx.conn, &mo.meeting_id)? else {
        return Ok(());
    };
    mo.status = MotionStatus::Closed;
    mo.closed_at = Some(deadline);
    crate::motions::close_motion_tx(tx, &m, &mo, now)
}

/// `GET /v1/audit/inclusion/{receipt}`: the proof that the audit record with
/// this receipt is in the chain its motion's published result ends at.
pub async fn inclusion(
    State(state): State<AppState>,
    caller: Caller,
    Path(receipt): Path<String>,
) -> Result<Json<InclusionProofBody>, AppError> {
    if model::Receipt::from_hex(&receipt).is_none() {
        return Err(AppError::invalid("a receipt is 64 hex digits"));
    }
    let receipt = receipt.to_ascii_lowercase();
    let body = state
        .db
        .read(move |conn| inclusion_proof(conn, &caller, &receipt))
        .await?;
    Ok(Json(body))
}

fn inclusion_proof(
    conn: &mut dyn Conn,
    caller: &Caller,
    receipt: &str,
) -> Result<InclusionProofBody, AppError> {
    let not_found = || AppError::not_found("audit record");
    let row = conn
        .query(
            "SELECT seq, motion_id FROM audit_log WHERE receipt = ? ORDER BY seq LIMIT 1",
            params![receipt],
        )?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    let (seq, motion_id) = (row.int(0)?, row.text(1)?);
    // Only someone who may see the motion learns that the record exists.
    load_motion(conn, caller, &motion_id)?.ok_or_else(not_found)?;
    let head = conn
        .query(
            "SELECT result_head FROM motions WHERE id = ?",
            params![&motion_id],
        )?
        .first()
        .map(|r| r.opt_text(0))
        .transpose()?
        .flatten()
        .ok_or_else(|| AppError::conflict("the motion's result is not published yet"))?;
    let end = conn
        .query(
            "SELECT seq FROM audit_log WHERE head = ? ORDER BY seq LIMIT 1",
            params![&head],
        )?
        .first()
        .map(|r| r.int(0))
        .transpose()?
        .ok_or_else(|| AppError::internal("the published head is not in the audit log"))?;
    if end < seq {
        // Appended after the result was published: not part of it.
        return Err(not_found());
    }
    let start_head = conn
        .query("SELECT head FROM audit_log WHERE seq = ?", params![seq - 1])?
        .first()
        .map(|r| r.text(0))
        .transpose()?
        .unwrap_or_else(|| model::ChainHead::GENESIS.to_hex());
    let mut records = Vec::new();
    for r in conn.query(
        "SELECT seq, record FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq",
        params![seq, end],
    )? {
        let record = crate::audit::decode(&r.text(1)?).ok_or_else(|| {
            AppError::internal(format!(
                "audit record {} is unreadable",
                r.int(0).unwrap_or(-1)
            ))
        })?;
        records.push(AuditRecordWire::from_model(&record));
    }
    Ok(InclusionProofBody {
        receipt: receipt.to_owned(),
        motion_id,
        seq,
        start_head,
        records,
        head,
    })
}

fn attendance_of(conn: &mut dyn Conn, meeting_id: &str) -> Result<model::Attendance, AppError> {
    let mut attendance = model::Attendance::new();
    for r in conn.query(
        "SELECT member_id, op_id, presence, at FROM attendance WHERE meeting_id = ?",
        params![meeting_id],
    )? {
        let presence = match r.text(2)?.as_str() {
            "in_room" => model::Presence::InRoom,
            "online" => model::Presence::Online,
            _ => model::Presence::Absent {
                reason: String::new(),
            },
        };
        attendance.apply(model::AttendanceMark {
            op_id: model::OpId::new(r.text(1)?),
            member_id: model::MemberId::new(r.text(0)?),
            presence,
            at: r.int(3)?,
            by: model::MarkedBy::Member,
        });
    }
    Ok(attendance)
}

/// The result as `viewer` sees it (`None`: the server itself, no chair view).
fn compute(
    conn: &mut dyn Conn,
    viewer: Option<&Caller>,
    motion_id: &str,
    now: i64,
) -> Result<Computed, AppError> {
    let (mo, motion, state) =
        load_motion_as(conn, viewer, motion_id)?.ok_or_else(|| AppError::not_found("motion"))?;
    let (meeting, role) = match viewer {
        Some(caller) => {
            let (m, role) = meeting_for(conn, caller, &mo.meeting_id, Need::See)?;
            (m, Some(role))
        }
        None => (
            crate::records::meeting(conn, &mo.meeting_id)?
                .ok_or_else(|| AppError::not_found("meeting"))?,
            None,
        ),
    };
    if mo.status == MotionStatus::Draft {
        // Drafts are the editors' business (as in the feed).
        if role.is_some_and(|r| !r.can_prepare_meetings()) {
            return Err(AppError::not_found("motion"));
        }
        return Err(AppError::conflict("the motion has not been opened"));
    }
    let tally_err = |e: model::TallyError| AppError::internal(format!("stored ballots: {e}"));
    let count = if mo.kind == MotionKind::Secret {
        let choices = conn
            .query(
                "SELECT choice FROM secret_ballots WHERE motion_id = ?",
                params![motion_id],
            )?
            .iter()
            .map(|r| {
                r.int(0)
                    .map_err(AppError::from)
                    .and_then(|c| u32::try_from(c).map_err(|_| AppError::internal("stored choice")))
            })
            .collect::<Result<Vec<u32>, _>>()?;
        let voters = conn
            .query(
                "SELECT member_id FROM voters WHERE motion_id = ?",
                params![motion_id],
            )?
            .iter()
            .map(|r| r.text(0).map(model::MemberId::new))
            .collect::<Result<Vec<_>, _>>()?;
        model::Count::secret(&motion, choices, &voters).map_err(tally_err)?
    } else {
        let ballots = conn
            .query(
                "SELECT member_id, choice FROM ballots WHERE motion_id = ? AND counting = 1",
                params![motion_id],
            )?
            .iter()
            .map(|r| {
                let choice =
                    u32::try_from(r.int(1)?).map_err(|_| AppError::internal("stored choice"))?;
                Ok((model::MemberId::new(r.text(0)?), choice))
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        model::Count::named(&motion, ballots.iter().map(|(m, c)| (m, *c))).map_err(tally_err)?
    };
    let attendance = attendance_of(conn, &meeting.id)?;
    let t = model::tally(&motion, &state, &count, &attendance, now);
    let published_head = conn
        .query(
            "SELECT result_head FROM motions WHERE id = ?",
            params![motion_id],
        )?
        .first()
        .map(|r| r.opt_text(0))
        .transpose()?
        .flatten();
    let chair = if role.is_some_and(|r| r.can_chair()) {
        let devices = device_contacts(conn, &meeting.committee_id)?;
        let view = model::chair_view(&motion, &state, count.voters(), &devices);
        let (not_voted, not_voted_count) = match view.not_voted {
            model::NotVoted::Members(list) => {
                let n = u32::try_from(list.len()).unwrap_or(u32::MAX);
                (
                    Some(list.iter().map(|m| m.as_str().to_owned()).collect()),
                    n,
                )
            }
            model::NotVoted::Count(n) => (None, n),
        };
        Some(ChairViewBody {
            received: view.received,
            eligible: view.eligible,
            not_voted,
            not_voted_count,
            unsynced_devices: view.unsynced_devices,
        })
    } else {
        None
    };
    let body = MotionResultBody {
        id: mo.id.clone(),
        motion_id: mo.id.clone(),
        finality: match t.finality {
            model::Finality::Provisional => ResultFinality::Provisional,
            model::Finality::Final => ResultFinality::Final,
        },
        counts: t.counts,
        approve: t.approve,
        reject: t.reject,
        abstain: t.abstain,
        participating: t.participating,
        present: t.present,
        eligible: t.eligible,
        quorum_required: t.quorum_required,
        quorum_met: t.quorum_met,
        outcome: match t.outcome {
            model::Outcome::Adopted => ResultOutcome::Adopted,
            model::Outcome::Rejected => ResultOutcome::Rejected,
            model::Outcome::NoQuorum => ResultOutcome::NoQuorum,
        },
        audit_head: published_head.clone(),
        ballots_sealed_at: (published_head.is_some() && mo.kind == MotionKind::Secret)
            .then(|| sealed_at(&motion, &state, now)),
        chair,
    };
    Ok(Computed {
        body,
        meeting,
        motion,
        state,
        published_head,
    })
}

/// When each active device of the committee's members was last heard from.
fn device_contacts(
    conn: &mut dyn Conn,
    committee_id: &str,
) -> Result<Vec<model::DeviceContact>, AppError> {
    conn.query(
        "SELECT d.user_id, d.id, d.last_seen_at FROM devices d JOIN memberships ms ON ms.user_id = d.user_id WHERE ms.committee_id = ? AND d.revoked_at IS NULL",
        params![committee_id],
    )?
    .iter()
    .map(|r| {
        Ok(model::DeviceContact {
            member_id: model::MemberId::new(r.text(0)?),
            device_id: model::DeviceId::new(r.text(1)?),
            last_contact_at: r.opt_int(2)?,
        })
    })
    .collect()
}
