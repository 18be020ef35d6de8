use crate::ipc::{AppInfo, PdfiumStatus};

/// The app's version and the PDFium build it loaded.
#[tauri::command]
pub fn app_info() -> AppInfo {
    let pdfium = match ecabinet_pdf::library::pdfium() {
        Ok((_, info)) => PdfiumStatus::Loaded {
            version: info.version.clone().unwrap_or_else(|| "unknown".into()),
            path: info.path.display().to_string(),
        },
        Err(e) => PdfiumStatus::Unavailable {
            message: e.to_string(),
        },
    };
    AppInfo {
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        pdfium,
    }
}
