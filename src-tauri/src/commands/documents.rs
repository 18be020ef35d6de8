//! Opening a document version for the viewer (its pages are then served by
//! the `ecabinet:` URI scheme, see `pages.rs`, never over IPC), and search.

use tauri::State;

use crate::ipc::{
    IpcError, MeetingSearchView, OpenedDocumentView, PageSizeView, SignatureView, SignaturesView,
};
use crate::session::blocking;
use crate::state::AppState;
use ecabinet_sync::now_ms;

/// Opens a verified version in PDFium from decrypted bytes held in memory only.
/// A refused version answers `document_rejected` and is never decrypted. A
/// classified version is opened from `classified` (its bytes, just read from
/// the server); nothing of it is ever stored.
fn open_verified(
    state: &AppState,
    version_id: &str,
    classified: Option<(ecabinet_store::VerifiedVersion, Vec<u8>)>,
) -> Result<OpenedDocumentView, IpcError> {
    let store = state.content_store()?;
    let pdf = state.pdf()?;
    // Only a version verified here, whose latest record was not refused and
    // whose stored manifest still verifies, is opened.
    let (verified, bytes) = match classified {
        Some((v, bytes)) => (v, Some(bytes)),
        None => match ecabinet_sync::version_to_open(&store, version_id) {
            // Already open in memory (read from the server before).
            Err(ecabinet_sync::SyncError::Classified) if state.document(version_id).is_some() => {
                (ecabinet_sync::classified_to_open(&store, version_id)?, None)
            }
            other => (other?, None),
        },
    };
    let sha = verified.sha256.clone();
    let now = now_ms();
    // The signed policy: pages watermarked for this reader, and whether a
    // copy may leave the app.
    let watermark = ecabinet_sync::view_watermark(&store, &verified, now)?;
    let policy = ecabinet_sync::policy_of(&verified)?.unwrap_or_default();
    let export = if policy.copies_forbidden() {
        ecabinet_protocol::ExportPolicy::Forbidden
    } else {
        policy.export
    }
    .as_str()
    .to_owned();
    let classification = policy.classification.as_str().to_owned();
    // Before any handle is registered, so no page is ever served without
    // the decision: the lines before the time (each render writes the time
    // it is made).
    state.set_watermark(
        version_id,
        watermark
            .as_ref()
            .map(|l| l[..l.len().saturating_sub(1)].to_vec()),
    );
    // A classified version's signatures are checked now, while its bytes
    // are here (they are never stored).
    if let Some(bytes) = &bytes {
        let reports = ecabinet_sync::check_signatures(&store, &mut std::io::Cursor::new(bytes))?;
        let checked = CheckedSignatures {
            view: signatures_view(&store, &reports)?,
            roots_at: ecabinet_sync::trusted_roots_at(&store)?,
            stored: false,
        };
        state.with_slot::<SignatureCache, _>(|c| c.0.insert(version_id.to_owned(), checked));
    }
    let pages = match (state.document(version_id), bytes) {
        (Some(handle), _) => pdf.page_sizes(handle)?,
        (None, Some(bytes)) => {
            let opened = pdf.open(bytes, version_id)?;
            if let Some(old) = state.add_document(version_id, opened.handle) {
                let _ = pdf.close(old);
            }
            opened.pages
        }
        (None, None) => {
            // Read on demand (the plaintext never sits whole in memory), from
            // a blob that passed the whole-file check (every chunk's tag and
            // the hash) in this file's current state, so a blob damaged on
            // disk is refused before any page is shown.
            let (reader, _) = store.checked_blob_reader(&sha)?;
            let opened = pdf.open_reader(reader, version_id)?;
            if let Some(old) = state.add_document(version_id, opened.handle) {
                let _ = pdf.close(old);
            }
            opened.pages
        }
    };
    Ok(OpenedDocumentView {
        watermark,
        export,
        classification,
        version_id: version_id.to_owned(),
        max_render_pixels: ecabinet_pdf::MAX_RENDER_PIXELS,
        pages: pages
            .into_iter()
            .map(|p| PageSizeView {
                width: p.width,
                height: p.height,
            })
            .collect(),
    })
}

/// Decrypts the version's verified PDF into memory and opens it in PDFium.
/// Where the committee has read status on, the first open is reported.
#[tauri::command]
pub async fn open_document(
    state: State<'_, AppState>,
    version_id: String,
) -> Result<OpenedDocumentView, IpcError> {
    let s = state.inner().clone();
    // A classified version comes from the server, into memory, each time
    // it is opened (the server registers who read it).
    let store = state.content_store()?;
    let id = version_id.clone();
    let classified = match blocking(move || Ok(ecabinet_sync::classified_to_open(&store, &id).ok()))
        .await?
    {
        Some(v) if state.document(&version_id).is_none() => {
            let bytes = ecabinet_sync::fetch_classified(&state.api()?, &v)
                .await
                .map_err(|e| match e {
                    e if e.is_transient() => IpcError::from(ecabinet_sync::SyncError::Classified),
                    other => IpcError::from(other),
                })?;
            Some((v, bytes))
        }
        _ => None,
    };
    let (view, reported) = blocking(move || {
        let view = open_verified(&s, &version_id, classified)?;
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

/// Checked signatures of the open documents, by version id, with the date
/// of the trusted roots (and revocation lists) they were checked against:
/// a check reads the whole file, so it is made once per opening, and again
/// only when the administrator's list has changed since.
#[derive(Default)]
struct SignatureCache(std::collections::HashMap<String, CheckedSignatures>);

#[derive(Clone)]
struct CheckedSignatures {
    view: SignaturesView,
    /// The date of the roots list it was checked against.
    roots_at: Option<i64>,
    /// A classified version is checked once, while its bytes are in memory.
    stored: bool,
}

fn signatures_view(
    store: &ecabinet_store::Store,
    reports: &[ecabinet_pades::SignatureReport],
) -> Result<SignaturesView, IpcError> {
    Ok(SignaturesView {
        verdict: wire(&ecabinet_pades::verdict(reports)),
        roots_known: !ecabinet_sync::trust_store(store)?.is_empty(),
        signatures: reports
            .iter()
            .map(|r| SignatureView {
                signer: r.signer.clone(),
                organisation: r.organisation.clone(),
                issuer: r.issuer.clone(),
                signed_at: r.signed_at.map(|s| s * 1000),
                integrity: wire(&r.integrity),
                unsigned_changes_after: r.unsigned_changes_after,
                covers_whole_file: r.covers_whole_file,
                trust: wire(&r.trust),
                validity: wire(&r.validity),
                not_after: r.not_after.map(|s| s * 1000),
                revocation: wire(&r.revocation),
                problem: r.problem.clone(),
            })
            .collect(),
    })
}

/// The wire name of a report's enum (its serde form).
fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The signatures embedded in an open document version, checked against
/// the trusted roots this device has (offline). Asked after the pages are
/// shown, since the check reads the whole file.
#[tauri::command]
pub async fn document_signatures(
    state: State<'_, AppState>,
    version_id: String,
) -> Result<SignaturesView, IpcError> {
    let store = state.content_store()?;
    let roots_at = blocking(move || Ok(ecabinet_sync::trusted_roots_at(&store)?)).await?;
    let cached = state.with_slot::<SignatureCache, _>(|c| c.0.get(&version_id).cloned());
    if let Some(checked) = cached {
        if checked.roots_at == roots_at || !checked.stored {
            return Ok(checked.view);
        }
    }
    let s = state.inner().clone();
    let id = version_id.clone();
    let view = blocking(move || {
        let store = s.content_store()?;
        let reports = ecabinet_sync::signatures_of(&store, &id)?;
        signatures_view(&store, &reports)
    })
    .await?;
    let checked = CheckedSignatures {
        view: view.clone(),
        roots_at,
        stored: true,
    };
    state.with_slot::<SignatureCache, _>(|c| c.0.insert(version_id, checked));
    Ok(view)
}

/// Closes a version opened by `open_document`; its pages stop being served.
#[tauri::command]
pub async fn close_document(
    state: State<'_, AppState>,
    version_id: String,
) -> Result<(), IpcError> {
    let state = state.inner().clone();
    state.with_slot::<SignatureCache, _>(|c| c.0.remove(&version_id));
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
) -> Result<MeetingSearchView, IpcError> {
    let state = state.inner().clone();
    blocking(move || crate::search::search_meeting(&state, &meeting_id, &query)).await
}
