//! The session flow behind the commands: which screen the app is at, and
//! installing an unlocked store with its background sync.

use std::sync::Arc;

use ecabinet_store::{Store, StoreState, SystemClock};

use crate::errors::{join_error, secs_ceil};
use crate::ipc::{IpcError, IpcErrorCode, SessionState};
use crate::state::{AppState, Session, UiEvent, REVOKED_MARKER};

/// Runs a store or PDFium call on the blocking pool, off the async runtime.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, IpcError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, IpcError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(join_error)?
}

/// The screen for the current state of the data directory (blocking: reads the key file).
pub(crate) fn current(state: &AppState) -> Result<SessionState, IpcError> {
    if let Some(s) = state.unlocked_as() {
        return Ok(s);
    }
    Ok(
        match Store::state(state.data_dir(), &state.config().store, &SystemClock)? {
            StoreState::NoData if state.data_dir().join(REVOKED_MARKER).exists() => {
                SessionState::Revoked
            }
            StoreState::NoData => SessionState::FirstRun {
                server_url: state.config().server_url_hint.clone(),
            },
            StoreState::Locked {
                failed_attempts,
                retry_after,
                unsent_ops,
            } => SessionState::Locked {
                failed_attempts,
                attempts_left: state
                    .config()
                    .store
                    .pin
                    .max_failed_attempts
                    .saturating_sub(failed_attempts),
                retry_after_secs: secs_ceil(retry_after),
                unsent_ops,
            },
        },
    )
}

/// Makes `store` the session's store and starts syncing it (blocking: reads the session).
pub(crate) fn install(state: &AppState, store: Store) -> Result<SessionState, IpcError> {
    install_shared(state, Arc::new(store))
}

/// [`install`] for the store the session already holds (after signing in
/// again): restarts syncing with the session read afresh.
pub(crate) fn install_shared(
    state: &AppState,
    store: Arc<Store>,
) -> Result<SessionState, IpcError> {
    let enrolled = ecabinet_sync::Session::load(&store)?;
    // The app's own calls (chair, secretary) renew the token like the syncer's.
    let api = enrolled
        .as_ref()
        .map(|s| ecabinet_sync::Api::new(s).map(|api| api.renewing(store.clone(), s)))
        .transpose()?;
    let (username, server_url, user_id) = enrolled
        .map(|s| (s.username, s.server_url, s.user_id))
        .unwrap_or_default();
    let wake = Arc::new(tokio::sync::Notify::new());
    let push = Arc::new(tokio::sync::Notify::new());
    state.set_session(Session {
        store: store.clone(),
        username: username.clone(),
        server_url: server_url.clone(),
        user_id,
        api,
        wake: wake.clone(),
        push: push.clone(),
        task: None,
    });
    crate::background::start(state, store, wake, push);
    let now = SessionState::Unlocked {
        username,
        server_url,
    };
    state.emit(UiEvent::SessionChanged(now.clone()));
    Ok(now)
}

/// Checks the server address before any network call.
pub(crate) fn check_server_url(url: &str) -> Result<(), IpcError> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(()),
        _ => Err(IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("not an http(s) server address: {url:?}"),
        )),
    }
}

/// How this device is listed for administrators.
pub(crate) fn device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "desktop".into());
    format!("E-Cabinet ({host})")
}

#[cfg(test)]
mod tests {
    use super::check_server_url;

    #[test]
    fn server_address_must_be_http_or_https_with_a_host() {
        assert!(check_server_url("http://127.0.0.1:8787").is_ok());
        assert!(check_server_url(" https://ecabinet.example.vn/ ").is_ok());
        for bad in ["", "127.0.0.1:8787", "ftp://x", "http://", "http://a b"] {
            assert!(check_server_url(bad).is_err(), "{bad:?} accepted");
        }
    }
}
