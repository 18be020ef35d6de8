//! The key hierarchy: PIN → Argon2id → key-encryption key → wrapped data key.
//!
//! The key file holds no secret in clear: the salt, the Argon2id parameters,
//! the data key sealed with AES-256-GCM under the PIN-derived key, and the
//! wrong-PIN bookkeeping (counter and the earliest time of the next attempt).

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{io_err, Result, StoreError};
use crate::fsutil;

/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "keys.json";
const KEY_FILE_TMP: &str = "keys.json.tmp";
const KEY_FILE_FORMAT: u32 = 1;
const WRAP_AAD_PREFIX: &[u8] = b"ecabinet-store-keyfile-v1";

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
    /// The default: 64 MiB, 3 passes, 1 lane. Unlock (`Store::open`) measured
    /// 0.28–0.42 s on the 2-core reference machine under load (bench `cache`).
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
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

/// The source of "now" for the wrong-PIN delay, injected so tests need not sleep.
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The 256-bit key that keys SQLCipher and, through HKDF, the blob cipher.
pub(crate) type DataKey = Zeroizing<[u8; 32]>;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyFile {
    format: u32,
    kdf: String,
    params: KdfParams,
    salt: String,
    nonce: String,
    wrapped_key: String,
    failed_attempts: u32,
    /// Unix milliseconds before which no attempt is accepted.
    next_attempt_at_ms: u64,
}

/// Rules for wrong PINs, part of [`crate::StoreConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinPolicy {
    /// Minimum PIN length in characters.
    pub min_len: usize,
    /// After this many consecutive wrong PINs the store wipes itself.
    pub max_failed_attempts: u32,
    /// Delay after the first wrong PIN; it doubles with each further one.
    pub base_delay: Duration,
    /// Upper bound of the delay.
    pub max_delay: Duration,
}

impl Default for PinPolicy {
    fn default() -> Self {
        PinPolicy {
            min_len: 4,
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
}

/// What [`crate::Store::state`] reports about a data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreState {
    /// Nothing stored (never enrolled, or wiped): enrol again.
    NoData,
    /// A store exists and needs the PIN.
    Locked {
        /// Consecutive wrong PINs so far.
        failed_attempts: u32,
        /// How long until the next attempt is accepted (zero: now).
        retry_after: Duration,
    },
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn hex_decode(s: &str, what: &'static str) -> Result<Vec<u8>> {
    crate::hex::decode(s).ok_or(StoreError::KeyFileCorrupt(what))
}

fn derive_kek(pin: &str, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let p = argon2::Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| StoreError::WeakKdfParams("rejected by Argon2"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .map_err(|_| StoreError::Crypto("argon2"))?;
    Ok(out)
}

fn wrap_aad(kf_salt: &[u8], params: KdfParams) -> Vec<u8> {
    // Binding salt and parameters means an edited key file fails to unwrap
    // instead of silently deriving with cheaper parameters.
    let mut aad = WRAP_AAD_PREFIX.to_vec();
    aad.extend_from_slice(kf_salt);
    for v in [params.m_kib, params.t, params.p] {
        aad.extend_from_slice(&v.to_be_bytes());
    }
    aad
}

fn seal_data_key(pin: &str, key: &[u8; 32], params: KdfParams) -> Result<KeyFile> {
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rng.fill(&mut salt).map_err(|_| StoreError::Crypto("rng"))?;
    rng.fill(&mut nonce)
        .map_err(|_| StoreError::Crypto("rng"))?;
    let kek = derive_kek(pin, &salt, params)?;
    let sealing = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, kek.as_ref()).map_err(|_| StoreError::Crypto("aes key"))?,
    );
    let mut buf = key.to_vec();
    sealing
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(wrap_aad(&salt, params)),
            &mut buf,
        )
        .map_err(|_| StoreError::Crypto("seal"))?;
    Ok(KeyFile {
        format: KEY_FILE_FORMAT,
        kdf: "argon2id".into(),
        params,
        salt: crate::hex::encode(&salt),
        nonce: crate::hex::encode(&nonce),
        wrapped_key: crate::hex::encode(&buf),
        failed_attempts: 0,
        next_attempt_at_ms: 0,
    })
}

fn unseal_data_key(kf: &KeyFile, pin: &str) -> Result<Option<DataKey>> {
    let salt = hex_decode(&kf.salt, "salt")?;
    let nonce: [u8; 12] = hex_decode(&kf.nonce, "nonce")?
        .try_into()
        .map_err(|_| StoreError::KeyFileCorrupt("nonce length"))?;
    let mut buf = hex_decode(&kf.wrapped_key, "wrapped key")?;
    let kek = derive_kek(pin, &salt, kf.params)?;
    let opening = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, kek.as_ref()).map_err(|_| StoreError::Crypto("aes key"))?,
    );
    let opened = opening.open_in_place(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(wrap_aad(&salt, kf.params)),
        &mut buf,
    );
    let result = match opened {
        Ok(plain) if plain.len() == 32 => {
            let mut key = Zeroizing::new([0u8; 32]);
            key.copy_from_slice(plain);
            Some(key)
        }
        Ok(_) => return Err(StoreError::KeyFileCorrupt("wrapped key length")),
        Err(ring::error::Unspecified) => None,
    };
    zeroize::Zeroize::zeroize(&mut buf);
    Ok(result)
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
    if kf.format != KEY_FILE_FORMAT || kf.kdf != "argon2id" {
        return Err(StoreError::KeyFileCorrupt("unknown format"));
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

/// Creates a fresh random data key and writes its key file. Fails if one exists.
pub(crate) fn create(
    dir: &Path,
    pin: &str,
    params: KdfParams,
    policy: &PinPolicy,
) -> Result<DataKey> {
    params.check()?;
    check_pin(pin, policy)?;
    if key_file_exists(dir) {
        return Err(StoreError::AlreadyExists(dir.to_path_buf()));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    SystemRandom::new()
        .fill(key.as_mut())
        .map_err(|_| StoreError::Crypto("rng"))?;
    let kf = seal_data_key(pin, &key, params)?;
    write_key_file(dir, &kf)?;
    Ok(key)
}

fn check_pin(pin: &str, policy: &PinPolicy) -> Result<()> {
    if pin.chars().count() < policy.min_len {
        return Err(StoreError::PinTooShort {
            min_len: policy.min_len,
        });
    }
    Ok(())
}

pub(crate) fn state(dir: &Path, now: SystemTime) -> Result<StoreState> {
    match read_key_file(dir)? {
        None => Ok(StoreState::NoData),
        Some(kf) => Ok(StoreState::Locked {
            failed_attempts: kf.failed_attempts,
            retry_after: Duration::from_millis(kf.next_attempt_at_ms.saturating_sub(unix_ms(now))),
        }),
    }
}

/// Checks the PIN under the attempt rules and returns the data key.
///
/// The attempt is counted in the key file *before* the PIN is checked and
/// cleared after success, so killing the process mid-check cannot be used to
/// try PINs without the delay.
pub(crate) fn unlock(
    dir: &Path,
    pin: &str,
    policy: &PinPolicy,
    clock: &dyn Clock,
) -> Result<DataKey> {
    let Some(mut kf) = read_key_file(dir)? else {
        return Err(StoreError::NoData);
    };
    let now = unix_ms(clock.now());
    if now < kf.next_attempt_at_ms {
        return Err(StoreError::Locked {
            retry_after: Duration::from_millis(kf.next_attempt_at_ms - now),
        });
    }
    let failures = kf.failed_attempts.saturating_add(1);
    let delay = policy.delay_after(failures);
    kf.failed_attempts = failures;
    kf.next_attempt_at_ms = now.saturating_add(delay.as_millis() as u64);
    write_key_file(dir, &kf)?;

    match unseal_data_key(&kf, pin)? {
        Some(key) => {
            kf.failed_attempts = 0;
            kf.next_attempt_at_ms = 0;
            write_key_file(dir, &kf)?;
            Ok(key)
        }
        None if failures >= policy.max_failed_attempts => {
            crate::wipe_dir(dir)?;
            Err(StoreError::Wiped)
        }
        None => Err(StoreError::WrongPin {
            attempts_left: policy.max_failed_attempts - failures,
            retry_after: delay,
        }),
    }
}

/// Rewraps `key` under `new_pin` with a fresh salt; the data itself is untouched.
pub(crate) fn rewrap(
    dir: &Path,
    key: &[u8; 32],
    new_pin: &str,
    params: KdfParams,
    policy: &PinPolicy,
) -> Result<()> {
    params.check()?;
    check_pin(new_pin, policy)?;
    let kf = seal_data_key(new_pin, key, params)?;
    write_key_file(dir, &kf)
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
