//! First run, unlock and lock.

use ecabinet_store::{Store, SystemClock};
use ecabinet_sync::{EnrolRequest, SyncError};
use tauri::State;

use crate::ipc::{IpcError, IpcErrorCode, SessionState};
use crate::session::{blocking, check_server_url, current, device_name, install};
use crate::state::{AppState, REVOKED_MARKER};

/// Which screen to show: first run, unlock, the meetings, or "revoked".
#[tauri::command]
pub async fn session_state(state: State<'_, AppState>) -> Result<SessionState, IpcError> {
    let state = state.inner().clone();
    blocking(move || current(&state)).await
}

/// Logs in, enrols this device, creates the encrypted store under `pin` and unlocks it.
#[tauri::command]
pub async fn enrol(
    state: State<'_, AppState>,
    server_url: String,
    username: String,
    password: String,
    pin: String,
) -> Result<SessionState, IpcError> {
    check_server_url(&server_url)?;
    let state = state.inner().clone();
    let store = ecabinet_sync::enrol(EnrolRequest {
        data_dir: state.data_dir(),
        server_url: server_url.trim(),
        username: username.trim(),
        password: &password,
        pin: &pin,
        device_name: &device_name(),
        config: &state.config().store,
    })
    .await
    .map_err(|e| match e {
        // At login a 401 means a wrong user name or password, not an old session.
        SyncError::SessionExpired => IpcError::new(IpcErrorCode::LoginFailed, e.to_string()),
        e => IpcError::from(e),
    })?;
    let _ = std::fs::remove_file(state.data_dir().join(REVOKED_MARKER));
    blocking(move || install(&state, store)).await
}

/// Unlocks the store with the PIN. Wrong PINs answer `wrong_pin` / `locked` / `wiped`.
#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, pin: String) -> Result<SessionState, IpcError> {
    let state = state.inner().clone();
    blocking(move || {
        let store = Store::open(state.data_dir(), &pin, &state.config().store, &SystemClock)?;
        install(&state, store)
    })
    .await
}

/// Locks: stops syncing, closes documents, forgets the key. Answers the unlock screen.
#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> Result<SessionState, IpcError> {
    let state = state.inner().clone();
    blocking(move || {
        state.end_session();
        current(&state)
    })
    .await
}
