//! Searchable scans on the device: the words the server's OCR read on a
//! verified version's image-only pages.
//!
//! A layer is taken only for a version verified on this device, only when
//! the server's signature over ([`TextLayerManifest`]: this document, this
//! version number, this PDF's hash, the layer's hash and size) holds under
//! the key pinned at enrolment, and only when the bytes have that hash and
//! name that PDF. It is kept in the encrypted cache. A refused or
//! unreachable layer never touches its document: the scanned pages are
//! simply not searchable until a later round gets it.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{
    DocumentVersionBody, TextLayer, TextLayerManifest, TextLayerStatus, MAX_TEXT_LAYER_BYTES,
};

use crate::api::read_capped;
use crate::{SyncError, Syncer};

/// What one round did with text layers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TextLayersReport {
    /// Layers verified and stored in this round.
    pub stored: usize,
    /// Layers refused, by version id, with the reason.
    pub refused: Vec<(String, String)>,
    /// Layers left for a later round (the network went away).
    pub interrupted: usize,
}

/// A layer the device should have: (version id, layer sha, size, signature,
/// the statement it must be signed as).
struct Wanted {
    version_id: String,
    sha256: String,
    signature: String,
    manifest: TextLayerManifest,
}

impl Syncer {
    /// Fetches the ready text layers of verified versions that this device
    /// does not hold yet (or holds an older one of).
    pub async fn fetch_text_layers(&self) -> Result<TextLayersReport, SyncError> {
        let (wanted, key) = self
            .with_store(|s| {
                let key = s.manifest_key()?;
                let mut wanted = Vec::new();
                for row in s.all_document_versions()? {
                    let Ok(body) = serde_json::from_value::<DocumentVersionBody>(row.body) else {
                        continue;
                    };
                    let Some(layer) = body.text_layer else {
                        continue;
                    };
                    let (TextLayerStatus::Ready, Some(sha), Some(size), Some(signature)) =
                        (layer.status, layer.sha256, layer.size, layer.signature)
                    else {
                        continue;
                    };
                    // Only for what was verified here, named as it was verified.
                    let Some(v) = s.verified_version(&row.id)? else {
                        continue;
                    };
                    // A classified document's words are its content: not kept.
                    if crate::documents::is_classified(&v) {
                        continue;
                    }
                    if s.text_layer_sha(&row.id)?.as_deref() == Some(sha.as_str()) {
                        continue;
                    }
                    wanted.push(Wanted {
                        version_id: row.id,
                        sha256: sha.clone(),
                        signature,
                        manifest: TextLayerManifest {
                            doc_id: v.document_id,
                            version: v.version,
                            pdf_sha256: v.sha256,
                            layer_sha256: sha,
                            layer_size: size,
                        },
                    });
                }
                Ok((wanted, key))
            })
            .await?;
        let key = BASE64.encode(key.ok_or(SyncError::NotEnrolled)?);
        let mut report = TextLayersReport::default();
        for w in wanted {
            match self.fetch_layer(&w, &key).await {
                Ok(body) => {
                    let (id, sha) = (w.version_id.clone(), w.sha256.clone());
                    self.with_store(move |s| s.put_text_layer(&id, &sha, &body))
                        .await?;
                    report.stored += 1;
                }
                Err(Refusal::Later) => report.interrupted += 1,
                Err(Refusal::Fatal(e)) => return Err(e),
                Err(Refusal::Refused(why)) => report.refused.push((w.version_id, why)),
            }
        }
        Ok(report)
    }

    async fn fetch_layer(&self, w: &Wanted, key: &str) -> Result<String, Refusal> {
        if w.manifest.layer_size > MAX_TEXT_LAYER_BYTES {
            return Err(Refusal::Refused(format!(
                "the text layer is {} bytes, over the {MAX_TEXT_LAYER_BYTES} a device accepts",
                w.manifest.layer_size
            )));
        }
        w.manifest
            .verify(key, &w.signature)
            .map_err(|e| Refusal::Refused(format!("text layer signature rejected: {e}")))?;
        let api = self.api();
        let resp = api
            .send(api.get(&format!("/v1/blobs/{}", w.sha256)))
            .await
            .map_err(Refusal::from_sync)?;
        let bytes = read_capped(resp, w.manifest.layer_size as usize, "text layer")
            .await
            .map_err(|e| match e {
                SyncError::ResponseTooLarge { .. } => {
                    Refusal::Refused("the text layer is larger than signed".into())
                }
                other => Refusal::from_sync(other),
            })?;
        if bytes.len() as u64 != w.manifest.layer_size
            || ecabinet_protocol::hex::sha256_hex(&bytes) != w.sha256
        {
            return Err(Refusal::Refused(
                "the text layer's bytes do not match their signed hash".into(),
            ));
        }
        let layer: TextLayer = serde_json::from_slice(&bytes)
            .map_err(|e| Refusal::Refused(format!("the text layer is malformed: {e}")))?;
        if layer.pdf_sha256 != w.manifest.pdf_sha256 {
            return Err(Refusal::Refused(
                "the text layer was read from another PDF".into(),
            ));
        }
        String::from_utf8(bytes).map_err(|_| Refusal::Refused("the text layer is not UTF-8".into()))
    }
}

/// Version `version_id`'s verified text layer, if this device holds one
/// (a layer is stored only after its signature and hash were checked).
pub fn text_layer_of(
    store: &ecabinet_store::Store,
    version_id: &str,
) -> Result<Option<TextLayer>, SyncError> {
    let Some(json) = store.text_layer(version_id).map_err(SyncError::Store)? else {
        return Ok(None);
    };
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| SyncError::Internal(format!("stored text layer unreadable: {e}")))
}

enum Refusal {
    /// Try again next round (network).
    Later,
    /// Stop the round (revoked device, expired session, …).
    Fatal(SyncError),
    /// This layer is not accepted.
    Refused(String),
}

impl Refusal {
    fn from_sync(e: SyncError) -> Refusal {
        match e {
            e if e.is_transient() => Refusal::Later,
            e @ (SyncError::DeviceRevoked | SyncError::SessionExpired) => Refusal::Fatal(e),
            other => Refusal::Refused(other.to_string()),
        }
    }
}
