//! Document read status in the shell: opening a document is reported once
//! where the committee wants it, never where it does not, and the overview
//! is not even asked for where the committee has it off.

use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{app, demo_pdf};
use crate::seed;

const PIN: &str = "2468";

/// Two committees, one with read status on, each with a meeting holding
/// one stored document version (`v-on`, `v-off`).
fn seed(dir: &Path) {
    let (pdf, _) = demo_pdf();
    let store = seed::store(dir, PIN);
    let mut changes = Vec::new();
    let mut versions = Vec::new();
    for (suffix, on) in [("on", true), ("off", false)] {
        let (c, m, a, d) = (
            format!("c-{suffix}"),
            format!("m-{suffix}"),
            format!("a-{suffix}"),
            format!("d-{suffix}"),
        );
        let v = seed::version(&format!("v-{suffix}"), &d, &m, 1, &pdf);
        changes.extend([
            seed::committee(&c, "UBND", json!({"read_status": on})),
            seed::meeting(&m, &c, "Phiên họp", "published", json!({"location": ""})),
            seed::item(&a, &m, None, 0, "Tờ trình"),
            seed::document(&d, &m, &a, "Tờ trình", json!({})),
            v.clone(),
        ]);
        versions.push(v);
    }
    store.apply_changes(&changes, 7).expect("apply");
    for v in &versions {
        seed::stored_and_verified(&store, v, &pdf);
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
