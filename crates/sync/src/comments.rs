//! Comments on published drafts (góp ý dự thảo): written on the device,
//! offline too, and queued in the outbox as `comment` operations with the
//! ballots' guarantees (sent once under their id, every refusal kept and
//! shown); read back from the server with the secretary's answers; and
//! answered by the secretary or the chair.

use ecabinet_protocol::{
    CommentBody, CommentRegion, CommentStatus, DraftCommentBody, DraftCommentsBody, OpKind,
    Operation, RespondToCommentRequest,
};
use ecabinet_store::Store;
use serde::Serialize;

use crate::api::path_id as id;
use crate::{Api, SyncError};

/// A comment this device wrote, as its outbox holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuedComment {
    pub op_id: String,
    pub body: CommentBody,
    /// pending | sent | accepted | rejected
    pub state: String,
    /// The server's reason when rejected.
    pub reason: Option<String>,
}

/// Queues a comment on the published version `version_id` (`page` 1-based;
/// none for the whole document; `region` on that page). Refused at once,
/// with the reason, when the server could not keep it anyway.
pub fn write_comment(
    store: &Store,
    version_id: &str,
    page: Option<u32>,
    region: Option<CommentRegion>,
    text: &str,
    now_ms: i64,
) -> Result<String, SyncError> {
    let body = CommentBody {
        version_id: version_id.to_owned(),
        page,
        region,
        text: text.trim().to_owned(),
        written_at: now_ms,
    };
    if let Some(problem) = body.problem() {
        return Err(SyncError::BadComment(problem.to_owned()));
    }
    let op = Operation {
        op_id: uuid::Uuid::now_v7().to_string(),
        kind: OpKind::Comment,
        body: serde_json::to_value(&body).map_err(|e| SyncError::Internal(e.to_string()))?,
    };
    let payload = serde_json::to_vec(&op.body).map_err(|e| SyncError::Internal(e.to_string()))?;
    store
        .enqueue(&op.op_id, op.kind.as_str(), &payload)
        .map_err(SyncError::Store)?;
    Ok(op.op_id)
}

/// Every comment this device wrote on a version of `document_id`, oldest
/// first, with where it stands.
pub fn queued_comments(store: &Store, document_id: &str) -> Result<Vec<QueuedComment>, SyncError> {
    let versions: Vec<String> = store
        .document_versions(document_id)
        .map_err(SyncError::Store)?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let mut out = Vec::new();
    for e in store.outbox().map_err(SyncError::Store)? {
        if e.kind != OpKind::Comment.as_str() {
            continue;
        }
        let Ok(body) = serde_json::from_slice::<CommentBody>(&e.payload) else {
            continue;
        };
        if !versions.contains(&body.version_id) {
            continue;
        }
        let (state, reason) = crate::outbox::state_name(&e.state);
        out.push(QueuedComment {
            op_id: e.op_id,
            body,
            state: state.to_owned(),
            reason,
        });
    }
    Ok(out)
}

/// `GET /v1/documents/{id}/comments`: the comments the caller may read,
/// with the secretary's answers.
pub async fn comments(api: &Api, document_id: &str) -> Result<DraftCommentsBody, SyncError> {
    let path = format!("/v1/documents/{}/comments", id(document_id)?);
    api.json(api.get(&path)).await
}

/// `PUT /v1/comments/{id}/response` (secretary, chair).
pub async fn respond(
    api: &Api,
    comment_id: &str,
    status: CommentStatus,
    reply: Option<&str>,
) -> Result<DraftCommentBody, SyncError> {
    let path = format!("/v1/comments/{}/response", id(comment_id)?);
    let req = RespondToCommentRequest {
        status,
        reply: reply.map(str::to_owned),
    };
    api.json(api.put(&path).json(&req)).await
}
