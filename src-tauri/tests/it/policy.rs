//! A document's signed readers' policy (issue 19) in the app: its page
//! images carry the reader's name, unit and time in their pixels (as the
//! `ecabinet:` scheme serves them, thumbnails too), and a copy is refused
//! when the policy forbids one, watermarked when it asks for that.

use std::path::Path;

use ecabinet_protocol::{DocumentPolicy, ExportPolicy};
use serde_json::json;

use crate::harness::{app, demo_pdf, verified_with_policy};
use crate::seed;

const PIN: &str = "1357";
const ME: &str = "u-khue";

/// One meeting of "UBND tỉnh Thử nghiệm" with the demo programme as `v1`
/// of `d1`, verified under `policy`; the reader is Trần Thị Khuê.
fn seed(dir: &Path, policy: Option<DocumentPolicy>) {
    let (pdf, _) = demo_pdf();
    let store = seed::store(dir, PIN);
    seed::enrolled(&store, ME, "tt.khue");
    let v1 = seed::version("v1", "d1", "m1", 1, &pdf);
    let changes = vec![
        seed::committee("c1", "UBND tỉnh Thử nghiệm", json!({})),
        seed::membership("ms1", "c1", ME, "Trần Thị Khuê", "member"),
        seed::meeting(
            "m1",
            "c1",
            "Phiên họp",
            "published",
            json!({"location": "P1"}),
        ),
        seed::item("a1", "m1", None, 0, "Khai mạc"),
        seed::document("d1", "m1", "a1", "Chương trình", json!({})),
        v1.clone(),
    ];
    store.apply_changes(&changes, 3).expect("apply");
    seed::blob(&store, &pdf);
    verified_with_policy(&store, &v1, policy);
}

/// Share of the pixels in the watermark's red (none on the demo page).
fn red_share(png: &[u8]) -> f64 {
    let img = image::load_from_memory(png).expect("an image").to_rgba8();
    let red = img
        .pixels()
        .filter(|p| {
            i32::from(p[0]) > i32::from(p[1]) + 25 && i32::from(p[0]) > i32::from(p[2]) + 25
        })
        .count();
    red as f64 / f64::from(img.width() * img.height())
}

fn served(app: &crate::harness::App, path: &str, query: &str) -> Vec<u8> {
    let resp = ecabinet_app_lib::pages::render(
        Some(app.state.clone()),
        ecabinet_app_lib::pages::parse(path, Some(query)),
    );
    assert_eq!(
        resp.status(),
        200,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    resp.body().clone()
}

#[test]
fn watermarked_pages_carry_the_readers_name_in_their_pixels_and_forbidden_copies_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(
        dir.path(),
        Some(DocumentPolicy {
            reader_watermark: true,
            export: ExportPolicy::Forbidden,
            classification: Default::default(),
        }),
    );
    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");
    let opened = app
        .call("open_document", json!({"versionId": "v1"}))
        .expect("open");
    assert_eq!(opened["export"], "forbidden");
    let lines: Vec<String> = serde_json::from_value(opened["watermark"].clone()).expect("lines");
    assert_eq!(lines[0], "Trần Thị Khuê · UBND tỉnh Thử nghiệm");
    assert!(lines[1].ends_with("(GMT+7)"), "{lines:?}");
    // What the viewer's <img> gets: marked pixels, the page and its thumbnail.
    let page = served(&app, "/page/v1/0", "scale=1");
    assert!(red_share(&page) > 0.02, "page: {}", red_share(&page));
    let thumb = served(&app, "/thumb/v1/0", "w=200");
    assert!(red_share(&thumb) > 0.01, "thumbnail: {}", red_share(&thumb));
    // No copy leaves, and no file is written.
    let out = dir.path().join("ban-sao.pdf");
    let err = app.error(
        "export_annotated",
        json!({"versionId": "v1", "path": out.display().to_string()}),
    );
    assert_eq!(err["code"], "export_forbidden", "{err}");
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("không được xuất")));
    assert!(!out.exists());
}

#[test]
fn a_document_without_a_policy_is_shown_and_exported_as_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path(), None);
    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");
    let opened = app
        .call("open_document", json!({"versionId": "v1"}))
        .expect("open");
    assert_eq!(opened["watermark"], serde_json::Value::Null);
    assert_eq!(opened["export"], "allowed");
    assert!(red_share(&served(&app, "/page/v1/0", "scale=1")) < 0.001);
    let out = dir.path().join("ban-sao.pdf");
    app.call(
        "export_annotated",
        json!({"versionId": "v1", "path": out.display().to_string()}),
    )
    .expect("export");
    assert!(std::fs::read(&out).expect("written").starts_with(b"%PDF-"));
}

#[test]
fn an_export_with_watermark_names_the_reader_in_the_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(
        dir.path(),
        Some(DocumentPolicy {
            reader_watermark: false,
            export: ExportPolicy::Watermarked,
            classification: Default::default(),
        }),
    );
    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");
    let opened = app
        .call("open_document", json!({"versionId": "v1"}))
        .expect("open");
    // Read in the app without a mark; the copy carries it.
    assert_eq!(opened["watermark"], serde_json::Value::Null);
    let out = dir.path().join("ban-sao.pdf");
    app.call(
        "export_annotated",
        json!({"versionId": "v1", "path": out.display().to_string()}),
    )
    .expect("export");
    let pdf = app.state.pdf().expect("engine");
    let doc = pdf
        .open(std::fs::read(&out).expect("written"), "copy@1")
        .expect("a PDF");
    let words = pdf.page_text(doc.handle, 0).expect("text").text();
    assert!(
        words.contains("Trần Thị Khuê · UBND tỉnh Thử nghiệm"),
        "{words:.300}"
    );
}
