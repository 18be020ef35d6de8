//! The owner thread: cache, cancellation, thumbnails.

use std::sync::Arc;

use ecabinet_pdf::compose::Rgb;
use ecabinet_pdf::{
    EngineConfig, ImageFormat, PdfEngine, PdfError, Pending, RenderRequest, Ticket,
};

use crate::{engine, filled, page};

fn ten_pages() -> Vec<u8> {
    engine()
        .compose(
            None,
            vec![
                page(
                    595.0,
                    842.0,
                    0,
                    vec![filled(100.0, 100.0, 300.0, 300.0, Rgb::RED)]
                );
                10
            ],
        )
        .unwrap()
}

#[test]
fn a_second_render_of_the_same_view_comes_from_the_cache() {
    let doc = engine().open(ten_pages(), "cache@1").unwrap();
    let req = RenderRequest::at_dpi(4, 50.0, ImageFormat::Png);
    let first = engine().render(doc.handle, req).unwrap();
    let again = engine().render(doc.handle, req).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    let zoomed = engine()
        .render(
            doc.handle,
            RenderRequest::at_dpi(4, 100.0, ImageFormat::Png),
        )
        .unwrap();
    assert!(!Arc::ptr_eq(&first, &zoomed));
    assert!(
        zoomed.width.abs_diff(2 * first.width) <= 1,
        "{} vs {}",
        zoomed.width,
        first.width
    );
    engine().close(doc.handle).unwrap();
    // The same version reopened reuses the renders.
    let reopened = engine().open(ten_pages(), "cache@1").unwrap();
    assert!(Arc::ptr_eq(
        &first,
        &engine().render(reopened.handle, req).unwrap()
    ));
    engine().close(reopened.handle).unwrap();
}

#[test]
fn the_cache_stays_within_its_byte_budget() {
    let small = PdfEngine::start(EngineConfig {
        cache_budget_bytes: 2_000_000,
        ..EngineConfig::default()
    })
    .unwrap();
    let doc = small.open(ten_pages(), "budget@1").unwrap();
    for p in 0..10 {
        small
            .render(
                doc.handle,
                RenderRequest::at_dpi(p, 50.0, ImageFormat::Rgba),
            )
            .unwrap();
        let (bytes, _) = small.cache_usage();
        assert!(bytes <= 2_000_000, "{bytes}");
    }
    let (bytes, entries) = small.cache_usage();
    // 50 dpi A4 RGBA = 413*585*4 = 966 420 bytes: two fit.
    assert_eq!(entries, 2, "{bytes} bytes");
}

#[test]
fn a_render_whose_ticket_was_cancelled_before_it_started_is_skipped() {
    let doc = engine().open(ten_pages(), "cancel@1").unwrap();
    let ticket = Ticket::new();
    ticket.cancel();
    let r = engine()
        .submit_render(
            doc.handle,
            RenderRequest::at_dpi(1, 30.0, ImageFormat::Png),
            Some(ticket),
        )
        .wait();
    assert!(matches!(r, Err(PdfError::Cancelled)), "{r:?}");
    engine().close(doc.handle).unwrap();
}

#[test]
fn cancelling_one_ticket_skips_its_renders_and_leaves_the_others() {
    let doc = engine().open(ten_pages(), "cancel-queue@1").unwrap();
    let (scrolled_past, visible) = (Ticket::new(), Ticket::new());
    scrolled_past.cancel();
    let pending: Vec<_> = (0..10)
        .map(|p| {
            let t = if p % 2 == 0 { &visible } else { &scrolled_past };
            engine().submit_render(
                doc.handle,
                RenderRequest::at_dpi(p, 40.0, ImageFormat::Png),
                Some(t.clone()),
            )
        })
        .collect();
    for (p, r) in pending.into_iter().map(Pending::wait).enumerate() {
        if p % 2 == 0 {
            assert!(r.is_ok(), "page {p}: {r:?}");
        } else {
            assert!(matches!(r, Err(PdfError::Cancelled)), "page {p}: {r:?}");
        }
    }
    engine().close(doc.handle).unwrap();
}

#[test]
fn thumbnails_have_the_requested_width_and_the_page_aspect() {
    let doc = engine().open(ten_pages(), "thumb@1").unwrap();
    let t = engine().thumbnail(doc.handle, 2, 120).unwrap();
    assert_eq!(t.width, 120);
    assert_eq!(t.height, (120.0_f32 * 842.0 / 595.0).round() as u32);
    assert_eq!(t.format, ImageFormat::Png);
    assert_eq!(&t.bytes[1..4], b"PNG");
    engine().close(doc.handle).unwrap();
}

#[test]
fn the_engine_reports_the_pdfium_build_it_runs() {
    let info = engine().pdfium_info();
    assert!(info.path.ends_with("libpdfium.so"));
    assert_eq!(
        info.version.as_deref().and_then(|v| v.split('.').nth(2)),
        Some("8149")
    );
}
