//! Searchable scans: after a version is uploaded, the words on its
//! image-only pages are read in the background by `ecabinet-ocr` (built from
//! `crates/pdf`: PDFium renders, Tesseract reads, with the Vietnamese model),
//! in a process of its own that caps its own memory and CPU time, killed
//! past a wall-clock deadline — the server links no PDFium.
//!
//! Each version gets a `text_layers` row in its upload's transaction
//! (`queued`); one layer is read at a time. The secretary sees the progress
//! on the version record (`running`, pages done of pages to read), which is
//! sent again at most every two seconds. The words are stored as a blob of
//! their own, and the server signs a [`TextLayerManifest`] binding them to
//! the version's PDF, so devices take them only as they take documents:
//! verified. A layer that cannot be read is `failed` with the reason; the
//! document itself is never affected. Layers left queued or running by a
//! restart are read again when the server starts.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ecabinet_protocol::{TextLayer, TextLayerManifest, MAX_TEXT_LAYER_BYTES};
use futures_util::StreamExt as _;
use tokio::io::AsyncBufReadExt as _;

use crate::blobs::Upload;
use crate::db::Tx;
use crate::{params, records, AppError, AppState};

/// The worker's file name.
pub const WORKER: &str = "ecabinet-ocr";

/// How scans are read, by which program, within which limits.
#[derive(Debug, Clone)]
pub struct OcrConfig {
    /// Off: versions get no text layer at all.
    pub enabled: bool,
    /// `None`: `$ECABINET_OCR_WORKER`, else beside the server.
    pub worker: Option<PathBuf>,
    /// Wall-clock deadline for one document.
    pub timeout: Duration,
    /// The worker's address-space cap (Tesseract runs under it too).
    pub max_memory_mib: u64,
    /// The worker's CPU-time cap.
    pub max_cpu_secs: u64,
}

impl Default for OcrConfig {
    fn default() -> Self {
        OcrConfig {
            enabled: true,
            worker: None,
            timeout: Duration::from_secs(60 * 60),
            max_memory_mib: 2048,
            max_cpu_secs: 3000,
        }
    }
}

impl OcrConfig {
    /// No OCR (tests that count feed records exactly).
    pub fn off() -> Self {
        OcrConfig {
            enabled: false,
            ..OcrConfig::default()
        }
    }

    fn resolve(&self) -> Option<PathBuf> {
        match &self.worker {
            Some(p) => p.is_file().then(|| p.clone()),
            None => crate::pdf_check::find_beside(WORKER, "ECABINET_OCR_WORKER"),
        }
    }
}

/// One layer at a time: OCR takes a core for minutes.
#[derive(Debug)]
pub struct OcrGate(tokio::sync::Semaphore);

impl Default for OcrGate {
    fn default() -> Self {
        OcrGate(tokio::sync::Semaphore::new(1))
    }
}

/// Records version `version_id`'s text layer as queued, in the upload's
/// transaction ([`crate::versions::insert_version`] when OCR is on).
pub fn queue(tx: &mut Tx<'_>, version_id: &str, now: i64) -> Result<(), AppError> {
    tx.conn.execute(
        "INSERT INTO text_layers (version_id, status, updated_at) VALUES (?, 'queued', ?)",
        params![version_id, now],
    )?;
    Ok(())
}

/// Reads version `version_id`'s layer in the background.
pub fn start(state: &AppState, version_id: String) {
    if !state.config.ocr.enabled {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let _turn = state.ocr_gate.0.acquire().await;
        if let Err(why) = read(&state, &version_id).await {
            tracing::warn!(version_id, "the text layer could not be read: {why}");
            let _ = set_status(&state, &version_id, Status::Failed(why.said)).await;
        }
    });
}

/// Reads again every layer a restart left queued or running (`serve` calls
/// it at start; the other commands open the state without reading scans).
pub fn resume(state: &AppState) {
    if !state.config.ocr.enabled {
        return;
    }
    let st = state.clone();
    tokio::spawn(async move {
        let ids = st
            .db
            .read(|conn| {
                let rows = conn.query(
                    "SELECT version_id FROM text_layers WHERE status IN ('queued', 'running') ORDER BY updated_at",
                    params![],
                )?;
                rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()
            })
            .await;
        match ids {
            Ok(ids) => ids.into_iter().for_each(|id| start(&st, id)),
            Err(e) => tracing::error!("cannot resume the text layers left unread: {e}"),
        }
    });
}

/// Why a layer failed: what the version record says (`said`, for the
/// secretary), and what only the log gets.
#[derive(Debug)]
struct Failure {
    said: String,
    detail: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.said, self.detail)
    }
}

fn fail(said: &str, detail: impl std::fmt::Display) -> Failure {
    Failure {
        said: said.to_owned(),
        detail: detail.to_string(),
    }
}

const NOT_INSTALLED: &str =
    "Máy chủ chưa cài bộ nhận dạng chữ (OCR). / OCR is not installed on this server.";
const NO_RESULT: &str =
    "Không nhận dạng được chữ trong tài liệu này. / The text of this document could not be read.";
const GAVE_UP: &str = "Đã thử nhận dạng chữ nhiều lần nhưng lần nào cũng bị ngắt; tài liệu vẫn đọc được, chỉ không tìm kiếm được các trang scan. \
     / Reading the text was tried several times and cut off each time; the document can still be read, its scanned pages just cannot be searched.";
/// Runs of one layer's reading a restart may cut off before it gives up.
pub const MAX_ATTEMPTS: i64 = 3;
const TOO_LONG: &str =
    "Nhận dạng chữ quá thời gian cho phép. / Reading the text took longer than the server allows.";

enum Status {
    Running {
        done: u32,
        total: u32,
    },
    Ready {
        sha256: String,
        size: u64,
        signature: String,
        total: u32,
    },
    NotNeeded,
    Failed(String),
}

/// Updates the row and sends the version record to whoever sees it.
async fn set_status(state: &AppState, version_id: &str, status: Status) -> Result<(), AppError> {
    let (id, now) = (version_id.to_owned(), state.now());
    state
        .db
        .write(move |tx| {
            match &status {
                Status::Running { done, total } => tx.conn.execute(
                    "UPDATE text_layers SET status = 'running', pages_done = ?, pages_total = ?, updated_at = ? WHERE version_id = ?",
                    params![i64::from(*done), i64::from(*total), now, &id],
                )?,
                Status::Ready { sha256, size, signature, total } => {
                    let size = i64::try_from(*size).unwrap_or(i64::MAX);
                    tx.conn.execute(
                        "INSERT INTO blobs (sha256, size, created_at) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                        params![sha256, size, now],
                    )?;
                    tx.conn.execute(
                        "UPDATE text_layers SET status = 'ready', pages_done = ?, pages_total = ?, layer_sha256 = ?, layer_size = ?, layer_signature = ?, error = NULL, updated_at = ? WHERE version_id = ?",
                        params![i64::from(*total), i64::from(*total), sha256, size, signature, now, &id],
                    )?
                }
                Status::NotNeeded => tx.conn.execute(
                    "UPDATE text_layers SET status = 'not_needed', updated_at = ? WHERE version_id = ?",
                    params![now, &id],
                )?,
                Status::Failed(why) => tx.conn.execute(
                    "UPDATE text_layers SET status = 'failed', error = ?, updated_at = ? WHERE version_id = ?",
                    params![why, now, &id],
                )?,
            };
            // Progress is for the editors; the outcome for all who see the version.
            let editors_only = matches!(status, Status::Running { .. });
            records::emit_version(tx, &id, now, editors_only)
        })
        .await
}

async fn read(state: &AppState, version_id: &str) -> Result<(), Failure> {
    let id = version_id.to_owned();
    let (version, attempts) = state
        .db
        .write(move |tx| {
            tx.conn.execute(
                "UPDATE text_layers SET attempts = attempts + 1 WHERE version_id = ?",
                params![&id],
            )?;
            let attempts = tx
                .conn
                .query(
                    "SELECT attempts FROM text_layers WHERE version_id = ?",
                    params![&id],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            Ok::<_, AppError>((records::document_version(tx.conn, &id)?, attempts))
        })
        .await
        .map_err(|e| fail(NO_RESULT, e))?;
    let Some(version) = version else {
        // The document was deleted meanwhile.
        return Ok(());
    };
    if attempts > MAX_ATTEMPTS {
        // Each earlier run was cut off (a restart, a crash of the server):
        // reading it again at every start would only do the same.
        return Err(fail(
            GAVE_UP,
            format!("{} runs were cut off before this one", attempts - 1),
        ));
    }
    let worker = state
        .config
        .ocr
        .resolve()
        .ok_or_else(|| fail(NOT_INSTALLED, format!("{WORKER} not found")))?;

    // The worker reads a local copy (the blob may be in S3), checked against
    // the version's hash on the way.
    let mut copy = Upload::create(state.blobs.incoming_dir())
        .await
        .map_err(|e| fail(NO_RESULT, e))?;
    let mut bytes = state
        .blobs
        .get(&version.sha256, None)
        .await
        .map_err(|e| fail(NO_RESULT, e))?
        .bytes;
    while let Some(chunk) = bytes.next().await {
        let chunk = chunk.map_err(|e| fail(NO_RESULT, e))?;
        copy.write(&chunk).await.map_err(|e| fail(NO_RESULT, e))?;
    }
    let pdf = copy.finish().await.map_err(|e| fail(NO_RESULT, e))?;
    if pdf.sha256 != version.sha256 {
        return Err(fail(
            NO_RESULT,
            "the stored PDF does not match its version's hash",
        ));
    }

    let cfg = &state.config.ocr;
    // In a process group of its own, so Tesseract goes with it at the deadline.
    let mut command =
        crate::pdf_check::helper_command(&worker, cfg.max_memory_mib, cfg.max_cpu_secs, pdf.path());
    let mut child = command.spawn().map_err(|e| {
        fail(
            NOT_INSTALLED,
            format!("cannot start {}: {e}", worker.display()),
        )
    })?;
    let group = child.id();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| fail(NO_RESULT, "no stdout"))?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| fail(NO_RESULT, "no stderr"))?;
    // Its last words, for the log: 64 KiB are plenty; the rest is drained.
    let errors = tokio::spawn(async move {
        let said =
            crate::pdf_check::read_bounded(Some(stderr), crate::pdf_check::HELPER_OUTPUT_BYTES)
                .await;
        String::from_utf8_lossy(&said).into_owned()
    });

    // What the worker may print: the layer a device would accept, and room
    // for the progress lines. Past it the worker is stopped, not read on.
    let budget = MAX_TEXT_LAYER_BYTES + (1 << 20);
    let mut lines =
        tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(stdout, budget)).lines();
    let mut printed = 0u64;
    let mut total = 0u32;
    let mut layer: Option<TextLayer> = None;
    let mut said = Instant::now() - Duration::from_secs(60);
    let reading = async {
        while let Some(line) = lines.next_line().await.map_err(|e| fail(NO_RESULT, e))? {
            printed += line.len() as u64 + 1;
            if printed >= budget {
                return Err(fail(
                    NO_RESULT,
                    "the worker printed more than a text layer may hold",
                ));
            }
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if let Some(n) = v.get("pages_total").and_then(|n| n.as_u64()) {
                total = u32::try_from(n).unwrap_or(u32::MAX);
                set_status(state, version_id, Status::Running { done: 0, total })
                    .await
                    .map_err(|e| fail(NO_RESULT, e))?;
                said = Instant::now();
            } else if let Some(done) = v.get("done").and_then(|n| n.as_u64()) {
                if said.elapsed() >= Duration::from_secs(2) {
                    let done = u32::try_from(done).unwrap_or(u32::MAX).min(total);
                    set_status(state, version_id, Status::Running { done, total })
                        .await
                        .map_err(|e| fail(NO_RESULT, e))?;
                    said = Instant::now();
                }
            } else if let Some(l) = v.get("layer") {
                layer = Some(
                    serde_json::from_value(l.clone())
                        .map_err(|e| fail(NO_RESULT, format!("the worker's layer: {e}")))?,
                );
            }
        }
        child.wait().await.map_err(|e| fail(NO_RESULT, e))
    };
    // On any way out but the worker's own exit, its group goes too (it is
    // not reaped yet, so the group id is still the worker's); dropping the
    // child kills the worker itself (`kill_on_drop`).
    let exit = match tokio::time::timeout(cfg.timeout, reading).await {
        Ok(Ok(exit)) => exit,
        Ok(Err(why)) => {
            crate::pdf_check::kill_group(group);
            return Err(why);
        }
        Err(_) => {
            crate::pdf_check::kill_group(group);
            return Err(fail(TOO_LONG, format!("past {:?}", cfg.timeout)));
        }
    };
    let stderr_text = errors.await.unwrap_or_default();
    if exit.success() {
        crate::pdf_check::note_worker_warnings(&stderr_text);
        // Pages left out (Tesseract failed on them, or past the page cap).
        for line in stderr_text
            .lines()
            .filter(|l| l.contains(": warning: page") || l.contains("not read"))
        {
            tracing::warn!(version_id, "{line}");
        }
    }
    let layer = match layer {
        Some(l) if exit.success() => l,
        _ => {
            return Err(fail(
                NO_RESULT,
                format!(
                    "{exit}: {}",
                    stderr_text.trim().lines().last().unwrap_or("")
                ),
            ))
        }
    };
    drop(pdf);
    if layer.pdf_sha256 != version.sha256 {
        return Err(fail(NO_RESULT, "the worker read another PDF"));
    }
    if layer.pages.is_empty() {
        return set_status(state, version_id, Status::NotNeeded)
            .await
            .map_err(|e| fail(NO_RESULT, e));
    }
    let body = serde_json::to_vec(&layer).map_err(|e| fail(NO_RESULT, e))?;
    if body.len() as u64 > MAX_TEXT_LAYER_BYTES {
        // Devices would refuse it: keep the document's pages unsearchable instead.
        return Err(fail(
            NO_RESULT,
            format!("a text layer of {} bytes", body.len()),
        ));
    }
    let sha256 = crate::blobs::put_bytes(state.blobs.as_ref(), &body)
        .await
        .map_err(|e| fail(NO_RESULT, e))?;
    let size = body.len() as u64;
    let signature = state.signer.sign_text_layer(&TextLayerManifest {
        doc_id: version.document_id.clone(),
        version: version.version,
        pdf_sha256: version.sha256.clone(),
        layer_sha256: sha256.clone(),
        layer_size: size,
    });
    set_status(
        state,
        version_id,
        Status::Ready {
            sha256,
            size,
            signature,
            total: total.max(u32::try_from(layer.pages.len()).unwrap_or(u32::MAX)),
        },
    )
    .await
    .map_err(|e| fail(NO_RESULT, e))
}
