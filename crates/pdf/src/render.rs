//! Rendering one page to pixels and encoding them for the webview.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder};
use pdfium_render::prelude::*;

use crate::error::PdfError;

/// How a rendered page's pixels are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// Raw 8-bit RGBA rows, `width * height * 4` bytes: no encode or decode
    /// cost; the UI puts them straight into an `ImageData`.
    Rgba,
    /// PNG with the fastest compression settings.
    Png,
    /// Lossless WebP.
    Webp,
    /// Binary PPM (P6, RGB): what `pdftoppm` and `mutool draw -F pnm` write;
    /// for benchmarks and command-line renders.
    Ppm,
}

/// One page render: which page, at what zoom, turned how, encoded how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderRequest {
    /// Zero-based page index.
    pub page: u32,
    /// Pixels per PDF point: 1.0 is 72 dpi, 150 dpi is `150.0 / 72.0`.
    pub scale: f32,
    /// Extra clockwise rotation on top of the page's own /Rotate: 0, 90, 180, 270.
    pub rotation: u16,
    pub format: ImageFormat,
}

impl RenderRequest {
    /// A request at `dpi` dots per inch, unrotated.
    pub fn at_dpi(page: u32, dpi: f32, format: ImageFormat) -> Self {
        RenderRequest {
            page,
            scale: dpi / 72.0,
            rotation: 0,
            format,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), PdfError> {
        if !(self.scale.is_finite() && self.scale > 0.0 && self.scale <= 16.0) {
            return Err(PdfError::InvalidRequest("scale must be in (0, 16]"));
        }
        if !matches!(self.rotation, 0 | 90 | 180 | 270) {
            return Err(PdfError::InvalidRequest(
                "rotation must be 0, 90, 180 or 270",
            ));
        }
        Ok(())
    }
}

/// A rendered page: pixel size and the encoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPage {
    pub width: u32,
    pub height: u32,
    pub format: ImageFormat,
    pub bytes: Vec<u8>,
}

impl RenderedPage {
    /// The MIME type of `bytes` (`application/octet-stream` for raw RGBA).
    pub fn mime(&self) -> &'static str {
        match self.format {
            ImageFormat::Rgba => "application/octet-stream",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Ppm => "image/x-portable-pixmap",
        }
    }
}

fn rotation(deg: u16) -> PdfPageRenderRotation {
    match deg {
        90 => PdfPageRenderRotation::Degrees90,
        180 => PdfPageRenderRotation::Degrees180,
        270 => PdfPageRenderRotation::Degrees270,
        _ => PdfPageRenderRotation::None,
    }
}

/// The bitmap of the previous render, reused while the output size stays
/// the same: allocating (and page-faulting in) a fresh 8.5 MB buffer for
/// every 150-dpi page costs as much as rendering a text page.
#[derive(Default)]
pub(crate) struct BitmapSlot(Option<(i32, i32, bool, PdfBitmap<'static>)>);

/// Most pixels one rendered page may have: 50 megapixels (200 MB of RGBA),
/// e.g. an A0 plan at 180 dpi. A 14,400-point page at 100 dpi (400
/// megapixels) took 43 s and 1.6 GB.
pub const MAX_RENDER_PIXELS: u64 = 50_000_000;

/// Refuses a page size over [`MAX_RENDER_PIXELS`] before anything is allocated.
fn check_pixels(w: i32, h: i32) -> Result<(), PdfError> {
    let (width, height) = (w.max(0) as u64, h.max(0) as u64);
    if width.saturating_mul(height) > MAX_RENDER_PIXELS {
        return Err(PdfError::PageTooLarge {
            width,
            height,
            limit: MAX_RENDER_PIXELS,
        });
    }
    Ok(())
}

/// Renders a page; returns (width, height, RGBA pixels). With `opaque`
/// PDFium renders without an alpha channel (faster; the 4th byte is then
/// meaningless), for outputs that drop alpha anyway.
pub(crate) fn render_pixels(
    page: &PdfPage<'_>,
    scale: f32,
    rotate: u16,
    opaque: bool,
    slot: &mut BitmapSlot,
) -> Result<(u32, u32, Vec<u8>), PdfError> {
    let (mut w, mut h) = (
        (page.width().value * scale).round().max(1.0) as i32,
        (page.height().value * scale).round().max(1.0) as i32,
    );
    if rotate == 90 || rotate == 270 {
        std::mem::swap(&mut w, &mut h);
    }
    check_pixels(w, h)?;
    let reuse = matches!(&slot.0, Some((bw, bh, bo, _)) if (*bw, *bh, *bo) == (w, h, opaque));
    if !reuse {
        slot.0 = None;
        let format = if opaque {
            PdfBitmapFormat::BGRx
        } else {
            PdfBitmapFormat::BGRA
        };
        let bitmap =
            PdfBitmap::empty(w, h, format).map_err(|e| PdfError::pdfium("allocate bitmap", e))?;
        slot.0 = Some((w, h, opaque, bitmap));
    }
    let Some((_, _, _, bitmap)) = slot.0.as_mut() else {
        return Err(PdfError::InvalidRequest("no bitmap"));
    };
    let config = PdfRenderConfig::new()
        .set_fixed_size(w, h)
        .rotate(rotation(rotate), false)
        .render_annotations(true)
        // This path (FPDF_RenderPageBitmap) applies the rotation clockwise as
        // documented; pdfium-render's matrix path (form data off) turned
        // pages the other way in our tests.
        .render_form_data(true)
        // PDFium writes RGB(A) order directly, so no channel swap afterwards.
        .set_reverse_byte_order(true);
    page.render_into_bitmap_with_config(bitmap, &config)
        .map_err(|e| PdfError::pdfium("render page", e))?;
    let (w, h) = (bitmap.width() as u32, bitmap.height() as u32);
    let mut bytes = bitmap.as_raw_bytes();
    let row = w as usize * 4;
    // PDFium may pad rows to a 4-byte stride; keep exactly `row` bytes per row.
    if h > 0 && bytes.len() != row * h as usize {
        let stride = bytes.len() / h as usize;
        bytes = bytes
            .chunks(stride)
            .flat_map(|r| r[..row].iter().copied())
            .collect();
    }
    Ok((w, h, bytes))
}

/// Encodes RGBA pixels (`width * height * 4` bytes) in `format`.
pub fn encode(
    width: u32,
    height: u32,
    rgba: Vec<u8>,
    format: ImageFormat,
) -> Result<Vec<u8>, PdfError> {
    let enc = |e: image::ImageError| PdfError::Encode(e.to_string());
    match format {
        ImageFormat::Rgba => Ok(rgba),
        ImageFormat::Png => {
            let mut out = Cursor::new(Vec::with_capacity(rgba.len() / 8));
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
                .write_image(&rgba, width, height, ExtendedColorType::Rgba8)
                .map_err(enc)?;
            Ok(out.into_inner())
        }
        ImageFormat::Ppm => {
            let header = format!("P6\n{width} {height}\n255\n");
            let mut out = Vec::with_capacity(header.len() + rgba.len() / 4 * 3);
            out.extend_from_slice(header.as_bytes());
            for px in rgba.chunks_exact(4) {
                out.extend_from_slice(&px[..3]);
            }
            Ok(out)
        }
        ImageFormat::Webp => {
            let mut out = Vec::with_capacity(rgba.len() / 8);
            WebPEncoder::new_lossless(&mut out)
                .write_image(&rgba, width, height, ExtendedColorType::Rgba8)
                .map_err(enc)?;
            Ok(out)
        }
    }
}

pub(crate) fn render_page(
    page: &PdfPage<'_>,
    req: &RenderRequest,
    slot: &mut BitmapSlot,
) -> Result<RenderedPage, PdfError> {
    if req.format == ImageFormat::Ppm {
        let (width, height, rgbx) = render_pixels(page, req.scale, req.rotation, true, slot)?;
        return Ok(RenderedPage {
            width,
            height,
            format: req.format,
            bytes: encode(width, height, rgbx, req.format)?,
        });
    }
    let (width, height, rgba) = render_pixels(page, req.scale, req.rotation, false, slot)?;
    Ok(RenderedPage {
        width,
        height,
        format: req.format,
        bytes: encode(width, height, rgba, req.format)?,
    })
}
