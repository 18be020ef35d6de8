//! The signed manifest of a document version and its one canonical encoding.
//!
//! The server signs, the client verifies, and both call [`Manifest::canonical_bytes`]
//! so the two sides can never disagree about which bytes were signed.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ring::signature::{UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

/// Prefix of the signed bytes, so a manifest signature can never be replayed
/// as a signature over any other kind of message (and vice versa).
pub const MANIFEST_DOMAIN: &[u8] = b"ecabinet-manifest-v1\n";

/// Prefix of the signed bytes of a manifest that carries a [`DocumentPolicy`].
pub const MANIFEST_V2_DOMAIN: &[u8] = b"ecabinet-manifest-v2\n";

/// How copies leave a device: exported or printed.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ExportPolicy {
    /// A copy may be exported as it is.
    #[default]
    Allowed,
    /// A copy carries the reader's watermark on every page.
    Watermarked,
    /// No copy leaves the app; it is read in the viewer only.
    Forbidden,
}

impl ExportPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportPolicy::Allowed => "allowed",
            ExportPolicy::Watermarked => "watermarked",
            ExportPolicy::Forbidden => "forbidden",
        }
    }

    pub fn parse(s: &str) -> Option<ExportPolicy> {
        [
            ExportPolicy::Allowed,
            ExportPolicy::Watermarked,
            ExportPolicy::Forbidden,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// A document's classification under the law on state secrets: normal
/// (thường), confidential (mật), secret (tối mật) or top secret (tuyệt mật).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    #[default]
    Normal,
    Confidential,
    Secret,
    TopSecret,
}

impl Classification {
    pub const ALL: [Classification; 4] = [
        Classification::Normal,
        Classification::Confidential,
        Classification::Secret,
        Classification::TopSecret,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Normal => "normal",
            Classification::Confidential => "confidential",
            Classification::Secret => "secret",
            Classification::TopSecret => "top_secret",
        }
    }

    /// The Vietnamese name, as stamped on the paper.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Classification::Normal => "Thường",
            Classification::Confidential => "Mật",
            Classification::Secret => "Tối mật",
            Classification::TopSecret => "Tuyệt mật",
        }
    }

    pub fn parse(s: &str) -> Option<Classification> {
        Classification::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Anything but normal: kept off devices' caches, never exported.
    pub fn is_classified(self) -> bool {
        self != Classification::Normal
    }
}

/// What the secretary decided for a document's readers, signed with each
/// of its versions so a device cannot be talked out of it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct DocumentPolicy {
    /// Every page the app shows carries the reader's name, unit and the time.
    pub reader_watermark: bool,
    pub export: ExportPolicy,
    /// Absent from older servers: normal.
    #[serde(default)]
    pub classification: Classification,
}

impl DocumentPolicy {
    /// Whether no copy may leave the app (export, print, a page image to a
    /// file): the export policy says so, or the document is classified.
    pub fn copies_forbidden(&self) -> bool {
        self.export == ExportPolicy::Forbidden || self.classification.is_classified()
    }

    /// Whether a copy leaving the device must carry the reader's watermark.
    pub fn export_watermarked(&self) -> bool {
        self.reader_watermark || self.export == ExportPolicy::Watermarked
    }
}

/// What the server vouches for when it publishes a document version.
///
/// `published_at` is unix time in milliseconds (UTC), like every time on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Manifest {
    pub doc_id: String,
    pub version: u32,
    /// Lower-case hex SHA-256 of the PDF bytes.
    pub sha256: String,
    /// Size of the PDF in bytes.
    pub size: u64,
    pub meeting_id: String,
    pub published_at: i64,
    /// The document's policy when it was signed. Absent from manifests
    /// signed before policies existed (they mean [`DocumentPolicy::default`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<DocumentPolicy>,
    /// When the server signed this statement (unix ms; signed in the
    /// second form only): a device refuses a statement about a version
    /// older than the one it verified, so a replayed record cannot bring
    /// back a looser policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<i64>,
}

impl Manifest {
    /// The policy this manifest signs (the default for an older manifest).
    pub fn policy(&self) -> DocumentPolicy {
        self.policy.unwrap_or_default()
    }

    /// The canonical encoding, the bytes that are signed:
    ///
    /// `ecabinet-manifest-v1\n` followed by the compact JSON object with exactly
    /// the keys `doc_id, version, sha256, size, meeting_id, published_at` in that
    /// order, no whitespace, integers in decimal, strings escaped as JSON requires
    /// (the ids and the hash are ASCII, so in practice no escapes occur).
    ///
    /// With a policy: `ecabinet-manifest-v2\n` and the same object followed
    /// by the keys `reader_watermark` (`true`/`false`), `export`
    /// (`"allowed"`, `"watermarked"` or `"forbidden"`), `classification`
    /// (`"normal"`, `"confidential"`, `"secret"` or `"top_secret"`) and
    /// `signed_at` (an integer, 0 when absent).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Built by hand rather than through serde so the field order and the
        // formatting are fixed here, independent of struct layout or serializer options.
        let s = |v: &str| serde_json::Value::String(v.to_owned()).to_string();
        let mut json = format!(
            "{{\"doc_id\":{},\"version\":{},\"sha256\":{},\"size\":{},\"meeting_id\":{},\"published_at\":{}",
            s(&self.doc_id),
            self.version,
            s(&self.sha256),
            self.size,
            s(&self.meeting_id),
            self.published_at
        );
        let mut out = match &self.policy {
            None => MANIFEST_DOMAIN.to_vec(),
            Some(p) => {
                json.push_str(&format!(
                    ",\"reader_watermark\":{},\"export\":{},\"classification\":{},\"signed_at\":{}",
                    p.reader_watermark,
                    s(p.export.as_str()),
                    s(p.classification.as_str()),
                    self.signed_at.unwrap_or(0)
                ));
                MANIFEST_V2_DOMAIN.to_vec()
            }
        };
        json.push('}');
        out.extend_from_slice(json.as_bytes());
        out
    }
}

/// A manifest with the server's Ed25519 signature over its canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedManifest {
    pub manifest: Manifest,
    /// Standard base64 (with padding) of the 64-byte Ed25519 signature.
    pub signature: String,
}

/// Why a manifest signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the server public key is not valid base64 of 32 bytes")]
    BadPublicKey,
    #[error("the signature is not valid base64")]
    BadSignatureEncoding,
    #[error("the signature does not match the manifest")]
    Mismatch,
}

impl SignedManifest {
    /// Checks the signature against the pinned server key (base64 of the raw
    /// 32-byte Ed25519 public key, as returned at enrolment).
    pub fn verify(&self, server_public_key_b64: &str) -> Result<(), SignatureError> {
        let key = BASE64
            .decode(server_public_key_b64)
            .map_err(|_| SignatureError::BadPublicKey)?;
        if key.len() != 32 {
            return Err(SignatureError::BadPublicKey);
        }
        verify_signature(&key, &self.manifest.canonical_bytes(), &self.signature)
    }
}

/// Verifies a base64 Ed25519 signature over `message` with a raw 32-byte public key.
pub fn verify_signature(
    public_key: &[u8],
    message: &[u8],
    signature_b64: &str,
) -> Result<(), SignatureError> {
    let sig = BASE64
        .decode(signature_b64)
        .map_err(|_| SignatureError::BadSignatureEncoding)?;
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(message, &sig)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn manifest() -> Manifest {
        Manifest {
            doc_id: "d1".into(),
            version: 2,
            sha256: "ab".repeat(32),
            size: 1234,
            meeting_id: "m1".into(),
            published_at: 1_700_000_000_000,
            policy: None,
            signed_at: None,
        }
    }

    #[test]
    fn a_policy_is_signed_and_cannot_be_changed_or_dropped() {
        let mut m = manifest();
        m.policy = Some(DocumentPolicy {
            reader_watermark: true,
            export: ExportPolicy::Forbidden,
            classification: Classification::Secret,
        });
        m.signed_at = Some(1_700_000_000_500);
        let bytes = String::from_utf8(m.canonical_bytes()).expect("utf8");
        assert_eq!(
            bytes,
            format!(
                "ecabinet-manifest-v2\n{{\"doc_id\":\"d1\",\"version\":2,\"sha256\":\"{}\",\"size\":1234,\"meeting_id\":\"m1\",\"published_at\":1700000000000,\"reader_watermark\":true,\"export\":\"forbidden\",\"classification\":\"secret\",\"signed_at\":1700000000500}}",
                "ab".repeat(32)
            )
        );
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("keygen");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse");
        let public = BASE64.encode(pair.public_key().as_ref());
        let signed = SignedManifest {
            signature: BASE64.encode(pair.sign(&m.canonical_bytes()).as_ref()),
            manifest: m,
        };
        assert_eq!(signed.verify(&public), Ok(()));
        let mut retimed = signed.clone();
        retimed.manifest.signed_at = Some(1);
        assert_eq!(retimed.verify(&public), Err(SignatureError::Mismatch));
        for changed in [
            Some(DocumentPolicy {
                reader_watermark: false,
                export: ExportPolicy::Forbidden,
                classification: Classification::Secret,
            }),
            Some(DocumentPolicy {
                reader_watermark: true,
                export: ExportPolicy::Allowed,
                classification: Classification::Secret,
            }),
            Some(DocumentPolicy {
                reader_watermark: true,
                export: ExportPolicy::Forbidden,
                classification: Classification::Normal,
            }),
            None,
        ] {
            let mut other = signed.clone();
            other.manifest.policy = changed;
            assert_eq!(
                other.verify(&public),
                Err(SignatureError::Mismatch),
                "{changed:?}"
            );
        }
    }

    #[test]
    fn canonical_bytes_are_the_documented_ones() {
        let bytes = manifest().canonical_bytes();
        let expected = format!(
            "ecabinet-manifest-v1\n{{\"doc_id\":\"d1\",\"version\":2,\"sha256\":\"{}\",\"size\":1234,\"meeting_id\":\"m1\",\"published_at\":1700000000000}}",
            "ab".repeat(32)
        );
        assert_eq!(String::from_utf8(bytes).expect("utf8"), expected);
    }

    #[test]
    fn a_signed_manifest_verifies_and_any_change_breaks_it() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("keygen");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse");
        let public = BASE64.encode(pair.public_key().as_ref());
        let m = manifest();
        let signed = SignedManifest {
            signature: BASE64.encode(pair.sign(&m.canonical_bytes()).as_ref()),
            manifest: m,
        };
        assert_eq!(signed.verify(&public), Ok(()));

        let mut tampered = signed.clone();
        tampered.manifest.size += 1;
        assert_eq!(tampered.verify(&public), Err(SignatureError::Mismatch));

        let other = Ed25519KeyPair::generate_pkcs8(&rng).expect("keygen");
        let other = Ed25519KeyPair::from_pkcs8(other.as_ref()).expect("parse");
        let other_public = BASE64.encode(other.public_key().as_ref());
        assert_eq!(signed.verify(&other_public), Err(SignatureError::Mismatch));
        assert_eq!(
            signed.verify("not base64!"),
            Err(SignatureError::BadPublicKey)
        );
    }
}
