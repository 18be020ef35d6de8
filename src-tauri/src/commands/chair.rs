//! The chair console: live actions that need the server (an `offline` error
//! when it cannot be reached). Their effects come back through the feed.

use ecabinet_protocol::{CreateMotionRequest, MajorityRule, MotionKind, MotionMode};
use ecabinet_sync::chair;
use tauri::State;

use crate::ipc::{ChairResultView, IpcError, IpcErrorCode};
use crate::session::blocking;
use crate::state::AppState;

/// The live tally with who has not voted, straight from the server.
#[tauri::command]
pub async fn chair_motion_result(
    state: State<'_, AppState>,
    motion_id: String,
) -> Result<ChairResultView, IpcError> {
    let r = chair::motion_result(&state.api()?, &motion_id).await?;
    let store = state.store()?;
    blocking(move || crate::floor::chair_result_view(&store, &r)).await
}

#[tauri::command]
pub async fn chair_open_motion(
    state: State<'_, AppState>,
    motion_id: String,
) -> Result<(), IpcError> {
    chair::open_motion(&state.api()?, &motion_id).await?;
    Ok(())
}

#[tauri::command]
pub async fn chair_close_motion(
    state: State<'_, AppState>,
    motion_id: String,
) -> Result<(), IpcError> {
    chair::close_motion(&state.api()?, &motion_id).await?;
    Ok(())
}

/// A draft live motion on an agenda item with the default three options;
/// with `signed_ballots` (named votes only) every ballot must also be signed
/// with the member's token (ký số).
#[tauri::command]
pub async fn chair_create_motion(
    state: State<'_, AppState>,
    agenda_item_id: String,
    question: String,
    secret: bool,
    quorum: u32,
    signed_ballots: Option<bool>,
) -> Result<(), IpcError> {
    if question.trim().is_empty() {
        return Err(IpcError::new(
            IpcErrorCode::InvalidInput,
            "the motion needs a question",
        ));
    }
    let req = CreateMotionRequest {
        question: question.trim().to_owned(),
        options: ecabinet_protocol::default_motion_options(),
        kind: if secret {
            MotionKind::Secret
        } else {
            MotionKind::Named
        },
        majority: MajorityRule::Simple,
        quorum,
        mode: MotionMode::Live,
        deadline: None,
        eligible: None,
        may_change_vote: false,
        grace_ms: ecabinet_protocol::default_grace_ms(),
        signed_ballots: signed_ballots.unwrap_or(false),
    };
    chair::create_motion(&state.api()?, &agenda_item_id, &req).await?;
    Ok(())
}

/// Puts an agenda item on the floor (`null` clears it).
#[tauri::command]
pub async fn chair_set_current_item(
    state: State<'_, AppState>,
    meeting_id: String,
    agenda_item_id: Option<String>,
) -> Result<(), IpcError> {
    chair::set_current_item(&state.api()?, &meeting_id, agenda_item_id.as_deref()).await?;
    Ok(())
}

#[tauri::command]
pub async fn chair_start_meeting(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<(), IpcError> {
    chair::start_meeting(&state.api()?, &meeting_id).await?;
    Ok(())
}

#[tauri::command]
pub async fn chair_close_meeting(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<(), IpcError> {
    chair::close_meeting(&state.api()?, &meeting_id).await?;
    Ok(())
}

#[tauri::command]
pub async fn chair_grant_speaker(
    state: State<'_, AppState>,
    speaker_id: String,
) -> Result<(), IpcError> {
    chair::grant_speaker(&state.api()?, &speaker_id).await?;
    Ok(())
}

/// Sets, extends or lifts the current speaker's time limit (ms from when
/// they were given the floor; `None` lifts it).
#[tauri::command]
pub async fn chair_set_speaking_time(
    state: State<'_, AppState>,
    speaker_id: String,
    time_limit_ms: Option<i64>,
) -> Result<(), IpcError> {
    chair::set_speaking_time(&state.api()?, &speaker_id, time_limit_ms).await?;
    Ok(())
}

#[tauri::command]
pub async fn chair_end_speaker(
    state: State<'_, AppState>,
    speaker_id: String,
) -> Result<(), IpcError> {
    chair::end_speaker(&state.api()?, &speaker_id).await?;
    Ok(())
}
