//! The reader's watermark (issue 19) in the pixels of rendered pages and in
//! exported copies, on a real demo document with real PDFium.

use ecabinet_pdf::{ImageFormat, RenderRequest, Watermark};

use crate::engine;

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/demo/du-thao-nghi-quyet-chuyen-doi-so.pdf"
);

fn watermark() -> Watermark {
    Watermark::new(vec![
        "Trần Thị Minh Khuê · UBND tỉnh Thử nghiệm".into(),
        "04/12/2026 19:45 (GMT+7)".into(),
    ])
    .unwrap()
}

/// Pixels in the watermark's red: red well above green and blue. The demo
/// pages are black, grey and blue on white, with no such red.
fn reddish(rgba: &[u8]) -> usize {
    rgba.chunks_exact(4)
        .filter(|p| {
            i32::from(p[0]) > i32::from(p[1]) + 25 && i32::from(p[0]) > i32::from(p[2]) + 25
        })
        .count()
}

#[test]
fn a_watermarked_render_carries_the_mark_in_its_pixels_and_the_cache_stays_clean() {
    let doc = engine()
        .open(std::fs::read(DEMO).unwrap(), "watermark-demo@1")
        .unwrap();
    let req = RenderRequest::at_dpi(0, 96.0, ImageFormat::Rgba);
    let plain = engine().render(doc.handle, req).unwrap();
    let marked = engine()
        .render_watermarked(doc.handle, req, &watermark())
        .unwrap();
    assert_eq!((marked.width, marked.height), (plain.width, plain.height));
    let pixels = f64::from(plain.width * plain.height);
    let (before, after) = (reddish(&plain.bytes), reddish(&marked.bytes));
    assert!(
        (before as f64) < pixels * 0.001,
        "the demo page has {before} red pixels of its own"
    );
    assert!(
        after as f64 > pixels * 0.02,
        "only {after} of {pixels} pixels carry the mark"
    );
    // The page under the mark is still there: most pixels are unchanged.
    let same = plain
        .bytes
        .chunks_exact(4)
        .zip(marked.bytes.chunks_exact(4))
        .filter(|(a, b)| a == b)
        .count();
    assert!(same as f64 > pixels * 0.6, "{same} of {pixels} unchanged");
    // The cached render is the clean page: a plain render after the
    // watermarked one has no mark.
    assert_eq!(engine().render(doc.handle, req).unwrap().bytes, plain.bytes);
    // PNG (what the viewer gets) decodes to the same marked pixels.
    let png = engine()
        .render_watermarked(
            doc.handle,
            RenderRequest::at_dpi(0, 96.0, ImageFormat::Png),
            &watermark(),
        )
        .unwrap();
    let decoded = image::load_from_memory(&png.bytes).unwrap().to_rgba8();
    assert_eq!(decoded.into_raw(), marked.bytes);
    let thumb = engine()
        .thumbnail_watermarked(doc.handle, 0, 200, &watermark())
        .unwrap();
    let thumb = image::load_from_memory(&thumb.bytes).unwrap().to_rgba8();
    assert!(reddish(thumb.as_raw()) > 100, "the thumbnail is marked too");
    engine().close(doc.handle).unwrap();
}

#[test]
fn an_exported_copy_carries_the_mark_on_every_page_as_text_and_pixels() {
    let pdf = std::fs::read(DEMO).unwrap();
    let plain_export = engine()
        .export_with_annotations(pdf.clone(), &[], None)
        .unwrap();
    let out = engine()
        .export_with_annotations(pdf, &[], Some(&watermark()))
        .unwrap();
    let plain = engine().open(plain_export, "plain-export@1").unwrap();
    let marked = engine().open(out, "marked-export@1").unwrap();
    let pages = engine().page_sizes(marked.handle).unwrap().len() as u32;
    assert_eq!(pages, 3);
    for page in 0..pages {
        // In the content: PDFium reads the name and the time as page text.
        for (doc, expect) in [(&plain, false), (&marked, true)] {
            let text = engine().page_text(doc.handle, page).unwrap().text();
            assert_eq!(
                text.contains("Trần Thị Minh Khuê") && text.contains("04/12/2026 19:45"),
                expect,
                "page {page}: {text:.200}"
            );
        }
        // And drawn: the marked copy has a few percent more of the mark's
        // red than the plain one (the third page has red bars of its own).
        let req = RenderRequest::at_dpi(page, 72.0, ImageFormat::Rgba);
        let a = engine().render(plain.handle, req).unwrap();
        let b = engine().render(marked.handle, req).unwrap();
        let more = reddish(&b.bytes) as f64 - reddish(&a.bytes) as f64;
        let share = more / f64::from(a.width * a.height);
        assert!(share > 0.01, "page {page}: {share}");
    }
    engine().close(plain.handle).unwrap();
    engine().close(marked.handle).unwrap();
}
