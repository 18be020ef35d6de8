//! Reading a complete blob: [`BlobReader`] decrypts the chunks a caller
//! reads, when they are read; [`read_into`] decrypts the whole blob into one
//! buffer. Both open the file the same way ([`OpenBlob`]) and read every
//! chunk through the one [`ChunkCipher::read_chunk`].

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use super::format::{ChunkCipher, Header, CHUNK_SIZE, HEADER_LEN, TAG_LEN};
use super::{BlobId, BlobPaths, FileStamp};
use crate::error::{io_err, Result, StoreError};

/// A complete blob's file, its header read and its chunk key derived; the
/// file stands at the first chunk record. Its length is not checked yet.
struct OpenBlob {
    cipher: ChunkCipher,
    file: File,
    path: PathBuf,
    /// The file's length in bytes when it was opened.
    file_len: u64,
}

impl OpenBlob {
    /// [`StoreError::BlobMissing`] when there is no such complete blob,
    /// [`StoreError::BlobCorrupt`] (chunk 0) when its header is not one this
    /// version wrote.
    fn open(paths: &BlobPaths, data_key: &[u8; 32], sha: &str) -> Result<OpenBlob> {
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
        let bad_header = || StoreError::BlobCorrupt {
            sha256: id.hex.clone(),
            chunk: 0,
        };
        let mut head = [0u8; HEADER_LEN];
        file.read_exact(&mut head).map_err(|_| bad_header())?;
        let header = Header::decode(&head).ok_or_else(bad_header)?;
        Ok(OpenBlob {
            cipher: ChunkCipher::new(data_key, &header.salt, id, header.total)?,
            file,
            path,
            file_len,
        })
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
    let OpenBlob {
        cipher,
        mut file,
        path,
        file_len,
    } = OpenBlob::open(paths, data_key, sha)?;
    // The header's size is not trusted for the allocation: the file bounds it.
    out.reserve(cipher.total().min(file_len) as usize + TAG_LEN);
    let n = cipher.chunks();
    for index in 0..n {
        cipher.read_chunk(&mut file, index, out)?;
    }
    let mut extra = [0u8; 1];
    if file.read(&mut extra).map_err(io_err("read", &path))? != 0 {
        return Err(cipher.corrupt(n));
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
    cipher: ChunkCipher,
    file: File,
    path: PathBuf,
    pos: u64,
    /// (chunk index, plaintext), least recently used first.
    cache: Vec<(u64, zeroize::Zeroizing<Vec<u8>>)>,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("blob", &self.cipher.id().hex)
            .field("len", &self.cipher.total())
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl BlobReader {
    /// Opens a complete blob and checks its header and that the file is
    /// exactly as long as the header says: a cut-short or extended file fails
    /// here with [`StoreError::BlobCorrupt`], before anything is read.
    pub(crate) fn open(paths: &BlobPaths, data_key: &[u8; 32], sha: &str) -> Result<BlobReader> {
        let OpenBlob {
            cipher,
            file,
            path,
            file_len,
        } = OpenBlob::open(paths, data_key, sha)?;
        let n = cipher.chunks();
        let expected = (HEADER_LEN as u64)
            .checked_add(cipher.total())
            .and_then(|v| v.checked_add(n.checked_mul(TAG_LEN as u64)?))
            .ok_or_else(|| cipher.corrupt(0))?;
        if file_len != expected {
            let record = (CHUNK_SIZE + TAG_LEN) as u64;
            let chunk = if file_len < expected {
                file_len.saturating_sub(HEADER_LEN as u64) / record
            } else {
                n
            };
            return Err(cipher.corrupt(chunk));
        }
        Ok(BlobReader {
            cipher,
            file,
            path,
            pos: 0,
            cache: Vec::with_capacity(READER_CACHE_CHUNKS),
        })
    }

    /// The plaintext size.
    pub fn len(&self) -> u64 {
        self.cipher.total()
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.cipher.total() == 0
    }

    /// The open file's salt: random for each file this device writes, and
    /// what a chunk key is derived with (see [`crate::seal`]).
    pub(crate) fn salt(&self) -> [u8; 16] {
        self.cipher.salt()
    }

    /// The identity of the open file as the file system reports it (taken
    /// from the open handle, so a file swapped in after opening is not
    /// mistaken for this one).
    pub(crate) fn stamp(&self) -> Result<FileStamp> {
        let meta = self.file.metadata().map_err(io_err("stat", &self.path))?;
        Ok(FileStamp::of(&meta))
    }

    /// The plaintext of chunk `index`, decrypted and authenticated.
    /// Decrypts whole chunks in order, from chunk `*next` on, straight into
    /// `out` (appended, each authenticated first), until `out` holds at
    /// least `want` bytes or the last chunk was read; advances `*next`.
    /// Returns how many bytes it appended (0: the blob is done). The bulk
    /// path of the whole-file check: no seek per chunk and no copy out of
    /// the reader's cache, which it leaves alone.
    pub(crate) fn read_chunks(
        &mut self,
        next: &mut u64,
        out: &mut Vec<u8>,
        want: usize,
    ) -> Result<usize> {
        let start = out.len();
        let chunks = self.cipher.chunks();
        if *next >= chunks {
            return Ok(0);
        }
        let offset = HEADER_LEN as u64 + *next * (CHUNK_SIZE + TAG_LEN) as u64;
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(io_err("seek", &self.path))?;
        while *next < chunks && out.len() - start < want {
            self.cipher.read_chunk(&mut self.file, *next, out)?;
            *next += 1;
        }
        Ok(out.len() - start)
    }

    fn chunk(&mut self, index: u64) -> Result<&[u8]> {
        if let Some(at) = self.cache.iter().position(|(i, _)| *i == index) {
            let hit = self.cache.remove(at);
            self.cache.push(hit);
        } else {
            let mut buf = if self.cache.len() >= READER_CACHE_CHUNKS {
                // Reuse the evicted chunk's buffer; it is overwritten below.
                self.cache.remove(0).1
            } else {
                zeroize::Zeroizing::new(Vec::with_capacity(CHUNK_SIZE + TAG_LEN))
            };
            buf.clear();
            let offset = HEADER_LEN as u64 + index * (CHUNK_SIZE + TAG_LEN) as u64;
            self.file
                .seek(SeekFrom::Start(offset))
                .map_err(io_err("seek", &self.path))?;
            self.cipher.read_chunk(&mut self.file, index, &mut buf)?;
            self.cache.push((index, buf));
        }
        Ok(self.cache.last().map(|(_, b)| b.as_slice()).unwrap_or(&[]))
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
        let total = self.cipher.total();
        let mut done = 0;
        let mut pos = self.pos;
        while done < buf.len() && pos < total {
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
            SeekFrom::End(d) => self.cipher.total().checked_add_signed(d),
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
    use std::fs;
    use std::path::Path;

    use super::*;
    use crate::blob::BlobWriter;

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
