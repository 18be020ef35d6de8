//! The one error type of the store, with variants a caller can act on.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong in the store.
///
/// The variants a user interface branches on are [`StoreError::NoData`]
/// ("enrol again"), [`StoreError::WrongPin`] and [`StoreError::Wiped`]; the corruption variants mean the local copy must be
/// discarded (blob) or the device re-enrolled (database).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// There is no store in this directory (never created, or wiped): enrol again.
    #[error("no local data: enrol this device again")]
    NoData,
    /// `create` was called on a directory that already holds a store.
    #[error("a store already exists in {0}")]
    AlreadyExists(PathBuf),
    /// The PIN did not unlock the key file. The attempt was counted.
    #[error("wrong PIN: {attempts_left} attempts left before the local data is wiped; the next attempt waits {retry_after:?} first")]
    WrongPin {
        /// Attempts left before the store wipes itself.
        attempts_left: u32,
        /// How long the next attempt will wait before it checks the PIN.
        retry_after: Duration,
    },
    /// The last allowed wrong PIN was entered: database, blobs and key file were deleted.
    #[error("too many wrong PINs: the local data was wiped; enrol this device again")]
    Wiped,
    /// No keystore was reachable, so the PIN alone protects the cache and it
    /// is not a passphrase strong enough on its own.
    #[error(
        "no system keyring is available, so the PIN alone protects this device's data: \
         use a passphrase of at least 12 characters mixing 3 of lower-case letters, \
         upper-case letters, digits and symbols, or at least 4 words and 20 characters \
         (at least 8 different characters either way); or unlock the desktop's keyring \
         and try again"
    )]
    PassphraseTooWeak,
    /// The store's keystore item is gone: the folder was copied from another
    /// device or user account, or the keystore was reset. Enrol again.
    #[error(
        "this device's secret is not in the system keyring (the data folder was copied \
         from another device or account, or the keyring was reset): enrol this device again"
    )]
    DeviceSecretMissing,
    /// The keystore holding the store's device secret cannot be reached. Nothing was counted.
    #[error("the system keyring is not available ({0}): log in to the desktop session (or unlock its keyring) and try again")]
    KeystoreUnavailable(String),
    /// The keystore answered with an error.
    #[error("system keyring: {0}")]
    Keystore(String),
    /// The PIN does not meet the minimum length.
    #[error("the PIN must have at least {min_len} characters")]
    PinTooShort {
        /// The minimum number of characters.
        min_len: usize,
    },
    /// Argon2 parameters below the floor (m ≥ 19 MiB, t ≥ 2), or rejected by Argon2.
    #[error("key-derivation parameters rejected: {0}")]
    WeakKdfParams(&'static str),
    /// The key file exists but cannot be parsed or has an unknown format.
    #[error("the key file is damaged: {0}")]
    KeyFileCorrupt(&'static str),
    /// The database failed its integrity checks (SQLCipher page HMAC, header).
    /// Its content cannot be trusted; the device has to be wiped and enrolled again.
    #[error("the local database is damaged or was modified: {0}")]
    DatabaseCorrupt(#[source] rusqlite::Error),
    /// The database has a newer schema than this program knows.
    #[error(
        "the database schema version {found} is newer than this program supports ({supported})"
    )]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: u32,
        /// The latest migration of this program.
        supported: u32,
    },
    /// Any other SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// A file-system error on `path`.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A blob id is not 64 lower-case hex digits.
    #[error("not a blob id (64 lower-case hex digits): {0:?}")]
    InvalidBlobId(String),
    /// No complete blob with this id is stored.
    #[error("blob {0} is not stored")]
    BlobMissing(String),
    /// A blob file failed authentication (altered, reordered, swapped or truncated).
    /// Nothing of it is returned; the file should be deleted and fetched again.
    #[error("blob {sha256} is damaged or was modified (chunk {chunk})")]
    BlobCorrupt {
        /// The blob id.
        sha256: String,
        /// The first chunk that failed.
        chunk: u64,
    },
    /// The finished blob's plaintext does not hash to its name; it was discarded.
    #[error("blob content hashes to {actual}, not {expected}; discarded")]
    BlobHashMismatch {
        /// The name the blob was written under.
        expected: String,
        /// What the bytes hash to.
        actual: String,
    },
    /// More or fewer bytes than announced were written to a blob.
    #[error("blob {sha256}: expected {expected} bytes, got {actual}")]
    BlobSizeMismatch {
        /// The blob id.
        sha256: String,
        /// The size given to `blob_writer`.
        expected: u64,
        /// What was written.
        actual: u64,
    },
    /// A feed change or stored row lacks a field the cache needs.
    #[error("{entity} {id}: field {field:?} missing or of the wrong type")]
    BadBody {
        /// The entity kind.
        entity: &'static str,
        /// The record id.
        id: String,
        /// The field.
        field: &'static str,
    },
    /// JSON (de)serialisation failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An outbox operation id that is not in the outbox.
    #[error("unknown outbox operation {0}")]
    UnknownOperation(String),
    /// The system random generator or a cipher primitive failed.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
    /// A local annotation edit was stamped no later than a stamp the store
    /// had already seen, so it could lose to older edits (a bug of the caller).
    #[error("annotation edit stamped no later than the annotation clock")]
    StaleAnnotationStamp,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase)
            | Some(rusqlite::ErrorCode::DatabaseCorrupt) => StoreError::DatabaseCorrupt(e),
            _ => StoreError::Sqlite(e),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn io_err<'a>(
    op: &'static str,
    path: &'a std::path::Path,
) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}
