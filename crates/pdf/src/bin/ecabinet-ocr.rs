//! `ecabinet-ocr FILE`: the words on the image-only pages of a PDF (a
//! scanned, signed original), so members can search them. The sync server
//! runs this after each upload, in a process of its own like
//! `ecabinet-pdfcheck`: its address space and CPU time are capped here
//! (`--max-memory-mib`, `--max-cpu-secs`), and the server kills it after a
//! wall-clock deadline. Tesseract runs as a child of this process and
//! inherits both caps (each child process gets the same caps of its own).
//! Once the file is open and Tesseract checked, it confines itself and its
//! Tesseract children ([`ecabinet_pdf::sandbox`]): system files, PDFium and
//! the OCR program and models may be read, nothing written, no network.
//!
//! Prints JSON lines on stdout: `{"pages_total":N}` (the pages that will be
//! read: those with fewer than 8 characters of their own text, the first
//! `--max-pages` of them, 2000 by default), then
//! `{"done":K}` after each page read, then `{"layer":TextLayer}` (the
//! protocol's text layer: the file's SHA-256, the engine, the words of each
//! page read), and exits 0. A page Tesseract fails on is left out with a
//! warning on stderr (so are the pages past the cap), unless it fails on
//! every page. On an error it prints one line on stderr and
//! exits 2 (usage, or the file is not a readable PDF), 3 (PDFium or
//! Tesseract or its language model is missing) or 4 (OCR failed).

use std::io::{Read, Seek, SeekFrom};
use std::process::ExitCode;

use ecabinet_pdf::limits::Caps;
use ecabinet_pdf::ocr::{read_scanned_pages, OcrProgress};
use ecabinet_pdf::{EngineConfig, OcrError, OcrSource, PdfEngine, PdfError, Tesseract};
use ecabinet_protocol::TextLayer;

const NAME: &str = "ecabinet-ocr";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    // A 40 MP page (the largest read) is 200 MB of pixels here and needed
    // under 384 MiB in Tesseract; the cap leaves room for hostile content.
    let mut caps = Caps {
        memory_mib: 2048,
        cpu_secs: 600,
    };
    let mut lang = String::from("vie");
    let mut max_pages = ecabinet_pdf::ocr::MAX_OCR_PAGES;
    while let Some(a) = args.next() {
        match caps.take(&a, &mut args) {
            Some(Ok(())) => continue,
            Some(Err(why)) => return usage(&why),
            None => {}
        }
        match a.as_str() {
            "--lang" => match args.next().filter(|l| !l.is_empty() && !l.starts_with('-')) {
                Some(l) => lang = l,
                None => return usage("--lang needs a Tesseract language, e.g. vie"),
            },
            "--max-pages" => match args.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0) {
                Some(n) => max_pages = n,
                None => return usage("--max-pages needs a number of pages, at least 1"),
            },
            _ if file.is_none() && !a.starts_with("--") => file = Some(a),
            _ => return usage(&format!("unexpected argument {a:?}")),
        }
    }
    let Some(file) = file else {
        return usage("give the PDF file to read");
    };
    if let Err(e) = caps.apply() {
        return fail(3, &format!("cannot set the resource limits: {e}"));
    }
    let (source, pdf_sha256) = match open(&file) {
        Ok(opened) => opened,
        Err(e) => return fail(2, &format!("cannot read {file}: {e}")),
    };
    // Checked before anything is read, also for a file with nothing to read:
    // a server without Tesseract should learn it at its first upload.
    let tesseract = Tesseract::from_env(&lang);
    let engine_name = match tesseract.describe() {
        Ok(name) => name,
        Err(e) => return fail(3, &e.to_string()),
    };
    // Before the engine's thread starts, which inherits the confinement.
    let reads = ecabinet_pdf::sandbox::helper_reads(Some(&tesseract.program));
    match ecabinet_pdf::sandbox::confine(&reads) {
        Ok(c) => {
            if let Some(w) = c.warning() {
                eprintln!("{NAME}: warning: {w}");
            }
        }
        Err(e) => return fail(3, &format!("cannot confine itself: {e}")),
    }
    let engine = match PdfEngine::start(EngineConfig {
        // Each page is rendered once: nothing to cache.
        cache_budget_bytes: 0,
        ..EngineConfig::default()
    }) {
        Ok(engine) => engine,
        Err(e) => return fail(3, &e.to_string()),
    };
    let source = OcrSource::new(source);
    let pages = read_scanned_pages(&engine, &source, &tesseract, max_pages, |p| match p {
        OcrProgress::Planned { pages_total } => {
            println!("{}", serde_json::json!({ "pages_total": pages_total }));
        }
        OcrProgress::PageDone { done } => println!("{}", serde_json::json!({ "done": done })),
    });
    let read = match pages {
        Ok(read) => read,
        Err(e) => {
            let code = match &e {
                OcrError::Pdf(
                    PdfError::Empty
                    | PdfError::Malformed
                    | PdfError::PasswordProtected
                    | PdfError::UnsupportedSecurity
                    | PdfError::NoPages
                    | PdfError::SourceRead(_),
                ) => 2,
                OcrError::Pdf(PdfError::LibraryNotFound { .. } | PdfError::LibraryLoad { .. })
                | OcrError::EngineMissing { .. }
                | OcrError::EngineUnusable { .. }
                | OcrError::LanguageMissing { .. } => 3,
                _ => 4,
            };
            return fail(code, &e.to_string());
        }
    };
    // The layer holds what was read; the server logs what was not.
    for (page, why) in &read.failed {
        eprintln!("{NAME}: warning: page {} left out: {why}", page + 1);
    }
    if read.not_read > 0 {
        eprintln!(
            "{NAME}: warning: {} scanned pages past the first {max_pages} not read",
            read.not_read
        );
    }
    let layer = TextLayer {
        pdf_sha256,
        engine: engine_name,
        pages: read.pages,
    };
    println!("{}", serde_json::json!({ "layer": layer }));
    ExitCode::SUCCESS
}

/// Opens `file` and hashes it; the reader is handed back at its start.
fn open(file: &str) -> std::io::Result<(std::fs::File, String)> {
    let mut f = std::fs::File::open(file)?;
    let mut sha = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => sha.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    f.seek(SeekFrom::Start(0))?;
    Ok((f, ecabinet_protocol::hex::encode(sha.finish().as_ref())))
}

fn fail(code: u8, why: &str) -> ExitCode {
    eprintln!("{NAME}: {why}");
    ExitCode::from(code)
}

fn usage(why: &str) -> ExitCode {
    eprintln!(
        "{NAME}: {why}\nusage: {NAME} [--max-memory-mib N] [--max-cpu-secs N] [--lang vie] [--max-pages N] FILE"
    );
    ExitCode::from(2)
}
