use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_store::{Store, StoreConfig};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::{Api, Session, SyncError};

/// What enrolment needs from the person at the device.
pub struct EnrolRequest<'a> {
    pub data_dir: &'a Path,
    pub server_url: &'a str,
    pub username: &'a str,
    pub password: &'a str,
    /// Unlocks the local cache from now on.
    pub pin: &'a str,
    /// Shown to administrators in the device list.
    pub device_name: &'a str,
    pub config: &'a StoreConfig,
}

/// Enrols this device: logs in, creates the encrypted store, generates the
/// device's Ed25519 key pair (the private key goes only into the store),
/// registers the public key, pins the server's manifest-signing key, and
/// gets the member's annotation key (unwrapped with the password, or made on
/// the member's first device; see [`crate::annotations::install_key`]).
///
/// The store is created only after the server accepted the login, so a wrong
/// password leaves nothing behind; if registration fails after that, the
/// half-made store is wiped again.
pub async fn enrol(req: EnrolRequest<'_>) -> Result<Store, SyncError> {
    let anonymous = Api::anonymous(req.server_url)?;
    let login = anonymous.login(req.username, req.password).await?;
    let api = anonymous.with_token(&login.token);

    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| SyncError::Internal("key generation failed".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| SyncError::Internal("generated key does not parse".into()))?;
    let public = BASE64.encode(pair.public_key().as_ref());

    let dir = req.data_dir.to_path_buf();
    let pin = req.pin.to_owned();
    let config = req.config.clone();
    let store = tokio::task::spawn_blocking(move || Store::create(&dir, &pin, &config))
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?
        .map_err(SyncError::Store)?;

    let registered = async {
        let device = api.enrol_device(&public, req.device_name).await?;
        let server_key = BASE64
            .decode(&device.server_signing_key)
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| SyncError::Protocol("server signing key is not 32 bytes".into()))?;
        let session = Session {
            server_url: req.server_url.trim_end_matches('/').to_owned(),
            token: login.token.clone(),
            device_id: device.device_id,
            user_id: login.user_id.clone(),
            username: req.username.to_owned(),
        };
        store
            .set_device_key(pkcs8.as_ref())
            .map_err(SyncError::Store)?;
        store
            .set_manifest_key(&server_key)
            .map_err(SyncError::Store)?;
        session.save(&store).map_err(SyncError::Store)?;
        crate::annotations::install_key(&api, &store, &login.user_id, req.password, req.config.kdf)
            .await?;
        store
            .set_setting(crate::lease::ENROLLED, &crate::status::now_ms().to_string())
            .map_err(SyncError::Store)?;
        Ok::<(), SyncError>(())
    }
    .await;
    match registered {
        Ok(()) => Ok(store),
        Err(e) => {
            let _ = store.wipe();
            Err(e)
        }
    }
}
