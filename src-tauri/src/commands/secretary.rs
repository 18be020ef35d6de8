//! The secretary workspace: preparing a meeting against the server (an
//! `offline` error when it cannot be reached). Each action wakes the sync, so
//! its effect comes back through the feed like everything else; the screen
//! reads the draft from the local cache.
//!
//! PDFs arrive in parts, each a raw IPC body (no base64 over IPC) that goes
//! on to the server's resumable upload as it comes: the shell never holds a
//! whole file, whatever its size, and writes nothing to disk. The workspace
//! drives the parts, shows the progress and resumes after a dropped
//! connection from the offset the server holds.

use ecabinet_protocol::{CreateAgendaItemRequest, CreateMeetingRequest, UpdateMeetingRequest};
use ecabinet_store::{Entity, Store};
use ecabinet_sync::secretary;
use std::collections::HashMap;

use ecabinet_protocol::UploadBody;
use serde_json::Value;
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use crate::convert::text;
use crate::ipc::{CommitteeRoleView, IpcError, IpcErrorCode, SecretaryMeetingView, UploadView};
use crate::session::blocking;
use crate::state::AppState;

/// Header of an upload part: the upload it belongs to.
pub const UPLOAD_HEADER: &str = "x-ecabinet-upload";
/// Header of an upload part: the offset of its first byte in the file.
pub const OFFSET_HEADER: &str = "x-ecabinet-offset";
/// The largest part the workspace sends in one call (it sends 8 MiB).
pub const MAX_PART_BYTES: usize = 16 * 1024 * 1024;

/// Uploads this session has under way, by upload id.
#[derive(Default)]
struct Uploads(HashMap<String, Pending>);

struct Pending {
    document_id: String,
    /// The document was made for this upload (a new attachment): it goes
    /// again if the upload fails or is cancelled, so no empty document is
    /// left for members.
    made_document: bool,
}

/// Committees in which I prepare meetings (secretary or chair), by name.
fn my_editor_committees(store: &Store, me: &str) -> Result<Vec<CommitteeRoleView>, IpcError> {
    let mut out = Vec::new();
    for b in store.memberships(None)? {
        let role = text(&b, "role");
        if text(&b, "user_id") != me || !matches!(role.as_str(), "secretary" | "chair") {
            continue;
        }
        let id = text(&b, "committee_id");
        let name = store
            .entity(Entity::Committee, &id)?
            .map(|c| text(&c, "name"))
            .unwrap_or_else(|| id.clone());
        out.push(CommitteeRoleView { id, name, role });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// The meeting as its secretary sees it: what members see, plus which
/// versions are still unpublished (those have no signed manifest yet, so the
/// member view would call them refused).
fn secretary_view(store: &Store, meeting_id: &str) -> Result<SecretaryMeetingView, IpcError> {
    let detail = crate::views::meeting_detail(store, meeting_id)?;
    let mut unpublished = Vec::new();
    for d in &detail.documents {
        for v in store.document_versions(&d.id)? {
            if v.body.get("published").and_then(Value::as_bool) != Some(true) {
                unpublished.push(v.id);
            }
        }
    }
    let reader_watermark = store
        .entity(Entity::Meeting, meeting_id)?
        .and_then(|m| m.get("reader_watermark").and_then(Value::as_bool))
        .unwrap_or(false);
    Ok(SecretaryMeetingView {
        detail,
        unpublished_version_ids: unpublished,
        max_upload_bytes: secretary::upload_limit(store),
        reader_watermark,
    })
}

fn invalid(message: &str) -> IpcError {
    IpcError::new(IpcErrorCode::InvalidInput, message)
}

fn header(request: &Request<'_>, name: &str) -> Result<String, IpcError> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| invalid("a header of the upload part is missing"))
}

/// Committees where I am secretary or chair; empty hides the workspace.
#[tauri::command]
pub async fn secretary_committees(
    state: State<'_, AppState>,
) -> Result<Vec<CommitteeRoleView>, IpcError> {
    let (store, me) = (state.store()?, state.user_id()?);
    blocking(move || my_editor_committees(&store, &me)).await
}

/// A meeting from the cache with its draft versions marked.
#[tauri::command]
pub async fn secretary_meeting(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<SecretaryMeetingView, IpcError> {
    let store = state.store()?;
    blocking(move || secretary_view(&store, &meeting_id)).await
}

/// A draft meeting; answers its id.
#[tauri::command]
pub async fn secretary_create_meeting(
    state: State<'_, AppState>,
    committee_id: String,
    title: String,
    location: String,
    starts_at: i64,
) -> Result<String, IpcError> {
    let req = CreateMeetingRequest {
        title,
        location,
        starts_at,
    };
    let m = secretary::create_meeting(&state.api()?, &committee_id, &req).await?;
    state.wake_sync()?;
    Ok(m.id)
}

#[tauri::command]
pub async fn secretary_update_meeting(
    state: State<'_, AppState>,
    meeting_id: String,
    title: String,
    location: String,
    starts_at: i64,
) -> Result<(), IpcError> {
    let req = UpdateMeetingRequest {
        title: Some(title),
        location: Some(location),
        starts_at: Some(starts_at),
        reader_watermark: None,
    };
    secretary::update_meeting(&state.api()?, &meeting_id, &req).await?;
    state.wake_sync()
}

/// Watermarks every document of the meeting for its reader (or stops);
/// the server signs each published version again under its new policy.
#[tauri::command]
pub async fn secretary_set_meeting_watermark(
    state: State<'_, AppState>,
    meeting_id: String,
    reader_watermark: bool,
) -> Result<(), IpcError> {
    let req = UpdateMeetingRequest {
        reader_watermark: Some(reader_watermark),
        ..UpdateMeetingRequest::default()
    };
    secretary::update_meeting(&state.api()?, &meeting_id, &req).await?;
    state.wake_sync()
}

/// An agenda item, nested under `parent_id` when given; answers its id.
#[tauri::command]
pub async fn secretary_add_item(
    state: State<'_, AppState>,
    meeting_id: String,
    title: String,
    parent_id: Option<String>,
) -> Result<String, IpcError> {
    let req = CreateAgendaItemRequest {
        title,
        parent_id,
        position: None,
        ..Default::default()
    };
    let item = secretary::add_item(&state.api()?, &meeting_id, &req).await?;
    state.wake_sync()?;
    Ok(item.id)
}

/// The time planned for an item, minutes, and its speaking-time limit, ms
/// (null: none; for the limit, the committee's default).
#[tauri::command]
pub async fn secretary_set_item_timing(
    state: State<'_, AppState>,
    item_id: String,
    planned_minutes: Option<i64>,
    speaking_limit_ms: Option<i64>,
) -> Result<(), IpcError> {
    secretary::set_item_timing(&state.api()?, &item_id, planned_minutes, speaking_limit_ms).await?;
    state.wake_sync()
}

#[tauri::command]
pub async fn secretary_rename_item(
    state: State<'_, AppState>,
    item_id: String,
    title: String,
) -> Result<(), IpcError> {
    secretary::rename_item(&state.api()?, &item_id, &title).await?;
    state.wake_sync()
}

/// Moves an item to a 0-based place among its siblings.
#[tauri::command]
pub async fn secretary_move_item(
    state: State<'_, AppState>,
    item_id: String,
    position: u32,
) -> Result<(), IpcError> {
    secretary::move_item(&state.api()?, &item_id, i64::from(position)).await?;
    state.wake_sync()
}

/// Deletes an item with its sub-items and documents.
#[tauri::command]
pub async fn secretary_delete_item(
    state: State<'_, AppState>,
    item_id: String,
) -> Result<(), IpcError> {
    secretary::delete_item(&state.api()?, &item_id).await?;
    state.wake_sync()
}

/// Withdraws an item (with the items under it) from a meeting members have
/// seen; it stays on the agenda, marked with the reason.
#[tauri::command]
pub async fn secretary_withdraw_item(
    state: State<'_, AppState>,
    item_id: String,
    reason: String,
) -> Result<(), IpcError> {
    secretary::withdraw_item(&state.api()?, &item_id, &reason).await?;
    state.wake_sync()
}

/// Withdraws a document from a meeting members have seen; it stays, marked.
#[tauri::command]
pub async fn secretary_withdraw_document(
    state: State<'_, AppState>,
    document_id: String,
    reason: String,
) -> Result<(), IpcError> {
    secretary::withdraw_document(&state.api()?, &document_id, &reason).await?;
    state.wake_sync()
}

/// Who fetched a classified document from the server, from which device and
/// when (the isolated deployment's register), newest first.
#[tauri::command]
pub async fn secretary_access_register(
    state: State<'_, AppState>,
    document_id: String,
) -> Result<crate::ipc::AccessRegisterIpcView, IpcError> {
    let view = secretary::access_register(&state.api()?, &document_id).await?;
    Ok(crate::ipc::AccessRegisterIpcView {
        truncated: view.truncated,
        entries: view
            .entries
            .into_iter()
            .map(|e| crate::ipc::AccessEntryView {
                user_name: e.user_name,
                device_name: e.device_name,
                version: e.version,
                classification: e.classification.as_str().to_owned(),
                at: e.at,
            })
            .collect(),
    })
}

/// Sets a document's readers' watermark and export policy (`allowed`,
/// `watermarked` or `forbidden`), and its classification when given
/// (`normal`, `confidential`, `secret`, `top_secret`; refused by a server
/// not on an isolated network); the server signs it into every published
/// version, and members' devices enforce it from their next sync.
#[tauri::command]
pub async fn secretary_set_document_policy(
    state: State<'_, AppState>,
    document_id: String,
    reader_watermark: bool,
    export: String,
    classification: Option<String>,
) -> Result<(), IpcError> {
    let export = ecabinet_protocol::ExportPolicy::parse(&export)
        .ok_or_else(|| invalid("export is one of allowed, watermarked, forbidden"))?;
    let classification = classification
        .map(|c| {
            ecabinet_protocol::Classification::parse(&c).ok_or_else(|| {
                invalid("classification is one of normal, confidential, secret, top_secret")
            })
        })
        .transpose()?;
    let req = ecabinet_protocol::UpdateDocumentRequest {
        reader_watermark: Some(reader_watermark),
        export: Some(export),
        classification,
    };
    secretary::update_document(&state.api()?, &document_id, &req).await?;
    state.wake_sync()
}

fn upload_view(up: UploadBody) -> UploadView {
    UploadView {
        upload_id: up.id,
        document_id: up.document_id,
        size: up.size,
        offset: up.offset,
    }
}

/// The upload `id` if this session started it (an id from elsewhere is not
/// found, so the workspace cannot be made to touch another upload).
fn pending_document(state: &AppState, id: &str) -> Result<String, IpcError> {
    state
        .with_slot(|u: &mut Uploads| u.0.get(id).map(|p| p.document_id.clone()))
        .ok_or_else(|| IpcError::new(IpcErrorCode::NotFound, "no such upload under way"))
}

/// Ends upload `id` in this session; removes the document made for it.
async fn drop_upload(state: &AppState, id: &str) {
    let Some(p) = state.with_slot(|u: &mut Uploads| u.0.remove(id)) else {
        return;
    };
    if let Ok(api) = state.api() {
        // Only an upload the server confirms it dropped takes its document
        // along: one it no longer knows may have been finished (an answer
        // lost on the way), and its document then holds the new version.
        let dropped = secretary::cancel_upload(&api, id).await.is_ok();
        if dropped && p.made_document {
            let _ = secretary::delete_document(&api, &p.document_id).await;
        }
    }
}

/// Starts uploading a PDF of `size` bytes: a new document titled `title` on
/// `item_id`, or the next version of `document_id`. The size is checked
/// against the server's stated limit before anything is sent.
#[tauri::command]
pub async fn secretary_upload_start(
    state: State<'_, AppState>,
    item_id: Option<String>,
    title: Option<String>,
    document_id: Option<String>,
    size: u64,
) -> Result<UploadView, IpcError> {
    let store = state.store()?;
    secretary::check_size(size, secretary::upload_limit(&store))?;
    let api = state.api()?;
    let (document, made_document) = match (item_id, document_id) {
        (Some(item), None) => {
            let title = title.unwrap_or_default();
            if title.trim().is_empty() {
                return Err(invalid("the document needs a title"));
            }
            let d = secretary::create_document(&api, &item, title.trim()).await?;
            (d.id, true)
        }
        (None, Some(d)) => (d, false),
        _ => {
            return Err(invalid(
                "name either the agenda item (with a title) or the document",
            ))
        }
    };
    match secretary::start_upload(&api, &document, size).await {
        Ok(up) => {
            state.with_slot(|u: &mut Uploads| {
                u.0.insert(
                    up.id.clone(),
                    Pending {
                        document_id: document,
                        made_document,
                    },
                )
            });
            Ok(upload_view(up))
        }
        Err(e) => {
            if made_document {
                let _ = secretary::delete_document(&api, &document).await;
            }
            Err(e.into())
        }
    }
}

/// Raw body: the file's bytes from [`OFFSET_HEADER`], for the upload named
/// by [`UPLOAD_HEADER`]. Answers what the server now holds.
#[tauri::command]
pub async fn secretary_upload_chunk(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<UploadView, IpcError> {
    let id = header(&request, UPLOAD_HEADER)?;
    let offset: u64 = header(&request, OFFSET_HEADER)?
        .parse()
        .map_err(|_| invalid("the part's offset is not a number"))?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(invalid("send the part as a raw body"));
    };
    if bytes.is_empty() || bytes.len() > MAX_PART_BYTES {
        return Err(invalid("a part holds 1 byte to 16 MiB"));
    }
    if offset == 0 && !bytes.starts_with(b"%PDF-") {
        return Err(ecabinet_sync::SyncError::NotPdf("the file is not a PDF").into());
    }
    pending_document(&state, &id)?;
    let up = secretary::send_part(&state.api()?, &id, offset, bytes.clone()).await?;
    Ok(upload_view(up))
}

/// Where upload `upload_id` stands on the server (to resume after a failure).
#[tauri::command]
pub async fn secretary_upload_status(
    state: State<'_, AppState>,
    upload_id: String,
) -> Result<UploadView, IpcError> {
    pending_document(&state, &upload_id)?;
    Ok(upload_view(
        secretary::upload_status(&state.api()?, &upload_id).await?,
    ))
}

/// The whole file is there: the server checks it and makes it the next
/// version. Answers the document id. A refusal ends the upload (and
/// removes a document made for it); a dropped connection leaves it, so the
/// workspace can ask again.
#[tauri::command]
pub async fn secretary_upload_finish(
    state: State<'_, AppState>,
    upload_id: String,
) -> Result<String, IpcError> {
    let document = pending_document(&state, &upload_id)?;
    match secretary::finish_upload(&state.api()?, &upload_id).await {
        Ok(_) => {
            state.with_slot(|u: &mut Uploads| u.0.remove(&upload_id));
            state.wake_sync()?;
            Ok(document)
        }
        // The network, or a finish of the same upload still under way: the
        // upload stays, and the workspace may ask again.
        Err(e)
            if e.is_transient()
                || matches!(
                    e,
                    ecabinet_sync::SyncError::Server {
                        code: ecabinet_protocol::ErrorCode::Conflict,
                        ..
                    }
                ) =>
        {
            Err(e.into())
        }
        Err(e) => {
            drop_upload(&state, &upload_id).await;
            Err(e.into())
        }
    }
}

/// Drops an unfinished upload (and a document made for it). An upload
/// that already finished, or is unknown, is left as it is.
#[tauri::command]
pub async fn secretary_upload_cancel(
    state: State<'_, AppState>,
    upload_id: String,
) -> Result<(), IpcError> {
    drop_upload(&state, &upload_id).await;
    Ok(())
}

#[tauri::command]
pub async fn secretary_delete_document(
    state: State<'_, AppState>,
    document_id: String,
) -> Result<(), IpcError> {
    secretary::delete_document(&state.api()?, &document_id).await?;
    state.wake_sync()
}

/// Publishes the meeting and its pending versions; answers how many versions went out.
#[tauri::command]
pub async fn secretary_publish(
    state: State<'_, AppState>,
    meeting_id: String,
) -> Result<u32, IpcError> {
    let r = secretary::publish(&state.api()?, &meeting_id).await?;
    state.wake_sync()?;
    Ok(u32::try_from(r.published_versions.len()).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use crate::ipc::IpcError;
    use crate::ipc::IpcErrorCode;
    use ecabinet_protocol::ErrorCode;
    use ecabinet_sync::SyncError;

    #[test]
    fn a_file_that_is_not_a_pdf_is_named_so() {
        let code = |b: &[u8]| {
            ecabinet_sync::secretary::check_pdf(b, ecabinet_sync::secretary::DEFAULT_MAX_PDF_BYTES)
                .err()
                .map(|e| IpcError::from(e).code)
        };
        assert_eq!(code(b"%PDF-1.7\n%%EOF\n"), None);
        assert_eq!(code(b"\x89PNG\r\n"), Some(IpcErrorCode::NotPdf));
        assert_eq!(code(b"%PDF-1.7\ncut short"), Some(IpcErrorCode::NotPdf));
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(
            ecabinet_sync::secretary::DEFAULT_MAX_PDF_BYTES as usize + 1,
            b' ',
        );
        assert_eq!(code(&big), Some(IpcErrorCode::FileTooLarge));
    }

    #[test]
    fn the_servers_upload_refusals_keep_their_own_code_and_reason() {
        let refusal = |code, message: &str| {
            IpcError::from(SyncError::Server {
                code,
                status: 422,
                message: message.to_owned(),
            })
        };
        let e = refusal(
            ErrorCode::UnreadablePdf,
            "Tệp PDF có mật khẩu … / The PDF is password-protected …",
        );
        assert_eq!(e.code, IpcErrorCode::UnreadablePdf);
        assert!(e.message.contains("password-protected"), "{}", e.message);
        assert_eq!(refusal(ErrorCode::NotPdf, "x").code, IpcErrorCode::NotPdf);
    }
}
