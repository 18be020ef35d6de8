//! Integration tests of the PDF engine, on a real PDFium and on PDFs the
//! tests write themselves.
#![allow(clippy::unwrap_used)]

mod annotations;
mod engine;
mod ocr;
mod render;
mod robustness;
mod sandbox;
mod search;
mod source;
mod watermark;

use std::sync::OnceLock;

use ecabinet_pdf::compose::{FontStyle, Fonts, Item, PageSpec, Rgb};
use ecabinet_pdf::{EngineConfig, PdfEngine};

/// One engine for the whole test binary (PDFium binds once per process).
pub fn engine() -> &'static PdfEngine {
    static ENGINE: OnceLock<PdfEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        PdfEngine::start(EngineConfig::default()).expect("PDFium loads (run scripts/setup first)")
    })
}

/// The Vietnamese font subsets kept with the demo documents.
pub fn vietnamese_fonts() -> Fonts {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo/fonts");
    Fonts {
        regular: std::fs::read(format!("{dir}/DejaVuSans-vi.ttf")).expect("regular font subset"),
        bold: Some(
            std::fs::read(format!("{dir}/DejaVuSans-Bold-vi.ttf")).expect("bold font subset"),
        ),
    }
}

pub fn text(x: f32, y: f32, size: f32, s: &str) -> Item {
    Item::Text {
        x,
        y,
        size,
        style: FontStyle::Regular,
        color: Rgb::BLACK,
        text: s.to_owned(),
    }
}

pub fn filled(x: f32, y: f32, w: f32, h: f32, color: Rgb) -> Item {
    Item::Rect {
        x,
        y,
        w,
        h,
        fill: Some(color),
        stroke: None,
    }
}

pub fn page(width: f32, height: f32, rotate: u16, items: Vec<Item>) -> PageSpec {
    PageSpec {
        width,
        height,
        rotate,
        items,
    }
}
