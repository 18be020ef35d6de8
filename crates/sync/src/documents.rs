//! Verified, resumable document downloads into the encrypted blob store.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{DocumentPolicy, DocumentVersionBody, Manifest, SignedManifest};
use ecabinet_store::{BlobWriter, Store, StoreError, VerifiedVersion, VersionRow};
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

/// Why a version is refused before any byte is fetched. `known` is the
/// verified record of the same document and version number, if any.
fn check_manifest(
    row: &VersionRow,
    body: &DocumentVersionBody,
    pinned_key: &[u8],
    trusted: Option<u32>,
    known: Option<&VerifiedVersion>,
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
        || m.meeting_id != body.meeting_id
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
    if let Some(k) = known {
        // A statement about this version older than the one verified here:
        // a replayed record (its policy may be looser). A manifest of the
        // first form has no time and counts as the oldest.
        // The server signs each new statement strictly later, so the same
        // time with another signature is no honest record either.
        let (new, old) = (m.signed_at.unwrap_or(0), k.signed_at.unwrap_or(0));
        if new < old || (new == old && k.signed_at.is_some() && k.signature != signed.signature) {
            return Err(format!(
                "an older signed record of version {} than the one verified on this device (a replay; its policy may be looser)",
                m.version
            ));
        }
        if k.sha256 != m.sha256 {
            return Err(format!(
                "version {} of this document was verified with other content; the server now signs a different file under the same number",
                m.version
            ));
        }
    }
    Ok(())
}

/// The verified record a checked manifest makes.
fn verified_record(row: &VersionRow, signed: &SignedManifest) -> VerifiedVersion {
    let m = &signed.manifest;
    VerifiedVersion {
        id: row.id.clone(),
        document_id: m.doc_id.clone(),
        meeting_id: m.meeting_id.clone(),
        version: m.version,
        sha256: m.sha256.clone(),
        size: m.size,
        published_at: m.published_at,
        signature: signed.signature.clone(),
        superseded: false,
        policy: m
            .policy
            .as_ref()
            .and_then(|p| serde_json::to_string(p).ok()),
        signed_at: m.signed_at,
    }
}

/// The policy a verified version's manifest signed: watermark and export
/// (the default for a manifest signed before policies existed). A stored
/// policy that does not read is a damaged record: refused, not defaulted.
pub fn policy_of(v: &VerifiedVersion) -> Result<Option<DocumentPolicy>, SyncError> {
    v.policy
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| {
            SyncError::VersionRefused(format!("the stored document policy is unreadable: {e}"))
        })
}

/// Whether a feed record needs no work: it is the record verified here (same
/// signed manifest), it does not claim to be current while a later version
/// was verified, and its blob is stored and passes its check (a damaged blob
/// is deleted here, so it is downloaded again).
fn settled(s: &Store, row: &VersionRow) -> Result<bool, StoreError> {
    let Some(v) = s.verified_version(&row.id)? else {
        return Ok(false);
    };
    let Ok(body) = serde_json::from_value::<DocumentVersionBody>(row.body.clone()) else {
        return Ok(false);
    };
    let Some(signed) = &body.signed else {
        return Ok(false);
    };
    let same = verified_record(row, signed)
        == VerifiedVersion {
            superseded: false,
            ..v.clone()
        }
        && body.document_id == v.document_id
        && body.version == v.version
        && body.sha256 == v.sha256
        && body.size == v.size;
    let replayed = !body.superseded && v.superseded;
    // A classified version has nothing here, by design: not its file (even
    // partly downloaded, unless a normal version shares it), not its words.
    let content_ok = if is_classified(&v) {
        classified_content_gone(s, &v)?
    } else {
        s.blob_intact_or_removed(&v.sha256)?
    };
    Ok(same && !replayed && content_ok)
}

/// Whether nothing of classified version `v`'s content is on this device.
fn classified_content_gone(s: &Store, v: &VerifiedVersion) -> Result<bool, StoreError> {
    Ok(
        (!s.has_blob_file(&v.sha256)? || shared_with_normal(s, &v.sha256, &v.id)?)
            && s.text_layer_sha(&v.id)?.is_none(),
    )
}

/// Whether an unclassified verified version other than `except` uses the
/// blob too (it stays).
fn shared_with_normal(s: &Store, sha: &str, except: &str) -> Result<bool, StoreError> {
    Ok(s.verified_versions_of_blob(sha)?
        .iter()
        .any(|v| v.id != except && !is_classified(v)))
}

/// Whether a verified version's signed policy classifies it (mật and above):
/// its content is never stored on the device. An unreadable policy counts
/// as classified, the safe side.
pub fn is_classified(v: &VerifiedVersion) -> bool {
    policy_of(v).map_or(true, |p| {
        p.unwrap_or_default().classification.is_classified()
    })
}

/// The verified record of a version, for opening it. Refused when the
/// version was never verified on this device, when the server's latest
/// record of it was refused (a rollback, a bad signature…), or when the
/// stored manifest no longer verifies under the pinned key.
pub fn version_to_open(store: &Store, version_id: &str) -> Result<VerifiedVersion, SyncError> {
    let v = checked_version(store, version_id)?;
    if is_classified(&v) {
        return Err(SyncError::Classified);
    }
    if !store.has_blob(&v.sha256).map_err(SyncError::Store)? {
        return Err(SyncError::VersionNotReady(format!(
            "version {} is not downloaded yet: sync first",
            v.version
        )));
    }
    Ok(v)
}

/// The verified record of a classified version, for reading it from the
/// server into memory ([`crate::fetch_classified`]): the same checks as
/// [`version_to_open`] but no stored content. Any other version is refused.
pub fn classified_to_open(store: &Store, version_id: &str) -> Result<VerifiedVersion, SyncError> {
    let v = checked_version(store, version_id)?;
    if !is_classified(&v) {
        return Err(SyncError::Internal(format!(
            "version {version_id} is not classified: open it from the cache"
        )));
    }
    Ok(v)
}

fn checked_version(store: &Store, version_id: &str) -> Result<VerifiedVersion, SyncError> {
    if let Some(reason) = store.version_error(version_id).map_err(SyncError::Store)? {
        return Err(SyncError::VersionRefused(reason));
    }
    let v = store
        .verified_version(version_id)
        .map_err(SyncError::Store)?
        .ok_or_else(|| {
            SyncError::VersionNotReady(format!(
                "document version {version_id} has not been verified on this device yet: sync first"
            ))
        })?;
    let key = store
        .manifest_key()
        .map_err(SyncError::Store)?
        .ok_or(SyncError::NotEnrolled)?;
    let signed = SignedManifest {
        manifest: Manifest {
            doc_id: v.document_id.clone(),
            version: v.version,
            sha256: v.sha256.clone(),
            size: v.size,
            meeting_id: v.meeting_id.clone(),
            published_at: v.published_at,
            policy: policy_of(&v)?,
            signed_at: v.signed_at,
        },
        signature: v.signature.clone(),
    };
    // Verified here under the key pinned then: the current one, or one the
    // server rotated away from (documents already cached stay readable
    // offline until the re-signed records arrive).
    let verified = signed.verify(&BASE64.encode(&key));
    if let Err(e) = verified {
        let retired = store.retired_manifest_keys().map_err(SyncError::Store)?;
        if !retired
            .iter()
            .any(|k| signed.verify(&BASE64.encode(k)).is_ok())
        {
            return Err(SyncError::VersionRefused(format!(
                "the stored manifest of version {} no longer verifies: {e}",
                v.version
            )));
        }
    }
    Ok(v)
}

/// The current version of a document, for opening it: the highest version
/// verified on this device. When a higher version was verified before and is
/// gone now (the server withdrew it, or offers an older one in its place),
/// nothing is opened as current: an older version is never shown as the
/// current one.
pub fn current_version_to_open(
    store: &Store,
    document_id: &str,
) -> Result<VerifiedVersion, SyncError> {
    let newest = store
        .verified_versions(document_id)
        .map_err(SyncError::Store)?
        .pop()
        .ok_or_else(|| {
            SyncError::VersionNotReady(format!(
                "no version of document {document_id} has been verified on this device: sync first (see the status for refused versions)"
            ))
        })?;
    if let Some(t) = store
        .trusted_version(document_id)
        .map_err(SyncError::Store)?
    {
        if newest.version < t {
            return Err(SyncError::VersionRefused(format!(
                "rollback: version {t} of this document was verified on this device, but only version {} is offered now; an older version is not shown as current",
                newest.version
            )));
        }
    }
    version_to_open(store, &newest.id)
}

/// What the downloads of one pass share.
struct Pass {
    /// Bytes received so far, and the bytes to fetch in all.
    done: AtomicU64,
    total: u64,
    /// Transfers in flight: at most [`crate::SyncOptions::concurrency`]
    /// responses are read at once. A download gives its permit back after
    /// its last byte, so the next one starts while this one's file is
    /// synced, checked and recorded.
    transfers: tokio::sync::Semaphore,
}

/// Reads a classified version's PDF from the server into memory (it is
/// never written to the device), checked against its signed size and hash.
/// Each fetch is written to the server's access register.
pub async fn fetch_classified(api: &crate::Api, v: &VerifiedVersion) -> Result<Vec<u8>, SyncError> {
    let resp = api
        .send(api.get(&format!("/v1/blobs/{}", v.sha256)))
        .await?;
    let size = usize::try_from(v.size).map_err(|_| SyncError::Internal("size".into()))?;
    let bytes = crate::api::read_capped(resp, size, "classified document").await?;
    if bytes.len() != size || ecabinet_protocol::hex::sha256_hex(&bytes) != v.sha256 {
        return Err(SyncError::VersionRefused(
            "the classified document the server sent does not match its signed hash".into(),
        ));
    }
    Ok(bytes)
}

impl Syncer {
    /// Checks every document version record of the feed that is not the one
    /// verified here, and fetches the blobs that are missing or damaged,
    /// [`crate::SyncOptions::concurrency`] transfers at a time and each blob
    /// once (versions with the same content share one download). A blob
    /// received in full is synced, checked and recorded while the next one
    /// is received in its place. A refused
    /// or failed version is recorded on that version and never stops the
    /// others; a refusal never deletes a blob a verified version uses.
    pub async fn fetch_documents(
        &self,
        progress: &dyn ProgressSink,
    ) -> Result<DocumentsReport, SyncError> {
        let (rows, key) = self
            .with_store(|s| Ok((s.all_document_versions()?, s.manifest_key()?)))
            .await?;
        let key = key.ok_or(SyncError::NotEnrolled)?;
        let (work, absent) = self
            .with_store(move |s| {
                let errors: HashMap<String, String> = s.version_errors()?.into_iter().collect();
                let mut work = Vec::new();
                let mut present = HashSet::new();
                for row in rows {
                    present.insert(row.id.clone());
                    if settled(s, &row)? {
                        // Settled now: an error left from an earlier pass is stale.
                        if errors.contains_key(&row.id) {
                            s.set_version_error(&row.id, None)?;
                        }
                    } else {
                        work.push(row);
                    }
                }
                for id in errors.keys().filter(|id| !present.contains(*id)) {
                    s.set_version_error(id, None)?; // the version itself is gone
                }
                let mut absent = HashSet::new();
                for row in &work {
                    if !s.has_blob(&row.sha256)? {
                        absent.insert(row.sha256.clone());
                    }
                }
                Ok((work, absent))
            })
            .await?;
        // One group per blob, each group's versions one after another (oldest
        // first), so two versions with the same content never write the same
        // partial file at once: the first downloads, the others find it stored.
        let mut groups: Vec<Vec<VersionRow>> = Vec::new();
        let mut group_of: HashMap<String, usize> = HashMap::new();
        for row in work {
            match group_of.get(&row.sha256) {
                Some(&i) => groups[i].push(row),
                None => {
                    group_of.insert(row.sha256.clone(), groups.len());
                    groups.push(vec![row]);
                }
            }
        }
        // Within a group, signed records first: an unsigned draft sharing a
        // published PDF is refused after that PDF is verified, so its
        // refusal finds the blob in verified use and leaves it.
        for g in &mut groups {
            g.sort_by_key(|r| r.body.get("signed").is_none_or(serde_json::Value::is_null));
        }
        let concurrency = self.options.concurrency.max(1);
        let pass = Arc::new(Pass {
            transfers: tokio::sync::Semaphore::new(concurrency),
            done: AtomicU64::new(0),
            total: groups
                .iter()
                .filter_map(|g| g.first())
                .filter(|r| absent.contains(&r.sha256))
                .filter_map(|r| r.body.get("size").and_then(|v| v.as_u64()))
                .sum(),
        });
        let outcomes: Vec<Vec<(String, DocumentOutcome)>> = futures_util::stream::iter(groups)
            .map(|group| {
                let key = key.clone();
                let pass = pass.clone();
                async move {
                    let mut out = Vec::with_capacity(group.len());
                    for row in group {
                        let id = row.id.clone();
                        let outcome = self.fetch_one(row, &key, &pass, progress).await?;
                        out.push((id, outcome));
                    }
                    Ok::<_, SyncError>(out)
                }
            })
            // Twice as many documents as transfers: while one is finished
            // (synced, checked, recorded), another is received in its place.
            .buffer_unordered(2 * concurrency)
            .try_collect()
            .await?;
        Ok(DocumentsReport {
            outcomes: outcomes.into_iter().flatten().collect(),
        })
    }

    async fn fetch_one(
        &self,
        row: VersionRow,
        key: &[u8],
        pass: &Pass,
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
        let (doc, number) = (body.document_id.clone(), body.version);
        let (trusted, known) = self
            .with_store(move |s| {
                let known = s
                    .verified_versions(&doc)?
                    .into_iter()
                    .find(|v| v.version == number);
                Ok((s.trusted_version(&doc)?, known))
            })
            .await?;
        if let Err(reason) = check_manifest(&row, &body, key, trusted, known.as_ref()) {
            return self.reject(&row, reason).await;
        }
        let Some(signed) = body.signed.as_ref() else {
            return self
                .reject(&row, "not published: no signed manifest".into())
                .await;
        };
        let record = verified_record(&row, signed);
        if signed.manifest.policy().classification.is_classified() {
            // Classified: the record only. What was kept before it was
            // classified goes first (its file, complete or partial, unless an
            // unclassified version shares it, and its words); a crash before
            // the record is taken leaves it unsettled, so this runs again.
            let (sha, id) = (row.sha256.clone(), row.id.clone());
            self.with_store(move |s| {
                if !shared_with_normal(s, &sha, &id)? {
                    s.remove_blob(&sha)?;
                }
                s.remove_text_layer(&id)
            })
            .await?;
            self.accept(&row, record).await?;
            return Ok(DocumentOutcome::Stored {
                bytes_downloaded: 0,
            });
        }
        let sha = row.sha256.clone();
        if self
            .with_store(move |s| s.blob_intact_or_removed(&sha))
            .await?
        {
            // The content is here already (another version with the same
            // bytes, or this record re-signed): only the record is new.
            self.accept(&row, record).await?;
            return Ok(DocumentOutcome::Stored {
                bytes_downloaded: 0,
            });
        }
        let mut last_err = String::new();
        for attempt in 0..self.options.attempts_per_document.max(1) {
            if attempt > 0 {
                tokio::time::sleep(backoff(self.options.backoff_base, attempt)).await;
            }
            match self.download(&row, &body, &record, pass, progress).await {
                Ok(bytes) => {
                    self.report_downloaded(&row).await?;
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

    /// Records a version as verified (its blob is stored and checked).
    async fn accept(&self, row: &VersionRow, record: VerifiedVersion) -> Result<(), SyncError> {
        self.with_store(move |s| s.accept_verified_version(&record))
            .await?;
        self.report_downloaded(row).await
    }

    /// Where the committee wants read status, says the bytes are here.
    async fn report_downloaded(&self, row: &VersionRow) -> Result<(), SyncError> {
        let (id, now) = (row.id.clone(), crate::clock::now_ms());
        let store = self.store().clone();
        tokio::task::spawn_blocking(move || {
            crate::report_read(&store, &id, ecabinet_protocol::ReadState::Downloaded, now)
        })
        .await
        .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))??;
        Ok(())
    }

    async fn reject(&self, row: &VersionRow, reason: String) -> Result<DocumentOutcome, SyncError> {
        let (id, sha, r) = (row.id.clone(), row.sha256.clone(), reason.clone());
        self.with_store(move |s| {
            // Nothing of a refused blob stays on disk, not even ciphertext —
            // unless a verified version uses the same content.
            s.remove_blob_unless_verified(&sha)?;
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
        record: &VerifiedVersion,
        pass: &Pass,
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
            let record = record.clone();
            return match self
                .with_store(move |s| s.finish_blob_accepting(w, &record))
                .await
            {
                Ok(()) => Ok(0),
                Err(SyncError::Store(StoreError::BlobHashMismatch { .. })) => Err(Fetch::Retry(
                    "the stored copy did not verify; downloading again".to_owned(),
                )),
                Err(e) => Err(Fetch::from_sync(e)),
            };
        }
        // Held until the last byte is in: the sync and the record after it
        // do not keep the next download waiting.
        let transfer = pass
            .transfers
            .acquire()
            .await
            .map_err(|_| Fetch::Fatal(SyncError::Internal("transfers closed".into())))?;
        let mut req = self.api.get(&format!("/v1/blobs/{sha}"));
        if offset > 0 {
            req = req.header(RANGE, format!("bytes={offset}-"));
            if let Some(etag) = &etag {
                req = req.header(IF_RANGE, etag.clone());
            }
        }
        let resp = match self.api.send(req).await {
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
        // Kept only if this attempt is cut short, for the next one's
        // If-Range: a download that completes costs no commit for it.
        let etag_seen = resp
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
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
                    let done = pass.done.fetch_add(bytes.len() as u64, Ordering::Relaxed)
                        + bytes.len() as u64;
                    progress.progress(&Progress {
                        document_id: body.document_id.clone(),
                        version: body.version,
                        document_done: position + buf.len() as u64,
                        document_total: size,
                        overall_done: done,
                        overall_total: pass.total,
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
        drop(transfer);
        if let Some(reason) = stream_error {
            // Keep every whole chunk durable so the next attempt resumes
            // after it, with the validator of what it resumes.
            self.with_store(move |s| {
                w.sync()?;
                match etag_seen {
                    Some(tag) => s.set_setting(&etag_key, &tag),
                    None => Ok(()),
                }
            })
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
        let record = record.clone();
        match self
            .with_store(move |s| s.finish_blob_accepting(w, &record))
            .await
        {
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
