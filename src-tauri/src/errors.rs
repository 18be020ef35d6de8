//! How the core crates' errors reach the UI: each maps to one [`IpcErrorCode`]
//! the UI translates; the English text goes along for logs only. This is the
//! one mapping: commands (through `?`), the background sync's status and the
//! upload all go through these `From` impls.

use std::time::Duration;

use ecabinet_pdf::PdfError;
use ecabinet_protocol::ErrorCode;
use ecabinet_store::StoreError;
use ecabinet_sync::SyncError;

use crate::ipc::{IpcError, IpcErrorCode};

/// Whole seconds, rounded up: "try again in 0 s" must never be shown while
/// the store still refuses.
pub(crate) fn secs_ceil(d: Duration) -> u32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(secs).unwrap_or(u32::MAX)
}

impl From<StoreError> for IpcError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::NoData => IpcError::new(IpcErrorCode::NoData, message),
            StoreError::WrongPin {
                attempts_left,
                retry_after,
            } => IpcError {
                code: IpcErrorCode::WrongPin,
                message,
                attempts_left: Some(attempts_left),
                retry_after_secs: Some(secs_ceil(retry_after)),
            },
            StoreError::Wiped => IpcError::new(IpcErrorCode::Wiped, message),
            StoreError::PinTooShort { .. } => IpcError::new(IpcErrorCode::InvalidInput, message),
            StoreError::PassphraseTooWeak => IpcError::new(IpcErrorCode::WeakPassphrase, message),
            StoreError::KeystoreUnavailable(_) => {
                IpcError::new(IpcErrorCode::KeystoreUnavailable, message)
            }
            StoreError::DeviceSecretMissing => {
                IpcError::new(IpcErrorCode::KeystoreItemMissing, message)
            }
            StoreError::BlobMissing(_) => IpcError::new(IpcErrorCode::NotFound, message),
            StoreError::BlobCorrupt { .. }
            | StoreError::BlobHashMismatch { .. }
            | StoreError::BlobSizeMismatch { .. } => {
                IpcError::new(IpcErrorCode::DocumentRejected, message)
            }
            _ => IpcError::new(IpcErrorCode::Internal, message),
        }
    }
}

impl From<SyncError> for IpcError {
    fn from(e: SyncError) -> Self {
        let message = e.to_string();
        let code = match e {
            SyncError::Offline(_) => IpcErrorCode::Offline,
            SyncError::DeviceRevoked => IpcErrorCode::DeviceRevoked,
            SyncError::SessionExpired => IpcErrorCode::SessionExpired,
            SyncError::NotEnrolled => IpcErrorCode::NoData,
            SyncError::Store(s) => return IpcError::from(s),
            SyncError::Server { code, .. } => server_code(code),
            SyncError::Protocol(_) => IpcErrorCode::ServerError,
            SyncError::BadServerAddress(_)
            | SyncError::BadCaCertificate(_)
            | SyncError::BadFingerprint(_)
            | SyncError::BadRecordId(_)
            | SyncError::NotAnOption { .. }
            | SyncError::ReasonRequired
            | SyncError::BadComment(_)
            | SyncError::TokenSignatureRequired
            | SyncError::OpinionFormRequired
            | SyncError::UnreadableFile(_)
            | SyncError::AnnotationKeyLocked(_) => IpcErrorCode::InvalidInput,
            // A mistyped code: the first-run screen says to check the code.
            SyncError::BadEnrolCode(_) => IpcErrorCode::InvalidEnrolCode,
            SyncError::FileTooLarge { .. } => IpcErrorCode::FileTooLarge,
            SyncError::NotPdf(_) => IpcErrorCode::NotPdf,
            SyncError::NotInCache { .. } => IpcErrorCode::NotFound,
            SyncError::LeaseExpired { .. } => IpcErrorCode::LeaseExpired,
            SyncError::Internal(_) => IpcErrorCode::Internal,
            SyncError::InsecureUrl { .. } => IpcErrorCode::InsecureUrl,
            SyncError::UntrustedServer(_) => IpcErrorCode::UntrustedServer,
            SyncError::ServerKeyMismatch { .. } => IpcErrorCode::ServerKeyMismatch,
            SyncError::ServerKeyChanged { .. } => IpcErrorCode::ServerKeyChanged,
            SyncError::VersionRefused(_) => IpcErrorCode::DocumentRejected,
            SyncError::ExportForbidden => IpcErrorCode::ExportForbidden,
            SyncError::Classified => IpcErrorCode::Classified,
            SyncError::VersionNotReady(_) => IpcErrorCode::NotFound,
            SyncError::ResponseTooLarge { .. } => IpcErrorCode::ServerError,
            SyncError::TokenFailed(_) => IpcErrorCode::TokenFailed,
        };
        IpcError::new(code, message)
    }
}

/// What a member is told for each error code of the server. No wildcard: a
/// new server code does not compile until it has its answer here.
fn server_code(code: ErrorCode) -> IpcErrorCode {
    match code {
        ErrorCode::Unauthenticated => IpcErrorCode::LoginFailed,
        // The client renews an expired token itself; one that still reaches
        // here could not be renewed.
        ErrorCode::TokenExpired => IpcErrorCode::SessionExpired,
        ErrorCode::DeviceRevoked => IpcErrorCode::DeviceRevoked,
        ErrorCode::InvalidInput | ErrorCode::BadRequest => IpcErrorCode::InvalidInput,
        ErrorCode::NotPdf | ErrorCode::UnsupportedMediaType => IpcErrorCode::NotPdf,
        ErrorCode::UnreadablePdf => IpcErrorCode::UnreadablePdf,
        ErrorCode::PayloadTooLarge => IpcErrorCode::FileTooLarge,
        ErrorCode::NotFound => IpcErrorCode::NotFound,
        ErrorCode::Conflict => IpcErrorCode::Conflict,
        ErrorCode::MeetingClosed => IpcErrorCode::MeetingClosed,
        ErrorCode::NotDeletable => IpcErrorCode::NotDeletable,
        ErrorCode::Forbidden => IpcErrorCode::Forbidden,
        ErrorCode::InvalidEnrolCode => IpcErrorCode::InvalidEnrolCode,
        ErrorCode::RateLimited => IpcErrorCode::RateLimited,
        ErrorCode::AccountDisabled => IpcErrorCode::AccountDisabled,
        // The server failed or cannot reach its storage: try again later,
        // as when it cannot be reached at all.
        ErrorCode::Internal | ErrorCode::Unavailable => IpcErrorCode::Offline,
        // Switched off for the committee, or a range this client did not
        // ask for: nothing the member can do.
        ErrorCode::NotEnabled | ErrorCode::RangeNotSatisfiable => IpcErrorCode::ServerError,
    }
}

impl From<PdfError> for IpcError {
    fn from(e: PdfError) -> Self {
        let message = e.to_string();
        let code = match e {
            PdfError::LibraryNotFound { .. } | PdfError::LibraryLoad { .. } => {
                IpcErrorCode::PdfiumUnavailable
            }
            PdfError::Empty
            | PdfError::Malformed
            | PdfError::PasswordProtected
            | PdfError::UnsupportedSecurity
            | PdfError::NoPages => IpcErrorCode::DocumentRejected,
            PdfError::UnknownDocument(_) | PdfError::PageOutOfRange { .. } => {
                IpcErrorCode::NotFound
            }
            PdfError::InvalidRequest(_) | PdfError::PageTooLarge { .. } => {
                IpcErrorCode::InvalidInput
            }
            _ => IpcErrorCode::Internal,
        };
        IpcError::new(code, message)
    }
}

/// A blocking task that panicked or was cancelled.
pub(crate) fn join_error(e: impl std::fmt::Display) -> IpcError {
    IpcError::new(
        IpcErrorCode::Internal,
        format!("background task failed: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(e: impl Into<IpcError>) -> IpcErrorCode {
        e.into().code
    }

    #[test]
    fn wrong_pin_carries_attempts_left_and_whole_seconds_to_wait() {
        let e = IpcError::from(StoreError::WrongPin {
            attempts_left: 7,
            retry_after: Duration::from_millis(3_200),
        });
        assert_eq!(e.code, IpcErrorCode::WrongPin);
        assert_eq!(e.attempts_left, Some(7));
        assert_eq!(e.retry_after_secs, Some(4));
    }

    /// Every error code the server can send, as the member's screen names it.
    #[test]
    fn every_server_error_code_reaches_the_member_as_its_own_answer() {
        use IpcErrorCode as I;
        let table = [
            (ErrorCode::BadRequest, I::InvalidInput),
            (ErrorCode::Unauthenticated, I::LoginFailed),
            (ErrorCode::Forbidden, I::Forbidden),
            (ErrorCode::NotFound, I::NotFound),
            (ErrorCode::Conflict, I::Conflict),
            (ErrorCode::PayloadTooLarge, I::FileTooLarge),
            (ErrorCode::UnsupportedMediaType, I::NotPdf),
            (ErrorCode::DeviceRevoked, I::DeviceRevoked),
            (ErrorCode::Internal, I::Offline),
            (ErrorCode::InvalidInput, I::InvalidInput),
            (ErrorCode::NotPdf, I::NotPdf),
            (ErrorCode::UnreadablePdf, I::UnreadablePdf),
            (ErrorCode::RangeNotSatisfiable, I::ServerError),
            (ErrorCode::Unavailable, I::Offline),
            (ErrorCode::NotEnabled, I::ServerError),
            (ErrorCode::InvalidEnrolCode, I::InvalidEnrolCode),
            (ErrorCode::MeetingClosed, I::MeetingClosed),
            (ErrorCode::NotDeletable, I::NotDeletable),
            (ErrorCode::TokenExpired, I::SessionExpired),
            (ErrorCode::AccountDisabled, I::AccountDisabled),
            (ErrorCode::RateLimited, I::RateLimited),
        ];
        let listed: Vec<ErrorCode> = table.iter().map(|(c, _)| *c).collect();
        assert_eq!(listed, ErrorCode::ALL, "one row per server code");
        for (code, want) in table {
            let e = IpcError::from(SyncError::Server {
                status: code.http_status(),
                code,
                message: "refused".into(),
            });
            assert_eq!(e.code, want, "{code:?}");
            assert!(e.message.contains("refused"), "{code:?}: {}", e.message);
        }
    }

    #[test]
    fn each_store_and_sync_failure_a_member_can_act_on_has_its_own_code() {
        assert_eq!(code_of(StoreError::NoData), IpcErrorCode::NoData);
        assert_eq!(code_of(StoreError::Wiped), IpcErrorCode::Wiped);
        assert_eq!(
            code_of(StoreError::PassphraseTooWeak),
            IpcErrorCode::WeakPassphrase
        );
        assert_eq!(
            code_of(StoreError::DeviceSecretMissing),
            IpcErrorCode::KeystoreItemMissing
        );
        assert_eq!(
            code_of(StoreError::BlobCorrupt {
                sha256: "ab".into(),
                chunk: 3
            }),
            IpcErrorCode::DocumentRejected
        );
        assert_eq!(
            code_of(SyncError::DeviceRevoked),
            IpcErrorCode::DeviceRevoked
        );
        assert_eq!(
            code_of(SyncError::SessionExpired),
            IpcErrorCode::SessionExpired
        );
        assert_eq!(
            code_of(SyncError::Server {
                status: 401,
                code: ErrorCode::Unauthenticated,
                message: "wrong username or password".into()
            }),
            IpcErrorCode::LoginFailed
        );
        assert_eq!(code_of(PdfError::Malformed), IpcErrorCode::DocumentRejected);
        // A mistyped enrol code is told as an enrol-code problem; a missing
        // withdrawal reason and a too-large file have their own answers.
        assert_eq!(
            code_of(SyncError::BadEnrolCode("wrong length".into())),
            IpcErrorCode::InvalidEnrolCode
        );
        assert_eq!(
            code_of(SyncError::ReasonRequired),
            IpcErrorCode::InvalidInput
        );
        assert_eq!(
            code_of(SyncError::FileTooLarge {
                size_mb: 80,
                max_mb: 64
            }),
            IpcErrorCode::FileTooLarge
        );
    }

    #[test]
    fn each_transport_and_server_key_refusal_has_its_own_code() {
        assert_eq!(
            code_of(SyncError::InsecureUrl {
                host: "ecabinet.example".into()
            }),
            IpcErrorCode::InsecureUrl
        );
        assert_eq!(
            code_of(SyncError::UntrustedServer("UnknownIssuer".into())),
            IpcErrorCode::UntrustedServer
        );
        assert_eq!(
            code_of(SyncError::ServerKeyMismatch {
                expected: "AAAA-AAAA-AAAA-AAAA".into(),
                found: "BBBB-BBBB-BBBB-BBBB".into()
            }),
            IpcErrorCode::ServerKeyMismatch
        );
        assert_eq!(
            code_of(SyncError::ServerKeyChanged {
                pinned: "AAAA-AAAA-AAAA-AAAA".into(),
                now: "BBBB-BBBB-BBBB-BBBB".into()
            }),
            IpcErrorCode::ServerKeyChanged
        );
        assert_eq!(
            code_of(SyncError::Server {
                status: 403,
                code: ErrorCode::InvalidEnrolCode,
                message: "the enrol code is wrong, used or expired".into()
            }),
            IpcErrorCode::InvalidEnrolCode
        );
    }
}
