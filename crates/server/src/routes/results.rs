//! `GET /v1/motions/{id}/result`: the tally by the model's rules, provisional
//! until the motion stops receiving ballots (close + grace, or the written
//! deadline), then final. The first read that finds it final publishes it:
//! secret ballots are sealed into the audit chain, the head is stored with
//! the motion, and a `motion_result` change goes out on the feed.

use axum::extract::State;
use ecabinet_model as model;
use ecabinet_protocol::{
    ChairViewBody, EntityKind, MeetingBody, MotionKind, MotionResultBody, MotionStatus, Op,
    ResultFinality, ResultOutcome,
};

use crate::access::{meeting_for, Need};
use crate::auth::Caller;
use crate::db::Conn;
use crate::error::{Json, Path};
use crate::records::{emit, Audience, Scope};
use crate::routes::ops::load_motion;
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
        .read(move |conn| compute(conn, &c, &id, now))
        .await?;
    if computed.body.finality == ResultFinality::Provisional || computed.published_head.is_some() {
        return Ok(Json(computed.body));
    }
    let body = state
        .db
        .write(move |tx| {
            // Decided again under the write lock: only one reader publishes.
            let mut c = compute(tx.conn, &caller, &motion_id, now)?;
            if c.published_head.is_some() {
                return Ok(c.body);
            }
            let mut sealed = Vec::new();
            if c.motion.kind() == model::BallotKind::Secret {
                for r in tx.conn.query(
                    "SELECT token, choice FROM secret_ballots WHERE motion_id = ?",
                    params![&motion_id],
                )? {
                    let token = unhex16(&r.text(0)?)
                        .ok_or_else(|| AppError::internal("stored ballot token"))?;
                    sealed.push(model::SecretBallot {
                        motion_id: c.motion.id().clone(),
                        token: model::BallotToken(token),
                        choice: u32::try_from(r.int(1)?)
                            .map_err(|_| AppError::internal("stored choice"))?,
                    });
                }
            }
            let closed_at = c.motion.voting_ends(&c.state).unwrap_or(now);
            let records = model::seal_secret_ballots(closed_at, &sealed);
            let head = crate::audit::append(tx, records)?.to_hex();
            tx.conn.execute(
                "UPDATE motions SET result_head = ? WHERE id = ?",
                params![&head, &motion_id],
            )?;
            c.body.audit_head = Some(head);
            let public = MotionResultBody {
                chair: None,
                ..c.body.clone()
            };
            emit(
                tx,
                Scope::new(&c.meeting.committee_id, Audience::of_meeting(&c.meeting)),
                EntityKind::MotionResult,
                &motion_id,
                Op::Upsert,
                Some(&public),
                now,
            )?;
            Ok::<_, AppError>(c.body)
        })
        .await?;
    Ok(Json(body))
}

fn unhex16(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
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

fn compute(
    conn: &mut dyn Conn,
    caller: &Caller,
    motion_id: &str,
    now: i64,
) -> Result<Computed, AppError> {
    let (mo, motion, state) =
        load_motion(conn, caller, motion_id)?.ok_or_else(|| AppError::not_found("motion"))?;
    let (meeting, role) = meeting_for(conn, caller, &mo.meeting_id, Need::See)?;
    if mo.status == MotionStatus::Draft {
        // Drafts are the editors' business (as in the feed).
        if !role.can_prepare_meetings() {
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
    let chair = role.can_chair().then(|| {
        let view = model::chair_view(&motion, &state, count.voters(), &[]);
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
        ChairViewBody {
            received: view.received,
            eligible: view.eligible,
            not_voted,
            not_voted_count,
            unsynced_devices: view.unsynced_devices,
        }
    });
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
