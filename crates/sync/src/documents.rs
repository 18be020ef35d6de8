//! Verified, resumable document downloads into the encrypted blob store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::DocumentVersionBody;
use ecabinet_store::{BlobWriter, StoreError, VersionRow};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::header::{ETAG, IF_RANGE, RANGE};
use reqwest::StatusCode;

use crate::{SyncError, Syncer};

/// Bytes of plaintext handed to the store at a time (a few chunks).
const WRITE_BATCH: usize = 1 << 20;

/// Download progress, per document and overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub document_id: String,
    pub version: u32,
    pub document_done: u64,
    pub document_total: u64,
    pub overall_done: u64,
    pub overall_total: u64,
}

/// Receives progress as bytes arrive (the UI's progress bars, the CLI's).
pub trait ProgressSink: Send + Sync {
    fn progress(&self, p: &Progress);
}

impl ProgressSink for () {
    fn progress(&self, _: &Progress) {}
}

/// How one document version ended in this pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentOutcome {
    /// Verified and stored; readable now.
    Stored { bytes_downloaded: u64 },
    /// Refused: the reason is recorded on the version for the UI.
    Rejected { reason: String },
    /// Not finished (network); the partial download resumes next time.
    Interrupted { reason: String },
}

/// What [`Syncer::fetch_documents`] did, one entry per version it tried.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentsReport {
    pub outcomes: Vec<(String, DocumentOutcome)>,
}

impl DocumentsReport {
    pub fn stored(&self) -> usize {
        self.count(|o| matches!(o, DocumentOutcome::Stored { .. }))
    }
    pub fn rejected(&self) -> usize {
        self.count(|o| matches!(o, DocumentOutcome::Rejected { .. }))
    }
    pub fn interrupted(&self) -> usize {
        self.count(|o| matches!(o, DocumentOutcome::Interrupted { .. }))
    }
    pub fn bytes_downloaded(&self) -> u64 {
        self.outcomes
            .iter()
            .map(|(_, o)| match o {
                DocumentOutcome::Stored { bytes_downloaded } => *bytes_downloaded,
                _ => 0,
            })
            .sum()
    }
    fn count(&self, f: impl Fn(&DocumentOutcome) -> bool) -> usize {
        self.outcomes.iter().filter(|(_, o)| f(o)).count()
    }
}

/// Why a version is refused before any byte is fetched.
fn check_manifest(
    row: &VersionRow,
    body: &DocumentVersionBody,
    pinned_key: &[u8],
    trusted: Option<u32>,
) -> Result<(), String> {
    let signed = body
        .signed
        .as_ref()
        .ok_or_else(|| "not published: no signed manifest".to_owned())?;
    signed
        .verify(&BASE64.encode(pinned_key))
        .map_err(|e| format!("manifest signature rejected: {e}"))?;
    let m = &signed.manifest;
    if m.sha256 != row.sha256
        || m.doc_id != body.document_id
        || m.version != body.version
        || m.size != body.size
    {
        return Err("manifest does not match the document version it came with".to_owned());
    }
    if let Some(t) = trusted {
        // An older version may still be fetched as a superseded one; presenting
        // it as current after a newer one was verified is a rollback.
        if m.version < t && !body.superseded {
            return Err(format!(
                "rollback: version {} offered as current after version {t} was verified",
                m.version
            ));
        }
    }
    Ok(())
}

struct Counters {
    done: AtomicU64,
    total: u64,
}

impl Syncer {
    /// Fetches every published document version whose blob is not in the
    /// cache yet, [`crate::SyncOptions::concurrency`] at a time. A refused or
    /// failed document is recorded on that version and never stops the others.
    pub async fn fetch_documents(
        &self,
        progress: &dyn ProgressSink,
    ) -> Result<DocumentsReport, SyncError> {
        let (mut rows, key) = self
            .with_store(|s| Ok((s.versions_missing_blobs()?, s.manifest_key()?)))
            .await?;
        let key = key.ok_or(SyncError::NotEnrolled)?;
        // A run stopped between storing a blob and clearing its old error
        // leaves a stale error behind: clear those first.
        self.with_store(|s| {
            for (version_id, _) in s.version_errors()? {
                let stored = match s.entity(ecabinet_store::Entity::DocumentVersion, &version_id)? {
                    Some(body) => match body.get("sha256").and_then(|v| v.as_str()) {
                        Some(sha) => s.has_blob(sha)?,
                        None => false,
                    },
                    None => true, // the version itself is gone
                };
                if stored {
                    s.set_version_error(&version_id, None)?;
                }
            }
            Ok(())
        })
        .await?;
        // Oldest first, so a document's versions are verified in order.
        rows.sort_by(|a, b| (&a.document_id, a.version).cmp(&(&b.document_id, b.version)));
        let counters = Arc::new(Counters {
            done: AtomicU64::new(0),
            total: rows
                .iter()
                .filter_map(|r| r.body.get("size").and_then(|v| v.as_u64()))
                .sum(),
        });
        let outcomes: Vec<(String, DocumentOutcome)> = futures_util::stream::iter(rows)
            .map(|row| {
                let key = key.clone();
                let counters = counters.clone();
                async move {
                    let id = row.id.clone();
                    let outcome = self.fetch_one(row, &key, &counters, progress).await?;
                    Ok::<_, SyncError>((id, outcome))
                }
            })
            .buffer_unordered(self.options.concurrency.max(1))
            .try_collect()
            .await?;
        Ok(DocumentsReport { outcomes })
    }

    async fn fetch_one(
        &self,
        row: VersionRow,
        key: &[u8],
        counters: &Counters,
        progress: &dyn ProgressSink,
    ) -> Result<DocumentOutcome, SyncError> {
        let body: DocumentVersionBody = match serde_json::from_value(row.body.clone()) {
            Ok(b) => b,
            Err(e) => {
                return self
                    .reject(&row, format!("malformed version record: {e}"))
                    .await
            }
        };
        let doc = body.document_id.clone();
        let trusted = self.with_store(move |s| s.trusted_version(&doc)).await?;
        if let Err(reason) = check_manifest(&row, &body, key, trusted) {
            return self.reject(&row, reason).await;
        }
        let mut last_err = String::new();
        for attempt in 0..self.options.attempts_per_document.max(1) {
            if attempt > 0 {
                tokio::time::sleep(backoff(self.options.backoff_base, attempt)).await;
            }
            match self.download(&row, &body, counters, progress).await {
                Ok(bytes) => {
                    let (doc, v, id) = (body.document_id.clone(), body.version, row.id.clone());
                    self.with_store(move |s| {
                        if s.trusted_version(&doc)?.is_none_or(|t| t < v) {
                            s.set_trusted_version(&doc, v)?;
                        }
                        s.set_version_error(&id, None)
                    })
                    .await?;
                    // Where the committee wants read status, say the bytes are here.
                    let (id, now) = (row.id.clone(), crate::status::now_ms());
                    let store = self.store().clone();
                    tokio::task::spawn_blocking(move || {
                        crate::report_read(
                            &store,
                            &id,
                            ecabinet_protocol::ReadState::Downloaded,
                            now,
                        )
                    })
                    .await
                    .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))??;
                    return Ok(DocumentOutcome::Stored {
                        bytes_downloaded: bytes,
                    });
                }
                Err(Fetch::Reject(reason)) => return self.reject(&row, reason).await,
                Err(Fetch::Fatal(e)) => return Err(e),
                Err(Fetch::Retry(reason)) => last_err = reason,
            }
        }
        Ok(DocumentOutcome::Interrupted { reason: last_err })
    }

    async fn reject(&self, row: &VersionRow, reason: String) -> Result<DocumentOutcome, SyncError> {
        let (id, sha, r) = (row.id.clone(), row.sha256.clone(), reason.clone());
        self.with_store(move |s| {
            // Nothing of a refused blob stays on disk, not even ciphertext.
            s.remove_blob(&sha)?;
            s.set_version_error(&id, Some(&r))
        })
        .await?;
        Ok(DocumentOutcome::Rejected { reason })
    }

    /// One attempt: resume from what the store holds, stream the rest into
    /// encrypted chunks, verify on finish. Returns the bytes transferred.
    async fn download(
        &self,
        row: &VersionRow,
        body: &DocumentVersionBody,
        counters: &Counters,
        progress: &dyn ProgressSink,
    ) -> Result<u64, Fetch> {
        let (sha, size) = (row.sha256.clone(), body.size);
        let etag_key = format!("etag.{sha}");
        let (writer, etag) = {
            let (sha, etag_key) = (sha.clone(), etag_key.clone());
            self.with_store(move |s| Ok((s.blob_writer(&sha, size)?, s.setting(&etag_key)?)))
                .await
                .map_err(Fetch::from_sync)?
        };
        let mut writer = Some(writer);
        let mut offset = writer.as_ref().map_or(0, BlobWriter::resume_offset);
        if offset >= size {
            // Every byte is already stored (a run was stopped between the
            // last chunk and the final check): just verify and publish it.
            let w = writer
                .take()
                .ok_or_else(|| Fetch::Retry("writer lost".into()))?;
            return match self.with_store(move |s| s.finish_blob(w)).await {
                Ok(()) => Ok(0),
                Err(SyncError::Store(StoreError::BlobHashMismatch { .. })) => Err(Fetch::Retry(
                    "the stored copy did not verify; downloading again".to_owned(),
                )),
                Err(e) => Err(Fetch::from_sync(e)),
            };
        }
        let mut req = self.api.get(&format!("/v1/blobs/{sha}"));
        if offset > 0 {
            req = req.header(RANGE, format!("bytes={offset}-"));
            if let Some(etag) = &etag {
                req = req.header(IF_RANGE, etag.clone());
            }
        }
        let resp = match crate::Api::send(req).await {
            Ok(r) => r,
            Err(SyncError::Server { status: 416, .. }) if offset > 0 => {
                // The server's copy no longer matches what we resumed from:
                // drop the partial download and start over.
                let w = writer.take();
                self.with_store(move |_| w.map_or(Ok(()), BlobWriter::discard))
                    .await
                    .map_err(Fetch::from_sync)?;
                return Err(Fetch::Retry("range not satisfiable; restarting".into()));
            }
            Err(e) if e.is_transient() => return Err(Fetch::Retry(e.to_string())),
            Err(e @ (SyncError::DeviceRevoked | SyncError::SessionExpired)) => {
                return Err(Fetch::Fatal(e))
            }
            Err(e) => return Err(Fetch::Reject(format!("download refused: {e}"))),
        };
        if resp.status() == StatusCode::OK && offset > 0 {
            // The server sent the whole blob (the ETag changed or it ignores
            // ranges): start again from zero.
            let w = writer
                .take()
                .ok_or_else(|| Fetch::Retry("writer lost".into()))?;
            let sha2 = sha.clone();
            writer = Some(
                self.with_store(move |s| {
                    w.discard()?;
                    s.blob_writer(&sha2, size)
                })
                .await
                .map_err(Fetch::from_sync)?,
            );
            offset = 0;
        }
        if let Some(tag) = resp.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
            let (k, v) = (etag_key, tag.to_owned());
            self.with_store(move |s| s.set_setting(&k, &v))
                .await
                .map_err(Fetch::from_sync)?;
        }
        let mut position = offset;
        let mut transferred = 0u64;
        let mut buf: Vec<u8> = Vec::with_capacity(WRITE_BATCH);
        let mut stream = resp.bytes_stream();
        let mut stream_error = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(bytes) => {
                    if position + (buf.len() + bytes.len()) as u64 > size {
                        let w = writer.take();
                        self.with_store(move |_| w.map_or(Ok(()), BlobWriter::discard))
                            .await
                            .map_err(Fetch::from_sync)?;
                        return Err(Fetch::Reject(format!(
                            "the server sent more than the manifest's {size} bytes"
                        )));
                    }
                    buf.extend_from_slice(&bytes);
                    transferred += bytes.len() as u64;
                    let done = counters
                        .done
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed)
                        + bytes.len() as u64;
                    progress.progress(&Progress {
                        document_id: body.document_id.clone(),
                        version: body.version,
                        document_done: position + buf.len() as u64,
                        document_total: size,
                        overall_done: done,
                        overall_total: counters.total,
                    });
                    if buf.len() >= WRITE_BATCH {
                        position += buf.len() as u64;
                        writer = Some(self.append(writer.take(), std::mem::take(&mut buf)).await?);
                    }
                }
                Err(e) => {
                    stream_error = Some(e.to_string());
                    break;
                }
            }
        }
        position += buf.len() as u64;
        let mut w = self.append(writer.take(), buf).await?;
        if let Some(reason) = stream_error {
            // Keep every whole chunk durable so the next attempt resumes after it.
            self.with_store(move |_| w.sync().map(|_| ()))
                .await
                .map_err(Fetch::from_sync)?;
            return Err(Fetch::Retry(format!("connection dropped: {reason}")));
        }
        if position < size {
            self.with_store(move |_| w.discard())
                .await
                .map_err(Fetch::from_sync)?;
            return Err(Fetch::Reject(format!(
                "truncated: the server sent {position} of {size} bytes"
            )));
        }
        match self.with_store(move |s| s.finish_blob(w)).await {
            Ok(()) => Ok(transferred),
            Err(SyncError::Store(StoreError::BlobHashMismatch { .. })) => Err(Fetch::Reject(
                "tampered: the content does not match the signed hash".to_owned(),
            )),
            Err(e) => Err(Fetch::from_sync(e)),
        }
    }

    async fn append(&self, writer: Option<BlobWriter>, data: Vec<u8>) -> Result<BlobWriter, Fetch> {
        let mut w = writer.ok_or_else(|| Fetch::Retry("writer lost".into()))?;
        self.with_store(move |_| {
            w.append(&data)?;
            Ok(w)
        })
        .await
        .map_err(Fetch::from_sync)
    }
}

enum Fetch {
    /// Try again (resuming).
    Retry(String),
    /// Refuse this document, record why, go on with the others.
    Reject(String),
    /// Stop the whole sync (revoked, session expired, local store broken).
    Fatal(SyncError),
}

impl Fetch {
    fn from_sync(e: SyncError) -> Fetch {
        Fetch::Fatal(e)
    }
}

/// Exponential backoff with jitter: base, 2×base, … capped at 10 s, each
/// scaled by a random factor in [0.5, 1.0] so devices do not retry in step.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let base = (base.as_millis() as u64)
        .saturating_mul(1 << attempt.min(16))
        .min(10_000);
    let mut b = [0u8; 2];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    let jitter = 0.5 + f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX) / 2.0;
    Duration::from_millis((base as f64 * jitter) as u64)
}
