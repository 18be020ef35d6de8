//! Enrolment: log in, register this device's key, and pin the server's
//! manifest-signing key — checked out of band, never taken on trust.
//!
//! The channel that carries the server's key may itself be intercepted (a
//! CA that should not be trusted, a proxy, a wrong address), so the key is
//! accepted only when its fingerprint (first 10 bytes of SHA-256, see
//! [`ecabinet_protocol::enrol_code`]) matches what the person was given on
//! paper or by phone:
//! - an **enrol code** from the administrator (`ecabinet-server enrol-code`):
//!   its secret half goes with the device registration (the server accepts it
//!   once, for that user, before it expires) and its other half is the
//!   fingerprint;
//! - or, without a code, a **fingerprint the person confirmed**: the CLI takes
//!   it as `--server-fingerprint`, the app shows the server's fingerprint
//!   ([`server_fingerprint`]) and enrols only after the person confirms it.
//!
//! On a mismatch nothing is written to the data folder.
//!
//! Once enrolled, the device reports the operations a wrong-PIN wipe erased
//! in the folder before the server answered them (`lost.json`), so the
//! chair, the secretary and administrators learn what was lost.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::enrol_code::{self, PART_BYTES};
use ecabinet_store::{Store, StoreConfig};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::{Api, Session, SyncError};

/// How the server's signing key is checked at enrolment.
#[derive(Clone, Copy)]
pub enum ServerCheck<'a> {
    /// An enrol code as typed (`SSSS-…-FFFF`, case, dashes and spaces forgiven).
    EnrolCode(&'a str),
    /// A fingerprint (`FFFF-FFFF-FFFF-FFFF`) the person confirmed matches
    /// the one their administrator gave.
    Fingerprint(&'a str),
}

/// What enrolment needs from the person at the device.
pub struct EnrolRequest<'a> {
    pub data_dir: &'a Path,
    pub server_url: &'a str,
    /// The deployment's own CA certificate(s), PEM, when its server's
    /// certificate is not signed by a CA the system trusts. Kept in the
    /// encrypted store and trusted for this server from then on.
    pub ca_cert: Option<&'a str>,
    pub username: &'a str,
    pub password: &'a str,
    /// Unlocks the local cache from now on.
    pub pin: &'a str,
    /// Shown to administrators in the device list.
    pub device_name: &'a str,
    pub server_check: ServerCheck<'a>,
    pub config: &'a StoreConfig,
}

/// The fingerprint the person expects and the code secret to send, if any.
fn expected(check: ServerCheck<'_>) -> Result<([u8; PART_BYTES], Option<String>), SyncError> {
    match check {
        ServerCheck::EnrolCode(text) => {
            let code =
                enrol_code::parse(text).map_err(|e| SyncError::BadEnrolCode(e.to_string()))?;
            Ok((code.fingerprint, Some(code.secret_symbols())))
        }
        ServerCheck::Fingerprint(text) => {
            let fp = enrol_code::parse_fingerprint(text)
                .map_err(|e| SyncError::BadFingerprint(e.to_string()))?;
            Ok((fp, None))
        }
    }
}

/// A server signing key as sent on the wire: standard base64 of 32 bytes.
pub(crate) fn decode_server_key(b64: &str) -> Result<Vec<u8>, SyncError> {
    BASE64
        .decode(b64.trim())
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| SyncError::Protocol("server signing key is not 32 bytes of base64".into()))
}

/// The fingerprint of a server key as people compare it, `FFFF-FFFF-FFFF-FFFF`.
pub(crate) fn shown_fingerprint(key: &[u8]) -> String {
    enrol_code::format_fingerprint(&enrol_code::fingerprint(key))
}

/// Logs in and reads the server's signing-key fingerprint
/// (`FFFF-FFFF-FFFF-FFFF`) from a feed page, for a person without an enrol
/// code to compare with the one their administrator gave before enrolling
/// with [`ServerCheck::Fingerprint`]. Registers nothing and writes nothing.
pub async fn server_fingerprint(
    server_url: &str,
    ca_cert: Option<&str>,
    username: &str,
    password: &str,
) -> Result<String, SyncError> {
    let anonymous = Api::anonymous(server_url, ca_cert)?;
    let login = anonymous.login(username, password).await?;
    let api = anonymous.with_token(&login.token);
    // An empty page: nothing of the feed is transferred, only its envelope.
    let page = api.changes(i64::MAX, 1).await?;
    Ok(shown_fingerprint(&decode_server_key(&page.signing_key)?))
}

/// Enrols this device: logs in, registers the device's new Ed25519 public
/// key (with the enrol code's secret when there is one), checks the server's
/// signing key against the code or the confirmed fingerprint, then creates
/// the encrypted store with the device's private key, the pinned server key,
/// the session (and the deployment CA), and gets the member's annotation key
/// (unwrapped with the password, or made on the member's first device; see
/// [`crate::annotations::install_key`]).
///
/// Nothing is written before the server accepted the login and its key
/// matched, so a wrong password or a wrong server leaves nothing behind; if
/// a later step fails, the half-made store is wiped again.
pub async fn enrol(req: EnrolRequest<'_>) -> Result<Store, SyncError> {
    let (expected_fp, code_secret) = expected(req.server_check)?;
    let anonymous = Api::anonymous(req.server_url, req.ca_cert)?;
    let login = anonymous.login(req.username, req.password).await?;
    let api = anonymous.with_token(&login.token);

    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| SyncError::Internal("key generation failed".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| SyncError::Internal("generated key does not parse".into()))?;
    let public = BASE64.encode(pair.public_key().as_ref());

    let device = api
        .enrol_device(&public, req.device_name, code_secret)
        .await?;
    let server_key = decode_server_key(&device.server_signing_key)?;
    if enrol_code::fingerprint(&server_key) != expected_fp {
        return Err(SyncError::ServerKeyMismatch {
            expected: enrol_code::format_fingerprint(&expected_fp),
            found: shown_fingerprint(&server_key),
        });
    }

    let dir = req.data_dir.to_path_buf();
    let pin = req.pin.to_owned();
    let config = req.config.clone();
    let store = tokio::task::spawn_blocking(move || Store::create(&dir, &pin, &config))
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?
        .map_err(SyncError::Store)?;

    let registered = async {
        let session = Session {
            server_url: req.server_url.trim().trim_end_matches('/').to_owned(),
            token: login.token.clone(),
            device_id: device.device_id,
            user_id: login.user_id.clone(),
            username: req.username.to_owned(),
            ca_cert: req.ca_cert.map(str::to_owned),
            session_id: Some(login.session_id.clone()),
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
            .set_setting(crate::lease::ENROLLED, &crate::clock::now_ms().to_string())
            .map_err(SyncError::Store)?;
        Ok::<(), SyncError>(())
    }
    .await;
    match registered {
        Ok(()) => {
            // Enrolled either way: a failed report leaves `lost.json` in
            // place, which the CLI shows as not reported, for the next try.
            let _ = report_losses(&api, req.data_dir).await;
            Ok(store)
        }
        Err(e) => {
            let _ = store.wipe();
            Err(e)
        }
    }
}

/// Tells the server which of the member's operations a wrong-PIN wipe
/// erased in `dir` before they were answered (`lost.json`, see
/// [`ecabinet_store::lost_ops`]), and marks each accepted chunk reported so
/// it is never sent twice.
async fn report_losses(api: &Api, dir: &Path) -> Result<(), SyncError> {
    let Some(lost) = ecabinet_store::lost_ops(dir) else {
        return Ok(());
    };
    for chunk in lost
        .op_ids
        .chunks(ecabinet_protocol::MAX_LOST_OPS_PER_REPORT)
    {
        api.report_lost_ops(chunk).await?;
        let reported = ecabinet_store::LostOps {
            op_ids: chunk.to_vec(),
        };
        ecabinet_store::mark_lost_reported(dir, &reported).map_err(SyncError::Store)?;
    }
    Ok(())
}

/// The key a feed page names, checked against the one this device pinned:
/// `Ok(None)` when it is the same key; `Ok(Some(keys))` when a chain of
/// rotations, each signed by the key before it, leads from the pinned key
/// to it (`keys`: the keys after the pinned one, the page's last). Any other
/// key is refused: a replaced server key is never taken on trust.
pub(crate) fn check_pinned_key(
    pinned: &[u8],
    page_key_b64: &str,
    rotations: &[ecabinet_protocol::KeyRotation],
) -> Result<Option<Vec<Vec<u8>>>, SyncError> {
    let now = decode_server_key(page_key_b64)?;
    if now.as_slice() == pinned {
        return Ok(None);
    }
    ecabinet_protocol::follow_rotations(pinned, rotations, &now)
        .map(Some)
        .map_err(|_| SyncError::ServerKeyChanged {
            pinned: shown_fingerprint(pinned),
            now: shown_fingerprint(&now),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_page_with_another_key_is_refused_naming_both_fingerprints() {
        let pinned = [1u8; 32];
        assert!(matches!(
            check_pinned_key(&pinned, &BASE64.encode(pinned), &[]),
            Ok(None)
        ));
        let err = check_pinned_key(&pinned, &BASE64.encode([2u8; 32]), &[]).expect_err("refused");
        let message = err.to_string();
        assert!(matches!(err, SyncError::ServerKeyChanged { .. }));
        assert!(message.contains(&shown_fingerprint(&pinned)), "{message}");
        assert!(
            message.contains(&shown_fingerprint(&[2u8; 32])),
            "{message}"
        );
        assert!(message.contains("re-enrol"), "{message}");
        assert!(matches!(
            check_pinned_key(&pinned, "not base64", &[]),
            Err(SyncError::Protocol(_))
        ));
    }

    #[test]
    fn a_malformed_code_or_fingerprint_is_refused_before_any_network_call() {
        assert!(matches!(
            expected(ServerCheck::EnrolCode("1234")),
            Err(SyncError::BadEnrolCode(_))
        ));
        assert!(matches!(
            expected(ServerCheck::Fingerprint("UUUU-0000-0000-0000")),
            Err(SyncError::BadFingerprint(_))
        ));
        let (fp, secret) =
            expected(ServerCheck::Fingerprint("0000-0000-0000-0001")).expect("parses");
        assert_eq!(secret, None);
        assert_eq!(enrol_code::format_fingerprint(&fp), "0000-0000-0000-0001");
    }
}
