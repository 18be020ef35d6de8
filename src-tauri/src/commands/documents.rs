//! Opening a document version for the viewer (its pages are then served by
//! the `ecabinet:` URI scheme, see `pages.rs`, never over IPC), and search.

use tauri::State;

use crate::ipc::{IpcError, OpenedDocumentView, SearchHitView};
use crate::session::blocking;
use crate::state::AppState;
use crate::views;
use ecabinet_sync::now_ms;

/// Decrypts the version's verified PDF into memory and opens it in PDFium.
/// Where the committee has read status on, the first open is reported.
#[tauri::command]
pub async fn open_document(
    state: State<'_, AppState>,
    version_id: String,
) -> Result<OpenedDocumentView, IpcError> {
    let s = state.inner().clone();
    let (view, reported) = blocking(move || {
        let view = views::open_document(&s, &version_id)?;
        let store = s.store()?;
        let reported = ecabinet_sync::record_opened(&store, &version_id, now_ms())?;
        Ok((view, reported))
    })
    .await?;
    if reported.is_some() {
        state.wake_push();
    }
    Ok(view)
}

/// Closes a version opened by `open_document`; its pages stop being served.
#[tauri::command]
pub async fn close_document(
    state: State<'_, AppState>,
    version_id: String,
) -> Result<(), IpcError> {
    let state = state.inner().clone();
    blocking(move || {
        if let Some(handle) = state.remove_document(&version_id) {
            state.pdf()?.close(handle)?;
        }
        Ok(())
    })
    .await
}

/// Searches the text of the meeting's documents offline (diacritics folded:
/// "quyet dinh" finds "quyết định").
#[tauri::command]
pub async fn search_meeting(
    state: State<'_, AppState>,
    meeting_id: String,
    query: String,
) -> Result<Vec<SearchHitView>, IpcError> {
    let state = state.inner().clone();
    blocking(move || crate::search::search_meeting(&state, &meeting_id, &query)).await
}
