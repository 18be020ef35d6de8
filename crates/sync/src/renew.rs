//! Short-lived access tokens, renewed with the device key.
//!
//! The server's access tokens live 15 minutes. When a request is answered
//! 401, [`Api`] asks [`Renewal::renew`] for a new token — `POST
//! /v1/session/refresh` signed with the device's Ed25519 key from the store,
//! no password — saves it in the store and sends the request again, so
//! callers never see an expired token. Renewals are serialised per handle,
//! and a handle first adopts a token another handle already stored.
//!
//! When the session itself is gone (logout, its 30-day lifetime, an
//! administrator's reset), renewal fails with [`SyncError::SessionExpired`]
//! and the member signs in again with [`sign_in_again`]: the password plus
//! the device's proof bind a new session to the same device. Nothing in the
//! store is touched but the token — the outbox, the cache and the annotation
//! key stay.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{
    device_proof_message, ChangePasswordRequest, DeviceProof, LoginRequest, RefreshRequest,
};
use ecabinet_store::Store;
use ring::signature::Ed25519KeyPair;

use crate::{Api, Session, SyncError};

/// The renewal state one [`Api`] handle shares with its clones.
pub(crate) struct Renewal {
    store: Arc<Store>,
    session_id: Option<String>,
    token: Mutex<String>,
    turn: tokio::sync::Mutex<()>,
}

/// The last signing time used in this process: each proof is signed later
/// than the one before, as the server refuses a refresh not newer than the
/// session's last one.
static LAST_SIGNED: AtomicI64 = AtomicI64::new(0);

fn next_signed_at() -> i64 {
    let now = crate::clock::now_ms();
    let prev = LAST_SIGNED
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(now);
    now.max(prev + 1)
}

impl Renewal {
    pub(crate) fn new(store: Arc<Store>, session: &Session) -> Renewal {
        Renewal {
            store,
            session_id: session.session_id.clone(),
            token: Mutex::new(session.token.clone()),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// The token to send now.
    pub(crate) fn token(&self) -> String {
        self.token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_token(&self, token: &str) {
        *self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = token.to_owned();
    }

    /// A token newer than `used` (the one just refused): another handle's,
    /// if one renewed meanwhile, else a fresh one from the server.
    pub(crate) async fn renew(&self, api: &Api, used: &str) -> Result<String, SyncError> {
        let _turn = self.turn.lock().await;
        let current = self.token();
        if current != used {
            return Ok(current);
        }
        let store = self.store.clone();
        let stored = blocking(move || Session::stored_token(&store)).await?;
        if let Some(stored) = stored.filter(|t| t != used) {
            self.set_token(&stored);
            return Ok(stored);
        }
        let session_id = self.session_id.clone().ok_or(SyncError::SessionExpired)?;
        let device_id = api.device_id().ok_or(SyncError::NotEnrolled)?;
        let device = device_proof(&self.store, "refresh", &session_id, &device_id).await?;
        let renewed = api.refresh(&RefreshRequest { session_id, device }).await?;
        let store = self.store.clone();
        let token = renewed.token.clone();
        blocking(move || Session::save_token(&store, &token)).await?;
        self.set_token(&renewed.token);
        Ok(renewed.token)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ecabinet_store::StoreError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))?
        .map_err(SyncError::Store)
}

/// The device's signature for `purpose` and `subject`, made now.
async fn device_proof(
    store: &Arc<Store>,
    purpose: &'static str,
    subject: &str,
    device_id: &str,
) -> Result<DeviceProof, SyncError> {
    let signed_at = next_signed_at();
    let message = device_proof_message(purpose, subject, device_id, signed_at);
    let store = store.clone();
    let pkcs8 = blocking(move || store.device_key())
        .await?
        .ok_or(SyncError::NotEnrolled)?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| SyncError::Internal("the stored device key does not parse".into()))?;
    Ok(DeviceProof {
        device_id: device_id.to_owned(),
        signed_at,
        signature: BASE64.encode(pair.sign(&message).as_ref()),
    })
}

/// Signs this enrolled device in again after its session ended: the
/// member's password plus the device's signature open a new session bound
/// to the same device. Only the token and session id in the store change;
/// the outbox (queued ballots), the cache and the annotation key are kept.
/// If the password was reset by an administrator, the annotation key on the
/// server is re-wrapped under the new one (this device holds the key).
pub async fn sign_in_again(store: &Arc<Store>, password: &str) -> Result<(), SyncError> {
    let loaded = store.clone();
    let mut session = tokio::task::spawn_blocking(move || Session::load(&loaded))
        .await
        .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))??
        .ok_or(SyncError::NotEnrolled)?;
    let device = device_proof(store, "login", &session.username, &session.device_id).await?;
    let api = Api::anonymous(&session.server_url, session.ca_cert.as_deref())?;
    let login = api
        .login_with(&LoginRequest {
            username: session.username.clone(),
            password: password.to_owned(),
            device: Some(device),
        })
        .await
        .map_err(|e| match e {
            SyncError::SessionExpired => SyncError::Server {
                status: 401,
                code: ecabinet_protocol::ErrorCode::Unauthenticated,
                message: "wrong password: the server refused it".into(),
            },
            other => other,
        })?;
    if login.user_id != session.user_id {
        return Err(SyncError::Protocol(
            "the server signed in another user than this device's".into(),
        ));
    }
    session.token = login.token;
    session.session_id = Some(login.session_id);
    let api = Api::new(&session)?;
    let saved = store.clone();
    let user_id = session.user_id.clone();
    blocking(move || session.save(&saved)).await?;
    // After an administrator's password reset the annotation key is still
    // wrapped under the old password: this device holds it, so it re-wraps it.
    crate::annotations::rewrap_after_reset(&api, store, &user_id, password).await?;
    Ok(())
}

/// Changes the member's own password from this device: the annotation key
/// the device holds is re-wrapped under the new password and sent with the
/// change, so the annotation history stays readable everywhere. This
/// device's session continues; the member's other devices sign in again
/// with the new password.
pub async fn change_password(
    store: &Arc<Store>,
    old_password: &str,
    new_password: &str,
) -> Result<(), SyncError> {
    let loaded = store.clone();
    let session = tokio::task::spawn_blocking(move || Session::load(&loaded))
        .await
        .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))??
        .ok_or(SyncError::NotEnrolled)?;
    let api = Api::new(&session)?.renewing(store.clone(), &session);
    let annotation_key =
        crate::annotations::rewrapped_for_change(&api, store, &session.user_id, new_password)
            .await?;
    let body = ChangePasswordRequest {
        old_password: old_password.to_owned(),
        new_password: new_password.to_owned(),
        annotation_key,
    };
    api.send(api.post("/v1/me/password").json(&body)).await?;
    Ok(())
}
