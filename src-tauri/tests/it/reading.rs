//! Document read status in the shell: opening a document is reported once
//! where the committee wants it, never where it does not, and the overview
//! is not even asked for where the committee has it off.

use std::path::Path;

use ecabinet_store::{Entity, Store};
use serde_json::{json, Value};

use crate::harness::{app, demo_pdf, store_config, upsert, verified};

const PIN: &str = "2468";

/// Two committees, one with read status on, each with a meeting holding
/// one stored document version (`v-on`, `v-off`).
fn seed(dir: &Path) {
    let (pdf, sha) = demo_pdf();
    let store = Store::create(dir, PIN, &store_config()).expect("create");
    let mut changes = Vec::new();
    for (suffix, on) in [("on", true), ("off", false)] {
        changes.extend([
            upsert(
                Entity::Committee,
                json!({"id": format!("c-{suffix}"), "name": "UBND", "read_status": on}),
            ),
            upsert(
                Entity::Meeting,
                json!({"id": format!("m-{suffix}"), "committee_id": format!("c-{suffix}"), "title": "Phiên họp",
                "location": "", "starts_at": 1_790_000_000_000_i64, "status": "published",
                "published_at": null, "current_item_id": null}),
            ),
            upsert(
                Entity::AgendaItem,
                json!({"id": format!("a-{suffix}"), "meeting_id": format!("m-{suffix}"), "parent_id": null, "position": 0, "title": "Tờ trình"}),
            ),
            upsert(
                Entity::Document,
                json!({"id": format!("d-{suffix}"), "meeting_id": format!("m-{suffix}"), "agenda_item_id": format!("a-{suffix}"),
                "title": "Tờ trình", "current_version": 1}),
            ),
            upsert(
                Entity::DocumentVersion,
                json!({"id": format!("v-{suffix}"), "document_id": format!("d-{suffix}"), "meeting_id": format!("m-{suffix}"),
                "version": 1, "sha256": sha, "size": pdf.len(), "published": true, "superseded": false, "signed": null}),
            ),
        ]);
    }
    store.apply_changes(&changes, 7).expect("apply");
    let mut w = store.blob_writer(&sha, pdf.len() as u64).expect("writer");
    w.append(&pdf).expect("append");
    store.finish_blob(w).expect("finish");
    for c in changes
        .iter()
        .filter(|c| c.entity == Entity::DocumentVersion)
    {
        verified(&store, c);
    }
}

fn read_reports(app: &crate::harness::App) -> Vec<Value> {
    app.state
        .store()
        .expect("unlocked")
        .outbox()
        .expect("outbox")
        .into_iter()
        .filter(|e| e.kind == "read")
        .map(|e| serde_json::from_slice(&e.payload).expect("json payload"))
        .collect()
}

#[test]
fn opening_a_document_is_reported_once_where_the_committee_wants_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");

    for _ in 0..2 {
        app.call("open_document", json!({"versionId": "v-on"}))
            .expect("open");
        app.call("close_document", json!({"versionId": "v-on"}))
            .expect("close");
    }
    app.call("open_document", json!({"versionId": "v-off"}))
        .expect("open");
    let reports = read_reports(&app);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["version_id"], "v-on");
    assert_eq!(reports[0]["state"], "opened");

    // Switched off: the panel stays hidden, and the server is not asked
    // (this app has no server at all).
    let off = app
        .call("read_status", json!({"meetingId": "m-off"}))
        .expect("read status");
    assert_eq!(
        off,
        json!({"meetingId": "m-off", "enabled": false, "documents": []})
    );
}
