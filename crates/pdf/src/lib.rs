//! The PDF engine of E-Cabinet.
//!
//! PDFium is loaded at run time from the shared library that the setup script
//! takes from the pinned `pypdfium2` wheel. PDFium is not thread-safe, so all
//! calls into it go through one owner thread (see [`library`]).

pub mod library;

pub use library::{locate_pdfium, PdfiumInfo, PdfError};
