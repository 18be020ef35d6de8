//! The secretary's actions: typed calls to the server's meeting-preparation
//! API (meetings, the nested agenda, documents and their PDF versions,
//! publication).
//!
//! Like the chair's actions these are not outbox operations: preparing a
//! meeting is done at the office against the server, each call answers at
//! once ([`SyncError::Offline`] when the server cannot be reached), and the
//! records it changes reach every device — the secretary's own included —
//! through the feed. A draft meeting is seen only by its committee's
//! secretary and chair until it is published.

use std::path::Path;
use std::time::Duration;

use ecabinet_protocol::{
    AgendaItemBody, CreateAgendaItemRequest, CreateDocumentRequest, CreateMeetingRequest,
    DocumentBody, DocumentVersionBody, ErrorCode, MeetingBody, PublishResponse, StartUploadRequest,
    UpdateAgendaItemRequest, UpdateMeetingRequest, UploadBody, WithdrawRequest,
    UPLOAD_CHECKSUM_HEADER, UPLOAD_OFFSET_HEADER,
};
use reqwest::header::CONTENT_TYPE;

use crate::api::path_id as id;
use crate::{Api, SyncError};

/// The upload limit assumed until the server has stated its own (servers
/// state it on every feed page; this is their default).
pub const DEFAULT_MAX_PDF_BYTES: u64 = 64 * 1024 * 1024;

/// Where the server's stated upload limit is kept in the store.
const UPLOAD_LIMIT: &str = "server.max_upload_bytes";

/// The largest upload the server accepts, as it last said
/// (`ChangesPage::max_upload_bytes`), else [`DEFAULT_MAX_PDF_BYTES`].
pub fn upload_limit(store: &ecabinet_store::Store) -> u64 {
    store
        .setting(UPLOAD_LIMIT)
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MAX_PDF_BYTES)
}

/// Keeps the limit a feed page stated (a server that states none leaves the
/// last one).
pub(crate) fn record_upload_limit(
    store: &ecabinet_store::Store,
    limit: Option<u64>,
) -> Result<(), ecabinet_store::StoreError> {
    match limit {
        Some(l) => store.set_setting(UPLOAD_LIMIT, &l.to_string()),
        None => Ok(()),
    }
}

/// Why `bytes` cannot be uploaded as a document version, checked before
/// anything is sent: over `limit` (see [`upload_limit`]), or not a whole PDF
/// ([`check_pdf_shape`]).
pub fn check_pdf(bytes: &[u8], limit: u64) -> Result<(), SyncError> {
    check_size(bytes.len() as u64, limit)?;
    check_pdf_shape(bytes)
}

/// Whether a file of `size` bytes can be uploaded under `limit`: not empty,
/// not over it.
pub fn check_size(size: u64, limit: u64) -> Result<(), SyncError> {
    if size == 0 {
        return Err(SyncError::NotPdf("the file is empty"));
    }
    if size > limit {
        return Err(SyncError::FileTooLarge {
            size_mb: size.div_ceil(1024 * 1024),
            max_mb: limit / (1024 * 1024),
        });
    }
    Ok(())
}

/// Whether `bytes` look like a whole PDF: the `%PDF-` header and an `%%EOF`
/// near the end (a file cut short has none). The size is the server's to
/// judge (it says `payload_too_large`), or [`check_pdf`]'s with its limit.
pub fn check_pdf_shape(bytes: &[u8]) -> Result<(), SyncError> {
    if !bytes.starts_with(b"%PDF-") {
        return Err(SyncError::NotPdf("the file is not a PDF"));
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(SyncError::NotPdf(
            "the PDF file is incomplete (no end-of-file marker)",
        ));
    }
    Ok(())
}

/// `POST /v1/committees/{id}/meetings`: a draft meeting.
pub async fn create_meeting(
    api: &Api,
    committee_id: &str,
    req: &CreateMeetingRequest,
) -> Result<MeetingBody, SyncError> {
    let path = format!("/v1/committees/{}/meetings", id(committee_id)?);
    api.json(api.post(&path).json(req)).await
}

/// `PATCH /v1/meetings/{id}`: title, place or time; absent fields are kept.
pub async fn update_meeting(
    api: &Api,
    meeting_id: &str,
    req: &UpdateMeetingRequest,
) -> Result<MeetingBody, SyncError> {
    let path = format!("/v1/meetings/{}", id(meeting_id)?);
    api.json(api.patch(&path).json(req)).await
}

/// `POST /v1/meetings/{id}/agenda`: an agenda item, nested under
/// `req.parent_id` and placed at `req.position` (appended when absent).
pub async fn add_item(
    api: &Api,
    meeting_id: &str,
    req: &CreateAgendaItemRequest,
) -> Result<AgendaItemBody, SyncError> {
    if let Some(p) = &req.parent_id {
        id(p)?;
    }
    let path = format!("/v1/meetings/{}/agenda", id(meeting_id)?);
    api.json(api.post(&path).json(req)).await
}

/// `PATCH /v1/agenda/{id}`: renames, re-nests or moves an item; the server
/// renumbers the siblings it leaves and joins.
pub async fn update_item(
    api: &Api,
    item_id: &str,
    req: &UpdateAgendaItemRequest,
) -> Result<AgendaItemBody, SyncError> {
    if let Some(Some(p)) = &req.parent_id {
        id(p)?;
    }
    let path = format!("/v1/agenda/{}", id(item_id)?);
    api.json(api.patch(&path).json(req)).await
}

/// Renames an item.
pub async fn rename_item(
    api: &Api,
    item_id: &str,
    title: &str,
) -> Result<AgendaItemBody, SyncError> {
    let req = UpdateAgendaItemRequest {
        title: Some(title.to_owned()),
        ..UpdateAgendaItemRequest::default()
    };
    update_item(api, item_id, &req).await
}

/// Sets the time planned for an item (minutes) and its speaking-time limit
/// (ms; none: the committee's default).
pub async fn set_item_timing(
    api: &Api,
    item_id: &str,
    planned_minutes: Option<i64>,
    speaking_limit_ms: Option<i64>,
) -> Result<AgendaItemBody, SyncError> {
    let req = UpdateAgendaItemRequest {
        planned_minutes: Some(planned_minutes),
        speaking_limit_ms: Some(speaking_limit_ms),
        ..UpdateAgendaItemRequest::default()
    };
    update_item(api, item_id, &req).await
}

/// Moves an item to `position` among its current siblings.
pub async fn move_item(
    api: &Api,
    item_id: &str,
    position: i64,
) -> Result<AgendaItemBody, SyncError> {
    let req = UpdateAgendaItemRequest {
        position: Some(position),
        ..UpdateAgendaItemRequest::default()
    };
    update_item(api, item_id, &req).await
}

/// `DELETE /v1/agenda/{id}`: the item with everything nested under it and
/// their documents.
pub async fn delete_item(api: &Api, item_id: &str) -> Result<(), SyncError> {
    let path = format!("/v1/agenda/{}", id(item_id)?);
    api.send(api.delete(&path)).await?;
    Ok(())
}

/// `POST /v1/agenda/{id}/withdraw`: once members have seen the meeting an
/// item is withdrawn instead of deleted: it stays on the agenda, marked, with
/// the items under it, and `reason` stands on the record.
pub async fn withdraw_item(
    api: &Api,
    item_id: &str,
    reason: &str,
) -> Result<AgendaItemBody, SyncError> {
    let path = format!("/v1/agenda/{}/withdraw", id(item_id)?);
    api.json(api.post(&path).json(&withdraw_request(reason)?))
        .await
}

/// `POST /v1/documents/{id}/withdraw`: the document stays readable, marked
/// as withdrawn with `reason`, and takes no new version.
pub async fn withdraw_document(
    api: &Api,
    document_id: &str,
    reason: &str,
) -> Result<DocumentBody, SyncError> {
    let path = format!("/v1/documents/{}/withdraw", id(document_id)?);
    api.json(api.post(&path).json(&withdraw_request(reason)?))
        .await
}

/// `PATCH /v1/documents/{id}`: the readers' watermark, the export policy
/// and the classification, signed by the server into every published
/// version (a classification needs an isolated-network server).
pub async fn set_document_policy(
    api: &Api,
    document_id: &str,
    policy: &ecabinet_protocol::DocumentPolicy,
) -> Result<DocumentBody, SyncError> {
    let path = format!("/v1/documents/{}", id(document_id)?);
    let req = ecabinet_protocol::UpdateDocumentRequest {
        reader_watermark: Some(policy.reader_watermark),
        export: Some(policy.export),
        classification: Some(policy.classification),
    };
    api.json(api.patch(&path).json(&req)).await
}

/// `PATCH /v1/documents/{id}` with only the fields given.
pub async fn update_document(
    api: &Api,
    document_id: &str,
    req: &ecabinet_protocol::UpdateDocumentRequest,
) -> Result<DocumentBody, SyncError> {
    let path = format!("/v1/documents/{}", id(document_id)?);
    api.json(api.patch(&path).json(req)).await
}

fn withdraw_request(reason: &str) -> Result<WithdrawRequest, SyncError> {
    if reason.trim().is_empty() {
        return Err(SyncError::ReasonRequired);
    }
    Ok(WithdrawRequest {
        reason: reason.trim().to_owned(),
    })
}

/// `POST /v1/agenda/{id}/documents`: a document (without a version yet).
pub async fn create_document(
    api: &Api,
    item_id: &str,
    title: &str,
) -> Result<DocumentBody, SyncError> {
    let path = format!("/v1/agenda/{}/documents", id(item_id)?);
    let req = CreateDocumentRequest {
        title: title.to_owned(),
    };
    api.json(api.post(&path).json(&req)).await
}

/// `DELETE /v1/documents/{id}`: a document and all its versions.
pub async fn delete_document(api: &Api, document_id: &str) -> Result<(), SyncError> {
    let path = format!("/v1/documents/{}", id(document_id)?);
    api.send(api.delete(&path)).await?;
    Ok(())
}

/// `POST /v1/documents/{id}/versions`: the next version of a document. It
/// stays unpublished (seen by editors only) until the meeting is published
/// again.
pub async fn upload_version(
    api: &Api,
    document_id: &str,
    pdf: Vec<u8>,
) -> Result<DocumentVersionBody, SyncError> {
    check_pdf_shape(&pdf)?;
    let path = format!("/v1/documents/{}/versions", id(document_id)?);
    api.json(
        api.post(&path)
            .header(CONTENT_TYPE, "application/pdf")
            .body(pdf),
    )
    .await
}

/// A document titled `title` on an agenda item, with `pdf` as its first
/// version. The PDF is checked before the document is created, so a wrong
/// file leaves nothing behind.
pub async fn attach_pdf(
    api: &Api,
    item_id: &str,
    title: &str,
    pdf: Vec<u8>,
) -> Result<(DocumentBody, DocumentVersionBody), SyncError> {
    check_pdf_shape(&pdf)?;
    let doc = create_document(api, item_id, title).await?;
    match upload_version(api, &doc.id, pdf).await {
        Ok(v) => Ok((doc, v)),
        Err(e) => {
            // A document without a version would show as empty to members;
            // remove it. Should that fail too, the upload's error is the
            // one the secretary can act on.
            let _ = delete_document(api, &doc.id).await;
            Err(e)
        }
    }
}

/// The size of the first part a file is sent in: a dropped connection costs
/// at most this much again. Parts that go fast grow (see [`FAST_PART`]).
pub const PART_BYTES: u64 = 8 * 1024 * 1024;
/// A part the server confirmed within this time doubles the next one's size,
/// up to the server's `max_part_bytes`: on a fast link each part's fixed
/// cost (a request, the server's fsync and commit) stops dominating, while a
/// slow link keeps small parts. A failure goes back to [`PART_BYTES`].
pub const FAST_PART: Duration = Duration::from_millis(500);
/// Failures to reach the server in a row before [`upload_file`] gives up.
pub const UPLOAD_ATTEMPTS: u32 = 10;
/// How long the server may take to check and store a finished upload (a
/// gigabyte on a slow object store) before the client stops waiting.
const FINISH_WAIT: Duration = Duration::from_secs(15 * 60);

/// `POST /v1/documents/{id}/uploads`: a resumable upload of `size` bytes
/// that will become the document's next version. The server refuses a size
/// over its limit here, before a byte is sent.
pub async fn start_upload(
    api: &Api,
    document_id: &str,
    size: u64,
) -> Result<UploadBody, SyncError> {
    let path = format!("/v1/documents/{}/uploads", id(document_id)?);
    api.json(api.post(&path).json(&StartUploadRequest { size }))
        .await
}

/// `PATCH /v1/uploads/{id}`: the bytes of the file from `offset`, with their
/// SHA-256 so that the server keeps them only if they arrived intact. The
/// answer's offset is what the server now holds.
pub async fn send_part(
    api: &Api,
    upload_id: &str,
    offset: u64,
    part: Vec<u8>,
) -> Result<UploadBody, SyncError> {
    let sum = ecabinet_protocol::hex::sha256_hex(&part);
    send_hashed(api, upload_id, offset, part, &sum).await
}

/// [`send_part`] with the part's SHA-256 (hex) already computed.
async fn send_hashed(
    api: &Api,
    upload_id: &str,
    offset: u64,
    part: Vec<u8>,
    sha256: &str,
) -> Result<UploadBody, SyncError> {
    let path = format!("/v1/uploads/{}", id(upload_id)?);
    api.json(
        api.patch(&path)
            .header(CONTENT_TYPE, "application/offset+octet-stream")
            .header(UPLOAD_OFFSET_HEADER, offset.to_string())
            .header(UPLOAD_CHECKSUM_HEADER, format!("sha256 {sha256}"))
            .body(part),
    )
    .await
}

/// `GET /v1/documents/{id}/access-register`: who fetched the document's
/// bytes while it was classified (secretary, chair, administrator).
pub async fn access_register(
    api: &Api,
    document_id: &str,
) -> Result<ecabinet_protocol::AccessRegisterView, SyncError> {
    let path = format!("/v1/documents/{}/access-register", id(document_id)?);
    api.json(api.get(&path)).await
}

/// `GET /v1/uploads/{id}`: how much of the upload the server holds (where
/// to resume after a failure).
pub async fn upload_status(api: &Api, upload_id: &str) -> Result<UploadBody, SyncError> {
    let path = format!("/v1/uploads/{}", id(upload_id)?);
    api.json(api.get(&path)).await
}

/// `POST /v1/uploads/{id}/finish`: the server checks the whole PDF (members
/// must be able to open it) and makes it the next, unpublished version. A
/// refused file ends the upload.
pub async fn finish_upload(api: &Api, upload_id: &str) -> Result<DocumentVersionBody, SyncError> {
    let path = format!("/v1/uploads/{}/finish", id(upload_id)?);
    let patient = api.patient(FINISH_WAIT)?;
    patient.json(patient.post(&path)).await
}

/// `DELETE /v1/uploads/{id}`: drops an unfinished upload.
pub async fn cancel_upload(api: &Api, upload_id: &str) -> Result<(), SyncError> {
    let path = format!("/v1/uploads/{}", id(upload_id)?);
    api.send(api.delete(&path)).await?;
    Ok(())
}

/// The wait before the `n`th attempt in a row (1 s, 2 s, 4 s, 8 s, then 15 s).
fn backoff(n: u32) -> Duration {
    Duration::from_secs((1u64 << n.min(4)).min(15))
}

/// The first and last KiB of `file` (the whole file when smaller), enough
/// for [`check_pdf_shape`].
fn edges(file: &mut std::fs::File, size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut out = Vec::with_capacity(2048);
    file.seek(SeekFrom::Start(0))?;
    file.by_ref().take(1024).read_to_end(&mut out)?;
    if size > 1024 {
        file.seek(SeekFrom::Start(size - 1024))?;
        file.read_to_end(&mut out)?;
    }
    Ok(out)
}

/// Sends the PDF at `path` as the next version of a document, in parts of
/// [`PART_BYTES`] and larger while they go fast, holding at most two parts
/// whatever the file's size: the one in flight and the next, read and
/// hashed meanwhile. A dropped connection or a server briefly unavailable
/// is waited out and the upload resumes from what the server holds; after [`UPLOAD_ATTEMPTS`]
/// failures in a row, or on any other refusal, the upload is cancelled and
/// the error returned. `progress(held, size)` is called as the server
/// confirms parts.
pub async fn upload_file(
    api: &Api,
    document_id: &str,
    path: &Path,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<DocumentVersionBody, SyncError> {
    let io = |e: std::io::Error| SyncError::UnreadableFile(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    check_pdf_shape(&edges(&mut file, size).map_err(io)?)?;
    let up = start_upload(api, document_id, size).await?;
    let outcome = send_all(api, &up, &file, progress)
        .await
        .map_err(|e| match e {
            Sent::Io(e) => io(e),
            Sent::Sync(e) => e,
        });
    match outcome {
        Ok(v) => Ok(v),
        Err(e) => {
            let _ = cancel_upload(api, &up.id).await;
            Err(e)
        }
    }
}

enum Sent {
    Io(std::io::Error),
    Sync(SyncError),
}

/// Bytes of the file read and hashed, ready to be sent.
struct Part {
    offset: u64,
    bytes: Vec<u8>,
    sha256: String,
}

impl Part {
    /// Reads `len` bytes of `file` from `offset` and hashes them (blocking;
    /// `file` is a clone of the upload's handle and shares its position,
    /// which is safe because one read runs at a time).
    fn read(mut file: std::fs::File, offset: u64, len: u64) -> std::io::Result<Part> {
        use std::io::{Read as _, Seek as _, SeekFrom};
        let mut bytes = vec![0; usize::try_from(len).map_err(std::io::Error::other)?];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut bytes)?;
        let sha256 = ecabinet_protocol::hex::sha256_hex(&bytes);
        Ok(Part {
            offset,
            bytes,
            sha256,
        })
    }

    /// [`Part::read`] on a blocking thread.
    fn spawn_read(
        file: &std::fs::File,
        offset: u64,
        len: u64,
    ) -> std::io::Result<tokio::task::JoinHandle<std::io::Result<Part>>> {
        let file = file.try_clone()?;
        Ok(tokio::task::spawn_blocking(move || {
            Part::read(file, offset, len)
        }))
    }

    /// This part's first `len` bytes (hashed again if that is fewer).
    fn first(mut self, len: u64) -> Part {
        if (self.bytes.len() as u64) > len {
            self.bytes.truncate(len as usize);
            self.sha256 = ecabinet_protocol::hex::sha256_hex(&self.bytes);
        }
        self
    }
}

async fn send_all(
    api: &Api,
    up: &UploadBody,
    file: &std::fs::File,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<DocumentVersionBody, Sent> {
    let max_part = up.max_part_bytes.max(1);
    let mut part_len = PART_BYTES.min(max_part);
    let mut held = up.offset;
    let mut failures = 0u32;
    // The part after the one in flight, read and hashed meanwhile, as long
    // as it would be if the one in flight goes fast (the usual case on a
    // good link; after a slow part its start is sent, after a failure it is
    // read again from where the server stands).
    let mut ahead: Option<tokio::task::JoinHandle<std::io::Result<Part>>> = None;
    progress(held, up.size);
    while held < up.size {
        let n = part_len.min(up.size - held);
        let read_ahead = match ahead.take() {
            Some(task) => task.await.ok().and_then(Result::ok),
            None => None,
        };
        let part = match read_ahead {
            Some(p) if p.offset == held && p.bytes.len() as u64 >= n => p.first(n),
            _ => Part::spawn_read(file, held, n)
                .map_err(Sent::Io)?
                .await
                .map_err(|e| Sent::Io(std::io::Error::other(e)))?
                .map_err(Sent::Io)?,
        };
        let next = held + n;
        if next < up.size {
            let len = next_part_len(part_len, Duration::ZERO, max_part).min(up.size - next);
            ahead = Some(Part::spawn_read(file, next, len).map_err(Sent::Io)?);
        }
        let sent_at = std::time::Instant::now();
        match send_hashed(api, &up.id, part.offset, part.bytes, &part.sha256).await {
            Ok(now) => {
                held = now.offset;
                failures = 0;
                progress(held, up.size);
                part_len = next_part_len(part_len, sent_at.elapsed(), max_part);
            }
            Err(e) if e.is_transient() || is_conflict(&e) => {
                part_len = PART_BYTES.min(max_part);
                failures += 1;
                if failures >= UPLOAD_ATTEMPTS {
                    return Err(Sent::Sync(e));
                }
                tokio::time::sleep(backoff(failures - 1)).await;
                // Where to go on from: a part the connection cut was not kept.
                match upload_status(api, &up.id).await {
                    Ok(now) => held = now.offset,
                    Err(e) if e.is_transient() => {}
                    Err(e) => return Err(Sent::Sync(e)),
                }
            }
            Err(e) => return Err(Sent::Sync(e)),
        }
    }
    let mut failures = 0u32;
    loop {
        match finish_upload(api, &up.id).await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_transient() && failures + 1 < UPLOAD_ATTEMPTS => {
                failures += 1;
                tokio::time::sleep(backoff(failures - 1)).await;
            }
            Err(e) => return Err(Sent::Sync(e)),
        }
    }
}

/// The size of the part after one of `len` bytes that the server confirmed
/// in `took`: doubled when it went fast, never over `max`.
fn next_part_len(len: u64, took: Duration, max: u64) -> u64 {
    if took < FAST_PART {
        len.saturating_mul(2).min(max)
    } else {
        len.min(max)
    }
}

/// The server holds a different offset than the part was sent for (an
/// answer lost on the way back): ask where it stands and go on.
fn is_conflict(e: &SyncError) -> bool {
    matches!(
        e,
        SyncError::Server {
            code: ErrorCode::Conflict,
            ..
        }
    )
}

/// `POST /v1/meetings/{id}/publish`: the meeting becomes visible to every
/// member, and every pending document version is signed and sent.
pub async fn publish(api: &Api, meeting_id: &str) -> Result<PublishResponse, SyncError> {
    let path = format!("/v1/meetings/{}/publish", id(meeting_id)?);
    api.json(api.post(&path)).await
}

#[cfg(test)]
mod tests {
    use super::{check_pdf, id, next_part_len, Part, FAST_PART, PART_BYTES};

    #[test]
    fn a_part_read_ahead_is_cut_to_the_size_sent_and_hashed_again() {
        use std::io::Write as _;
        let mut file = tempfile::tempfile().expect("temp file");
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 253) as u8).collect();
        file.write_all(&bytes).expect("write");
        // Read ahead as if the part in flight went fast: 2000 bytes from 500.
        let ahead = Part::read(file.try_clone().expect("clone"), 500, 2000).expect("read");
        assert_eq!(ahead.bytes, bytes[500..2500]);
        assert_eq!(
            ahead.sha256,
            ecabinet_protocol::hex::sha256_hex(&bytes[500..2500])
        );
        // It went slowly: the next part keeps the size, 1000 bytes.
        let sent = ahead.first(1000);
        assert_eq!((sent.offset, &sent.bytes[..]), (500, &bytes[500..1500]));
        assert_eq!(
            sent.sha256,
            ecabinet_protocol::hex::sha256_hex(&bytes[500..1500])
        );
        // Past the end of the file: an error, not a short part.
        assert!(Part::read(file, 2500, 1000).is_err());
    }

    #[test]
    fn parts_grow_while_they_go_fast_up_to_the_servers_limit() {
        let max = 32 * 1024 * 1024;
        let fast = FAST_PART / 2;
        let mut len = PART_BYTES;
        let mut sizes = vec![len];
        for _ in 0..4 {
            len = next_part_len(len, fast, max);
            sizes.push(len);
        }
        let mib = |n: u64| n * 1024 * 1024;
        assert_eq!(sizes, [mib(8), mib(16), mib(32), mib(32), mib(32)]);
        // A slow part keeps the size; a server with smaller parts caps it.
        assert_eq!(next_part_len(mib(16), FAST_PART * 2, max), mib(16));
        assert_eq!(next_part_len(mib(8), fast, mib(4)), mib(4));
    }

    #[test]
    fn ids_that_could_change_the_path_are_refused() {
        assert!(id("0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b").is_ok());
        for bad in ["", "a/b", "../x", "a?b", "a b"] {
            assert!(id(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn only_whole_pdfs_within_the_limit_pass() {
        let limit = 1024 * 1024;
        assert!(check_pdf(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", limit).is_ok());
        for bad in [
            &b""[..],
            b"PK\x03\x04 a zip file %%EOF",
            b"%PDF-1.4\n1 0 obj<<>>endobj\n",
        ] {
            assert!(check_pdf(bad, limit).is_err(), "{bad:?} accepted");
        }
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(limit as usize - 5, b' ');
        big.extend_from_slice(b"%%EOF");
        assert!(check_pdf(&big, limit).is_ok(), "exactly at the limit");
        big.insert(10, b' ');
        assert!(matches!(
            check_pdf(&big, limit),
            Err(crate::SyncError::FileTooLarge { max_mb: 1, .. })
        ));
    }
}
