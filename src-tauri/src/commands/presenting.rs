//! Presenter follow mode (trình chiếu, issue 20) in the app: what the
//! presenter of a meeting shows (read from this device's cache, which the
//! live sync keeps current), and the presenter's and chair's calls. Pages
//! never travel: a follower's viewer shows them from its own cache.

use ecabinet_store::Entity;
use tauri::State;

use crate::convert::text;
use crate::ipc::{IpcError, PresentationView};
use crate::session::blocking;
use crate::state::AppState;

/// What the presenter of `meeting_id` shows, and whether I may present.
#[tauri::command]
pub async fn presentation(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<PresentationView, IpcError> {
    let store = state.content_store()?;
    let me = state.user_id()?;
    blocking(move || {
        let p = ecabinet_sync::presenting::presentation_of(&store, &meeting_id)?;
        let committee = store
            .entity(Entity::Meeting, &meeting_id)?
            .map(|m| text(&m, "committee_id"))
            .unwrap_or_default();
        let chair = store.memberships(None)?.iter().any(|b| {
            text(b, "user_id") == me
                && text(b, "committee_id") == committee
                && text(b, "role") == "chair"
        });
        let mine = p.as_ref().is_some_and(|p| p.presenter_id == me);
        Ok(PresentationView {
            meeting_id,
            presenter_id: p.as_ref().map(|p| p.presenter_id.clone()),
            presenter_name: p.as_ref().map(|p| p.presenter_name.clone()),
            version_id: p.as_ref().and_then(|p| p.version_id.clone()),
            page: p.as_ref().map_or(0, |p| p.page),
            region: p.as_ref().and_then(|p| p.region),
            step: p.as_ref().map_or(0, |p| p.step),
            mine,
            can_present: mine || chair,
        })
    })
    .await
}

/// Shows page `page` (0-based) of `version_id` to the meeting, with the
/// part of it to look at (`[left, top, right, bottom]`, fractions of the
/// page; the server refuses one out of range).
#[tauri::command]
pub async fn present_page(
    state: State<'_, AppState>,
    meeting_id: String,
    version_id: String,
    page: u32,
    region: Option<[f32; 4]>,
) -> Result<(), IpcError> {
    ecabinet_sync::presenting::present(&state.api()?, &meeting_id, &version_id, page, region)
        .await?;
    Ok(())
}

/// Stops presenting.
#[tauri::command]
pub async fn stop_presenting(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<(), IpcError> {
    ecabinet_sync::presenting::stop_presenting(&state.api()?, &meeting_id).await?;
    Ok(())
}
