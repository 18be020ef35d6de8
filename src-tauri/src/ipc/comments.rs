//! Comments on drafts (góp ý dự thảo) as the viewer's comment panel and
//! the secretary's list show them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A region of a page as fractions of its width and height from the
/// top-left corner (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct CommentRegionView {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// A comment the server holds.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DraftCommentView {
    pub id: String,
    pub version: u32,
    pub author_name: String,
    /// Written by the member using this app.
    pub mine: bool,
    /// 1-based; null for the whole document.
    pub page: Option<u32>,
    pub region: Option<CommentRegionView>,
    pub text: String,
    /// Unix ms (the author's device clock).
    #[ts(type = "number")]
    pub written_at: i64,
    /// Unix ms (the server's clock: what is shown, a device's may be off).
    #[ts(type = "number")]
    pub received_at: i64,
    /// `open`, `accepted`, `answered` or `declined`.
    pub status: String,
    pub reply: Option<String>,
    pub replied_by_name: Option<String>,
    /// Unix ms.
    #[ts(type = "number | null")]
    pub replied_at: Option<i64>,
}

/// A comment this device wrote that the server has not taken (yet): not
/// sent, sent, or refused with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueuedCommentView {
    pub op_id: String,
    pub page: Option<u32>,
    pub text: String,
    /// Unix ms.
    #[ts(type = "number")]
    pub written_at: i64,
    /// `pending`, `sent`, `rejected`, or (only offline) `accepted`.
    pub state: String,
    /// The server's reason when rejected (`meeting_closed`, …).
    pub reason: Option<String>,
}

/// The comments on one document.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DraftCommentsView {
    /// From the server, oldest first; empty when offline.
    pub comments: Vec<DraftCommentView>,
    /// This device's comments on the document not (yet) taken by the
    /// server; offline, also those it took.
    pub queued: Vec<QueuedCommentView>,
    /// The caller answers comments (secretary, chair).
    pub can_respond: bool,
    /// Members see each other's comments.
    pub shared_with_members: bool,
    /// The server could not be reached: only this device's are shown.
    pub offline: bool,
}

/// Where the summary PDF was written.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommentSummaryView {
    pub path: String,
    pub comments: u32,
}
