//! The E-Cabinet client's encrypted local cache.
//!
//! Everything a member needs offline lives in one data directory:
//!
//! - `cache.db` (+ `-wal`, `-shm`): a SQLCipher database with all metadata,
//!   annotations, the outbox and the sync cursor;
//! - `blobs/<sha256>`: document bytes, encrypted in 64 KiB AES-256-GCM chunks
//!   (`blobs/partial/<sha256>.part` while downloading);
//! - `keys.json`: the random 256-bit data key wrapped under a key derived
//!   from the member's PIN (Argon2id) and a device secret kept in the OS
//!   keystore, never in the folder; and the wrong-PIN counters, which the
//!   keystore item also keeps (see the `keys` module). `keys.lock` is
//!   locked by every PIN attempt.
//!
//! No plaintext document byte, title or note is ever written to disk; temp
//! files hold ciphertext only. The data key keys SQLCipher directly (raw key)
//! and the blob cipher through HKDF; changing the PIN rewraps it without
//! re-encrypting anything.
//!
//! The API is synchronous: async callers use `spawn_blocking`. A [`Store`] is
//! `Send + Sync`; writes go through one connection behind a mutex, reads
//! through a separate small pool, so readers never wait for a writer (WAL).

mod blob;
mod cache;
mod db;
mod error;
mod fsutil;
mod hex;
mod keys;
mod keystore;
mod losses;
mod named;
mod seal;
mod settings;
#[doc(hidden)]
pub mod testing;
mod text_layers;
mod versions;
pub mod wrap;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use blob::{BlobReader, BlobWriter, BLOB_DIR, CHUNK_SIZE, PARTIAL_DIR};
pub use cache::{
    AgendaRow, Annotation, Entity, FeedChange, FeedOp, MeetingRow, OpResult, OutboxEntry,
    OutboxState, QueuedOp, ReceivedAnnotation, RetentionReport, VersionRow,
};
pub use db::{DB_FILE, SCHEMA_VERSION};
pub use error::{Result, StoreError};
pub use keys::{
    passphrase_is_strong, Binding, Clock, KdfParams, PinOnlyRule, PinPolicy, StoreState,
    SystemClock, KEY_FILE,
};
pub use keystore::Keystore;
pub use losses::{
    lost_ops, mark_lost_reported, reported_lost_ops, LostOps, LOST_FILE, LOST_REPORTED_FILE,
};
pub use seal::BlobCheck;
pub use settings::CacheCounts;
pub use versions::VerifiedVersion;

use crate::blob::BlobPaths;
use crate::error::io_err;
use crate::keys::DataKey;

/// How a store is created and unlocked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreConfig {
    /// Argon2id cost for new key files (existing files keep their own).
    pub kdf: KdfParams,
    /// PIN and wrong-PIN rules.
    pub pin: PinPolicy,
    /// Where new stores keep their device secret.
    pub keystore: Keystore,
    /// Read connections besides the writer.
    pub readers: ReaderCount,
}

/// Number of read connections (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderCount(pub std::num::NonZeroUsize);

impl Default for ReaderCount {
    fn default() -> Self {
        ReaderCount(std::num::NonZeroUsize::MIN.saturating_add(1))
    }
}

/// An unlocked store. See the crate documentation.
pub struct Store {
    dir: PathBuf,
    key: DataKey,
    config: StoreConfig,
    // Readers are declared (and so dropped) before the writer: the last
    // connection to close folds the WAL into the database, and a read-only
    // connection cannot.
    readers: Vec<Mutex<Connection>>,
    writer: Mutex<Connection>,
    blobs: BlobPaths,
    // One `unsent.json` rewrite at a time, each from a fresh read, so the
    // last write is the latest state.
    unsent: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Creates a new store in `dir` (created if missing) with a fresh random
    /// data key wrapped under `pin` and, where `config.keystore` is reachable,
    /// a new device secret in the keystore; otherwise `pin` must meet
    /// `config.pin.pin_only` ([`StoreError::PassphraseTooWeak`]). Fails with
    /// [`StoreError::AlreadyExists`] if a key file is there.
    pub fn create(dir: &Path, pin: &str, config: &StoreConfig) -> Result<Store> {
        fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
        if keys::key_file_exists(dir) {
            return Err(StoreError::AlreadyExists(dir.to_path_buf()));
        }
        // Leftovers of a half-finished earlier store (no key file) cannot be
        // decrypted by the new key; clear them so they do not shadow new data.
        wipe_dir(dir)?;
        let key = keys::create(dir, pin, config.kdf, &config.pin, &config.keystore)?;
        Self::open_with_key(dir, key, config)
    }

    /// Unlocks the store in `dir` with `pin`.
    ///
    /// First waits out the delay earned by earlier attempts (see
    /// [`Store::state`]); attempts from several threads or processes take
    /// turns. Errors a caller shows to the member: [`StoreError::NoData`]
    /// (enrol), [`StoreError::WrongPin`] (with attempts left and the next
    /// wait), [`StoreError::Wiped`] (that was the last attempt),
    /// [`StoreError::DeviceSecretMissing`] / [`StoreError::KeystoreUnavailable`]
    /// (the keystore item is gone or unreachable; nothing was counted).
    pub fn open(dir: &Path, pin: &str, config: &StoreConfig, clock: &dyn Clock) -> Result<Store> {
        let key = keys::unlock(dir, pin, &config.pin, &config.keystore, clock)?;
        Self::open_with_key(dir, key, config)
    }

    fn open_with_key(dir: &Path, key: DataKey, config: &StoreConfig) -> Result<Store> {
        let blobs = BlobPaths::new(dir);
        blobs.ensure_durable()?;
        let db_path = dir.join(DB_FILE);
        let mut writer = db::open_keyed(&db_path, &key, false)?;
        db::migrate(&mut writer)?;
        let readers = (0..config.readers.0.get())
            .map(|_| db::open_keyed(&db_path, &key, true).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        let store = Store {
            dir: dir.to_path_buf(),
            key,
            config: config.clone(),
            writer: Mutex::new(writer),
            readers,
            blobs,
            unsent: Mutex::new(()),
        };
        store.refresh_unsent()?;
        Ok(store)
    }

    /// Rewrites `unsent.json`, the list a wipe would lose (see `losses`).
    pub(crate) fn refresh_unsent(&self) -> Result<()> {
        let _one_at_a_time = self.unsent.lock().unwrap_or_else(|e| e.into_inner());
        let ids = self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT op_id FROM outbox WHERE state IN ('pending', 'sent') ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        losses::set_unsent(&self.dir, ids)
    }

    /// What is in `dir`, without a PIN: nothing ([`StoreState::NoData`]: enrol)
    /// or a locked store with its wrong-PIN count and how long the next
    /// attempt will wait in this process (the wait starts counting down
    /// at the first call).
    pub fn state(dir: &Path, config: &StoreConfig, clock: &dyn Clock) -> Result<StoreState> {
        keys::state(dir, &config.pin, clock)
    }

    /// What protects this store's key file besides the PIN.
    pub fn binding(&self) -> Result<Binding> {
        keys::binding(&self.dir)?.ok_or(StoreError::NoData)
    }

    /// Changes the PIN: checks `current_pin` under the same attempt rules as
    /// [`Store::open`], then rewraps the data key under `new_pin` with a fresh
    /// salt. No data is re-encrypted.
    pub fn change_pin(&self, current_pin: &str, new_pin: &str, clock: &dyn Clock) -> Result<()> {
        let key = keys::unlock(
            &self.dir,
            current_pin,
            &self.config.pin,
            &self.config.keystore,
            clock,
        )?;
        if key.as_ref() != self.key.as_ref() {
            return Err(StoreError::KeyFileCorrupt(
                "key file no longer matches the open store",
            ));
        }
        keys::rewrap(
            &self.dir,
            &self.key,
            new_pin,
            self.config.kdf,
            &self.config.pin,
        )
    }

    /// Closes the store and deletes everything in its directory (remote wipe,
    /// or the member signing out). Afterwards [`Store::state`] is `NoData`.
    pub fn wipe(self) -> Result<()> {
        let dir = self.dir.clone();
        drop(self);
        wipe_dir(&dir)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`), committed if `f`
    /// returns `Ok`, rolled back otherwise. Writers are serialised.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on a read-only connection inside one read transaction, so it
    /// sees a single consistent snapshot. Never blocked by the writer.
    pub fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self
            .readers
            .iter()
            .find_map(|m| m.try_lock().ok())
            .unwrap_or_else(|| lock(&self.readers[0]));
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Starts (or resumes) writing the blob whose plaintext SHA-256 is `sha256_hex`
    /// and whose size is `total_size`. If a partial file from an earlier attempt
    /// is there, its authenticated whole chunks are kept:
    /// [`BlobWriter::resume_offset`] says where to continue. One writer per
    /// blob at a time: two writers of the same blob would share its partial file.
    pub fn blob_writer(&self, sha256_hex: &str, total_size: u64) -> Result<BlobWriter> {
        BlobWriter::open(&self.blobs, &self.key, sha256_hex, total_size)
    }

    /// The plaintext of a complete blob, in memory only. Any altered, swapped,
    /// reordered or missing chunk gives [`StoreError::BlobCorrupt`].
    pub fn read_blob(&self, sha256_hex: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        blob::read_into(&self.blobs, &self.key, sha256_hex, &mut out)?;
        Ok(out)
    }

    /// Like [`Store::read_blob`], into a caller's buffer (cleared first, left
    /// empty on error), so a reused buffer saves the allocation and page faults.
    pub fn read_blob_into(&self, sha256_hex: &str, out: &mut Vec<u8>) -> Result<()> {
        blob::read_into(&self.blobs, &self.key, sha256_hex, out)
    }

    /// A `Read + Seek` view of a complete blob's plaintext that decrypts
    /// 64 KiB chunks as they are read (for PDFium's on-demand loading), so
    /// the whole plaintext never sits in memory. A cut-short or extended file
    /// fails here; a damaged chunk fails the read that touches it.
    pub fn blob_reader(&self, sha256_hex: &str) -> Result<BlobReader> {
        blob::BlobReader::open(&self.blobs, &self.key, sha256_hex)
    }

    /// Checks a complete blob end to end without keeping its plaintext:
    /// every chunk's authentication tag and the SHA-256 of the whole. Most
    /// callers want [`Store::checked_blob_reader`], which runs this only when
    /// the file is not the one last checked.
    pub fn verify_blob(&self, sha256_hex: &str) -> Result<()> {
        let mut reader = self.blob_reader(sha256_hex)?;
        seal::verify_whole(&mut reader, sha256_hex)
    }

    /// Whether a complete blob is stored (partial downloads do not count).
    pub fn has_blob(&self, sha256_hex: &str) -> Result<bool> {
        let id = blob::BlobId::parse(sha256_hex)?;
        Ok(self.blobs.complete_path(&id).is_file())
    }

    /// Whether any file of a blob is here, complete or partly downloaded.
    pub fn has_blob_file(&self, sha256_hex: &str) -> Result<bool> {
        let id = blob::BlobId::parse(sha256_hex)?;
        Ok(self.blobs.complete_path(&id).is_file() || self.blobs.partial_path(&id).is_file())
    }

    /// Deletes a blob (complete and partial). Missing files are not an error.
    pub fn remove_blob(&self, sha256_hex: &str) -> Result<()> {
        let id = blob::BlobId::parse(sha256_hex)?;
        fsutil::remove_file_if_exists(&self.blobs.complete_path(&id))?;
        fsutil::remove_file_if_exists(&self.blobs.partial_path(&id))?;
        self.forget_seal(&id.hex)
    }

    /// The raw SQLCipher key as 64 hex digits, for opening `cache.db` with an
    /// external SQLCipher 4 tool (`PRAGMA key = "x'…'"`) in support and tests.
    #[doc(hidden)]
    pub fn raw_db_key_hex(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(hex::encode(self.key.as_ref()))
    }
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic inside a closure rolls its transaction back when the guard's
    // Transaction drops, so the connection is still sound.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Deletes every file of a store in `dir`: its keystore item and key file
/// first (either alone makes the rest unreadable), then database, WAL/SHM,
/// blobs and leftovers. `dir` itself stays, empty of store files. Safe to
/// call on a missing or empty dir.
pub fn wipe_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    keys::forget_keystore_item(dir);
    // The loss records (`lost.json`, `lost-reported.json`) stay: the first is
    // reported at the next enrolment, the second says what was reported.
    let unsent_tmp = format!("{}.tmp", losses::UNSENT_FILE);
    for name in [
        KEY_FILE,
        keys::KEY_FILE_TMP,
        keys::LOCK_FILE,
        losses::UNSENT_FILE,
        unsent_tmp.as_str(),
    ] {
        fsutil::remove_file_if_exists(&dir.join(name))?;
    }
    fsutil::sync_dir(dir)?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        fsutil::remove_file_if_exists(&dir.join(format!("{DB_FILE}{suffix}")))?;
    }
    let blobs = dir.join(BLOB_DIR);
    match fs::remove_dir_all(&blobs) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("remove", &blobs)(e)),
    }
    fsutil::sync_dir(dir)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_store_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::Store>();
        shareable::<super::BlobWriter>();
        shareable::<super::BlobReader>();
    }
}
