//! The key hierarchy: PIN → Argon2id → (HKDF with the device secret) →
//! key-encryption key → wrapped data key.
//!
//! The key file (`keys.json`) holds no secret in clear: the salt, the
//! Argon2id parameters, the data key sealed with AES-256-GCM, the store's id,
//! which binding protects it, and the wrong-PIN counters.
//!
//! Bindings:
//! - `os_keystore` (the default where a keystore is reachable): the
//!   key-encryption key is `HKDF-SHA256(salt = device secret, Argon2id(PIN))`
//!   and the device secret lives only in the OS keystore ([`crate::keystore`]).
//!   A copy of the data folder cannot be attacked offline: without the
//!   secret no PIN, right or wrong, opens it.
//! - `pin_only` (no keystore at enrolment): the key-encryption key is
//!   `Argon2id(PIN)`. A copy of the folder can be attacked offline at Argon2's
//!   speed, so the product requires a strong passphrase ([`PinOnlyRule`]).
//!
//! Attempt rules. Every attempt holds an exclusive lock on `keys.lock`, so
//! parallel processes take turns. Before the PIN is checked the attempt
//! first waits out the delay earned by earlier attempts — in this process,
//! on the monotonic clock, so moving the wall clock gains nothing — then
//! marks itself "in progress" in the key file and the keystore item. An
//! attempt found still in progress was interrupted (the process was killed):
//! it counts toward the delay but not toward the wipe, since it answered
//! nobody. Only completed wrong PINs count toward the wipe. Counters are
//! read from both the key file and the keystore item, taking the larger, so
//! restoring an older key file resets nothing. (Without a keystore an old
//! key file does reset them: there the passphrase is the protection.)

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::aead::{LessSafeKey, UnboundKey, AES_256_GCM};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{io_err, Result, StoreError};
use crate::fsutil;
use crate::keystore::{self, Keystore, SecretSlots};
use crate::wrap::{self, random};

/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "keys.json";
pub(crate) const KEY_FILE_TMP: &str = "keys.json.tmp";
/// The file every PIN attempt locks (the key file itself is replaced by rename).
pub(crate) const LOCK_FILE: &str = "keys.lock";
/// Format 1: PIN-only, wall-clock delay. Still read (and kept) for old stores.
const KEY_FILE_FORMAT_V1: u32 = 1;
const KEY_FILE_FORMAT: u32 = 2;
const WRAP_AAD_PREFIX_V1: &[u8] = b"ecabinet-store-keyfile-v1";
const WRAP_AAD_PREFIX: &[u8] = b"ecabinet-store-keyfile-v2";
const KEK_INFO: &[u8] = b"ecabinet-store kek from argon2id and device secret";

/// Argon2id cost parameters. The floor (OWASP): memory ≥ 19 MiB, passes ≥ 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The OWASP minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    pub const FLOOR: KdfParams = KdfParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };
    /// The default, RFC 9106's second recommended setting: 64 MiB, 3 passes,
    /// 4 lanes. The lanes are filled on every core at once: on 2 cores the
    /// stretch takes about two thirds of the time of 1 lane (110 – 117 ms
    /// against 145 – 185), for the same memory and passes (an attacker's
    /// cost per guess is unchanged). Key files made with 1 lane keep their
    /// parameters until the PIN is changed.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };

    fn check(self) -> Result<()> {
        if self.m_kib < Self::FLOOR.m_kib {
            return Err(StoreError::WeakKdfParams("memory below 19 MiB"));
        }
        if self.t < Self::FLOOR.t {
            return Err(StoreError::WeakKdfParams("fewer than 2 passes"));
        }
        if self.p == 0 {
            return Err(StoreError::WeakKdfParams("zero lanes"));
        }
        Ok(())
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The monotonic time and the wait of the wrong-PIN delay, injected so tests
/// need not sleep.
pub trait Clock: Send + Sync {
    /// Now, on a clock that setting the system time does not move.
    fn now(&self) -> Instant;
    /// Blocks for `d`.
    fn sleep(&self, d: Duration);
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// The 256-bit key that keys SQLCipher and, through HKDF, the blob cipher.
pub(crate) type DataKey = Zeroizing<[u8; 32]>;

/// What protects a store's key file besides the PIN (recorded in `keys.json`; not secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    /// A device secret in the OS keystore: a copy of the folder is useless.
    OsKeystore,
    /// The PIN alone (no keystore was reachable): it must be a strong passphrase.
    PinOnly,
}

fn legacy_binding() -> Binding {
    Binding::PinOnly
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyFile {
    format: u32,
    kdf: String,
    params: KdfParams,
    salt: String,
    nonce: String,
    wrapped_key: String,
    #[serde(default = "legacy_binding")]
    binding: Binding,
    /// Names the keystore item (random; empty in format-1 files).
    #[serde(default)]
    store_id: String,
    /// The keystore service the item is filed under (bound stores only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keystore_service: Option<String>,
    #[serde(flatten)]
    counters: Counters,
}

/// The wrong-PIN bookkeeping, kept in the key file and in the keystore item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Counters {
    /// Completed wrong PINs since the last right one: these lead to the wipe.
    #[serde(default)]
    failed_attempts: u32,
    /// Attempts whose process died before answering: these only lengthen the delay.
    #[serde(default)]
    interrupted_attempts: u32,
    /// Set before Argon2 runs, cleared when the attempt answers.
    #[serde(default)]
    attempt_in_progress: bool,
}

impl Counters {
    fn max(self, other: Counters) -> Counters {
        Counters {
            failed_attempts: self.failed_attempts.max(other.failed_attempts),
            interrupted_attempts: self.interrupted_attempts.max(other.interrupted_attempts),
            attempt_in_progress: self.attempt_in_progress || other.attempt_in_progress,
        }
    }

    /// The counters as the next attempt sees them: an attempt still marked
    /// in progress (nobody holds the lock) was interrupted.
    fn settled(self) -> Counters {
        if self.attempt_in_progress {
            Counters {
                interrupted_attempts: self.interrupted_attempts.saturating_add(1),
                attempt_in_progress: false,
                ..self
            }
        } else {
            self
        }
    }
}

impl keystore::Item {
    fn counters(&self) -> Counters {
        Counters {
            failed_attempts: self.failed_attempts,
            interrupted_attempts: self.interrupted_attempts,
            attempt_in_progress: self.attempt_in_progress,
        }
    }
}

/// What a PIN must be when no keystore protects the key file (part of [`PinPolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinOnlyRule {
    /// A passphrase strong enough on its own (see [`passphrase_is_strong`]).
    StrongPassphrase,
    /// Only `min_len` (tests of other components; never the product).
    MinLengthOnly,
}

/// Rules for PINs and wrong PINs, part of [`crate::StoreConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinPolicy {
    /// Minimum PIN length in characters.
    pub min_len: usize,
    /// What the PIN must be when no keystore is reachable at enrolment.
    pub pin_only: PinOnlyRule,
    /// After this many completed wrong PINs in a row the store wipes itself.
    pub max_failed_attempts: u32,
    /// Delay after the first wrong PIN; it doubles with each further one.
    /// Each interrupted attempt adds one more `base_delay`.
    pub base_delay: Duration,
    /// Upper bound of the delay.
    pub max_delay: Duration,
}

impl Default for PinPolicy {
    fn default() -> Self {
        PinPolicy {
            min_len: 4,
            pin_only: PinOnlyRule::StrongPassphrase,
            max_failed_attempts: 10,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
        }
    }
}

impl PinPolicy {
    /// The wait imposed after `failures` consecutive wrong PINs.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1).min(31))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait before the next attempt. An interrupted attempt answered
    /// nobody, so it adds one base delay instead of doubling: enough that a
    /// kill loop is no faster than waiting, without a crash-prone device
    /// being locked out for hours.
    pub fn wait_before(&self, failed: u32, interrupted: u32) -> Duration {
        self.delay_after(failed)
            .saturating_add(self.base_delay.saturating_mul(interrupted))
            .min(self.max_delay)
    }

    fn check_new_pin(&self, pin: &str, binding: Binding) -> Result<()> {
        if pin.chars().count() < self.min_len {
            return Err(StoreError::PinTooShort {
                min_len: self.min_len,
            });
        }
        if binding == Binding::PinOnly
            && self.pin_only == PinOnlyRule::StrongPassphrase
            && !passphrase_is_strong(pin)
        {
            return Err(StoreError::PassphraseTooWeak);
        }
        Ok(())
    }
}

/// The rule a PIN must meet where no keystore protects the key file, because
/// a copy of the folder can then be attacked offline at Argon2id's speed
/// (about 0.3 s per guess and core at the default cost). Either:
///
/// - at least 12 characters using at least 3 of: lower-case letters,
///   upper-case letters, digits, other characters; or
/// - a phrase of at least 4 words (separated by spaces) and 20 characters;
///
/// and in both cases at least 8 different characters, which refuses
/// repetitions like `Aa1Aa1Aa1Aa1`. A random 12-character password of 3
/// classes has about 70 bits, 4 words chosen from a 10,000-word vocabulary
/// about 53 bits: at 0.3 s per guess per core, both take a thousand cores
/// more than a lifetime on average even for human-chosen values far weaker
/// than random.
pub fn passphrase_is_strong(pin: &str) -> bool {
    let chars: Vec<char> = pin.chars().collect();
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 8 {
        return false;
    }
    let classes = [
        chars.iter().any(|c| c.is_lowercase()),
        chars.iter().any(|c| c.is_uppercase()),
        chars.iter().any(|c| c.is_numeric()),
        chars.iter().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    let words = pin
        .split_whitespace()
        .filter(|w| w.chars().count() >= 2)
        .count();
    (chars.len() >= 12 && classes >= 3) || (words >= 4 && chars.len() >= 20)
}

/// What [`crate::Store::state`] reports about a data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreState {
    /// Nothing stored (never enrolled, or wiped): enrol again.
    NoData,
    /// A store exists and needs the PIN.
    Locked {
        /// Completed wrong PINs in a row so far (the key file's count).
        failed_attempts: u32,
        /// How long the next attempt will wait before the PIN is checked.
        retry_after: Duration,
        /// Operations not yet answered by the server, which a wipe would erase.
        unsent_ops: u32,
    },
}

/// When this process started waiting for the next attempt on a store, and at
/// which counters. The delay is served in-process on the monotonic clock: a
/// new process waits it all, and a wall-clock change is no shortcut.
static WAIT_STARTED: Mutex<Option<HashMap<PathBuf, (Counters, Instant)>>> = Mutex::new(None);

fn waited_since(dir: &Path, counters: Counters, clock: &dyn Clock) -> Duration {
    let mut guard = WAIT_STARTED.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    let now = clock.now();
    match map.get(dir) {
        Some((seen, started)) if *seen == counters => now.saturating_duration_since(*started),
        _ => {
            map.insert(dir.to_path_buf(), (counters, now));
            Duration::ZERO
        }
    }
}

fn restart_wait(dir: &Path, counters: Option<Counters>, clock: &dyn Clock) {
    let mut guard = WAIT_STARTED.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    match counters {
        Some(c) => map.insert(dir.to_path_buf(), (c, clock.now())),
        None => map.remove(dir),
    };
}

fn hex_decode(s: &str, what: &'static str) -> Result<Vec<u8>> {
    crate::hex::decode(s).ok_or(StoreError::KeyFileCorrupt(what))
}

fn derive_kek(
    pin: &str,
    salt: &[u8],
    params: KdfParams,
    device_secret: Option<&[u8; 32]>,
) -> Result<LessSafeKey> {
    let stretched = wrap::stretch(pin, salt, params)?;
    match device_secret {
        None => wrap::aes_key(stretched.as_ref()),
        Some(secret) => {
            let unbound: UnboundKey = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, secret)
                .extract(stretched.as_ref())
                .expand(&[KEK_INFO], &AES_256_GCM)
                .map_err(|_| StoreError::Crypto("hkdf"))?
                .into();
            Ok(LessSafeKey::new(unbound))
        }
    }
}

fn wrap_aad(kf: &KeyFile, salt: &[u8]) -> Vec<u8> {
    // Binding salt, parameters, binding and id means an edited key file fails
    // to unwrap instead of silently deriving with cheaper parameters.
    let prefix = if kf.format == KEY_FILE_FORMAT_V1 {
        WRAP_AAD_PREFIX_V1
    } else {
        WRAP_AAD_PREFIX
    };
    let mut aad = prefix.to_vec();
    aad.extend_from_slice(salt);
    for v in [kf.params.m_kib, kf.params.t, kf.params.p] {
        aad.extend_from_slice(&v.to_be_bytes());
    }
    if kf.format != KEY_FILE_FORMAT_V1 {
        aad.push(match kf.binding {
            Binding::OsKeystore => 1,
            Binding::PinOnly => 2,
        });
        aad.extend_from_slice(kf.store_id.as_bytes());
    }
    aad
}

/// Seals `key` under `pin` (and the device secret) into a fresh format-2 key file.
fn seal_data_key(
    pin: &str,
    key: &[u8; 32],
    params: KdfParams,
    binding: Binding,
    store_id: &str,
    keystore_service: Option<String>,
    device_secret: Option<&[u8; 32]>,
) -> Result<KeyFile> {
    let salt = random::<16>()?;
    let mut kf = KeyFile {
        format: KEY_FILE_FORMAT,
        kdf: "argon2id".into(),
        params,
        salt: crate::hex::encode(salt.as_ref()),
        nonce: String::new(),
        wrapped_key: String::new(),
        binding,
        store_id: store_id.to_owned(),
        keystore_service,
        counters: Counters::default(),
    };
    let sealing = derive_kek(pin, salt.as_ref(), params, device_secret)?;
    let (nonce, sealed) = wrap::seal(&sealing, &wrap_aad(&kf, salt.as_ref()), key)?;
    kf.nonce = crate::hex::encode(&nonce);
    kf.wrapped_key = crate::hex::encode(&sealed);
    Ok(kf)
}

fn unseal_data_key(
    kf: &KeyFile,
    pin: &str,
    device_secret: Option<&[u8; 32]>,
) -> Result<Option<DataKey>> {
    let salt = hex_decode(&kf.salt, "salt")?;
    let nonce: [u8; 12] = hex_decode(&kf.nonce, "nonce")?
        .try_into()
        .map_err(|_| StoreError::KeyFileCorrupt("nonce length"))?;
    let sealed = hex_decode(&kf.wrapped_key, "wrapped key")?;
    let opening = derive_kek(pin, &salt, kf.params, device_secret)?;
    match wrap::open(&opening, &wrap_aad(kf, &salt), nonce, &sealed) {
        Some(plain) if plain.len() == 32 => {
            let mut key = Zeroizing::new([0u8; 32]);
            key.copy_from_slice(&plain);
            Ok(Some(key))
        }
        Some(_) => Err(StoreError::KeyFileCorrupt("wrapped key length")),
        None => Ok(None),
    }
}

fn read_key_file(dir: &Path) -> Result<Option<KeyFile>> {
    let path = dir.join(KEY_FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", &path)(e)),
    };
    let kf: KeyFile =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::KeyFileCorrupt("not valid JSON"))?;
    let known = match kf.format {
        KEY_FILE_FORMAT_V1 => kf.binding == Binding::PinOnly,
        KEY_FILE_FORMAT => true,
        _ => false,
    };
    if !known || kf.kdf != "argon2id" {
        return Err(StoreError::KeyFileCorrupt("unknown format"));
    }
    if kf.binding == Binding::OsKeystore
        && (kf.store_id.is_empty() || kf.keystore_service.is_none())
    {
        return Err(StoreError::KeyFileCorrupt(
            "keystore binding without an item",
        ));
    }
    Ok(Some(kf))
}

fn write_key_file(dir: &Path, kf: &KeyFile) -> Result<()> {
    // Write-then-rename so a crash leaves either the old or the new file,
    // never a half-written one that would lock the user out.
    let tmp = dir.join(KEY_FILE_TMP);
    let json = serde_json::to_vec_pretty(kf)?;
    {
        let mut f = fs::File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(&json).map_err(io_err("write", &tmp))?;
        f.sync_all().map_err(io_err("fsync", &tmp))?;
    }
    let path = dir.join(KEY_FILE);
    fs::rename(&tmp, &path).map_err(io_err("rename", &path))?;
    fsutil::sync_dir(dir)
}

pub(crate) fn key_file_exists(dir: &Path) -> bool {
    dir.join(KEY_FILE).exists()
}

/// Holds the exclusive lock on `keys.lock` until dropped (closing the file
/// releases it, also when the process dies).
struct AttemptLock(#[allow(dead_code)] fs::File);

fn lock_attempts(dir: &Path) -> Result<AttemptLock> {
    use fs4::fs_std::FileExt as _;
    let path = dir.join(LOCK_FILE);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err("open", &path))?;
    file.lock_exclusive().map_err(io_err("lock", &path))?;
    Ok(AttemptLock(file))
}

/// A store's keystore item and where it lives, for a keystore-bound key file.
struct BoundItem {
    slots: Box<dyn SecretSlots>,
    item: keystore::Item,
}

fn bound_item(kf: &KeyFile) -> Result<Option<BoundItem>> {
    if kf.binding != Binding::OsKeystore {
        return Ok(None);
    }
    let service = kf.keystore_service.clone().unwrap_or_default();
    let slots = keystore::open(&Keystore::Os { service })
        .ok_or_else(|| StoreError::KeystoreUnavailable("no keystore on this system".into()))?;
    let item = keystore::read_item(slots.as_ref(), &kf.store_id)?
        .ok_or(StoreError::DeviceSecretMissing)?;
    Ok(Some(BoundItem { slots, item }))
}

/// Writes the counters to the keystore item first, then the key file.
fn save_counters(
    dir: &Path,
    kf: &mut KeyFile,
    bound: &mut Option<BoundItem>,
    counters: Counters,
) -> Result<()> {
    if let Some(b) = bound {
        b.item.failed_attempts = counters.failed_attempts;
        b.item.interrupted_attempts = counters.interrupted_attempts;
        b.item.attempt_in_progress = counters.attempt_in_progress;
        keystore::write_item(b.slots.as_ref(), &kf.store_id, &b.item)?;
    }
    kf.counters = counters;
    write_key_file(dir, kf)
}

/// Creates a fresh random data key and writes its key file (and keystore
/// item). Fails if a key file exists.
pub(crate) fn create(
    dir: &Path,
    pin: &str,
    params: KdfParams,
    policy: &PinPolicy,
    keystore_config: &Keystore,
) -> Result<DataKey> {
    params.check()?;
    if pin.chars().count() < policy.min_len {
        return Err(StoreError::PinTooShort {
            min_len: policy.min_len,
        });
    }
    let _lock = lock_attempts(dir)?;
    if key_file_exists(dir) {
        return Err(StoreError::AlreadyExists(dir.to_path_buf()));
    }
    let key = random::<32>()?;
    let store_id = crate::hex::encode(random::<16>()?.as_ref());
    let secret = random::<32>()?;
    let mut bound = None;
    if let (Some(slots), Keystore::Os { service }) =
        (keystore::open(keystore_config), keystore_config)
    {
        let item = keystore::Item {
            device_secret: crate::hex::encode(secret.as_ref()),
            failed_attempts: 0,
            interrupted_attempts: 0,
            attempt_in_progress: false,
        };
        match keystore::write_item(slots.as_ref(), &store_id, &item) {
            Ok(()) => bound = Some((slots, service.clone())),
            Err(StoreError::KeystoreUnavailable(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let binding = if bound.is_some() {
        Binding::OsKeystore
    } else {
        Binding::PinOnly
    };
    let sealed = policy.check_new_pin(pin, binding).and_then(|()| {
        let service = bound.as_ref().map(|(_, s)| s.clone());
        let secret = bound.as_ref().map(|_| &*secret);
        let kf = seal_data_key(pin, &key, params, binding, &store_id, service, secret)?;
        write_key_file(dir, &kf)
    });
    if let Err(e) = sealed {
        if let Some((slots, _)) = &bound {
            // Best effort: an orphaned item protects nothing and holds no data.
            let _ = slots.delete(&store_id);
        }
        return Err(e);
    }
    Ok(key)
}

/// The binding recorded in `dir`'s key file, `None` without one.
pub(crate) fn binding(dir: &Path) -> Result<Option<Binding>> {
    Ok(read_key_file(dir)?.map(|kf| kf.binding))
}

pub(crate) fn state(dir: &Path, policy: &PinPolicy, clock: &dyn Clock) -> Result<StoreState> {
    match read_key_file(dir)? {
        None => Ok(StoreState::NoData),
        Some(kf) => {
            let c = kf.counters.settled();
            let wait = policy.wait_before(c.failed_attempts, c.interrupted_attempts);
            Ok(StoreState::Locked {
                failed_attempts: c.failed_attempts,
                retry_after: wait.saturating_sub(waited_since(dir, c, clock)),
                unsent_ops: crate::losses::unsent_count(dir),
            })
        }
    }
}

/// Checks the PIN under the attempt rules (module doc) and returns the data key.
pub(crate) fn unlock(
    dir: &Path,
    pin: &str,
    policy: &PinPolicy,
    keystore_config: &Keystore,
    clock: &dyn Clock,
) -> Result<DataKey> {
    if !key_file_exists(dir) {
        return Err(StoreError::NoData);
    }
    let _lock = lock_attempts(dir)?;
    let Some(mut kf) = read_key_file(dir)? else {
        return Err(StoreError::NoData);
    };
    let mut bound = bound_item(&kf)?;
    let mut counters = kf.counters;
    if let Some(b) = &bound {
        counters = counters.max(b.item.counters());
    }
    let counters = counters.settled();
    let wait = policy.wait_before(counters.failed_attempts, counters.interrupted_attempts);
    let waited = waited_since(dir, counters, clock);
    if wait > waited {
        clock.sleep(wait - waited);
    }
    save_counters(
        dir,
        &mut kf,
        &mut bound,
        Counters {
            attempt_in_progress: true,
            ..counters
        },
    )?;

    let secret = bound.as_ref().map(|b| b.item.secret()).transpose()?;
    match unseal_data_key(&kf, pin, secret.as_deref())? {
        Some(key) => {
            save_counters(dir, &mut kf, &mut bound, Counters::default())?;
            restart_wait(dir, None, clock);
            if kf.binding == Binding::PinOnly {
                // Opportunistic: a store made where no keystore was reachable
                // (or by a version before keystores) is bound as soon as one
                // is. Failing leaves it as it was, which still opens.
                let _ = bind_to_keystore(dir, &kf, pin, &key, keystore_config);
            }
            Ok(key)
        }
        None => {
            let after = Counters {
                failed_attempts: counters.failed_attempts.saturating_add(1),
                ..counters
            };
            if after.failed_attempts >= policy.max_failed_attempts {
                restart_wait(dir, None, clock);
                // Best effort: failing to note the loss must not save the attacker the wipe.
                let _ = crate::losses::record_loss(dir);
                crate::wipe_dir(dir)?;
                return Err(StoreError::Wiped);
            }
            save_counters(dir, &mut kf, &mut bound, after)?;
            restart_wait(dir, Some(after), clock);
            Err(StoreError::WrongPin {
                attempts_left: policy.max_failed_attempts - after.failed_attempts,
                retry_after: policy.wait_before(after.failed_attempts, after.interrupted_attempts),
            })
        }
    }
}

/// Binds a PIN-only store to the keystore of `config`, if one is reachable:
/// a new device secret in a new item, and the data key resealed with it.
fn bind_to_keystore(
    dir: &Path,
    kf: &KeyFile,
    pin: &str,
    key: &[u8; 32],
    config: &Keystore,
) -> Result<()> {
    let (Some(slots), Keystore::Os { service }) = (keystore::open(config), config) else {
        return Ok(());
    };
    let store_id = if kf.store_id.is_empty() {
        crate::hex::encode(random::<16>()?.as_ref())
    } else {
        kf.store_id.clone()
    };
    let secret = random::<32>()?;
    let item = keystore::Item {
        device_secret: crate::hex::encode(secret.as_ref()),
        failed_attempts: 0,
        interrupted_attempts: 0,
        attempt_in_progress: false,
    };
    keystore::write_item(slots.as_ref(), &store_id, &item)?;
    let bound = seal_data_key(
        pin,
        key,
        kf.params,
        Binding::OsKeystore,
        &store_id,
        Some(service.clone()),
        Some(&secret),
    )?;
    write_key_file(dir, &bound).inspect_err(|_| {
        let _ = slots.delete(&store_id);
    })
}

/// Rewraps `key` under `new_pin` with a fresh salt, keeping the store's
/// binding and keystore item; the data itself is untouched.
pub(crate) fn rewrap(
    dir: &Path,
    key: &[u8; 32],
    new_pin: &str,
    params: KdfParams,
    policy: &PinPolicy,
) -> Result<()> {
    params.check()?;
    let _lock = lock_attempts(dir)?;
    let kf = read_key_file(dir)?.ok_or(StoreError::NoData)?;
    policy.check_new_pin(new_pin, kf.binding)?;
    let bound = bound_item(&kf)?;
    let secret = bound.as_ref().map(|b| b.item.secret()).transpose()?;
    let store_id = if kf.store_id.is_empty() {
        crate::hex::encode(random::<16>()?.as_ref())
    } else {
        kf.store_id.clone()
    };
    let new = seal_data_key(
        new_pin,
        key,
        params,
        kf.binding,
        &store_id,
        kf.keystore_service.clone(),
        secret.as_deref(),
    )?;
    write_key_file(dir, &new)
}

/// Deletes the keystore item of the store in `dir`, if it has one. Best
/// effort: the key file goes next, and without it the item opens nothing.
pub(crate) fn forget_keystore_item(dir: &Path) {
    if let Ok(Some(kf)) = read_key_file(dir) {
        if let (Binding::OsKeystore, Some(service)) = (kf.binding, kf.keystore_service) {
            if let Some(slots) = keystore::open(&Keystore::Os { service }) {
                let _ = slots.delete(&kf.store_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_from_the_base_and_stops_at_the_cap() {
        let p = PinPolicy::default();
        let secs: Vec<u64> = (0..12).map(|n| p.delay_after(n).as_secs()).collect();
        assert_eq!(secs, [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(p.delay_after(u32::MAX), p.max_delay);
    }

    #[test]
    fn interrupted_attempts_add_one_base_delay_each_and_stop_at_the_cap() {
        let p = PinPolicy::default();
        assert_eq!(p.wait_before(0, 0), Duration::ZERO);
        assert_eq!(p.wait_before(0, 10), Duration::from_secs(10));
        assert_eq!(p.wait_before(3, 2), Duration::from_secs(6));
        assert_eq!(p.wait_before(9, 100), p.max_delay);
    }

    #[test]
    fn a_pin_only_store_needs_a_passphrase_strong_on_its_own() {
        let strong = [
            "Hop-quy-IV-2026",
            "tháng Mười 2026!",
            "con mèo đen ngủ trên mái nhà",
            "Ab3$ef7&ij9(",
        ];
        for pin in strong {
            assert!(passphrase_is_strong(pin), "{pin:?} refused");
        }
        let weak = [
            "1357",
            "12345678901234567890",
            "password1234",
            "Aa1Aa1Aa1Aa1Aa1",
            "Password12",
            "one two three four",
            "aaaa bbbb cccc dddd eeee",
        ];
        for pin in weak {
            assert!(!passphrase_is_strong(pin), "{pin:?} accepted");
        }
    }

    #[test]
    fn params_below_the_owasp_floor_are_refused() {
        assert!(KdfParams {
            m_kib: 19 * 1024 - 1,
            t: 2,
            p: 1
        }
        .check()
        .is_err());
        assert!(KdfParams {
            m_kib: 19 * 1024,
            t: 1,
            p: 1
        }
        .check()
        .is_err());
        assert!(KdfParams::FLOOR.check().is_ok());
        assert!(KdfParams::DEFAULT.check().is_ok());
    }
}
