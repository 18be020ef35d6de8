//! First run, unlock and lock.

use ecabinet_store::{Store, SystemClock};
use ecabinet_sync::{EnrolRequest, ServerCheck, SyncError};
use tauri::State;

use crate::ipc::{IpcError, IpcErrorCode, SessionState};
use crate::session::{blocking, check_server_url, current, device_name, install, install_shared};
use crate::state::{AppState, REVOKED_MARKER};

/// Which screen to show: first run, unlock, the meetings, or "revoked".
#[tauri::command]
pub async fn session_state(state: State<'_, AppState>) -> Result<SessionState, IpcError> {
    let state = state.inner().clone();
    blocking(move || current(&state)).await
}

/// At login a 401 means a wrong user name or password, not an old session.
fn login_error(e: SyncError) -> IpcError {
    match e {
        SyncError::SessionExpired => IpcError::new(IpcErrorCode::LoginFailed, e.to_string()),
        e => IpcError::from(e),
    }
}

/// A pasted value, `None` when left empty.
fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Without an enrol code: logs in and answers the server's signing-key
/// fingerprint (`FFFF-FFFF-FFFF-FFFF`) for the member to compare with the one
/// the administrator gave. Registers and stores nothing.
#[tauri::command]
pub async fn server_fingerprint(
    server_url: String,
    ca_cert: Option<String>,
    username: String,
    password: String,
) -> Result<String, IpcError> {
    check_server_url(&server_url)?;
    let ca_cert = given(ca_cert);
    ecabinet_sync::server_fingerprint(
        server_url.trim(),
        ca_cert.as_deref(),
        username.trim(),
        &password,
    )
    .await
    .map_err(login_error)
}

/// Logs in, enrols this device, creates the encrypted store under `pin` and
/// unlocks it. The server's key is checked against the enrol code or, without
/// one, against the fingerprint the member confirmed.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn enrol(
    state: State<'_, AppState>,
    server_url: String,
    ca_cert: Option<String>,
    username: String,
    password: String,
    pin: String,
    enrol_code: Option<String>,
    server_fingerprint: Option<String>,
) -> Result<SessionState, IpcError> {
    check_server_url(&server_url)?;
    let (ca_cert, enrol_code, fingerprint) =
        (given(ca_cert), given(enrol_code), given(server_fingerprint));
    let server_check = match (&enrol_code, &fingerprint) {
        (Some(code), _) => ServerCheck::EnrolCode(code),
        (None, Some(fp)) => ServerCheck::Fingerprint(fp),
        (None, None) => {
            return Err(IpcError::new(
                IpcErrorCode::InvalidInput,
                "enter the enrol code, or confirm the server fingerprint first",
            ))
        }
    };
    let state = state.inner().clone();
    let store = ecabinet_sync::enrol(EnrolRequest {
        data_dir: state.data_dir(),
        server_url: server_url.trim(),
        ca_cert: ca_cert.as_deref(),
        username: username.trim(),
        password: &password,
        pin: &pin,
        device_name: &device_name(),
        server_check,
        config: &state.config().store,
    })
    .await
    .map_err(login_error)?;
    let _ = std::fs::remove_file(state.data_dir().join(REVOKED_MARKER));
    blocking(move || install(&state, store)).await
}

/// Signs this enrolled device in again after its session ended (logout, an
/// administrator's reset, the session's lifetime): only the password; the
/// store — unsent ballots included — is kept, and syncing starts again.
#[tauri::command]
pub async fn sign_in_again(
    state: State<'_, AppState>,
    password: String,
) -> Result<SessionState, IpcError> {
    let state = state.inner().clone();
    let store = state.store()?;
    ecabinet_sync::sign_in_again(&store, &password)
        .await
        .map_err(login_error)?;
    state.update_status(|s| s.last_error = None);
    blocking(move || install_shared(&state, store)).await
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
