//! The E-Cabinet sync client.
//!
//! Brings the server's view of a member's committees into the encrypted local
//! cache (`ecabinet-store`) and sends back what the member did offline:
//!
//! - [`enrol`]: log in, make the device's Ed25519 key (kept only inside the
//!   encrypted store), register it, pin the server's manifest-signing key
//!   once its fingerprint matches the enrol code or the confirmed
//!   fingerprint; every pull refuses a server that signs with another key.
//!   `http://` only to this computer; `https://` with the system's roots and
//!   the deployment CA given at enrolment.
//! - [`Syncer::pull`]: page through `/v1/changes` from the stored cursor; each
//!   page and its cursor are applied in one store transaction.
//! - [`Syncer::fetch_documents`]: verify each document version's signed
//!   manifest against the pinned key, refuse rollbacks, download the blob with
//!   resume (`Range` + `If-Range`) straight into encrypted chunks, and let it
//!   become visible only when its SHA-256 matches the manifest.
//! - A revoked device wipes the cache ([`SyncError::DeviceRevoked`]).
//! - Access tokens are short-lived and renewed with the device key on a 401
//!   (`renew`); when the session has ended, [`sign_in_again`] asks only for
//!   the password and keeps the store (outbox included).
//! - [`ensure_open`]: the offline lease — past the server's limit of hours
//!   without a successful sync, content stays closed until a sync succeeds.
//!
//! Everything here is async (tokio + reqwest); store calls run on the blocking
//! pool so they never stall the runtime.

pub mod admin;
pub mod annotations;
mod api;
pub mod chair;
mod clock;
pub mod comments;
mod documents;
mod enrol;
mod error;
mod lease;
mod live;
pub mod opinions;
mod outbox;
pub mod presenting;
mod pull;
mod reader;
mod reading;
mod receipts;
mod renew;
pub mod secretary;
mod session;
mod signatures;
mod status;
mod text_layers;

pub use annotations::{
    delete_annotation, record_annotation, AnnotationCryptoError, AnnotationEdit, RecordedAnnotation,
};
pub use api::Api;
pub use clock::now_ms;
pub use documents::{
    classified_to_open, current_version_to_open, fetch_classified, is_classified, policy_of,
    version_to_open, DocumentOutcome, DocumentsReport, Progress, ProgressSink,
};
pub use enrol::{enrol, server_fingerprint, EnrolRequest, ServerCheck};
pub use error::SyncError;
pub use lease::{ensure_open, lease_state, LeaseState};
pub use live::{LiveEvent, LiveSink};
pub use outbox::{
    ballots, cached_motion, cast_ballot, cast_signed_ballot, check_in, motion_options,
    opinion_form_text, request_to_speak, BallotState, PushReport, TokenSignature, TokenSigner,
};
pub use pull::PullReport;
pub use reader::{document_title, export_watermark, vietnam_time, view_watermark, watermark_lines};
pub use reading::{
    meeting_read_status_enabled, read_status, read_status_enabled, record_opened, report_read,
};
pub use receipts::{receipt_of, ReceiptReport, ReceiptState};
pub use renew::{change_password, sign_in_again};
pub use session::Session;
pub use signatures::{check_signatures, signatures_of, trust_store, trusted_roots_at};
pub use status::SyncStatus;
pub use text_layers::{text_layer_of, TextLayersReport};

use std::sync::Arc;

use ecabinet_store::Store;

/// Tunables of the sync client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// Documents received at once. One received in full is synced, checked
    /// and recorded while the next is received in its place.
    pub concurrency: usize,
    /// Tries per document within one pass before it is left for the next pass.
    pub attempts_per_document: u32,
    /// First retry delay; doubles each retry (with jitter), capped at 10 s.
    pub backoff_base: std::time::Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            concurrency: 4,
            attempts_per_document: 8,
            backoff_base: std::time::Duration::from_millis(200),
        }
    }
}

/// A store and the server it syncs with, for one unlocked session.
#[derive(Clone)]
pub struct Syncer {
    store: Arc<Store>,
    api: Api,
    options: SyncOptions,
}

impl Syncer {
    /// Connects an unlocked store to the server it was enrolled with.
    pub fn new(store: Arc<Store>) -> Result<Syncer, SyncError> {
        let session = Session::load(&store)?.ok_or(SyncError::NotEnrolled)?;
        Ok(Syncer {
            api: Api::new(&session)?.renewing(store.clone(), &session),
            store,
            options: SyncOptions::default(),
        })
    }

    /// Replaces the default tunables.
    pub fn with_options(mut self, options: SyncOptions) -> Syncer {
        self.options = options;
        self
    }

    /// The store this syncer writes to.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The HTTP side.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Runs `f` with the store on tokio's blocking pool.
    async fn with_store<T, F>(&self, f: F) -> Result<T, SyncError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ecabinet_store::StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))?
            .map_err(SyncError::Store)
    }

    /// One full round: pull the feed to its end, then fetch every document
    /// version not yet in the cache. A revoked device wipes the cache.
    pub async fn sync_once(&self, progress: &dyn ProgressSink) -> Result<SyncReport, SyncError> {
        let result = async {
            // Push first, so the pull that follows already carries the
            // effects of what this device did offline.
            let push = self.push().await?;
            let pull = self.pull().await?;
            // Final results just pulled: check this member's ballot receipts.
            self.check_receipts().await?;
            let documents = self.fetch_documents(progress).await?;
            // The words read on scanned pages, for search.
            let text_layers = self.fetch_text_layers().await?;
            // Documents stored in this round may have queued read reports
            // (where the committee wants them): send them now, so a round
            // does not end with work it made itself waiting in the outbox.
            // If the network went away meanwhile they wait for the next push.
            let reports = if documents.stored() > 0 {
                match self.push().await {
                    Ok(r) => r,
                    Err(e) if e.is_transient() => PushReport::default(),
                    Err(e) => return Err(e),
                }
            } else {
                PushReport::default()
            };
            Ok(SyncReport {
                push,
                pull,
                documents,
                text_layers,
                reports,
            })
        }
        .await;
        let now = clock::now_ms();
        match &result {
            Ok(_) => {
                self.with_store(move |s| {
                    lease::record_sync(s, now)?;
                    s.clear_setting(status::LAST_ERROR)
                })
                .await?
            }
            Err(SyncError::DeviceRevoked) => {
                self.wipe_after_revocation()?;
            }
            Err(e) => {
                let msg = e.to_string();
                self.with_store(move |s| s.set_setting(status::LAST_ERROR, &msg))
                    .await?
            }
        }
        result
    }

    fn wipe_after_revocation(&self) -> Result<(), SyncError> {
        ecabinet_store::wipe_dir(self.store.dir()).map_err(SyncError::Store)
    }
}

/// What one [`Syncer::sync_once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The push at the start of the round: what this device did before it.
    pub push: PushReport,
    pub pull: PullReport,
    pub documents: DocumentsReport,
    /// The text layers of scanned pages fetched in this round.
    pub text_layers: TextLayersReport,
    /// The push at the end of the round, of the read reports its downloads
    /// queued (empty when nothing was downloaded).
    pub reports: PushReport,
}
