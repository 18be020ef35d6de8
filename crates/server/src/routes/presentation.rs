//! Presenter follow mode (trình chiếu, issue 20). While a meeting is in
//! session the chair presents, or hands presenting to another member of
//! the committee (a department director presenting an item) and takes it
//! back. The presenter's document, page and region go into the feed as the
//! meeting's one `presentation` record (older ones are dropped), so every
//! member's device follows through the live event stream it already has,
//! a member who joins late lands on the current page, and one who was
//! offline catches up at the next sync. Pages never travel: each device
//! shows them from its own cache.

use axum::extract::State;
use ecabinet_protocol::{
    EntityKind, ErrorCode, MeetingBody, MeetingStatus, PresentRequest, PresentationBody,
    SetPresenterRequest,
};

use crate::access::{meeting_for, role_in, Need};
use crate::auth::Caller;
use crate::db::{Conn, Tx};
use crate::error::{Json, Path};
use crate::records::emit_upsert;
use crate::{params, AppError, AppState};

/// The highest page number taken (a document has fewer pages).
const MAX_PAGE: u32 = 100_000;

fn in_session(m: &MeetingBody) -> Result<(), AppError> {
    if m.status != MeetingStatus::InSession {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "the meeting is not in session: presenting starts when the chair opens it",
        ));
    }
    Ok(())
}

fn display_name(conn: &mut dyn Conn, user_id: &str) -> Result<String, AppError> {
    Ok(conn
        .query(
            "SELECT display_name FROM users WHERE id = ?",
            params![user_id],
        )?
        .first()
        .map(|r| r.text(0))
        .transpose()?
        .unwrap_or_default())
}

/// The meeting's presentation as stored, if it ever had one; the presenter's
/// name is left for [`save`], which every change goes through.
fn load(conn: &mut dyn Conn, meeting_id: &str) -> Result<Option<PresentationBody>, AppError> {
    let rows = conn.query(
        "SELECT presenter_id, version_id, page, region, step, updated_at FROM presentations WHERE meeting_id = ?",
        params![meeting_id],
    )?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(PresentationBody {
        meeting_id: meeting_id.to_owned(),
        presenter_id: r.text(0)?,
        presenter_name: String::new(),
        version_id: r.opt_text(1)?,
        page: u32::try_from(r.int(2)?).map_err(AppError::internal)?,
        region: r
            .opt_text(3)?
            .map(|t| serde_json::from_str(&t))
            .transpose()?,
        step: r.int(4)?,
        updated_at: r.int(5)?,
    }))
}

/// A first presentation of the meeting, `presenter` presenting nothing yet.
fn fresh(meeting_id: &str, presenter: &str) -> PresentationBody {
    PresentationBody {
        meeting_id: meeting_id.to_owned(),
        presenter_id: presenter.to_owned(),
        presenter_name: String::new(),
        version_id: None,
        page: 0,
        region: None,
        step: 0,
        updated_at: 0,
    }
}

/// Stores `p` one step on, with its presenter's name, and sends it as the
/// meeting's only record.
fn save(
    tx: &mut Tx<'_>,
    m: &MeetingBody,
    mut p: PresentationBody,
    now: i64,
) -> Result<PresentationBody, AppError> {
    p.step += 1;
    p.updated_at = now;
    p.presenter_name = display_name(tx.conn, &p.presenter_id)?;
    let region = p.region.map(|r| serde_json::to_string(&r)).transpose()?;
    tx.conn.execute(
        "DELETE FROM presentations WHERE meeting_id = ?",
        params![&m.id],
    )?;
    tx.conn.execute(
        "INSERT INTO presentations (meeting_id, presenter_id, version_id, page, region, step, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![&m.id, &p.presenter_id, p.version_id.clone(), i64::from(p.page), region, p.step, now],
    )?;
    let seq = emit_upsert(tx, m, EntityKind::Presentation, &m.id, &p, now)?;
    // Followers need the latest position only.
    tx.conn.execute(
        "DELETE FROM changes WHERE entity = 'presentation' AND entity_id = ? AND seq < ?",
        params![&m.id, seq],
    )?;
    Ok(p)
}

/// `PUT /v1/meetings/{meeting_id}/presenter` (chair): hands presenting to a
/// member of the committee, or takes it back (`user_id` absent).
pub async fn set_presenter(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
    Json(req): Json<SetPresenterRequest>,
) -> Result<Json<PresentationBody>, AppError> {
    let now = state.now();
    let p = state
        .db
        .write(move |tx| {
            let (m, _) = meeting_for(tx.conn, &caller, &meeting_id, Need::Chair)?;
            in_session(&m)?;
            let presenter = req.user_id.unwrap_or_else(|| caller.user_id.clone());
            if role_in(tx.conn, &presenter, &m.committee_id)?.is_none() {
                return Err(AppError::invalid(
                    "the presenter must be a member of the committee",
                ));
            }
            let mut p = load(tx.conn, &m.id)?.unwrap_or_else(|| fresh(&m.id, &presenter));
            p.presenter_id = presenter;
            save(tx, &m, p, now)
        })
        .await?;
    Ok(Json(p))
}

/// `PUT /v1/meetings/{meeting_id}/presentation` (the presenter; the chair
/// always, taking presenting back): shows a page of a published version.
pub async fn present(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
    Json(req): Json<PresentRequest>,
) -> Result<Json<PresentationBody>, AppError> {
    if req.page > MAX_PAGE {
        return Err(AppError::invalid(format!(
            "a page number is at most {MAX_PAGE}"
        )));
    }
    if let Some(r) = req.region {
        let in_unit = r.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v));
        if !in_unit || r[0] >= r[2] || r[1] >= r[3] {
            return Err(AppError::invalid(
                "the region is [left, top, right, bottom] as fractions of the page, left < right and top < bottom",
            ));
        }
    }
    let now = state.now();
    let p = state
        .db
        .write(move |tx| {
            let (m, role) = meeting_for(tx.conn, &caller, &meeting_id, Need::See)?;
            in_session(&m)?;
            // Until the chair hands it over, the chair presents.
            let mut p = load(tx.conn, &m.id)?.unwrap_or_else(|| fresh(&m.id, ""));
            if p.presenter_id != caller.user_id {
                if !role.can_chair() {
                    return Err(AppError::forbidden("only the presenter the chair chose presents"));
                }
                p.presenter_id = caller.user_id.clone();
            }
            let published = tx.conn.query(
                "SELECT id FROM document_versions WHERE id = ? AND meeting_id = ? AND published_at IS NOT NULL",
                params![&req.version_id, &m.id],
            )?;
            if published.is_empty() {
                return Err(AppError::not_found("published version of this meeting"));
            }
            p.version_id = Some(req.version_id);
            p.page = req.page;
            p.region = req.region;
            save(tx, &m, p, now)
        })
        .await?;
    Ok(Json(p))
}

/// `DELETE /v1/meetings/{meeting_id}/presentation` (the presenter, or the
/// chair): nothing is presented; followers go back to reading freely.
pub async fn stop(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
) -> Result<Json<PresentationBody>, AppError> {
    let now = state.now();
    let p = state
        .db
        .write(move |tx| {
            let (m, role) = meeting_for(tx.conn, &caller, &meeting_id, Need::See)?;
            in_session(&m)?;
            let mut p = load(tx.conn, &m.id)?.ok_or_else(|| AppError::not_found("presentation"))?;
            if p.presenter_id != caller.user_id && !role.can_chair() {
                return Err(AppError::forbidden(
                    "only the presenter or the chair stops presenting",
                ));
            }
            p.version_id = None;
            p.region = None;
            p.page = 0;
            save(tx, &m, p, now)
        })
        .await?;
    Ok(Json(p))
}
