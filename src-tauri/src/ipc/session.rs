//! IPC types of one feature: the app, the session and sync: what the shell reports about itself.

use serde::Serialize;
use ts_rs::TS;

use super::IpcErrorCode;

/// Whether PDFium could be loaded, and which build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PdfiumStatus {
    Loaded { version: String, path: String },
    Unavailable { message: String },
}

/// What the About panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub app_version: String,
    pub pdfium: PdfiumStatus,
}

/// Which screen the app is at: the answer of `session_state`, and the payload
/// of the `session-changed` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum SessionState {
    /// Nothing stored: enrol. `serverUrl` pre-fills the address field.
    FirstRun { server_url: Option<String> },
    /// A store exists and needs the PIN. At `attemptsLeft` 1 the next wrong
    /// PIN wipes the device, erasing `unsentOps` operations (ballots,
    /// attendance, notes) the server has not confirmed.
    Locked {
        failed_attempts: u32,
        attempts_left: u32,
        retry_after_secs: u32,
        unsent_ops: u32,
    },
    /// Unlocked; the meetings are readable.
    Unlocked {
        username: String,
        server_url: String,
    },
    /// An administrator revoked this device and its data was wiped.
    Revoked,
}

/// The status bar: payload of the `sync-status` event and answer of `sync_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatusView {
    /// `null` until the first sync attempt has finished.
    pub online: Option<bool>,
    /// A sync round is running.
    pub syncing: bool,
    /// Last successful sync, unix ms.
    #[ts(type = "number | null")]
    pub last_sync_ms: Option<i64>,
    /// Outbox operations not yet answered by the server.
    pub pending_outbox: u32,
    /// Why the last round failed, if it did.
    pub last_error: Option<IpcErrorCode>,
}

/// Download progress: payload of the `sync-progress` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgress {
    pub document_id: String,
    pub version: u32,
    #[ts(type = "number")]
    pub document_done: u64,
    #[ts(type = "number")]
    pub document_total: u64,
    #[ts(type = "number")]
    pub overall_done: u64,
    #[ts(type = "number")]
    pub overall_total: u64,
}

/// Payload of the `feed-advanced` event: new records were applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FeedAdvancedView {
    #[ts(type = "number")]
    pub cursor: i64,
}
