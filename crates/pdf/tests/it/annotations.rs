//! Annotations exported into a PDF, read back by PDFium, qpdf and pypdf.

use std::process::Command;

use ecabinet_pdf::annotations::NOTE_ICON_SIZE;
use ecabinet_pdf::{Annotation, AnnotationKind, PdfRectF, Point, Rgba};

use crate::{engine, page, text};

const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.tools/py/bin/python");

fn rect(left: f32, bottom: f32, right: f32, top: f32) -> PdfRectF {
    PdfRectF {
        left,
        bottom,
        right,
        top,
    }
}

fn two_pages() -> Vec<u8> {
    engine()
        .compose(
            None,
            vec![
                page(
                    595.0,
                    842.0,
                    0,
                    vec![text(72.0, 700.0, 12.0, "Budget line to highlight")],
                ),
                page(
                    842.0,
                    595.0,
                    0,
                    vec![text(72.0, 500.0, 12.0, "Second page")],
                ),
            ],
        )
        .unwrap()
}

fn sample() -> Vec<Annotation> {
    let stroke = |pts: &[(f32, f32)]| {
        pts.iter()
            .map(|&(x, y)| Point {
                x,
                y,
                pressure: Some(0.5),
            })
            .collect()
    };
    vec![
        Annotation {
            page: 0,
            color: Rgba::YELLOW,
            kind: AnnotationKind::Highlight {
                rects: vec![
                    rect(70.0, 696.0, 210.0, 712.0),
                    rect(70.0, 680.0, 150.0, 694.0),
                ],
            },
        },
        Annotation {
            page: 0,
            color: Rgba::BLUE,
            kind: AnnotationKind::Underline {
                rects: vec![rect(70.0, 600.0, 300.0, 614.0)],
            },
        },
        Annotation {
            page: 0,
            color: Rgba::RED,
            kind: AnnotationKind::FreeText {
                rect: rect(300.0, 300.0, 500.0, 340.0),
                text: "Cần làm rõ nguồn vốn".into(),
            },
        },
        Annotation {
            page: 1,
            color: Rgba::RED,
            kind: AnnotationKind::Ink {
                strokes: vec![
                    stroke(&[(100.0, 100.0), (150.0, 180.0), (200.0, 120.0)]),
                    stroke(&[(300.0, 300.0), (320.0, 310.0)]),
                ],
                width: 2.0,
            },
        },
        Annotation {
            page: 1,
            color: Rgba::YELLOW,
            kind: AnnotationKind::Note {
                x: 500.0,
                y: 400.0,
                text: "Đồng ý, đề nghị bổ sung phụ lục".into(),
            },
        },
    ]
}

fn close(a: &PdfRectF, b: &PdfRectF) -> bool {
    let d = |x: f32, y: f32| (x - y).abs() <= 1.0;
    d(a.left, b.left) && d(a.bottom, b.bottom) && d(a.right, b.right) && d(a.top, b.top)
}

#[test]
fn exported_annotations_are_found_by_pdfium_with_type_page_and_rect() {
    let annots = sample();
    let out = engine()
        .export_with_annotations(two_pages(), &annots, None)
        .unwrap();
    let found = engine().read_annotations(out).unwrap();
    // Ours, plus the sticky note's /Popup.
    assert_eq!(found.len(), annots.len() + 1, "{found:#?}");
    let popup = found.iter().find(|f| f.subtype == "Popup").unwrap();
    assert_eq!(popup.page, 1);
    for a in &annots {
        let want = a.rect().unwrap();
        let hit = found
            .iter()
            .find(|f| f.page == a.page && f.subtype == a.subtype() && close(&f.rect, &want));
        assert!(
            hit.is_some(),
            "{} on page {} at {want:?} not in {found:#?}",
            a.subtype(),
            a.page
        );
    }
    let highlight = found.iter().find(|f| f.subtype == "Highlight").unwrap();
    assert_eq!(highlight.quads, 2);
    let note = found.iter().find(|f| f.subtype == "Text").unwrap();
    assert_eq!(
        note.contents.as_deref(),
        Some("Đồng ý, đề nghị bổ sung phụ lục")
    );
    assert!((note.rect.top - note.rect.bottom - NOTE_ICON_SIZE).abs() < 0.5);
}

#[test]
fn exported_annotations_pass_qpdf_and_are_read_by_pypdf() {
    let annots = sample();
    let out = engine()
        .export_with_annotations(two_pages(), &annots, None)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("annotated.pdf");
    std::fs::write(&path, &out).unwrap();

    let qpdf = Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .expect("qpdf runs");
    assert!(
        qpdf.status.success(),
        "{}",
        String::from_utf8_lossy(&qpdf.stdout)
    );

    let script = r#"
import json, sys
from pypdf import PdfReader
r = PdfReader(sys.argv[1])
out = []
for i, p in enumerate(r.pages):
    listed = [getattr(ref, "idnum", None) for ref in p.get("/Annots") or []]
    for ref in p.get("/Annots") or []:
        a = ref.get_object()
        item = {"page": i, "indirect": hasattr(ref, "idnum"), "subtype": a["/Subtype"][1:],
                "rect": [float(v) for v in a["/Rect"]],
                "contents": a.get("/Contents")}
        if "/InkList" in a:
            item["inklist"] = [[float(v) for v in s] for s in a["/InkList"]]
        if "/BS" in a:
            item["bs_width"] = float(a["/BS"].get_object()["/W"])
        if "/DA" in a:
            item["da"] = str(a["/DA"])
        if "/Popup" in a:
            pop = a.raw_get("/Popup")
            po = pop.get_object()
            item["popup"] = {"subtype": po["/Subtype"][1:],
                             "rect": [float(v) for v in po["/Rect"]],
                             "parent_is_me": po.raw_get("/Parent").idnum == ref.idnum,
                             "on_page": pop.idnum in listed}
        out.append(item)
print(json.dumps(out))
"#;
    let py = Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("the setup's Python venv with pypdf");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
    let seen = seen.as_array().unwrap();
    // Ours, plus the sticky note's /Popup.
    assert_eq!(seen.len(), annots.len() + 1, "{seen:#?}");
    for a in &annots {
        let want = a.rect().unwrap();
        let hit = seen.iter().any(|s| {
            let r: Vec<f32> = s["rect"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            // /Rect may list its corners in any order.
            let got = rect(
                r[0].min(r[2]),
                r[1].min(r[3]),
                r[0].max(r[2]),
                r[1].max(r[3]),
            );
            s["page"] == a.page && s["subtype"] == a.subtype() && close(&got, &want)
        });
        assert!(
            hit,
            "{} on page {} at {want:?} not in {seen:#?}",
            a.subtype(),
            a.page
        );
    }
    let note = seen.iter().find(|s| s["subtype"] == "Text").unwrap();
    assert_eq!(note["contents"], "Đồng ý, đề nghị bổ sung phụ lục");

    // Ink: the strokes as /InkList (what an editor re-edits), point for point.
    let ink = seen.iter().find(|s| s["subtype"] == "Ink").unwrap();
    let AnnotationKind::Ink { strokes, width } = &annots[3].kind else {
        unreachable!("the sample's fourth annotation is ink")
    };
    let list = ink["inklist"].as_array().expect("/InkList present");
    assert_eq!(list.len(), strokes.len(), "{ink}");
    for (got, want) in list.iter().zip(strokes) {
        let got: Vec<f64> = got
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let want: Vec<f64> = want.iter().flat_map(|p| [p.x as f64, p.y as f64]).collect();
        assert_eq!(got, want);
    }
    assert_eq!(ink["bs_width"].as_f64(), Some(*width as f64));

    // Sticky note: a /Popup annotation that points back to it, is listed on
    // the same page and opens beside the icon.
    let popup = &note["popup"];
    assert_eq!(popup["subtype"], "Popup", "{note}");
    assert_eq!(popup["parent_is_me"], true);
    assert_eq!(popup["on_page"], true);
    assert_eq!(
        popup["rect"][0].as_f64(),
        Some(500.0 + NOTE_ICON_SIZE as f64)
    );
    assert_eq!(popup["rect"][3].as_f64(), Some(400.0));
    let popup_entry = seen.iter().find(|s| s["subtype"] == "Popup").unwrap();
    assert_eq!(popup_entry["page"], 1);

    // Free text: a default appearance naming a font, its size and the colour.
    let free = seen.iter().find(|s| s["subtype"] == "FreeText").unwrap();
    let da = free["da"].as_str().expect("/DA present");
    assert!(
        da.contains("/Helv 12 Tf") && da.contains("0.863 0.000 0.000 rg"),
        "{da}"
    );
    // Highlight and underline carry none of these.
    for s in seen
        .iter()
        .filter(|s| s["subtype"] == "Highlight" || s["subtype"] == "Underline")
    {
        assert!(
            s.get("inklist").is_none() && s.get("popup").is_none(),
            "{s}"
        );
    }
    // /Annots lists indirect references, as the standard requires.
    for s in seen {
        assert_eq!(s["indirect"], true, "{s}");
    }
}

#[test]
fn an_exported_highlight_is_drawn_over_the_page() {
    let annots = vec![Annotation {
        page: 0,
        color: Rgba::YELLOW,
        kind: AnnotationKind::Highlight {
            rects: vec![rect(300.0, 400.0, 500.0, 450.0)],
        },
    }];
    let out = engine()
        .export_with_annotations(two_pages(), &annots, None)
        .unwrap();
    let doc = engine().open(out, "highlighted@1").unwrap();
    let p = engine()
        .render(
            doc.handle,
            ecabinet_pdf::RenderRequest::at_dpi(0, 72.0, ecabinet_pdf::ImageFormat::Rgba),
        )
        .unwrap();
    let px = |x: u32, y: u32| {
        let i = ((y * p.width + x) * 4) as usize;
        (p.bytes[i], p.bytes[i + 1], p.bytes[i + 2])
    };
    let inside = px(400, 842 - 425);
    assert!(
        inside.0 > 200 && inside.1 > 180 && inside.2 < 120,
        "yellow inside: {inside:?}"
    );
    let outside = px(400, 842 - 300);
    assert!(outside.2 > 240, "white outside: {outside:?}");
    engine().close(doc.handle).unwrap();
}

#[test]
fn annotations_on_a_missing_page_are_refused() {
    let annots = vec![Annotation {
        page: 5,
        color: Rgba::RED,
        kind: AnnotationKind::Note {
            x: 10.0,
            y: 10.0,
            text: "x".into(),
        },
    }];
    let err = engine()
        .export_with_annotations(two_pages(), &annots, None)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ecabinet_pdf::PdfError::PageOutOfRange { page: 5, count: 2 }
        ),
        "{err:?}"
    );
}
