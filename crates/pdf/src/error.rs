//! The one error type of the PDF engine.

use std::path::PathBuf;

use pdfium_render::prelude::{PdfiumError, PdfiumInternalError};

/// Errors of the PDF engine. Document-level variants (`Empty`, `Malformed`,
/// `PasswordProtected`, …) concern one document only: the engine keeps
/// running and other documents stay open.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No PDFium library was found at any of the places we look.
    #[error("PDFium library not found; looked in: {}", .tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    LibraryNotFound { tried: Vec<PathBuf> },
    /// A library file exists but could not be loaded.
    #[error("PDFium library at {path} could not be loaded: {reason}")]
    LibraryLoad { path: PathBuf, reason: String },
    /// The document has no bytes at all.
    #[error("the document is empty (0 bytes)")]
    Empty,
    /// The bytes are not a PDF PDFium can read (garbage, truncated, damaged).
    #[error("the document is not a readable PDF (damaged or truncated)")]
    Malformed,
    /// The PDF is encrypted with a user password we were not given.
    #[error("the document is protected by a password")]
    PasswordProtected,
    /// The PDF uses a security handler PDFium does not support.
    #[error("the document uses an unsupported security handler")]
    UnsupportedSecurity,
    /// Reading a reader-backed document's bytes failed (for the store's blob
    /// reader: a damaged chunk, `StoreError::BlobCorrupt` inside the I/O
    /// error). Every later request on that document answers the same error.
    #[error("the document's bytes could not be read: {0}")]
    SourceRead(#[source] std::sync::Arc<std::io::Error>),
    /// The PDF opened but has no pages.
    #[error("the document has no pages")]
    NoPages,
    /// The handle does not name an open document (closed, or never opened).
    #[error("no open document with handle {0}")]
    UnknownDocument(u64),
    /// A page index beyond the document's last page.
    #[error("page {page} is out of range (the document has {count} pages)")]
    PageOutOfRange { page: u32, count: u32 },
    /// A request's arguments cannot be honoured (e.g. a zero or huge scale).
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// The page would render to more pixels than [`crate::MAX_RENDER_PIXELS`]
    /// (a huge page, or a huge zoom): refused before any rendering, which
    /// could otherwise take a minute and gigabytes of memory.
    #[error("the page would render at {width}×{height} pixels, more than the limit of {limit} pixels; zoom out or choose a lower resolution")]
    PageTooLarge { width: u64, height: u64, limit: u64 },
    /// The request's ticket was cancelled before the work started.
    #[error("the request was cancelled")]
    Cancelled,
    /// The owner thread is gone (stopped, or it panicked inside PDFium).
    #[error("the PDF engine is not running")]
    EngineStopped,
    /// PDFium failed in an operation on an open document.
    #[error("PDFium failed to {op}: {detail}")]
    Pdfium { op: &'static str, detail: String },
    /// Writing the annotation objects of an export failed.
    #[error("writing the annotations into the PDF failed: {0}")]
    Export(String),
    /// Encoding a rendered page into an image format failed.
    #[error("encoding the rendered page failed: {0}")]
    Encode(String),
}

impl PdfError {
    /// Wraps a PDFium failure of operation `op` (e.g. "render page").
    pub(crate) fn pdfium(op: &'static str, e: PdfiumError) -> Self {
        PdfError::Pdfium {
            op,
            detail: format!("{e:?}"),
        }
    }

    /// Classifies a failure to open a document from bytes.
    pub(crate) fn from_load(e: PdfiumError) -> Self {
        match e {
            PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
                PdfError::PasswordProtected
            }
            PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::SecurityError) => {
                PdfError::UnsupportedSecurity
            }
            PdfiumError::PdfiumLibraryInternalError(
                PdfiumInternalError::FormatError | PdfiumInternalError::FileError,
            ) => PdfError::Malformed,
            other => PdfError::pdfium("open document", other),
        }
    }
}
