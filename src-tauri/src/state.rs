//! The one managed state of the app: where the data lives, the unlocked store
//! (if any), the PDF engine, the open documents and the sync status.
//!
//! Locks are `std::sync::Mutex` held for a few field reads or writes, never
//! across an `.await` or a store/PDFium call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ecabinet_pdf::{DocHandle, PdfEngine, PdfError};
use ecabinet_store::{Store, StoreConfig};

use crate::ipc::{IpcError, IpcErrorCode, SessionState, SyncProgress, SyncStatusView};

/// What the shell tells the UI without being asked.
#[derive(Debug, Clone, PartialEq)]
pub enum UiEvent {
    SyncStatus(SyncStatusView),
    SyncProgress(SyncProgress),
    SessionChanged(SessionState),
}

/// Where events go: the webview in the app, a recorder in tests.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: UiEvent);
}

/// Fixed settings, decided at start-up.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The store's directory (`ECABINET_DATA_DIR`, or the platform data dir).
    pub data_dir: PathBuf,
    /// Pre-fills the server address on the first-run screen (`ECABINET_SERVER_URL`).
    pub server_url_hint: Option<String>,
    /// Key-derivation cost and wrong-PIN rules.
    pub store: StoreConfig,
    /// Time between background sync rounds.
    pub sync_interval: std::time::Duration,
}

/// Present while the store is unlocked.
pub(crate) struct Session {
    pub store: Arc<Store>,
    pub username: String,
    pub server_url: String,
    /// Wakes the background sync for an immediate round.
    pub wake: Arc<tokio::sync::Notify>,
    pub task: Option<tauri::async_runtime::JoinHandle<()>>,
}

struct Inner {
    config: AppConfig,
    pdf: Result<PdfEngine, PdfError>,
    events: Arc<dyn EventSink>,
    session: Mutex<Option<Session>>,
    /// Open document versions by version id.
    docs: Mutex<HashMap<String, DocHandle>>,
    status: Mutex<SyncStatusView>,
}

/// The managed state; cheap to clone into background tasks.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// Left in the data directory when a revocation wiped it, so the app says
/// why the data is gone even after a restart. Holds no data.
pub(crate) const REVOKED_MARKER: &str = "revoked";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values are plain data replaced whole; a panic elsewhere
    // cannot leave them half-written.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    /// `pdf` is the started engine, or why it could not start.
    pub fn new(
        config: AppConfig,
        pdf: Result<PdfEngine, PdfError>,
        events: Arc<dyn EventSink>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                config,
                pdf,
                events,
                session: Mutex::new(None),
                docs: Mutex::new(HashMap::new()),
                status: Mutex::new(SyncStatusView::default()),
            }),
        }
    }

    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.config.data_dir
    }

    pub(crate) fn emit(&self, event: UiEvent) {
        self.inner.events.emit(event);
    }

    /// The PDF engine, or `pdfium_unavailable`.
    pub fn pdf(&self) -> Result<&PdfEngine, IpcError> {
        self.inner
            .pdf
            .as_ref()
            .map_err(|e| IpcError::new(IpcErrorCode::PdfiumUnavailable, e.to_string()))
    }

    /// The unlocked store, or `not_unlocked`.
    pub fn store(&self) -> Result<Arc<Store>, IpcError> {
        lock(&self.inner.session)
            .as_ref()
            .map(|s| s.store.clone())
            .ok_or_else(|| IpcError::new(IpcErrorCode::NotUnlocked, "the store is locked"))
    }

    /// Who is signed in, if unlocked.
    pub(crate) fn unlocked_as(&self) -> Option<SessionState> {
        lock(&self.inner.session)
            .as_ref()
            .map(|s| SessionState::Unlocked {
                username: s.username.clone(),
                server_url: s.server_url.clone(),
            })
    }

    /// Installs an unlocked session, replacing (and stopping) any earlier one.
    pub(crate) fn set_session(&self, session: Session) {
        let old = lock(&self.inner.session).replace(session);
        stop(old);
    }

    /// Ends the session: stops its sync, closes its documents, drops the store.
    pub(crate) fn end_session(&self) {
        let old = lock(&self.inner.session).take();
        stop(old);
        self.close_all_documents();
        *lock(&self.inner.status) = SyncStatusView::default();
    }

    /// Wakes the background sync, if a session runs.
    pub(crate) fn wake_sync(&self) -> Result<(), IpcError> {
        let guard = lock(&self.inner.session);
        let s = guard
            .as_ref()
            .ok_or_else(|| IpcError::new(IpcErrorCode::NotUnlocked, "the store is locked"))?;
        s.wake.notify_one();
        Ok(())
    }

    pub(crate) fn set_sync_task(&self, task: tauri::async_runtime::JoinHandle<()>) {
        if let Some(s) = lock(&self.inner.session).as_mut() {
            s.task = Some(task);
        } else {
            task.abort();
        }
    }

    pub fn sync_status(&self) -> SyncStatusView {
        lock(&self.inner.status).clone()
    }

    /// Changes the status and tells the UI.
    pub(crate) fn update_status(&self, f: impl FnOnce(&mut SyncStatusView)) {
        let now = {
            let mut s = lock(&self.inner.status);
            f(&mut s);
            s.clone()
        };
        self.emit(UiEvent::SyncStatus(now));
    }

    pub(crate) fn document(&self, version_id: &str) -> Option<DocHandle> {
        lock(&self.inner.docs).get(version_id).copied()
    }

    /// Records an opened document; returns the handle it replaced, if any.
    pub(crate) fn add_document(&self, version_id: &str, handle: DocHandle) -> Option<DocHandle> {
        lock(&self.inner.docs).insert(version_id.to_owned(), handle)
    }

    pub(crate) fn remove_document(&self, version_id: &str) -> Option<DocHandle> {
        lock(&self.inner.docs).remove(version_id)
    }

    fn close_all_documents(&self) {
        let handles: Vec<DocHandle> = lock(&self.inner.docs).drain().map(|(_, h)| h).collect();
        if let Ok(pdf) = self.pdf() {
            for h in handles {
                let _ = pdf.close(h);
            }
        }
    }
}

fn stop(session: Option<Session>) {
    if let Some(task) = session.and_then(|s| s.task) {
        task.abort();
    }
}
