//! Document read status: the `read` operation a member's device pushes when
//! it has downloaded or opened a document version, and
//! `GET /v1/meetings/{meeting_id}/read-status`, which shows the chair and the
//! secretary who got how far. Both work only where the committee has read
//! status switched on (`committees.read_status`).
//!
//! Only the earliest report of each kind is kept per version and member: a
//! second device, or a report sent again, changes nothing.

use axum::extract::State;
use ecabinet_protocol::{
    DocumentReadStatus, ErrorCode, MeetingBody, MemberReadStatus, OpOutcome, ReadBody, ReadState,
    ReadStatusBody,
};

use crate::access::{meeting_for, Need};
use crate::auth::Caller;
use crate::db::{Conn, Tx};
use crate::error::{Json, Path};
use crate::{params, records, AppError, AppState};

fn rejected(reason: &str) -> OpOutcome {
    OpOutcome::Rejected {
        reason: reason.to_owned(),
    }
}

fn enabled(conn: &mut dyn Conn, committee_id: &str) -> Result<bool, AppError> {
    Ok(records::committee(conn, committee_id)?.is_some_and(|c| c.read_status))
}

/// Decides one `read` operation of `caller` (see the module header).
pub fn decide(tx: &mut Tx<'_>, caller: &Caller, b: &ReadBody) -> Result<OpOutcome, AppError> {
    let Some(version) = records::document_version(tx.conn, &b.version_id)? else {
        return Ok(rejected("unknown_document"));
    };
    if !version.published {
        return Ok(rejected("unknown_document"));
    }
    // A meeting the caller may not see is answered like a missing document,
    // so a report cannot probe for other committees' records.
    let meeting = match meeting_for(tx.conn, caller, &version.meeting_id, Need::See) {
        Ok((m, _)) => m,
        Err(e) if e.code == ErrorCode::NotFound => return Ok(rejected("unknown_document")),
        Err(e) if e.code == ErrorCode::Forbidden => return Ok(rejected("forbidden")),
        Err(e) => return Err(e),
    };
    if !enabled(tx.conn, &meeting.committee_id)? {
        return Ok(rejected("not_enabled"));
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

/// The meeting for the read-status view: the committee's chair or
/// secretary, or an administrator (who need not be a member).
fn meeting_for_overseer(
    conn: &mut dyn Conn,
    caller: &Caller,
    meeting_id: &str,
) -> Result<MeetingBody, AppError> {
    if caller.is_admin {
        if let Some(m) = records::meeting(conn, meeting_id)? {
            return Ok(m);
        }
    }
    let (m, role) = meeting_for(conn, caller, meeting_id, Need::See)?;
    if !role.can_prepare_meetings() {
        return Err(AppError::forbidden(
            "only the chair and the secretary see who read the documents",
        ));
    }
    Ok(m)
}

pub async fn read_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
) -> Result<Json<ReadStatusBody>, AppError> {
    let body = state
        .db
        .read(move |conn| {
            let m = meeting_for_overseer(conn, &caller, &meeting_id)?;
            if !enabled(conn, &m.committee_id)? {
                return Err(AppError::new(
                    ErrorCode::NotEnabled,
                    "read status is not switched on for this committee",
                ));
            }
            read_status_of(conn, &m)
        })
        .await?;
    Ok(Json(body))
}

fn read_status_of(conn: &mut dyn Conn, m: &MeetingBody) -> Result<ReadStatusBody, AppError> {
    let members: Vec<(String, String)> = conn
        .query(
            "SELECT u.id, u.display_name FROM memberships ms JOIN users u ON u.id = ms.user_id WHERE ms.committee_id = ? ORDER BY u.display_name, u.id",
            params![&m.committee_id],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect::<Result<_, AppError>>()?;
    // The newest published version of each document of the meeting.
    let versions = conn.query(
        "SELECT d.id, v.id, v.version, d.title FROM documents d JOIN document_versions v ON v.document_id = d.id \
         WHERE d.meeting_id = ? AND v.published_at IS NOT NULL \
         AND v.version = (SELECT MAX(w.version) FROM document_versions w WHERE w.document_id = d.id AND w.published_at IS NOT NULL) \
         ORDER BY d.created_at, d.id",
        params![&m.id],
    )?;
    let mut documents = Vec::with_capacity(versions.len());
    for v in &versions {
        let version_id = v.text(1)?;
        let mut reads = std::collections::HashMap::new();
        for r in conn.query(
            "SELECT member_id, downloaded_at, opened_at FROM read_status WHERE version_id = ?",
            params![&version_id],
        )? {
            reads.insert(r.text(0)?, (r.opt_int(1)?, r.opt_int(2)?));
        }
        documents.push(DocumentReadStatus {
            document_id: v.text(0)?,
            version: u32::try_from(v.int(2)?)
                .map_err(|_| AppError::internal("stored version out of range"))?,
            title: v.text(3)?,
            members: members
                .iter()
                .map(|(id, name)| {
                    let (downloaded_at, opened_at) = reads.get(id).copied().unwrap_or_default();
                    MemberReadStatus {
                        member_id: id.clone(),
                        display_name: name.clone(),
                        downloaded_at,
                        opened_at,
                    }
                })
                .collect(),
            version_id,
        });
    }
    Ok(ReadStatusBody {
        meeting_id: m.id.clone(),
        documents,
    })
}
