//! Searchable scans: the words OCR reads on a document version's image-only
//! pages (a scanned, signed original), and the server's signature binding
//! them to that version's PDF.
//!
//! The server reads the words after upload (Tesseract, Vietnamese model),
//! stores them as a blob of their own and signs a [`TextLayerManifest`] with
//! the same key as the version's manifest; a device takes the words only
//! when that signature holds under the pinned key and the blob's hash is the
//! signed one, so a text layer can no more be forged than a document.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::manifest::{verify_signature, SignatureError};

/// Prefix of the signed bytes of a text layer (never valid as any other message).
pub const TEXT_LAYER_DOMAIN: &[u8] = b"ecabinet-text-layer-v1\n";

/// The largest text layer a device accepts (a 1,000-page scan of dense text
/// is a few MB of JSON).
pub const MAX_TEXT_LAYER_BYTES: u64 = 64 * 1024 * 1024;

/// Words read by OCR on the image-only pages of one PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TextLayer {
    /// Lower-case hex SHA-256 of the PDF the words were read from.
    pub pdf_sha256: String,
    /// What read them, e.g. `tesseract 5.3.0 (vie)`.
    pub engine: String,
    /// Only the pages that were read (pages with their own text are not).
    pub pages: Vec<TextLayerPage>,
}

/// The words of one page, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TextLayerPage {
    /// 0-based page index.
    pub page: u32,
    pub words: Vec<OcrWord>,
}

/// One word and where it is on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OcrWord {
    /// NFC text of the word.
    pub text: String,
    /// `[left, bottom, right, top]` in PDF points, origin bottom-left (as the
    /// page's own text boxes).
    pub rect: [f32; 4],
    /// The OCR engine's confidence, 0–100.
    pub confidence: u8,
    /// Words with the same number on a page are on one line (Tesseract's
    /// block, paragraph and line, numbered in reading order).
    pub line: u32,
}

/// Where a version's text layer stands, on the version record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextLayerStatus {
    /// Waiting for the OCR worker.
    Queued,
    /// Being read: `pages_done` of `pages_total` image-only pages.
    Running,
    /// Read, stored and signed: `sha256`, `size` and `signature` are set.
    Ready,
    /// Every page has text of its own: nothing to read.
    NotNeeded,
    /// The reading failed (`error` says why); the document is unaffected,
    /// only its scanned pages are not searchable.
    Failed,
}

/// A version's text layer as the version record carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TextLayerState {
    pub status: TextLayerStatus,
    pub pages_done: u32,
    pub pages_total: u32,
    /// Hex SHA-256 of the layer's JSON blob (`GET /v1/blobs/{sha256}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Standard base64 of the server's Ed25519 signature over
    /// [`TextLayerManifest::canonical_bytes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the server vouches for: these words belong to this version of this
/// document, whose PDF has this hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TextLayerManifest {
    pub doc_id: String,
    pub version: u32,
    pub pdf_sha256: String,
    pub layer_sha256: String,
    pub layer_size: u64,
}

impl TextLayerManifest {
    /// `ecabinet-text-layer-v1\n` and the compact JSON object with exactly
    /// the keys `doc_id, version, pdf_sha256, layer_sha256, layer_size` in
    /// that order (built by hand, like the version manifest's).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let s = |v: &str| serde_json::Value::String(v.to_owned()).to_string();
        let mut out = TEXT_LAYER_DOMAIN.to_vec();
        out.extend_from_slice(
            format!(
                "{{\"doc_id\":{},\"version\":{},\"pdf_sha256\":{},\"layer_sha256\":{},\"layer_size\":{}}}",
                s(&self.doc_id),
                self.version,
                s(&self.pdf_sha256),
                s(&self.layer_sha256),
                self.layer_size
            )
            .as_bytes(),
        );
        out
    }

    /// Checks `signature_b64` against the pinned server key (base64 of the
    /// raw 32-byte Ed25519 public key).
    pub fn verify(
        &self,
        server_public_key_b64: &str,
        signature_b64: &str,
    ) -> Result<(), SignatureError> {
        let key = BASE64
            .decode(server_public_key_b64)
            .map_err(|_| SignatureError::BadPublicKey)?;
        if key.len() != 32 {
            return Err(SignatureError::BadPublicKey);
        }
        verify_signature(&key, &self.canonical_bytes(), signature_b64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn manifest() -> TextLayerManifest {
        TextLayerManifest {
            doc_id: "d1".into(),
            version: 3,
            pdf_sha256: "ab".repeat(32),
            layer_sha256: "cd".repeat(32),
            layer_size: 4321,
        }
    }

    #[test]
    fn canonical_bytes_are_the_documented_ones() {
        let expected = format!(
            "ecabinet-text-layer-v1\n{{\"doc_id\":\"d1\",\"version\":3,\"pdf_sha256\":\"{}\",\"layer_sha256\":\"{}\",\"layer_size\":4321}}",
            "ab".repeat(32),
            "cd".repeat(32)
        );
        assert_eq!(
            String::from_utf8(manifest().canonical_bytes()).expect("utf8"),
            expected
        );
    }

    #[test]
    fn a_signed_layer_verifies_and_any_change_or_a_version_signature_does_not() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("keygen");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse");
        let public = BASE64.encode(pair.public_key().as_ref());
        let m = manifest();
        let sig = BASE64.encode(pair.sign(&m.canonical_bytes()).as_ref());
        assert_eq!(m.verify(&public, &sig), Ok(()));
        for changed in [
            TextLayerManifest {
                version: 4,
                ..manifest()
            },
            TextLayerManifest {
                layer_sha256: "ce".repeat(32),
                ..manifest()
            },
            TextLayerManifest {
                pdf_sha256: "ac".repeat(32),
                ..manifest()
            },
            TextLayerManifest {
                layer_size: 4320,
                ..manifest()
            },
        ] {
            assert_eq!(changed.verify(&public, &sig), Err(SignatureError::Mismatch));
        }
        // The same fields signed as something else are not a layer signature.
        let mut other = b"ecabinet-manifest-v1\n".to_vec();
        other.extend_from_slice(&m.canonical_bytes()[TEXT_LAYER_DOMAIN.len()..]);
        let replay = BASE64.encode(pair.sign(&other).as_ref());
        assert_eq!(m.verify(&public, &replay), Err(SignatureError::Mismatch));
    }
}
