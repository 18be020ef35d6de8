//! The meetings list and the meeting screen.

use tauri::State;

use crate::ipc::{IpcError, MeetingDetail, MeetingSummary};
use crate::session::blocking;
use crate::state::AppState;
use crate::views;

/// Every meeting in the cache, earliest first, with its download state.
#[tauri::command]
pub async fn list_meetings(state: State<'_, AppState>) -> Result<Vec<MeetingSummary>, IpcError> {
    let store = state.content_store()?;
    blocking(move || views::meetings(&store)).await
}

/// One meeting: agenda, documents and their versions, the current item.
#[tauri::command]
pub async fn meeting_detail(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<MeetingDetail, IpcError> {
    let store = state.content_store()?;
    blocking(move || views::meeting_detail(&store, &meeting_id)).await
}
