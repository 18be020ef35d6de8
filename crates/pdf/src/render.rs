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

impl BitmapSlot {
    /// Makes room for `len` bytes: grown for a larger page, given back after
    /// an outsized one (a 50 MP plan must not keep 200 MB for the 8.5 MB
    /// pages after it).
    fn fit(&mut self, len: usize) {
        if self.0.len() < len || self.0.len() > (len * 2).max(64 << 20) {
            self.0 = vec![0; len];
        }
    }
}

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

/// How PDFium lays out a page's pixels. PDFium writes R, G, B order
/// directly (its reversed byte order), so no channel is swapped afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// 4 bytes a pixel with alpha.
    Rgba,
    /// 4 bytes a pixel, the 4th meaningless: PDFium skips the alpha channel.
    Rgbx,
    /// 3 bytes a pixel: what PPM and an opaque PNG hold, so those are
    /// written from PDFium's own rows with no pass over the pixels.
    Rgb,
}

impl Layout {
    fn bytes_per_pixel(self) -> usize {
        match self {
            Layout::Rgba | Layout::Rgbx => 4,
            Layout::Rgb => 3,
        }
    }

    /// PDFium's row stride for `width` pixels: rounded up to 4 bytes.
    fn stride(self, width: u32) -> usize {
        (width as usize * self.bytes_per_pixel()).div_ceil(4) * 4
    }
}

/// The pixel size of `page` at `scale`, turned by `rotate`; refused over
/// [`MAX_RENDER_PIXELS`] before anything is allocated.
fn pixel_size(page: &PdfPage<'_>, scale: f32, rotate: u16) -> Result<(u32, u32), PdfError> {
    let (mut w, mut h) = (
        (page.width().value * scale).round().max(1.0) as i32,
        (page.height().value * scale).round().max(1.0) as i32,
    );
    if rotate == 90 || rotate == 270 {
        std::mem::swap(&mut w, &mut h);
    }
    check_pixels(w, h)?;
    Ok((w as u32, h as u32))
}

/// Renders `page` into `buf` (at least `layout.stride(width) * height`
/// bytes), rows `layout.stride(width)` apart, on white.
fn render_into(
    page: &PdfPage<'_>,
    (width, height): (u32, u32),
    rotate: u16,
    layout: Layout,
    buf: &mut [u8],
) -> Result<(), PdfError> {
    let len = layout.stride(width) * height as usize;
    let buf = &mut buf[..len];
    // White in every layout is all bits set: one memset, where PDFium's
    // FPDFBitmap_FillRect goes pixel by pixel (9 % of a text page's time).
    buf.fill(0xff);
    // Named for PDFium's native order; reversed below.
    let format = match layout {
        Layout::Rgba => PdfBitmapFormat::BGRA,
        Layout::Rgbx => PdfBitmapFormat::BGRx,
        Layout::Rgb => PdfBitmapFormat::BGR,
    };
    let config = PdfRenderConfig::new()
        .set_fixed_size(width as i32, height as i32)
        .rotate(rotation(rotate), false)
        .render_annotations(true)
        // This path (FPDF_RenderPageBitmap) applies the rotation clockwise as
        // documented; pdfium-render's matrix path (form data off) turned
        // pages the other way in our tests.
        .render_form_data(true)
        .clear_before_rendering(false)
        .set_reverse_byte_order(true);
    let mut bitmap = PdfBitmap::from_bytes(width as i32, height as i32, format, buf)
        .map_err(|e| PdfError::pdfium("allocate bitmap", e))?;
    page.render_into_bitmap_with_config(&mut bitmap, &config)
        .map_err(|e| PdfError::pdfium("render page", e))
}

/// Renders a page into `slot`; returns (width, height, pixels `width * 4`
/// bytes a row: RGBA, or with `opaque` RGBx, faster when alpha is dropped
/// anyway).
pub(crate) fn render_pixels<'s>(
    page: &PdfPage<'_>,
    scale: f32,
    rotate: u16,
    opaque: bool,
    slot: &'s mut BitmapSlot,
) -> Result<(u32, u32, &'s [u8]), PdfError> {
    let (w, h) = pixel_size(page, scale, rotate)?;
    let layout = if opaque { Layout::Rgbx } else { Layout::Rgba };
    let len = layout.stride(w) * h as usize;
    slot.fit(len);
    render_into(page, (w, h), rotate, layout, &mut slot.0)?;
    Ok((w, h, &slot.0[..len]))
}

/// Renders a page of `size` pixels as tightly packed RGB rows (`width * 3`
/// bytes each) at the start of `buf` (at least `Layout::Rgb.stride(width) *
/// height` bytes), and returns their length: PDFium writes the pixels where
/// they stay, and only the row padding PDFium needs (a width not a multiple
/// of 4) costs a move of each row.
fn render_rgb(
    page: &PdfPage<'_>,
    (w, h): (u32, u32),
    rotate: u16,
    buf: &mut [u8],
) -> Result<usize, PdfError> {
    let stride = Layout::Rgb.stride(w);
    let row = w as usize * 3;
    render_into(page, (w, h), rotate, Layout::Rgb, buf)?;
    if stride != row {
        for y in 1..h as usize {
            buf.copy_within(y * stride..y * stride + row, y * row);
        }
    }
    Ok(row * h as usize)
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
        ImageFormat::Png => encode_png(width, height, &rgba, ExtendedColorType::Rgba8),
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

/// PNG with the fastest compression settings.
fn encode_png(
    width: u32,
    height: u32,
    pixels: &[u8],
    color: ExtendedColorType,
) -> Result<Vec<u8>, PdfError> {
    let mut out = Cursor::new(Vec::with_capacity(pixels.len() / 8));
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(pixels, width, height, color)
        .map_err(|e| PdfError::Encode(e.to_string()))?;
    Ok(out.into_inner())
}

pub(crate) fn render_page(
    page: &PdfPage<'_>,
    req: &RenderRequest,
    slot: &mut BitmapSlot,
) -> Result<RenderedPage, PdfError> {
    let (width, height, bytes) = match req.format {
        ImageFormat::Ppm => {
            let (w, h) = pixel_size(page, req.scale, req.rotation)?;
            let header = format!("P6\n{w} {h}\n255\n");
            let start = header.len();
            // Zeroed pages come from the kernel untouched; rendering fills them once.
            let mut out = vec![0; start + Layout::Rgb.stride(w) * h as usize];
            out[..start].copy_from_slice(header.as_bytes());
            let len = render_rgb(page, (w, h), req.rotation, &mut out[start..])?;
            out.truncate(start + len);
            (w, h, out)
        }
        ImageFormat::Png => {
            // Pages are opaque: RGB is a quarter less to filter and compress.
            let (w, h) = pixel_size(page, req.scale, req.rotation)?;
            slot.fit(Layout::Rgb.stride(w) * h as usize);
            let len = render_rgb(page, (w, h), req.rotation, &mut slot.0)?;
            (
                w,
                h,
                encode_png(w, h, &slot.0[..len], ExtendedColorType::Rgb8)?,
            )
        }
        ImageFormat::Rgba | ImageFormat::Webp => {
            let (w, h, rgba) = render_pixels(page, req.scale, req.rotation, false, slot)?;
            (w, h, encode(w, h, rgba.to_vec(), req.format)?)
        }
    };
    Ok(RenderedPage {
        width,
        height,
        format: req.format,
        bytes,
    })
}
