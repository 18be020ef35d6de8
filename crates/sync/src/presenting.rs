//! Presenter follow mode (trình chiếu, issue 20): the presenter's calls,
//! and what a follower reads. The position reaches followers through the
//! feed (the meeting's `presentation` record) like everything else, so a
//! follower needs nothing but its usual live sync; pages come from its own
//! cache.

use ecabinet_protocol::{PresentRequest, PresentationBody, SetPresenterRequest};
use ecabinet_store::{Entity, Store};

use crate::api::path_id as id;
use crate::{Api, SyncError};

/// What the presenter of `meeting_id` shows, as this device last synced it.
pub fn presentation_of(
    store: &Store,
    meeting_id: &str,
) -> Result<Option<PresentationBody>, SyncError> {
    store
        .entity(Entity::Presentation, meeting_id)
        .map_err(SyncError::Store)?
        .map(|body| {
            serde_json::from_value(body)
                .map_err(|e| SyncError::Protocol(format!("presentation record: {e}")))
        })
        .transpose()
}

/// `PUT /v1/meetings/{id}/presentation`: shows `page` (0-based) of
/// `version_id`, and `region` of it when given.
pub async fn present(
    api: &Api,
    meeting_id: &str,
    version_id: &str,
    page: u32,
    region: Option<[f32; 4]>,
) -> Result<PresentationBody, SyncError> {
    let req = PresentRequest {
        version_id: version_id.to_owned(),
        page,
        region,
    };
    let path = format!("/v1/meetings/{}/presentation", id(meeting_id)?);
    api.json(api.put(&path).json(&req)).await
}

/// `PUT /v1/meetings/{id}/presenter` (chair): hands presenting to `user_id`,
/// or takes it back (`None`).
pub async fn set_presenter(
    api: &Api,
    meeting_id: &str,
    user_id: Option<&str>,
) -> Result<PresentationBody, SyncError> {
    let req = SetPresenterRequest {
        user_id: user_id.map(str::to_owned),
    };
    let path = format!("/v1/meetings/{}/presenter", id(meeting_id)?);
    api.json(api.put(&path).json(&req)).await
}

/// `DELETE /v1/meetings/{id}/presentation`: stops presenting.
pub async fn stop_presenting(api: &Api, meeting_id: &str) -> Result<PresentationBody, SyncError> {
    let path = format!("/v1/meetings/{}/presentation", id(meeting_id)?);
    api.json(api.delete(&path)).await
}
