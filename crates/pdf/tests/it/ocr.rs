//! Searchable scans: the real `ecabinet-ocr` worker and the real Tesseract
//! read scans made from a demo page whose text and its positions PDFium
//! knows, and the words must be found where that text was.

use std::io::Cursor;
use std::path::Path;
use std::process::{Command, Output};

use ecabinet_pdf::ocr::{render_for_ocr, MAX_OCR_PIXELS};
use ecabinet_pdf::testing::{scan_page, scanned, write_pdf, RawPage};
use ecabinet_pdf::{page_text_from_words, OcrSource, PdfRectF, SearchIndex};
use ecabinet_protocol::TextLayer;

use crate::engine;

const WORKER: &str = env!("CARGO_BIN_EXE_ecabinet-ocr");

/// The demo document and a phrase on its first page ("công tác giải phóng
/// mặt bằng tại một số dự án còn chậm").
const DEMO: &str = "to-trinh-dau-tu-cong-2027.pdf";
const PHRASE: &str = "giải phóng mặt bằng";
const PHRASE_FOLDED: &str = "giai phong mat bang";

/// How far a word box read from pixels may lie from PDFium's box of the
/// same text: Tesseract boxes the ink, PDFium the font's full height.
const TOLERANCE_PT: f32 = 2.0;

fn demo() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo/");
    std::fs::read(format!("{path}{DEMO}")).unwrap()
}

/// Where PDFium says `phrase` is on `page` of `pdf`: the first line box of
/// its only hit.
fn rect_of(pdf: Vec<u8>, page: u32, phrase: &str) -> PdfRectF {
    let doc = engine().open(pdf, "ocr-original").unwrap();
    let mut index = SearchIndex::new();
    index.add_document("original", engine().document_text(doc.handle).unwrap());
    engine().close(doc.handle).unwrap();
    let hits: Vec<_> = index
        .search(phrase)
        .into_iter()
        .filter(|h| h.page == page)
        .collect();
    assert_eq!(hits.len(), 1, "{phrase:?} once on the original page");
    hits[0].rects[0]
}

fn run_worker(pdf: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(WORKER);
    cmd.args(args).arg(pdf);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs the worker on `pdf`; its progress lines and the layer it printed.
fn ocr(pdf: &[u8]) -> (Vec<serde_json::Value>, TextLayer) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = run_worker(&path, &[], &[]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}: {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = lines.pop().unwrap();
    let layer: TextLayer = serde_json::from_value(last["layer"].clone()).unwrap();
    let sha = ring::digest::digest(&ring::digest::SHA256, pdf);
    assert_eq!(
        layer.pdf_sha256,
        ecabinet_protocol::hex::encode(sha.as_ref())
    );
    assert!(
        layer.engine.starts_with("tesseract ") && layer.engine.ends_with(" (vie)"),
        "{}",
        layer.engine
    );
    (lines, layer)
}

fn index_of(layer: &TextLayer) -> SearchIndex {
    let mut index = SearchIndex::new();
    let pages = layer
        .pages
        .iter()
        .map(|p| page_text_from_words(p.page, &p.words))
        .collect();
    index.add_document("scan", pages);
    index
}

/// The phrase is found in the read layer, with and without its marks, at
/// `expected` (PDF points of the scanned page).
fn assert_found_at(layer: &TextLayer, page: u32, expected: PdfRectF) {
    let index = index_of(layer);
    for query in [PHRASE, PHRASE_FOLDED] {
        let hits = index.search(query);
        assert_eq!(hits.len(), 1, "{query:?} in {:?}", layer.pages);
        assert_eq!(hits[0].page, page);
        assert_eq!(hits[0].text, PHRASE);
        let got = hits[0].rects[0];
        let off = [
            got.left - expected.left,
            got.bottom - expected.bottom,
            got.right - expected.right,
            got.top - expected.top,
        ];
        assert!(
            off.iter().all(|d| d.abs() <= TOLERANCE_PT),
            "{query:?} at {got:?}, the text was at {expected:?} (off by {off:?})"
        );
    }
}

#[test]
fn a_scanned_page_is_found_with_and_without_marks_where_its_text_was() {
    let original = rect_of(demo(), 0, PHRASE);
    let scan = scanned(engine(), demo(), 0, 200.0);
    let pdf = write_pdf(&[scan_page(
        scan,
        [0.0, 0.0, 595.0, 842.0],
        0,
        "595 0 0 842 0 0",
    )]);
    let (progress, layer) = ocr(&pdf);
    assert_eq!(
        progress,
        [
            serde_json::json!({"pages_total": 1}),
            serde_json::json!({"done": 1})
        ]
    );
    assert_eq!(layer.pages.len(), 1);
    assert_eq!(layer.pages[0].page, 0);
    let words = &layer.pages[0].words;
    assert!(words.len() > 200, "a full page of words: {}", words.len());
    assert!(words.iter().any(|w| w.text == "Ủy" && w.confidence > 80));
    assert_found_at(&layer, 0, original);
}

#[test]
fn a_scan_inside_a_crop_box_is_mapped_into_the_pages_own_coordinates() {
    let original = rect_of(demo(), 0, PHRASE);
    let scan = scanned(engine(), demo(), 0, 200.0);
    let mut page = scan_page(scan, [0.0, 0.0, 695.0, 942.0], 0, "595 0 0 842 40 60");
    page.crop = Some([40.0, 60.0, 635.0, 902.0]);
    let (_, layer) = ocr(&write_pdf(&[page]));
    let expected = PdfRectF {
        left: original.left + 40.0,
        bottom: original.bottom + 60.0,
        right: original.right + 40.0,
        top: original.top + 60.0,
    };
    assert_found_at(&layer, 0, expected);
}

#[test]
fn a_scan_on_a_turned_page_is_mapped_into_the_pages_own_coordinates() {
    let original = rect_of(demo(), 0, PHRASE);
    let scan = scanned(engine(), demo(), 0, 200.0);
    // A landscape page in user space shown a quarter turn clockwise: the
    // displayed point (X, Y) is the user point (842 − Y, X), so the
    // upright image is drawn turned a quarter counter-clockwise.
    let page = scan_page(scan, [0.0, 0.0, 842.0, 595.0], 90, "0 595 -842 0 842 0");
    let (_, layer) = ocr(&write_pdf(&[page]));
    let expected = PdfRectF {
        left: 842.0 - original.top,
        bottom: original.left,
        right: 842.0 - original.bottom,
        top: original.right,
    };
    // A turned word's characters all get the word's box (see
    // `page_text_from_words`): the phrase highlights as its four words.
    let index = index_of(&layer);
    let hits = index.search(PHRASE_FOLDED);
    assert_eq!(hits.len(), 1, "{:?}", layer.pages);
    let union = hits[0]
        .rects
        .iter()
        .copied()
        .reduce(|a, b| PdfRectF {
            left: a.left.min(b.left),
            bottom: a.bottom.min(b.bottom),
            right: a.right.max(b.right),
            top: a.top.max(b.top),
        })
        .unwrap();
    let off = [
        union.left - expected.left,
        union.bottom - expected.bottom,
        union.right - expected.right,
        union.top - expected.top,
    ];
    assert!(
        off.iter().all(|d| d.abs() <= TOLERANCE_PT),
        "found at {union:?}, the text was at {expected:?} (off by {off:?})"
    );
}

#[test]
fn only_pages_without_text_of_their_own_are_read() {
    // The demo document has text on every page: nothing to read.
    let (progress, layer) = ocr(&demo());
    assert_eq!(progress, [serde_json::json!({"pages_total": 0})]);
    assert!(layer.pages.is_empty());

    // A typed cover page, then a scanned page: only the scan is read.
    let cover = RawPage {
        media: [0.0, 0.0, 595.0, 842.0],
        crop: None,
        rotate: 0,
        content: "BT /F1 14 Tf 72 760 Td (Signed original attached below) Tj ET".into(),
        jpeg: None,
        helvetica: true,
    };
    let scan = scan_page(
        scanned(engine(), demo(), 0, 150.0),
        [0.0, 0.0, 595.0, 842.0],
        0,
        "595 0 0 842 0 0",
    );
    let (progress, layer) = ocr(&write_pdf(&[cover, scan]));
    assert_eq!(
        progress,
        [
            serde_json::json!({"pages_total": 1}),
            serde_json::json!({"done": 1})
        ]
    );
    let read: Vec<u32> = layer.pages.iter().map(|p| p.page).collect();
    assert_eq!(read, [1]);
    assert!(!layer.pages[0].words.is_empty());
    assert!(index_of(&layer).search("Signed original").is_empty());
}

#[test]
fn a_damaged_file_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.pdf");
    let mut pdf = demo();
    pdf.truncate(400);
    std::fs::write(&path, &pdf).unwrap();
    let out = run_worker(&path, &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a readable PDF"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("layer"));

    let out = run_worker(&dir.path().join("missing.pdf"), &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.pdf"));
}

#[test]
fn a_missing_tesseract_or_language_exits_3_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.pdf");
    std::fs::write(&path, demo()).unwrap();
    let out = run_worker(
        &path,
        &[("ECABINET_TESSERACT", "/nonexistent/tesseract")],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/tesseract"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = run_worker(&path, &[], &["--lang", "xyz"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"xyz\"") && stderr.contains("vie"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_failing_ocr_engine_exits_4_with_its_message() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("tesseract");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncase \"$1\" in\n\
         --version) echo 'tesseract 5.3.0' ;;\n\
         --list-langs) echo 'List of available languages (1):'; echo vie ;;\n\
         *) cat >/dev/null; echo 'Error: model file damaged' >&2; exit 1 ;;\n\
         esac\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    // One blank page: it has no text, so it is read.
    let path = dir.path().join("blank.pdf");
    let blank = RawPage {
        media: [0.0, 0.0, 595.0, 842.0],
        crop: None,
        rotate: 0,
        content: String::new(),
        jpeg: None,
        helvetica: false,
    };
    std::fs::write(&path, write_pdf(&[blank])).unwrap();
    let out = run_worker(
        &path,
        &[("ECABINET_TESSERACT", fake.to_str().unwrap())],
        &[],
    );
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("page 1") && stderr.contains("model file damaged"),
        "{stderr}"
    );
    // The page was tried (done), and no layer came of it.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "{\"pages_total\":1}\n{\"done\":1}"
    );
}

#[test]
fn a_huge_page_is_rendered_within_the_pixel_cap_and_still_mapped_to_its_corners() {
    // 100 × 100 inches: 900 megapixels at 300 dpi.
    let page = RawPage {
        media: [0.0, 0.0, 7200.0, 7200.0],
        crop: None,
        rotate: 0,
        content: "q 0 0 0 rg 100 100 500 500 re f Q".into(),
        jpeg: None,
        helvetica: false,
    };
    let source = OcrSource::new(Cursor::new(write_pdf(&[page])));
    let image = render_for_ocr(engine(), &source, 0).unwrap();
    let pixels = u64::from(image.width) * u64::from(image.height);
    assert!(
        pixels <= MAX_OCR_PIXELS && pixels > MAX_OCR_PIXELS * 95 / 100,
        "{}×{}",
        image.width,
        image.height
    );
    assert!(image.dpi < 70.0, "{}", image.dpi);
    let header = format!("P5\n{} {}\n255\n", image.width, image.height);
    assert!(image.pgm.starts_with(header.as_bytes()));
    assert_eq!(image.pgm.len(), header.len() + pixels as usize);
    let near = |a: [f32; 2], e: [f32; 2]| (a[0] - e[0]).abs() < 2.0 && (a[1] - e[1]).abs() < 2.0;
    assert!(near(image.map.point(0.0, 0.0), [0.0, 7200.0]));
    let (w, h) = (image.width as f32, image.height as f32);
    assert!(near(image.map.point(w, h), [7200.0, 0.0]));
    // The black square is where the page says it is.
    let at = |x: f32, y: f32| {
        let px = (x / 7200.0 * w) as usize;
        let py = ((7200.0 - y) / 7200.0 * h) as usize;
        image.pgm[header.len() + py * image.width as usize + px]
    };
    assert_eq!(at(350.0, 350.0), 0);
    assert_eq!(at(700.0, 350.0), 255);
}

/// A scan of the demo's first page, then a blank landscape page: the
/// second is the one a stand-in Tesseract below fails on.
fn scan_then_landscape() -> Vec<u8> {
    let scan = scanned(engine(), demo(), 0, 150.0);
    write_pdf(&[
        scan_page(scan, [0.0, 0.0, 595.0, 842.0], 0, "595 0 0 842 0 0"),
        RawPage {
            media: [0.0, 0.0, 842.0, 595.0],
            crop: None,
            rotate: 0,
            content: String::new(),
            jpeg: None,
            helvetica: false,
        },
    ])
}

#[cfg(unix)]
#[test]
fn a_page_tesseract_fails_on_is_left_out_and_the_others_are_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // The real Tesseract, except that it fails on a landscape image (the
    // PGM header gives the size), as it would on a page it cannot handle.
    let fake = dir.path().join("tesseract");
    std::fs::write(
        &fake,
        "#!/usr/bin/python3\n\
         import subprocess, sys\n\
         if sys.argv[1] in ('--version', '--list-langs'):\n\
         \x20   sys.exit(subprocess.call(['tesseract'] + sys.argv[1:]))\n\
         image = sys.stdin.buffer.read()\n\
         width, height = (int(v) for v in image.split(b'\\n')[1].split()[:2])\n\
         if width > height:\n\
         \x20   sys.stderr.write('Error: cannot read this page\\n')\n\
         \x20   sys.exit(1)\n\
         done = subprocess.run(['tesseract'] + sys.argv[1:], input=image, capture_output=True)\n\
         sys.stdout.buffer.write(done.stdout)\n\
         sys.exit(done.returncode)\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("two-scans.pdf");
    std::fs::write(&path, scan_then_landscape()).unwrap();
    let out = run_worker(
        &path,
        &[("ECABINET_TESSERACT", fake.to_str().unwrap())],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", out.status);
    assert!(
        stderr.contains("warning: page 2 left out") && stderr.contains("cannot read this page"),
        "{stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    let layer: TextLayer = serde_json::from_value(
        serde_json::from_str::<serde_json::Value>(last).unwrap()["layer"].clone(),
    )
    .unwrap();
    let read: Vec<u32> = layer.pages.iter().map(|p| p.page).collect();
    assert_eq!(read, [0], "page 1 read, page 2 left out");
    assert!(!index_of(&layer).search(PHRASE_FOLDED).is_empty());
}

#[test]
fn past_the_page_cap_the_first_pages_are_read_and_the_rest_said() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two-scans.pdf");
    std::fs::write(&path, scan_then_landscape()).unwrap();
    let out = run_worker(&path, &[], &["--max-pages", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", out.status);
    assert!(
        stderr.contains("1 scanned pages past the first 1 not read"),
        "{stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with(r#"{"pages_total":1}"#), "{stdout}");
    let last = stdout.lines().last().unwrap();
    let layer: TextLayer = serde_json::from_value(
        serde_json::from_str::<serde_json::Value>(last).unwrap()["layer"].clone(),
    )
    .unwrap();
    assert_eq!(layer.pages.iter().map(|p| p.page).collect::<Vec<_>>(), [0]);
    // A cap of nothing is a usage error.
    let out = run_worker(&path, &[], &["--max-pages", "0"]);
    assert_eq!(out.status.code(), Some(2));
}
