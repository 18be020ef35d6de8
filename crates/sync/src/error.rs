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
    /// The session has ended and the device key cannot renew it (logout,
    /// the session's lifetime): sign in again with the password
    /// ([`crate::sign_in_again`]); nothing on the device is lost.
    #[error("the session has ended: sign in again with your password (`ecabinet login`, or the app's sign-in screen); this device's data and unsent ballots are kept")]
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
    /// The server address does not parse, or names another scheme than
    /// `https://` (or `http://` to this computer, see `InsecureUrl`).
    #[error("{0}")]
    BadServerAddress(String),
    /// The deployment CA file given at enrolment cannot be used.
    #[error("the deployment CA certificate cannot be used ({0}); ask your administrator for the CA file (PEM)")]
    BadCaCertificate(String),
    /// The enrol code typed in does not parse (a typo: nothing was sent).
    #[error("the enrol code is not valid: {0}")]
    BadEnrolCode(String),
    /// The server fingerprint typed in does not parse.
    #[error("the server fingerprint is not valid: {0}")]
    BadFingerprint(String),
    /// An id from the server that could change a request's path.
    #[error("not a record id: {0:?}")]
    BadRecordId(String),
    /// A ballot's choice that is not one of the motion's options.
    #[error("choice {choice} is not one of the motion's {options} options")]
    NotAnOption { choice: u32, options: usize },
    /// The motion takes only ballots signed with the member's token (ký số).
    #[error("this vote takes ballots signed with your token (ký số): plug in the token and sign the ballot with its PIN")]
    TokenSignatureRequired,
    /// A written consultation's signed ballot goes with its opinion form
    /// (phiếu lấy ý kiến), signed with the same token.
    #[error("this written consultation takes your opinion form (phiếu lấy ý kiến) signed with your token together with the ballot")]
    OpinionFormRequired,
    /// Signing the ballot with the token failed; nothing was recorded.
    #[error("the token could not sign the ballot: {0}")]
    TokenFailed(String),
    /// A comment that could not be kept (empty, too long, a region outside
    /// its page): nothing was queued.
    #[error("the comment cannot be sent: {0}")]
    BadComment(String),
    /// A withdrawal needs its reason: it stays on the record.
    #[error("say why it is withdrawn: the reason stays on the record")]
    ReasonRequired,
    /// A file to attach is over the upload limit; checked before anything
    /// is sent.
    #[error("the file is {size_mb} MB; at most {max_mb} MB can be attached")]
    FileTooLarge { size_mb: u64, max_mb: u64 },
    /// A file to attach is not a whole PDF (no `%PDF-` header, or cut short).
    #[error("{0}")]
    NotPdf(&'static str),
    /// A local file to upload cannot be read (path and reason).
    #[error("cannot read the file {0}")]
    UnreadableFile(String),
    /// A record the request names is not in this device's cache.
    #[error("no {what} {id} in the cache")]
    NotInCache { what: &'static str, id: String },
    /// This device cannot unlock the member's annotation key (it never
    /// received it, or it is still wrapped under a reset password).
    #[error("{0}")]
    AnnotationKeyLocked(&'static str),
    /// A plain `http://` address beyond this computer: refused before any
    /// connection, since the password and the documents would travel in the clear.
    #[error("refusing plain http:// to {host}: only https:// is allowed beyond this computer (loopback)")]
    InsecureUrl { host: String },
    /// The server's TLS certificate is not signed by the system's roots nor
    /// by the deployment CA: an impostor, or a CA the device was not given.
    #[error("the server's certificate is not trusted ({0}): a private deployment CA must be given at enrolment (--ca-cert / the CA field); otherwise this may be an interception — ask your administrator")]
    UntrustedServer(String),
    /// At enrolment, the server's signing key is not the one the enrol code
    /// or the confirmed fingerprint names. Nothing was saved.
    #[error("the server's signing key does not match the enrol code or the fingerprint you were given (expected {expected}, the server sent {found}) — possible interception; nothing was saved")]
    ServerKeyMismatch { expected: String, found: String },
    /// After enrolment, the server signs with another key than the one
    /// pinned at enrolment. Nothing of the answer was accepted.
    #[error("the server's signing key is not the one pinned at enrolment (pinned {pinned}, now {now}); nothing was accepted; contact your administrator; if the key was replaced on purpose, re-enrol with a new enrol code")]
    ServerKeyChanged { pinned: String, now: String },
    /// A classified document (mật and above) is never stored on a device:
    /// it is read from the server, online, in memory only.
    #[error("Tài liệu mật chỉ đọc trực tuyến từ máy chủ, không lưu trên thiết bị này / classified document: it is read online from the server only and nothing of it is kept on this device; connect to the meeting network to read it")]
    Classified,
    /// The document's signed policy forbids copies leaving the app (export
    /// and print); it is read in the viewer only.
    #[error("Tài liệu này không được xuất hoặc in theo quy định của thư ký / this document may not be exported or printed: its policy, set by the secretary and signed by the server, allows reading in the app only")]
    ExportForbidden,
    /// A document version cannot be opened: not verified on this device,
    /// its latest record from the server was refused (e.g. a rollback), or a
    /// newer verified version is missing. The reason says which.
    #[error("this document version cannot be opened: {0}")]
    VersionRefused(String),
    /// A document version is not verified or not downloaded on this device
    /// yet: the next sync brings it.
    #[error("this document version is not available yet: {0}")]
    VersionNotReady(String),
    /// The server sent more than the client accepts for one answer (a feed
    /// page, a JSON body, an event line): a broken or hostile server.
    #[error("the server's answer is too large ({what} over {limit} bytes); the sync stopped here; tell your administrator")]
    ResponseTooLarge { what: &'static str, limit: usize },
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
