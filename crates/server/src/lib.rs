//! E-Cabinet sync server: accounts and roles, the change feed, signed document
//! blobs and live events, over HTTP/JSON under `/v1` (see `ecabinet-protocol`).
//!
//! Metadata lives in SQLite (default) or PostgreSQL behind [`db::Conn`]; blob
//! bytes on the local filesystem or an S3-API store behind [`blobs::BlobStore`].
//! No state lives only in one process's memory, so several server processes
//! can serve the same committees from one PostgreSQL and one object store;
//! the one exception is the login throttle ([`throttle`]), which each
//! process keeps for itself.

pub mod access;
pub mod agenda;
pub mod annotations;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod blobs;
pub mod clock;
pub mod comments;
pub mod db;
pub mod devices;
pub mod enrol_codes;
pub mod error;
pub mod key_rotation;
pub mod logging;
pub mod member_certificates;
pub mod metrics;
pub mod motions;
pub mod ocr;
pub mod pdf_check;
pub mod reads;
pub mod records;
pub mod routes;
pub mod seed;
pub mod serve_config;
pub mod sessions;
pub mod signer;
pub mod speakers;
pub mod throttle;
pub mod tls;
pub mod trusted_roots;
pub mod versions;

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

pub use error::AppError;
pub use routes::{app, ROUTES};

use blobs::BlobStore;
use clock::Clock;
use db::Db;
use signer::Signer;

/// Tunables of a server instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest accepted PDF upload, bytes.
    pub max_upload_bytes: usize,
    /// Lifetime of an access token; the device renews it with its key.
    pub token_ttl_ms: i64,
    /// Lifetime of a session (a password login): past it the device must
    /// sign in again with the password.
    pub session_ttl_ms: i64,
    /// Hours a device may go without a successful sync before its cache
    /// refuses to open (`None`: no lease). Told to clients in every feed page.
    pub offline_lease_hours: Option<u32>,
    /// Take the client's address for login throttling from the last
    /// `X-Forwarded-For` entry (`serve --behind-tls-proxy`); otherwise the
    /// TCP peer, since any client can write that header.
    pub trust_forwarded_for: bool,
    /// PEM CA certificate(s) trusted, besides the system's roots, for a
    /// PostgreSQL URL with `sslmode=require`.
    pub database_ca_cert: Option<std::path::PathBuf>,
    /// How uploaded PDFs are checked before they are accepted.
    pub pdf_check: pdf_check::PdfCheck,
    /// The bearer token `GET /metrics` asks for; `None` turns it off.
    pub metrics_token: Option<String>,
    /// How scanned pages are read for search.
    pub ocr: ocr::OcrConfig,
    /// The server runs on a network isolated from the internet, so it may
    /// hold classified documents (`--isolated-network`); otherwise marking a
    /// document classified is refused.
    pub isolated_network: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_upload_bytes: 64 * 1024 * 1024,
            token_ttl_ms: 15 * 60 * 1000,
            session_ttl_ms: 30 * 24 * 3600 * 1000,
            offline_lease_hours: None,
            trust_forwarded_for: false,
            database_ca_cert: None,
            pdf_check: pdf_check::PdfCheck::default(),
            metrics_token: None,
            ocr: ocr::OcrConfig::default(),
            isolated_network: false,
        }
    }
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<StateInner>);

pub struct StateInner {
    pub db: Db,
    pub blobs: Arc<dyn BlobStore>,
    pub signer: Signer,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    /// Failed logins of this process (see [`throttle`]).
    pub login_throttle: throttle::LoginThrottle,
    /// What operators watch (see [`metrics`]).
    pub metrics: metrics::Metrics,
    /// One text layer read at a time (see [`ocr`]).
    pub ocr_gate: ocr::OcrGate,
    /// Resumable uploads' hashes between their parts (see [`routes::uploads`]).
    pub upload_hashes: routes::uploads::RunningHashes,
}

impl Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        db: Db,
        blobs: Arc<dyn BlobStore>,
        signer: Signer,
        clock: Arc<dyn Clock>,
        config: Config,
    ) -> Self {
        let state = AppState(Arc::new(StateInner {
            db,
            blobs,
            signer,
            clock,
            config,
            login_throttle: throttle::LoginThrottle::default(),
            metrics: metrics::Metrics::default(),
            ocr_gate: ocr::OcrGate::default(),
            upload_hashes: routes::uploads::RunningHashes::default(),
        }));
        // Final results reach the feed with no request (votes issue).
        routes::results::spawn_finaliser(&state);
        state
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Why a server could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(transparent)]
    Blobs(#[from] blobs::BlobError),
    #[error(transparent)]
    Signer(#[from] signer::SignerError),
    /// The signing key does not go with the database (see [`key_rotation`]).
    #[error("{0}")]
    Key(String),
}

/// Opens (creating as needed) the server of a data directory: the signing
/// key `DIR/signing-key.pk8`, the database (`database_url`, or
/// `DIR/ecabinet.sqlite3`), and the blob store (`blob_store`, or `DIR/blobs`).
pub async fn open(
    data_dir: &Path,
    database_url: Option<&str>,
    blob_store: Option<&str>,
    config: Config,
) -> Result<AppState, OpenError> {
    std::fs::create_dir_all(data_dir).map_err(|source| OpenError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let url = match database_url {
        Some(u) => u.to_owned(),
        None => data_dir.join("ecabinet.sqlite3").display().to_string(),
    };
    let database_ca_cert = config.database_ca_cert.clone();
    let db =
        tokio::task::spawn_blocking(move || Db::open_with_ca(&url, database_ca_cert.as_deref()))
            .await
            .map_err(|e| db::DbError::Unavailable(e.to_string()))??;
    let signer = key_rotation::settle_key_file(data_dir, &db).await?;
    let blobs = blobs::open(blob_store, data_dir.join("blobs"))?;
    Ok(AppState::new(
        db,
        blobs,
        signer,
        Arc::new(clock::SystemClock),
        config,
    ))
}
