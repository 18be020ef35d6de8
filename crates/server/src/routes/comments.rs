//! Comments on drafts (`crate::comments`): the list a caller may read,
//! and the secretary's answer. Comments themselves arrive as `comment`
//! operations through `POST /v1/ops`.

use axum::extract::State;
use ecabinet_protocol::{DraftCommentBody, DraftCommentsBody, RespondToCommentRequest};

use crate::auth::Caller;
use crate::error::{Json, Path};
use crate::{comments, AppError, AppState};

/// `GET /v1/documents/{document_id}/comments`: the secretary and the chair
/// read all; a member their own (and the others' when the committee shares
/// them).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(document_id): Path<String>,
) -> Result<Json<DraftCommentsBody>, AppError> {
    let body = state
        .db
        .read(move |conn| comments::list(conn, &caller, &document_id))
        .await?;
    Ok(Json(body))
}

/// `PUT /v1/comments/{comment_id}/response` (secretary, chair; not on a
/// closed meeting).
pub async fn respond(
    State(state): State<AppState>,
    caller: Caller,
    Path(comment_id): Path<String>,
    Json(req): Json<RespondToCommentRequest>,
) -> Result<Json<DraftCommentBody>, AppError> {
    let now = state.now();
    let body = state
        .db
        .write(move |tx| comments::respond(tx, &caller, &comment_id, &req, now))
        .await?;
    Ok(Json(body))
}
