//! A written consultation's opinion forms (phiếu lấy ý kiến): the PDFs its
//! members signed with their tokens together with their ballots, kept as
//! they came (`routes/ops/ballots.rs` checks and stores them). Whoever may
//! see the motion may read them: a named vote's choices are not secret in
//! the committee, and a secret motion takes no signed ballots.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use ecabinet_protocol::{OpinionFormBody, OpinionFormList};

use crate::auth::Caller;
use crate::db::Conn;
use crate::error::{Json, Path};
use crate::motions::load_motion;
use crate::{params, AppError, AppState};

/// `GET /v1/motions/{motion_id}/opinions`: the motion's opinion forms.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(motion_id): Path<String>,
) -> Result<Json<OpinionFormList>, AppError> {
    let forms = state
        .db
        .read(move |conn| forms_of(conn, &caller, &motion_id))
        .await?;
    Ok(Json(OpinionFormList { forms }))
}

fn forms_of(
    conn: &mut dyn Conn,
    caller: &Caller,
    motion_id: &str,
) -> Result<Vec<OpinionFormBody>, AppError> {
    load_motion(conn, caller, motion_id)?.ok_or_else(|| AppError::not_found("motion"))?;
    conn.query(
        "SELECT f.op_id, f.member_id, u.display_name, b.choice, b.counting, f.sha256, f.size, f.created_at \
         FROM opinion_forms f JOIN ballots b ON b.op_id = f.op_id LEFT JOIN users u ON u.id = f.member_id \
         WHERE f.motion_id = ? ORDER BY f.created_at, f.op_id",
        params![motion_id],
    )?
    .iter()
    .map(|r| {
        Ok(OpinionFormBody {
            op_id: r.text(0)?,
            member_id: r.text(1)?,
            member_name: r.opt_text(2)?,
            choice: u32::try_from(r.int(3)?).map_err(|_| AppError::internal("stored choice"))?,
            counting: r.int(4)? != 0,
            sha256: r.text(5)?,
            size: u64::try_from(r.int(6)?).unwrap_or(0),
            received_at: r.int(7)?,
        })
    })
    .collect()
}

/// `GET /v1/motions/{motion_id}/opinions/{op_id}`: one form's PDF, as the
/// member signed it.
pub async fn get_form(
    State(state): State<AppState>,
    caller: Caller,
    Path((motion_id, op_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let pdf = state
        .db
        .read(move |conn| {
            load_motion(conn, &caller, &motion_id)?.ok_or_else(|| AppError::not_found("motion"))?;
            let row = conn
                .query(
                    "SELECT pdf FROM opinion_forms WHERE motion_id = ? AND op_id = ?",
                    params![&motion_id, &op_id],
                )?
                .into_iter()
                .next()
                .ok_or_else(|| AppError::not_found("opinion form"))?;
            base64::engine::general_purpose::STANDARD
                .decode(row.text(0)?)
                .map_err(|_| AppError::internal("stored opinion form is not base64"))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        pdf,
    )
        .into_response())
}
