//! Motions as the vote rules of `ecabinet-model` see them: a stored motion
//! loaded (with its eligible members and state) and converted. Used by the
//! ops routes (ballots), the chair's routes and the results.

use std::collections::BTreeSet;

use ecabinet_model as model;
use ecabinet_model::AuditRecord;
use ecabinet_protocol::{
    EntityKind, ErrorCode, MajorityRule, MeetingBody, MotionBody, MotionKind, MotionMode,
    MotionStatus,
};

use crate::access::{meeting_for, Need};
use crate::auth::Caller;
use crate::db::{Conn, Tx};
use crate::records::{emit, Audience, Scope};
use crate::{params, records, AppError};

/// The model's view of a stored motion, or `None` if the caller may not see it.
pub fn load_motion(
    conn: &mut dyn Conn,
    caller: &Caller,
    motion_id: &str,
) -> Result<Option<(MotionBody, model::Motion, model::MotionState)>, AppError> {
    load_motion_as(conn, Some(caller), motion_id)
}

/// [`load_motion`] for `caller`, or for the server itself (`None`: no
/// access check, for the background finaliser).
pub fn load_motion_as(
    conn: &mut dyn Conn,
    caller: Option<&Caller>,
    motion_id: &str,
) -> Result<Option<(MotionBody, model::Motion, model::MotionState)>, AppError> {
    let Some(mo) = records::motion(conn, motion_id)? else {
        return Ok(None);
    };
    let m = match caller {
        Some(caller) => match meeting_for(conn, caller, &mo.meeting_id, Need::See) {
            Ok((m, _)) => m,
            Err(e) if e.code == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e),
        },
        None => match records::meeting(conn, &mo.meeting_id)? {
            Some(m) => m,
            None => return Ok(None),
        },
    };
    let opened_seq = conn
        .query(
            "SELECT opened_seq FROM motions WHERE id = ?",
            params![motion_id],
        )?
        .first()
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0);
    let eligible: BTreeSet<model::MemberId> = match &mo.eligible {
        Some(list) => list
            .iter()
            .map(|u| model::MemberId::new(u.as_str()))
            .collect(),
        None => conn
            .query(
                "SELECT user_id FROM memberships WHERE committee_id = ?",
                params![&m.committee_id],
            )?
            .iter()
            .map(|r| r.text(0).map(model::MemberId::new))
            .collect::<Result<_, _>>()?,
    };
    let motion = model_motion(&mo, eligible)?;
    let state = match (mo.status, mo.opened_at, mo.closed_at) {
        (MotionStatus::Open, Some(opened_at), _) => model::MotionState::Open {
            opened_at,
            opened_seq,
        },
        (MotionStatus::Closed, Some(opened_at), Some(closed_at)) => model::MotionState::Closed {
            opened_at,
            opened_seq,
            closed_at,
        },
        _ => model::MotionState::Draft,
    };
    Ok(Some((mo, motion, state)))
}

/// The model motion of a stored one. Options are positional: the first
/// approves, the second rejects, any others abstain.
pub fn model_motion(
    mo: &MotionBody,
    eligible: BTreeSet<model::MemberId>,
) -> Result<model::Motion, AppError> {
    let options = mo
        .options
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let stance = match i {
                0 => model::Stance::Approve,
                1 => model::Stance::Reject,
                _ => model::Stance::Abstain,
            };
            model::VoteOption::new(label.as_str(), stance)
        })
        .collect();
    let eligible_count = u32::try_from(eligible.len()).unwrap_or(u32::MAX);
    let spec = model::MotionSpec {
        id: model::MotionId::new(mo.id.as_str()),
        question: mo.question.clone(),
        options,
        kind: match mo.kind {
            MotionKind::Named => model::BallotKind::Named,
            MotionKind::Secret => model::BallotKind::Secret,
        },
        rule: match mo.majority {
            MajorityRule::Simple => model::MajorityRule::Simple,
            MajorityRule::Absolute => model::MajorityRule::Absolute,
            MajorityRule::TwoThirds => model::MajorityRule::TwoThirds,
        },
        // Members may have left since the quorum was set: it cannot exceed them.
        quorum: model::Quorum::AtLeast(mo.quorum.min(eligible_count)),
        eligible,
        may_change_vote: mo.may_change_vote && mo.kind == MotionKind::Named,
        mode: match (mo.mode, mo.deadline) {
            (MotionMode::Written, Some(deadline)) => model::MotionMode::Written { deadline },
            _ => model::MotionMode::Live {
                grace_ms: mo.grace_ms.max(0),
            },
        },
    };
    model::Motion::new(spec).map_err(|e| AppError::internal(format!("motion {}: {e}", mo.id)))
}

pub fn motion_audience(m: &MeetingBody, mo: &MotionBody) -> Audience {
    if mo.status == MotionStatus::Draft {
        Audience::Editors
    } else {
        Audience::of_meeting(m)
    }
}

pub fn save_motion(
    tx: &mut Tx<'_>,
    m: &MeetingBody,
    mo: &MotionBody,
    now: i64,
) -> Result<i64, AppError> {
    tx.conn.execute(
        "UPDATE motions SET status = ?, opened_at = ?, closed_at = ? WHERE id = ?",
        params![mo.status.as_str(), mo.opened_at, mo.closed_at, &mo.id],
    )?;
    let seq = emit(
        tx,
        Scope::new(&m.committee_id, motion_audience(m, mo)),
        EntityKind::Motion,
        &mo.id,
        ecabinet_protocol::Op::Upsert,
        Some(mo),
        now,
    )?;
    Ok(seq)
}

/// Saves `mo` (already marked closed at its `closed_at`), announces it on
/// the feed and appends `MotionClosed` to the audit chain.
pub fn close_motion_tx(
    tx: &mut Tx<'_>,
    m: &MeetingBody,
    mo: &MotionBody,
    now: i64,
) -> Result<(), AppError> {
    save_motion(tx, m, mo, now)?;
    audit_closed(tx, &mo.id, mo.closed_at.unwrap_or(now))
}

pub fn audit_closed(tx: &mut Tx<'_>, motion_id: &str, now: i64) -> Result<(), AppError> {
    crate::audit::append(
        tx,
        [AuditRecord::MotionClosed {
            motion_id: ecabinet_model::MotionId::new(motion_id),
            at: now,
        }],
    )?;
    Ok(())
}
