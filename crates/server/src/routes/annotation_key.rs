//! `GET`/`PUT /v1/annotation-key`: the caller's annotation key, wrapped under
//! a key derived from their password on their devices. The first device of a
//! user stores it; later devices fetch and unwrap it at enrolment.

use axum::extract::State;
use ecabinet_protocol::WrappedAnnotationKey;

use crate::annotations::{check_wrapped_key, put_wrapped_key, wrapped_key};
use crate::auth::Caller;
use crate::error::Json;
use crate::{AppError, AppState};

/// The caller's wrapped key; `not_found` before their first device made one.
pub async fn get_key(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<WrappedAnnotationKey>, AppError> {
    state
        .db
        .read(move |conn| {
            wrapped_key(conn, &caller.user_id)?
                .map(Json)
                .ok_or_else(|| AppError::not_found("annotation key"))
        })
        .await
}

/// Stores the first wrapped key, or a rewrap of the same key; `conflict` if
/// another key is already stored.
pub async fn put_key(
    State(state): State<AppState>,
    caller: Caller,
    Json(key): Json<WrappedAnnotationKey>,
) -> Result<Json<WrappedAnnotationKey>, AppError> {
    check_wrapped_key(&key)?;
    let now = state.now();
    state
        .db
        .write(move |tx| put_wrapped_key(tx, &caller.user_id, &key, now).map(Json))
        .await
}
