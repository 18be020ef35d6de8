//! Presenter follow mode (trình chiếu): the chair, or the member the chair
//! hands it to, shows a document; every member's viewer follows the
//! document, page and region live. Only the position travels: each device
//! shows the pages from its own cache.

use serde::{Deserialize, Serialize};

/// `PUT /v1/meetings/{id}/presenter` (chair): who presents. `None` gives
/// it back to the chair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SetPresenterRequest {
    #[serde(default)]
    pub user_id: Option<String>,
}

/// `PUT /v1/meetings/{id}/presentation` (the presenter, or the chair):
/// what is shown now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PresentRequest {
    /// A published version of a document of the meeting.
    pub version_id: String,
    /// 0-based page.
    pub page: u32,
    /// The part of the page in view, `[left, top, right, bottom]` as
    /// fractions of the page (0..=1); absent: the whole page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<[f32; 4]>,
}

/// The feed's `presentation` record of a meeting (`id` = the meeting's id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PresentationBody {
    pub meeting_id: String,
    /// Who presents: the chair, or whom the chair handed it to.
    pub presenter_id: String,
    pub presenter_name: String,
    /// The version shown; absent when nothing is presented.
    pub version_id: Option<String>,
    pub page: u32,
    pub region: Option<[f32; 4]>,
    /// Grows with every change, so a follower never goes back to an older one.
    pub step: i64,
    /// When it changed, unix ms (server time).
    pub updated_at: i64,
}
