//! Document read status: where the committee switches it on, this device
//! reports through the outbox when it has downloaded a document version
//! (after the bytes are verified) and when the member first opens it; the
//! chair and the secretary read the overview with [`read_status`].
//!
//! Each (version, state) is reported at most once per device. What was
//! reported is remembered in the encrypted store's settings, so neither a
//! second download nor reopening the viewer enqueues anything again.

use ecabinet_protocol::{OpKind, Operation, ReadBody, ReadState, ReadStatusBody};
use ecabinet_store::{Entity, Store};

use crate::clock::now_ms;
use crate::{Api, SyncError, Syncer};

fn reported_key(version_id: &str, state: ReadState) -> String {
    format!("read_reported.{version_id}.{}", state.as_str())
}

fn store_err(e: ecabinet_store::StoreError) -> SyncError {
    SyncError::Store(e)
}

fn text(v: &serde_json::Value, field: &str) -> Option<String> {
    v.get(field).and_then(|f| f.as_str()).map(str::to_owned)
}

/// Whether the committee of a cached document version has read status on.
/// A version, meeting or committee not in the cache counts as off.
pub fn read_status_enabled(store: &Store, version_id: &str) -> Result<bool, SyncError> {
    let Some(version) = store
        .entity(Entity::DocumentVersion, version_id)
        .map_err(store_err)?
    else {
        return Ok(false);
    };
    match text(&version, "meeting_id") {
        Some(meeting_id) => meeting_read_status_enabled(store, &meeting_id),
        None => Ok(false),
    }
}

/// Whether the committee of a cached meeting has read status on (so the
/// chair's and secretary's overview exists); off when not in the cache.
pub fn meeting_read_status_enabled(store: &Store, meeting_id: &str) -> Result<bool, SyncError> {
    let Some(meeting) = store
        .entity(Entity::Meeting, meeting_id)
        .map_err(store_err)?
    else {
        return Ok(false);
    };
    let Some(committee_id) = text(&meeting, "committee_id") else {
        return Ok(false);
    };
    Ok(store
        .entity(Entity::Committee, &committee_id)
        .map_err(store_err)?
        .and_then(|c| c.get("read_status").and_then(|r| r.as_bool()))
        .unwrap_or(false))
}

/// Enqueues a `read` report of `state` for the version, unless this device
/// already reported it or the committee has read status off. Returns the
/// operation id when one was enqueued. `now_ms` is the device clock.
pub fn report_read(
    store: &Store,
    version_id: &str,
    state: ReadState,
    now_ms: i64,
) -> Result<Option<String>, SyncError> {
    let key = reported_key(version_id, state);
    if store.setting(&key).map_err(store_err)?.is_some() {
        return Ok(None);
    }
    if !read_status_enabled(store, version_id)? {
        return Ok(None);
    }
    let body = ReadBody {
        version_id: version_id.to_owned(),
        state,
        at: now_ms,
    };
    let op = Operation {
        op_id: uuid::Uuid::now_v7().to_string(),
        kind: OpKind::Read,
        body: serde_json::to_value(&body).map_err(|e| SyncError::Internal(e.to_string()))?,
    };
    let payload = serde_json::to_vec(&op.body).map_err(|e| SyncError::Internal(e.to_string()))?;
    // Queued and remembered in one commit: reported once, never lost.
    store
        .enqueue_remembering(
            &op.op_id,
            op.kind.as_str(),
            &payload,
            (&key, &now_ms.to_string()),
        )
        .map_err(store_err)?;
    Ok(Some(op.op_id))
}

/// Records that the member opened the version in the viewer (once per
/// device; nothing where the committee has read status off).
pub fn record_opened(
    store: &Store,
    version_id: &str,
    now_ms: i64,
) -> Result<Option<String>, SyncError> {
    report_read(store, version_id, ReadState::Opened, now_ms)
}

/// `GET /v1/meetings/{id}/read-status`: who downloaded and opened each
/// document (chair, secretary). A committee with read status off answers
/// [`SyncError::Server`] with code `not_enabled`.
pub async fn read_status(api: &Api, meeting_id: &str) -> Result<ReadStatusBody, SyncError> {
    let path = format!(
        "/v1/meetings/{}/read-status",
        crate::api::path_id(meeting_id)?
    );
    api.json(api.get(&path)).await
}

impl Syncer {
    /// [`record_opened`] on this syncer's store, with the device clock.
    pub async fn record_opened(&self, version_id: &str) -> Result<Option<String>, SyncError> {
        let version_id = version_id.to_owned();
        let store = self.store().clone();
        tokio::task::spawn_blocking(move || record_opened(&store, &version_id, now_ms()))
            .await
            .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_keys_name_the_version_and_the_state() {
        assert_eq!(
            reported_key("v-1", ReadState::Downloaded),
            "read_reported.v-1.downloaded"
        );
        assert_eq!(
            reported_key("v-1", ReadState::Opened),
            "read_reported.v-1.opened"
        );
    }
}
