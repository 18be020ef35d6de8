//! Who may see and do what. Records a caller may not see answer 404 (their
//! existence is not revealed); records they may see but not change answer 403.

use ecabinet_model::Role;
use ecabinet_protocol::{
    AgendaItemBody, DocumentBody, ErrorCode, MeetingBody, MeetingStatus, WireRole, Withdrawal,
};

use crate::auth::Caller;
use crate::db::{Conn, Tx};
use crate::{params, records, AppError};

/// The caller's role in a committee, if they belong to it.
pub fn role_in(
    conn: &mut dyn Conn,
    user_id: &str,
    committee_id: &str,
) -> Result<Option<Role>, AppError> {
    let rows = conn.query(
        "SELECT role FROM memberships WHERE user_id = ? AND committee_id = ?",
        params![user_id, committee_id],
    )?;
    match rows.first() {
        None => Ok(None),
        Some(r) => {
            let s = r.text(0)?;
            WireRole::parse(&s)
                .map(|w| Some(w.into()))
                .ok_or_else(|| AppError::internal(format!("stored role {s:?}")))
        }
    }
}

/// What a request needs to do with a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read it and take part (members: only once published).
    See,
    /// Prepare it: agenda, documents, publication (secretary, chair).
    Prepare,
    /// Run the session (chair).
    Chair,
    /// Close a vote (chair), also on a closed meeting: its written
    /// consultations run to their deadline.
    EndVote,
}

/// Loads a meeting the caller may act on as `need` says, with their role.
pub fn meeting_for(
    conn: &mut dyn Conn,
    caller: &Caller,
    meeting_id: &str,
    need: Need,
) -> Result<(MeetingBody, Role), AppError> {
    let meeting =
        records::meeting(conn, meeting_id)?.ok_or_else(|| AppError::not_found("meeting"))?;
    let role = role_in(conn, &caller.user_id, &meeting.committee_id)?
        .ok_or_else(|| AppError::not_found("meeting"))?;
    if meeting.status == MeetingStatus::Draft && !role.can_prepare_meetings() {
        return Err(AppError::not_found("meeting"));
    }
    match need {
        Need::See => {}
        Need::Prepare if !role.can_prepare_meetings() => {
            return Err(AppError::forbidden(
                "only the secretary or the chair prepares meetings",
            ))
        }
        Need::Chair | Need::EndVote if !role.can_chair() => {
            return Err(AppError::forbidden("only the chair runs the session"))
        }
        _ => {}
    }
    if matches!(need, Need::Prepare | Need::Chair) {
        refuse_closed(&meeting)?;
    }
    Ok((meeting, role))
}

/// A closed meeting is the record of what was decided: read-only.
pub fn refuse_closed(meeting: &MeetingBody) -> Result<(), AppError> {
    if meeting.status == MeetingStatus::Closed {
        return Err(AppError::new(
            ErrorCode::MeetingClosed,
            "the meeting is closed: its agenda, documents and motions can no longer change",
        ));
    }
    Ok(())
}

/// Once a meeting has started, what was before the room stays on the
/// record: its agenda items and documents are not deleted (a document is
/// superseded by a new version instead). `refusal` is the answer's message:
/// what cannot be deleted, and what to do instead.
pub fn refuse_delete_once_started(meeting: &MeetingBody, refusal: &str) -> Result<(), AppError> {
    refuse_closed(meeting)?;
    if meeting.status == MeetingStatus::InSession {
        return Err(AppError::new(ErrorCode::NotDeletable, refusal));
    }
    Ok(())
}

/// The admin gate.
/// Writes an administrator's action to the log, the operator's audit trail
/// of who did what to whom: the actor's user id, the action, and the user,
/// committee or device it was done to (never a password or a code). One
/// line at info level, `administrator action`, after the action succeeded.
pub fn admin_did(caller: &Caller, action: &str, subject: &str) {
    tracing::info!(actor = %caller.user_id, action, subject, "administrator action");
}

pub fn require_admin(caller: &Caller) -> Result<(), AppError> {
    if caller.is_admin {
        Ok(())
    } else {
        Err(AppError::forbidden("administrators only"))
    }
}

/// Loads an agenda item and its meeting, checked for `need`.
pub fn item_for(
    tx: &mut Tx<'_>,
    caller: &Caller,
    item_id: &str,
    need: Need,
) -> Result<(AgendaItemBody, MeetingBody), AppError> {
    let item = records::agenda_item(tx.conn, item_id)?
        .ok_or_else(|| AppError::not_found("agenda item"))?;
    let (m, _) = meeting_for(tx.conn, caller, &item.meeting_id, need).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            AppError::not_found("agenda item")
        } else {
            e
        }
    })?;
    Ok((item, m))
}

/// Loads a document and its meeting, checked for `need`.
pub fn document_for(
    tx: &mut Tx<'_>,
    caller: &Caller,
    document_id: &str,
    need: Need,
) -> Result<(DocumentBody, MeetingBody), AppError> {
    let d =
        records::document(tx.conn, document_id)?.ok_or_else(|| AppError::not_found("document"))?;
    let (m, _) = meeting_for(tx.conn, caller, &d.meeting_id, need).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            AppError::not_found("document")
        } else {
            e
        }
    })?;
    Ok((d, m))
}

/// Refuses to add to or change a withdrawn record.
pub fn refuse_withdrawn(withdrawn: Option<&Withdrawal>, refusal: &str) -> Result<(), AppError> {
    match withdrawn {
        Some(_) => Err(AppError::new(ErrorCode::Conflict, refusal)),
        None => Ok(()),
    }
}
