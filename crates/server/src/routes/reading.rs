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
    DocumentReadStatus, ErrorCode, MeetingBody, MemberReadStatus, ReadStatusBody,
};

use crate::access::{meeting_for, Need};
use crate::auth::Caller;
use crate::db::Conn;
use crate::error::{Json, Path};
use crate::reads::enabled;
use crate::{params, records, AppError, AppState};

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
