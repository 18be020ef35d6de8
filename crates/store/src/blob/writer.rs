//! Writing a blob: a download is appended chunk by chunk to its partial file,
//! picked up again after an interruption from its last chunk that
//! authenticates, and moved into place only once its plaintext hashes to its
//! name.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};

use super::format::{ChunkCipher, Header, CHUNK_SIZE, HEADER_LEN, TAG_LEN};
use super::{BlobId, BlobPaths};
use crate::error::{io_err, Result, StoreError};
use crate::fsutil;

/// Appends a blob chunk by chunk; see [`crate::Store::blob_writer`].
///
/// Plaintext is held in memory only up to one chunk; what reaches the disk is
/// ciphertext. Dropping the writer without [`BlobWriter::finish`] keeps the
/// partial file so the download can resume.
pub struct BlobWriter {
    cipher: ChunkCipher,
    file: File,
    partial: PathBuf,
    partial_dir: PathBuf,
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
        // Neither the header nor the new file's name is synced here: `finish`
        // syncs the whole file before moving it into place, and `sync` makes
        // both durable when a download is cut short. Until then a power cut
        // can only lose the partial file, and the download starts again.
        file.write_all(&Header { salt, total }.encode())
            .map_err(io_err("write", &partial))?;
        Ok(BlobWriter {
            cipher: ChunkCipher::new(data_key, &salt, id, total)?,
            file,
            partial,
            partial_dir: paths.partial_dir.clone(),
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
        let cipher = ChunkCipher::new(data_key, &header.salt, id.clone(), total)?;
        let mut hasher = digest::Context::new(&digest::SHA256);
        let mut index = 0;
        let mut stored = 0u64;
        let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(CHUNK_SIZE + TAG_LEN));
        while index < cipher.chunks() {
            plain.clear();
            if cipher.read_chunk(&mut file, index, &mut plain).is_err() {
                break;
            }
            hasher.update(&plain);
            stored += plain.len() as u64;
            index += 1;
        }
        let keep = HEADER_LEN as u64 + stored + index * TAG_LEN as u64;
        file.set_len(keep).map_err(io_err("truncate", partial))?;
        file.seek(SeekFrom::End(0))
            .map_err(io_err("seek", partial))?;
        file.sync_all().map_err(io_err("fsync", partial))?;
        Ok(Some(BlobWriter {
            cipher,
            file,
            partial: partial.to_path_buf(),
            partial_dir: paths.partial_dir.clone(),
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
        &self.cipher.id().hex
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
        self.cipher.total()
    }

    /// Appends plaintext. Fails if it would go past the announced size.
    pub fn append(&mut self, mut data: &[u8]) -> Result<()> {
        let after = self.position() + data.len() as u64;
        if after > self.total_size() {
            return Err(StoreError::BlobSizeMismatch {
                sha256: self.cipher.id().hex.clone(),
                expected: self.total_size(),
                actual: after,
            });
        }
        while !data.is_empty() {
            let want = self.cipher.chunk_len(self.next_chunk) - self.buf.len();
            let take = want.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == self.cipher.chunk_len(self.next_chunk) {
                self.seal_chunk()?;
            }
        }
        Ok(())
    }

    fn seal_chunk(&mut self) -> Result<()> {
        self.hasher.update(&self.buf);
        let len = self.buf.len();
        self.cipher.seal(self.next_chunk, &mut self.buf)?;
        self.file
            .write_all(&self.buf)
            .map_err(io_err("write", &self.partial))?;
        self.buf.clear();
        self.next_chunk += 1;
        self.stored += len as u64;
        Ok(())
    }

    /// Makes the chunks written so far durable, with the partial file's name,
    /// and returns how many plaintext bytes a resumed download could skip
    /// after a crash.
    pub fn sync(&mut self) -> Result<u64> {
        self.file
            .sync_data()
            .map_err(io_err("fsync", &self.partial))?;
        fsutil::sync_dir(&self.partial_dir)?;
        Ok(self.stored)
    }

    /// Completes the blob: seals the last chunk, syncs, checks that the
    /// plaintext hashes to the blob id and only then moves the file into place.
    /// On a hash mismatch the partial file is deleted.
    pub fn finish(mut self) -> Result<()> {
        if self.position() != self.total_size() {
            return Err(StoreError::BlobSizeMismatch {
                sha256: self.cipher.id().hex.clone(),
                expected: self.total_size(),
                actual: self.position(),
            });
        }
        if self.next_chunk < self.cipher.chunks() {
            // Only an empty blob gets here: its single chunk is empty.
            self.seal_chunk()?;
        }
        self.file
            .sync_all()
            .map_err(io_err("fsync", &self.partial))?;
        let actual = crate::hex::encode(self.hasher.clone().finish().as_ref());
        if actual != self.cipher.id().hex {
            fsutil::remove_file_if_exists(&self.partial)?;
            return Err(StoreError::BlobHashMismatch {
                expected: self.cipher.id().hex.clone(),
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
