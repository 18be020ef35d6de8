//! The E-Cabinet desktop shell.
//!
//! Windows, commands and state wiring only: every command converts its input,
//! calls one function of a core crate and maps the error (see `commands/`).
//! Types that cross into the web UI live in [`ipc`] and have generated
//! TypeScript bindings in `ui/src/lib/bindings.ts`.

pub mod commands;
pub mod ipc;

/// Builds the Tauri application with every command registered.
pub fn builder() -> tauri::Builder<tauri::Wry> {
    tauri::Builder::default().invoke_handler(tauri::generate_handler![commands::about::app_info])
}

/// Runs the desktop app until its last window closes.
pub fn run() {
    if let Err(e) = builder().run(tauri::generate_context!()) {
        eprintln!("E-Cabinet could not start: {e}");
        std::process::exit(1);
    }
}
