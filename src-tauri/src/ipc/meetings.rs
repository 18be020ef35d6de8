//! IPC types of one feature: meetings as a member reads them: the list, the agenda, documents and their versions, search and notices.

use serde::Serialize;
use ts_rs::TS;

use super::IpcErrorCode;

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
    /// Set when the item was withdrawn from the agenda (it stays, marked).
    pub withdrawn: Option<WithdrawnView>,
    /// The time the secretary planned for the item, minutes.
    #[ts(type = "number | null")]
    pub planned_minutes: Option<i64>,
    /// A turn's speaking-time limit on this item, ms; `null`: the
    /// committee's default (`MeetingDetail.speakingLimitMs`).
    #[ts(type = "number | null")]
    pub speaking_limit_ms: Option<i64>,
    /// Time on the floor in earlier stretches, ms.
    #[ts(type = "number")]
    pub time_on_floor_ms: i64,
    /// Server time (unix ms) the item was put on the floor, while it is
    /// there: elapsed = `timeOnFloorMs` + (server now − `onFloorSince`).
    #[ts(type = "number | null")]
    pub on_floor_since: Option<i64>,
}

/// A document's readers' policy: the watermark on its pages and whether a
/// copy may leave the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    /// Every page shown carries the reader's name, unit and the time.
    pub reader_watermark: bool,
    /// `allowed`, `watermarked` or `forbidden`.
    pub export: String,
    /// `normal`, `confidential` (mật), `secret` (tối mật) or `top_secret`
    /// (tuyệt mật); anything but normal is read online only, never exported.
    pub classification: String,
}

impl From<ecabinet_protocol::DocumentPolicy> for PolicyView {
    fn from(p: ecabinet_protocol::DocumentPolicy) -> Self {
        PolicyView {
            reader_watermark: p.reader_watermark,
            export: p.export.as_str().to_owned(),
            classification: p.classification.as_str().to_owned(),
        }
    }
}

/// Who withdrew an agenda item or a document, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawnView {
    /// Server time, unix ms.
    #[ts(type = "number")]
    pub at_ms: i64,
    pub by_user_id: String,
    pub reason: String,
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
    /// Reading the words on its scanned pages (OCR), as the server says;
    /// `None` where the server reads none.
    pub text_layer: Option<TextLayerView>,
    /// The policy this version's verified manifest signed (what the device
    /// enforces); `None` until the version is verified here.
    pub policy: Option<PolicyView>,
    /// What the server found of the PDF's embedded signatures at upload
    /// (for the secretary; the viewer checks them again on this device).
    pub upload_signature_check: Option<UploadSignatureCheckView>,
}

/// The server's check of an upload's embedded signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UploadSignatureCheckView {
    /// `unsigned`, `valid`, `warning` or `broken`.
    pub verdict: String,
    /// The signers' names, in file order.
    pub signers: Vec<String>,
    /// The first problem, in English.
    pub problem: Option<String>,
}

/// Where the server's OCR of a version's scanned pages stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TextLayerView {
    /// `queued`, `running`, `ready`, `not_needed` or `failed`.
    pub status: String,
    pub pages_done: u32,
    pub pages_total: u32,
    /// Why it failed, in Vietnamese and English.
    pub error: Option<String>,
    /// The words are on this device: its scanned pages are searchable here.
    pub on_device: bool,
}

/// A document of an agenda item with its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    pub id: String,
    pub agenda_item_id: String,
    pub title: String,
    pub versions: Vec<VersionView>,
    /// Set when the document was withdrawn (it stays, marked).
    pub withdrawn: Option<WithdrawnView>,
    /// The policy the secretary set (its versions carry it once signed again).
    pub policy: PolicyView,
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
    /// The committee's default speaking-time limit of a turn, ms (an
    /// item's own limit overrides it); `null`: none.
    #[ts(type = "number | null")]
    pub speaking_limit_ms: Option<i64>,
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

/// The answer of a meeting search: the hits, and the documents that could
/// not be searched (each named with why), so one unreadable document never
/// hides the others' hits nor goes unmentioned.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MeetingSearchView {
    pub hits: Vec<SearchHitView>,
    pub not_searched: Vec<NotSearchedView>,
}

/// A document of the meeting whose text could not be read for search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NotSearchedView {
    pub document_id: String,
    pub title: String,
    pub version: u32,
    /// Why, as the UI explains it (`document_rejected` for a damaged or
    /// password-protected PDF, …).
    pub code: IpcErrorCode,
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

/// What the presenter of a meeting shows, as this device last synced it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresentationView {
    pub meeting_id: String,
    /// Who presents; `None` when no one has presented in this meeting.
    pub presenter_id: Option<String>,
    pub presenter_name: Option<String>,
    /// The version shown; `None` when nothing is presented now.
    pub version_id: Option<String>,
    /// 0-based page.
    pub page: u32,
    /// The part of the page the presenter points at, `[left, top, right,
    /// bottom]` as fractions of the page; `None`: the whole page.
    #[ts(type = "[number, number, number, number] | null")]
    pub region: Option<[f32; 4]>,
    /// Grows with every change of the presentation.
    #[ts(type = "number")]
    pub step: i64,
    /// I am the presenter.
    pub mine: bool,
    /// I may present (the presenter, or the committee's chair).
    pub can_present: bool,
}
