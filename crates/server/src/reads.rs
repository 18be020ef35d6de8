//! The `read` operation a member's device pushes when it has downloaded or
//! opened a document version (decided here for `POST /v1/ops`; shown by
//! `routes::reading`). Only the earliest report of each kind is kept per
//! version and member: a second device, or a report sent again, changes
//! nothing.

use ecabinet_protocol::{
    DocumentVersionBody, ErrorCode, MeetingBody, OpOutcome, ReadBody, ReadState, RejectReason,
};

use crate::access::{meeting_for, Need};
use crate::auth::Caller;
use crate::db::{Conn, Tx};
use crate::{params, records, AppError};

fn rejected(reason: RejectReason) -> OpOutcome {
    OpOutcome::Rejected { reason }
}

/// Whether the committee has read status switched on.
pub fn enabled(conn: &mut dyn Conn, committee_id: &str) -> Result<bool, AppError> {
    Ok(records::committee(conn, committee_id)?.is_some_and(|c| c.read_status))
}

/// The published version `version_id` and its meeting, for an operation of
/// `caller` about it (a read report, a comment); else the reason to refuse
/// the operation. A meeting the caller may not see is answered like a
/// missing document, so an operation cannot probe other committees' records.
pub fn published_version_for(
    conn: &mut dyn Conn,
    caller: &Caller,
    version_id: &str,
) -> Result<Result<(DocumentVersionBody, MeetingBody), RejectReason>, AppError> {
    let Some(version) = records::document_version(conn, version_id)? else {
        return Ok(Err(RejectReason::UnknownDocument));
    };
    if !version.published {
        return Ok(Err(RejectReason::UnknownDocument));
    }
    match meeting_for(conn, caller, &version.meeting_id, Need::See) {
        Ok((m, _)) => Ok(Ok((version, m))),
        Err(e) if e.code == ErrorCode::NotFound => Ok(Err(RejectReason::UnknownDocument)),
        Err(e) if e.code == ErrorCode::Forbidden => Ok(Err(RejectReason::Forbidden)),
        Err(e) => Err(e),
    }
}

/// Decides one `read` operation of `caller` (see the module header).
pub fn decide(tx: &mut Tx<'_>, caller: &Caller, b: &ReadBody) -> Result<OpOutcome, AppError> {
    let meeting = match published_version_for(tx.conn, caller, &b.version_id)? {
        Ok((_, m)) => m,
        Err(reason) => return Ok(rejected(reason)),
    };
    if !enabled(tx.conn, &meeting.committee_id)? {
        return Ok(rejected(RejectReason::NotEnabled));
    }
    let existing = tx.conn.query(
        "SELECT downloaded_at, opened_at FROM read_status WHERE version_id = ? AND member_id = ?",
        params![&b.version_id, &caller.user_id],
    )?;
    let earliest = |old: Option<i64>| Some(old.map_or(b.at, |o| o.min(b.at)));
    match existing.first() {
        None => {
            let (downloaded, opened) = match b.state {
                ReadState::Downloaded => (Some(b.at), None),
                // Opening needs the bytes: an open without a download report
                // (lost, or from before read status was on) implies one.
                ReadState::Opened => (Some(b.at), Some(b.at)),
            };
            tx.conn.execute(
                "INSERT INTO read_status (version_id, member_id, downloaded_at, opened_at) VALUES (?, ?, ?, ?)",
                params![&b.version_id, &caller.user_id, downloaded, opened],
            )?;
        }
        Some(r) => {
            let (mut downloaded, mut opened) = (r.opt_int(0)?, r.opt_int(1)?);
            match b.state {
                ReadState::Downloaded => downloaded = earliest(downloaded),
                ReadState::Opened => {
                    downloaded = earliest(downloaded);
                    opened = earliest(opened);
                }
            }
            tx.conn.execute(
                "UPDATE read_status SET downloaded_at = ?, opened_at = ? WHERE version_id = ? AND member_id = ?",
                params![downloaded, opened, &b.version_id, &caller.user_id],
            )?;
        }
    }
    Ok(OpOutcome::Accepted)
}
