//! Opening a document version for the viewer; its pages are then served by
//! the `ecabinet:` URI scheme (see `pages.rs`), never over IPC.

use tauri::State;

use crate::ipc::{IpcError, OpenedDocumentView};
use crate::session::blocking;
use crate::state::AppState;
use crate::views;

/// Decrypts the version's verified PDF into memory and opens it in PDFium.
#[tauri::command]
pub async fn open_document(
    state: State<'_, AppState>,
    version_id: String,
) -> Result<OpenedDocumentView, IpcError> {
    let state = state.inner().clone();
    blocking(move || views::open_document(&state, &version_id)).await
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
