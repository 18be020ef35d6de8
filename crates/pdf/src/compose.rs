//! Writing simple PDFs from a page description: the demo board packs, and the
//! documents that tests and benchmarks render. Runs on the owner thread
//! (see [`crate::PdfEngine::compose`]).

use image::{DynamicImage, RgbImage};
use pdfium_render::prelude::*;

use crate::error::PdfError;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    pub const WHITE: Rgb = Rgb(255, 255, 255);
    pub const RED: Rgb = Rgb(255, 0, 0);

    fn pdf(self) -> PdfColor {
        PdfColor::new(self.0, self.1, self.2, 255)
    }
}

/// Which of the document's fonts a text item uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FontStyle {
    Regular,
    Bold,
}

/// TrueType font files to embed. Without them text uses the standard
/// Helvetica, which only covers Latin-1 (no Vietnamese).
#[derive(Debug, Clone, Default)]
pub struct Fonts {
    pub regular: Vec<u8>,
    /// Falls back to `regular` when absent.
    pub bold: Option<Vec<u8>>,
}

/// One drawing item; coordinates in PDF points, origin bottom-left.
#[derive(Debug, Clone)]
pub enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        style: FontStyle,
        color: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        /// Colour and line width.
        stroke: Option<(Rgb, f32)>,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        color: Rgb,
        width: f32,
    },
    /// An RGB raster image (`pixels.len() == px_w * px_h * 3`) placed in the box.
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        px_w: u32,
        px_h: u32,
        pixels: Vec<u8>,
    },
    /// A JPEG file embedded as is (DCT-compressed, like a scanned page).
    Jpeg {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        jpeg: Vec<u8>,
    },
}

/// One page: its size in points, its /Rotate (0, 90, 180, 270) and content.
#[derive(Debug, Clone)]
pub struct PageSpec {
    pub width: f32,
    pub height: f32,
    pub rotate: u16,
    pub items: Vec<Item>,
}

impl PageSpec {
    /// An A4 portrait page (595 × 842 pt).
    pub fn a4() -> Self {
        PageSpec {
            width: 595.0,
            height: 842.0,
            rotate: 0,
            items: Vec::new(),
        }
    }
}

fn rotation(deg: u16) -> Result<PdfPageRenderRotation, PdfError> {
    Ok(match deg {
        0 => PdfPageRenderRotation::None,
        90 => PdfPageRenderRotation::Degrees90,
        180 => PdfPageRenderRotation::Degrees180,
        270 => PdfPageRenderRotation::Degrees270,
        _ => {
            return Err(PdfError::InvalidRequest(
                "rotation must be 0, 90, 180 or 270",
            ))
        }
    })
}

/// Builds a PDF from page descriptions and returns its bytes.
pub(crate) fn build(
    pdfium: &Pdfium,
    fonts: Option<&Fonts>,
    pages: &[PageSpec],
) -> Result<Vec<u8>, PdfError> {
    let op = |op: &'static str| move |e| PdfError::pdfium(op, e);
    let mut doc = pdfium.create_new_pdf().map_err(op("create document"))?;
    let (regular, bold) = match fonts {
        Some(f) => {
            // CID keyed: Vietnamese needs glyphs beyond a one-byte encoding.
            let r = doc
                .fonts_mut()
                .load_true_type_from_bytes(&f.regular, true)
                .map_err(op("load font"))?;
            let b = match &f.bold {
                Some(bytes) => doc
                    .fonts_mut()
                    .load_true_type_from_bytes(bytes, true)
                    .map_err(op("load font"))?,
                None => r,
            };
            (r, b)
        }
        None => {
            let r = doc.fonts_mut().helvetica();
            let b = doc.fonts_mut().helvetica_bold();
            (r, b)
        }
    };
    for spec in pages {
        let size =
            PdfPagePaperSize::from_points(PdfPoints::new(spec.width), PdfPoints::new(spec.height));
        let mut page = doc
            .pages_mut()
            .create_page_at_end(size)
            .map_err(op("create page"))?;
        page.set_content_regeneration_strategy(PdfPageContentRegenerationStrategy::Manual);
        page.set_rotation(rotation(spec.rotate)?);
        for item in &spec.items {
            add_item(&doc, &mut page, item, regular, bold)?;
        }
        page.regenerate_content()
            .map_err(op("write page content"))?;
    }
    doc.save_to_bytes().map_err(op("save document"))
}

fn add_item<'a>(
    doc: &PdfDocument<'a>,
    page: &mut PdfPage<'a>,
    item: &Item,
    regular: PdfFontToken,
    bold: PdfFontToken,
) -> Result<(), PdfError> {
    let op = |op: &'static str| move |e| PdfError::pdfium(op, e);
    let pt = PdfPoints::new;
    match item {
        Item::Text {
            x,
            y,
            size,
            style,
            color,
            text,
        } => {
            let font = match style {
                FontStyle::Regular => regular,
                FontStyle::Bold => bold,
            };
            let mut obj =
                PdfPageTextObject::new(doc, text, font, pt(*size)).map_err(op("add text"))?;
            obj.set_fill_color(color.pdf()).map_err(op("add text"))?;
            obj.translate(pt(*x), pt(*y)).map_err(op("add text"))?;
            page.objects_mut()
                .add_text_object(obj)
                .map_err(op("add text"))?;
        }
        Item::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke,
        } => {
            let rect = PdfRect::new_from_values(*y, *x, y + h, x + w);
            let obj = PdfPagePathObject::new_rect(
                doc,
                rect,
                stroke.map(|s| s.0.pdf()),
                stroke.map(|s| pt(s.1)),
                fill.map(Rgb::pdf),
            )
            .map_err(op("add rectangle"))?;
            page.objects_mut()
                .add_path_object(obj)
                .map_err(op("add rectangle"))?;
        }
        Item::Line {
            x1,
            y1,
            x2,
            y2,
            color,
            width,
        } => {
            let obj = PdfPagePathObject::new_line(
                doc,
                pt(*x1),
                pt(*y1),
                pt(*x2),
                pt(*y2),
                color.pdf(),
                pt(*width),
            )
            .map_err(op("add line"))?;
            page.objects_mut()
                .add_path_object(obj)
                .map_err(op("add line"))?;
        }
        Item::Image {
            x,
            y,
            w,
            h,
            px_w,
            px_h,
            pixels,
        } => {
            let raster = RgbImage::from_raw(*px_w, *px_h, pixels.clone()).ok_or(
                PdfError::InvalidRequest("image pixels do not match its size"),
            )?;
            let image = DynamicImage::ImageRgb8(raster);
            page.objects_mut()
                .create_image_object(pt(*x), pt(*y), &image, Some(pt(*w)), Some(pt(*h)))
                .map_err(op("add image"))?;
        }
        Item::Jpeg { x, y, w, h, jpeg } => {
            let mut obj =
                PdfPageImageObject::new_from_jpeg_reader(doc, std::io::Cursor::new(jpeg.clone()))
                    .map_err(op("add image"))?;
            obj.scale(*w, *h).map_err(op("add image"))?;
            obj.translate(pt(*x), pt(*y)).map_err(op("add image"))?;
            page.objects_mut()
                .add_image_object(obj)
                .map_err(op("add image"))?;
        }
    }
    Ok(())
}
