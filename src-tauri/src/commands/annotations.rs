//! The viewer's annotation tools: my annotations of a document version, kept
//! in PDF page coordinates in the encrypted store and queued (sealed) for my
//! other devices the moment they are made; "export with my annotations"; and
//! a page's text lines, to snap highlights to.

mod rows;

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager, Runtime, State};

use crate::background::refresh_status;
use crate::ipc::{
    AnnotationInput, AnnotationView, ExportView, IpcError, IpcErrorCode, PageTextView, TextLineView,
};
use crate::session::blocking;
use crate::state::AppState;
use ecabinet_sync::now_ms;

/// My live annotations of a version (deleted ones are not listed).
#[tauri::command]
pub async fn list_annotations(
    state: State<'_, AppState>,
    version_id: String,
) -> Result<Vec<AnnotationView>, IpcError> {
    let store = state.content_store()?;
    blocking(move || {
        let v = rows::version_ref(&store, &version_id)?;
        let stored = store.annotations(&v.doc_id, v.version, false)?;
        Ok(stored.iter().filter_map(rows::to_view).collect())
    })
    .await
}

/// Records a new annotation, or a new state of one (an edit, or undoing its
/// deletion), on this device now; it syncs to my other devices when it can.
#[tauri::command]
pub async fn record_annotation(
    state: State<'_, AppState>,
    version_id: String,
    annotation: AnnotationInput,
) -> Result<AnnotationView, IpcError> {
    if !rows::is_complete(&annotation.shape) {
        return Err(IpcError::new(
            IpcErrorCode::InvalidInput,
            "the annotation has no usable geometry or text",
        ));
    }
    let store = state.content_store()?;
    let s = store.clone();
    let view = blocking(move || {
        let v = rows::version_ref(&s, &version_id)?;
        let (kind, data) = rows::to_row(&annotation.shape, annotation.color);
        let edit = ecabinet_sync::AnnotationEdit {
            id: annotation.id,
            doc_id: v.doc_id,
            version: v.version,
            page: annotation.page,
            kind: kind.to_owned(),
            data,
        };
        let recorded = ecabinet_sync::record_annotation(&s, edit, now_ms())?;
        rows::to_view(&recorded.annotation)
            .ok_or_else(|| IpcError::new(IpcErrorCode::Internal, "recorded annotation unreadable"))
    })
    .await?;
    state.wake_push();
    refresh_status(&state, &store, |_| {}).await;
    Ok(view)
}

/// Deletes one of my annotations (a tombstone that also reaches my other devices).
#[tauri::command]
pub async fn delete_annotation(state: State<'_, AppState>, id: String) -> Result<(), IpcError> {
    let store = state.content_store()?;
    let s = store.clone();
    blocking(move || {
        if s.annotation(&id)?.is_none() {
            return Err(IpcError::new(
                IpcErrorCode::NotFound,
                format!("no annotation {id}"),
            ));
        }
        ecabinet_sync::delete_annotation(&s, &id, now_ms())?;
        Ok(())
    })
    .await?;
    state.wake_push();
    refresh_status(&state, &store, |_| {}).await;
    Ok(())
}

/// A page's rotation and text lines (the document must be open).
#[tauri::command]
pub async fn page_text(
    state: State<'_, AppState>,
    version_id: String,
    page: u32,
) -> Result<PageTextView, IpcError> {
    let state = state.inner().clone();
    blocking(move || {
        let handle = state
            .document(&version_id)
            .ok_or_else(|| IpcError::new(IpcErrorCode::NotFound, "the document is not open"))?;
        let pdf = state.pdf()?;
        let text = pdf.page_text(handle, page)?;
        Ok(PageTextView {
            page,
            rotation: pdf.page_rotation(handle, page)?,
            lines: text_lines(&text),
        })
    })
    .await
}

/// Writes the version with my annotations as real PDF annotation objects to
/// `path`, or (when `path` is null) to a new file named after the document in
/// the Downloads folder (else Documents, else home). The decrypted PDF is only
/// ever in memory; the file written is the member's explicit output.
#[tauri::command]
pub async fn export_annotated<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    version_id: String,
    path: Option<String>,
) -> Result<ExportView, IpcError> {
    let store = state.content_store()?;
    let state = state.inner().clone();
    let folder = path.is_none().then(|| export_folder(&app));
    blocking(move || {
        let v = rows::version_ref(&store, &version_id)?;
        let views: Vec<AnnotationView> = store
            .annotations(&v.doc_id, v.version, false)?
            .iter()
            .filter_map(rows::to_view)
            .collect();
        let annotations: Vec<_> = views.iter().map(rows::to_pdf).collect();
        // The signed policy decides first: no copy, or one watermarked.
        let verified = ecabinet_sync::version_to_open(&store, &version_id)?;
        let watermark =
            ecabinet_sync::export_watermark(&store, &verified, ecabinet_sync::now_ms())?
                .map(ecabinet_pdf::Watermark::new)
                .transpose()?;
        let pdf = state.pdf()?.export_with_annotations(
            store.read_blob(&v.sha256)?,
            &annotations,
            watermark.as_ref(),
        )?;
        let out = write_export(path, folder, &file_stem(&v.title, v.version), &pdf)?;
        Ok(ExportView {
            path: out.display().to_string(),
            annotations: u32::try_from(annotations.len()).unwrap_or(u32::MAX),
        })
    })
    .await
}

/// Writes an exported PDF to `path`, or (none) to a new file named after
/// `stem` in `folder` (from [`export_folder`]; an earlier export is never
/// overwritten). Answers where it went.
pub(crate) fn write_export(
    path: Option<String>,
    folder: Option<Option<PathBuf>>,
    stem: &str,
    pdf: &[u8],
) -> Result<PathBuf, IpcError> {
    let out = match (path, folder) {
        (Some(p), _) => PathBuf::from(p),
        (None, Some(Some(dir))) => free_name(&dir, stem),
        (None, _) => {
            return Err(IpcError::new(
                IpcErrorCode::NotFound,
                "no Downloads, Documents or home folder to export to",
            ))
        }
    };
    std::fs::write(&out, pdf).map_err(|e| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("cannot write {}: {e}", out.display()),
        )
    })?;
    Ok(out)
}

pub(crate) fn export_folder<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
    let p = app.path();
    [p.download_dir(), p.document_dir(), p.home_dir()]
        .into_iter()
        .flatten()
        .find(|d| d.is_dir())
}

/// A file name from the title: characters no file system accepts dropped.
pub(crate) fn file_stem(title: &str, version: u32) -> String {
    format!("{} (v{version})", clean_name(title))
}

/// `title` with the characters no file system accepts dropped ("document"
/// when nothing is left).
pub(crate) fn clean_name(title: &str) -> String {
    let clean: String = title
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.is_empty() {
        "document".to_owned()
    } else {
        clean
    }
}

/// `dir/stem.pdf`, or `dir/stem (2).pdf`, … — an earlier export is never overwritten.
pub(crate) fn free_name(dir: &Path, stem: &str) -> PathBuf {
    (1..)
        .map(|n| match n {
            1 => dir.join(format!("{stem}.pdf")),
            n => dir.join(format!("{stem} ({n}).pdf")),
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join(format!("{stem}.pdf")))
}

/// The page's lines (as the PDF crate groups them) with the extent of each
/// character on them, in reading order.
fn text_lines(text: &ecabinet_pdf::PageText) -> Vec<TextLineView> {
    let mut lines: Vec<TextLineView> = text
        .rects(0, text.chars.len())
        .into_iter()
        .map(|r| TextLineView {
            rect: [r.left, r.bottom, r.right, r.top],
            chars: Vec::new(),
        })
        .collect();
    for r in text.chars.iter().filter_map(|c| c.rect) {
        let (cx, cy) = ((r.left + r.right) / 2.0, (r.bottom + r.top) / 2.0);
        let line = lines.iter_mut().find(|l| {
            let [left, bottom, right, top] = l.rect;
            cx >= left && cx <= right && cy >= bottom && cy <= top
        });
        if let Some(line) = line {
            line.chars.push([r.left, r.right]);
        }
    }
    for l in &mut lines {
        l.chars.sort_by(|a, b| a[0].total_cmp(&b[0]));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_come_from_the_title_and_never_overwrite() {
        assert_eq!(
            file_stem("Tờ trình: kế hoạch/2027", 2),
            "Tờ trình kế hoạch 2027 (v2)"
        );
        assert_eq!(file_stem(" ?? ", 1), "document (v1)");
        let dir = tempfile::tempdir().expect("tempdir");
        let first = free_name(dir.path(), "a (v1)");
        assert_eq!(first, dir.path().join("a (v1).pdf"));
        std::fs::write(&first, b"x").expect("write");
        assert_eq!(
            free_name(dir.path(), "a (v1)"),
            dir.path().join("a (v1) (2).pdf")
        );
    }
}
