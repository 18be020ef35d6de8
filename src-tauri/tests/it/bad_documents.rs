//! One bad document never takes the others down in the app: beside a good
//! PDF, a damaged one, a password-protected one and one with no pages, all
//! of which passed the sync's checks (signed manifest, SHA-256: the server
//! signed what it was given), are listed, refused when opened, named by the
//! search, and the good document is still searched, opened and exported.

use ecabinet_pdf::testing::{damaged_pdf, password_protected_pdf, zero_page_pdf};
use serde_json::json;

use crate::harness::{app, demo_pdf};
use crate::seed;

const PIN: &str = "2468";

/// A meeting with the good demo PDF (d-good), a damaged one (d-bad), a
/// password-protected one (d-locked) and one with no pages (d-empty), each
/// stored and verified.
fn seed(dir: &std::path::Path) {
    let store = seed::store(dir, PIN);
    let mut changes = vec![
        seed::meeting("m1", "c1", "Phiên họp tháng 12", "published", json!({})),
        seed::item("a1", "m1", None, 0, "Khai mạc"),
    ];
    let (good, _) = demo_pdf();
    let docs = [
        ("d-good", "Chương trình phiên họp", good),
        ("d-bad", "Báo cáo bị hỏng", damaged_pdf()),
        ("d-locked", "Tờ trình có mật khẩu", password_protected_pdf()),
        ("d-empty", "Phụ lục không có trang", zero_page_pdf()),
    ];
    let mut versions = Vec::new();
    for (id, title, bytes) in &docs {
        let v = seed::version(&format!("v-{id}"), id, "m1", 1, bytes);
        changes.push(seed::document(id, "m1", "a1", title, json!({})));
        changes.push(v.clone());
        versions.push((v, bytes));
    }
    store.apply_changes(&changes, 9).expect("apply");
    for (v, bytes) in versions {
        seed::stored_and_verified(&store, &v, bytes);
    }
}

#[test]
fn a_damaged_a_locked_and_an_empty_pdf_are_named_and_the_good_one_still_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");

    // The meeting lists all three, each ready to open as far as the sync knows.
    let m = app
        .call("meeting_detail", json!({"meetingId": "m1"}))
        .expect("detail");
    let titles: Vec<&str> = m["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| d["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles.len(), 4, "{titles:?}");

    // The search reads the good one and names the two it could not read.
    let found = app
        .call(
            "search_meeting",
            json!({"meetingId": "m1", "query": "uy ban nhan dan"}),
        )
        .expect("search survives the bad documents");
    let hits = found["hits"].as_array().expect("hits");
    assert!(!hits.is_empty(), "the good document was not searched");
    assert!(hits.iter().all(|h| h["documentId"] == "d-good"), "{hits:?}");
    let skipped: Vec<(&str, &str)> = found["notSearched"]
        .as_array()
        .expect("notSearched")
        .iter()
        .map(|n| {
            (
                n["title"].as_str().expect("title"),
                n["code"].as_str().expect("code"),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            ("Báo cáo bị hỏng", "document_rejected"),
            ("Phụ lục không có trang", "document_rejected"),
            ("Tờ trình có mật khẩu", "document_rejected")
        ]
    );
    // A second search answers from the same index, naming them again.
    let again = app
        .call(
            "search_meeting",
            json!({"meetingId": "m1", "query": "phiên họp"}),
        )
        .expect("search");
    assert_eq!(again["notSearched"].as_array().map(Vec::len), Some(3));

    // Opening: the bad ones are refused with a code, the good one opens after.
    for v in ["v-d-bad", "v-d-locked", "v-d-empty"] {
        assert_eq!(
            app.error("open_document", json!({"versionId": v}))["code"],
            "document_rejected",
            "{v}"
        );
    }
    let opened = app
        .call("open_document", json!({"versionId": "v-d-good"}))
        .expect("the good document opens");
    assert!(!opened["pages"].as_array().expect("pages").is_empty());

    // Export of the good one still writes a PDF; the bad one's is refused.
    let out = dir.path().join("export.pdf");
    app.call(
        "export_annotated",
        json!({"versionId": "v-d-good", "path": out.display().to_string()}),
    )
    .expect("export");
    assert!(std::fs::read(&out).expect("exported").starts_with(b"%PDF-"));
    let refused = dir.path().join("bad.pdf");
    assert!(app.error(
        "export_annotated",
        json!({"versionId": "v-d-bad", "path": refused.display().to_string()})
    )["code"]
        .is_string());
    assert!(!refused.exists(), "nothing written for a bad document");
}
