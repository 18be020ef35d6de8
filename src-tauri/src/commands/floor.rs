//! The meeting room: motions, the speaker queue, attendance; asking to speak
//! and checking in (both outbox operations, so they work offline).

use ecabinet_protocol::PresenceWire;
use tauri::State;

use crate::background::refresh_status;
use crate::ipc::{IpcError, IpcErrorCode, MeetingFloor};
use crate::session::blocking;
use crate::state::AppState;
use ecabinet_sync::now_ms;

/// My role, the motions, the speaker queue and the attendance of a meeting.
#[tauri::command]
pub async fn meeting_floor(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<MeetingFloor, IpcError> {
    let (store, me) = (state.content_store()?, state.user_id()?);
    blocking(move || crate::floor::meeting_floor(&store, &meeting_id, &me)).await
}

/// Asks for the floor on an agenda item; the chair sees it once it is sent.
#[tauri::command]
pub async fn request_to_speak(
    state: State<'_, AppState>,
    agenda_item_id: String,
) -> Result<(), IpcError> {
    let store = state.content_store()?;
    let s = store.clone();
    blocking(move || Ok(ecabinet_sync::request_to_speak(&s, &agenda_item_id, now_ms()).map(drop)?))
        .await?;
    state.wake_push();
    refresh_status(&state, &store, |_| {}).await;
    Ok(())
}

/// Checks me in at a meeting, in the room (`in_room`) or remotely (`online`).
#[tauri::command]
pub async fn check_in(
    state: State<'_, AppState>,
    meeting_id: String,
    presence: String,
) -> Result<(), IpcError> {
    let presence = match presence.as_str() {
        "in_room" => PresenceWire::InRoom,
        "online" => PresenceWire::Online,
        other => {
            return Err(IpcError::new(
                IpcErrorCode::InvalidInput,
                format!("unknown presence {other:?}"),
            ))
        }
    };
    let store = state.content_store()?;
    let s = store.clone();
    blocking(move || Ok(ecabinet_sync::check_in(&s, &meeting_id, presence, now_ms()).map(drop)?))
        .await?;
    state.wake_push();
    refresh_status(&state, &store, |_| {}).await;
    Ok(())
}
