//! The chair console: live actions that need the server (an `offline` error
//! when it cannot be reached). Their effects come back through the feed.

use ecabinet_protocol::{CreateMotionRequest, MajorityRule, MotionKind, MotionMode};
use ecabinet_sync::chair;
use tauri::{AppHandle, Runtime, State};

use crate::ipc::{ChairResultView, IpcError, IpcErrorCode, OpinionFormView, SavedOpinionFormView};
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

/// The option names of cached motion `motion_id` (empty when not cached).
fn options_of(store: &ecabinet_store::Store, motion_id: &str) -> Result<Vec<String>, IpcError> {
    match ecabinet_sync::cached_motion(store, motion_id) {
        Ok(motion) => Ok(ecabinet_sync::motion_options(&motion)),
        Err(ecabinet_sync::SyncError::NotInCache { .. }) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// A written consultation's opinion forms (phiếu lấy ý kiến), as the
/// server lists them.
#[tauri::command]
pub async fn opinion_forms(
    state: State<'_, AppState>,
    motion_id: String,
) -> Result<Vec<OpinionFormView>, IpcError> {
    let list = ecabinet_sync::opinions::list(&state.api()?, &motion_id).await?;
    let store = state.store()?;
    blocking(move || {
        let options = options_of(&store, &motion_id)?;
        Ok(list
            .forms
            .into_iter()
            .map(|f| OpinionFormView {
                member: f.member_name.unwrap_or(f.member_id),
                choice: options.get(f.choice as usize).cloned().unwrap_or_default(),
                counting: f.counting,
                received_at: f.received_at,
                op_id: f.op_id,
            })
            .collect())
    })
    .await
}

/// Saves the forms whose ballots count into `dir` (null: the Downloads
/// folder), each read back against the hash its ballot's signature covers
/// and its own signature checked against the synced trusted roots; an
/// earlier file is never overwritten.
#[tauri::command]
pub async fn save_opinion_forms<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    motion_id: String,
    dir: Option<String>,
) -> Result<Vec<SavedOpinionFormView>, IpcError> {
    let api = state.api()?;
    let list = ecabinet_sync::opinions::list(&api, &motion_id).await?;
    let mut forms = Vec::new();
    for f in list.forms.into_iter().filter(|f| f.counting) {
        let pdf = ecabinet_sync::opinions::fetch(&api, &motion_id, &f).await?;
        forms.push((f, pdf));
    }
    let folder = match dir {
        Some(d) => Some(std::path::PathBuf::from(d)),
        None => super::annotations::export_folder(&app),
    };
    let store = state.content_store()?;
    blocking(move || {
        let trust = ecabinet_sync::trust_store(&store)?;
        let now = ecabinet_sync::now_ms() / 1000;
        let mut saved = Vec::new();
        for (f, pdf) in forms {
            let member = f.member_name.clone().unwrap_or_else(|| f.member_id.clone());
            let verdict = ecabinet_pades::verdict(&ecabinet_pades::verify_bytes(&pdf, &trust, now));
            let stem = format!(
                "Phieu lay y kien - {}",
                super::annotations::clean_name(&member)
            );
            let out = super::annotations::write_export(None, Some(folder.clone()), &stem, &pdf)?;
            saved.push(SavedOpinionFormView {
                member,
                path: out.display().to_string(),
                verdict: serde_json::to_value(verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            });
        }
        Ok(saved)
    })
    .await
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
