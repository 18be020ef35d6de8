//! Bad inputs give typed errors for that document; the engine keeps working.

use std::process::Command;

use ecabinet_pdf::{ImageFormat, PdfError, RenderRequest};

use crate::{engine, filled, page};
use ecabinet_pdf::compose::Rgb;

fn good_pdf() -> Vec<u8> {
    engine()
        .compose(
            None,
            vec![
                page(
                    200.0,
                    200.0,
                    0,
                    vec![filled(10.0, 10.0, 50.0, 50.0, Rgb::RED)]
                );
                3
            ],
        )
        .unwrap()
}

fn still_works() {
    let doc = engine().open(good_pdf(), "after-error").unwrap();
    assert_eq!(doc.pages.len(), 3);
    engine()
        .render(
            doc.handle,
            RenderRequest::at_dpi(0, 72.0, ImageFormat::Rgba),
        )
        .unwrap();
    engine().close(doc.handle).unwrap();
}

#[test]
fn empty_bytes_are_reported_as_empty() {
    assert!(matches!(
        engine().open(Vec::new(), "e"),
        Err(PdfError::Empty)
    ));
    still_works();
}

#[test]
fn garbage_is_reported_as_malformed() {
    let junk: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert!(matches!(engine().open(junk, "g"), Err(PdfError::Malformed)));
    let html = b"<html><body>not a pdf</body></html>".to_vec();
    assert!(matches!(engine().open(html, "h"), Err(PdfError::Malformed)));
    still_works();
}

#[test]
fn a_pdf_header_with_nothing_after_it_is_malformed() {
    assert!(matches!(
        engine().open(b"%PDF-1.7\n".to_vec(), "hdr"),
        Err(PdfError::Malformed)
    ));
    still_works();
}

#[test]
fn truncated_pdfs_give_an_error_or_a_usable_document_never_a_crash() {
    let pdf = good_pdf();
    for keep in [pdf.len() / 10, pdf.len() / 3, pdf.len() / 2, pdf.len() - 40] {
        match engine().open(pdf[..keep].to_vec(), "t") {
            // PDFium repairs some truncations by rebuilding the xref table;
            // then every page it reports must render.
            Ok(doc) => {
                for (i, _) in doc.pages.iter().enumerate() {
                    let r = engine().render(
                        doc.handle,
                        RenderRequest::at_dpi(i as u32, 36.0, ImageFormat::Png),
                    );
                    assert!(r.is_ok(), "truncated at {keep}: page {i}: {r:?}");
                }
            }
            Err(e) => assert!(
                matches!(e, PdfError::Malformed | PdfError::NoPages),
                "truncated at {keep}: {e:?}"
            ),
        }
    }
    still_works();
}

#[test]
fn a_password_protected_pdf_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    let locked = dir.path().join("locked.pdf");
    std::fs::write(&plain, good_pdf()).unwrap();
    let status = Command::new("qpdf")
        .args(["--encrypt", "user-pw", "owner-pw", "256", "--"])
        .arg(&plain)
        .arg(&locked)
        .status()
        .expect("qpdf is installed (apt-get install qpdf)");
    assert!(status.success());
    let err = engine()
        .open(std::fs::read(&locked).unwrap(), "locked")
        .unwrap_err();
    assert!(matches!(err, PdfError::PasswordProtected), "{err:?}");
    still_works();
}

#[test]
fn requests_for_unknown_documents_and_pages_are_refused() {
    let doc = engine().open(good_pdf(), "refuse").unwrap();
    let err = engine()
        .render(doc.handle, RenderRequest::at_dpi(3, 72.0, ImageFormat::Png))
        .unwrap_err();
    assert!(
        matches!(err, PdfError::PageOutOfRange { page: 3, count: 3 }),
        "{err:?}"
    );
    let bad_scale = RenderRequest {
        scale: 0.0,
        ..RenderRequest::at_dpi(0, 72.0, ImageFormat::Png)
    };
    assert!(matches!(
        engine().render(doc.handle, bad_scale),
        Err(PdfError::InvalidRequest(_))
    ));
    engine().close(doc.handle).unwrap();
    let err = engine()
        .render(doc.handle, RenderRequest::at_dpi(0, 72.0, ImageFormat::Png))
        .unwrap_err();
    assert!(matches!(err, PdfError::UnknownDocument(_)), "{err:?}");
    assert!(matches!(
        engine().close(doc.handle),
        Err(PdfError::UnknownDocument(_))
    ));
}

#[test]
fn a_huge_page_is_refused_before_rendering_with_the_limit_named() {
    // 14,400 points is the largest page PDF allows (200 inches); at 100 dpi
    // that is 20,000 × 20,000 pixels, which took 43 s to render.
    let huge = engine()
        .compose(None, vec![page(14_400.0, 14_400.0, 0, vec![])])
        .unwrap();
    let doc = engine().open(huge, "huge-page").unwrap();
    let started = std::time::Instant::now();
    let err = engine()
        .render(
            doc.handle,
            RenderRequest::at_dpi(0, 100.0, ImageFormat::Png),
        )
        .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "refused before rendering, not after: {:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            PdfError::PageTooLarge {
                width: 20_000,
                height: 20_000,
                limit: ecabinet_pdf::MAX_RENDER_PIXELS
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("50000000"), "{message}");
    // The same page at a size that fits still renders.
    let small = engine()
        .render(doc.handle, RenderRequest::at_dpi(0, 9.0, ImageFormat::Rgba))
        .unwrap();
    assert_eq!((small.width, small.height), (1_800, 1_800));
    engine().close(doc.handle).unwrap();
    still_works();
}
