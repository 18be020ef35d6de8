//! The meeting screen's data and opening documents: verified versions open in
//! PDFium from memory; refused or tampered ones never do.

use std::path::Path;

use ecabinet_store::BLOB_DIR;
use serde_json::json;

use crate::harness::{app, demo_pdf};
use crate::seed;

const PIN: &str = "2468";

/// A meeting with a nested agenda and one document in two versions: v1
/// (superseded, stored) and v2 (current, refused by the sync client).
fn seed(dir: &Path) -> (String, String) {
    let (pdf, sha1) = demo_pdf();
    let sha2 = ecabinet_store::testing::sha256_hex(b"another version");
    let store = seed::store(dir, PIN);
    let v1 = seed::version_of(
        "v1",
        "d1",
        "m1",
        1,
        (&sha1, pdf.len()),
        json!({"superseded": true}),
    );
    let changes = vec![
        seed::meeting(
            "m1",
            "c1",
            "Phiên họp tháng 11",
            "in_session",
            json!({"current_item_id": "a2"}),
        ),
        seed::item("a1", "m1", None, 0, "Khai mạc"),
        seed::item("a2", "m1", None, 1, "Tờ trình"),
        seed::item("a21", "m1", Some("a2"), 0, "Của Sở Tài chính"),
        seed::document("d1", "m1", "a21", "Tờ trình", json!({"current_version": 2})),
        v1.clone(),
        seed::version_of("v2", "d1", "m1", 2, (&sha2, 15), json!({})),
    ];
    store.apply_changes(&changes, 7).expect("apply");
    seed::stored_and_verified(&store, &v1, &pdf);
    store
        .set_version_error("v2", Some("manifest signature rejected"))
        .expect("error");
    (sha1, sha2)
}

#[test]
fn the_meeting_screen_lists_agenda_documents_versions_and_the_current_item() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let app = app(dir.path(), false);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");

    let list = app.call("list_meetings", json!({})).expect("list");
    assert_eq!(list[0]["title"], "Phiên họp tháng 11");
    assert_eq!(
        (
            &list[0]["versionsTotal"],
            &list[0]["versionsReady"],
            &list[0]["versionsRejected"]
        ),
        (&json!(2), &json!(1), &json!(1))
    );

    let m = app
        .call("meeting_detail", json!({"meetingId": "m1"}))
        .expect("detail");
    assert_eq!(m["currentItemId"], "a2");
    let agenda: Vec<(&str, Option<&str>)> = m["agenda"]
        .as_array()
        .expect("agenda")
        .iter()
        .map(|a| (a["id"].as_str().expect("id"), a["parentId"].as_str()))
        .collect();
    assert_eq!(agenda, [("a1", None), ("a2", None), ("a21", Some("a2"))]);
    let versions = &m["documents"][0]["versions"];
    // Superseded comes from verified manifests only: v2 was refused, so the
    // verified v1 is still the current version (the feed's flag says otherwise).
    assert_eq!(versions[0]["superseded"], false);
    assert_eq!(versions[0]["state"], json!({"kind": "ready"}));
    assert_eq!(
        versions[1]["state"],
        json!({"kind": "rejected", "reason": "manifest signature rejected"})
    );
    assert_eq!(
        app.error("meeting_detail", json!({"meetingId": "nope"}))["code"],
        "not_found"
    );
}

#[test]
fn a_verified_version_opens_and_a_refused_or_tampered_one_never_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sha1, _) = seed(dir.path());
    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");

    let opened = app
        .call("open_document", json!({"versionId": "v1"}))
        .expect("open v1");
    let pages = opened["pages"].as_array().expect("pages");
    assert!(!pages.is_empty());
    assert!(
        pages[0]["width"].as_f64().expect("width") > 500.0,
        "A4 is 595 pt wide: {opened}"
    );
    assert_eq!(
        app.error("open_document", json!({"versionId": "v2"}))["code"],
        "document_rejected"
    );
    app.call("close_document", json!({"versionId": "v1"}))
        .expect("close");

    // Flip one byte of the encrypted file: the store's authentication fails.
    let path = dir.path().join(BLOB_DIR).join(&sha1);
    let mut bytes = std::fs::read(&path).expect("blob file");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&path, bytes).expect("tamper");
    assert_eq!(
        app.error("open_document", json!({"versionId": "v1"}))["code"],
        "document_rejected"
    );
    assert!(app.state.pdf().is_ok());
}

#[test]
fn search_finds_words_of_the_meetings_documents_with_or_without_diacritics() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");

    // The PDF prints "ỦY BAN NHÂN DÂN"; the query is typed without diacritics.
    let hits = app
        .call(
            "search_meeting",
            json!({"meetingId": "m1", "query": "uy ban nhan dan"}),
        )
        .expect("search");
    assert_eq!(hits["notSearched"], json!([]), "every stored version read");
    let hits = hits["hits"].as_array().expect("hits");
    assert!(!hits.is_empty(), "no hit");
    for h in hits {
        // Only the stored version is searched; the refused v2 has no text.
        assert_eq!(
            (&h["versionId"], &h["documentId"]),
            (&json!("v1"), &json!("d1"))
        );
        assert_eq!(h["title"], "Tờ trình");
        assert_eq!(
            h["text"].as_str().expect("text").to_lowercase(),
            "ủy ban nhân dân"
        );
        let r = h["rects"][0].as_array().expect("rect");
        let [l, b, rt, t] = [0, 1, 2, 3].map(|i| r[i].as_f64().expect("number"));
        assert!(l < rt && b < t, "{r:?}");
    }
    assert_eq!(hits[0]["page"], 0);

    let none = app
        .call(
            "search_meeting",
            json!({"meetingId": "m1", "query": "tàu vũ trụ"}),
        )
        .expect("search");
    assert_eq!(none["hits"], json!([]));
}
