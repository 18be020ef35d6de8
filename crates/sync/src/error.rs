use ecabinet_protocol::ErrorCode;
use ecabinet_store::StoreError;

/// Everything the sync client can fail with, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server could not be reached, or the connection broke. Retry later;
    /// the cache and the outbox are untouched.
    #[error("server unreachable: {0}")]
    Offline(#[source] reqwest::Error),
    /// The server answered with an error body.
    #[error("server refused ({status}): {code:?}: {message}")]
    Server {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    /// The server answered something that is not the protocol.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The stored token is no longer accepted: log in again.
    #[error("the session expired: log in again")]
    SessionExpired,
    /// The server reports this device revoked. The local cache has been wiped.
    #[error("this device was revoked by an administrator; its local data was wiped")]
    DeviceRevoked,
    /// The store in this data directory was never enrolled.
    #[error("this device is not enrolled: run enrol first")]
    NotEnrolled,
    /// The device went longer without a successful sync than the server's
    /// offline lease allows: its cache stays closed until it syncs again.
    #[error("this device has not synced for more than {hours} h (the committee's limit); connect to the server and sync to open the documents again")]
    LeaseExpired {
        hours: u32,
        last_sync_ms: Option<i64>,
    },
    /// The request cannot be carried out as asked (e.g. an unknown choice).
    #[error("{0}")]
    Invalid(String),
    /// The local cache failed.
    #[error(transparent)]
    Store(StoreError),
    /// A bug or an impossible state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl SyncError {
    /// Whether retrying later may succeed (network down, server overloaded).
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Offline(_) => true,
            SyncError::Server { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}
