//! Document read status for the chair and the secretary: who downloaded
//! and opened each document of a meeting. Live from the server (an `offline`
//! error when it cannot be reached); nothing is asked where the committee
//! has it switched off.

use ecabinet_protocol::{ErrorCode, ReadStatusBody};
use ecabinet_sync::SyncError;
use tauri::State;

use crate::ipc::{DocumentReadView, IpcError, MemberReadView, ReadStatusView};
use crate::session::blocking;
use crate::state::AppState;

#[tauri::command]
pub async fn read_status(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<ReadStatusView, IpcError> {
    let (store, m) = (state.store()?, meeting_id.clone());
    let enabled =
        blocking(move || Ok(ecabinet_sync::meeting_read_status_enabled(&store, &m)?)).await?;
    let off = ReadStatusView {
        meeting_id: meeting_id.clone(),
        enabled: false,
        documents: Vec::new(),
    };
    if !enabled {
        return Ok(off);
    }
    match ecabinet_sync::read_status(&state.api()?, &meeting_id).await {
        Ok(body) => Ok(view_of(body)),
        // Switched off since the last sync: the feed will say so too.
        Err(SyncError::Server {
            code: ErrorCode::NotEnabled,
            ..
        }) => Ok(off),
        Err(e) => Err(e.into()),
    }
}

fn view_of(body: ReadStatusBody) -> ReadStatusView {
    ReadStatusView {
        meeting_id: body.meeting_id,
        enabled: true,
        documents: body
            .documents
            .into_iter()
            .map(|d| DocumentReadView {
                document_id: d.document_id,
                version_id: d.version_id,
                version: d.version,
                title: d.title,
                members: d
                    .members
                    .into_iter()
                    .map(|m| MemberReadView {
                        member_id: m.member_id,
                        display_name: m.display_name,
                        downloaded_at: m.downloaded_at,
                        opened_at: m.opened_at,
                    })
                    .collect(),
            })
            .collect(),
    }
}
