//! The upload check: can members open this PDF? The secretary learns it when
//! attaching the file, not every member in the meeting.
//!
//! PDFium does not run in the server. Each uploaded version is handed to
//! `ecabinet-pdfcheck` (built from `crates/pdf`) in a process of its own,
//! which caps its own address space and CPU time; the server adds a
//! wall-clock deadline and kills it past that. A hostile file can crash or
//! exhaust only that process, and a check that reaches no verdict refuses
//! the upload: the check fails closed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ecabinet_protocol::ErrorCode;
use serde::Deserialize;

use crate::AppError;

/// The checker's file name.
pub const CHECKER: &str = "ecabinet-pdfcheck";

/// How a PDF is checked: by which program, within which limits.
#[derive(Debug, Clone)]
pub struct PdfCheck {
    /// `None`: looked up with [`find_checker`] at each check.
    pub checker: Option<PathBuf>,
    /// Wall-clock deadline for one check.
    pub timeout: Duration,
    /// The checker's address-space cap.
    pub max_memory_mib: u64,
    /// The checker's CPU-time cap.
    pub max_cpu_secs: u64,
}

impl Default for PdfCheck {
    fn default() -> Self {
        PdfCheck {
            checker: None,
            timeout: Duration::from_secs(60),
            max_memory_mib: 1536,
            max_cpu_secs: 45,
        }
    }
}

/// Where the checker is: `$ECABINET_PDF_CHECKER`, else beside the running
/// program, else one folder up (a test binary in `target/*/deps`).
pub fn find_checker() -> Option<PathBuf> {
    find_beside(CHECKER, "ECABINET_PDF_CHECKER")
}

/// Where a helper program `name` is: the path in `$env`, else beside the
/// running program, else in `../lib/<program name>/` from it (the package's
/// `/usr/lib/ecabinet-server/`), else one folder up (a test binary in
/// `target/*/deps`).
pub fn find_beside(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let installed = dir
        .parent()
        .zip(exe.file_name())
        .map(|(prefix, own)| prefix.join("lib").join(own));
    let found = [
        Some(dir.to_path_buf()),
        installed,
        dir.parent().map(PathBuf::from),
    ]
    .into_iter()
    .flatten()
    .map(|d| d.join(name))
    .find(|p| p.is_file());
    found
}

/// The checker's verdict line.
#[derive(Debug, Deserialize)]
struct Verdict {
    ok: bool,
    pages: Option<u64>,
    reason: Option<String>,
}

impl PdfCheck {
    /// The checker this server uses, or an error that says how to install it.
    pub fn resolve(&self) -> Result<PathBuf, String> {
        match &self.checker {
            Some(p) if p.is_file() => Ok(p.clone()),
            Some(p) => Err(format!(
                "the PDF checker {} does not exist; install {CHECKER} or give --pdf-checker PATH",
                p.display()
            )),
            None => find_checker().ok_or_else(|| {
                format!(
                    "{CHECKER} was not found beside the server; install it there, or give \
                     --pdf-checker PATH or ECABINET_PDF_CHECKER"
                )
            }),
        }
    }

    /// Checks the PDF at `file`: its page count, or the refusal to answer.
    pub async fn check(&self, file: &Path) -> Result<u64, AppError> {
        let checker = self
            .resolve()
            .map_err(|why| AppError::logged(ErrorCode::Unavailable, UNAVAILABLE, &why))?;
        let mut command = helper_command(&checker, self.max_memory_mib, self.max_cpu_secs, file);
        let mut child = command.spawn().map_err(|e| {
            let why = format!("cannot start {}: {e}", checker.display());
            AppError::logged(ErrorCode::Unavailable, UNAVAILABLE, &why)
        })?;
        let group = child.id();
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        // A verdict is one short line: what the checker prints is read up
        // to a bound (the rest drained), never into memory without end.
        let reading = async {
            let (out, err) = tokio::join!(
                read_bounded(stdout, HELPER_OUTPUT_BYTES),
                read_bounded(stderr, HELPER_OUTPUT_BYTES)
            );
            // Before the checker is reaped its group id is still its own.
            kill_group(group);
            child.wait().await.map(|status| (status, out, err))
        };
        let (status, stdout, stderr) = match tokio::time::timeout(self.timeout, reading).await {
            Err(_) => {
                kill_group(group);
                tracing::warn!(
                    "a PDF check passed its {:?} deadline and was killed",
                    self.timeout
                );
                return Err(unreadable(NO_VERDICT));
            }
            Ok(Err(e)) => {
                kill_group(group);
                tracing::warn!("a PDF check failed to run: {e}");
                return Err(unreadable(NO_VERDICT));
            }
            Ok(Ok(done)) => done,
        };
        let out = std::process::Output {
            status,
            stdout,
            stderr,
        };
        if out.status.success() {
            note_worker_warnings(&String::from_utf8_lossy(&out.stderr));
        }
        let verdict = std::str::from_utf8(&out.stdout)
            .ok()
            .and_then(|s| s.lines().last())
            .and_then(|l| serde_json::from_str::<Verdict>(l).ok());
        match verdict {
            Some(v) if out.status.success() && v.ok => Ok(v.pages.unwrap_or(0)),
            Some(v) if out.status.success() => {
                Err(unreadable(match v.reason.as_deref().unwrap_or_default() {
                    "password" => PASSWORD,
                    "unsupported_security" => UNSUPPORTED_SECURITY,
                    "no_pages" | "empty" => NO_PAGES,
                    _ => DAMAGED,
                }))
            }
            _ => {
                tracing::warn!(
                    "a PDF check reached no verdict ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                Err(unreadable(NO_VERDICT))
            }
        }
    }
}

/// What the server reads of a helper's stdout and of its stderr.
pub(crate) const HELPER_OUTPUT_BYTES: u64 = 64 * 1024;

/// How the server starts a helper program (`ecabinet-pdfcheck`,
/// `ecabinet-ocr`) on `file`: its caps as arguments, only [`HELPER_ENV`],
/// stdin closed, stdout and stderr piped, killed when dropped, and in a
/// process group of its own, so whatever it starts (Tesseract, or what a
/// taken-over helper forks) goes with it ([`kill_group`]).
pub(crate) fn helper_command(
    program: &Path,
    max_memory_mib: u64,
    max_cpu_secs: u64,
    file: &Path,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    helper_env(&mut command);
    command
        .arg("--max-memory-mib")
        .arg(max_memory_mib.to_string())
        .arg("--max-cpu-secs")
        .arg(max_cpu_secs.to_string())
        .arg(file)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    command
}

/// Reads `pipe` up to `limit` bytes, then drains the rest so the writer
/// never blocks on a full pipe.
pub(crate) async fn read_bounded<R: tokio::io::AsyncRead + Unpin>(
    pipe: Option<R>,
    limit: u64,
) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(mut pipe) = pipe {
        let mut head = tokio::io::AsyncReadExt::take(&mut pipe, limit);
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut head, &mut out).await;
        let _ = tokio::io::copy(&mut pipe, &mut tokio::io::sink()).await;
    }
    out
}

/// Kills a helper's process group (the helper started it with itself as
/// leader), with whatever it started.
pub(crate) fn kill_group(group: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = group.and_then(|g| rustix::process::Pid::from_raw(g as i32)) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = group;
}

/// The only environment variables a helper program gets from the server:
/// what it needs to find its programs, libraries and models and to speak
/// the locale. Secrets the server holds in its environment (the S3 keys,
/// the metrics token, a database password) never reach the process that
/// parses an uploaded file: a file that takes it over could read them from
/// its own memory, where no sandbox rule reaches.
pub const HELPER_ENV: &[&str] = &[
    "PATH",
    "LANG",
    "LC_ALL",
    "ECABINET_PDFIUM",
    "ECABINET_TESSERACT",
    "TESSDATA_PREFIX",
];

/// Starts `cmd` with an empty environment but for [`HELPER_ENV`].
pub fn helper_env(cmd: &mut tokio::process::Command) {
    cmd.env_clear();
    for name in HELPER_ENV {
        if let Some(v) = std::env::var_os(name) {
            cmd.env(name, v);
        }
    }
}

/// Logs that a helper runs without its full sandbox on this kernel, once
/// per server process: the operator should know, without a line per upload.
pub(crate) fn note_worker_warnings(stderr: &str) {
    static TOLD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(": warning: ") && l.contains("sandboxed"))
        .collect();
    if !warnings.is_empty() && !TOLD.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "a PDF helper program warned (said once): {}",
            warnings.join("; ")
        );
    }
}

const UNAVAILABLE: &str =
    "the server cannot check uploaded PDFs at the moment; tell the administrator";

// Each refusal in Vietnamese, then English: the secretary reads it as it is
// in the app and in scripts.
const PASSWORD: &str = "Tệp PDF có mật khẩu nên thành viên không mở được: hãy lưu lại không đặt mật khẩu rồi đính kèm lại. \
     / The PDF is password-protected, so members could not open it: save it without a password and attach it again.";
const UNSUPPORTED_SECURITY: &str = "Tệp PDF dùng kiểu bảo vệ mà máy của thành viên không mở được: hãy lưu lại không bảo vệ. \
     / The PDF uses a protection members' devices cannot open: save it without protection and attach it again.";
const NO_PAGES: &str = "Tệp PDF không có trang nào. / The PDF has no pages.";
const DAMAGED: &str = "Tệp PDF bị hỏng, không khôi phục được: hãy xuất lại từ bản gốc. \
     / The PDF is damaged beyond repair: export it again from the original.";
const NO_VERDICT: &str = "Không kiểm tra được tệp PDF trong giới hạn thời gian và bộ nhớ của máy chủ nên tệp bị từ chối. \
     / The PDF could not be checked within the server's time and memory limits, so it is refused.";

fn unreadable(message: &str) -> AppError {
    AppError::new(ErrorCode::UnreadablePdf, message)
}
