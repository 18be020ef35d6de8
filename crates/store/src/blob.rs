//! Encrypted blob files: document bytes, named by the SHA-256 of the plaintext.
//!
//! File layout: a 36-byte header — magic `ECBLOB01`, a random 16-byte file salt,
//! the chunk size (u32 LE) and the plaintext size (u64 LE) — then one record per
//! chunk: the AES-256-GCM ciphertext of up to [`CHUNK_SIZE`] plaintext bytes and
//! its 16-byte tag. An empty blob has one empty chunk so that its end is
//! authenticated too.
//!
//! The chunk key is HKDF-SHA256 of the data key with the file salt, bound to
//! the blob id; the nonce is the chunk index; the associated data binds the
//! blob id, the plaintext size, the chunk index and the last-chunk flag. So
//! chunks cannot be altered, reordered, dropped, cut short or moved into another
//! file without the read failing.
//!
//! A download is written under `blobs/partial/<sha>.part` and renamed to
//! `blobs/<sha>` only after every chunk is written, synced and the SHA-256 of the
//! plaintext equals the name. A partial file is never read as a document.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::digest;
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{io_err, Result, StoreError};
use crate::fsutil;

/// Plaintext bytes per chunk: the unit of resumption.
pub const CHUNK_SIZE: usize = 64 * 1024;
const TAG_LEN: usize = 16;
const MAGIC: &[u8; 8] = b"ECBLOB01";
const HEADER_LEN: usize = 8 + 16 + 4 + 8;
const HKDF_INFO: &[u8] = b"ecabinet-blob-chunk-key-v1";

/// Directory of complete blobs inside the data directory.
pub const BLOB_DIR: &str = "blobs";
/// Directory of partial downloads inside [`BLOB_DIR`].
pub const PARTIAL_DIR: &str = "partial";

pub(crate) struct BlobPaths {
    pub(crate) complete: PathBuf,
    pub(crate) partial_dir: PathBuf,
}

impl BlobPaths {
    pub(crate) fn new(data_dir: &Path) -> Self {
        let complete = data_dir.join(BLOB_DIR);
        let partial_dir = complete.join(PARTIAL_DIR);
        BlobPaths {
            complete,
            partial_dir,
        }
    }

    pub(crate) fn ensure(&self) -> Result<()> {
        fs::create_dir_all(&self.partial_dir).map_err(io_err("create directory", &self.partial_dir))
    }

    pub(crate) fn complete_path(&self, sha: &BlobId) -> PathBuf {
        self.complete.join(&sha.hex)
    }

    pub(crate) fn partial_path(&self, sha: &BlobId) -> PathBuf {
        self.partial_dir.join(format!("{}.part", sha.hex))
    }
}

/// A validated blob id: 64 lower-case hex digits.
#[derive(Clone)]
pub(crate) struct BlobId {
    pub(crate) hex: String,
    raw: [u8; 32],
}

impl BlobId {
    pub(crate) fn parse(s: &str) -> Result<BlobId> {
        let raw: [u8; 32] = crate::hex::decode(s)
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| StoreError::InvalidBlobId(s.to_owned()))?;
        Ok(BlobId {
            hex: s.to_owned(),
            raw,
        })
    }
}

struct KeyLen;

impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        32
    }
}

fn chunk_key(data_key: &[u8; 32], salt: &[u8; 16], id: &BlobId) -> Result<LessSafeKey> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(data_key);
    let mut k = zeroize::Zeroizing::new([0u8; 32]);
    prk.expand(&[HKDF_INFO, &id.raw], KeyLen)
        .and_then(|okm| okm.fill(k.as_mut()))
        .map_err(|_| StoreError::Crypto("hkdf"))?;
    let unbound =
        UnboundKey::new(&AES_256_GCM, k.as_ref()).map_err(|_| StoreError::Crypto("aes key"))?;
    Ok(LessSafeKey::new(unbound))
}

fn chunk_count(total: u64) -> u64 {
    total.div_ceil(CHUNK_SIZE as u64).max(1)
}

fn chunk_len(total: u64, index: u64) -> usize {
    let start = index * CHUNK_SIZE as u64;
    (total.saturating_sub(start)).min(CHUNK_SIZE as u64) as usize
}

fn nonce(index: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&index.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn aad(id: &BlobId, total: u64, index: u64, last: bool) -> [u8; 49] {
    let mut a = [0u8; 49];
    a[..32].copy_from_slice(&id.raw);
    a[32..40].copy_from_slice(&total.to_be_bytes());
    a[40..48].copy_from_slice(&index.to_be_bytes());
    a[48] = u8::from(last);
    a
}

struct Header {
    salt: [u8; 16],
    total: u64,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..24].copy_from_slice(&self.salt);
        h[24..28].copy_from_slice(&(CHUNK_SIZE as u32).to_le_bytes());
        h[28..36].copy_from_slice(&self.total.to_le_bytes());
        h
    }

    /// `None` for anything but a header this version wrote.
    fn decode(b: &[u8]) -> Option<Header> {
        if b.len() < HEADER_LEN || &b[..8] != MAGIC {
            return None;
        }
        let chunk = u32::from_le_bytes(b[24..28].try_into().ok()?);
        if chunk as usize != CHUNK_SIZE {
            return None;
        }
        Some(Header {
            salt: b[8..24].try_into().ok()?,
            total: u64::from_le_bytes(b[28..36].try_into().ok()?),
        })
    }
}

/// Appends a blob chunk by chunk; see [`crate::Store::blob_writer`].
///
/// Plaintext is held in memory only up to one chunk; what reaches the disk is
/// ciphertext. Dropping the writer without [`BlobWriter::finish`] keeps the
/// partial file so the download can resume.
pub struct BlobWriter {
    id: BlobId,
    key: LessSafeKey,
    total: u64,
    file: File,
    partial: PathBuf,
    complete: PathBuf,
    complete_dir: PathBuf,
    hasher: digest::Context,
    next_chunk: u64,
    buf: Vec<u8>,
    /// Plaintext bytes in whole chunks written to the file.
    stored: u64,
    /// Plaintext bytes stored when the writer was created.
    resumed_from: u64,
}

impl BlobWriter {
    pub(crate) fn open(
        paths: &BlobPaths,
        data_key: &[u8; 32],
        sha: &str,
        total: u64,
    ) -> Result<BlobWriter> {
        let id = BlobId::parse(sha)?;
        paths.ensure()?;
        let partial = paths.partial_path(&id);
        let complete = paths.complete_path(&id);
        if let Some(w) = Self::resume(&id, data_key, total, &partial, &complete, paths)? {
            return Ok(w);
        }
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| StoreError::Crypto("rng"))?;
        let mut file = File::create(&partial).map_err(io_err("create", &partial))?;
        file.write_all(&Header { salt, total }.encode())
            .map_err(io_err("write", &partial))?;
        file.sync_all().map_err(io_err("fsync", &partial))?;
        fsutil::sync_dir(&paths.partial_dir)?;
        Ok(BlobWriter {
            key: chunk_key(data_key, &salt, &id)?,
            id,
            total,
            file,
            partial,
            complete,
            complete_dir: paths.complete.clone(),
            hasher: digest::Context::new(&digest::SHA256),
            next_chunk: 0,
            buf: Vec::with_capacity(CHUNK_SIZE),
            stored: 0,
            resumed_from: 0,
        })
    }

    /// Picks up a partial file: keeps every leading chunk that authenticates,
    /// cuts the file after the last of them. `None` when there is nothing to keep.
    fn resume(
        id: &BlobId,
        data_key: &[u8; 32],
        total: u64,
        partial: &Path,
        complete: &Path,
        paths: &BlobPaths,
    ) -> Result<Option<BlobWriter>> {
        let mut file = match OpenOptions::new().read(true).write(true).open(partial) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("open", partial)(e)),
        };
        let mut head = [0u8; HEADER_LEN];
        let header = match file.read_exact(&mut head) {
            Ok(()) => Header::decode(&head),
            Err(_) => None,
        };
        let Some(header) = header.filter(|h| h.total == total) else {
            return Ok(None);
        };
        let key = chunk_key(data_key, &header.salt, id)?;
        let mut hasher = digest::Context::new(&digest::SHA256);
        let n = chunk_count(total);
        let mut index = 0;
        let mut stored = 0u64;
        let mut rec = vec![0u8; CHUNK_SIZE + TAG_LEN];
        while index < n {
            let len = chunk_len(total, index);
            let rec = &mut rec[..len + TAG_LEN];
            if file.read_exact(rec).is_err() {
                break;
            }
            let last = index + 1 == n;
            match key.open_in_place(nonce(index), Aad::from(aad(id, total, index, last)), rec) {
                Ok(plain) => hasher.update(plain),
                Err(_) => break,
            }
            stored += len as u64;
            index += 1;
        }
        let keep = HEADER_LEN as u64 + stored + index * TAG_LEN as u64;
        file.set_len(keep).map_err(io_err("truncate", partial))?;
        file.seek(SeekFrom::End(0))
            .map_err(io_err("seek", partial))?;
        file.sync_all().map_err(io_err("fsync", partial))?;
        Ok(Some(BlobWriter {
            id: id.clone(),
            key,
            total,
            file,
            partial: partial.to_path_buf(),
            complete: complete.to_path_buf(),
            complete_dir: paths.complete.clone(),
            hasher,
            next_chunk: index,
            buf: Vec::with_capacity(CHUNK_SIZE),
            stored,
            resumed_from: stored,
        }))
    }

    /// The blob's id: the SHA-256 of its plaintext, in hex.
    pub fn blob_id(&self) -> &str {
        &self.id.hex
    }

    /// Plaintext bytes already stored when this writer was opened: the download
    /// continues from here (e.g. `Range: bytes=<resume_offset>-`). Always a
    /// multiple of [`CHUNK_SIZE`] unless the whole blob was already there.
    pub fn resume_offset(&self) -> u64 {
        self.resumed_from
    }

    /// Plaintext bytes accepted so far (stored chunks plus the chunk in progress).
    pub fn position(&self) -> u64 {
        self.stored + self.buf.len() as u64
    }

    /// The announced plaintext size.
    pub fn total_size(&self) -> u64 {
        self.total
    }

    /// Appends plaintext. Fails if it would go past the announced size.
    pub fn append(&mut self, mut data: &[u8]) -> Result<()> {
        let after = self.position() + data.len() as u64;
        if after > self.total {
            return Err(StoreError::BlobSizeMismatch {
                sha256: self.id.hex.clone(),
                expected: self.total,
                actual: after,
            });
        }
        while !data.is_empty() {
            let want = chunk_len(self.total, self.next_chunk) - self.buf.len();
            let take = want.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == chunk_len(self.total, self.next_chunk) {
                self.seal_chunk()?;
            }
        }
        Ok(())
    }

    fn seal_chunk(&mut self) -> Result<()> {
        let index = self.next_chunk;
        let last = index + 1 == chunk_count(self.total);
        self.hasher.update(&self.buf);
        let len = self.buf.len();
        self.key
            .seal_in_place_append_tag(
                nonce(index),
                Aad::from(aad(&self.id, self.total, index, last)),
                &mut self.buf,
            )
            .map_err(|_| StoreError::Crypto("seal"))?;
        self.file
            .write_all(&self.buf)
            .map_err(io_err("write", &self.partial))?;
        self.buf.clear();
        self.next_chunk += 1;
        self.stored += len as u64;
        Ok(())
    }

    /// Makes the chunks written so far durable and returns how many plaintext
    /// bytes a resumed download could skip after a crash.
    pub fn sync(&mut self) -> Result<u64> {
        self.file
            .sync_data()
            .map_err(io_err("fsync", &self.partial))?;
        Ok(self.stored)
    }

    /// Completes the blob: seals the last chunk, syncs, checks that the
    /// plaintext hashes to the blob id and only then moves the file into place.
    /// On a hash mismatch the partial file is deleted.
    pub fn finish(mut self) -> Result<()> {
        if self.position() != self.total {
            return Err(StoreError::BlobSizeMismatch {
                sha256: self.id.hex.clone(),
                expected: self.total,
                actual: self.position(),
            });
        }
        if self.next_chunk < chunk_count(self.total) {
            // Only an empty blob gets here: its single chunk is empty.
            self.seal_chunk()?;
        }
        self.file
            .sync_all()
            .map_err(io_err("fsync", &self.partial))?;
        let actual = crate::hex::encode(self.hasher.clone().finish().as_ref());
        if actual != self.id.hex {
            fsutil::remove_file_if_exists(&self.partial)?;
            return Err(StoreError::BlobHashMismatch {
                expected: self.id.hex.clone(),
                actual,
            });
        }
        fs::rename(&self.partial, &self.complete).map_err(io_err("rename", &self.complete))?;
        fsutil::sync_dir(&self.complete_dir)
    }

    /// Abandons the download and deletes the partial file.
    pub fn discard(self) -> Result<()> {
        fsutil::remove_file_if_exists(&self.partial)
    }
}

impl Write for BlobWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.append(data).map_err(std::io::Error::other)?;
        Ok(data.len())
    }

    /// Does not make the chunk in progress durable (see [`BlobWriter::sync`]).
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads and authenticates a complete blob; the plaintext exists only in memory.
///
/// Each record is read straight into the output buffer and decrypted in place,
/// so the plaintext is written to memory once and no second file-sized buffer exists.
pub(crate) fn read_into(
    paths: &BlobPaths,
    data_key: &[u8; 32],
    sha: &str,
    out: &mut Vec<u8>,
) -> Result<()> {
    out.clear();
    let result = read_records(paths, data_key, sha, out);
    if result.is_err() {
        // Nothing of a blob that failed authentication is handed out.
        out.clear();
    }
    result
}

fn read_records(
    paths: &BlobPaths,
    data_key: &[u8; 32],
    sha: &str,
    out: &mut Vec<u8>,
) -> Result<()> {
    let id = BlobId::parse(sha)?;
    let path = paths.complete_path(&id);
    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::BlobMissing(id.hex))
        }
        Err(e) => return Err(io_err("open", &path)(e)),
    };
    let file_len = file.metadata().map_err(io_err("stat", &path))?.len();
    let corrupt = |chunk| StoreError::BlobCorrupt {
        sha256: id.hex.clone(),
        chunk,
    };
    let mut head = [0u8; HEADER_LEN];
    file.read_exact(&mut head).map_err(|_| corrupt(0))?;
    let header = Header::decode(&head).ok_or_else(|| corrupt(0))?;
    let total = header.total;
    let n = chunk_count(total);
    let key = chunk_key(data_key, &header.salt, &id)?;
    // The header's size is not trusted for the allocation: the file bounds it.
    out.reserve(total.min(file_len) as usize + TAG_LEN);
    for index in 0..n {
        let len = chunk_len(total, index);
        let start = out.len();
        out.resize(start + len + TAG_LEN, 0);
        file.read_exact(&mut out[start..])
            .map_err(|_| corrupt(index))?;
        let last = index + 1 == n;
        key.open_in_place(
            nonce(index),
            Aad::from(aad(&id, total, index, last)),
            &mut out[start..],
        )
        .map_err(|_| corrupt(index))?;
        out.truncate(start + len);
    }
    let mut extra = [0u8; 1];
    if file.read(&mut extra).map_err(io_err("read", &path))? != 0 {
        return Err(corrupt(n));
    }
    Ok(())
}

/// Decrypted chunks a [`BlobReader`] keeps: a PDF parser jumps between the
/// cross-reference table and the objects it names, mostly within a few chunks.
const READER_CACHE_CHUNKS: usize = 8;

/// Reads a complete blob's plaintext on demand, chunk by chunk; see
/// [`crate::Store::blob_reader`].
///
/// Only the chunks being read are decrypted, and at most a few of them are
/// kept (wiped when evicted or dropped), so a 200 MB document never exists
/// whole in memory. Every chunk is authenticated before one byte of it is
/// handed out; a damaged chunk fails the read with an [`std::io::Error`] of
/// kind `InvalidData` whose inner error is [`StoreError::BlobCorrupt`]
/// (`err.get_ref()` and `downcast_ref::<StoreError>()`).
pub struct BlobReader {
    id: BlobId,
    key: LessSafeKey,
    file: File,
    path: PathBuf,
    total: u64,
    pos: u64,
    /// (chunk index, plaintext), least recently used first.
    cache: Vec<(u64, zeroize::Zeroizing<Vec<u8>>)>,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("blob", &self.id.hex)
            .field("len", &self.total)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl BlobReader {
    /// Opens a complete blob and checks its header and that the file is
    /// exactly as long as the header says: a cut-short or extended file fails
    /// here with [`StoreError::BlobCorrupt`], before anything is read.
    pub(crate) fn open(paths: &BlobPaths, data_key: &[u8; 32], sha: &str) -> Result<BlobReader> {
        let id = BlobId::parse(sha)?;
        let path = paths.complete_path(&id);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::BlobMissing(id.hex))
            }
            Err(e) => return Err(io_err("open", &path)(e)),
        };
        let file_len = file.metadata().map_err(io_err("stat", &path))?.len();
        let corrupt = |chunk| StoreError::BlobCorrupt {
            sha256: id.hex.clone(),
            chunk,
        };
        let mut head = [0u8; HEADER_LEN];
        file.read_exact(&mut head).map_err(|_| corrupt(0))?;
        let header = Header::decode(&head).ok_or_else(|| corrupt(0))?;
        let n = chunk_count(header.total);
        let expected = (HEADER_LEN as u64)
            .checked_add(header.total)
            .and_then(|v| v.checked_add(n.checked_mul(TAG_LEN as u64)?))
            .ok_or_else(|| corrupt(0))?;
        if file_len != expected {
            let record = (CHUNK_SIZE + TAG_LEN) as u64;
            let chunk = if file_len < expected {
                file_len.saturating_sub(HEADER_LEN as u64) / record
            } else {
                n
            };
            return Err(corrupt(chunk));
        }
        Ok(BlobReader {
            key: chunk_key(data_key, &header.salt, &id)?,
            id,
            file,
            path,
            total: header.total,
            pos: 0,
            cache: Vec::with_capacity(READER_CACHE_CHUNKS),
        })
    }

    /// The plaintext size.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The identity of the open file as the file system reports it (taken
    /// from the open handle, so a file swapped in after opening is not
    /// mistaken for this one).
    pub(crate) fn stamp(&self) -> Result<FileStamp> {
        let meta = self.file.metadata().map_err(io_err("stat", &self.path))?;
        Ok(FileStamp::of(&meta))
    }

    /// The plaintext of chunk `index`, decrypted and authenticated.
    fn chunk(&mut self, index: u64) -> Result<&[u8]> {
        if let Some(at) = self.cache.iter().position(|(i, _)| *i == index) {
            let hit = self.cache.remove(at);
            self.cache.push(hit);
        } else {
            let n = chunk_count(self.total);
            let len = chunk_len(self.total, index);
            let mut buf = if self.cache.len() >= READER_CACHE_CHUNKS {
                // Reuse the evicted chunk's buffer; it is overwritten below.
                self.cache.remove(0).1
            } else {
                zeroize::Zeroizing::new(Vec::with_capacity(CHUNK_SIZE + TAG_LEN))
            };
            buf.clear();
            buf.resize(len + TAG_LEN, 0);
            let corrupt = || StoreError::BlobCorrupt {
                sha256: self.id.hex.clone(),
                chunk: index,
            };
            let offset = HEADER_LEN as u64 + index * (CHUNK_SIZE + TAG_LEN) as u64;
            self.file
                .seek(SeekFrom::Start(offset))
                .map_err(io_err("seek", &self.path))?;
            self.file.read_exact(&mut buf).map_err(|_| corrupt())?;
            let last = index + 1 == n;
            if self
                .key
                .open_in_place(
                    nonce(index),
                    Aad::from(aad(&self.id, self.total, index, last)),
                    &mut buf,
                )
                .is_err()
            {
                // Nothing of a chunk that failed authentication stays around.
                zeroize::Zeroize::zeroize(&mut *buf);
                return Err(corrupt());
            }
            buf.truncate(len);
            self.cache.push((index, buf));
        }
        Ok(self.cache.last().map(|(_, b)| b.as_slice()).unwrap_or(&[]))
    }
}

/// What the file system says about a blob file at the moment it was checked
/// end to end. On Unix the change time (`ctime`) moves on every write,
/// truncation, rename or permission change and cannot be set back by an
/// ordinary process, so an equal stamp means the file is the one checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    pub(crate) size: u64,
    pub(crate) inode: u64,
    pub(crate) mtime_ns: i64,
    pub(crate) ctime_ns: i64,
}

impl FileStamp {
    #[cfg(unix)]
    pub(crate) fn of(meta: &fs::Metadata) -> FileStamp {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
        FileStamp {
            size: meta.len(),
            inode: meta.ino(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Without a change time the modification time is the best there is;
    /// the chunk tags still authenticate every byte read.
    #[cfg(not(unix))]
    pub(crate) fn of(meta: &fs::Metadata) -> FileStamp {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        FileStamp {
            size: meta.len(),
            inode: 0,
            mtime_ns,
            ctime_ns: mtime_ns,
        }
    }
}

fn to_io(e: StoreError) -> std::io::Error {
    let kind = match e {
        StoreError::BlobCorrupt { .. } => std::io::ErrorKind::InvalidData,
        _ => std::io::ErrorKind::Other,
    };
    std::io::Error::new(kind, e)
}

impl Read for BlobReader {
    /// Fills `buf` as far as the blob goes, across chunk boundaries: callers
    /// such as PDFium's file access take one short read for the whole answer.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut done = 0;
        let mut pos = self.pos;
        while done < buf.len() && pos < self.total {
            let index = pos / CHUNK_SIZE as u64;
            let within = (pos % CHUNK_SIZE as u64) as usize;
            let chunk = self.chunk(index).map_err(to_io)?;
            let take = (chunk.len() - within.min(chunk.len())).min(buf.len() - done);
            if take == 0 {
                break;
            }
            buf[done..done + take].copy_from_slice(&chunk[within..within + take]);
            done += take;
            pos += take as u64;
        }
        self.pos = pos;
        Ok(done)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.total.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the blob",
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_covers_the_size_exactly_and_an_empty_blob_has_one_chunk() {
        let c = CHUNK_SIZE as u64;
        for (total, n) in [(0, 1), (1, 1), (c, 1), (c + 1, 2), (3 * c, 3)] {
            assert_eq!(chunk_count(total), n, "total {total}");
            let sum: u64 = (0..n).map(|i| chunk_len(total, i) as u64).sum();
            assert_eq!(sum, total);
        }
    }

    const KEY: [u8; 32] = [7; 32];

    fn stored(dir: &Path, plain: &[u8]) -> (BlobPaths, String) {
        let paths = BlobPaths::new(dir);
        let sha = crate::testing::sha256_hex(plain);
        let mut w = BlobWriter::open(&paths, &KEY, &sha, plain.len() as u64).expect("writer");
        w.append(plain).expect("append");
        w.finish().expect("finish");
        (paths, sha)
    }

    fn corrupt_chunk(e: &std::io::Error) -> Option<u64> {
        match e.get_ref()?.downcast_ref::<StoreError>()? {
            StoreError::BlobCorrupt { chunk, .. } => Some(*chunk),
            _ => None,
        }
    }

    #[test]
    fn the_reader_returns_the_plaintext_at_any_offset_and_across_chunk_edges() {
        let c = CHUNK_SIZE;
        for size in [0, 1, c - 1, c, c + 1, 3 * c + 17] {
            let dir = tempfile::tempdir().expect("tmp");
            let plain = crate::testing::pattern(size, size as u64);
            let (paths, sha) = stored(dir.path(), &plain);
            let mut r = BlobReader::open(&paths, &KEY, &sha).expect("open");
            assert_eq!(r.len(), size as u64);
            assert_eq!(r.seek(SeekFrom::End(0)).expect("seek"), size as u64);
            let mut all = Vec::new();
            r.seek(SeekFrom::Start(0)).expect("seek");
            r.read_to_end(&mut all).expect("read all");
            assert!(all == plain, "size {size}: whole read differs");
            // Reads that start inside one chunk and end inside the next,
            // in an order that defeats the chunk cache.
            for start in [c.saturating_sub(5), 0, 2 * c + 3, c, size.saturating_sub(1)] {
                let start = start.min(size);
                let mut buf = vec![0u8; 2 * c + 9];
                r.seek(SeekFrom::Start(start as u64)).expect("seek");
                let got = r.read(&mut buf).expect("read");
                let want = &plain[start..(start + buf.len()).min(size)];
                assert_eq!(got, want.len(), "size {size} start {start}: one read fills");
                assert!(&buf[..got] == want, "size {size} start {start}");
            }
        }
    }

    #[test]
    fn a_tampered_chunk_fails_only_reads_that_touch_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let plain = crate::testing::pattern(3 * CHUNK_SIZE, 9);
        let (paths, sha) = stored(dir.path(), &plain);
        let path = paths.complete_path(&BlobId::parse(&sha).expect("id"));
        let mut bytes = fs::read(&path).expect("read");
        bytes[HEADER_LEN + (CHUNK_SIZE + TAG_LEN) + 100] ^= 1;
        fs::write(&path, bytes).expect("write");
        let mut r = BlobReader::open(&paths, &KEY, &sha).expect("header and length are intact");
        let mut buf = vec![0u8; 1000];
        r.read_exact(&mut buf).expect("chunk 0 is fine");
        assert!(buf[..] == plain[..1000]);
        r.seek(SeekFrom::Start(CHUNK_SIZE as u64 + 5))
            .expect("seek");
        let e = r.read(&mut buf).expect_err("chunk 1 was altered");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(corrupt_chunk(&e), Some(1), "{e:?}");
        r.seek(SeekFrom::Start(2 * CHUNK_SIZE as u64))
            .expect("seek");
        r.read_exact(&mut buf).expect("chunk 2 is fine");
    }

    #[test]
    fn a_cut_short_or_extended_blob_fails_at_open() {
        let dir = tempfile::tempdir().expect("tmp");
        let plain = crate::testing::pattern(2 * CHUNK_SIZE + 10, 3);
        let (paths, sha) = stored(dir.path(), &plain);
        let path = paths.complete_path(&BlobId::parse(&sha).expect("id"));
        let original = fs::read(&path).expect("read");
        let check = |bytes: &[u8], chunk: u64| {
            fs::write(&path, bytes).expect("write");
            match BlobReader::open(&paths, &KEY, &sha) {
                Err(StoreError::BlobCorrupt { chunk: c, .. }) => assert_eq!(c, chunk),
                other => panic!("expected BlobCorrupt, got {other:?}"),
            }
        };
        check(&original[..original.len() - 1], 2);
        check(&original[..HEADER_LEN + 10], 0);
        check(&original[..10], 0);
        let mut longer = original.clone();
        longer.push(0);
        check(&longer, 3);
        let dir2 = tempfile::tempdir().expect("tmp");
        match BlobReader::open(&BlobPaths::new(dir2.path()), &KEY, &sha) {
            Err(StoreError::BlobMissing(_)) => {}
            other => panic!("expected BlobMissing, got {other:?}"),
        }
    }
}
