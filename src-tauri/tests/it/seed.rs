//! The one place the shell's tests build cached records: a new or enrolled
//! store, feed changes with the fields the views read (committees,
//! memberships, meetings, agenda, documents, versions, motions and the room),
//! and stored, verified document versions.
//! Each builder takes what the tests vary; `extra` adds or replaces fields.

use std::path::Path;

use ecabinet_store::{Entity, FeedChange, Store};
use ring::signature::Ed25519KeyPair;
use serde_json::{json, Value};

use crate::harness::{store_config, upsert, verified, SERVER_HINT};

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

/// A new encrypted cache in `dir` under `pin`, at the tests' store settings.
pub fn store(dir: &Path, pin: &str) -> Store {
    Store::create(dir, pin, &store_config()).expect("create store")
}

/// Makes `store` an enrolled device's, signed in as `user` (`username`): a
/// device key and the session settings; the server address goes nowhere.
pub fn enrolled(store: &Store, user: &str, username: &str) {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("device key");
    store.set_device_key(pkcs8.as_ref()).expect("key");
    store
        .set_settings(&[
            ("session.server_url", SERVER_HINT),
            ("session.token", "t"),
            ("session.device_id", "dev-1"),
            ("session.user_id", user),
            ("session.username", username),
        ])
        .expect("session");
}

/// A committee named `name`, with its settings (`read_status`, …) in `extra`.
pub fn committee(id: &str, name: &str, extra: Value) -> FeedChange {
    upsert(
        Entity::Committee,
        with(json!({"id": id, "name": name}), extra),
    )
}

/// `user`'s membership of `committee` as `role` (`chair`, `member`, …).
pub fn membership(id: &str, committee: &str, user: &str, name: &str, role: &str) -> FeedChange {
    upsert(
        Entity::Membership,
        json!({"id": id, "committee_id": committee, "user_id": user, "display_name": name, "role": role}),
    )
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

/// A live motion on `item` of `meeting`, in `status` (opened and closed
/// when that status says so): a named, simple-majority vote with quorum 2
/// and the three usual options, open to every member unless `extra` sets
/// `kind` or an `eligible` list.
pub fn motion(id: &str, meeting: &str, item: &str, status: &str, extra: Value) -> FeedChange {
    upsert(
        Entity::Motion,
        with(
            json!({"id": id, "meeting_id": meeting, "agenda_item_id": item, "question": format!("Câu hỏi {id}"),
                "options": ["Đồng ý", "Không đồng ý", "Không biểu quyết"], "kind": "named", "majority": "simple",
                "quorum": 2, "mode": "live", "deadline": null, "status": status,
                "opened_at": if status == "draft" { Value::Null } else { json!(1_000) },
                "closed_at": if status == "closed" { json!(2_000) } else { Value::Null },
                "eligible": null, "may_change_vote": false, "grace_ms": 0}),
            extra,
        ),
    )
}

/// The published final result of `motion` (quorum 2): `counts` are approve,
/// reject, abstain, and every eligible member was present and voted.
pub fn final_result(motion: &str, counts: [u32; 3], outcome: &str) -> FeedChange {
    let [approve, reject, abstain] = counts;
    let voted = approve + reject + abstain;
    upsert(
        Entity::MotionResult,
        json!({"id": motion, "motion_id": motion, "finality": "final", "counts": counts,
            "approve": approve, "reject": reject, "abstain": abstain, "participating": voted,
            "present": voted, "eligible": voted, "quorum_required": 2, "quorum_met": voted >= 2,
            "outcome": outcome, "audit_head": "ab12"}),
    )
}

/// `member` checked in to `meeting` by themself as `presence` at `at`, by
/// the operation `op_id`.
pub fn attendance(meeting: &str, member: &str, presence: &str, at: i64, op_id: &str) -> FeedChange {
    upsert(
        Entity::Attendance,
        json!({"id": format!("{meeting}:{member}"), "meeting_id": meeting, "member_id": member,
            "presence": presence, "reason": null, "at": at, "by_chair": false, "op_id": op_id}),
    )
}

/// `user` (`name`) waiting to speak on `item` of `meeting`, first in the
/// queue unless `extra` gives a `position`; `requested_at` and the rest in `extra`.
pub fn speaker_request(
    id: &str,
    meeting: &str,
    item: &str,
    (user, name): (&str, &str),
    extra: Value,
) -> FeedChange {
    upsert(
        Entity::SpeakerRequest,
        with(
            json!({"id": id, "meeting_id": meeting, "agenda_item_id": item, "user_id": user,
                "display_name": name, "status": "waiting", "position": 0, "requested_at": 0}),
            extra,
        ),
    )
}
