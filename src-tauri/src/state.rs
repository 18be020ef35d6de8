//! The one managed state of the app: where the data lives, the unlocked store
//! (if any), the PDF engine, the open documents and the sync status.
//!
//! Locks are `std::sync::Mutex` held for a few field reads or writes, never
//! across an `.await` or a store/PDFium call — except a feature slot's (see
//! [`AppState::with_slot`]): the search index's is held while it is built, so
//! that two searches never build it twice. This module is the bottom of the
//! shell: it imports no feature module.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ecabinet_pdf::{DocHandle, PdfEngine, PdfError};
use ecabinet_store::{Store, StoreConfig};

use crate::ipc::{
    BallotView, FeedAdvancedView, IpcError, IpcErrorCode, NoticeView, SessionState, SyncProgress,
    SyncStatusView,
};

/// What the shell tells the UI without being asked.
#[derive(Debug, Clone, PartialEq)]
pub enum UiEvent {
    SyncStatus(SyncStatusView),
    SyncProgress(SyncProgress),
    SessionChanged(SessionState),
    FeedAdvanced(FeedAdvancedView),
    VotesChanged(Vec<BallotView>),
    Notices(Vec<NoticeView>),
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
    /// How often unanswered outbox operations are sent again (the live
    /// loop syncs when the server says the feed advanced, not on a timer).
    pub outbox_retry: std::time::Duration,
}

/// Present while the store is unlocked.
pub(crate) struct Session {
    pub store: Arc<Store>,
    pub username: String,
    pub server_url: String,
    /// The signed-in user's id on the server.
    pub user_id: String,
    /// The server, for the chair's live actions (`None` if never enrolled).
    pub api: Option<ecabinet_sync::Api>,
    /// Wakes the background sync for an immediate round.
    pub wake: Arc<tokio::sync::Notify>,
    /// Wakes the background push: something was added to the outbox.
    pub push: Arc<tokio::sync::Notify>,
    pub task: Option<tauri::async_runtime::JoinHandle<()>>,
}

struct Inner {
    config: AppConfig,
    pdf: Result<PdfEngine, PdfError>,
    events: Arc<dyn EventSink>,
    session: Mutex<Option<Session>>,
    /// Open document versions by version id.
    docs: Mutex<HashMap<String, DocHandle>>,
    /// Who the pages of an open document are watermarked for (the lines
    /// before the time), by version id; absent when its policy asks none.
    watermarks: Mutex<HashMap<String, Vec<String>>>,
    status: Mutex<SyncStatusView>,
    /// The feature modules' memory-only state of this session.
    slots: Slots,
}

/// Per-session state of the feature modules, one value per type (see
/// [`AppState::with_slot`]). Each value has its own lock.
type Slot = Arc<Mutex<Box<dyn Any + Send>>>;

#[derive(Default)]
struct Slots(Mutex<HashMap<TypeId, Slot>>);

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
                watermarks: Mutex::new(HashMap::new()),
                status: Mutex::new(SyncStatusView::default()),
                slots: Slots::default(),
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

    /// The store, for showing meeting content: refused once the device is past
    /// the committee's offline lease (the sync loop keeps using [`Self::store`]
    /// — a successful sync is what reopens it).
    pub fn content_store(&self) -> Result<Arc<Store>, IpcError> {
        let store = self.store()?;
        ecabinet_sync::ensure_open(&store, ecabinet_sync::now_ms())?;
        Ok(store)
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
        lock(&self.inner.slots.0).clear();
    }

    /// The session's slot of type `T` (made with `T::default()` on first
    /// use, dropped when the session ends), locked for the length of `f`.
    /// A feature module keeps its memory-only state here (the notices seen
    /// last round, the search index), so this module knows none of them.
    pub(crate) fn with_slot<T: Default + Send + 'static, R>(
        &self,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let slot = lock(&self.inner.slots.0)
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(Mutex::new(Box::new(T::default()))))
            .clone();
        let mut guard = lock(&slot);
        let value = guard
            .downcast_mut::<T>()
            .expect("a slot holds the type it is keyed by");
        f(value)
    }

    /// Ends the session as the app exits and waits (at most 2 s) until no
    /// background call still holds the store, so the database is closed
    /// before the process's exit-time cleanup runs. (SQLCipher uses the
    /// system libcrypto, whose exit handlers crash a thread still inside it.)
    pub(crate) fn shutdown(&self) {
        let store = lock(&self.inner.session).as_ref().map(|s| s.store.clone());
        self.end_session();
        if let Some(store) = store {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while Arc::strong_count(&store) > 1 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
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

    /// Sends the outbox now (after a ballot, a check-in, a request to speak).
    pub(crate) fn wake_push(&self) {
        if let Some(s) = lock(&self.inner.session).as_ref() {
            s.push.notify_one();
        }
    }

    /// The server client of the session, for calls that need the network.
    pub(crate) fn api(&self) -> Result<ecabinet_sync::Api, IpcError> {
        lock(&self.inner.session)
            .as_ref()
            .ok_or_else(|| IpcError::new(IpcErrorCode::NotUnlocked, "the store is locked"))?
            .api
            .clone()
            .ok_or_else(|| IpcError::new(IpcErrorCode::NoData, "this device is not enrolled"))
    }

    /// The signed-in user's id, if unlocked.
    pub(crate) fn user_id(&self) -> Result<String, IpcError> {
        lock(&self.inner.session)
            .as_ref()
            .map(|s| s.user_id.clone())
            .ok_or_else(|| IpcError::new(IpcErrorCode::NotUnlocked, "the store is locked"))
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
        lock(&self.inner.watermarks).remove(version_id);
        lock(&self.inner.docs).remove(version_id)
    }

    /// Records who the pages of an open document are watermarked for (the
    /// lines before the time, which each render adds); `None`: no watermark.
    pub(crate) fn set_watermark(&self, version_id: &str, lines: Option<Vec<String>>) {
        let mut w = lock(&self.inner.watermarks);
        match lines {
            Some(l) => w.insert(version_id.to_owned(), l),
            None => w.remove(version_id),
        };
    }

    /// Who an open document's pages are watermarked for, if they are.
    pub(crate) fn watermark(&self, version_id: &str) -> Option<Vec<String>> {
        lock(&self.inner.watermarks).get(version_id).cloned()
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
