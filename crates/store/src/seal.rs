//! Whole-blob integrity checks, remembered per file.
//!
//! Reading a document on demand ([`Store::blob_reader`]) authenticates each
//! 64 KiB chunk as it is read, so no forged byte is ever handed out. But a
//! blob damaged on disk would then show its undamaged pages and fail only at
//! the page that touches the damage. A document must be refused as a whole,
//! so before a blob is shown it is checked end to end (every tag and the
//! SHA-256 of the plaintext) — which costs a full read, about 0.3 s for a
//! 250 MB document on this machine.
//!
//! The check is remembered as a *seal*: the file system's stamp of the file
//! (size, inode, modification and change time) at the moment it passed, and
//! the file's salt, kept in the encrypted database. A blob whose file still
//! has the same stamp is the file that passed. Any write, truncation,
//! replacement or rename moves the change time and brings a check back:
//!
//! - if the file still has the sealed salt, every chunk's tag is checked
//!   (no SHA-256): each file this device writes gets a fresh random salt,
//!   its chunk key is derived from the data key with that salt, and each tag
//!   binds the blob id, the size, the chunk's index and whether it is the
//!   last, so a file with that salt whose every tag holds is, chunk for
//!   chunk, the file that passed — a byte changed, a chunk moved, dropped,
//!   cut or taken from another file fails a tag;
//! - otherwise (another salt: a partial download moved into place, another
//!   store's file, a file written again) the whole check runs, tags and
//!   SHA-256.
//!
//! Downloads are sealed when they finish, since their hash was just computed
//! while writing.

use std::io::{Seek, SeekFrom};

use rusqlite::{params, OptionalExtension, Transaction};

use crate::blob::{BlobReader, BlobWriter, FileStamp};
use crate::error::{io_err, Result, StoreError};
use crate::versions::VerifiedVersion;
use crate::{hex, Store};

/// How [`Store::checked_blob_reader`] knew the blob was whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobCheck {
    /// The file is unchanged since it last passed the whole-file check.
    Sealed,
    /// The whole file was checked now, tags and SHA-256 (first open, or a
    /// file with another salt than the one that passed).
    Verified,
    /// The file's stamp changed but it has the salt of the file that
    /// passed: every chunk's tag was checked now.
    TagsVerified,
}

impl Store {
    /// A reader over a blob that has passed the whole-file check: at once if
    /// the file is unchanged since it was sealed, else after checking it end
    /// to end now (and sealing it). A damaged blob gives
    /// [`StoreError::BlobCorrupt`] or [`StoreError::BlobHashMismatch`] and no
    /// reader, so none of it can be shown.
    pub fn checked_blob_reader(&self, sha256_hex: &str) -> Result<(BlobReader, BlobCheck)> {
        let mut reader = self.blob_reader(sha256_hex)?;
        let stamp = reader.stamp()?;
        let seal = self.seal(sha256_hex)?;
        if seal.as_ref().map(|s| s.stamp) == Some(stamp) {
            return Ok((reader, BlobCheck::Sealed));
        }
        let salt = reader.salt();
        let check = if seal.and_then(|s| s.salt) == Some(salt) {
            verify_tags(&mut reader)?;
            BlobCheck::TagsVerified
        } else {
            verify_whole(&mut reader, sha256_hex)?;
            BlobCheck::Verified
        };
        reader
            .seek(SeekFrom::Start(0))
            .map_err(|e| reader_error(e, sha256_hex))?;
        // The stamp taken before the check: if the file changed during it,
        // the next open sees a different stamp and checks again.
        self.set_seal(sha256_hex, stamp, salt)?;
        Ok((reader, check))
    }

    /// Finishes a download ([`BlobWriter::finish`]: hash check, then the move
    /// into place) and seals the blob, whose whole plaintext was just hashed.
    pub fn finish_blob(&self, writer: BlobWriter) -> Result<()> {
        let sha = writer.blob_id().to_owned();
        writer.finish()?;
        let reader = self.blob_reader(&sha)?;
        self.set_seal(&sha, reader.stamp()?, reader.salt())
    }

    /// [`Store::finish_blob`], then the seal and the version's acceptance
    /// ([`Store::accept_verified_version`]) in one transaction: a download
    /// costs one commit. A crash before it leaves the file in place and the
    /// version unrecorded, so the next sync checks the file and records it.
    pub fn finish_blob_accepting(&self, writer: BlobWriter, v: &VerifiedVersion) -> Result<()> {
        let sha = writer.blob_id().to_owned();
        writer.finish()?;
        let reader = self.blob_reader(&sha)?;
        let (stamp, salt) = (reader.stamp()?, reader.salt());
        self.write(|tx| {
            insert_seal(tx, &sha, stamp, salt)?;
            crate::versions::accept_verified(tx, v)
        })
    }

    fn seal(&self, sha256_hex: &str) -> Result<Option<Seal>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT size, inode, mtime_ns, ctime_ns, salt FROM blob_seal WHERE sha256 = ?1",
                    [sha256_hex],
                    |r| {
                        Ok(Seal {
                            stamp: FileStamp {
                                size: r.get::<_, i64>(0)? as u64,
                                inode: r.get::<_, i64>(1)? as u64,
                                mtime_ns: r.get(2)?,
                                ctime_ns: r.get(3)?,
                            },
                            // Seals from before v10 have none.
                            salt: r
                                .get::<_, Option<Vec<u8>>>(4)?
                                .and_then(|s| s.try_into().ok()),
                        })
                    },
                )
                .optional()?)
        })
    }

    fn set_seal(&self, sha256_hex: &str, stamp: FileStamp, salt: [u8; 16]) -> Result<()> {
        self.write(|tx| insert_seal(tx, sha256_hex, stamp, salt))
    }

    pub(crate) fn forget_seal(&self, sha256_hex: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM blob_seal WHERE sha256 = ?1", [sha256_hex])?;
            Ok(())
        })
    }
}

/// A blob file's seal: its stamp and salt when it last passed.
struct Seal {
    stamp: FileStamp,
    salt: Option<[u8; 16]>,
}

/// Reads the whole blob through `reader`, which authenticates every chunk
/// (see the module's comment for why that is enough for a file with the
/// sealed salt). Nothing read is kept, and the buffer is wiped.
fn verify_tags(reader: &mut BlobReader) -> Result<()> {
    const BUF: usize = 1024 * 1024;
    let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(BUF + 2 * crate::CHUNK_SIZE));
    let mut next = 0;
    loop {
        buf.clear();
        if reader.read_chunks(&mut next, &mut buf, BUF)? == 0 {
            return Ok(());
        }
    }
}

/// Reads the whole blob through `reader`, which authenticates every chunk,
/// and compares the SHA-256 of the plaintext with the blob's name. Nothing
/// read is kept.
///
/// Two cores share the work: this thread reads and decrypts (checking each
/// chunk's tag) while a second one hashes what was decrypted before, through
/// a few recycled buffers that are wiped when dropped. On one core the two
/// steps take about the same time, so the check takes about half as long.
pub(crate) fn verify_whole(reader: &mut BlobReader, sha256_hex: &str) -> Result<()> {
    type Buf = zeroize::Zeroizing<Vec<u8>>;
    const BUF: usize = 1024 * 1024;
    const BUFS: usize = 3;
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<(Buf, usize)>(BUFS);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Buf>();
    for _ in 0..BUFS {
        // The receiver is alive: this cannot fail.
        // Room for the last chunk past `BUF` and its tag: never reallocated,
        // so no unwiped copy of plaintext is left behind.
        let _ = empty_tx.send(zeroize::Zeroizing::new(Vec::with_capacity(
            BUF + 2 * crate::CHUNK_SIZE,
        )));
    }
    let stopped = |what: &str| {
        io_err("hash blob", std::path::Path::new(sha256_hex))(std::io::Error::other(format!(
            "the hashing thread {what}"
        )))
    };
    let digest = std::thread::scope(|scope| -> Result<ring::digest::Digest> {
        let hashing = scope.spawn(move || {
            let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
            for (buf, n) in full_rx {
                hasher.update(&buf[..n]);
                // The reader may have stopped (an error): the buffer drops.
                let _ = empty_tx.send(buf);
            }
            hasher.finish()
        });
        let read = (|| -> Result<()> {
            let mut next = 0;
            loop {
                let Ok(mut buf) = empty_rx.recv() else {
                    return Err(stopped("stopped"));
                };
                buf.clear();
                let n = reader.read_chunks(&mut next, &mut buf, BUF)?;
                if n == 0 {
                    return Ok(());
                }
                if full_tx.send((buf, n)).is_err() {
                    return Err(stopped("stopped"));
                }
            }
        })();
        // Ends the hashing thread's loop, also after an error.
        drop(full_tx);
        let digest = hashing.join().map_err(|_| stopped("panicked"))?;
        read.map(|()| digest)
    })?;
    let actual = hex::encode(digest.as_ref());
    if actual != sha256_hex {
        return Err(StoreError::BlobHashMismatch {
            expected: sha256_hex.to_owned(),
            actual,
        });
    }
    Ok(())
}

/// The store error inside an I/O error from [`BlobReader`], or an I/O error.
fn reader_error(e: std::io::Error, sha256_hex: &str) -> StoreError {
    let message = e.to_string();
    match e.into_inner().map(|inner| inner.downcast::<StoreError>()) {
        Some(Ok(store_error)) => *store_error,
        _ => io_err("read blob", std::path::Path::new(sha256_hex))(std::io::Error::other(message)),
    }
}

fn insert_seal(
    tx: &Transaction<'_>,
    sha256_hex: &str,
    stamp: FileStamp,
    salt: [u8; 16],
) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO blob_seal (sha256, size, inode, mtime_ns, ctime_ns, salt) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            sha256_hex,
            stamp.size as i64,
            stamp.inode as i64,
            stamp.mtime_ns,
            stamp.ctime_ns,
            &salt[..]
        ],
    )?;
    Ok(())
}
