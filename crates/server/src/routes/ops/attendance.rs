//! Attendance operations: a member's check-in and the chair's marks.

use ecabinet_model as model;
use ecabinet_protocol::{
    AttendanceBody, AttendanceRecordBody, EntityKind, MeetingStatus, OpOutcome, PresenceWire,
    RejectReason,
};

use super::decide::{reason_of, rejected};
use crate::access::{meeting_for, role_in, Need};
use crate::auth::Caller;
use crate::db::Tx;
use crate::records::emit_upsert;
use crate::{params, AppError};

pub(super) fn presence_name(p: PresenceWire) -> &'static str {
    match p {
        PresenceWire::InRoom => "in_room",
        PresenceWire::Online => "online",
        PresenceWire::Absent => "absent",
    }
}

pub(super) fn presence_of(name: &str) -> Option<PresenceWire> {
    [
        PresenceWire::InRoom,
        PresenceWire::Online,
        PresenceWire::Absent,
    ]
    .into_iter()
    .find(|p| presence_name(*p) == name)
}

pub(super) fn model_presence(p: PresenceWire, reason: Option<&str>) -> model::Presence {
    match p {
        PresenceWire::InRoom => model::Presence::InRoom,
        PresenceWire::Online => model::Presence::Online,
        PresenceWire::Absent => model::Presence::Absent {
            reason: reason.unwrap_or_default().to_owned(),
        },
    }
}

/// Records a check-in or a chair's mark; per member the chair's latest mark,
/// else the latest check-in, wins (model `Attendance`), and a winning mark
/// goes out on the feed. The device's time is clamped to the arrival, like a
/// ballot's: a mark dated in the future would otherwise outrank every later
/// one and pin the member's presence, which feeds quorum.
pub(super) fn mark_attendance(
    tx: &mut Tx<'_>,
    caller: &Caller,
    op_id: &str,
    b: &AttendanceBody,
    now: i64,
) -> Result<OpOutcome, AppError> {
    let (m, role) = match meeting_for(tx.conn, caller, &b.meeting_id, Need::See) {
        Ok(x) => x,
        Err(e) => return reason_of(e),
    };
    let by_chair = b.member_id != caller.user_id;
    if by_chair && !role.can_chair() {
        return Ok(rejected(RejectReason::Forbidden));
    }
    if m.status == MeetingStatus::Closed {
        return Ok(rejected(RejectReason::MeetingClosed));
    }
    let at = b.at.min(now);
    if role_in(tx.conn, &b.member_id, &m.committee_id)?.is_none() {
        return Ok(rejected(RejectReason::NotEligible));
    }
    let member = model::MemberId::new(b.member_id.as_str());
    let mut attendance = model::Attendance::new();
    if let Some(r) = tx
        .conn
        .query(
            "SELECT op_id, presence, reason, at, marked_by FROM attendance WHERE meeting_id = ? AND member_id = ?",
            params![&m.id, &b.member_id],
        )?
        .first()
    {
        let presence = presence_of(&r.text(1)?)
            .ok_or_else(|| AppError::internal("stored presence"))?;
        let reason = r.opt_text(2)?;
        attendance.apply(model::AttendanceMark {
            op_id: model::OpId::new(r.text(0)?),
            member_id: member.clone(),
            presence: model_presence(presence, reason.as_deref()),
            at: r.int(3)?,
            by: if r.text(4)? == "chair" {
                model::MarkedBy::Chair
            } else {
                model::MarkedBy::Member
            },
        });
    }
    let newer = attendance.apply(model::AttendanceMark {
        op_id: model::OpId::new(op_id),
        member_id: member,
        presence: model_presence(b.presence, b.reason.as_deref()),
        at,
        by: if by_chair {
            model::MarkedBy::Chair
        } else {
            model::MarkedBy::Member
        },
    });
    if newer {
        let reason = match b.presence {
            PresenceWire::Absent => b.reason.clone(),
            _ => None,
        };
        tx.conn.execute(
            "DELETE FROM attendance WHERE meeting_id = ? AND member_id = ?",
            params![&m.id, &b.member_id],
        )?;
        tx.conn.execute(
            "INSERT INTO attendance (meeting_id, member_id, op_id, presence, reason, at, marked_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![&m.id, &b.member_id, op_id, presence_name(b.presence), reason.as_deref(), at, if by_chair { "chair" } else { "member" }],
        )?;
        let body = AttendanceRecordBody {
            id: format!("{}:{}", m.id, b.member_id),
            meeting_id: m.id.clone(),
            member_id: b.member_id.clone(),
            presence: b.presence,
            reason,
            at,
            by_chair,
            op_id: op_id.to_owned(),
        };
        emit_upsert(tx, &m, EntityKind::Attendance, &body.id, &body, now)?;
    }
    // An older mark arriving late is still a valid, decided operation.
    Ok(OpOutcome::Accepted)
}
