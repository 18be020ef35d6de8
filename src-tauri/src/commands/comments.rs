//! Comments on drafts before the meeting (góp ý dự thảo): a member writes
//! one (queued in the outbox, offline too); everyone reads those they may
//! (the server decides); the secretary or the chair answers each and
//! exports the summary table as a PDF.

use ecabinet_protocol::{CommentRegion, CommentStatus, DraftCommentBody};
use ecabinet_sync::comments;
use tauri::{AppHandle, Runtime, State};

use crate::ipc::{
    CommentRegionView, CommentSummaryView, DraftCommentView, DraftCommentsView, IpcError,
    IpcErrorCode, QueuedCommentView,
};
use crate::session::blocking;
use crate::state::AppState;

/// Queues a comment on the published version (`page` 1-based, null for
/// the whole document; `region` on that page); answers its id. The next
/// sync sends it.
#[tauri::command]
pub async fn write_draft_comment(
    state: State<'_, AppState>,
    version_id: String,
    page: Option<u32>,
    region: Option<CommentRegionView>,
    text: String,
) -> Result<String, IpcError> {
    let store = state.content_store()?;
    let region = region.map(|r| CommentRegion {
        x: r.x,
        y: r.y,
        w: r.w,
        h: r.h,
    });
    let id = blocking(move || {
        Ok(comments::write_comment(
            &store,
            &version_id,
            page,
            region,
            &text,
            ecabinet_sync::now_ms(),
        )?)
    })
    .await?;
    state.wake_sync()?;
    Ok(id)
}

fn comment_view(c: DraftCommentBody, me: &str) -> DraftCommentView {
    DraftCommentView {
        mine: c.author_id == me,
        id: c.id,
        version: c.version,
        author_name: c.author_name,
        page: c.page,
        region: c.region.map(|r| CommentRegionView {
            x: r.x,
            y: r.y,
            w: r.w,
            h: r.h,
        }),
        text: c.text,
        written_at: c.written_at,
        received_at: c.received_at,
        status: c.status.as_str().to_owned(),
        reply: c.reply,
        replied_by_name: c.replied_by_name,
        replied_at: c.replied_at,
    }
}

/// The comments on the document: from the server when it can be reached
/// (with the secretary's answers), and this device's not yet taken by it.
#[tauri::command]
pub async fn draft_comments(
    state: State<'_, AppState>,
    document_id: String,
) -> Result<DraftCommentsView, IpcError> {
    let store = state.content_store()?;
    let doc = document_id.clone();
    let queued = blocking(move || {
        Ok(comments::queued_comments(&store, &doc)?
            .into_iter()
            .map(|q| QueuedCommentView {
                op_id: q.op_id,
                page: q.body.page,
                text: q.body.text,
                written_at: q.body.written_at,
                state: q.state,
                reason: q.reason,
            })
            .collect::<Vec<_>>())
    })
    .await?;
    let me = state.user_id()?;
    match comments::comments(&state.api()?, &document_id).await {
        // Online, an accepted comment shows as the server holds it (with its
        // answer); offline, as this device knows it: accepted.
        Ok(list) => Ok(DraftCommentsView {
            queued: queued
                .into_iter()
                .filter(|q| q.state != "accepted")
                .collect(),
            comments: list
                .comments
                .into_iter()
                .map(|c| comment_view(c, &me))
                .collect(),
            can_respond: list.can_respond,
            shared_with_members: list.shared_with_members,
            offline: false,
        }),
        Err(e) if e.is_transient() => Ok(DraftCommentsView {
            comments: Vec::new(),
            queued,
            can_respond: false,
            shared_with_members: false,
            offline: true,
        }),
        Err(e) => Err(e.into()),
    }
}

/// The secretary's (or chair's) answer: `accepted`, `answered` or
/// `declined` (the last two with a reply), or `open` again.
#[tauri::command]
pub async fn respond_draft_comment(
    state: State<'_, AppState>,
    comment_id: String,
    status: String,
    reply: Option<String>,
) -> Result<DraftCommentView, IpcError> {
    let status = CommentStatus::parse(&status).ok_or_else(|| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            "status: open, accepted, answered or declined",
        )
    })?;
    let c = comments::respond(&state.api()?, &comment_id, status, reply.as_deref()).await?;
    Ok(comment_view(c, &state.user_id()?))
}

/// Writes the summary table of the comments (bảng tổng hợp ý kiến) as a
/// PDF to `path`, or (null) to a new file in the Downloads folder. It
/// follows the document's export policy: none for a document that may not
/// leave the app.
#[tauri::command]
pub async fn export_comment_summary<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    document_id: String,
    path: Option<String>,
) -> Result<CommentSummaryView, IpcError> {
    let list = comments::comments(&state.api()?, &document_id).await?;
    let store = state.content_store()?;
    let state = state.inner().clone();
    let folder = path
        .is_none()
        .then(|| super::annotations::export_folder(&app));
    blocking(move || {
        let verified = ecabinet_sync::current_version_to_open(&store, &document_id)?;
        // The document's policy: no copy at all, or one with the reader's
        // watermark on every page, the summary as the document itself.
        let watermark =
            ecabinet_sync::export_watermark(&store, &verified, ecabinet_sync::now_ms())?
                .map(ecabinet_pdf::Watermark::new)
                .transpose()?;
        let title = ecabinet_sync::document_title(&store, &verified, &document_id)?;
        let made_at = ecabinet_sync::vietnam_time(ecabinet_sync::now_ms());
        let pages = ecabinet_pdf::comment_summary::pages(&title, &list, &made_at);
        let engine = state.pdf()?;
        let mut pdf = engine.compose(Some(ecabinet_pdf::comment_summary::fonts()), pages)?;
        if let Some(w) = &watermark {
            pdf = engine.export_with_annotations(pdf, &[], Some(w))?;
        }
        let stem = format!(
            "Tong hop y kien - {}",
            super::annotations::file_stem(&title, verified.version)
        );
        let out = super::annotations::write_export(path, folder, &stem, &pdf)?;
        Ok(CommentSummaryView {
            path: out.display().to_string(),
            comments: u32::try_from(list.comments.len()).unwrap_or(u32::MAX),
        })
    })
    .await
}
