//! `ecabinet-pdfcheck FILE`: can members open this PDF? The sync server runs
//! this on every uploaded document version before accepting it, in a process
//! of its own so that a hostile file can take down only this process: its
//! address space and CPU time are capped here (`--max-memory-mib`,
//! `--max-cpu-secs`) and the server kills it after a wall-clock deadline.
//! Once the file is open it confines itself ([`ecabinet_pdf::sandbox`]): it
//! can read system files and PDFium only, write nothing, and reach no
//! network, so a file that takes it over cannot reach the server's data.
//!
//! Prints one JSON line and exits 0 when it reached a verdict:
//! `{"ok":true,"pages":N}`, or `{"ok":false,"reason":R,"detail":"…"}` with
//! R one of `password`, `unsupported_security`, `no_pages`, `damaged`,
//! `empty`. Any other exit (a crash, a limit hit, a usage error) means "no
//! verdict", which the server treats as a refusal.

use std::process::ExitCode;

use ecabinet_pdf::limits::Caps;
use ecabinet_pdf::{PdfEngine, PdfError};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut caps = Caps {
        memory_mib: 1536,
        cpu_secs: 30,
    };
    while let Some(a) = args.next() {
        match caps.take(&a, &mut args) {
            Some(Ok(())) => continue,
            Some(Err(why)) => return usage(&why),
            None => {}
        }
        if file.is_none() && !a.starts_with("--") {
            file = Some(a);
        } else {
            return usage(&format!("unexpected argument {a:?}"));
        }
    }
    let Some(file) = file else {
        return usage("give the PDF file to check");
    };
    if let Err(e) = caps.apply() {
        eprintln!("ecabinet-pdfcheck: cannot set the resource limits: {e}");
        return ExitCode::from(3);
    }
    let source = match std::fs::File::open(&file) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => {
            eprintln!("ecabinet-pdfcheck: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    // Before the engine's thread starts, which inherits the confinement.
    match ecabinet_pdf::sandbox::confine(&ecabinet_pdf::sandbox::helper_reads(None)) {
        Ok(c) => {
            if let Some(w) = c.warning() {
                eprintln!("ecabinet-pdfcheck: warning: {w}");
            }
        }
        Err(e) => {
            eprintln!("ecabinet-pdfcheck: cannot confine itself: {e}");
            return ExitCode::from(3);
        }
    }
    let engine = match PdfEngine::start(Default::default()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ecabinet-pdfcheck: {e}");
            return ExitCode::from(3);
        }
    };
    let verdict = match engine.open_reader(source, "upload") {
        Ok(doc) => serde_json::json!({"ok": true, "pages": doc.pages.len()}),
        Err(e) => {
            let reason = match e {
                PdfError::PasswordProtected => "password",
                PdfError::UnsupportedSecurity => "unsupported_security",
                PdfError::NoPages => "no_pages",
                PdfError::Empty => "empty",
                PdfError::Malformed => "damaged",
                other => {
                    // The engine itself failed (no library, a stopped
                    // thread): no verdict about the file.
                    eprintln!("ecabinet-pdfcheck: {other}");
                    return ExitCode::from(3);
                }
            };
            serde_json::json!({"ok": false, "reason": reason, "detail": e.to_string()})
        }
    };
    println!("{verdict}");
    ExitCode::SUCCESS
}

fn usage(why: &str) -> ExitCode {
    eprintln!(
        "ecabinet-pdfcheck: {why}\nusage: ecabinet-pdfcheck [--max-memory-mib N] [--max-cpu-secs N] FILE"
    );
    ExitCode::from(2)
}
