//! Scanned pages in the app's meeting search: a page without text of its
//! own is found through the words of its verified text layer, where the
//! words are, as soon as the layer is on the device (the cached index is
//! built again), and not before.

use ecabinet_pdf::testing::{write_pdf, RawPage};
use ecabinet_protocol::{OcrWord, TextLayer, TextLayerPage};
use serde_json::json;

use crate::harness::app;
use crate::seed;

const PIN: &str = "2468";

/// One A4 page with a grey band and no text: what search sees of a scan.
fn scan_without_text() -> Vec<u8> {
    write_pdf(&[RawPage {
        media: [0.0, 0.0, 595.0, 842.0],
        crop: None,
        rotate: 0,
        content: "0.6 g 90 690 420 60 re f".into(),
        jpeg: None,
        helvetica: false,
    }])
}

fn word(text: &str, rect: [f32; 4]) -> OcrWord {
    OcrWord {
        text: text.into(),
        rect,
        confidence: 93,
        line: 0,
    }
}

#[test]
fn a_scanned_page_is_searched_through_its_text_layer_once_it_arrives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = seed::store(dir.path(), PIN);
    let pdf = scan_without_text();
    let v = seed::version("v-scan", "d-scan", "m1", 1, &pdf);
    store
        .apply_changes(
            &[
                seed::meeting("m1", "c1", "Phiên họp tháng 12", "published", json!({})),
                seed::item("a1", "m1", None, 0, "Tờ trình"),
                seed::document("d-scan", "m1", "a1", "Quyết định (bản scan)", json!({})),
                v.clone(),
            ],
            4,
        )
        .expect("apply");
    seed::stored_and_verified(&store, &v, &pdf);
    drop(store);

    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");
    let search = |query: &str| {
        app.call("search_meeting", json!({"meetingId": "m1", "query": query}))
            .expect("search")
    };
    // Without its text layer the scan has nothing to find, and is not an error.
    let before = search("quyet dinh");
    assert_eq!(before["hits"], json!([]), "{before}");
    assert_eq!(before["notSearched"], json!([]), "{before}");

    // The layer arrives (the sync stores it once its signature held).
    let layer = TextLayer {
        pdf_sha256: ecabinet_store::testing::sha256_hex(&pdf),
        engine: "tesseract 5.3.0 (vie)".into(),
        pages: vec![TextLayerPage {
            page: 0,
            words: vec![
                word("Quyết", [100.0, 700.0, 160.0, 720.0]),
                word("định", [166.0, 700.0, 210.0, 720.0]),
                word("số", [216.0, 700.0, 236.0, 720.0]),
            ],
        }],
    };
    let body = serde_json::to_string(&layer).expect("json");
    app.state
        .content_store()
        .expect("store")
        .put_text_layer(
            "v-scan",
            &ecabinet_store::testing::sha256_hex(body.as_bytes()),
            &body,
        )
        .expect("store the layer");

    // The same search now finds the words on the first page, boxed where they are.
    let after = search("quyet dinh");
    let hits = after["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 1, "{after}");
    assert_eq!(hits[0]["documentId"], "d-scan");
    assert_eq!(hits[0]["page"], 0, "the first page (0-based)");
    assert_eq!(
        hits[0]["rects"],
        json!([[100.0, 700.0, 210.0, 720.0]]),
        "{after}"
    );
    // With the marks as typed too.
    assert_eq!(
        search("Quyết định")["hits"].as_array().map(Vec::len),
        Some(1)
    );
}
