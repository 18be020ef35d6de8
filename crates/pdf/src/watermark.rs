//! The reader's watermark (issue 19): the reader's name and unit and the
//! time, diagonal and semi-transparent, written into the pixels of every
//! page image the app shows (never an overlay the page's DOM could drop)
//! and into the page content of an exported copy.
//!
//! Both use DejaVu Sans with the Vietnamese letters (the subset kept in
//! `assets/demo/fonts/`), so names keep their diacritics.

use ab_glyph::{point, Font as _, FontRef, PxScale, ScaleFont as _};
use pdfium_render::prelude::*;

use crate::error::PdfError;

/// The font of the watermark (a subset with the Vietnamese letters).
pub const FONT: &[u8] = include_bytes!("../../../assets/demo/fonts/DejaVuSans-vi.ttf");

/// The watermark's colour, a dark red, and how opaque it is (0..1): light
/// enough to read the page through, strong enough to show in any copy.
pub const COLOUR: [u8; 3] = [170, 20, 20];
pub const OPACITY: f32 = 0.28;

/// Most characters of all lines together: a name, a unit and a time.
pub const MAX_CHARS: usize = 240;

/// What is written across each page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    lines: Vec<String>,
}

impl Watermark {
    /// A watermark of `lines` (blank lines dropped); refused when nothing
    /// is left or the text is longer than [`MAX_CHARS`].
    pub fn new(lines: Vec<String>) -> Result<Watermark, PdfError> {
        let lines: Vec<String> = lines
            .into_iter()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            return Err(PdfError::InvalidRequest("a watermark needs some text"));
        }
        if lines.iter().map(|l| l.chars().count()).sum::<usize>() > MAX_CHARS {
            return Err(PdfError::InvalidRequest("the watermark text is too long"));
        }
        Ok(Watermark { lines })
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Writes the watermark into RGBA pixels (`width * height * 4` bytes):
    /// along the diagonal from the bottom left to the top right, repeated
    /// in bands across the page so that no crop of a real part of the page
    /// leaves it out.
    pub fn stamp_rgba(&self, rgba: &mut [u8], width: u32, height: u32) {
        let (w, h) = (width as usize, height as usize);
        if w == 0 || h == 0 || rgba.len() < w * h * 4 {
            return;
        }
        let Ok(font) = FontRef::try_from_slice(FONT) else {
            return;
        };
        // The text's size: the longest line spans about 70 % of the diagonal.
        let diagonal = ((w * w + h * h) as f32).sqrt();
        let widest = self
            .lines
            .iter()
            .map(|l| line_width(&font, l, 1.0))
            .fold(0.0_f32, f32::max)
            .max(1.0);
        let px = (0.7 * diagonal / widest).clamp(8.0, (h as f32 / 6.0).max(8.0));
        let mask = Mask::draw(&font, &self.lines, px);
        if mask.width == 0 || mask.height == 0 {
            return;
        }
        // Direction of the text in image coordinates (y grows downwards).
        let angle = -(h as f32).atan2(w as f32);
        let (sin, cos) = angle.sin_cos();
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let (mw, mh) = (mask.width as f32, mask.height as f32);
        // Bands repeat every 2.5 text heights across the diagonal.
        let period = mh * 2.5;
        let [cr, cg, cb] = COLOUR.map(f32::from);
        for y in 0..h {
            let dy = y as f32 - cy;
            for x in 0..w {
                let dx = x as f32 - cx;
                // Along the text, and across it.
                let u = dx * cos + dy * sin + mw / 2.0;
                if !(0.0..mw - 1.0).contains(&u) {
                    continue;
                }
                let v = (-dx * sin + dy * cos + mh / 2.0).rem_euclid(period);
                if v >= mh - 1.0 {
                    continue;
                }
                let a = mask.sample(u, v) * OPACITY;
                if a <= 0.0 {
                    continue;
                }
                let i = (y * w + x) * 4;
                for (c, target) in [cr, cg, cb].into_iter().enumerate() {
                    let old = f32::from(rgba[i + c]);
                    rgba[i + c] = (old + (target - old) * a).round() as u8;
                }
                // An opaque mark on a transparent pixel shows too.
                let old_alpha = f32::from(rgba[i + 3]);
                rgba[i + 3] = (old_alpha + (255.0 - old_alpha) * a).round() as u8;
            }
        }
    }
}

/// How wide `text` is at `px` pixels (kerning included).
fn line_width(font: &FontRef<'_>, text: &str, px: f32) -> f32 {
    let scaled = font.as_scaled(PxScale::from(px));
    let mut width = 0.0;
    let mut last = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(l) = last {
            width += scaled.kern(l, id);
        }
        width += scaled.h_advance(id);
        last = Some(id);
    }
    width
}

/// The text's coverage (0..1), unrotated, one line under the other, each
/// centred.
struct Mask {
    width: usize,
    height: usize,
    cover: Vec<f32>,
}

impl Mask {
    fn draw(font: &FontRef<'_>, lines: &[String], px: f32) -> Mask {
        let scale = PxScale::from(px);
        let scaled = font.as_scaled(scale);
        let line_height = (scaled.height() + scaled.line_gap()).ceil().max(1.0);
        let widths: Vec<f32> = lines.iter().map(|l| line_width(font, l, px)).collect();
        let width = widths.iter().fold(0.0_f32, |a, b| a.max(*b)).ceil() as usize + 2;
        let height = (line_height * lines.len() as f32).ceil() as usize + 2;
        let mut cover = vec![0.0_f32; width * height];
        for (n, (line, lw)) in lines.iter().zip(&widths).enumerate() {
            let mut caret = (width as f32 - lw) / 2.0;
            let baseline = 1.0 + line_height * n as f32 + scaled.ascent();
            let mut last = None;
            for c in line.chars() {
                let id = scaled.glyph_id(c);
                if let Some(l) = last {
                    caret += scaled.kern(l, id);
                }
                let glyph = id.with_scale_and_position(scale, point(caret, baseline));
                caret += scaled.h_advance(id);
                last = Some(id);
                let Some(outlined) = font.outline_glyph(glyph) else {
                    continue;
                };
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, c| {
                    let x = b.min.x as i64 + i64::from(gx);
                    let y = b.min.y as i64 + i64::from(gy);
                    if (0..width as i64).contains(&x) && (0..height as i64).contains(&y) {
                        let cell = &mut cover[y as usize * width + x as usize];
                        *cell = cell.max(c.clamp(0.0, 1.0));
                    }
                });
            }
        }
        Mask {
            width,
            height,
            cover,
        }
    }

    /// Bilinear coverage at (`u`, `v`), both inside `0..size - 1`.
    fn sample(&self, u: f32, v: f32) -> f32 {
        let (x0, y0) = (u.floor() as usize, v.floor() as usize);
        let (fx, fy) = (u - x0 as f32, v - y0 as f32);
        let at = |x: usize, y: usize| self.cover[y * self.width + x];
        let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
        let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Writes the watermark into every page of `doc` as text objects (the
/// font embedded), diagonal and semi-transparent like the pixels.
pub(crate) fn stamp_document(doc: &mut PdfDocument<'_>, wm: &Watermark) -> Result<(), PdfError> {
    let op = |what: &'static str| move |e| PdfError::pdfium(what, e);
    let font = doc
        .fonts_mut()
        .load_true_type_from_bytes(FONT, true)
        .map_err(op("load the watermark font"))?;
    let count = doc.pages().len();
    let [r, g, b] = COLOUR;
    let colour = PdfColor::new(r, g, b, (OPACITY * 255.0).round() as u8);
    let Ok(face) = FontRef::try_from_slice(FONT) else {
        return Err(PdfError::InvalidRequest("the watermark font does not load"));
    };
    for index in 0..count {
        let mut page = doc.pages().get(index).map_err(op("load page"))?;
        let (pw, ph) = (page.width().value, page.height().value);
        let diagonal = (pw * pw + ph * ph).sqrt();
        let widest = wm
            .lines
            .iter()
            .map(|l| line_width(&face, l, 1.0))
            .fold(0.0_f32, f32::max)
            .max(1.0);
        let size = (0.7 * diagonal / widest).clamp(6.0, (ph / 6.0).max(6.0));
        // Rising from the bottom left to the top right (PDF y grows upwards).
        let angle = ph.atan2(pw);
        let (sin, cos) = angle.sin_cos();
        let line_gap = size * 1.6;
        let n = wm.lines.len() as f32;
        for (i, line) in wm.lines.iter().enumerate() {
            let mut obj = PdfPageTextObject::new(doc, line, font, PdfPoints::new(size))
                .map_err(op("write the watermark"))?;
            obj.set_fill_color(colour)
                .map_err(op("write the watermark"))?;
            let lw = line_width(&face, line, size);
            // Line i's baseline centre, lines stacked across the diagonal
            // around the page's centre.
            let across = ((n - 1.0) / 2.0 - i as f32) * line_gap - size * 0.35;
            let (mx, my) = (pw / 2.0 - sin * across, ph / 2.0 + cos * across);
            // One matrix, rotation and placement together (applying a
            // rotation and then a translation composes in an order that
            // moves the lines along the diagonal instead of across it).
            obj.transform(
                cos,
                sin,
                -sin,
                cos,
                mx - cos * lw / 2.0,
                my - sin * lw / 2.0,
            )
            .map_err(op("write the watermark"))?;
            page.objects_mut()
                .add_text_object(obj)
                .map_err(op("write the watermark"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reddish(rgba: &[u8]) -> usize {
        rgba.chunks_exact(4)
            .filter(|p| p[0] as i32 > p[1] as i32 + 25 && p[0] as i32 > p[2] as i32 + 25)
            .count()
    }

    #[test]
    fn a_white_page_gets_the_mark_across_its_diagonal_and_only_there() {
        let (w, h) = (600u32, 850u32);
        let mut page = vec![255u8; (w * h * 4) as usize];
        let wm = Watermark::new(vec![
            "Nguyễn Thị Hằng · UBND tỉnh".into(),
            "04/12/2026 19:45 (GMT+7)".into(),
        ])
        .expect("watermark");
        wm.stamp_rgba(&mut page, w, h);
        let marked = reddish(&page);
        let share = marked as f64 / f64::from(w * h);
        assert!(
            share > 0.02 && share < 0.4,
            "{marked} marked pixels ({share})"
        );
        // Semi-transparent: no marked pixel is the full colour.
        assert!(page.chunks_exact(4).all(|p| p[1] > COLOUR[1] + 40));
        // The centre band crosses the page's centre region; the corners
        // along the other diagonal stay nearly clean.
        let at = |x: u32, y: u32| &page[((y * w + x) * 4) as usize..((y * w + x) * 4 + 4) as usize];
        let region = |x0: u32, y0: u32, x1: u32, y1: u32| {
            (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| reddish(at(x, y)) == 1)
                .count()
        };
        assert!(region(w / 2 - 60, h / 2 - 60, w / 2 + 60, h / 2 + 60) > 100);
    }

    #[test]
    fn blank_or_overlong_text_is_refused() {
        assert!(Watermark::new(vec!["  ".into()]).is_err());
        assert!(Watermark::new(vec!["x".repeat(MAX_CHARS + 1)]).is_err());
        assert_eq!(
            Watermark::new(vec![" a ".into(), "".into(), "b".into()])
                .expect("ok")
                .lines(),
            ["a", "b"]
        );
    }
}
