//! Searchable scans: reading the words on a document's image-only pages
//! (a scanned, signed original) with Tesseract, and turning them back into
//! [`PageText`] so the [`SearchIndex`](crate::SearchIndex) searches them like
//! any other page.
//!
//! A page is read only when its own text has fewer than
//! [`MIN_OWN_TEXT_CHARS`] non-blank characters. It is rendered at
//! [`OCR_DPI`] (less for a page so large that it would pass
//! [`MAX_OCR_PIXELS`]), in grey, and handed to Tesseract as a PGM on its
//! standard input; Tesseract runs as a program of its own (`tesseract`, or
//! `$ECABINET_TESSERACT`), never linked in. Its word boxes come back in
//! pixels and are mapped to PDF points by PDFium's own device-to-page
//! transform for the very render Tesseract saw, so the page's /Rotate and
//! CropBox are taken into account exactly as the renderer applied them: the
//! boxes land in the same coordinates as the page's own text boxes.
//!
//! Rendering runs on the engine's owner thread; Tesseract runs on the
//! caller's thread, so the engine stays free for other requests meanwhile.
//! Each page is rendered from a document PDFium opens for that page alone:
//! a long scan never accumulates PDFium's parsed images (see
//! [`EngineConfig::reopen_after_bytes`](crate::EngineConfig)).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ecabinet_protocol::{OcrWord, TextLayerPage};
use pdfium_render::prelude::*;
use unicode_normalization::UnicodeNormalization;

use crate::engine::{PdfEngine, Source};
use crate::error::PdfError;
use crate::library;
use crate::render::{self, BitmapSlot};
use crate::text::{PageText, PdfRectF, TextChar};

/// A page whose own text has fewer non-blank characters than this is read
/// by OCR: a scan may carry a stray character or two (a page number a
/// scanner stamped), never a sentence.
pub const MIN_OWN_TEXT_CHARS: usize = 8;

/// The resolution pages are read at: Tesseract's models are trained on
/// text of about 300 dpi, and smaller renders lose Vietnamese marks.
pub const OCR_DPI: f32 = 300.0;

/// Most pixels a page is rendered with for OCR: 40 megapixels (A3 at 300
/// dpi is 17.5). A larger page (a plan, or a hostile page size) is rendered
/// at a lower resolution instead, so neither this process nor Tesseract
/// ever holds more than a 40 MB grey image of it.
pub const MAX_OCR_PIXELS: u64 = 40_000_000;

/// Names the Tesseract program to run instead of `tesseract` on `PATH`.
pub const TESSERACT_ENV: &str = "ECABINET_TESSERACT";

/// Whether a page needs OCR: it has (next to) no text of its own.
pub fn needs_ocr(text: &PageText) -> bool {
    text.chars.iter().filter(|c| !c.ch.is_whitespace()).count() < MIN_OWN_TEXT_CHARS
}

/// What went wrong while reading a document's scanned pages.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// Opening, reading or rendering the PDF failed (a document-level
    /// [`PdfError`] says the file itself is unreadable).
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// The OCR program could not be started (not installed, not executable).
    #[error("the OCR engine {} could not be started: {source}", .program.display())]
    EngineMissing {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The OCR program started but does not behave like Tesseract.
    #[error("the OCR engine {} is not usable: {detail}", .program.display())]
    EngineUnusable { program: PathBuf, detail: String },
    /// Tesseract has no model for the language asked for.
    #[error("the OCR engine has no language model {lang:?} (installed: {installed})")]
    LanguageMissing { lang: String, installed: String },
    /// Tesseract failed on one page (crashed, hit a resource limit, or
    /// wrote something that is not its TSV).
    #[error("OCR failed on page {} ({status}): {detail}", .page + 1)]
    PageFailed {
        /// 0-based page index.
        page: u32,
        status: String,
        detail: String,
    },
}

/// A document's bytes for OCR, shared by the successive PDFium documents
/// opened from them (one for the text check, one per page read): the
/// engine's own source ([`crate::engine`]), which fills each block PDFium
/// asks for completely and remembers the first read error — PDFium turns a
/// failed read into silently missing content, which must not be read as "a
/// blank page".
#[derive(Clone)]
pub struct OcrSource(Source);

impl std::fmt::Debug for OcrSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrSource").finish_non_exhaustive()
    }
}

impl OcrSource {
    /// A source over `reader` (a file, or a cursor over bytes).
    pub fn new<R: Read + Seek + Send + 'static>(reader: R) -> Self {
        OcrSource(Source::new(Box::new(reader)))
    }

    /// The first read error, if any.
    fn check(&self) -> Result<(), PdfError> {
        self.0.check()
    }
}

impl Read for OcrSource {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Seek for OcrSource {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.0.seek(to)
    }
}

/// The 0-based indexes of the pages that need OCR ([`needs_ocr`]). Fails
/// with a document-level [`PdfError`] when the file is not a readable PDF.
pub fn pages_needing_ocr(engine: &PdfEngine, source: &OcrSource) -> Result<Vec<u32>, PdfError> {
    let pages = engine.text_of(source.clone(), "ocr")?;
    source.check()?;
    Ok(pages
        .iter()
        .filter(|p| needs_ocr(p))
        .map(|p| p.page)
        .collect())
}

/// Maps a point of a rendered page's pixels (origin top-left, y down) to
/// PDF page coordinates (points, origin bottom-left of the page's user
/// space, as the page's own text boxes): an affine map, since pages turn
/// only by quarter turns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelMap {
    /// Where pixel (0, 0) lies on the page.
    origin: [f32; 2],
    /// How far one pixel to the right moves on the page.
    per_x: [f32; 2],
    /// How far one pixel down moves on the page.
    per_y: [f32; 2],
}

impl PixelMap {
    /// The map of an unturned page whose user space starts at (0, 0),
    /// rendered at `scale` pixels per point into `height_px` rows.
    pub fn upright(scale: f32, height_px: u32) -> PixelMap {
        PixelMap {
            origin: [0.0, height_px as f32 / scale],
            per_x: [1.0 / scale, 0.0],
            per_y: [0.0, -1.0 / scale],
        }
    }

    /// The page point of pixel position (`x`, `y`).
    pub fn point(&self, x: f32, y: f32) -> [f32; 2] {
        [
            self.origin[0] + x * self.per_x[0] + y * self.per_y[0],
            self.origin[1] + x * self.per_x[1] + y * self.per_y[1],
        ]
    }

    /// A pixel box (Tesseract's left, top, width, height) as
    /// `[left, bottom, right, top]` in page points.
    pub fn rect(&self, left: f32, top: f32, width: f32, height: f32) -> [f32; 4] {
        let a = self.point(left, top);
        let b = self.point(left + width, top + height);
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[0].max(b[0]),
            a[1].max(b[1]),
        ]
    }

    /// PDFium's own device-to-page transform for a render of `page` at
    /// `width` × `height` pixels with no extra rotation (the renderer's
    /// settings): it applies the page's /Rotate and CropBox.
    fn of_render(page: &PdfPage<'_>, width: u32, height: u32) -> Result<PixelMap, PdfError> {
        let (w, h) = (width as i32, height as i32);
        let config = PdfRenderConfig::new()
            .set_fixed_size(w, h)
            .rotate(PdfPageRenderRotation::None, false);
        let at = |x: i32, y: i32| {
            page.pixels_to_points(x, y, &config)
                .map(|(px, py)| [px.value, py.value])
                .map_err(|e| PdfError::pdfium("map pixels to points", e))
        };
        let origin = at(0, 0)?;
        let right = at(w, 0)?;
        let down = at(0, h)?;
        Ok(PixelMap {
            origin,
            per_x: [
                (right[0] - origin[0]) / width as f32,
                (right[1] - origin[1]) / width as f32,
            ],
            per_y: [
                (down[0] - origin[0]) / height as f32,
                (down[1] - origin[1]) / height as f32,
            ],
        })
    }
}

/// One page rendered for OCR.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrImage {
    /// 0-based page index.
    pub page: u32,
    pub width: u32,
    pub height: u32,
    /// The resolution of the render, dots per inch of the displayed page.
    pub dpi: f32,
    /// The pixels as a binary PGM (P5, 8-bit grey).
    pub pgm: Vec<u8>,
    /// From these pixels to the page's coordinates.
    pub map: PixelMap,
}

/// Pixels per point for reading a `width` × `height` point page: [`OCR_DPI`],
/// or less where that would pass [`MAX_OCR_PIXELS`].
fn ocr_scale(width: f32, height: f32) -> f32 {
    let scale = OCR_DPI / 72.0;
    let pixels =
        |s: f32| f64::from((width * s).round().max(1.0)) * f64::from((height * s).round().max(1.0));
    let full = pixels(scale);
    if !full.is_finite() || full <= MAX_OCR_PIXELS as f64 {
        return scale;
    }
    // Rounding each side can add a row and a column: shrink until it fits.
    let mut s = scale * (MAX_OCR_PIXELS as f64 / full).sqrt() as f32;
    while pixels(s) > MAX_OCR_PIXELS as f64 && s > f32::MIN_POSITIVE {
        s *= 0.999;
    }
    s
}

/// RGBx pixels as a binary PGM (P5) of their luma (Rec. 601 weights).
fn grey_pgm(width: u32, height: u32, rgbx: &[u8]) -> Vec<u8> {
    let header = format!("P5\n{width} {height}\n255\n");
    let mut out = Vec::with_capacity(header.len() + rgbx.len() / 4);
    out.extend_from_slice(header.as_bytes());
    out.extend(rgbx.chunks_exact(4).map(|p| {
        let luma = 299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]);
        ((luma + 500) / 1000) as u8
    }));
    out
}

/// Renders page `page` of `source` for OCR (see the module header), on the
/// engine's owner thread.
pub fn render_for_ocr(
    engine: &PdfEngine,
    source: &OcrSource,
    page: u32,
) -> Result<OcrImage, PdfError> {
    let source = source.clone();
    engine
        .submit(None, move |_owner| {
            let (pdfium, _) = library::pdfium()?;
            let loaded = pdfium.load_pdf_from_reader(source.clone(), None);
            source.check()?;
            let doc = loaded.map_err(PdfError::from_load)?;
            let count = doc.pages().len().max(0) as u32;
            let index = i32::try_from(page)
                .ok()
                .filter(|_| page < count)
                .ok_or(PdfError::PageOutOfRange { page, count })?;
            let loaded = doc
                .pages()
                .get(index)
                .map_err(|e| PdfError::pdfium("load page", e));
            source.check()?;
            let p = loaded?;
            let scale = ocr_scale(p.width().value, p.height().value);
            let mut slot = BitmapSlot::default();
            let (width, height, rgbx) = render::render_pixels(&p, scale, 0, true, &mut slot)?;
            // A failed read renders as missing content: not a blank page.
            source.check()?;
            let pgm = grey_pgm(width, height, rgbx);
            drop(slot);
            let map = PixelMap::of_render(&p, width, height)?;
            Ok(OcrImage {
                page,
                width,
                height,
                dpi: scale * 72.0,
                pgm,
                map,
            })
        })
        .wait()
}

/// The Tesseract program and the language model it reads with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tesseract {
    pub program: PathBuf,
    /// Tesseract's `-l` argument, e.g. `vie` or `vie+eng`.
    pub lang: String,
}

impl Tesseract {
    /// `$ECABINET_TESSERACT` if set, else `tesseract` on `PATH`.
    pub fn from_env(lang: &str) -> Tesseract {
        let program = std::env::var_os(TESSERACT_ENV)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("tesseract"));
        Tesseract {
            program,
            lang: lang.to_owned(),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        // Tesseract's OpenMP threads spin while they wait: on a 2-core
        // server one thread reads a page in 1.5 s, four took 6.5 s.
        cmd.env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn run(&self, args: &[&str]) -> Result<std::process::Output, OcrError> {
        self.command()
            .args(args)
            .output()
            .map_err(|source| OcrError::EngineMissing {
                program: self.program.clone(),
                source,
            })
    }

    /// Checks that the program is Tesseract and has the language model, and
    /// names the engine for [`TextLayer::engine`](ecabinet_protocol::TextLayer),
    /// e.g. `tesseract 5.3.0 (vie)`.
    pub fn describe(&self) -> Result<String, OcrError> {
        let unusable = |detail: String| OcrError::EngineUnusable {
            program: self.program.clone(),
            detail,
        };
        let out = self.run(&["--version"])?;
        // Tesseract 4 wrote its version to stderr, 5 to stdout.
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let version = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("tesseract "))
            .filter(|_| out.status.success())
            .ok_or_else(|| unusable(format!("`--version` answered {:?}", clip(&text))))?
            .to_owned();
        let out = self.run(&["--list-langs"])?;
        if !out.status.success() {
            return Err(unusable(format!(
                "`--list-langs` failed ({}): {}",
                out.status,
                clip(&String::from_utf8_lossy(&out.stderr))
            )));
        }
        // The first line says where the models are; one name a line follows.
        let listing = String::from_utf8_lossy(&out.stdout);
        let installed: Vec<&str> = listing.lines().skip(1).map(str::trim).collect();
        if self.lang.is_empty() || !self.lang.split('+').all(|l| installed.contains(&l)) {
            return Err(OcrError::LanguageMissing {
                lang: self.lang.clone(),
                installed: installed.join(", "),
            });
        }
        Ok(format!("{version} ({})", self.lang))
    }

    /// Reads the words of one rendered page.
    pub fn read(&self, image: &OcrImage) -> Result<Vec<OcrWord>, OcrError> {
        let failed = |status: String, detail: String| OcrError::PageFailed {
            page: image.page,
            status,
            detail,
        };
        let dpi = (image.dpi.round() as u32).max(70).to_string();
        let mut child = self
            .command()
            .args([
                "stdin", "stdout", "-l", &self.lang, "--psm", "3", "--dpi", &dpi, "tsv",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|source| OcrError::EngineMissing {
                program: self.program.clone(),
                source,
            })?;
        let stdin = child.stdin.take();
        let (written, out) = std::thread::scope(|s| {
            // Written from a thread of its own, so that a Tesseract which
            // answers before it has read everything cannot deadlock us.
            let writer = s.spawn(move || match stdin {
                Some(mut pipe) => pipe.write_all(&image.pgm),
                None => Ok(()),
            });
            let out = child.wait_with_output();
            (writer.join(), out)
        });
        let out = out.map_err(|e| failed("not waited for".into(), e.to_string()))?;
        if !out.status.success() {
            return Err(failed(
                out.status.to_string(),
                clip(&String::from_utf8_lossy(&out.stderr)),
            ));
        }
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(failed("image not sent".into(), e.to_string())),
            Err(_) => return Err(failed("image not sent".into(), "writer panicked".into())),
        }
        let tsv = String::from_utf8(out.stdout)
            .map_err(|_| failed(out.status.to_string(), "its output is not UTF-8".into()))?;
        Ok(words_from_tsv(&tsv, &image.map))
    }
}

/// The last 500 characters of a program's message (Tesseract's useful line
/// comes last, after its warnings).
fn clip(s: &str) -> String {
    let s = s.trim();
    let skip = s.chars().count().saturating_sub(500);
    s.chars().skip(skip).collect()
}

/// The words of Tesseract's TSV output (`level page_num block_num par_num
/// line_num word_num left top width height conf text`): its word rows
/// (level 5) with text and a confidence, boxes mapped by `map`, text in
/// NFC, and lines numbered from 0 in reading order by (block, paragraph,
/// line).
pub fn words_from_tsv(tsv: &str, map: &PixelMap) -> Vec<OcrWord> {
    let mut words = Vec::new();
    let mut last_line: Option<[&str; 4]> = None;
    let mut line = 0u32;
    for row in tsv.lines() {
        let f: Vec<&str> = row.splitn(12, '\t').collect();
        let &[level, page, block, par, line_num, _word, left, top, width, height, conf, text] =
            f.as_slice()
        else {
            continue;
        };
        if level != "5" {
            continue;
        }
        let text: String = text.trim().nfc().collect();
        // Tesseract gives -1 to rows that are not recognised words.
        let conf = conf.trim().parse::<f32>().ok().filter(|c| *c >= 0.0);
        let (false, Some(conf)) = (text.is_empty(), conf) else {
            continue;
        };
        let num = |s: &str| s.trim().parse::<f32>().ok().filter(|v| v.is_finite());
        let (Some(left), Some(top), Some(width), Some(height)) =
            (num(left), num(top), num(width), num(height))
        else {
            continue;
        };
        let key = [page, block, par, line_num];
        match last_line {
            Some(k) if k == key => {}
            Some(_) => line += 1,
            None => {}
        }
        last_line = Some(key);
        words.push(OcrWord {
            text,
            rect: map.rect(left, top, width, height),
            confidence: conf.round().clamp(0.0, 100.0) as u8,
            line,
        });
    }
    words
}

/// A document's pages for search, with the words a (verified) text layer
/// read on its scanned pages: a page with too little text of its own
/// ([`needs_ocr`]) takes the layer's words and their boxes; a page with its
/// own text keeps it, and a layer's page the document does not have is
/// ignored. Without a layer the pages are as they were.
pub fn with_text_layer(
    mut pages: Vec<PageText>,
    layer: Option<&ecabinet_protocol::TextLayer>,
) -> Vec<PageText> {
    for scanned in layer.iter().flat_map(|l| &l.pages) {
        if let Some(p) = pages.iter_mut().find(|p| p.page == scanned.page) {
            if needs_ocr(p) {
                *p = page_text_from_words(scanned.page, &scanned.words);
            }
        }
    }
    pages
}

/// A page's OCR words as [`PageText`], so that [`crate::SearchIndex`]
/// searches a scanned page like any other: each word's characters share its
/// box evenly from left to right, words on one line are joined by a space
/// and lines by a newline (neither has a box).
///
/// The even split is exact only for a whole word; a match inside a word is
/// highlighted at its share of the word's width. A word of a turned page
/// (/Rotate 90 or 270) runs up or down in page space: its characters all
/// get the whole word's height, so a match is highlighted as whole words.
pub fn page_text_from_words(page: u32, words: &[OcrWord]) -> PageText {
    let mut chars = Vec::new();
    let mut line = None;
    for w in words {
        let text: Vec<char> = w.text.nfc().collect();
        if text.is_empty() {
            continue;
        }
        match line {
            Some(l) if l == w.line => chars.push(TextChar {
                ch: ' ',
                rect: None,
            }),
            Some(_) => chars.push(TextChar {
                ch: '\n',
                rect: None,
            }),
            None => {}
        }
        line = Some(w.line);
        let [l, b, r, t] = w.rect;
        let sane = w.rect.iter().all(|v| v.is_finite());
        let (left, right) = (l.min(r), l.max(r));
        let step = (right - left) / text.len() as f32;
        for (i, ch) in text.into_iter().enumerate() {
            let rect = sane.then(|| PdfRectF {
                left: left + step * i as f32,
                bottom: b.min(t),
                right: left + step * (i + 1) as f32,
                top: b.max(t),
            });
            chars.push(TextChar { ch, rect });
        }
    }
    PageText { page, chars }
}

/// How far [`read_scanned_pages`] has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcrProgress {
    /// Reported once, before the first page: how many pages will be read.
    Planned { pages_total: u32 },
    /// Reported after each page: how many have been read.
    PageDone { done: u32 },
}

/// The scanned pages one document has read at most (the first ones): about
/// 50 minutes at 1.5 s a page, inside the server's hour.
pub const MAX_OCR_PAGES: usize = 2000;

/// What [`read_scanned_pages`] read, and what it left.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedPages {
    /// The pages read, in page order; a page where Tesseract found nothing
    /// is here with no words.
    pub pages: Vec<TextLayerPage>,
    /// Pages Tesseract failed on (page number and why): left out, the
    /// other pages are still read.
    pub failed: Vec<(u32, String)>,
    /// Scanned pages past `max_pages`, not read.
    pub not_read: usize,
}

/// Reads the pages of `source` that need OCR ([`needs_ocr`]), in page
/// order, at most `max_pages` of them; pages with text of their own are not
/// in the answer. A page Tesseract fails on is left out and the others are
/// read; when it fails on every page, that is the error (Tesseract itself
/// is broken, not one page).
pub fn read_scanned_pages(
    engine: &PdfEngine,
    source: &OcrSource,
    tesseract: &Tesseract,
    max_pages: usize,
    mut progress: impl FnMut(OcrProgress),
) -> Result<ScannedPages, OcrError> {
    let mut pages = pages_needing_ocr(engine, source)?;
    let not_read = pages.len().saturating_sub(max_pages);
    pages.truncate(max_pages);
    progress(OcrProgress::Planned {
        pages_total: pages.len() as u32,
    });
    let mut read = ScannedPages {
        pages: Vec::with_capacity(pages.len()),
        failed: Vec::new(),
        not_read,
    };
    let mut first_failure = None;
    for (done, page) in pages.iter().copied().enumerate() {
        let image = render_for_ocr(engine, source, page)?;
        match tesseract.read(&image) {
            Ok(words) => read.pages.push(TextLayerPage { page, words }),
            Err(e @ OcrError::PageFailed { .. }) => {
                read.failed.push((page, e.to_string()));
                first_failure.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
        drop(image);
        progress(OcrProgress::PageDone {
            done: done as u32 + 1,
        });
    }
    match first_failure {
        Some(e) if read.pages.is_empty() => Err(e),
        _ => Ok(read),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext";

    fn tsv(rows: &[&str]) -> String {
        let mut s = String::from(HEADER);
        for r in rows {
            s.push('\n');
            s.push_str(r);
        }
        s
    }

    #[test]
    fn word_rows_become_words_in_page_points_with_lines_in_reading_order() {
        // 300 dpi on an A4 page 3508 pixels tall.
        let map = PixelMap::upright(300.0 / 72.0, 3508);
        let out = tsv(&[
            "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t",
            "4\t1\t1\t1\t1\t0\t300\t600\t500\t50\t-1\t",
            "5\t1\t1\t1\t1\t1\t300\t600\t150\t50\t96.4\tQuyết",
            "5\t1\t1\t1\t1\t2\t470\t600\t130\t50\t91.6\tđịnh",
            "5\t1\t1\t1\t1\t3\t620\t600\t10\t50\t-1\t ",
            "5\t1\t1\t1\t2\t1\t300\t700\t100\t50\t88\t   ",
            "5\t1\t1\t2\t1\t1\t300\t800\t100\t50\t12.2\tsố",
            "5\t1\t2\t1\t1\t1\t300\t900\t100\t50\t100.0\t15",
        ]);
        let words = words_from_tsv(&out, &map);
        let got: Vec<(&str, u8, u32)> = words
            .iter()
            .map(|w| (w.text.as_str(), w.confidence, w.line))
            .collect();
        assert_eq!(
            got,
            [
                ("Quyết", 96, 0),
                ("định", 92, 0),
                ("số", 12, 1),
                ("15", 100, 2)
            ]
        );
        let [l, b, r, t] = words[0].rect;
        let k = 72.0 / 300.0;
        let near = |a: f32, e: f32| (a - e).abs() < 0.01;
        assert!(
            near(l, 300.0 * k) && near(r, 450.0 * k),
            "{:?}",
            words[0].rect
        );
        assert!(near(t, (3508.0 - 600.0) * k) && near(b, (3508.0 - 650.0) * k));
    }

    #[test]
    fn decomposed_ocr_text_is_stored_in_nfc() {
        let map = PixelMap::upright(1.0, 100);
        // "Việt" with the marks as combining characters.
        let words = words_from_tsv(
            &tsv(&["5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t90\tVie\u{323}\u{302}t"]),
            &map,
        );
        assert_eq!(words[0].text, "Việt");
        assert_eq!(words[0].text.chars().count(), 4);
    }

    #[test]
    fn rows_that_are_not_tesseract_words_are_skipped() {
        let map = PixelMap::upright(1.0, 100);
        let out = tsv(&[
            "5\t1\t1\t1\t1\t1\t0\t0\tten\t10\t90\tbad box",
            "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\tx\tbad conf",
            "5\t1\t1\t1\t1\t1\t0\t0\t10\t10",
            "garbage",
            "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t50\tgood",
        ]);
        let words = words_from_tsv(&out, &map);
        assert_eq!(words.len(), 1);
        assert_eq!((words[0].text.as_str(), words[0].line), ("good", 0));
    }

    #[test]
    fn a_turned_map_turns_boxes() {
        // A page shown turned a quarter clockwise: pixel x runs up the
        // page's user space, pixel y runs right.
        let map = PixelMap {
            origin: [0.0, 0.0],
            per_x: [0.0, 0.5],
            per_y: [0.5, 0.0],
        };
        assert_eq!(map.rect(10.0, 20.0, 30.0, 4.0), [10.0, 5.0, 12.0, 20.0]);
    }

    fn word(text: &str, rect: [f32; 4], line: u32) -> OcrWord {
        OcrWord {
            text: text.into(),
            rect,
            confidence: 90,
            line,
        }
    }

    #[test]
    fn words_become_page_text_with_spaces_newlines_and_split_boxes() {
        let t = page_text_from_words(
            4,
            &[
                word("Kế", [10.0, 100.0, 30.0, 112.0], 0),
                word("hoạch", [34.0, 100.0, 84.0, 112.0], 0),
                word("2027", [10.0, 80.0, 50.0, 92.0], 1),
            ],
        );
        assert_eq!(t.page, 4);
        assert_eq!(t.text(), "Kế hoạch\n2027");
        let boxes: Vec<Option<[f32; 2]>> = t
            .chars
            .iter()
            .map(|c| c.rect.map(|r| [r.left, r.right]))
            .collect();
        assert_eq!(boxes[2], None);
        assert_eq!(boxes[8], None);
        assert_eq!(boxes[3], Some([34.0, 44.0]));
        assert_eq!(boxes[7], Some([74.0, 84.0]));
        assert_eq!(boxes[9], Some([10.0, 20.0]));
        // A whole word highlights as the word's box.
        assert_eq!(
            t.rects(3, 8),
            vec![PdfRectF {
                left: 34.0,
                bottom: 100.0,
                right: 84.0,
                top: 112.0
            }]
        );
    }

    #[test]
    fn a_page_needs_ocr_only_below_a_few_characters_of_its_own() {
        let text = |s: &str| PageText {
            page: 0,
            chars: s.chars().map(|ch| TextChar { ch, rect: None }).collect(),
        };
        assert!(needs_ocr(&text("")));
        assert!(needs_ocr(&text(" 1 2 3 \n 4 5 6 7 ")));
        assert!(!needs_ocr(&text("Trang 12/30")));
    }

    #[test]
    fn huge_pages_are_scaled_under_the_pixel_cap_and_others_are_not() {
        assert_eq!(ocr_scale(595.0, 842.0), OCR_DPI / 72.0);
        for (w, h) in [(14_400.0, 14_400.0), (3370.0, 2384.0), (200_000.0, 20.0)] {
            let s = ocr_scale(w, h);
            let px = (w * s).round().max(1.0) as u64 * (h * s).round().max(1.0) as u64;
            assert!(
                px <= MAX_OCR_PIXELS && px > MAX_OCR_PIXELS * 95 / 100,
                "{w}x{h}: {px}"
            );
        }
    }
}
