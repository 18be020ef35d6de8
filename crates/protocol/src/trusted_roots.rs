//! The root certificates a deployment trusts for the signatures embedded
//! in documents (its government CA's roots; nothing is built in). An
//! administrator sets them on the server; every device keeps a copy to
//! check signatures offline. The list is signed with the server's key, like
//! manifests, so it cannot be swapped on the way or in a mirror, and it is
//! dated, so an older list cannot be replayed over a newer one.

use serde::{Deserialize, Serialize};

use crate::manifest::{verify_signature, SignatureError};

/// Prefix of the signed bytes (the same key signs manifests and text layers).
pub const TRUSTED_ROOTS_DOMAIN: &[u8] = b"ecabinet-trusted-roots-v1\n";

/// Largest PEM text of trusted roots the server accepts.
pub const MAX_TRUSTED_ROOTS_PEM: usize = 256 * 1024;

/// The roots, as set by the administrator, signed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedTrustedRoots {
    /// PEM certificates, in the order the administrator gave them. Empty:
    /// no root is trusted.
    pub pem: String,
    /// When the administrator set them, unix milliseconds UTC (strictly
    /// increasing from one list to the next).
    pub updated_at: i64,
    /// Standard base64 of the server key's signature over
    /// [`SignedTrustedRoots::canonical_bytes`].
    pub signature: String,
}

impl SignedTrustedRoots {
    /// `ecabinet-trusted-roots-v1\n` and the compact JSON object with exactly
    /// the keys `pem, updated_at` in that order.
    pub fn canonical_bytes(pem: &str, updated_at: i64) -> Vec<u8> {
        let mut out = TRUSTED_ROOTS_DOMAIN.to_vec();
        let pem = serde_json::Value::String(pem.to_owned()).to_string();
        out.extend_from_slice(format!("{{\"pem\":{pem},\"updated_at\":{updated_at}}}").as_bytes());
        out
    }

    /// Checks the server's signature (`key`: the pinned raw 32-byte key).
    pub fn verify(&self, key: &[u8]) -> Result<(), SignatureError> {
        if key.len() != 32 {
            return Err(SignatureError::BadPublicKey);
        }
        verify_signature(
            key,
            &Self::canonical_bytes(&self.pem, self.updated_at),
            &self.signature,
        )
    }
}

/// `PUT /v1/admin/trusted-roots` (admin): replaces the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SetTrustedRootsRequest {
    /// PEM text with one `CERTIFICATE` block per root, and the CAs'
    /// revocation lists as `X509 CRL` blocks; empty to trust none.
    pub pem: String,
}

/// One trusted root, described for the administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrustedRootInfo {
    /// Common name and organisation from the certificate.
    pub name: Option<String>,
    pub organisation: Option<String>,
    /// End of its validity, unix seconds UTC.
    pub not_after: i64,
    /// SHA-256 of the certificate, lower-case hex.
    pub sha256: String,
}

/// `GET`/`PUT /v1/admin/trusted-roots`: the list and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrustedRootsView {
    pub roots: Vec<TrustedRootInfo>,
    /// How many CA revocation lists (`X509 CRL` blocks) the text holds
    /// beside the roots.
    #[serde(default)]
    pub revocation_lists: u32,
    /// When the list was last set, unix milliseconds UTC; absent if never.
    pub updated_at: Option<i64>,
}

/// `POST /v1/admin/users/{user_id}/signing-certificates` (admin): a
/// certificate of the member's signing token, registered to them. A ballot
/// signed with a token counts only with a certificate registered to the
/// member who cast it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RegisterSigningCertificateRequest {
    /// One PEM `CERTIFICATE` block (the `.pem`/`.crt` exported from the
    /// token or issued by the CA).
    pub pem: String,
}

/// A signing certificate registered to a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SigningCertificateInfo {
    /// SHA-256 of the certificate, lower-case hex.
    pub sha256: String,
    /// Common name and organisation of its subject.
    pub name: Option<String>,
    pub organisation: Option<String>,
    /// End of its validity, unix seconds UTC.
    pub not_after: i64,
    /// When it was registered, unix milliseconds UTC.
    pub registered_at: i64,
}

/// Longest PEM text of one registered signing certificate.
pub const MAX_SIGNING_CERTIFICATE_PEM: usize = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine as _;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    #[test]
    fn a_signed_list_verifies_and_any_change_is_refused() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
        let key = pair.public_key().as_ref().to_vec();
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let signed = SignedTrustedRoots {
            pem: pem.into(),
            updated_at: 5,
            signature: BASE64.encode(
                pair.sign(&SignedTrustedRoots::canonical_bytes(pem, 5))
                    .as_ref(),
            ),
        };
        signed.verify(&key).expect("valid");
        let later = SignedTrustedRoots {
            updated_at: 6,
            ..signed.clone()
        };
        assert_eq!(later.verify(&key), Err(SignatureError::Mismatch));
        let other = SignedTrustedRoots {
            pem: format!("{pem}{pem}"),
            ..signed.clone()
        };
        assert_eq!(other.verify(&key), Err(SignatureError::Mismatch));
        assert_eq!(
            String::from_utf8(SignedTrustedRoots::canonical_bytes("a\"b", 7)).expect("utf-8"),
            "ecabinet-trusted-roots-v1\n{\"pem\":\"a\\\"b\",\"updated_at\":7}"
        );
    }
}
