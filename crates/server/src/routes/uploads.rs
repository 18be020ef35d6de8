//! Resumable uploads: a scanned meeting pack of a gigabyte, sent from a
//! meeting room's Wi-Fi, arrives in parts, and a dropped connection costs
//! only the part it cut.
//!
//! - `POST /v1/documents/{id}/uploads` opens an upload of `size` bytes (the
//!   same rights and limit as a whole upload) and an empty file
//!   `incoming/{upload}.upload` in the blob store's folder.
//! - `PATCH /v1/uploads/{upload}` appends one part at the upload's offset.
//!   The part's SHA-256 comes in a header; a part that is cut short or does
//!   not match is discarded whole (the file is cut back to the offset), so
//!   the offset only ever counts bytes that are checked and fsynced.
//! - `GET` says the offset to resume from; `DELETE` drops the upload.
//! - `POST /v1/uploads/{upload}/finish` checks the whole file as a whole
//!   upload is checked ([`versions::store_version`]) and makes it the next
//!   version. A file that is refused is dropped with its upload: the
//!   secretary fixes the PDF and sends it again.
//!
//! The SHA-256 that names the finished file is kept running between parts
//! ([`RunningHashes`]), each part read back and added while the next one
//! arrives, so `finish` does not hash the whole file again; a process that
//! did not receive every part (a restart, another process) hashes it.
//!
//! Memory stays bounded: parts are streamed to the file. Only the user who
//! opened an upload can see or add to it; its id is random and unguessable.
//! A part and a finish of the same upload never run at once (an exclusive
//! lock on the file). An upload left alone for a day expires and is removed
//! when someone next opens one. The file lives on this server's disk, so with
//! several server processes an upload is resumed on the one that holds it.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use ecabinet_protocol::{
    DocumentVersionBody, ErrorCode, StartUploadRequest, UploadBody, UPLOAD_CHECKSUM_HEADER,
    UPLOAD_OFFSET_HEADER,
};
use futures_util::StreamExt as _;
use tokio::io::AsyncWriteExt as _;

use crate::access::{document_for, refuse_withdrawn, Need};
use crate::auth::Caller;
use crate::blobs::{BlobError, Received};
use crate::error::{Json, Path};
use crate::versions::{self, too_large, WITHDRAWN_DOCUMENT};
use crate::{params, AppError, AppState};

/// The largest part one `PATCH` may carry.
pub const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;
/// Unfinished uploads one user may have at a time (each may hold up to the
/// upload limit on the server's disk).
pub const MAX_OPEN_PER_USER: i64 = 4;
/// How long an upload waits for its next part before it expires.
pub const IDLE_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;
/// How long an upload may stay open at all, parts or not: a trickle of tiny
/// parts cannot keep its room on the disk reserved for long (a gigabyte on a
/// slow office line takes hours, not days).
pub const MAX_LIFETIME_MS: i64 = 48 * 60 * 60 * 1000;
/// Uploads of the largest size the whole server reserves room for at once
/// (all users together): the disk `blobs/incoming/` needs is bounded by
/// this many times `--max-upload-bytes`.
pub const MAX_RESERVED_UPLOADS: i64 = 16;
/// How often expired uploads and leftover files are swept while serving.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// A one-piece upload's temporary file (`*.part`) older than this is a
/// leftover of a crash.
const LEFTOVER_PART_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Running hashes kept at most: each is about 200 bytes; past this many open
/// uploads, the newer ones are hashed again at `finish` instead.
const MAX_RUNNING_HASHES: usize = 4096;

/// An upload's SHA-256 state over its first `offset` bytes; `None` once it
/// missed a part (received by another process, or not read back).
struct Running {
    offset: u64,
    hash: Option<ring::digest::Context>,
}

type Entry = std::sync::Arc<tokio::sync::Mutex<Running>>;

/// The SHA-256 of each upload's bytes so far, kept by the process that
/// received them, so that `finish` names the file without reading all of it
/// again. A part is added after it is checked, fsynced and counted: its
/// bytes are read back (from the page cache) on a blocking thread while the
/// client sends the next one, in the order of the parts (each takes its
/// turn on the entry before its request is answered). An entry that missed
/// a part (another server process on the same folder took it, a restart
/// lost the entry) is not used: `finish` then hashes the file from disk, as
/// before. Entries go with their uploads (finish, cancel, expiry; ended by
/// another process: at the next sweep).
#[derive(Default)]
pub struct RunningHashes(std::sync::Mutex<HashMap<String, Entry>>);

impl RunningHashes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds the bytes `from..to` of the upload file at `path` (a part just
    /// counted) to upload `id`'s hash. Returns once the part has its turn;
    /// the hashing goes on after.
    async fn add_part(&self, id: &str, path: PathBuf, from: u64, to: u64) {
        let entry = {
            let mut map = self.lock();
            match map.get(id) {
                Some(e) => e.clone(),
                None if from == 0 && map.len() < MAX_RUNNING_HASHES => {
                    let e = Entry::new(tokio::sync::Mutex::new(Running {
                        offset: 0,
                        hash: Some(ring::digest::Context::new(&ring::digest::SHA256)),
                    }));
                    map.insert(id.to_owned(), e.clone());
                    e
                }
                None => return,
            }
        };
        let mut turn = entry.lock_owned().await;
        if turn.offset != from {
            turn.hash = None;
        }
        let Some(mut hash) = turn.hash.take() else {
            return;
        };
        tokio::task::spawn_blocking(move || {
            if hash_range(&path, from, to, &mut hash).is_ok() {
                turn.hash = Some(hash);
                turn.offset = to;
            }
        });
    }

    /// The hex SHA-256 of upload `id` if this process holds the hash of all
    /// its `size` bytes (waiting for the last part's); the entry goes either
    /// way.
    async fn take_whole(&self, id: &str, size: u64) -> Option<String> {
        let entry = self.lock().remove(id)?;
        let mut running = entry.lock().await;
        match running.hash.take() {
            Some(hash) if running.offset == size => {
                Some(ecabinet_protocol::hex::encode(hash.finish().as_ref()))
            }
            _ => None,
        }
    }

    fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Drops the hashes of uploads not in `live` (finished, cancelled or
    /// expired through another server process).
    fn keep_only(&self, live: &std::collections::HashSet<String>) {
        self.lock().retain(|id, _| live.contains(id));
    }

    /// Uploads whose hash is held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Adds bytes `from..to` of the file at `path` to `hash`.
fn hash_range(
    path: &std::path::Path,
    from: u64,
    to: u64,
    hash: &mut ring::digest::Context,
) -> std::io::Result<()> {
    use std::io::{Read as _, Seek as _};
    let mut f = std::fs::File::open(path)?;
    f.seek(std::io::SeekFrom::Start(from))?;
    let want = to.saturating_sub(from);
    if crate::blobs::hash_from(&mut f.take(want), hash)? != want {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

struct Row {
    id: String,
    document_id: String,
    size: u64,
    received: u64,
    expires_at: i64,
    created_at: i64,
}

impl Row {
    fn body(&self) -> UploadBody {
        UploadBody {
            id: self.id.clone(),
            document_id: self.document_id.clone(),
            size: self.size,
            offset: self.received,
            expires_at: self.expires_at,
            max_part_bytes: MAX_PART_BYTES,
        }
    }
}

/// Upload ids are 32 lower-case hex digits; anything else names no upload
/// (and never reaches a file name).
fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn file_of(state: &AppState, id: &str) -> PathBuf {
    state.blobs.incoming_dir().join(format!("{id}.upload"))
}

fn not_found() -> AppError {
    AppError::not_found("upload")
}

/// The caller's live upload `id`; another user's, an expired or an unknown
/// one is simply not found.
async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<Row, AppError> {
    if !valid_id(id) {
        return Err(not_found());
    }
    let (id, user, now) = (id.to_owned(), caller.user_id.clone(), state.now());
    state
        .db
        .read(move |conn| {
            let rows = conn.query(
                "SELECT document_id, size, received, expires_at, created_at FROM uploads WHERE id = ? AND user_id = ?",
                params![&id, &user],
            )?;
            let r = rows.first().ok_or_else(not_found)?;
            let expires_at = r.int(3)?;
            if expires_at <= now {
                return Err(not_found());
            }
            Ok(Row {
                id,
                document_id: r.text(0)?,
                size: u64::try_from(r.int(1)?).unwrap_or(0),
                received: u64::try_from(r.int(2)?).unwrap_or(0),
                expires_at,
                created_at: r.int(4)?,
            })
        })
        .await
}

/// Opens the upload's file with an exclusive lock, released when the file
/// is closed. What the offset is must be read again once it is held: a part
/// that held the lock before may have moved it.
async fn open_locked(path: PathBuf) -> Result<std::fs::File, AppError> {
    tokio::task::spawn_blocking(move || {
        let f = match std::fs::OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
            Err(e) => return Err(BlobError::from(e).into()),
        };
        match f.try_lock() {
            Ok(()) => Ok(f),
            Err(std::fs::TryLockError::WouldBlock) => Err(AppError::conflict(
                "another part of this upload is being received; ask where it stands and go on from there",
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(BlobError::from(e).into()),
        }
    })
    .await
    .map_err(|e| AppError::internal(format!("upload task: {e}")))?
}

/// Cuts a locked upload file back to the `keep` bytes that are checked
/// (what an interrupted part left after them goes) and writes from there.
fn cut_to(f: &std::fs::File, keep: u64) -> Result<(), AppError> {
    use std::io::Seek as _;
    f.set_len(keep).map_err(BlobError::from)?;
    let mut f = f;
    f.seek(std::io::SeekFrom::Start(keep))
        .map_err(BlobError::from)?;
    Ok(())
}

/// `POST /v1/documents/{id}/uploads`.
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(document_id): Path<String>,
    Json(req): Json<StartUploadRequest>,
) -> Result<(StatusCode, Json<UploadBody>), AppError> {
    let max = u64::try_from(state.config.max_upload_bytes).unwrap_or(u64::MAX);
    if req.size == 0 {
        return Err(AppError::new(
            ErrorCode::NotPdf,
            "Tệp rỗng, không phải là tệp PDF. / The file is empty, not a PDF.",
        ));
    }
    if req.size > max {
        return Err(too_large(max));
    }
    let size = i64::try_from(req.size).map_err(|_| too_large(max))?;
    let now = state.now();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let new_id = id.clone();
    let (row, expired) = state
        .db
        .write(move |tx| {
            let (d, _) = document_for(tx, &caller, &document_id, Need::Prepare)?;
            refuse_withdrawn(d.withdrawn.as_ref(), WITHDRAWN_DOCUMENT)?;
            let expired = drop_expired(tx, now)?;
            let open = tx
                .conn
                .query(
                    "SELECT COUNT(*) FROM uploads WHERE user_id = ?",
                    params![&caller.user_id],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            if open >= MAX_OPEN_PER_USER {
                return Err(AppError::conflict(format!(
                    "you have {open} unfinished uploads; finish or cancel one before starting another"
                )));
            }
            let reserved = tx
                .conn
                .query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM uploads", params![])?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            let room = (max as i64).saturating_mul(MAX_RESERVED_UPLOADS);
            if reserved.saturating_add(size) > room {
                return Err(AppError::conflict(
                    "Máy chủ đang nhận quá nhiều tệp lớn cùng lúc; hãy thử lại sau ít phút. \
                     / The server is receiving too many large files at once; try again in a few minutes.",
                ));
            }
            let expires_at = now + IDLE_LIFETIME_MS;
            tx.conn.execute(
                "INSERT INTO uploads (id, document_id, user_id, size, received, created_at, expires_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                params![&new_id, &d.id, &caller.user_id, size, now, expires_at],
            )?;
            Ok((
                Row {
                    id: new_id,
                    document_id: d.id,
                    size: req.size,
                    received: 0,
                    expires_at,
                    created_at: now,
                },
                expired,
            ))
        })
        .await?;
    for e in expired {
        state.upload_hashes.forget(&e);
        let _ = tokio::fs::remove_file(file_of(&state, &e)).await;
    }
    let made = async {
        tokio::fs::create_dir_all(state.blobs.incoming_dir()).await?;
        tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(file_of(&state, &id))
            .await
    }
    .await;
    if let Err(e) = made {
        forget(&state, &id).await;
        return Err(BlobError::from(e).into());
    }
    Ok((StatusCode::CREATED, Json(row.body())))
}

/// `GET /v1/uploads/{id}`: where to resume.
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UploadBody>, AppError> {
    Ok(Json(load(&state, &caller, &id).await?.body()))
}

/// The part's expected SHA-256 from `Upload-Checksum: sha256 HEX`.
fn wanted_checksum(headers: &HeaderMap) -> Result<String, AppError> {
    let v = headers
        .get(UPLOAD_CHECKSUM_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match v.trim().split_once(' ') {
        Some(("sha256", hex))
            if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(hex.to_ascii_lowercase())
        }
        _ => Err(AppError::invalid(format!(
            "a part needs the header `{UPLOAD_CHECKSUM_HEADER}: sha256 HEX` (the SHA-256 of its bytes)"
        ))),
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// `PATCH /v1/uploads/{id}`: one part, at the upload's offset.
pub async fn part(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<UploadBody>, AppError> {
    // Whose upload it is comes first: nothing about it is said to anyone else.
    let row = load(&state, &caller, &id).await?;
    let Some(offset) = header_u64(&headers, UPLOAD_OFFSET_HEADER) else {
        return Err(AppError::invalid(format!(
            "a part needs the header `{UPLOAD_OFFSET_HEADER}`: the offset of its first byte"
        )));
    };
    let want = wanted_checksum(&headers)?;
    if offset != row.received {
        return Err(AppError::conflict(format!(
            "the server holds the first {} bytes of this upload: send the part that starts there",
            row.received
        )));
    }
    let room = (row.size - row.received).min(MAX_PART_BYTES);
    let part_too_large = || {
        AppError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "a part may carry at most {room} bytes here (the upload's size is {}, parts at most {MAX_PART_BYTES})",
                row.size
            ),
        )
    };
    if header_u64(&headers, header::CONTENT_LENGTH.as_str()).is_some_and(|n| n > room) {
        return Err(part_too_large());
    }
    let std_file = open_locked(file_of(&state, &id)).await?;
    // Under the lock, the offset as it stands now.
    let row = load(&state, &caller, &id).await?;
    if offset != row.received {
        return Err(AppError::conflict(format!(
            "the server holds the first {} bytes of this upload: send the part that starts there",
            row.received
        )));
    }
    cut_to(&std_file, row.received)?;
    let cut_back = std_file.try_clone().map_err(BlobError::from)?;
    let mut file = tokio::fs::File::from_std(std_file);
    let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
    let mut n: u64 = 0;
    // Write-back started early, while the rest of the part arrives.
    let mut early = EarlySync::default();
    let mut chunks = body.into_data_stream();
    let received: Result<(), AppError> = async {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| {
                AppError::new(
                    ErrorCode::BadRequest,
                    format!("the part did not arrive whole ({e}); ask where the upload stands and send it again"),
                )
            })?;
            n += chunk.len() as u64;
            if n > room {
                return Err(part_too_large());
            }
            hash.update(&chunk);
            file.write_all(&chunk).await.map_err(BlobError::from)?;
            early.wrote(chunk.len() as u64, &mut file, &cut_back).await?;
        }
        if n == 0 {
            return Err(AppError::invalid("the part is empty"));
        }
        let got = ecabinet_protocol::hex::encode(hash.clone().finish().as_ref());
        if got != want {
            return Err(AppError::new(
                ErrorCode::BadRequest,
                "the part arrived damaged (its SHA-256 does not match the checksum sent); send it again",
            ));
        }
        file.flush().await.map_err(BlobError::from)?;
        early.settle().await?;
        file.sync_data().await.map_err(BlobError::from)?;
        Ok(())
    }
    .await;
    // On a refused part, only that nothing is left running matters.
    let _ = early.settle().await;
    if let Err(e) = received {
        // What arrived of a refused part is not kept: the offset stays put.
        drop(file);
        let _ = cut_back.set_len(row.received);
        return Err(e);
    }
    let new_offset = row.received + n;
    let (uid, before, now) = (id.clone(), row.received, state.now());
    let expires_at = (now + IDLE_LIFETIME_MS).min(row.created_at + MAX_LIFETIME_MS);
    let moved = state
        .db
        .write(move |tx| {
            Ok::<_, AppError>(tx.conn.execute(
                "UPDATE uploads SET received = ?, expires_at = ? WHERE id = ? AND received = ?",
                params![new_offset as i64, expires_at, &uid, before as i64],
            )?)
        })
        .await?;
    if moved == 1 {
        // Still under the file's lock: the next part's turn comes after this.
        state
            .upload_hashes
            .add_part(&id, file_of(&state, &id), before, new_offset)
            .await;
    }
    drop(file);
    if moved != 1 {
        // Cancelled (or expired and swept) while the part was arriving.
        return Err(not_found());
    }
    Ok(Json(UploadBody {
        offset: new_offset,
        expires_at,
        ..row.body()
    }))
}

/// Bytes of a part written between two early syncs.
const EARLY_SYNC_BYTES: u64 = 8 * 1024 * 1024;

/// Syncs of a part's file started while the part still arrives, one at a
/// time, every [`EARLY_SYNC_BYTES`]: the disk writes the part as it comes,
/// and the sync that must finish before the offset moves (always done, in
/// [`part`]) is left with the last few MiB instead of the whole part. An
/// early sync's failure fails the part: the kernel reports a write-back
/// error once per open file, so the last sync, on the same open file,
/// might not see it again.
#[derive(Default)]
struct EarlySync {
    since: u64,
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl EarlySync {
    async fn wrote(
        &mut self,
        n: u64,
        file: &mut tokio::fs::File,
        handle: &std::fs::File,
    ) -> Result<(), AppError> {
        self.since += n;
        if self.since < EARLY_SYNC_BYTES || self.running.as_ref().is_some_and(|t| !t.is_finished())
        {
            return Ok(());
        }
        self.settle().await?;
        // What the async file still buffers goes to the OS first.
        file.flush().await.map_err(BlobError::from)?;
        let handle = handle.try_clone().map_err(BlobError::from)?;
        self.running = Some(tokio::task::spawn_blocking(move || handle.sync_data()));
        self.since = 0;
        Ok(())
    }

    /// Waits for the early sync still running, if any, and says how it went.
    async fn settle(&mut self) -> Result<(), AppError> {
        match self.running.take() {
            Some(t) => t
                .await
                .map_err(|e| AppError::internal(format!("upload sync task: {e}")))?
                .map_err(|e| BlobError::from(e).into()),
            None => Ok(()),
        }
    }
}

/// `POST /v1/uploads/{id}/finish`: the whole file becomes the next version.
pub async fn finish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DocumentVersionBody>), AppError> {
    let row = load(&state, &caller, &id).await?;
    if row.received != row.size {
        return Err(AppError::conflict(format!(
            "the server holds {} of the upload's {} bytes: send the rest first",
            row.received, row.size
        )));
    }
    let path = file_of(&state, &id);
    // Held until the file is stored: no part can arrive meanwhile.
    let lock = open_locked(path.clone()).await?;
    let row = load(&state, &caller, &id).await?;
    if row.received != row.size {
        return Err(AppError::conflict(format!(
            "the server holds {} of the upload's {} bytes: send the rest first",
            row.received, row.size
        )));
    }
    cut_to(&lock, row.size)?;
    let known = state.upload_hashes.take_whole(&id, row.size).await;
    let outcome = async {
        let received = Received::from_file(path, known).await?;
        versions::store_version(
            &state,
            caller,
            row.document_id.clone(),
            received,
            Some(id.clone()),
        )
        .await
    }
    .await;
    drop(lock);
    match outcome {
        Ok(v) => Ok((StatusCode::CREATED, Json(v))),
        Err(e) => {
            // The file is gone with the refusal; so is the upload.
            forget(&state, &id).await;
            Err(e)
        }
    }
}

/// Removes expired uploads with their files, `.upload` files no upload
/// row names (a crash between the two), and one-piece uploads' `.part`
/// files a crash left behind. Run at start and every [`SWEEP_EVERY`].
pub async fn sweep(state: &AppState) -> Result<usize, AppError> {
    let dir = state.blobs.incoming_dir().to_path_buf();
    // Files first: a row is made before its file, so a file seen here whose
    // row is missing below had its row removed, not yet made.
    let mut files = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
        while let Ok(Some(e)) = entries.next_entry().await {
            files.push(e.path());
        }
    }
    let now = state.now();
    let (expired, live) = state
        .db
        .write(move |tx| {
            let expired = drop_expired(tx, now)?;
            let mut live = std::collections::HashSet::new();
            for r in tx.conn.query("SELECT id FROM uploads", params![])? {
                live.insert(r.text(0)?);
            }
            Ok::<_, AppError>((expired, live))
        })
        .await?;
    for e in &expired {
        state.upload_hashes.forget(e);
    }
    // Also the hashes of uploads another process finished or cancelled.
    state.upload_hashes.keep_only(&live);
    let mut removed = 0;
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let gone = if let Some(id) = name.strip_suffix(".upload") {
            valid_id(id) && !live.contains(id)
        } else if name.ends_with(".part") {
            tokio::fs::metadata(&path)
                .await
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > LEFTOVER_PART_AGE)
        } else {
            false
        };
        if gone && tokio::fs::remove_file(&path).await.is_ok() {
            removed += 1;
        }
    }
    if !expired.is_empty() || removed > 0 {
        tracing::info!(
            "uploads swept: {} expired, {removed} leftover files removed",
            expired.len()
        );
    }
    Ok(removed)
}

/// Deletes the rows of uploads expired at `now`; answers their ids, whose
/// files the caller removes once the transaction is committed.
fn drop_expired(tx: &mut crate::db::Tx<'_>, now: i64) -> Result<Vec<String>, AppError> {
    let mut expired = Vec::new();
    for r in tx
        .conn
        .query("SELECT id FROM uploads WHERE expires_at <= ?", params![now])?
    {
        expired.push(r.text(0)?);
    }
    tx.conn
        .execute("DELETE FROM uploads WHERE expires_at <= ?", params![now])?;
    Ok(expired)
}

/// Sweeps now and every [`SWEEP_EVERY`] while the server runs.
pub fn sweep_periodically(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            if let Err(e) = sweep(&state).await {
                tracing::warn!("sweeping uploads failed: {}", e.message);
            }
        }
    });
}

/// Removes the upload's row and file (best effort).
async fn forget(state: &AppState, id: &str) {
    let gone = id.to_owned();
    let _ = state
        .db
        .write(move |tx| {
            tx.conn
                .execute("DELETE FROM uploads WHERE id = ?", params![&gone])
                .map_err(AppError::from)
        })
        .await;
    state.upload_hashes.forget(id);
    let _ = tokio::fs::remove_file(file_of(state, id)).await;
}

/// `DELETE /v1/uploads/{id}`: drops an unfinished upload.
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    load(&state, &caller, &id).await?;
    forget(&state, &id).await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::{valid_id, RunningHashes};

    fn sha256_of(bytes: &[u8]) -> String {
        ecabinet_protocol::hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
    }

    /// An upload file holding `bytes`, in a folder of its own.
    fn upload_file(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("0123456789abcdef0123456789abcdef.upload");
        std::fs::write(&path, bytes).expect("write");
        (dir, path)
    }

    #[tokio::test]
    async fn the_parts_read_back_in_order_name_the_whole_file_once() {
        let file: Vec<u8> = (0..700_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (_dir, path) = upload_file(&file);
        let running = RunningHashes::default();
        let id = "0123456789abcdef0123456789abcdef";
        for (from, to) in [(0, 19), (19, 300_000), (300_000, 700_000)] {
            running.add_part(id, path.clone(), from, to).await;
        }
        assert_eq!(
            running.take_whole(id, 700_000).await,
            Some(sha256_of(&file))
        );
        assert_eq!(running.take_whole(id, 700_000).await, None, "used twice");
        assert!(running.is_empty());
    }

    #[tokio::test]
    async fn a_hash_that_missed_a_part_is_not_used() {
        let file = vec![b'x'; 1000];
        let (_dir, path) = upload_file(&file);
        let running = RunningHashes::default();
        let id = "0123456789abcdef0123456789abcdef";
        // Bytes 100..400 went to another process: this one never saw them.
        running.add_part(id, path.clone(), 0, 100).await;
        running.add_part(id, path.clone(), 400, 1000).await;
        assert_eq!(running.take_whole(id, 1000).await, None);
        // A restart: the first part this process sees is not the start.
        running.add_part(id, path.clone(), 100, 1000).await;
        assert_eq!(running.take_whole(id, 1000).await, None);
        // A part that cannot be read back (the file is gone) breaks it too.
        running.add_part(id, path.clone(), 0, 500).await;
        running
            .add_part(id, path.with_extension("gone"), 500, 1000)
            .await;
        assert_eq!(running.take_whole(id, 1000).await, None);
        // Kept hashes stop growing at the bound; cancelling drops one.
        for i in 0..super::MAX_RUNNING_HASHES + 10 {
            running
                .add_part(&format!("{i:032x}"), path.clone(), 0, 10)
                .await;
        }
        assert_eq!(running.len(), super::MAX_RUNNING_HASHES);
        running.forget(&format!("{:032x}", 0));
        assert_eq!(running.len(), super::MAX_RUNNING_HASHES - 1);
    }

    #[test]
    fn only_upload_shaped_ids_can_name_a_file() {
        assert!(valid_id("0123456789abcdef0123456789abcdef"));
        for bad in [
            "",
            "../../etc/passwd",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcde/",
        ] {
            assert!(!valid_id(bad), "{bad:?}");
        }
    }
}
