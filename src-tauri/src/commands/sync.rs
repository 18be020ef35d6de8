//! The status bar and "sync now".

use tauri::State;

use crate::ipc::{IpcError, SyncStatusView};
use crate::state::AppState;

/// The status as last reported by the background sync.
#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> SyncStatusView {
    state.sync_status()
}

/// Starts a sync round now instead of at the next interval.
#[tauri::command]
pub fn sync_now(state: State<'_, AppState>) -> Result<(), IpcError> {
    state.wake_sync()
}
