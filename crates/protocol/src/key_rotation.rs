//! Replacing the server's signing key without re-enrolling every device.
//!
//! A device pins the server's Ed25519 key at enrolment and refuses any feed
//! page that names another one. When an operator replaces the key
//! (`ecabinet-server rotate-signing-key`), the server records a
//! [`KeyRotation`]: "the key after `from_key` is `to_key`", signed with the
//! old key. Every feed page carries the whole chain of rotations, so a
//! device that was offline through one or several of them walks the chain
//! from the key it pinned to the key the page names, checking each link
//! with the key it already trusts ([`follow_rotations`]), and only then
//! pins the new key. A key named by no chain from the pinned key is refused
//! as before.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::manifest::{verify_signature, SignatureError};

/// Prefix of the signed bytes, so a rotation signature can never be taken
/// for a manifest's or a text layer's (the same key signs all three).
pub const KEY_ROTATION_DOMAIN: &[u8] = b"ecabinet-key-rotation-v1\n";

/// The most rotations a device follows in one chain: a deployment rotates
/// its key once in years, so a longer chain is a broken or hostile server.
pub const MAX_KEY_ROTATIONS: usize = 64;

/// One link of the chain: the key that follows `from_key`, signed by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeyRotation {
    /// Standard base64 of the retired raw 32-byte Ed25519 key.
    pub from_key: String,
    /// Standard base64 of the key that replaces it.
    pub to_key: String,
    /// When the rotation was made, unix milliseconds UTC.
    pub rotated_at: i64,
    /// Standard base64 of `from_key`'s signature over [`KeyRotation::canonical_bytes`].
    pub signature: String,
}

impl KeyRotation {
    /// `ecabinet-key-rotation-v1\n` and the compact JSON object with exactly
    /// the keys `from_key, to_key, rotated_at` in that order (built by hand,
    /// like the manifest's).
    pub fn canonical_bytes(from_key: &str, to_key: &str, rotated_at: i64) -> Vec<u8> {
        let s = |v: &str| serde_json::Value::String(v.to_owned()).to_string();
        let mut out = KEY_ROTATION_DOMAIN.to_vec();
        out.extend_from_slice(
            format!(
                "{{\"from_key\":{},\"to_key\":{},\"rotated_at\":{}}}",
                s(from_key),
                s(to_key),
                rotated_at
            )
            .as_bytes(),
        );
        out
    }

    /// Checks that `from_key` signed this link.
    pub fn verify(&self) -> Result<(), SignatureError> {
        let from = decode_key(&self.from_key).ok_or(SignatureError::BadPublicKey)?;
        decode_key(&self.to_key).ok_or(SignatureError::BadPublicKey)?;
        verify_signature(
            &from,
            &Self::canonical_bytes(&self.from_key, &self.to_key, self.rotated_at),
            &self.signature,
        )
    }
}

/// Why a device did not move from its pinned key to the one a server names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    #[error("no chain of key rotations leads from the pinned key to the server's key")]
    NoChain,
    #[error("a key rotation from the pinned chain is not signed by the key it retires: {0}")]
    BadLink(SignatureError),
    #[error("the server sent more than {MAX_KEY_ROTATIONS} key rotations")]
    TooMany,
}

/// The keys a device passes through on its way from `pinned` to `target`
/// (both raw 32 bytes): `Ok(vec![])` when they are the same key, else the
/// keys after `pinned` in order, the last one `target`. Each link is taken
/// only when the key before it signed it; a link that no trusted key
/// signed is never followed, whatever else the chain holds.
pub fn follow_rotations(
    pinned: &[u8],
    rotations: &[KeyRotation],
    target: &[u8],
) -> Result<Vec<Vec<u8>>, RotationError> {
    if rotations.len() > MAX_KEY_ROTATIONS {
        return Err(RotationError::TooMany);
    }
    let mut path = Vec::new();
    let mut at = pinned.to_vec();
    while at != target {
        if path.len() >= rotations.len() {
            // Every link was used once: a cycle, or no way on.
            return Err(RotationError::NoChain);
        }
        let here = BASE64.encode(&at);
        // A key is retired once; a server offering two successors of one key
        // is not a chain.
        let mut next = rotations.iter().filter(|r| r.from_key == here);
        let link = next.next().ok_or(RotationError::NoChain)?;
        if next.next().is_some() {
            return Err(RotationError::NoChain);
        }
        link.verify().map_err(RotationError::BadLink)?;
        at =
            decode_key(&link.to_key).ok_or(RotationError::BadLink(SignatureError::BadPublicKey))?;
        path.push(at.clone());
    }
    Ok(path)
}

fn decode_key(b64: &str) -> Option<Vec<u8>> {
    BASE64.decode(b64).ok().filter(|k| k.len() == 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn key() -> Ed25519KeyPair {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("keygen");
        Ed25519KeyPair::from_pkcs8(doc.as_ref()).expect("parse")
    }

    fn b64(k: &Ed25519KeyPair) -> String {
        BASE64.encode(k.public_key().as_ref())
    }

    /// `signer` signs "after `from` comes `to`".
    fn link(signer: &Ed25519KeyPair, from: &Ed25519KeyPair, to: &Ed25519KeyPair) -> KeyRotation {
        let (f, t) = (b64(from), b64(to));
        let at = 1_800_000_000_000;
        KeyRotation {
            signature: BASE64.encode(
                signer
                    .sign(&KeyRotation::canonical_bytes(&f, &t, at))
                    .as_ref(),
            ),
            from_key: f,
            to_key: t,
            rotated_at: at,
        }
    }

    fn raw(k: &Ed25519KeyPair) -> Vec<u8> {
        k.public_key().as_ref().to_vec()
    }

    #[test]
    fn canonical_bytes_are_the_documented_ones() {
        assert_eq!(
            String::from_utf8(KeyRotation::canonical_bytes("QQ==", "Qg==", 7)).expect("utf8"),
            "ecabinet-key-rotation-v1\n{\"from_key\":\"QQ==\",\"to_key\":\"Qg==\",\"rotated_at\":7}"
        );
    }

    #[test]
    fn a_device_follows_two_rotations_it_missed_in_any_order_they_come() {
        let (a, b, c) = (key(), key(), key());
        let chain = vec![link(&b, &b, &c), link(&a, &a, &b)];
        assert_eq!(
            follow_rotations(&raw(&a), &chain, &raw(&c)),
            Ok(vec![raw(&b), raw(&c)])
        );
        // From the middle, or already there.
        assert_eq!(
            follow_rotations(&raw(&b), &chain, &raw(&c)),
            Ok(vec![raw(&c)])
        );
        assert_eq!(follow_rotations(&raw(&c), &chain, &raw(&c)), Ok(vec![]));
    }

    #[test]
    fn a_link_not_signed_by_the_retired_key_is_refused() {
        let (a, b, attacker) = (key(), key(), key());
        // The attacker names their own key as a's successor and signs it themselves.
        let forged = vec![link(&attacker, &a, &attacker)];
        assert!(matches!(
            follow_rotations(&raw(&a), &forged, &raw(&attacker)),
            Err(RotationError::BadLink(SignatureError::Mismatch))
        ));
        // A genuine link with its target changed afterwards.
        let mut changed = link(&a, &a, &b);
        changed.to_key = b64(&attacker);
        assert!(matches!(
            follow_rotations(&raw(&a), &[changed], &raw(&attacker)),
            Err(RotationError::BadLink(_))
        ));
        // A genuine link with its time changed.
        let mut retimed = link(&a, &a, &b);
        retimed.rotated_at += 1;
        assert!(follow_rotations(&raw(&a), &[retimed], &raw(&b)).is_err());
    }

    #[test]
    fn a_key_no_chain_reaches_is_refused() {
        let (a, b, c, d) = (key(), key(), key(), key());
        // b → c is genuine, but nothing links a to b.
        assert_eq!(
            follow_rotations(&raw(&a), &[link(&b, &b, &c)], &raw(&c)),
            Err(RotationError::NoChain)
        );
        // No rotations at all, another key.
        assert_eq!(
            follow_rotations(&raw(&a), &[], &raw(&d)),
            Err(RotationError::NoChain)
        );
        // A chain that runs past the target's side: a → b, but the page names d.
        assert_eq!(
            follow_rotations(&raw(&a), &[link(&a, &a, &b)], &raw(&d)),
            Err(RotationError::NoChain)
        );
    }

    #[test]
    fn cycles_forks_and_endless_chains_end_in_a_refusal() {
        let (a, b, c) = (key(), key(), key());
        // a → b → a: the device never reaches c and stops.
        let cycle = vec![link(&a, &a, &b), link(&b, &b, &a)];
        assert_eq!(
            follow_rotations(&raw(&a), &cycle, &raw(&c)),
            Err(RotationError::NoChain)
        );
        // Two successors of a (both genuinely signed): not a chain.
        let fork = vec![link(&a, &a, &b), link(&a, &a, &c)];
        assert_eq!(
            follow_rotations(&raw(&a), &fork, &raw(&c)),
            Err(RotationError::NoChain)
        );
        let many = vec![link(&a, &a, &b); MAX_KEY_ROTATIONS + 1];
        assert_eq!(
            follow_rotations(&raw(&a), &many, &raw(&b)),
            Err(RotationError::TooMany)
        );
    }

    #[test]
    fn a_rotation_signature_is_not_a_manifest_signature() {
        let a = key();
        let m = crate::Manifest {
            doc_id: "d".into(),
            version: 1,
            sha256: "ab".repeat(32),
            size: 1,
            meeting_id: "m".into(),
            published_at: 1,
            policy: None,
            signed_at: None,
        };
        let manifest_sig = BASE64.encode(a.sign(&m.canonical_bytes()).as_ref());
        let r = KeyRotation {
            from_key: b64(&a),
            to_key: b64(&key()),
            rotated_at: 1,
            signature: manifest_sig,
        };
        assert_eq!(r.verify(), Err(SignatureError::Mismatch));
    }
}
