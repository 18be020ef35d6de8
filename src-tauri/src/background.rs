//! The background sync of an unlocked session: a round at once, then every
//! `sync_interval` or when woken (`sync_now`), reporting to the status bar.

use std::sync::Arc;

use ecabinet_store::Store;
use ecabinet_sync::{Progress, ProgressSink, SyncError, SyncStatus, Syncer};

use crate::ipc::{IpcError, IpcErrorCode, SessionState, SyncProgress};
use crate::state::{AppState, UiEvent, REVOKED_MARKER};

struct ProgressEvents(AppState);

impl ProgressSink for ProgressEvents {
    fn progress(&self, p: &Progress) {
        self.0.emit(UiEvent::SyncProgress(SyncProgress {
            document_id: p.document_id.clone(),
            version: p.version,
            document_done: p.document_done,
            document_total: p.document_total,
            overall_done: p.overall_done,
            overall_total: p.overall_total,
        }));
    }
}

/// Starts the loop for the session just installed in `state`.
pub(crate) fn start(state: &AppState, store: Arc<Store>, wake: Arc<tokio::sync::Notify>) {
    let task = tauri::async_runtime::spawn(run(state.clone(), store, wake));
    state.set_sync_task(task);
}

async fn run(state: AppState, store: Arc<Store>, wake: Arc<tokio::sync::Notify>) {
    let syncer = match Syncer::new(store.clone()) {
        Ok(s) => s,
        Err(e) => {
            let code = IpcError::from(e).code;
            state.update_status(|s| s.last_error = Some(code));
            return;
        }
    };
    loop {
        state.update_status(|s| s.syncing = true);
        let result = syncer.sync_once(&ProgressEvents(state.clone())).await;
        if let Err(SyncError::DeviceRevoked) = result {
            let st = state.clone();
            // Ending the session closes PDF documents: blocking calls.
            let _ = tauri::async_runtime::spawn_blocking(move || revoked(&st)).await;
            return;
        }
        let counts = {
            let store = store.clone();
            tauri::async_runtime::spawn_blocking(move || SyncStatus::read(&store))
                .await
                .ok()
                .and_then(Result::ok)
        };
        state.update_status(|s| {
            s.syncing = false;
            match &result {
                Ok(_) => {
                    s.online = Some(true);
                    s.last_error = None;
                }
                Err(e) => {
                    s.online = Some(!e.is_transient());
                    s.last_error = Some(error_code(e));
                }
            }
            if let Some(c) = &counts {
                s.last_sync_ms = c.last_sync_ms;
                s.pending_outbox = u32::try_from(c.pending_outbox).unwrap_or(u32::MAX);
            }
        });
        tokio::select! {
            _ = tokio::time::sleep(state.config().sync_interval) => {}
            _ = wake.notified() => {}
        }
    }
}

fn error_code(e: &SyncError) -> IpcErrorCode {
    match e {
        e if e.is_transient() => IpcErrorCode::Offline,
        SyncError::DeviceRevoked => IpcErrorCode::DeviceRevoked,
        SyncError::SessionExpired => IpcErrorCode::SessionExpired,
        SyncError::Store(_) => IpcErrorCode::Internal,
        SyncError::Server { .. } | SyncError::Protocol(_) => IpcErrorCode::ServerError,
        SyncError::NotEnrolled => IpcErrorCode::NoData,
        SyncError::Offline(_) => IpcErrorCode::Offline,
        SyncError::Invalid(_) => IpcErrorCode::InvalidInput,
        SyncError::Internal(_) => IpcErrorCode::Internal,
    }
}

/// The sync client has already wiped the cache; end the session and say why.
fn revoked(state: &AppState) {
    let _ = std::fs::write(state.data_dir().join(REVOKED_MARKER), b"");
    state.end_session();
    state.emit(UiEvent::SessionChanged(SessionState::Revoked));
}
