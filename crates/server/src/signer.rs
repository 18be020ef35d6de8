//! The server's Ed25519 manifest-signing key: a PKCS#8 file in the data
//! directory, created (mode 0600) on first start.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{Manifest, SignedManifest};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("signing key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("signing key file {0} is not an Ed25519 PKCS#8 key")]
    Corrupt(String),
    #[error("cannot generate a signing key")]
    Generate,
}

pub struct Signer {
    pair: Ed25519KeyPair,
    public_b64: String,
}

impl Signer {
    /// Loads `path`, or creates it with a fresh key when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Signer, SignerError> {
        let io = |source| SignerError::Io {
            path: path.display().to_string(),
            source,
        };
        let pkcs8 = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                    .map_err(|_| SignerError::Generate)?;
                write_private(path, doc.as_ref()).map_err(io)?;
                doc.as_ref().to_vec()
            }
            Err(e) => return Err(io(e)),
        };
        Self::from_pkcs8(&pkcs8).ok_or_else(|| SignerError::Corrupt(path.display().to_string()))
    }

    /// A throwaway key (tests).
    pub fn generate() -> Result<Signer, SignerError> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| SignerError::Generate)?;
        Self::from_pkcs8(doc.as_ref()).ok_or(SignerError::Generate)
    }

    /// A fresh key as PKCS#8 bytes (what `rotate-signing-key` writes).
    pub fn generate_pkcs8() -> Result<Vec<u8>, SignerError> {
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| SignerError::Generate)
    }

    /// Loads `path`, which must exist.
    pub fn load(path: &Path) -> Result<Signer, SignerError> {
        let pkcs8 = std::fs::read(path).map_err(|source| SignerError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_pkcs8(&pkcs8).ok_or_else(|| SignerError::Corrupt(path.display().to_string()))
    }

    pub(crate) fn from_pkcs8(bytes: &[u8]) -> Option<Signer> {
        let pair = Ed25519KeyPair::from_pkcs8(bytes).ok()?;
        let public_b64 = BASE64.encode(pair.public_key().as_ref());
        Some(Signer { pair, public_b64 })
    }

    /// Base64 of the raw 32-byte public key, as clients pin it.
    pub fn public_key_b64(&self) -> &str {
        &self.public_b64
    }

    /// The raw 32-byte Ed25519 public key (what enrol-code fingerprints hash).
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The signature (standard base64) binding a text layer to its version.
    pub fn sign_text_layer(&self, manifest: &ecabinet_protocol::TextLayerManifest) -> String {
        BASE64.encode(self.pair.sign(&manifest.canonical_bytes()).as_ref())
    }

    /// "The key after mine is `to_key`", signed with this (retiring) key.
    pub fn sign_rotation(&self, to_key: &str, rotated_at: i64) -> ecabinet_protocol::KeyRotation {
        let from_key = self.public_b64.clone();
        let bytes = ecabinet_protocol::KeyRotation::canonical_bytes(&from_key, to_key, rotated_at);
        ecabinet_protocol::KeyRotation {
            signature: BASE64.encode(self.pair.sign(&bytes).as_ref()),
            from_key,
            to_key: to_key.to_owned(),
            rotated_at,
        }
    }

    /// The list of roots trusted for embedded document signatures, signed.
    pub fn sign_trusted_roots(
        &self,
        pem: &str,
        updated_at: i64,
    ) -> ecabinet_protocol::SignedTrustedRoots {
        let bytes = ecabinet_protocol::SignedTrustedRoots::canonical_bytes(pem, updated_at);
        ecabinet_protocol::SignedTrustedRoots {
            pem: pem.to_owned(),
            updated_at,
            signature: BASE64.encode(self.pair.sign(&bytes).as_ref()),
        }
    }

    pub fn sign_manifest(&self, manifest: Manifest) -> SignedManifest {
        let sig = self.pair.sign(&manifest.canonical_bytes());
        SignedManifest {
            manifest,
            signature: BASE64.encode(sig.as_ref()),
        }
    }
}

pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
