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

/// The pixel buffer of the previous render, reused: PDFium renders straight
/// into it (a bitmap over our own memory), so a page is never copied out of
/// PDFium's bitmap, and allocating (and page-faulting in) a fresh 8.5 MB
/// buffer for every 150-dpi page, which costs as much as rendering a text
/// page, happens only when a page is larger than any before.
#[derive(Default)]
pub(crate) struct BitmapSlot(Vec<u8>);

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

/// Renders a page into `slot`; returns (width, height, RGBA pixels, `width *
/// 4` bytes a row). With `opaque` PDFium renders without an alpha channel
/// (faster; the 4th byte is then meaningless), for outputs that drop alpha
/// anyway.
pub(crate) fn render_pixels<'s>(
    page: &PdfPage<'_>,
    scale: f32,
    rotate: u16,
    opaque: bool,
    slot: &'s mut BitmapSlot,
) -> Result<(u32, u32, &'s [u8]), PdfError> {
    let (mut w, mut h) = (
        (page.width().value * scale).round().max(1.0) as i32,
        (page.height().value * scale).round().max(1.0) as i32,
    );
    if rotate == 90 || rotate == 270 {
        std::mem::swap(&mut w, &mut h);
    }
    check_pixels(w, h)?;
    // 4 bytes a pixel: PDFium's stride for these formats is exactly `w * 4`.
    let len = w as usize * h as usize * 4;
    // Grown for a larger page; given back after an outsized one (a 50 MP
    // plan must not keep 200 MB for the 8.5 MB pages after it).
    if slot.0.len() < len || slot.0.len() > (len * 2).max(64 << 20) {
        slot.0 = vec![0; len];
    }
    // Named for PDFium's native order; with the reversed byte order below
    // the bytes are R, G, B, A (or x).
    let format = if opaque {
        PdfBitmapFormat::BGRx
    } else {
        PdfBitmapFormat::BGRA
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
    {
        let mut bitmap = PdfBitmap::from_bytes(w, h, format, &mut slot.0[..len])
            .map_err(|e| PdfError::pdfium("allocate bitmap", e))?;
        page.render_into_bitmap_with_config(&mut bitmap, &config)
            .map_err(|e| PdfError::pdfium("render page", e))?;
    }
    Ok((w as u32, h as u32, &slot.0[..len]))
}

/// RGBx pixels as a binary PPM (P6, RGB), in one pass.
pub(crate) fn rgbx_to_ppm(width: u32, height: u32, rgbx: &[u8]) -> Vec<u8> {
    let header = format!("P6\n{width} {height}\n255\n");
    let mut out = vec![0u8; header.len() + rgbx.len() / 4 * 3];
    out[..header.len()].copy_from_slice(header.as_bytes());
    for (d, s) in out[header.len()..]
        .chunks_exact_mut(3)
        .zip(rgbx.chunks_exact(4))
    {
        d.copy_from_slice(&s[..3]);
    }
    out
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
            bytes: rgbx_to_ppm(width, height, rgbx),
        });
    }
    let (width, height, rgba) = render_pixels(page, req.scale, req.rotation, false, slot)?;
    let rgba = rgba.to_vec();
    Ok(RenderedPage {
        width,
        height,
        format: req.format,
        bytes: encode(width, height, rgba, req.format)?,
    })
}
