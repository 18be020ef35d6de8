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
//! Per download the disk is synced twice: the file before the rename and the
//! folder after it. A partial file is synced, with its name, when its
//! download is cut short ([`BlobWriter::sync`]) and when a later attempt
//! picks it up, not while it grows: a power cut in the middle of a download
//! can cost that download's progress, never a stored blob.
//!
//! - `format`: the header, the chunk geometry and key, and the one routine
//!   that reads and authenticates a chunk record (used by every reader below);
//! - `writer`: [`BlobWriter`], appending and resuming downloads;
//! - `reader`: [`BlobReader`] (on demand) and `read_into` (whole, in memory);
//! - `stamp`: [`FileStamp`], the file system's identity of a checked file
//!   (see `crate::seal`).

mod format;
mod reader;
mod stamp;
mod writer;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{io_err, Result, StoreError};

pub use format::CHUNK_SIZE;
pub(crate) use reader::read_into;
pub use reader::BlobReader;
pub(crate) use stamp::FileStamp;
pub use writer::BlobWriter;

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

    /// Creates the blob folders if they are missing (a download needs them).
    pub(crate) fn ensure(&self) -> Result<()> {
        fs::create_dir_all(&self.partial_dir).map_err(io_err("create directory", &self.partial_dir))
    }

    /// [`Self::ensure`], then makes the folders' names durable. Run at every
    /// store open, so a crash between creating a folder and syncing its
    /// parent is mended at the next open, before any blob is recorded.
    pub(crate) fn ensure_durable(&self) -> Result<()> {
        self.ensure()?;
        crate::fsutil::sync_dir(&self.complete)?;
        match self.complete.parent() {
            Some(data_dir) => crate::fsutil::sync_dir(data_dir),
            None => Ok(()),
        }
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
