//! The chair's actions: typed calls to the server's chair API.
//!
//! Unlike ballots, these are not outbox operations: the chair runs the
//! session live, so each call needs the network and answers at once
//! ([`SyncError::Offline`] when the server cannot be reached). What they
//! change reaches every device, the chair's included, through the feed.

use crate::api::path_id as id;
use crate::{Api, SyncError};
use ecabinet_protocol::{
    CreateMotionRequest, MeetingBody, MotionBody, MotionResultBody, SetCurrentItemRequest,
    SpeakerRequestBody,
};

/// `POST /v1/meetings/{id}/start`: the meeting goes in session.
pub async fn start_meeting(api: &Api, meeting_id: &str) -> Result<MeetingBody, SyncError> {
    api.post_for(&format!("/v1/meetings/{}/start", id(meeting_id)?))
        .await
}

/// `POST /v1/meetings/{id}/close`: ends the session and its open live votes.
pub async fn close_meeting(api: &Api, meeting_id: &str) -> Result<MeetingBody, SyncError> {
    api.post_for(&format!("/v1/meetings/{}/close", id(meeting_id)?))
        .await
}

/// `PUT /v1/meetings/{id}/current-item`: puts an item on the floor (`None` clears it).
pub async fn set_current_item(
    api: &Api,
    meeting_id: &str,
    agenda_item_id: Option<&str>,
) -> Result<MeetingBody, SyncError> {
    let body = SetCurrentItemRequest {
        agenda_item_id: agenda_item_id.map(id).transpose()?.map(str::to_owned),
    };
    let path = format!("/v1/meetings/{}/current-item", id(meeting_id)?);
    api.json(api.put(&path).json(&body)).await
}

/// `POST /v1/agenda/{id}/motions`: a draft motion on an agenda item.
pub async fn create_motion(
    api: &Api,
    agenda_item_id: &str,
    req: &CreateMotionRequest,
) -> Result<MotionBody, SyncError> {
    let path = format!("/v1/agenda/{}/motions", id(agenda_item_id)?);
    api.json(api.post(&path).json(req)).await
}

/// `POST /v1/motions/{id}/open`: voting starts on every member's device.
pub async fn open_motion(api: &Api, motion_id: &str) -> Result<MotionBody, SyncError> {
    api.post_for(&format!("/v1/motions/{}/open", id(motion_id)?))
        .await
}

/// `POST /v1/motions/{id}/close`: voting stops; offline ballots are still
/// received during the motion's grace period.
pub async fn close_motion(api: &Api, motion_id: &str) -> Result<MotionBody, SyncError> {
    api.post_for(&format!("/v1/motions/{}/close", id(motion_id)?))
        .await
}

/// `GET /v1/motions/{id}/result`: the tally with the chair's view (received,
/// eligible, who has not voted). Reading a result that has become final
/// publishes it to every member through the feed.
pub async fn motion_result(api: &Api, motion_id: &str) -> Result<MotionResultBody, SyncError> {
    api.json(api.get(&format!("/v1/motions/{}/result", id(motion_id)?)))
        .await
}

/// `POST /v1/speakers/{id}/grant`: gives the floor (whoever had it yields).
pub async fn grant_speaker(api: &Api, speaker_id: &str) -> Result<SpeakerRequestBody, SyncError> {
    api.post_for(&format!("/v1/speakers/{}/grant", id(speaker_id)?))
        .await
}

/// `PUT /v1/speakers/{id}/time-limit`: the current speaker's time limit, ms
/// from when they were given the floor (`None` lifts it).
pub async fn set_speaking_time(
    api: &Api,
    speaker_id: &str,
    time_limit_ms: Option<i64>,
) -> Result<SpeakerRequestBody, SyncError> {
    let path = format!("/v1/speakers/{}/time-limit", id(speaker_id)?);
    api.json(
        api.put(&path)
            .json(&ecabinet_protocol::SpeakingTimeRequest { time_limit_ms }),
    )
    .await
}

/// `POST /v1/speakers/{id}/end`: ends the current speech.
pub async fn end_speaker(api: &Api, speaker_id: &str) -> Result<SpeakerRequestBody, SyncError> {
    api.post_for(&format!("/v1/speakers/{}/end", id(speaker_id)?))
        .await
}

#[cfg(test)]
mod tests {
    use super::id;

    #[test]
    fn ids_that_could_change_the_path_are_refused() {
        assert!(id("0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b").is_ok());
        for bad in ["", "a/b", "../x", "a?b", "a b", "a%2f"] {
            assert!(id(bad).is_err(), "{bad:?} accepted");
        }
    }
}
