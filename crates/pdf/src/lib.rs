//! The PDF engine of E-Cabinet.
//!
//! PDFium is loaded at run time from the shared library that the setup script
//! takes from the pinned `pypdfium2` wheel. PDFium is not thread-safe, so all
//! calls into it go through one owner thread ([`PdfEngine`]), which holds the
//! open documents, renders pages (with a byte-budgeted cache), extracts text
//! and writes annotated copies. Documents come in as plaintext bytes in
//! memory, never as file paths: decryption belongs to the store.

pub mod annotations;
mod cache;
pub mod comment_summary;
pub mod compose;
mod engine;
mod error;
pub mod legacy;
pub mod library;
pub mod limits;
pub mod ocr;
pub mod opinion_form;
pub mod render;
pub mod sandbox;
pub mod stored;
pub mod testing;
pub mod text;
pub mod watermark;

pub use annotations::{Annotation, AnnotationKind, FoundAnnotation, Point, Rgba};
pub use engine::{DocHandle, EngineConfig, OpenedDocument, PageSize, PdfEngine, Pending, Ticket};
pub use error::PdfError;
pub use library::{locate_pdfium, PdfiumInfo};
pub use ocr::{page_text_from_words, with_text_layer, OcrError, OcrSource, Tesseract};
pub use render::{ImageFormat, RenderRequest, RenderedPage, MAX_RENDER_PIXELS};
pub use text::{PageText, PdfRectF, SearchHit, SearchIndex, TextChar};
pub use watermark::Watermark;
