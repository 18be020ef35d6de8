//! Password stretching and AES-256-GCM key wrapping, shared by the store's
//! key file (the data key under the PIN) and the sync client's annotation
//! key (under the password). One Argon2id call and one seal/open pair, so
//! the two cannot drift apart in algorithm, version or output length.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::{KdfParams, StoreError};

/// Argon2id (version 0x13) of `secret` with `salt` and `params`: a 32-byte
/// key. Parameters Argon2 itself rejects give [`StoreError::WeakKdfParams`];
/// the caller checks its own floor and ceiling first. The lanes are filled
/// on as many threads as there are cores (the same result as one thread),
/// on rayon's global pool: its threads start at the first call and then
/// wait idle.
pub fn stretch(
    secret: &str,
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, StoreError> {
    let p = argon2_lanes::Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| StoreError::WeakKdfParams("rejected by Argon2"))?;
    let mut out = Zeroizing::new([0u8; 32]);
    argon2_lanes::Argon2::new(
        argon2_lanes::Algorithm::Argon2id,
        argon2_lanes::Version::V0x13,
        p,
    )
    .hash_password_into(secret.as_bytes(), salt, out.as_mut())
    .map_err(|_| StoreError::Crypto("argon2"))?;
    Ok(out)
}

/// `N` bytes from the system's random generator.
pub fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, StoreError> {
    let mut out = Zeroizing::new([0u8; N]);
    SystemRandom::new()
        .fill(out.as_mut())
        .map_err(|_| StoreError::Crypto("rng"))?;
    Ok(out)
}

/// Seals `plain` under `key` with `aad` and a fresh random nonce; returns
/// the nonce and the ciphertext with its tag. Random nonces are safe here:
/// each key seals far fewer than 2^32 messages.
pub fn seal(
    key: &LessSafeKey,
    aad: &[u8],
    plain: &[u8],
) -> Result<([u8; 12], Vec<u8>), StoreError> {
    let nonce = *random::<12>()?;
    let mut buf = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut buf,
    )
    .map_err(|_| StoreError::Crypto("seal"))?;
    Ok((nonce, buf))
}

/// Opens what [`seal`] made; `None` when the key, the associated data or
/// the bytes are not the ones sealed (a wrong password, or tampering).
pub fn open(
    key: &LessSafeKey,
    aad: &[u8],
    nonce: [u8; 12],
    sealed: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(sealed.to_vec());
    let n = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            buf.as_mut_slice(),
        )
        .ok()?
        .len();
    buf.truncate(n);
    Some(buf)
}

/// An AES-256-GCM key from 32 raw bytes.
pub fn aes_key(bytes: &[u8]) -> Result<LessSafeKey, StoreError> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .map(LessSafeKey::new)
        .map_err(|_| StoreError::Crypto("aes key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams {
        m_kib: 256,
        t: 1,
        p: 1,
    };

    fn key_for(password: &str, salt: &[u8]) -> LessSafeKey {
        aes_key(stretch(password, salt, CHEAP).expect("stretch").as_ref()).expect("key")
    }

    #[test]
    fn a_sealed_key_opens_only_with_the_same_password_salt_and_aad() {
        let salt = [7u8; 16];
        let kek = key_for("mật khẩu", &salt);
        let (nonce, sealed) = seal(&kek, b"user-1", b"the data key").expect("seal");
        assert_eq!(
            open(&kek, b"user-1", nonce, &sealed)
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"the data key"[..])
        );
        assert!(open(&kek, b"user-2", nonce, &sealed).is_none(), "other aad");
        let wrong = key_for("mat khau", &salt);
        assert!(
            open(&wrong, b"user-1", nonce, &sealed).is_none(),
            "other password"
        );
        let other_salt = key_for("mật khẩu", &[8u8; 16]);
        assert!(
            open(&other_salt, b"user-1", nonce, &sealed).is_none(),
            "other salt"
        );
        let mut flipped = sealed.clone();
        flipped[0] ^= 1;
        assert!(open(&kek, b"user-1", nonce, &flipped).is_none(), "tampered");
    }

    #[test]
    fn stretching_gives_what_the_reference_implementation_gives_for_every_lane_count() {
        // Expected keys from the Argon2 reference C implementation (through
        // the argon2-cffi package), not from this code: key files and
        // wrapped keys made with one lane keep opening now that lanes run in
        // parallel, and several lanes give the standard result.
        let salt: Vec<u8> = (0u8..16).collect();
        for (lanes, expected) in [
            (
                1,
                "c8fa4438a9a3a0d8fa4547bff90291dc8eb77770a9928455152beba8ab3814db",
            ),
            (
                2,
                "5a172a7c1ed804224f77bd7f9dcdcceba736dfd2801ba747e0870c7ddbd3412d",
            ),
            (
                4,
                "c852733ec58e0da37382fdbfac2737c3e2c0d0b884e7fc4b839bec48b2a5fc2c",
            ),
        ] {
            let params = KdfParams {
                p: lanes,
                ..KdfParams::FLOOR
            };
            let key = stretch("123456", &salt, params).expect("stretch");
            assert_eq!(crate::hex::encode(key.as_ref()), expected, "{lanes} lanes");
        }
    }

    #[test]
    fn argon2_rejects_parameters_it_cannot_run() {
        let bad = KdfParams {
            m_kib: 1,
            t: 0,
            p: 0,
        };
        assert!(matches!(
            stretch("x", &[0u8; 16], bad),
            Err(StoreError::WeakKdfParams(_))
        ));
    }
}
