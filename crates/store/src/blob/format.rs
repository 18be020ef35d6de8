//! The blob file format in code: the header, how a blob is cut into chunks,
//! the chunk key and what each chunk's tag binds (the layout is described in
//! the parent module).
//!
//! [`ChunkCipher::read_chunk`] is the one place a chunk record is read and
//! authenticated: resuming a download, [`super::BlobReader`] and
//! [`super::read_into`] all go through it.

use std::io::Read;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::hkdf;

use super::BlobId;
use crate::error::{Result, StoreError};

/// Plaintext bytes per chunk: the unit of resumption.
pub const CHUNK_SIZE: usize = 64 * 1024;
pub(super) const TAG_LEN: usize = 16;
const MAGIC: &[u8; 8] = b"ECBLOB01";
pub(super) const HEADER_LEN: usize = 8 + 16 + 4 + 8;
const HKDF_INFO: &[u8] = b"ecabinet-blob-chunk-key-v1";

pub(super) fn chunk_count(total: u64) -> u64 {
    total.div_ceil(CHUNK_SIZE as u64).max(1)
}

pub(super) fn chunk_len(total: u64, index: u64) -> usize {
    let start = index * CHUNK_SIZE as u64;
    (total.saturating_sub(start)).min(CHUNK_SIZE as u64) as usize
}

pub(super) struct Header {
    pub(super) salt: [u8; 16],
    pub(super) total: u64,
}

impl Header {
    pub(super) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..24].copy_from_slice(&self.salt);
        h[24..28].copy_from_slice(&(CHUNK_SIZE as u32).to_le_bytes());
        h[28..36].copy_from_slice(&self.total.to_le_bytes());
        h
    }

    /// `None` for anything but a header this version wrote.
    pub(super) fn decode(b: &[u8]) -> Option<Header> {
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

struct KeyLen;

impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        32
    }
}

/// The AES-256-GCM key of one blob file, with what every chunk's tag binds
/// besides the chunk's place: the blob id and the plaintext size.
pub(super) struct ChunkCipher {
    key: LessSafeKey,
    id: BlobId,
    total: u64,
    /// The file's salt (each file written gets its own).
    salt: [u8; 16],
}

impl ChunkCipher {
    /// The chunk key of blob `id`, `total` plaintext bytes long, in a file
    /// whose header holds `salt`.
    pub(super) fn new(
        data_key: &[u8; 32],
        salt: &[u8; 16],
        id: BlobId,
        total: u64,
    ) -> Result<ChunkCipher> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(data_key);
        let mut k = zeroize::Zeroizing::new([0u8; 32]);
        prk.expand(&[HKDF_INFO, &id.raw], KeyLen)
            .and_then(|okm| okm.fill(k.as_mut()))
            .map_err(|_| StoreError::Crypto("hkdf"))?;
        let unbound =
            UnboundKey::new(&AES_256_GCM, k.as_ref()).map_err(|_| StoreError::Crypto("aes key"))?;
        Ok(ChunkCipher {
            key: LessSafeKey::new(unbound),
            id,
            total,
            salt: *salt,
        })
    }

    pub(super) fn id(&self) -> &BlobId {
        &self.id
    }

    /// The salt of the file this cipher reads or writes.
    pub(super) fn salt(&self) -> [u8; 16] {
        self.salt
    }

    /// The plaintext size.
    pub(super) fn total(&self) -> u64 {
        self.total
    }

    /// How many chunks the blob has (an empty blob has one).
    pub(super) fn chunks(&self) -> u64 {
        chunk_count(self.total)
    }

    /// Plaintext bytes in chunk `index`.
    pub(super) fn chunk_len(&self, index: u64) -> usize {
        chunk_len(self.total, index)
    }

    /// Encrypts `buf`, the whole plaintext of chunk `index`, in place and
    /// appends its tag: `buf` becomes the chunk's record.
    pub(super) fn seal(&self, index: u64, buf: &mut Vec<u8>) -> Result<()> {
        self.key
            .seal_in_place_append_tag(nonce(index), self.aad(index), buf)
            .map_err(|_| StoreError::Crypto("seal"))
    }

    /// Reads chunk `index`'s record from where `file` stands onto the end of
    /// `out` and decrypts it there, in place: on success `out` has grown by
    /// exactly the chunk's plaintext, written to memory once. A record cut
    /// short or failing its tag gives [`StoreError::BlobCorrupt`] and leaves
    /// `out` as it was.
    pub(super) fn read_chunk(
        &self,
        file: &mut impl Read,
        index: u64,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let len = self.chunk_len(index);
        let start = out.len();
        out.resize(start + len + TAG_LEN, 0);
        let record = &mut out[start..];
        let opened = file.read_exact(record).is_ok()
            && self
                .key
                .open_in_place(nonce(index), self.aad(index), record)
                .is_ok();
        if !opened {
            // Nothing of a chunk that failed authentication stays around.
            zeroize::Zeroize::zeroize(record);
            out.truncate(start);
            return Err(self.corrupt(index));
        }
        out.truncate(start + len);
        Ok(())
    }

    /// The error for a blob whose chunk `index` is damaged, missing or extra.
    pub(super) fn corrupt(&self, index: u64) -> StoreError {
        StoreError::BlobCorrupt {
            sha256: self.id.hex.clone(),
            chunk: index,
        }
    }

    fn aad(&self, index: u64) -> Aad<[u8; 49]> {
        let last = index + 1 == self.chunks();
        let mut a = [0u8; 49];
        a[..32].copy_from_slice(&self.id.raw);
        a[32..40].copy_from_slice(&self.total.to_be_bytes());
        a[40..48].copy_from_slice(&index.to_be_bytes());
        a[48] = u8::from(last);
        Aad::from(a)
    }
}

fn nonce(index: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&index.to_be_bytes());
    Nonce::assume_unique_for_key(n)
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
}
