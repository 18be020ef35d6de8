//! Types that cross the IPC boundary to the web UI.
//!
//! TypeScript declarations for these are generated into
//! `ui/src/lib/bindings.ts`; the test `bindings_are_up_to_date` fails when the
//! committed file differs from what the Rust types say
//! (`UPDATE_BINDINGS=1 cargo test -p ecabinet-app bindings` rewrites it).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
    /// The chosen file is not a whole PDF (secretary uploads).
    NotPdf,
    /// The server's upload check found a PDF members could not open
    /// (password, no pages, damaged); the message says which, in Vietnamese
    /// and English.
    UnreadablePdf,
    /// The chosen file is larger than an upload may be.
    FileTooLarge,
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

/// Whether PDFium could be loaded, and which build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PdfiumStatus {
    Loaded { version: String, path: String },
    Unavailable { message: String },
}

/// What the About panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub app_version: String,
    pub pdfium: PdfiumStatus,
}

/// Which screen the app is at: the answer of `session_state`, and the payload
/// of the `session-changed` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum SessionState {
    /// Nothing stored: enrol. `serverUrl` pre-fills the address field.
    FirstRun { server_url: Option<String> },
    /// A store exists and needs the PIN. At `attemptsLeft` 1 the next wrong
    /// PIN wipes the device, erasing `unsentOps` operations (ballots,
    /// attendance, notes) the server has not confirmed.
    Locked {
        failed_attempts: u32,
        attempts_left: u32,
        retry_after_secs: u32,
        unsent_ops: u32,
    },
    /// Unlocked; the meetings are readable.
    Unlocked {
        username: String,
        server_url: String,
    },
    /// An administrator revoked this device and its data was wiped.
    Revoked,
}

/// The status bar: payload of the `sync-status` event and answer of `sync_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, Default)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatusView {
    /// `null` until the first sync attempt has finished.
    pub online: Option<bool>,
    /// A sync round is running.
    pub syncing: bool,
    /// Last successful sync, unix ms.
    #[ts(type = "number | null")]
    pub last_sync_ms: Option<i64>,
    /// Outbox operations not yet answered by the server.
    pub pending_outbox: u32,
    /// Why the last round failed, if it did.
    pub last_error: Option<IpcErrorCode>,
}

/// Download progress: payload of the `sync-progress` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgress {
    pub document_id: String,
    pub version: u32,
    #[ts(type = "number")]
    pub document_done: u64,
    #[ts(type = "number")]
    pub document_total: u64,
    #[ts(type = "number")]
    pub overall_done: u64,
    #[ts(type = "number")]
    pub overall_total: u64,
}

/// A meeting in the list, with how far its documents are downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MeetingSummary {
    pub id: String,
    pub title: String,
    pub location: String,
    /// Start, unix ms.
    #[ts(type = "number")]
    pub starts_at: i64,
    /// `draft`, `published`, `in_session` or `closed`.
    pub status: String,
    /// Document versions of this meeting.
    pub versions_total: u32,
    /// Of those, verified and stored.
    pub versions_ready: u32,
    /// Of those, refused (tampered, truncated, bad signature).
    pub versions_rejected: u32,
}

/// One agenda item as stored (flat; the UI builds the tree).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AgendaItemView {
    pub id: String,
    pub parent_id: Option<String>,
    /// Order among siblings.
    #[ts(type = "number")]
    pub position: i64,
    pub title: String,
}

/// Where a document version stands in the local cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VersionState {
    /// Verified and stored: can be opened.
    Ready,
    /// Not downloaded yet.
    Pending,
    /// Refused; never shown. `reason` is the sync client's English explanation.
    Rejected { reason: String },
}

/// One version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    pub id: String,
    pub version: u32,
    /// A later version replaced this one; it stays readable.
    pub superseded: bool,
    #[ts(type = "number")]
    pub size: u64,
    pub state: VersionState,
}

/// A document of an agenda item with its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    pub id: String,
    pub agenda_item_id: String,
    pub title: String,
    pub versions: Vec<VersionView>,
}

/// The meeting screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MeetingDetail {
    pub meeting: MeetingSummary,
    /// The item the chair has put on the floor.
    pub current_item_id: Option<String>,
    pub agenda: Vec<AgendaItemView>,
    pub documents: Vec<DocumentView>,
}

/// A page's displayed size in PDF points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct PageSizeView {
    pub width: f32,
    pub height: f32,
}

/// An opened document version: its pages are served by the `ecabinet:` scheme.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenedDocumentView {
    pub version_id: String,
    pub pages: Vec<PageSizeView>,
    /// Most pixels (width × height) a page is rendered at; the viewer says a
    /// page over it at the current zoom is too large instead of asking for it.
    #[ts(type = "number")]
    pub max_render_pixels: u64,
}

/// Where one of my ballots stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BallotStateView {
    /// Recorded on this device, not yet sent (offline, or about to be sent).
    Pending,
    /// Sent; the server's answer has not arrived yet.
    Sent,
    /// Counted.
    Accepted,
    /// Replaced by a later ballot of mine.
    Superseded,
    /// Refused; `reason` is the server's code (`closed`, `not_eligible`, …),
    /// which the UI turns into a sentence.
    Rejected { reason: String },
}

/// One ballot I cast, with its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BallotView {
    pub op_id: String,
    pub motion_id: String,
    /// Index into the motion's options.
    pub choice: u32,
    /// Device clock, unix ms.
    #[ts(type = "number")]
    pub cast_at: i64,
    pub state: BallotStateView,
}

/// A motion's tally: the published final result, or the chair's live view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResultView {
    /// No more ballots can change it.
    pub is_final: bool,
    /// Ballots per option, indexed like the motion's options.
    pub counts: Vec<u32>,
    /// Members with an accepted ballot.
    pub participating: u32,
    /// Eligible members present.
    pub present: u32,
    pub eligible: u32,
    pub quorum_required: u32,
    pub quorum_met: bool,
    /// `adopted`, `rejected` or `no_quorum`.
    pub outcome: String,
    /// The audit chain head the final result was published with.
    pub audit_head: Option<String>,
}

/// What only the chair sees while a motion runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChairCountView {
    /// Eligible members whose ballot was received.
    pub received: u32,
    pub eligible: u32,
    /// Named motions: the names of those who have not voted; `null` for secret ones.
    pub not_voted: Option<Vec<String>>,
    pub not_voted_count: u32,
    /// Eligible devices that have not reported since the motion opened.
    pub unsynced_devices: u32,
}

/// The answer of `chair_motion_result`, straight from the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChairResultView {
    pub motion_id: String,
    pub result: ResultView,
    pub chair: Option<ChairCountView>,
}

/// A motion as cached, with my ballot and its published result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MotionView {
    pub id: String,
    pub meeting_id: String,
    pub meeting_title: String,
    pub agenda_item_id: String,
    pub question: String,
    pub options: Vec<String>,
    /// `named` or `secret`.
    pub kind: String,
    /// `live` or `written`.
    pub mode: String,
    /// `draft`, `open` or `closed`.
    pub status: String,
    /// Written consultations: when voting ends, unix ms.
    #[ts(type = "number | null")]
    pub deadline: Option<i64>,
    #[ts(type = "number | null")]
    pub opened_at: Option<i64>,
    #[ts(type = "number | null")]
    pub closed_at: Option<i64>,
    /// Live motions: how long after closing offline ballots still count, ms.
    #[ts(type = "number")]
    pub grace_ms: i64,
    pub may_change_vote: bool,
    /// Members that must take part for the result to count.
    pub quorum: u32,
    /// Whether I may vote on it.
    pub eligible: bool,
    /// My latest ballot on it.
    pub my_ballot: Option<BallotView>,
    /// The published final result.
    pub result: Option<ResultView>,
}

/// A request to speak on an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpeakerView {
    pub id: String,
    pub agenda_item_id: String,
    pub user_id: String,
    pub display_name: String,
    /// `waiting`, `speaking`, `done` or `withdrawn`.
    pub status: String,
    #[ts(type = "number")]
    pub position: i64,
    #[ts(type = "number")]
    pub requested_at: i64,
}

/// A member of the meeting's committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: String,
    pub display_name: String,
    /// `member`, `secretary` or `chair`.
    pub role: String,
    /// `in_room`, `online`, `absent`, or `null` when not marked yet.
    pub presence: Option<String>,
}

/// What happens in the meeting room: my role, the motions, the speaker
/// queue, the attendance. Answer of `meeting_floor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MeetingFloor {
    pub meeting_id: String,
    pub my_user_id: String,
    /// My role in the meeting's committee, if any.
    pub my_role: Option<String>,
    pub motions: Vec<MotionView>,
    pub speakers: Vec<SpeakerView>,
    pub members: Vec<MemberView>,
    /// My check-in is recorded on this device but not yet answered.
    pub check_in_pending: bool,
    /// I asked to speak on these items and the server has not answered yet.
    pub speak_pending: Vec<String>,
}

/// A place in a meeting's documents where the searched words occur.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchHitView {
    pub document_id: String,
    /// The version searched: the newest downloaded one.
    pub version_id: String,
    pub title: String,
    pub version: u32,
    /// 0-based page.
    pub page: u32,
    /// The matched text as printed (with its diacritics).
    pub text: String,
    /// Where it is: `[left, bottom, right, top]` in PDF page coordinates.
    pub rects: Vec<[f32; 4]>,
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A motion I may vote on was opened.
    MotionOpened,
    /// A document arrived (downloaded, ready to open).
    DocumentArrived,
    /// A new version of a document arrived.
    NewVersion,
    /// The chair gave me the floor.
    FloorGranted,
}

/// Something new for this member after a sync round: the payload of the
/// `notices` event, shown as a desktop notification and an in-app banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoticeView {
    pub kind: NoticeKind,
    /// The motion's question, the document's title or the agenda item's title.
    pub title: String,
    pub meeting_id: String,
    pub meeting_title: String,
    /// The motion, document version or speaker request id.
    pub target_id: String,
}

/// A committee in which I prepare meetings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitteeRoleView {
    pub id: String,
    pub name: String,
    /// `secretary` or `chair`.
    pub role: String,
}

/// The secretary workspace's meeting: the meeting as cached, and which of
/// its document versions are not published yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecretaryMeetingView {
    pub detail: MeetingDetail,
    pub unpublished_version_ids: Vec<String>,
}

/// Payload of the `feed-advanced` event: new records were applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FeedAdvancedView {
    #[ts(type = "number")]
    pub cursor: i64,
}

/// A point of an ink stroke in PDF page coordinates; `pressure` (0..=1) when
/// a pen reported it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct InkPointView {
    pub x: f32,
    pub y: f32,
    pub pressure: Option<f32>,
}

/// What an annotation is, with its geometry in PDF page coordinates (points,
/// origin bottom-left of the unrotated page; rectangles are
/// `[left, bottom, right, top]`), so it survives zoom and rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum AnnotationShape {
    /// Pen strokes; `width` is the line width in points.
    Ink {
        strokes: Vec<Vec<InkPointView>>,
        width: f32,
    },
    /// One rectangle per highlighted text line.
    Highlight { rects: Vec<[f32; 4]> },
    /// One rectangle per underlined text line.
    Underline { rects: Vec<[f32; 4]> },
    /// A sticky note whose icon's top-left corner is at (`x`, `y`).
    Note { x: f32, y: f32, text: String },
    /// Text written on the page inside `rect`.
    Text { rect: [f32; 4], text: String },
}

/// One of my annotations on a document version.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationView {
    pub id: String,
    /// 0-based page.
    pub page: u32,
    /// RGBA, alpha 255 = opaque.
    pub color: [u8; 4],
    pub shape: AnnotationShape,
    /// The annotation clock's stamp of the last edit.
    pub updated_at: String,
}

/// A new annotation (`id` null) or a new state of an existing one (an edit,
/// or undoing its deletion).
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationInput {
    pub id: Option<String>,
    pub page: u32,
    pub color: [u8; 4],
    pub shape: AnnotationShape,
}

/// One line of page text, for snapping highlights to it: the line's
/// rectangle and each character's `[left, right]` (PDF page coordinates).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TextLineView {
    pub rect: [f32; 4],
    pub chars: Vec<[f32; 2]>,
}

/// A page's /Rotate (degrees clockwise) and its text lines.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PageTextView {
    pub page: u32,
    pub rotation: u16,
    pub lines: Vec<TextLineView>,
}

/// Where "export with my annotations" wrote the PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    pub path: String,
    /// Annotations written into it.
    pub annotations: u32,
}

/// One member's progress with one document (read status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MemberReadView {
    pub member_id: String,
    pub display_name: String,
    /// When a device of theirs first had the verified bytes, unix ms (their clock).
    #[ts(type = "number | null")]
    pub downloaded_at: Option<i64>,
    /// When they first opened it, unix ms (their clock).
    #[ts(type = "number | null")]
    pub opened_at: Option<i64>,
}

/// The current version of one document of the meeting, member by member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReadView {
    pub document_id: String,
    pub version_id: String,
    pub version: u32,
    pub title: String,
    pub members: Vec<MemberReadView>,
}

/// Answer of `read_status`: who downloaded and opened each document (chair
/// and secretary). `enabled` is false where the committee has read status
/// off; `documents` is then empty and the panel stays hidden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReadStatusView {
    pub meeting_id: String,
    pub enabled: bool,
    pub documents: Vec<DocumentReadView>,
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
        VersionState::decl(&cfg),
        VersionView::decl(&cfg),
        DocumentView::decl(&cfg),
        MeetingDetail::decl(&cfg),
        PageSizeView::decl(&cfg),
        OpenedDocumentView::decl(&cfg),
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
        SearchHitView::decl(&cfg),
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
    ];
    let mut out = String::from(
        "// Generated from src-tauri/src/ipc.rs by ts-rs. Do not edit by hand:\n\
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
