//! IPC types of one feature: the secretary's and the chair's views: their committees, meetings to prepare, and read status.

use serde::Serialize;
use ts_rs::TS;

use super::MeetingDetail;

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
    /// The largest PDF the server accepts, as it last said: the workspace
    /// refuses a bigger file before reading it.
    #[ts(type = "number")]
    pub max_upload_bytes: u64,
    /// Every document of the meeting carries the reader's watermark.
    pub reader_watermark: bool,
}

/// A PDF being uploaded in parts: the server holds `offset` of `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UploadView {
    pub upload_id: String,
    /// The document the PDF will be the next version of (for a new
    /// attachment, the document made for it).
    pub document_id: String,
    #[ts(type = "number")]
    pub size: u64,
    #[ts(type = "number")]
    pub offset: u64,
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
