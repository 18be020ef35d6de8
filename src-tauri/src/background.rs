//! The background sync of an unlocked session, reporting to the status bar:
//!
//! - the live loop ([`Syncer::run_live`]): the server's event stream, a sync
//!   round whenever the feed advances, reconnection with backoff;
//! - a full round on demand (`sync_now`), which restarts the live loop;
//! - the outbox pusher: ballots, check-ins and requests to speak go out as
//!   soon as they are made, and again every `outbox_retry` while unanswered.

use std::sync::Arc;

use ecabinet_store::Store;
use ecabinet_sync::{LiveEvent, LiveSink, Progress, ProgressSink, SyncError, SyncStatus, Syncer};
use tokio::sync::Notify;

use crate::convert::ballot_view;
use crate::ipc::{FeedAdvancedView, IpcError, IpcErrorCode, SessionState, SyncProgress};
use crate::state::{AppState, UiEvent, REVOKED_MARKER};

/// Turns the live loop's reports into UI events.
struct Live {
    state: AppState,
    store: Arc<Store>,
    push: Arc<Notify>,
}

impl ProgressSink for Live {
    fn progress(&self, p: &Progress) {
        self.state.emit(UiEvent::SyncProgress(SyncProgress {
            document_id: p.document_id.clone(),
            version: p.version,
            document_done: p.document_done,
            document_total: p.document_total,
            overall_done: p.overall_done,
            overall_total: p.overall_total,
        }));
    }
}

impl LiveSink for Live {
    fn event(&self, e: &LiveEvent) {
        match e {
            LiveEvent::Online => {
                self.state.update_status(|s| {
                    s.online = Some(true);
                    if s.last_error == Some(IpcErrorCode::Offline) {
                        s.last_error = None;
                    }
                });
                // Whatever was recorded while the server was away goes now,
                // even if the feed has nothing new to say.
                self.push.notify_one();
            }
            LiveEvent::Synced(report) => {
                let feed = (report.pull.changes > 0 || report.documents.stored() > 0).then_some(
                    FeedAdvancedView {
                        cursor: report.pull.cursor,
                    },
                );
                let votes = report.push.sent > 0;
                let (state, store) = (self.state.clone(), self.store.clone());
                tauri::async_runtime::spawn(async move {
                    refresh_status(&state, &store, |s| {
                        s.online = Some(true);
                        s.syncing = false;
                        s.last_error = None;
                    })
                    .await;
                    if let Some(f) = feed {
                        state.emit(UiEvent::FeedAdvanced(f));
                    }
                    announce(&state, &store).await;
                    if votes {
                        emit_ballots(&state, &store).await;
                    }
                });
            }
            LiveEvent::Offline(_) => self.state.update_status(|s| {
                s.online = Some(false);
                s.syncing = false;
                s.last_error = Some(IpcErrorCode::Offline);
            }),
            LiveEvent::Failed(_) => self.state.update_status(|s| {
                s.syncing = false;
                s.last_error = Some(IpcErrorCode::ServerError);
            }),
            // The loop returns the error too; handled there.
            LiveEvent::Revoked => {}
        }
    }
}

/// Starts the loops for the session just installed in `state`.
pub(crate) fn start(state: &AppState, store: Arc<Store>, wake: Arc<Notify>, push: Arc<Notify>) {
    let task = tauri::async_runtime::spawn(run(state.clone(), store, wake, push));
    state.set_sync_task(task);
}

async fn run(state: AppState, store: Arc<Store>, wake: Arc<Notify>, push: Arc<Notify>) {
    let syncer = match Syncer::new(store.clone()) {
        Ok(s) => s,
        Err(e) => {
            let code = IpcError::from(e).code;
            state.update_status(|s| s.last_error = Some(code));
            return;
        }
    };
    refresh_status(&state, &store, |_| {}).await;
    let sink = Live {
        state: state.clone(),
        store: store.clone(),
        push: push.clone(),
    };
    // The pusher never ends by itself; the live loop ends the session's sync
    // when the device is revoked or the session expired.
    tokio::select! {
        () = live(&state, &syncer, &sink, &wake) => {}
        () = pusher(&state, &syncer, &push, &wake) => {}
    }
}

async fn live(state: &AppState, syncer: &Syncer, sink: &Live, wake: &Notify) {
    // A full round at unlock and on "sync now"; the live loop in between.
    let mut stopped: Result<(), SyncError> = Ok(());
    loop {
        let result = match stopped {
            Ok(()) => {
                state.update_status(|s| s.syncing = true);
                syncer.sync_once(sink).await.map(LiveEvent::Synced)
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(synced) => sink.event(&synced),
            Err(SyncError::DeviceRevoked) => {
                let st = state.clone();
                // Ending the session closes PDF documents: blocking calls.
                let _ = tauri::async_runtime::spawn_blocking(move || revoked(&st)).await;
                return;
            }
            Err(e) if e.is_transient() => sink.event(&LiveEvent::Offline(e.to_string())),
            Err(e @ SyncError::SessionExpired) => {
                state.update_status(|s| {
                    s.syncing = false;
                    s.last_error = Some(IpcError::from(e).code);
                });
                return;
            }
            Err(e) => state.update_status(|s| {
                s.syncing = false;
                s.last_error = Some(IpcError::from(e).code);
            }),
        }
        stopped = syncer.run_live(sink, wake.notified()).await;
    }
}

async fn pusher(state: &AppState, syncer: &Syncer, push: &Notify, wake: &Notify) {
    loop {
        let pending = pending_ops(syncer.store()).await;
        if pending > 0 {
            tokio::select! {
                () = push.notified() => {}
                () = tokio::time::sleep(state.config().outbox_retry) => {}
            }
        } else {
            push.notified().await;
        }
        match syncer.push().await {
            Ok(report) if report.sent > 0 => {
                refresh_status(state, syncer.store(), |s| s.online = Some(true)).await;
                emit_ballots(state, syncer.store()).await;
            }
            Ok(_) => {}
            // The live loop's next round wipes the cache and says why.
            Err(SyncError::DeviceRevoked) => wake.notify_one(),
            // Left pending; the live loop reports the network state.
            Err(_) => refresh_status(state, syncer.store(), |_| {}).await,
        }
    }
}

async fn pending_ops(store: &Arc<Store>) -> usize {
    let store = store.clone();
    tauri::async_runtime::spawn_blocking(move || store.unresolved_ops(1).map(|o| o.len()))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0)
}

/// Re-reads the last sync time and the outbox count, applies `f`, tells the UI.
pub(crate) async fn refresh_status(
    state: &AppState,
    store: &Arc<Store>,
    f: impl FnOnce(&mut crate::ipc::SyncStatusView),
) {
    let counts = {
        let store = store.clone();
        tauri::async_runtime::spawn_blocking(move || SyncStatus::read(&store))
            .await
            .ok()
            .and_then(Result::ok)
    };
    state.update_status(|s| {
        f(s);
        if let Some(c) = &counts {
            s.last_sync_ms = c.last_sync_ms;
            s.pending_outbox = u32::try_from(c.pending_outbox).unwrap_or(u32::MAX);
        }
    });
}

/// Tells the UI what is new for me since the last round (see [`crate::notices`]).
async fn announce(state: &AppState, store: &Arc<Store>) {
    let Ok(me) = state.user_id() else { return };
    let store = store.clone();
    let now = tauri::async_runtime::spawn_blocking(move || crate::notices::scan(&store, &me))
        .await
        .ok()
        .and_then(Result::ok);
    if let Some(now) = now {
        let news = crate::notices::news(state, now);
        if !news.is_empty() {
            state.emit(UiEvent::Notices(news));
        }
    }
}

/// Tells the UI where every ballot of mine stands.
pub(crate) async fn emit_ballots(state: &AppState, store: &Arc<Store>) {
    let store = store.clone();
    let ballots = tauri::async_runtime::spawn_blocking(move || ecabinet_sync::ballots(&store))
        .await
        .ok()
        .and_then(Result::ok);
    if let Some(b) = ballots {
        state.emit(UiEvent::VotesChanged(
            b.into_iter().map(ballot_view).collect(),
        ));
    }
}

/// The sync client has already wiped the cache; end the session and say why.
fn revoked(state: &AppState) {
    let _ = std::fs::write(state.data_dir().join(REVOKED_MARKER), b"");
    state.end_session();
    state.emit(UiEvent::SessionChanged(SessionState::Revoked));
}
