//! The E-Cabinet desktop shell.
//!
//! Windows, commands and state wiring only: every command converts its input,
//! calls one function of a core crate and maps the error (see `commands/`).
//! Types that cross into the web UI live in [`ipc`] and have generated
//! TypeScript bindings in `ui/src/lib/bindings.ts`. Page images reach the UI
//! through the `ecabinet:` URI scheme ([`pages`]), never over IPC.

mod background;
pub mod commands;
mod convert;
mod errors;
mod floor;
pub mod ipc;
mod notices;
pub mod pages;
mod search;
mod session;
pub mod state;
mod views;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ecabinet_pdf::{EngineConfig, PdfEngine};
use ecabinet_store::StoreConfig;
use tauri::{Emitter, Manager, Runtime};

use crate::ipc::events;
use crate::state::{AppConfig, AppState, EventSink, UiEvent};

/// Every command the UI may call.
pub fn handlers<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::about::app_info,
        commands::session::session_state,
        commands::session::enrol,
        commands::session::server_fingerprint,
        commands::session::unlock,
        commands::session::lock,
        commands::session::sign_in_again,
        commands::sync::sync_status,
        commands::sync::sync_now,
        commands::meetings::list_meetings,
        commands::meetings::meeting_detail,
        commands::documents::open_document,
        commands::documents::document_signatures,
        commands::signing::token_module,
        commands::signing::set_token_module,
        commands::presenting::presentation,
        commands::presenting::present_page,
        commands::presenting::stop_presenting,
        commands::signing::sign_version,
        commands::documents::close_document,
        commands::documents::search_meeting,
        commands::annotations::list_annotations,
        commands::annotations::record_annotation,
        commands::annotations::delete_annotation,
        commands::annotations::page_text,
        commands::annotations::export_annotated,
        commands::votes::open_motions,
        commands::votes::cast_ballot,
        commands::floor::meeting_floor,
        commands::floor::request_to_speak,
        commands::floor::check_in,
        commands::reading::read_status,
        commands::chair::chair_motion_result,
        commands::chair::opinion_forms,
        commands::chair::save_opinion_forms,
        commands::chair::chair_open_motion,
        commands::chair::chair_close_motion,
        commands::chair::chair_create_motion,
        commands::chair::chair_set_current_item,
        commands::chair::chair_start_meeting,
        commands::chair::chair_close_meeting,
        commands::chair::chair_grant_speaker,
        commands::chair::chair_end_speaker,
        commands::chair::chair_set_speaking_time,
        commands::secretary::secretary_committees,
        commands::secretary::secretary_meeting,
        commands::secretary::secretary_create_meeting,
        commands::secretary::secretary_update_meeting,
        commands::secretary::secretary_set_meeting_watermark,
        commands::secretary::secretary_add_item,
        commands::secretary::secretary_rename_item,
        commands::secretary::secretary_set_item_timing,
        commands::secretary::secretary_move_item,
        commands::secretary::secretary_delete_item,
        commands::secretary::secretary_upload_start,
        commands::secretary::secretary_upload_chunk,
        commands::secretary::secretary_upload_status,
        commands::secretary::secretary_upload_finish,
        commands::secretary::secretary_upload_cancel,
        commands::secretary::secretary_delete_document,
        commands::secretary::secretary_withdraw_item,
        commands::secretary::secretary_withdraw_document,
        commands::secretary::secretary_set_document_policy,
        commands::secretary::secretary_access_register,
        commands::secretary::secretary_publish,
        commands::admin::admin_am_i_admin,
        commands::admin::admin_directory,
        commands::admin::admin_create_user,
        commands::admin::admin_reset_password,
        commands::admin::admin_set_disabled,
        commands::admin::admin_create_committee,
        commands::admin::admin_update_committee,
        commands::admin::admin_set_speaking_limit,
        commands::admin::admin_set_membership,
        commands::admin::admin_remove_membership,
        commands::admin::admin_revoke_device,
        commands::admin::admin_enrol_code,
        commands::admin::admin_trusted_roots,
        commands::admin::admin_set_trusted_roots,
        commands::admin::admin_register_signing_certificate,
        commands::comments::write_draft_comment,
        commands::comments::draft_comments,
        commands::comments::respond_draft_comment,
        commands::comments::export_comment_summary,
        commands::admin::admin_remove_signing_certificate,
    ]
}

/// Forwards [`UiEvent`]s to the webview as typed Tauri events.
struct TauriEvents<R: Runtime>(tauri::AppHandle<R>);

impl<R: Runtime> EventSink for TauriEvents<R> {
    fn emit(&self, event: UiEvent) {
        // A window that is gone cannot be told anything; nothing to do then.
        let _ = match event {
            UiEvent::SyncStatus(p) => self.0.emit(events::SYNC_STATUS, p),
            UiEvent::SyncProgress(p) => self.0.emit(events::SYNC_PROGRESS, p),
            UiEvent::SessionChanged(p) => self.0.emit(events::SESSION_CHANGED, p),
            UiEvent::FeedAdvanced(p) => self.0.emit(events::FEED_ADVANCED, p),
            UiEvent::VotesChanged(p) => self.0.emit(events::VOTES_CHANGED, p),
            UiEvent::Notices(p) => self.0.emit(events::NOTICES, p),
        };
    }
}

/// Settings from the environment: `ECABINET_DATA_DIR` (else the platform data
/// dir) and `ECABINET_SERVER_URL` (pre-fills the first-run screen).
fn config_from_env<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<AppConfig, tauri::Error> {
    let data_dir = match std::env::var_os("ECABINET_DATA_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => app.path().app_data_dir()?,
    };
    Ok(AppConfig {
        data_dir,
        server_url_hint: std::env::var("ECABINET_SERVER_URL")
            .ok()
            .filter(|s| !s.is_empty()),
        store: StoreConfig::default(),
        outbox_retry: Duration::from_secs(5),
    })
}

/// Builds the Tauri application with its state, page scheme and commands.
pub fn builder() -> tauri::Builder<tauri::Wry> {
    tauri::Builder::default()
        .setup(|app| {
            let config = config_from_env(app.handle())?;
            // The web view already holds the decoded images of the pages in
            // view; the engine's cache only has to spare re-rendering the
            // pages just scrolled past, so it stays small here.
            let pdf = PdfEngine::start(EngineConfig {
                cache_budget_bytes: 16 * 1024 * 1024,
                ..EngineConfig::default()
            });
            let events = Arc::new(TauriEvents(app.handle().clone()));
            app.manage(AppState::new(config, pdf, events));
            Ok(())
        })
        .plugin(tauri_plugin_notification::init())
        .register_asynchronous_uri_scheme_protocol(pages::SCHEME, pages::handle)
        .invoke_handler(handlers())
}

/// WebKitGTK's switch for drawing without accelerated compositing.
#[cfg(target_os = "linux")]
const COMPOSITING_SWITCH: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Asks WebKitGTK to draw the page without accelerated compositing, unless
/// whoever started the app already chose (`WEBKIT_DISABLE_COMPOSITING_MODE=0`
/// keeps compositing on a machine whose GPU serves it better).
///
/// Compositing without a usable GPU — older laptops, every virtual machine —
/// runs Mesa's software GL in the web process and keeps GL tiles of the
/// pages scrolled past: reading a 500-page document end to end peaked at
/// about 560 MB for the whole app, about 400 MB without it
/// (`docs/benchmark-notes.md`). Must run before GTK starts and before any
/// other thread exists, as the environment is process-wide.
#[cfg(target_os = "linux")]
fn draw_without_compositing() {
    if std::env::var_os(COMPOSITING_SWITCH).is_none() {
        std::env::set_var(COMPOSITING_SWITCH, "1");
    }
}

/// Runs the desktop app until its last window closes, then ends the session
/// cleanly (see [`AppState::shutdown`]).
pub fn run() {
    #[cfg(target_os = "linux")]
    draw_without_compositing();
    let app = match builder().build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("E-Cabinet could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(state) = handle.try_state::<AppState>() {
                state.shutdown();
            }
        }
    });
}
