//! The one place the shell's tests build cached records: feed changes with
//! the fields the views read, and stored, verified document versions.
//! Each builder takes what the tests vary; `extra` adds or replaces fields.

use ecabinet_store::{Entity, FeedChange, Store};
use serde_json::{json, Value};

use crate::harness::{upsert, verified};

/// The meetings' start time in the seeded caches.
pub const STARTS_AT: i64 = 1_790_000_000_000;

fn with(mut body: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

/// A meeting of `committee`: `title`, `status`, at [`STARTS_AT`], unpublished
/// fields empty unless `extra` says otherwise.
pub fn meeting(id: &str, committee: &str, title: &str, status: &str, extra: Value) -> FeedChange {
    upsert(
        Entity::Meeting,
        with(
            json!({"id": id, "committee_id": committee, "title": title, "location": "Phòng 1",
                "starts_at": STARTS_AT, "status": status, "published_at": null, "current_item_id": null}),
            extra,
        ),
    )
}

/// An agenda item of `meeting`.
pub fn item(
    id: &str,
    meeting: &str,
    parent: Option<&str>,
    position: i64,
    title: &str,
) -> FeedChange {
    item_with(id, meeting, parent, position, title, json!({}))
}

/// [`item`] with more fields (a withdrawal, …).
pub fn item_with(
    id: &str,
    meeting: &str,
    parent: Option<&str>,
    position: i64,
    title: &str,
    extra: Value,
) -> FeedChange {
    upsert(
        Entity::AgendaItem,
        with(
            json!({"id": id, "meeting_id": meeting, "parent_id": parent, "position": position, "title": title}),
            extra,
        ),
    )
}

/// A document of `meeting` under `item`, current version 1 unless `extra` says.
pub fn document(id: &str, meeting: &str, item: &str, title: &str, extra: Value) -> FeedChange {
    upsert(
        Entity::Document,
        with(
            json!({"id": id, "meeting_id": meeting, "agenda_item_id": item, "title": title,
                "current_version": 1}),
            extra,
        ),
    )
}

/// Version `n` of `document`, published, current, whose content is `pdf`.
pub fn version(id: &str, document: &str, meeting: &str, n: u32, pdf: &[u8]) -> FeedChange {
    version_of(
        id,
        document,
        meeting,
        n,
        (&ecabinet_store::testing::sha256_hex(pdf), pdf.len()),
        json!({}),
    )
}

/// A version by its content's `(sha256, size)` (for one whose bytes are not
/// stored), with more fields in `extra` (`superseded`, …).
pub fn version_of(
    id: &str,
    document: &str,
    meeting: &str,
    n: u32,
    (sha256, size): (&str, usize),
    extra: Value,
) -> FeedChange {
    upsert(
        Entity::DocumentVersion,
        with(
            json!({"id": id, "document_id": document, "meeting_id": meeting, "version": n,
                "sha256": sha256, "size": size, "published": true, "superseded": false, "signed": null}),
            extra,
        ),
    )
}

/// Stores `pdf` as an encrypted blob (once per content); returns its SHA-256.
pub fn blob(store: &Store, pdf: &[u8]) -> String {
    let sha = ecabinet_store::testing::sha256_hex(pdf);
    if !store.has_blob(&sha).expect("has blob") {
        let mut w = store.blob_writer(&sha, pdf.len() as u64).expect("writer");
        w.append(pdf).expect("append");
        store.finish_blob(w).expect("finish");
    }
    sha
}

/// Stores `pdf` and records `version` (its feed change) as verified here, as
/// a sync round does once the signed manifest and the blob passed.
pub fn stored_and_verified(store: &Store, version: &FeedChange, pdf: &[u8]) {
    blob(store, pdf);
    verified(store, version);
}
