//! A member's private annotations across their own devices, end to end
//! encrypted.
//!
//! - **Key.** Each user has one random 256-bit annotation key. The first
//!   device wraps it (AES-256-GCM) under a key derived from the password by
//!   Argon2id with a random per-user salt, and stores the wrapped form on the
//!   server (`PUT /v1/annotation-key`); later devices fetch and unwrap it at
//!   enrolment. The unwrapped key lives only inside the encrypted store; the
//!   derived key never leaves the device.
//! - **Edits.** [`record_annotation`] stamps an edit with the hybrid logical
//!   clock ([`Hlc`]), stores it and queues an `annotation` operation whose
//!   body is sealed under the key ([`SealedAnnotation`]) — one transaction.
//! - **Merge.** Edits pulled from the feed are opened and merged by stamp:
//!   the later edit wins on every device, whatever order they arrive in, and
//!   a deletion is an edit (a tombstone) that beats every older one.
//!
//! What the key wrapping protects against: someone holding a copy of the
//! server's database or backups learns no annotation without guessing the
//! password through Argon2id. It does not protect against the server's
//! operator while a device logs in: the password is sent to the server at
//! login (to check it), so a server that keeps it can unwrap the key.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{
    annotation_key_aad, sealed_annotation_aad, AnnotationContent, Change, EntityKind, ErrorCode,
    Hlc, OpKind, SealedAnnotation, WrappedAnnotationKey, ANNOTATION_KDF, ANNOTATION_KEY_PATH,
};
use ecabinet_store::wrap;
use ecabinet_store::{Annotation, KdfParams, QueuedOp, ReceivedAnnotation, Store, StoreError};
use ring::aead::LessSafeKey;
use zeroize::Zeroizing;

use crate::{Api, Session, SyncError, Syncer};

/// Argon2id cost a wrapped key may ask for at most (a server cannot make a
/// device spend more than this unwrapping).
const MAX_KDF: KdfParams = KdfParams {
    m_kib: 1024 * 1024,
    t: 16,
    p: 8,
};

/// Why an annotation key or a sealed annotation could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnotationCryptoError {
    /// The password does not unwrap the key (or the wrapped key was altered).
    #[error("the password does not unwrap the annotation key")]
    WrongPassword,
    /// The wrapped key asks for a key-derivation cost outside the accepted range.
    #[error("the annotation key's derivation parameters are out of range")]
    BadKdfParams,
    /// The sealed annotation is not authentic under this user's key.
    #[error("the annotation is not authentic under this member's key")]
    NotAuthentic,
    /// A field is not what the format says.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The system random generator or a cipher primitive failed.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

type Key = Zeroizing<[u8; 32]>;

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, AnnotationCryptoError> {
    wrap::random::<N>().map_err(|_| AnnotationCryptoError::Crypto("system random"))
}

fn cipher(key: &[u8]) -> Result<LessSafeKey, AnnotationCryptoError> {
    wrap::aes_key(key).map_err(|_| AnnotationCryptoError::Malformed("key"))
}

fn seal_bytes(
    key: &[u8],
    aad: &[u8],
    plain: &[u8],
) -> Result<([u8; 12], Vec<u8>), AnnotationCryptoError> {
    wrap::seal(&cipher(key)?, aad, plain).map_err(|_| AnnotationCryptoError::Crypto("seal"))
}

fn open_bytes(
    key: &[u8],
    aad: &[u8],
    nonce_b64: &str,
    sealed_b64: &str,
) -> Result<Zeroizing<Vec<u8>>, AnnotationCryptoError> {
    let nonce: [u8; 12] = BASE64
        .decode(nonce_b64)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or(AnnotationCryptoError::Malformed("nonce"))?;
    let sealed = BASE64
        .decode(sealed_b64)
        .map_err(|_| AnnotationCryptoError::Malformed("ciphertext"))?;
    wrap::open(&cipher(key)?, aad, nonce, &sealed).ok_or(AnnotationCryptoError::NotAuthentic)
}

fn derive(password: &str, salt: &[u8], kdf: KdfParams) -> Result<Key, AnnotationCryptoError> {
    wrap::stretch(password, salt, kdf).map_err(|_| AnnotationCryptoError::BadKdfParams)
}

/// A new random annotation key, wrapped under `password` for `user_id`.
pub fn new_wrapped_key(
    user_id: &str,
    password: &str,
    kdf: KdfParams,
) -> Result<(Key, WrappedAnnotationKey), AnnotationCryptoError> {
    let key = random::<32>()?;
    let key_id: String = random::<16>()?.iter().map(|b| format!("{b:02x}")).collect();
    let wrapped = wrap_key(user_id, &key_id, password, &key, kdf)?;
    Ok((key, wrapped))
}

/// Wraps `key` (named `key_id`) under `password` with a fresh salt, e.g.
/// after a password change (the server accepts a rewrap of the same key id).
pub fn wrap_key(
    user_id: &str,
    key_id: &str,
    password: &str,
    key: &[u8; 32],
    kdf: KdfParams,
) -> Result<WrappedAnnotationKey, AnnotationCryptoError> {
    let salt = random::<16>()?;
    let kek = derive(password, salt.as_ref(), kdf)?;
    let (nonce, sealed) = seal_bytes(kek.as_ref(), &annotation_key_aad(user_id, key_id), key)?;
    Ok(WrappedAnnotationKey {
        key_id: key_id.to_owned(),
        kdf: ANNOTATION_KDF.to_owned(),
        m_kib: kdf.m_kib,
        t: kdf.t,
        p: kdf.p,
        salt: BASE64.encode(salt.as_ref()),
        nonce: BASE64.encode(nonce),
        wrapped_key: BASE64.encode(sealed),
    })
}

/// Unwraps the key with `password`. A wrong password (or an altered
/// wrapped key) gives [`AnnotationCryptoError::WrongPassword`]; a cost below
/// the Argon2id floor or absurdly high is refused before any work.
pub fn unwrap_key(
    user_id: &str,
    password: &str,
    wrapped: &WrappedAnnotationKey,
) -> Result<Key, AnnotationCryptoError> {
    let kdf = KdfParams {
        m_kib: wrapped.m_kib,
        t: wrapped.t,
        p: wrapped.p,
    };
    let floor = KdfParams::FLOOR;
    if wrapped.kdf != ANNOTATION_KDF
        || kdf.m_kib < floor.m_kib
        || kdf.t < floor.t
        || kdf.p == 0
        || kdf.m_kib > MAX_KDF.m_kib
        || kdf.t > MAX_KDF.t
        || kdf.p > MAX_KDF.p
    {
        return Err(AnnotationCryptoError::BadKdfParams);
    }
    let salt = BASE64
        .decode(&wrapped.salt)
        .map_err(|_| AnnotationCryptoError::Malformed("salt"))?;
    let kek = derive(password, &salt, kdf)?;
    let plain = open_bytes(
        kek.as_ref(),
        &annotation_key_aad(user_id, &wrapped.key_id),
        &wrapped.nonce,
        &wrapped.wrapped_key,
    )
    .map_err(|e| match e {
        AnnotationCryptoError::NotAuthentic => AnnotationCryptoError::WrongPassword,
        other => other,
    })?;
    let key: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| AnnotationCryptoError::Malformed("wrapped key length"))?;
    Ok(Zeroizing::new(key))
}

/// Seals one annotation edit of `user_id` under `key`.
pub fn seal(
    key: &[u8],
    user_id: &str,
    id: &str,
    hlc: &Hlc,
    deleted: bool,
    content: &AnnotationContent,
) -> Result<SealedAnnotation, AnnotationCryptoError> {
    let plain = Zeroizing::new(
        serde_json::to_vec(content).map_err(|_| AnnotationCryptoError::Malformed("content"))?,
    );
    let aad = sealed_annotation_aad(user_id, id, hlc, deleted);
    let (nonce, sealed) = seal_bytes(key, &aad, &plain)?;
    Ok(SealedAnnotation {
        id: id.to_owned(),
        hlc: hlc.clone(),
        deleted,
        nonce: BASE64.encode(nonce),
        ciphertext: BASE64.encode(sealed),
    })
}

/// Opens a sealed annotation of `user_id`: checks it against its clear
/// metadata and returns it as the store keeps it.
pub fn open(
    key: &[u8],
    user_id: &str,
    s: &SealedAnnotation,
) -> Result<Annotation, AnnotationCryptoError> {
    let aad = sealed_annotation_aad(user_id, &s.id, &s.hlc, s.deleted);
    let plain = open_bytes(key, &aad, &s.nonce, &s.ciphertext)?;
    let c: AnnotationContent = serde_json::from_slice(&plain)
        .map_err(|_| AnnotationCryptoError::Malformed("annotation content"))?;
    Ok(Annotation {
        id: s.id.clone(),
        doc_id: c.doc_id,
        version: c.version,
        page: c.page,
        kind: c.kind,
        data: c.data,
        updated_at: s.hlc.to_text(),
        deleted: s.deleted,
    })
}

fn crypto_to_sync(e: AnnotationCryptoError) -> SyncError {
    match e {
        AnnotationCryptoError::Crypto(m) => SyncError::Internal(m.to_owned()),
        other => SyncError::Protocol(format!("annotation key: {other}")),
    }
}

async fn fetch_wrapped(api: &Api) -> Result<Option<WrappedAnnotationKey>, SyncError> {
    match api.json(api.get(ANNOTATION_KEY_PATH)).await {
        Ok(k) => Ok(Some(k)),
        Err(SyncError::Server {
            code: ErrorCode::NotFound,
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Gets the user's annotation key into `store` at enrolment: unwraps the
/// one on the server with `password`, or — on the user's first device —
/// makes one, wraps it with `kdf` and stores the wrapped form on the server.
/// If another device of the same user stored one meanwhile, that one wins.
pub async fn install_key(
    api: &Api,
    store: &Store,
    user_id: &str,
    password: &str,
    kdf: KdfParams,
) -> Result<(), SyncError> {
    let key = match fetch_wrapped(api).await? {
        Some(wrapped) => unwrap_key_blocking(user_id, password, wrapped).await?,
        None => {
            let (u, p) = (user_id.to_owned(), Zeroizing::new(password.to_owned()));
            let (key, wrapped) = tokio::task::spawn_blocking(move || new_wrapped_key(&u, &p, kdf))
                .await
                .map_err(|e| SyncError::Internal(e.to_string()))?
                .map_err(crypto_to_sync)?;
            let stored: Result<WrappedAnnotationKey, SyncError> =
                api.json(api.put(ANNOTATION_KEY_PATH).json(&wrapped)).await;
            match stored {
                Ok(_) => key,
                Err(SyncError::Server {
                    code: ErrorCode::Conflict,
                    ..
                }) => {
                    let wrapped = fetch_wrapped(api).await?.ok_or_else(|| {
                        SyncError::Protocol("annotation key conflict, yet none stored".into())
                    })?;
                    unwrap_key_blocking(user_id, password, wrapped).await?
                }
                Err(e) => return Err(e),
            }
        }
    };
    store
        .set_annotation_key(key.as_ref())
        .map_err(SyncError::Store)
}

/// After the password was reset by an administrator, the server's wrapped
/// key still opens only with the old password. A device that holds the key
/// (its store) wraps it under the new `password` — same key id, same cost —
/// and stores that on the server, so the member's other and future devices
/// open it with the new password. Returns whether it re-wrapped.
pub(crate) async fn rewrap_after_reset(
    api: &Api,
    store: &Arc<Store>,
    user_id: &str,
    password: &str,
) -> Result<bool, SyncError> {
    let Some(wrapped) = fetch_wrapped(api).await? else {
        return Ok(false);
    };
    let held = store.clone();
    let Some(local) = tokio::task::spawn_blocking(move || held.annotation_key())
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?
        .map_err(SyncError::Store)?
    else {
        return Ok(false);
    };
    let local: [u8; 32] = local
        .as_slice()
        .try_into()
        .map_err(|_| SyncError::Internal("stored annotation key is not 32 bytes".into()))?;
    let (u, p) = (user_id.to_owned(), Zeroizing::new(password.to_owned()));
    let rewrapped = tokio::task::spawn_blocking(move || match unwrap_key(&u, &p, &wrapped) {
        Ok(_) => Ok(None),
        Err(AnnotationCryptoError::WrongPassword) => {
            let kdf = KdfParams {
                m_kib: wrapped.m_kib,
                t: wrapped.t,
                p: wrapped.p,
            };
            let key = Zeroizing::new(local);
            wrap_key(&u, &wrapped.key_id, &p, &key, kdf).map(Some)
        }
        Err(e) => Err(e),
    })
    .await
    .map_err(|e| SyncError::Internal(e.to_string()))?
    .map_err(crypto_to_sync)?;
    let Some(rewrapped) = rewrapped else {
        return Ok(false);
    };
    let _: WrappedAnnotationKey = api
        .json(api.put(ANNOTATION_KEY_PATH).json(&rewrapped))
        .await?;
    Ok(true)
}

/// The annotation key this device holds, wrapped under `new_password` with
/// the server's key id and cost, for a password change; `None` when the
/// user has no key on the server yet.
pub(crate) async fn rewrapped_for_change(
    api: &Api,
    store: &Arc<Store>,
    user_id: &str,
    new_password: &str,
) -> Result<Option<WrappedAnnotationKey>, SyncError> {
    let Some(wrapped) = fetch_wrapped(api).await? else {
        return Ok(None);
    };
    let held = store.clone();
    let local = tokio::task::spawn_blocking(move || held.annotation_key())
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?
        .map_err(SyncError::Store)?
        .ok_or_else(|| {
            SyncError::AnnotationKeyLocked(
                "this device does not hold your annotation key: change the password on a device that does",
            )
        })?;
    let key: [u8; 32] = local
        .as_slice()
        .try_into()
        .map_err(|_| SyncError::Internal("stored annotation key is not 32 bytes".into()))?;
    let (u, p) = (user_id.to_owned(), Zeroizing::new(new_password.to_owned()));
    let kdf = KdfParams {
        m_kib: wrapped.m_kib,
        t: wrapped.t,
        p: wrapped.p,
    };
    tokio::task::spawn_blocking(move || {
        wrap_key(&u, &wrapped.key_id, &p, &Zeroizing::new(key), kdf)
    })
    .await
    .map_err(|e| SyncError::Internal(e.to_string()))?
    .map(Some)
    .map_err(crypto_to_sync)
}

async fn unwrap_key_blocking(
    user_id: &str,
    password: &str,
    wrapped: WrappedAnnotationKey,
) -> Result<Key, SyncError> {
    let (u, p) = (user_id.to_owned(), Zeroizing::new(password.to_owned()));
    tokio::task::spawn_blocking(move || unwrap_key(&u, &p, &wrapped))
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?
        .map_err(|e| match e {
            // The server let the password in, so the key is wrapped under an
            // older one: an administrator reset it, and no device of the
            // member has signed in with the new one yet (which re-wraps it).
            AnnotationCryptoError::WrongPassword => SyncError::AnnotationKeyLocked(
                "your annotation key is still locked with your previous password (it was reset): \
                 sign in again on one of your enrolled devices first (`ecabinet login` or the app), \
                 then enrol this one",
            ),
            other => crypto_to_sync(other),
        })
}

/// What the member did to an annotation.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotationEdit {
    /// `None` for a new annotation (an id is made), else the one edited.
    pub id: Option<String>,
    pub doc_id: String,
    pub version: u32,
    /// 0-based page.
    pub page: u32,
    /// ink, highlight, underline, note, text …
    pub kind: String,
    /// Geometry in PDF page coordinates, colour, note text.
    pub data: serde_json::Value,
}

/// A recorded edit: the annotation as stored, and the operation that will
/// carry it to the member's other devices (`None` when this device has no
/// annotation key, e.g. a cache never enrolled: the edit stays local).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAnnotation {
    pub annotation: Annotation,
    pub op_id: Option<String>,
}

/// Records a new or edited annotation now (offline-first).
pub fn record_annotation(
    store: &Store,
    edit: AnnotationEdit,
    now_ms: i64,
) -> Result<RecordedAnnotation, SyncError> {
    let id = edit.id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let content = AnnotationContent {
        doc_id: edit.doc_id,
        version: edit.version,
        page: edit.page,
        kind: edit.kind,
        data: edit.data,
    };
    record(store, &id, content, false, now_ms)
}

/// Deletes an annotation: records a tombstone stamped now, which beats
/// every older edit of it on every device.
pub fn delete_annotation(
    store: &Store,
    id: &str,
    now_ms: i64,
) -> Result<RecordedAnnotation, SyncError> {
    let a = store
        .annotation(id)
        .map_err(SyncError::Store)?
        .ok_or_else(|| SyncError::NotInCache {
            what: "annotation",
            id: id.to_owned(),
        })?;
    let content = AnnotationContent {
        doc_id: a.doc_id,
        version: a.version,
        page: a.page,
        kind: a.kind,
        data: a.data,
    };
    record(store, id, content, true, now_ms)
}

fn record(
    store: &Store,
    id: &str,
    content: AnnotationContent,
    deleted: bool,
    now_ms: i64,
) -> Result<RecordedAnnotation, SyncError> {
    let session = Session::load(store)?;
    let key = store.annotation_key().map_err(SyncError::Store)?;
    // Without a session the device id is unknown; such a cache never syncs.
    let node = session
        .as_ref()
        .map_or_else(|| "local".to_owned(), |s| s.device_id.clone());
    let sealing = session.as_ref().zip(key.as_ref());
    let mut op_id = None;
    let annotation = store
        .record_annotation_edit(|clock| {
            let last = clock.and_then(Hlc::parse);
            let hlc = Hlc::tick(last.as_ref(), now_ms, &node);
            let op = match sealing {
                Some((session, key)) => {
                    let sealed = seal(key, &session.user_id, id, &hlc, deleted, &content)
                        .map_err(|_| StoreError::Crypto("sealing an annotation"))?;
                    let id = uuid::Uuid::now_v7().to_string();
                    op_id = Some(id.clone());
                    Some(QueuedOp {
                        op_id: id,
                        kind: OpKind::Annotation.as_str().to_owned(),
                        payload: serde_json::to_vec(&sealed)?,
                    })
                }
                None => None,
            };
            let a = Annotation {
                id: id.to_owned(),
                doc_id: content.doc_id.clone(),
                version: content.version,
                page: content.page,
                kind: content.kind.clone(),
                data: content.data.clone(),
                updated_at: hlc.to_text(),
                deleted,
            };
            Ok((a, op))
        })
        .map_err(SyncError::Store)?;
    Ok(RecordedAnnotation { annotation, op_id })
}

/// Splits a feed page into its annotation changes and the rest.
pub(crate) fn split(changes: Vec<Change>) -> (Vec<Change>, Vec<Change>) {
    changes
        .into_iter()
        .partition(|c| c.entity == EntityKind::Annotation)
}

fn receive(key: Option<&[u8]>, user_id: &str, c: &Change) -> ReceivedAnnotation {
    let sealed = c
        .decode::<SealedAnnotation>()
        .ok()
        .flatten()
        .filter(|s| s.id == c.id);
    let Some(sealed) = sealed else {
        return ReceivedAnnotation::Sealed {
            id: c.id.clone(),
            stamp: String::new(),
            envelope: c.body.as_ref().map(ToString::to_string).unwrap_or_default(),
            reason: "malformed".into(),
        };
    };
    let opened = match key {
        Some(key) => open(key, user_id, &sealed),
        None => Err(AnnotationCryptoError::WrongPassword),
    };
    match opened {
        Ok(a) => ReceivedAnnotation::Open(a),
        Err(e) => ReceivedAnnotation::Sealed {
            id: sealed.id.clone(),
            stamp: sealed.hlc.to_text(),
            envelope: serde_json::to_string(&sealed).unwrap_or_default(),
            reason: match (key, e) {
                (None, _) => "no_key".into(),
                (Some(_), AnnotationCryptoError::NotAuthentic) => "not_authentic".into(),
                (Some(_), _) => "malformed".into(),
            },
        },
    }
}

impl Syncer {
    /// Opens the annotation changes of a feed page with this member's key.
    pub(crate) async fn open_annotations(
        &self,
        changes: Vec<Change>,
    ) -> Result<Vec<ReceivedAnnotation>, SyncError> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let session = Session::load(&store)?.ok_or(SyncError::NotEnrolled)?;
            let key = store.annotation_key().map_err(SyncError::Store)?;
            Ok(changes
                .iter()
                .map(|c| receive(key.as_ref().map(|k| k.as_slice()), &session.user_id, c))
                .collect())
        })
        .await
        .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))?
    }

    /// Records a new or edited annotation now; see [`record_annotation`].
    pub async fn record_annotation(
        &self,
        edit: AnnotationEdit,
    ) -> Result<RecordedAnnotation, SyncError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || record_annotation(&store, edit, crate::clock::now_ms()))
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))?
    }

    /// Deletes an annotation now; see [`delete_annotation`].
    pub async fn delete_annotation(&self, id: &str) -> Result<RecordedAnnotation, SyncError> {
        let store = self.store.clone();
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || delete_annotation(&store, &id, crate::clock::now_ms()))
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))?
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn kdf() -> KdfParams {
        KdfParams::FLOOR
    }

    fn content(text: &str) -> AnnotationContent {
        AnnotationContent {
            doc_id: "d".into(),
            version: 1,
            page: 0,
            kind: "note".into(),
            data: serde_json::json!({"text": text}),
        }
    }

    fn hlc(ms: i64, counter: u32, node: &str) -> Hlc {
        Hlc {
            ms,
            counter,
            node: node.into(),
        }
    }

    #[test]
    fn the_right_password_unwraps_the_key_and_a_wrong_one_does_not() {
        let (key, wrapped) = new_wrapped_key("u1", "correct horse", kdf()).expect("wrap");
        let back = unwrap_key("u1", "correct horse", &wrapped).expect("unwrap");
        assert_eq!(back.as_ref(), key.as_ref());
        assert_eq!(
            unwrap_key("u1", "wrong horse", &wrapped).map(|_| ()),
            Err(AnnotationCryptoError::WrongPassword)
        );
        // Bound to the user: another user's record does not open with the password.
        assert_eq!(
            unwrap_key("u2", "correct horse", &wrapped).map(|_| ()),
            Err(AnnotationCryptoError::WrongPassword)
        );
        let weak = WrappedAnnotationKey {
            m_kib: 8,
            ..wrapped
        };
        assert_eq!(
            unwrap_key("u1", "correct horse", &weak).map(|_| ()),
            Err(AnnotationCryptoError::BadKdfParams)
        );
    }

    #[test]
    fn a_sealed_annotation_opens_only_with_its_own_metadata() {
        let key = [7u8; 32];
        let h = hlc(1000, 0, "dev-a");
        let s = seal(&key, "u1", "a1", &h, false, &content("bí mật")).expect("seal");
        assert!(!s.ciphertext.contains("bí mật"));
        let a = open(&key, "u1", &s).expect("open");
        assert_eq!(a.data["text"], "bí mật");
        assert_eq!(a.updated_at, h.to_text());
        // The server replays it under a newer stamp, as a deletion, for
        // another annotation or another user: none of it opens.
        let tampered = [
            SealedAnnotation {
                hlc: hlc(2000, 0, "dev-a"),
                ..s.clone()
            },
            SealedAnnotation {
                deleted: true,
                ..s.clone()
            },
            SealedAnnotation {
                id: "a2".into(),
                ..s.clone()
            },
        ];
        for t in &tampered {
            assert_eq!(
                open(&key, "u1", t),
                Err(AnnotationCryptoError::NotAuthentic)
            );
        }
        assert_eq!(
            open(&key, "u2", &s),
            Err(AnnotationCryptoError::NotAuthentic)
        );
        assert_eq!(
            open(&[8u8; 32], "u1", &s),
            Err(AnnotationCryptoError::NotAuthentic)
        );
    }

    fn edit(id: &str, text: &str, stamp: &Hlc, deleted: bool) -> Annotation {
        Annotation {
            id: id.into(),
            doc_id: "d".into(),
            version: 1,
            page: 0,
            kind: "note".into(),
            data: serde_json::json!({"text": text}),
            updated_at: stamp.to_text(),
            deleted,
        }
    }

    fn final_state(order: &[&Annotation]) -> Vec<Annotation> {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::create(
            dir.path(),
            "246810",
            &ecabinet_store::testing::test_config(),
        )
        .expect("store");
        let received: Vec<ReceivedAnnotation> = order
            .iter()
            .map(|a| ReceivedAnnotation::Open((*a).clone()))
            .collect();
        // One per page, so the merge happens across transactions too.
        for (i, r) in received.iter().enumerate() {
            store
                .apply_page(&[], std::slice::from_ref(r), i as i64 + 1)
                .expect("apply");
        }
        store.all_annotations().expect("list")
    }

    #[test]
    fn the_hlc_merge_converges_whatever_the_order_of_arrival() {
        // Two devices edit "x" in the same millisecond (the device id breaks
        // the tie), "y" is edited on A and later deleted on B, "z" is deleted
        // on A and then edited later on B (the later edit revives it, as an
        // undo would).
        let x_a = edit("x", "from A", &hlc(1000, 0, "dev-a"), false);
        let x_b = edit("x", "from B", &hlc(1000, 0, "dev-b"), false);
        let y_a = edit("y", "old edit", &hlc(1500, 2, "dev-a"), false);
        let y_del = edit("y", "old edit", &hlc(1500, 3, "dev-b"), true);
        let z_del = edit("z", "z", &hlc(900, 0, "dev-a"), true);
        let z_b = edit("z", "z again", &hlc(901, 0, "dev-b"), false);
        let all = [&x_a, &x_b, &y_a, &y_del, &z_del, &z_b];
        let expected = final_state(&all);
        assert_eq!(
            expected
                .iter()
                .map(|a| (a.id.as_str(), a.data["text"].as_str().unwrap(), a.deleted))
                .collect::<Vec<_>>(),
            [
                ("x", "from B", false),
                ("y", "old edit", true),
                ("z", "z again", false)
            ]
        );
        // Every order of arrival gives the same set.
        let orders: [[usize; 6]; 4] = [
            [5, 4, 3, 2, 1, 0],
            [1, 0, 3, 2, 5, 4],
            [3, 5, 1, 2, 0, 4],
            [2, 4, 0, 5, 3, 1],
        ];
        for order in orders {
            let seq: Vec<&Annotation> = order.iter().map(|&i| all[i]).collect();
            assert_eq!(final_state(&seq), expected, "order {order:?}");
        }
    }

    #[test]
    fn a_local_edit_is_stamped_after_everything_the_device_has_seen() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::create(
            dir.path(),
            "246810",
            &ecabinet_store::testing::test_config(),
        )
        .expect("store");
        // A device whose clock runs an hour fast made the last edit.
        let fast = edit(
            "n",
            "from the fast device",
            &hlc(3_600_000 + 5000, 0, "dev-b"),
            false,
        );
        store
            .apply_page(&[], &[ReceivedAnnotation::Open(fast)], 1)
            .expect("apply");
        let mine = record_annotation(
            &store,
            AnnotationEdit {
                id: Some("n".into()),
                doc_id: "d".into(),
                version: 1,
                page: 0,
                kind: "note".into(),
                data: serde_json::json!({"text": "mine, made after I saw it"}),
            },
            5000,
        )
        .expect("record");
        assert_eq!(mine.op_id, None, "no session: the edit stays local");
        let stored = store.annotation("n").expect("read").expect("present");
        assert_eq!(stored.data["text"], "mine, made after I saw it");
        assert_eq!(
            Hlc::parse(&stored.updated_at),
            Some(hlc(3_600_000 + 5000, 1, "local"))
        );
    }
}
