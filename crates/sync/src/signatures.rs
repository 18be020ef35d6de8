//! Signatures embedded in documents (PAdES), checked on the device against
//! the roots the deployment trusts. The roots come from the server, signed
//! with its pinned key and dated ([`ecabinet_protocol::SignedTrustedRoots`]);
//! the device keeps the newest list it has checked in its encrypted cache,
//! so signatures are checked offline too.

use ecabinet_pades::{SignatureReport, TrustStore};
use ecabinet_protocol::SignedTrustedRoots;
use ecabinet_store::Store;

use crate::{SyncError, Syncer};

/// How far past the server's clock a list's date may be.
const FUTURE_SLACK_MS: i64 = 24 * 3600 * 1000;

/// The stored list (JSON of [`SignedTrustedRoots`]).
const ROOTS_SETTING: &str = "trusted_roots";

fn stored(store: &Store) -> Result<Option<SignedTrustedRoots>, SyncError> {
    store
        .setting(ROOTS_SETTING)
        .map_err(SyncError::Store)?
        .map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| SyncError::Internal(format!("stored trusted roots: {e}")))
        })
        .transpose()
}

/// The roots this device trusts (none until the server sent a list).
pub fn trust_store(store: &Store) -> Result<TrustStore, SyncError> {
    match stored(store)? {
        Some(list) => {
            TrustStore::from_pem(&list.pem).map_err(|e| SyncError::Internal(e.to_string()))
        }
        None => Ok(TrustStore::default()),
    }
}

/// When the stored list was set on the server (unix ms), if there is one.
pub fn trusted_roots_at(store: &Store) -> Result<Option<i64>, SyncError> {
    Ok(stored(store)?.map(|l| l.updated_at))
}

/// Checks the embedded signatures of a stored, verified version, at the
/// server's time as this device knows it.
pub fn signatures_of(store: &Store, version_id: &str) -> Result<Vec<SignatureReport>, SyncError> {
    let version = crate::version_to_open(store, version_id)?;
    let mut reader = store
        .blob_reader(&version.sha256)
        .map_err(SyncError::Store)?;
    check_signatures(store, &mut reader)
}

/// Checks the embedded signatures of a document read some other way (a
/// classified version, in memory).
pub fn check_signatures<R: std::io::Read + std::io::Seek>(
    store: &Store,
    document: &mut R,
) -> Result<Vec<SignatureReport>, SyncError> {
    let trust = trust_store(store)?;
    let offset = store.clock_offset_ms().map_err(SyncError::Store)?;
    let now = (crate::now_ms() + offset) / 1000;
    ecabinet_pades::verify(document, &trust, now).map_err(|e| SyncError::Internal(e.to_string()))
}

impl Syncer {
    /// Fetches the trusted roots when the feed says the server's list is
    /// newer than ours (`at`), checks the server's signature with the
    /// pinned key and that it is newer still, and keeps it. A list that is
    /// unsigned, older, or not certificates is refused with the page.
    pub(crate) async fn refresh_trusted_roots(
        &self,
        at: i64,
        pinned: &[u8],
        server_time: i64,
    ) -> Result<bool, SyncError> {
        let ours = self
            .with_store(|s| s.setting(ROOTS_SETTING))
            .await?
            .and_then(|json| serde_json::from_str::<SignedTrustedRoots>(&json).ok())
            .map(|l| l.updated_at);
        if ours.is_some_and(|ours| ours >= at) {
            return Ok(false);
        }
        let list = self.api.trusted_roots().await?;
        list.verify(pinned).map_err(|e| {
            SyncError::Protocol(format!(
                "the trusted roots the server sent are not signed by its key: {e}"
            ))
        })?;
        // A list dated in the future would shut out every later one.
        if list.updated_at > server_time + FUTURE_SLACK_MS {
            return Err(SyncError::Protocol(
                "the server sent a list of trusted roots dated in the future".into(),
            ));
        }
        if ours.is_some_and(|ours| list.updated_at <= ours) {
            return Err(SyncError::Protocol(
                "the server sent an older list of trusted roots than this device has".into(),
            ));
        }
        TrustStore::from_pem(&list.pem)
            .map_err(|e| SyncError::Protocol(format!("the trusted roots the server sent: {e}")))?;
        let json = serde_json::to_string(&list).map_err(|e| SyncError::Internal(e.to_string()))?;
        self.with_store(move |s| s.set_setting(ROOTS_SETTING, &json))
            .await?;
        Ok(true)
    }
}
