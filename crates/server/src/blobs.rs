//! Content-addressed blob storage (PDF bytes named by their SHA-256): the local
//! filesystem by default, any S3-API object store for larger deployments.
//!
//! Memory stays bounded whatever the size of a document. An upload is
//! streamed into a temporary file ([`Upload`]) in the store's `incoming/`
//! folder, hashed as it is written and fsynced; only then is it stored under
//! its hash. Reads are streams of at most 64 KiB chunks ([`BlobBytes`]).
//!
//! Local blobs are files `DIR/ab/abcdef...`. A new one is renamed into place
//! after its bytes reached the disk, and its folder is fsynced after the
//! rename, so a crash leaves either no blob or the whole blob. A blob that
//! is already there is checked (size and SHA-256) before an upload of the
//! same hash is skipped: a damaged file is replaced by the fresh upload
//! instead of being served forever. On S3 an upload always writes the
//! object (objects are replaced whole), which repairs a damaged one too.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::StreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob not found")]
    NotFound,
    #[error("blob store io: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store: {0}")]
    Object(#[from] object_store::Error),
    #[error("bad blob store url {0:?}: expected s3://BUCKET[?endpoint=URL&region=R]")]
    BadUrl(String),
}

/// A blob's bytes as they are read, in chunks.
pub type BlobBytes = BoxStream<'static, Result<Bytes, BlobError>>;

/// What a read will deliver: `len` bytes (what the store holds, which is
/// what the client is told even if a damaged file holds fewer than the
/// database says), streamed.
pub struct BlobRead {
    pub len: u64,
    pub bytes: BlobBytes,
}

/// Where blob bytes live. Names are lower-case hex SHA-256.
pub trait BlobStore: Send + Sync {
    /// The folder where uploads are received before they are stored.
    fn incoming_dir(&self) -> &Path;
    /// Stores a received upload under its hash (see the module notes for
    /// what happens when that hash is already stored).
    fn put_file(&self, upload: Received) -> BoxFuture<'_, Result<(), BlobError>>;
    /// The bytes of `range` (the whole blob when `None`), streamed.
    fn get(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, Result<BlobRead, BlobError>>;
    /// Whether the store answers (readiness): the folder is there, or the
    /// bucket answers a lookup (a missing object is an answer).
    fn ready(&self) -> BoxFuture<'_, Result<(), BlobError>>;
}

/// Stores bytes already in memory (the demo seed's small PDFs) the way an
/// upload is stored; returns their SHA-256.
pub async fn put_bytes(store: &dyn BlobStore, bytes: &[u8]) -> Result<String, BlobError> {
    let mut upload = Upload::create(store.incoming_dir()).await?;
    upload.write(bytes).await?;
    let received = upload.finish().await?;
    let sha = received.sha256.clone();
    store.put_file(received).await?;
    Ok(sha)
}

/// How many bytes of each end of an upload are kept for the format check.
const EDGE: usize = 1024;
/// Read size for hashing and streaming files.
const CHUNK: usize = 64 * 1024;

/// A temporary file that is removed when dropped, unless it was moved away.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// The path, no longer removed on drop (the file is being renamed).
    fn keep(mut self) -> PathBuf {
        self.armed = false;
        std::mem::take(&mut self.path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An upload being received into a temporary file, hashed as it is written.
/// Dropping it (a refused or interrupted upload) removes the file.
pub struct Upload {
    file: tokio::fs::File,
    temp: TempFile,
    hash: ring::digest::Context,
    size: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Upload {
    pub async fn create(dir: &Path) -> Result<Upload, BlobError> {
        tokio::fs::create_dir_all(dir).await?;
        let path = dir.join(format!("{}.part", uuid::Uuid::new_v4().simple()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Upload {
            file,
            temp: TempFile { path, armed: true },
            hash: ring::digest::Context::new(&ring::digest::SHA256),
            size: 0,
            head: Vec::with_capacity(EDGE),
            tail: Vec::with_capacity(2 * EDGE),
        })
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        self.file.write_all(chunk).await?;
        self.hash.update(chunk);
        self.size += chunk.len() as u64;
        if self.head.len() < EDGE {
            let n = (EDGE - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..n]);
        }
        self.tail
            .extend_from_slice(&chunk[chunk.len().saturating_sub(EDGE)..]);
        if self.tail.len() > EDGE {
            let extra = self.tail.len() - EDGE;
            self.tail.drain(..extra);
        }
        Ok(())
    }

    /// Flushes the file to disk (fsync) and names its hash.
    pub async fn finish(mut self) -> Result<Received, BlobError> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        let sha256 = ecabinet_protocol::hex::encode(self.hash.finish().as_ref());
        let mut edges = self.head;
        if self.size > EDGE as u64 {
            edges.extend_from_slice(&self.tail);
        }
        Ok(Received {
            sha256,
            size: self.size,
            edges,
            temp: self.temp,
        })
    }
}

/// A whole upload on disk, fsynced, with its hash; removed when dropped
/// unless a store took it.
pub struct Received {
    pub sha256: String,
    pub size: u64,
    edges: Vec<u8>,
    temp: TempFile,
}

impl Received {
    /// The first KiB followed by the last KiB (the whole upload when it is
    /// no larger than a KiB): enough for a format check of both ends.
    pub fn edges(&self) -> &[u8] {
        &self.edges
    }

    /// The received file, until it is stored.
    pub fn path(&self) -> &Path {
        &self.temp.path
    }
}

impl Received {
    /// Takes over a whole file already in the incoming folder (a finished
    /// resumable upload) and keeps its edges. Its SHA-256 is `known` when the
    /// parts were hashed as they arrived; otherwise the file is read and
    /// hashed in chunks. From here on the file is removed when this is
    /// dropped, unless a store took it.
    pub async fn from_file(path: PathBuf, known: Option<String>) -> Result<Received, BlobError> {
        let temp = TempFile { path, armed: true };
        let p = temp.path.clone();
        let (sha256, size, edges) = tokio::task::spawn_blocking(move || {
            use std::io::{Read as _, Seek as _};
            let mut f = std::fs::File::open(&p)?;
            let size = f.metadata()?.len();
            let sha256 = match known {
                Some(sha256) => sha256,
                None => sha256_of(&mut f)?,
            };
            let mut edges = Vec::with_capacity(2 * EDGE);
            f.rewind()?;
            f.by_ref().take(EDGE as u64).read_to_end(&mut edges)?;
            if size > EDGE as u64 {
                f.seek(std::io::SeekFrom::Start(size - EDGE as u64))?;
                f.read_to_end(&mut edges)?;
            }
            Ok::<_, std::io::Error>((sha256, size, edges))
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(Received {
            sha256,
            size,
            edges,
            temp,
        })
    }
}

/// The hex SHA-256 of what is left to read of `f`, read in chunks.
fn sha256_of(f: &mut std::fs::File) -> std::io::Result<String> {
    let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
    hash_from(f, &mut hash)?;
    Ok(ecabinet_protocol::hex::encode(hash.finish().as_ref()))
}

/// Adds everything `r` still gives to `hash`, read in chunks; answers how
/// many bytes that was.
pub(crate) fn hash_from(
    r: &mut impl std::io::Read,
    hash: &mut ring::digest::Context,
) -> std::io::Result<u64> {
    let mut buf = vec![0; CHUNK];
    let mut total = 0;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        hash.update(&buf[..n]);
        total += n as u64;
    }
}

/// fsync of a folder, which makes a rename or a new entry in it durable.
async fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)??;
    Ok(())
}

/// Whether the file at `path` has `size` bytes whose SHA-256 is `sha256`.
async fn file_is_intact(path: &Path, sha256: &str, size: u64) -> Result<bool, BlobError> {
    let path = path.to_owned();
    let sha256 = sha256.to_owned();
    let ok = tokio::task::spawn_blocking(move || -> std::io::Result<bool> {
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if f.metadata()?.len() != size {
            return Ok(false);
        }
        Ok(sha256_of(&mut f)? == sha256)
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(ok)
}

/// Blobs as files `DIR/ab/abcdef...`; uploads arrive in `DIR/incoming/`
/// (the same file system, so storing one is a rename).
pub struct LocalBlobs {
    dir: PathBuf,
    incoming: PathBuf,
}

impl LocalBlobs {
    pub fn new(dir: PathBuf) -> Self {
        LocalBlobs {
            incoming: dir.join("incoming"),
            dir,
        }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }
}

impl BlobStore for LocalBlobs {
    fn ready(&self) -> BoxFuture<'_, Result<(), BlobError>> {
        // The folder an upload needs can be made (it usually exists).
        Box::pin(async move { Ok(tokio::fs::create_dir_all(&self.incoming).await?) })
    }

    fn incoming_dir(&self) -> &Path {
        &self.incoming
    }

    fn put_file(&self, upload: Received) -> BoxFuture<'_, Result<(), BlobError>> {
        let path = self.path(&upload.sha256);
        Box::pin(async move {
            if file_is_intact(&path, &upload.sha256, upload.size).await? {
                return Ok(());
            }
            let parent = path.parent().unwrap_or(&self.dir).to_owned();
            if !tokio::fs::try_exists(&parent).await? {
                tokio::fs::create_dir_all(&parent).await?;
                sync_dir(&self.dir).await?;
            }
            // The bytes were fsynced by `Upload::finish`; the rename replaces
            // a damaged file atomically, and the folder's fsync keeps it.
            let temp = upload.temp.keep();
            if let Err(e) = tokio::fs::rename(&temp, &path).await {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(e.into());
            }
            sync_dir(&parent).await
        })
    }

    fn get(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, Result<BlobRead, BlobError>> {
        let path = self.path(sha256);
        Box::pin(async move {
            let mut f = match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(BlobError::NotFound)
                }
                Err(e) => return Err(e.into()),
            };
            let size = f.metadata().await?.len();
            let r = range.unwrap_or(0..size);
            let (start, end) = (r.start.min(size), r.end.min(size));
            f.seek(std::io::SeekFrom::Start(start)).await?;
            let len = end.saturating_sub(start);
            let stream = tokio_util::io::ReaderStream::with_capacity(f.take(len), CHUNK)
                .map(|chunk| chunk.map_err(BlobError::from));
            Ok(BlobRead {
                len,
                bytes: stream.boxed(),
            })
        })
    }
}

/// Uploads to S3 go up in parts of this size (at most two parts in flight),
/// so memory stays bounded; smaller uploads go up in one request.
const S3_PART: usize = 8 * 1024 * 1024;

/// Blobs in an S3-API bucket, as objects `blobs/<sha256>`.
pub struct S3Blobs {
    store: Arc<dyn ObjectStore>,
    incoming: PathBuf,
}

impl S3Blobs {
    /// `s3://BUCKET?endpoint=http://host:port&region=us-east-1`; credentials
    /// come from the usual `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    /// Uploads are received in `incoming` before they go to the bucket.
    pub fn from_url(url: &str, incoming: PathBuf) -> Result<Self, BlobError> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| BlobError::BadUrl(url.to_owned()))?;
        let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains('/') {
            return Err(BlobError::BadUrl(url.to_owned()));
        }
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let mut region_set = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| BlobError::BadUrl(url.to_owned()))?;
            match k {
                "endpoint" => {
                    b = b
                        .with_endpoint(v)
                        .with_allow_http(v.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                "region" => {
                    region_set = true;
                    b = b.with_region(v);
                }
                _ => return Err(BlobError::BadUrl(url.to_owned())),
            }
        }
        if !region_set {
            b = b.with_region("us-east-1");
        }
        Ok(S3Blobs {
            store: Arc::new(b.build()?),
            incoming,
        })
    }

    fn key(sha256: &str) -> ObjectPath {
        ObjectPath::from(format!("blobs/{sha256}"))
    }

    async fn upload_parts(&self, key: &ObjectPath, path: &Path) -> Result<(), BlobError> {
        let mut f = tokio::fs::File::open(path).await?;
        let mut w =
            WriteMultipart::new_with_chunk_size(self.store.put_multipart(key).await?, S3_PART);
        let mut buf = vec![0; CHUNK];
        loop {
            let n = match f.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(e.into());
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = w.wait_for_capacity(2).await {
                let _ = w.abort().await;
                return Err(e.into());
            }
            w.write(&buf[..n]);
        }
        w.finish().await?;
        Ok(())
    }
}

impl BlobStore for S3Blobs {
    fn ready(&self) -> BoxFuture<'_, Result<(), BlobError>> {
        Box::pin(async move {
            match self.store.head(&Self::key(&"0".repeat(64))).await {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn incoming_dir(&self) -> &Path {
        &self.incoming
    }

    fn put_file(&self, upload: Received) -> BoxFuture<'_, Result<(), BlobError>> {
        let key = Self::key(&upload.sha256);
        Box::pin(async move {
            let path = &upload.temp.path;
            if upload.size <= S3_PART as u64 {
                let bytes = tokio::fs::read(path).await?;
                self.store.put(&key, PutPayload::from(bytes)).await?;
            } else {
                self.upload_parts(&key, path).await?;
            }
            // `upload` drops here and removes the temporary file.
            Ok(())
        })
    }

    fn get(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, Result<BlobRead, BlobError>> {
        let key = Self::key(sha256);
        Box::pin(async move {
            let opts = GetOptions {
                range: range.map(GetRange::Bounded),
                ..Default::default()
            };
            match self.store.get_opts(&key, opts).await {
                Ok(r) => Ok(BlobRead {
                    len: r.range.end.saturating_sub(r.range.start),
                    bytes: r
                        .into_stream()
                        .map(|chunk| chunk.map_err(BlobError::from))
                        .boxed(),
                }),
                Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
                Err(e) => Err(e.into()),
            }
        })
    }
}

/// Opens the blob store named by `--blob-store` (an `s3://` URL), or the
/// local directory when none is given. With S3, uploads are received in
/// `local_dir/incoming` before they go to the bucket.
pub fn open(url: Option<&str>, local_dir: PathBuf) -> Result<Arc<dyn BlobStore>, BlobError> {
    match url {
        None => Ok(Arc::new(LocalBlobs::new(local_dir))),
        Some(u) if u.starts_with("s3://") => {
            Ok(Arc::new(S3Blobs::from_url(u, local_dir.join("incoming"))?))
        }
        Some(u) if u.starts_with("file://") => Ok(Arc::new(LocalBlobs::new(PathBuf::from(
            &u["file://".len()..],
        )))),
        Some(u) => Err(BlobError::BadUrl(u.to_owned())),
    }
}
