//! Types that cross the IPC boundary to the web UI.
//!
//! TypeScript declarations for these are generated into
//! `ui/src/lib/bindings.ts`; the test `bindings_are_up_to_date` fails when the
//! committed file differs from what the Rust types say
//! (`UPDATE_BINDINGS=1 cargo test -p ecabinet-app bindings` rewrites it).

use serde::Serialize;
use ts_rs::TS;

/// The closed set of error codes the UI branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorCode {
    PdfiumUnavailable,
    Internal,
}

/// Every command's error: a code for the UI to act on, and an English
/// message for logs (the UI shows its own translated text per code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
}

/// Whether PDFium could be loaded, and which build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PdfiumStatus {
    Loaded { version: String, path: String },
    Unavailable { message: String },
}

/// What the About panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub app_version: String,
    pub pdfium: PdfiumStatus,
}

/// The generated TypeScript for every IPC type, in a stable order.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        IpcErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
        PdfiumStatus::decl(&cfg),
        AppInfo::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from src-tauri/src/ipc.rs by ts-rs. Do not edit by hand:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p ecabinet-app bindings`.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
