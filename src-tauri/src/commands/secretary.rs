//! The secretary workspace: preparing a meeting against the server (an
//! `offline` error when it cannot be reached). Each action wakes the sync, so
//! its effect comes back through the feed like everything else; the screen
//! reads the draft from the local cache.
//!
//! PDFs arrive as a raw IPC body (no base64 over IPC), with the target and
//! the percent-encoded title in headers.

use ecabinet_protocol::{CreateAgendaItemRequest, CreateMeetingRequest, UpdateMeetingRequest};
use ecabinet_store::{Entity, Store};
use ecabinet_sync::secretary;
use serde_json::Value;
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use crate::convert::text;
use crate::ipc::{CommitteeRoleView, IpcError, IpcErrorCode, SecretaryMeetingView};
use crate::session::blocking;
use crate::state::AppState;

/// Header naming the agenda item a PDF is attached to.
pub const ITEM_HEADER: &str = "x-ecabinet-item";
/// Header naming the document a PDF is the next version of.
pub const DOCUMENT_HEADER: &str = "x-ecabinet-document";
/// Header with the document title, percent-encoded UTF-8 (header values are Latin-1).
pub const TITLE_HEADER: &str = "x-ecabinet-title";

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
    Ok(SecretaryMeetingView {
        detail,
        unpublished_version_ids: unpublished,
        max_upload_bytes: secretary::upload_limit(store),
    })
}

fn invalid(message: &str) -> IpcError {
    IpcError::new(IpcErrorCode::InvalidInput, message)
}

/// Decodes `%XX` escapes (what `encodeURIComponent` makes) into UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = (bytes.next()? as char).to_digit(16)?;
            let lo = (bytes.next()? as char).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn header(request: &Request<'_>, name: &str) -> Result<String, IpcError> {
    let raw = request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| invalid("a header of the upload is missing"))?;
    percent_decode(raw).ok_or_else(|| invalid("a header of the upload is malformed"))
}

/// The PDF bytes of a raw upload, checked against the limit the server
/// stated: `not_pdf` or `file_too_large` rather than a round trip.
fn pdf_body(state: &AppState, request: &Request<'_>) -> Result<Vec<u8>, IpcError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(invalid("send the PDF as a raw body"));
    };
    let store = state.store()?;
    let limit = secretary::upload_limit(&store);
    secretary::check_pdf(bytes, limit)?;
    Ok(bytes.clone())
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
    };
    let item = secretary::add_item(&state.api()?, &meeting_id, &req).await?;
    state.wake_sync()?;
    Ok(item.id)
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

/// Raw body: the PDF. Headers: [`ITEM_HEADER`], [`TITLE_HEADER`]. Answers the document id.
#[tauri::command]
pub async fn secretary_attach_pdf(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<String, IpcError> {
    let (item, title) = (
        header(&request, ITEM_HEADER)?,
        header(&request, TITLE_HEADER)?,
    );
    if title.trim().is_empty() {
        return Err(invalid("the document needs a title"));
    }
    let pdf = pdf_body(&state, &request)?;
    let (doc, _) = secretary::attach_pdf(&state.api()?, &item, title.trim(), pdf).await?;
    state.wake_sync()?;
    Ok(doc.id)
}

/// Raw body: the PDF. Header: [`DOCUMENT_HEADER`]. The next version, unpublished.
#[tauri::command]
pub async fn secretary_upload_version(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<(), IpcError> {
    let document = header(&request, DOCUMENT_HEADER)?;
    let pdf = pdf_body(&state, &request)?;
    secretary::upload_version(&state.api()?, &document, pdf).await?;
    state.wake_sync()
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
    use super::percent_decode;
    use crate::ipc::IpcError;
    use crate::ipc::IpcErrorCode;
    use ecabinet_protocol::ErrorCode;
    use ecabinet_sync::SyncError;

    #[test]
    fn titles_survive_percent_encoding() {
        assert_eq!(
            percent_decode("T%E1%BB%9D%20tr%C3%ACnh").as_deref(),
            Some("Tờ trình")
        );
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        for bad in ["%", "%G1", "%C3"] {
            assert!(percent_decode(bad).is_none(), "{bad:?} decoded");
        }
    }

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
