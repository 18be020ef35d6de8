//! A member's private annotations, synced across their own devices end to end
//! encrypted: the wire shape of the sealed annotation (operation `annotation`
//! and feed entity `annotation`), the wrapped per-user annotation key
//! (`GET`/`PUT /v1/annotation-key`), and the hybrid logical clock that orders
//! concurrent edits.
//!
//! The server sees only what it needs to route and order an edit: the
//! annotation's id, its clock stamp and whether it is a deletion. Document,
//! page, kind, geometry and text travel inside the AES-256-GCM ciphertext.

use serde::{Deserialize, Serialize};

/// Path of the wrapped annotation key of the authenticated user.
pub const ANNOTATION_KEY_PATH: &str = "/v1/annotation-key";

/// The only key-derivation function of [`WrappedAnnotationKey::kdf`].
pub const ANNOTATION_KDF: &str = "argon2id-v19";

/// Longest accepted annotation id and clock node (a UUID is 36 characters).
pub const MAX_ANNOTATION_ID_LEN: usize = 64;

/// Largest accepted ciphertext of one annotation, in base64 characters (ink
/// strokes are the big ones).
pub const MAX_ANNOTATION_CIPHERTEXT: usize = 512 * 1024;

/// A hybrid logical clock stamp: physical milliseconds, a counter for events
/// within the same millisecond (or while the wall clock lags behind a stamp
/// already seen), and the device that made it, which breaks the last ties.
///
/// Stamps are totally ordered by `(ms, counter, node)`; the later stamp wins.
/// [`Hlc::to_text`] keeps that order under plain string comparison, which is
/// how the client's store compares them.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Hlc {
    pub ms: i64,
    pub counter: u32,
    pub node: String,
}

impl Hlc {
    /// The next stamp of `node` at wall-clock `now_ms`, after `last`, the
    /// newest stamp this device has issued or received. Never earlier than
    /// `last`, so an edit always wins over everything its device had seen.
    pub fn tick(last: Option<&Hlc>, now_ms: i64, node: &str) -> Hlc {
        let (ms, counter) = match last {
            Some(l) if l.ms >= now_ms => match l.counter.checked_add(1) {
                Some(c) => (l.ms, c),
                // 4 billion edits in one millisecond: borrow the next one.
                None => (l.ms.saturating_add(1), 0),
            },
            _ => (now_ms, 0),
        };
        Hlc {
            ms,
            counter,
            node: node.to_owned(),
        }
    }

    /// Fixed-width text whose string order is the stamp order:
    /// `0001764110000000-0000000003-<node>`.
    pub fn to_text(&self) -> String {
        format!("{:016}-{:010}-{}", self.ms.max(0), self.counter, self.node)
    }

    /// Parses [`Hlc::to_text`].
    pub fn parse(text: &str) -> Option<Hlc> {
        let (ms, rest) = text.split_once('-')?;
        let (counter, node) = rest.split_once('-')?;
        if ms.len() != 16 || counter.len() != 10 {
            return None;
        }
        Some(Hlc {
            ms: ms.parse().ok()?,
            counter: counter.parse().ok()?,
            node: node.to_owned(),
        })
    }
}

/// Body of an `annotation` operation and of an upsert of the feed entity
/// `annotation` (whose `id` is the annotation's id). Deletions are upserts
/// with `deleted: true` so that they carry their stamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SealedAnnotation {
    /// The annotation's id (client-made UUID).
    pub id: String,
    /// The edit's clock stamp; its `node` is the device that made the edit.
    pub hlc: Hlc,
    /// Whether the edit deletes the annotation (a tombstone).
    pub deleted: bool,
    /// Standard base64 of the 12-byte AES-GCM nonce.
    pub nonce: String,
    /// Standard base64 of the AES-256-GCM ciphertext and tag of the JSON of
    /// [`AnnotationContent`], under the user's annotation key, with
    /// [`sealed_annotation_aad`] as associated data.
    pub ciphertext: String,
}

/// What is encrypted inside a [`SealedAnnotation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnnotationContent {
    pub doc_id: String,
    /// The document version the annotation was made on.
    pub version: u32,
    /// 0-based page.
    pub page: u32,
    /// ink, highlight, underline, note, text …
    pub kind: String,
    /// Geometry in PDF page coordinates, colour, note text.
    pub data: serde_json::Value,
}

/// Associated data of a sealed annotation: binds the ciphertext to its owner
/// and to the clear metadata the server routes by, so the server cannot move
/// a ciphertext to another annotation, replay it under a newer stamp, or turn
/// an edit into a deletion.
pub fn sealed_annotation_aad(user_id: &str, id: &str, hlc: &Hlc, deleted: bool) -> Vec<u8> {
    let mut out = b"ecabinet-annotation-v1".to_vec();
    for part in [user_id, id, &hlc.to_text(), if deleted { "1" } else { "0" }] {
        out.push(0);
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// `GET`/`PUT /v1/annotation-key`: the user's random 256-bit annotation key,
/// wrapped (AES-256-GCM) under a key derived from their password by Argon2id.
/// The server keeps it for the user's next devices; it never sees the key,
/// the derived key or (here) the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WrappedAnnotationKey {
    /// Random id of the key (hex). Rewrapping the same key keeps it; a
    /// `PUT` with another id than the stored one is a conflict.
    pub key_id: String,
    /// [`ANNOTATION_KDF`].
    pub kdf: String,
    /// Argon2id memory in KiB, passes and lanes.
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
    /// Standard base64 of the per-user random salt (16 bytes).
    pub salt: String,
    /// Standard base64 of the 12-byte nonce.
    pub nonce: String,
    /// Standard base64 of the sealed key and tag (48 bytes), with
    /// [`annotation_key_aad`] as associated data.
    pub wrapped_key: String,
}

/// Associated data of the wrapped key: the user and the key id.
pub fn annotation_key_aad(user_id: &str, key_id: &str) -> Vec<u8> {
    let mut out = b"ecabinet-annotation-key-v1".to_vec();
    for part in [user_id, key_id] {
        out.push(0);
        out.extend_from_slice(part.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(ms: i64, counter: u32, node: &str) -> Hlc {
        Hlc {
            ms,
            counter,
            node: node.into(),
        }
    }

    #[test]
    fn a_tick_follows_the_wall_clock_when_it_is_ahead() {
        assert_eq!(Hlc::tick(None, 1000, "a"), h(1000, 0, "a"));
        assert_eq!(Hlc::tick(Some(&h(900, 7, "b")), 1000, "a"), h(1000, 0, "a"));
    }

    #[test]
    fn a_tick_never_goes_below_a_stamp_already_seen() {
        // Same millisecond, and a wall clock behind a stamp received from a
        // device whose clock runs fast: the counter moves on.
        assert_eq!(
            Hlc::tick(Some(&h(1000, 0, "a")), 1000, "a"),
            h(1000, 1, "a")
        );
        let seen = h(5000, 3, "b");
        let next = Hlc::tick(Some(&seen), 1000, "a");
        assert_eq!(next, h(5000, 4, "a"));
        assert!(next > seen);
        let wrap = Hlc::tick(Some(&h(5000, u32::MAX, "b")), 1000, "a");
        assert_eq!(wrap, h(5001, 0, "a"));
    }

    #[test]
    fn stamps_order_by_time_then_counter_then_device() {
        let ordered = [
            h(999, 9, "z"),
            h(1000, 0, "b"),
            h(1000, 1, "a"),
            h(1000, 1, "b"),
            h(10_000, 0, "a"),
        ];
        for pair in ordered.windows(2) {
            assert!(pair[0] < pair[1], "{:?} < {:?}", pair[0], pair[1]);
            // The store compares the text form: it must agree.
            assert!(
                pair[0].to_text() < pair[1].to_text(),
                "{} < {}",
                pair[0].to_text(),
                pair[1].to_text()
            );
        }
    }

    #[test]
    fn the_text_form_round_trips_with_dashes_in_the_device_id() {
        let s = h(1_764_110_000_000, 42, "0193-abcd-ef");
        assert_eq!(s.to_text(), "0001764110000000-0000000042-0193-abcd-ef");
        assert_eq!(Hlc::parse(&s.to_text()), Some(s));
        assert_eq!(Hlc::parse("12-3-x"), None);
    }

    #[test]
    fn the_associated_data_differs_for_every_field() {
        let base = sealed_annotation_aad("u", "a", &h(1, 0, "d"), false);
        for other in [
            sealed_annotation_aad("v", "a", &h(1, 0, "d"), false),
            sealed_annotation_aad("u", "b", &h(1, 0, "d"), false),
            sealed_annotation_aad("u", "a", &h(2, 0, "d"), false),
            sealed_annotation_aad("u", "a", &h(1, 0, "d"), true),
            // No ambiguity from where one field ends and the next begins.
            sealed_annotation_aad("u\0a", "", &h(1, 0, "d"), false),
        ] {
            assert_ne!(base, other);
        }
    }
}
