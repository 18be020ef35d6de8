//! The sync status a member sees: where the device is enrolled, what the
//! cache holds, what waits in the outbox, how the last sync went and the
//! state of the offline lease. Read-only: it reports what the other modules
//! recorded.

use ecabinet_store::{OutboxState, Store, StoreError};
use serde::Serialize;

use crate::clock::now_ms;
use crate::lease::LAST_SYNC;
use crate::outbox::{ballots, BallotState};
use crate::Session;

pub(crate) const LAST_ERROR: &str = "sync.last_error";

/// What the UI's status bar and `ecabinet status --json` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub server_url: Option<String>,
    pub username: Option<String>,
    pub device_id: Option<String>,
    pub cursor: i64,
    pub meetings: usize,
    pub documents: usize,
    pub document_versions: usize,
    pub verified_blobs: usize,
    pub pending_outbox: usize,
    pub last_sync_ms: Option<i64>,
    pub last_error: Option<String>,
    pub clock_offset_ms: i64,
    /// Document versions that were refused, with the reason.
    pub document_errors: Vec<DocumentError>,
    /// Every ballot this device cast, with its state.
    pub ballots: Vec<BallotState>,
    /// The offline lease, as of the time the status was read.
    pub lease: crate::LeaseState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentError {
    pub version_id: String,
    pub reason: String,
}

impl SyncStatus {
    /// Reads the status from an unlocked store.
    pub fn read(store: &Store) -> Result<SyncStatus, StoreError> {
        let session = Session::load(store).ok().flatten();
        let counts = store.cache_counts()?;
        let pending = store
            .outbox()?
            .iter()
            .filter(|e| matches!(e.state, OutboxState::Pending | OutboxState::Sent))
            .count();
        Ok(SyncStatus {
            server_url: session.as_ref().map(|s| s.server_url.clone()),
            username: session.as_ref().map(|s| s.username.clone()),
            device_id: session.as_ref().map(|s| s.device_id.clone()),
            cursor: store.cursor()?,
            meetings: counts.meetings,
            documents: counts.documents,
            document_versions: counts.versions,
            verified_blobs: counts.verified_blobs,
            pending_outbox: pending,
            last_sync_ms: store.setting(LAST_SYNC)?.and_then(|v| v.parse().ok()),
            last_error: store.setting(LAST_ERROR)?,
            clock_offset_ms: store.clock_offset_ms()?,
            document_errors: store
                .version_errors()?
                .into_iter()
                .map(|(version_id, reason)| DocumentError { version_id, reason })
                .collect(),
            ballots: ballots(store).unwrap_or_default(),
            lease: crate::lease_state(store, now_ms())?,
        })
    }
}
