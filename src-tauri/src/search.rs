//! Offline full-text search across the documents of one meeting.
//!
//! The index holds the text of the newest downloaded version of each
//! document, extracted by PDFium from the encrypted cache; it lives in memory
//! only (never on disk) and is built on the first search of a meeting, then
//! kept until the meeting's set of versions changes or the session ends.
//! Matching folds Vietnamese diacritics (`ecabinet_pdf::SearchIndex`).
//! Scanned pages are searched through the words the server's OCR read on
//! them, once the version's verified text layer is on this device; the
//! index is built again when a layer arrives.

use std::collections::HashMap;
use std::sync::Arc;

use ecabinet_pdf::SearchIndex;
use ecabinet_store::Store;

use crate::ipc::{IpcError, IpcErrorCode, MeetingSearchView, NotSearchedView, SearchHitView};
use crate::state::AppState;

/// At most this many hits are returned; the member narrows the query.
pub(crate) const MAX_HITS: usize = 200;

/// The version searched for one document.
struct Indexed {
    document_id: String,
    title: String,
    version: u32,
    /// The text layer's hash, when its words were indexed too.
    layer: Option<String>,
}

/// A meeting's index and what it was built from.
pub(crate) struct MeetingIndex {
    meeting_id: String,
    /// The versions whose text is in the index.
    versions: HashMap<String, Indexed>,
    /// The versions whose text could not be read, by version id.
    unreadable: HashMap<String, NotSearchedView>,
    index: SearchIndex,
}

/// `(version id, blob id, what it is)` of the current verified version of
/// every document of the meeting (none where it cannot be opened).
fn current_versions(
    store: &Store,
    meeting_id: &str,
) -> Result<Vec<(String, String, Indexed)>, IpcError> {
    let mut out = Vec::new();
    for (document_id, body) in store.documents(meeting_id)? {
        if let Ok(v) = ecabinet_sync::current_version_to_open(store, &document_id) {
            let title = crate::convert::text(&body, "title");
            let layer = store.text_layer_sha(&v.id)?;
            out.push((
                v.id,
                v.sha256,
                Indexed {
                    document_id: document_id.clone(),
                    title,
                    version: v.version,
                    layer,
                },
            ));
        }
    }
    Ok(out)
}

/// The last searched meeting's index (the slot in `AppState`; memory only).
#[derive(Default)]
struct LastIndex(Option<Arc<MeetingIndex>>);

/// The search index after `check` has kept or rebuilt it.
fn with_index(
    state: &AppState,
    check: impl FnOnce(&mut Option<Arc<MeetingIndex>>) -> Result<(), IpcError>,
) -> Result<Arc<MeetingIndex>, IpcError> {
    state.with_slot(|LastIndex(cached): &mut LastIndex| {
        check(cached)?;
        cached
            .clone()
            .ok_or_else(|| IpcError::new(IpcErrorCode::Internal, "no search index"))
    })
}

/// The hits of `query` in the meeting's documents, in document and page
/// order, and the documents that could not be searched. A document whose
/// text cannot be read (damaged, password-protected, no pages) is named and
/// skipped: the others are still searched.
pub(crate) fn search_meeting(
    state: &AppState,
    meeting_id: &str,
    query: &str,
) -> Result<MeetingSearchView, IpcError> {
    let store = state.content_store()?;
    let current = current_versions(&store, meeting_id)?;
    let index = with_index(state, |cached| {
        let fresh = cached.as_ref().is_some_and(|c| {
            c.meeting_id == meeting_id
                && c.versions.len() + c.unreadable.len() == current.len()
                && current.iter().all(|(id, _, what)| {
                    c.versions.get(id).is_some_and(|i| i.layer == what.layer)
                        || c.unreadable.contains_key(id)
                })
        });
        if fresh {
            return Ok(());
        }
        let pdf = state.pdf()?;
        let mut index = SearchIndex::new();
        let mut versions = HashMap::new();
        let mut unreadable = HashMap::new();
        for (version_id, sha, what) in current {
            let text = store
                .checked_blob_reader(&sha)
                .map_err(IpcError::from)
                .and_then(|(reader, _)| Ok(pdf.text_of(reader, &format!("search:{version_id}"))?))
                .map(|pages| {
                    // Scanned pages through their verified OCR words (an
                    // unreadable stored layer is ignored).
                    let layer = ecabinet_sync::text_layer_of(&store, &version_id)
                        .ok()
                        .flatten();
                    ecabinet_pdf::with_text_layer(pages, layer.as_ref())
                });
            match text {
                Ok(text) => {
                    index.add_document(&version_id, text);
                    versions.insert(version_id, what);
                }
                Err(e) => {
                    unreadable.insert(
                        version_id,
                        NotSearchedView {
                            document_id: what.document_id,
                            title: what.title,
                            version: what.version,
                            code: e.code,
                        },
                    );
                }
            }
        }
        *cached = Some(Arc::new(MeetingIndex {
            meeting_id: meeting_id.to_owned(),
            versions,
            unreadable,
            index,
        }));
        Ok(())
    })?;
    let mut not_searched: Vec<NotSearchedView> = index.unreadable.values().cloned().collect();
    not_searched.sort_by(|a, b| (&a.title, &a.document_id).cmp(&(&b.title, &b.document_id)));
    let hits = index
        .index
        .search(query)
        .into_iter()
        .take(MAX_HITS)
        .filter_map(|h| {
            let what = index.versions.get(&h.document)?;
            Some(SearchHitView {
                document_id: what.document_id.clone(),
                title: what.title.clone(),
                version: what.version,
                page: h.page,
                text: h.text,
                rects: h
                    .rects
                    .iter()
                    .map(|r| [r.left, r.bottom, r.right, r.top])
                    .collect(),
                version_id: h.document,
            })
        })
        .collect();
    Ok(MeetingSearchView { hits, not_searched })
}
