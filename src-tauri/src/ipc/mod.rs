//! Types that cross the IPC boundary to the web UI: here the error type and
//! the event names; the views, grouped by feature, in the submodules
//! (`session`, `meetings`, `documents`, `floor`, `secretary`, `admin`).
//!
//! TypeScript declarations for these are generated into
//! `ui/src/lib/bindings.ts`; the test `bindings_are_up_to_date` fails when the
//! committed file differs from what the Rust types say
//! (`UPDATE_BINDINGS=1 cargo test -p ecabinet-app bindings` rewrites it).

use serde::Serialize;
use ts_rs::TS;

mod admin;
mod comments;
mod documents;
mod floor;
mod meetings;
mod secretary;
mod session;

pub use admin::{
    AdminCommitteeView, AdminDeviceView, AdminDirectoryView, AdminMembershipView, AdminUserView,
    EnrolCodeView, SigningCertificateView, TrustedRootView, TrustedRootsAdminView,
};
pub use comments::{
    CommentRegionView, CommentSummaryView, DraftCommentView, DraftCommentsView, QueuedCommentView,
};
pub use documents::{
    AccessEntryView, AccessRegisterIpcView, AnnotationInput, AnnotationShape, AnnotationView,
    ExportView, InkPointView, OpenedDocumentView, PageSizeView, PageTextView, SignatureView,
    SignaturesView, SignedVersionView, TextLineView,
};
pub use floor::{
    BallotStateView, BallotView, ChairCountView, ChairResultView, MeetingFloor, MemberView,
    MotionView, OpinionFormView, ResultView, SavedOpinionFormView, SpeakerView,
};
pub use meetings::{
    AgendaItemView, DocumentView, MeetingDetail, MeetingSearchView, MeetingSummary,
    NotSearchedView, NoticeKind, NoticeView, PolicyView, PresentationView, SearchHitView,
    TextLayerView, UploadSignatureCheckView, VersionState, VersionView, WithdrawnView,
};
pub use secretary::{
    CommitteeRoleView, DocumentReadView, MemberReadView, ReadStatusView, SecretaryMeetingView,
    UploadView,
};
pub use session::{
    AppInfo, FeedAdvancedView, PdfiumStatus, SessionState, SyncProgress, SyncStatusView,
};

/// The closed set of error codes the UI branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorCode {
    /// Nothing stored on this device: enrol first.
    NoData,
    /// The PIN was wrong; `attemptsLeft` and `retryAfterSecs` (the wait
    /// the next attempt will serve) are set.
    WrongPin,
    /// No system keyring is reachable, so the PIN must be a strong passphrase.
    WeakPassphrase,
    /// The system keyring holding this device's secret cannot be reached.
    KeystoreUnavailable,
    /// The keyring no longer holds this device's secret (copied folder,
    /// reset keyring): the data cannot be opened; enrol again.
    KeystoreItemMissing,
    /// The last allowed wrong PIN wiped the local data.
    Wiped,
    /// The server cannot be reached.
    Offline,
    /// The server refused the user name or password.
    LoginFailed,
    /// A plain `http://` address beyond this computer: refused before
    /// connecting; use the `https://` address.
    InsecureUrl,
    /// The server's certificate is not trusted: give the deployment's CA
    /// certificate, or this is an interception.
    UntrustedServer,
    /// The enrol code is wrong, used or expired: ask for a new one.
    InvalidEnrolCode,
    /// At enrolment the server's key does not match the enrol code or the
    /// confirmed fingerprint (possible interception); nothing was saved.
    ServerKeyMismatch,
    /// The server signs with another key than the one pinned at enrolment:
    /// nothing was accepted; contact the administrator.
    ServerKeyChanged,
    /// An administrator revoked this device; its data was wiped.
    DeviceRevoked,
    /// The server no longer accepts this device's session: sign in again
    /// with the password (`sign_in_again`); the device's data is kept.
    SessionExpired,
    /// Too many failed logins for this user or from this address: wait
    /// (the message says how long) and try again.
    RateLimited,
    /// An administrator disabled this account.
    AccountDisabled,
    /// The command was called while the store is locked.
    NotUnlocked,
    /// An argument breaks a rule (PIN too short, malformed address, …).
    InvalidInput,
    /// The record is not (or not yet) in the local cache.
    NotFound,
    /// A document failed verification or is not a readable PDF; never shown.
    DocumentRejected,
    /// The PDF library could not be loaded.
    PdfiumUnavailable,
    /// The device went longer without syncing than the committee allows: the
    /// documents stay closed until a sync succeeds.
    LeaseExpired,
    /// The action does not fit the current state (a motion already closed,
    /// a meeting not in session, already in the speaker queue, …).
    Conflict,
    /// The signed-in user's role does not allow the action (chair only).
    Forbidden,
    /// The document's signed policy forbids copies leaving the app (export,
    /// print); the message says so in Vietnamese and English.
    ExportForbidden,
    /// A classified document is read online from the server only (never
    /// stored on the device); the message says so in both languages.
    Classified,
    /// The chosen file is not a whole PDF (secretary uploads).
    NotPdf,
    /// The server's upload check found a PDF members could not open
    /// (password, no pages, damaged); the message says which, in Vietnamese
    /// and English.
    UnreadablePdf,
    /// The chosen file is larger than an upload may be.
    FileTooLarge,
    /// The signing token refused or failed (a wrong or locked PIN, not
    /// plugged in, no key or certificate on it); the message says which.
    TokenFailed,
    /// The meeting is closed, and a closed meeting is read-only.
    MeetingClosed,
    /// The record can no longer be deleted (its meeting has started, or a
    /// motion under it has ballots): supersede or withdraw it instead.
    NotDeletable,
    /// The server answered with an error the member cannot act on.
    ServerError,
    /// A bug or an impossible state.
    Internal,
}

/// Every command's error: a code for the UI to act on, an English message for
/// logs (the UI shows its own translated text per code), and the structured
/// details some codes carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{code:?}: {message}")]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
    /// For `wrong_pin`: attempts left before the local data is wiped.
    pub attempts_left: Option<u32>,
    /// For `wrong_pin`: seconds the next attempt will wait before checking the PIN.
    pub retry_after_secs: Option<u32>,
}

impl IpcError {
    /// An error without structured details.
    pub fn new(code: IpcErrorCode, message: impl Into<String>) -> IpcError {
        IpcError {
            code,
            message: message.into(),
            attempts_left: None,
            retry_after_secs: None,
        }
    }
}

/// Names of the events the shell emits, with the payload type of each.
pub mod events {
    /// Payload [`super::SyncStatusView`].
    pub const SYNC_STATUS: &str = "sync-status";
    /// Payload [`super::SyncProgress`].
    pub const SYNC_PROGRESS: &str = "sync-progress";
    /// Payload [`super::SessionState`].
    pub const SESSION_CHANGED: &str = "session-changed";
    /// Payload [`super::FeedAdvancedView`]: the open screen refreshes.
    pub const FEED_ADVANCED: &str = "feed-advanced";
    /// Payload `Vec<`[`super::BallotView`]`>`: every ballot of mine, after one changed state.
    pub const VOTES_CHANGED: &str = "votes-changed";
    /// Payload `Vec<`[`super::NoticeView`]`>`: what is new since the last sync round.
    pub const NOTICES: &str = "notices";
}

/// The generated TypeScript for every IPC type, in a stable order.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        IpcErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
        PdfiumStatus::decl(&cfg),
        AppInfo::decl(&cfg),
        SessionState::decl(&cfg),
        SyncStatusView::decl(&cfg),
        SyncProgress::decl(&cfg),
        MeetingSummary::decl(&cfg),
        AgendaItemView::decl(&cfg),
        WithdrawnView::decl(&cfg),
        VersionState::decl(&cfg),
        VersionView::decl(&cfg),
        UploadSignatureCheckView::decl(&cfg),
        PresentationView::decl(&cfg),
        DocumentView::decl(&cfg),
        MeetingDetail::decl(&cfg),
        PageSizeView::decl(&cfg),
        OpenedDocumentView::decl(&cfg),
        SignatureView::decl(&cfg),
        SignaturesView::decl(&cfg),
        SignedVersionView::decl(&cfg),
        AccessRegisterIpcView::decl(&cfg),
        AccessEntryView::decl(&cfg),
        BallotStateView::decl(&cfg),
        BallotView::decl(&cfg),
        ResultView::decl(&cfg),
        ChairCountView::decl(&cfg),
        ChairResultView::decl(&cfg),
        MotionView::decl(&cfg),
        SpeakerView::decl(&cfg),
        MemberView::decl(&cfg),
        MeetingFloor::decl(&cfg),
        FeedAdvancedView::decl(&cfg),
        CommitteeRoleView::decl(&cfg),
        SecretaryMeetingView::decl(&cfg),
        TextLayerView::decl(&cfg),
        PolicyView::decl(&cfg),
        UploadView::decl(&cfg),
        SearchHitView::decl(&cfg),
        NotSearchedView::decl(&cfg),
        MeetingSearchView::decl(&cfg),
        NoticeKind::decl(&cfg),
        NoticeView::decl(&cfg),
        InkPointView::decl(&cfg),
        AnnotationShape::decl(&cfg),
        AnnotationView::decl(&cfg),
        AnnotationInput::decl(&cfg),
        TextLineView::decl(&cfg),
        PageTextView::decl(&cfg),
        ExportView::decl(&cfg),
        MemberReadView::decl(&cfg),
        DocumentReadView::decl(&cfg),
        ReadStatusView::decl(&cfg),
        AdminCommitteeView::decl(&cfg),
        AdminMembershipView::decl(&cfg),
        AdminDeviceView::decl(&cfg),
        TrustedRootsAdminView::decl(&cfg),
        TrustedRootView::decl(&cfg),
        SigningCertificateView::decl(&cfg),
        CommentRegionView::decl(&cfg),
        DraftCommentView::decl(&cfg),
        QueuedCommentView::decl(&cfg),
        DraftCommentsView::decl(&cfg),
        CommentSummaryView::decl(&cfg),
        OpinionFormView::decl(&cfg),
        SavedOpinionFormView::decl(&cfg),
        AdminUserView::decl(&cfg),
        AdminDirectoryView::decl(&cfg),
        EnrolCodeView::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from src-tauri/src/ipc/ by ts-rs. Do not edit by hand:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p ecabinet-app bindings`.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "export const EVENTS = {{ syncStatus: \"{}\", syncProgress: \"{}\", sessionChanged: \"{}\", feedAdvanced: \"{}\", votesChanged: \"{}\", notices: \"{}\" }} as const;\n",
        events::SYNC_STATUS,
        events::SYNC_PROGRESS,
        events::SESSION_CHANGED,
        events::FEED_ADVANCED,
        events::VOTES_CHANGED,
        events::NOTICES
    ));
    out
}
