//! The viewer's annotation commands over a real encrypted store and a real
//! PDF engine: record, edit, delete and bring back, list after a restart,
//! page text to snap to, and export with real PDF annotation objects.

use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{app, demo_pdf};
use crate::seed;

const PIN: &str = "1357";

/// A cache with one meeting and the demo programme PDF as version `v1` of `d1`.
fn seed(dir: &Path) {
    let (pdf, _) = demo_pdf();
    let store = seed::store(dir, PIN);
    let v1 = seed::version("v1", "d1", "m1", 1, &pdf);
    let changes = vec![
        seed::meeting(
            "m1",
            "c1",
            "Phiên họp",
            "published",
            json!({"location": "P1"}),
        ),
        seed::item("a1", "m1", None, 0, "Khai mạc"),
        seed::document("d1", "m1", "a1", "Chương trình: phiên họp", json!({})),
        v1.clone(),
    ];
    store.apply_changes(&changes, 3).expect("apply");
    seed::stored_and_verified(&store, &v1, &pdf);
}

fn record(app: &crate::harness::App, annotation: Value) -> Value {
    app.call(
        "record_annotation",
        json!({"versionId": "v1", "annotation": annotation}),
    )
    .expect("record")
}

fn listed(app: &crate::harness::App) -> Vec<Value> {
    app.call("list_annotations", json!({"versionId": "v1"}))
        .expect("list")
        .as_array()
        .expect("array")
        .clone()
}

fn kinds(list: &[Value]) -> Vec<String> {
    let mut k: Vec<String> = list
        .iter()
        .map(|a| a["shape"]["kind"].as_str().expect("kind").to_owned())
        .collect();
    k.sort();
    k
}

#[test]
fn annotations_are_recorded_edited_deleted_brought_back_and_kept_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let (ink_id, first_line) = {
        let app = app(dir.path(), true);
        app.call("unlock", json!({"pin": PIN})).expect("unlock");
        app.call("open_document", json!({"versionId": "v1"}))
            .expect("open");

        // The page's text lines, with each character's extent, to snap to.
        let text = app
            .call("page_text", json!({"versionId": "v1", "page": 0}))
            .expect("page text");
        assert_eq!(text["rotation"], 0);
        let line = text["lines"][0].clone();
        let rect: Vec<f64> = serde_json::from_value(line["rect"].clone()).expect("rect");
        assert!(rect[0] < rect[2] && rect[1] < rect[3], "{line}");
        assert!(!line["chars"].as_array().expect("chars").is_empty());

        let ink = record(
            &app,
            json!({"id": null, "page": 0, "color": [220, 0, 0, 255], "shape": {"kind": "ink", "width": 2.0,
                "strokes": [[{"x": 100.0, "y": 500.0, "pressure": 0.8}, {"x": 150.5, "y": 520.25, "pressure": null}]]}}),
        );
        let ink_id = ink["id"].as_str().expect("id").to_owned();
        record(
            &app,
            json!({"id": null, "page": 0, "color": [255, 230, 0, 255], "shape": {"kind": "highlight", "rects": [rect]}}),
        );
        let note = record(
            &app,
            json!({"id": null, "page": 0, "color": [255, 230, 0, 255], "shape": {"kind": "note", "x": 60.0, "y": 700.0, "text": "Hỏi lại"}}),
        );
        assert_eq!(kinds(&listed(&app)), ["highlight", "ink", "note"]);

        // An edit keeps the id; a deletion hides it; recording it again brings it back (undo).
        let edited = record(
            &app,
            json!({"id": note["id"], "page": 0, "color": [255, 230, 0, 255], "shape": {"kind": "note", "x": 60.0, "y": 700.0, "text": "Đã rõ"}}),
        );
        assert_eq!(edited["id"], note["id"]);
        assert!(edited["updatedAt"].as_str() > note["updatedAt"].as_str());
        app.call("delete_annotation", json!({"id": ink_id}))
            .expect("delete");
        assert_eq!(kinds(&listed(&app)), ["highlight", "note"]);
        let back = record(
            &app,
            json!({"id": ink_id, "page": 0, "color": ink["color"], "shape": ink["shape"]}),
        );
        assert_eq!(back["shape"], ink["shape"]);

        // Nothing to draw is refused; unknown ids are not found.
        assert_eq!(
            app.error(
                "record_annotation",
                json!({"versionId": "v1", "annotation": {"id": null, "page": 0, "color": [0, 0, 0, 255],
                    "shape": {"kind": "highlight", "rects": []}}})
            )["code"],
            "invalid_input"
        );
        assert_eq!(
            app.error("delete_annotation", json!({"id": "nope"}))["code"],
            "not_found"
        );
        (ink_id, rect)
    };

    // A restart: the same store, unlocked again, holds the same annotations.
    let app = app(dir.path(), true);
    assert_eq!(
        app.error("list_annotations", json!({"versionId": "v1"}))["code"],
        "not_unlocked"
    );
    app.call("unlock", json!({"pin": PIN})).expect("unlock");
    let list = listed(&app);
    assert_eq!(kinds(&list), ["highlight", "ink", "note"]);
    let ink = list
        .iter()
        .find(|a| a["id"] == ink_id.as_str())
        .expect("ink");
    assert_eq!(ink["shape"]["strokes"][0][1]["x"], 150.5);
    assert_eq!(
        ink["shape"]["strokes"][0][0]["pressure"]
            .as_f64()
            .map(|p| (p * 10.0).round()),
        Some(8.0)
    );
    let note = list
        .iter()
        .find(|a| a["shape"]["kind"] == "note")
        .expect("note");
    assert_eq!(note["shape"]["text"], "Đã rõ");
    let hl = list
        .iter()
        .find(|a| a["shape"]["kind"] == "highlight")
        .expect("hl");
    let got: Vec<f64> = serde_json::from_value(hl["shape"]["rects"][0].clone()).expect("rect");
    assert_eq!(
        got.iter().map(|v| (v * 100.0).round()).collect::<Vec<_>>(),
        first_line
            .iter()
            .map(|v| (v * 100.0).round())
            .collect::<Vec<_>>()
    );
}

#[test]
fn export_writes_my_annotations_as_real_pdf_annotation_objects() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path());
    let app = app(dir.path(), true);
    app.call("unlock", json!({"pin": PIN})).expect("unlock");
    record(
        &app,
        json!({"id": null, "page": 0, "color": [220, 0, 0, 255], "shape": {"kind": "ink", "width": 2.0,
            "strokes": [[{"x": 100.0, "y": 500.0, "pressure": null}, {"x": 200.0, "y": 540.0, "pressure": null}]]}}),
    );
    record(
        &app,
        json!({"id": null, "page": 0, "color": [255, 230, 0, 255], "shape": {"kind": "highlight", "rects": [[72.0, 700.0, 300.0, 714.0]]}}),
    );
    let gone = record(
        &app,
        json!({"id": null, "page": 0, "color": [0, 0, 0, 255], "shape": {"kind": "text", "rect": [72.0, 300.0, 200.0, 320.0], "text": "Bỏ"}}),
    );
    app.call("delete_annotation", json!({"id": gone["id"]}))
        .expect("delete");

    let out = dir.path().join("xuat.pdf");
    let r = app
        .call(
            "export_annotated",
            json!({"versionId": "v1", "path": out.display().to_string()}),
        )
        .expect("export");
    assert_eq!(r["annotations"], 2, "a deleted annotation is not exported");
    assert_eq!(r["path"], out.display().to_string());
    let found = app
        .state
        .pdf()
        .expect("engine")
        .read_annotations(std::fs::read(&out).expect("exported file"))
        .expect("readable PDF");
    let mut subtypes: Vec<(u32, String)> =
        found.iter().map(|a| (a.page, a.subtype.clone())).collect();
    subtypes.sort();
    assert_eq!(
        subtypes,
        [(0, "Highlight".to_owned()), (0, "Ink".to_owned())]
    );
    let hl = found.iter().find(|a| a.subtype == "Highlight").expect("hl");
    assert!(
        (hl.rect.left - 72.0).abs() < 0.5 && (hl.rect.top - 714.0).abs() < 0.5,
        "{hl:?}"
    );
}
