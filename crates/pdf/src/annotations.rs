//! Annotations in PDF page coordinates, and writing them into a PDF as real
//! annotation objects that other viewers show.
//!
//! Coordinates are PDF user space of the page: points, origin at the
//! bottom-left of the unrotated page. They do not change with zoom or with
//! the page's display rotation, so the store keeps them as they are.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Object, ObjectId};
use pdfium_render::prelude::*;

use crate::error::PdfError;
use crate::text::PdfRectF;

/// A colour with opacity (alpha 255 = opaque).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba(pub u8, pub u8, pub u8, pub u8);

impl Rgba {
    pub const YELLOW: Rgba = Rgba(255, 230, 0, 255);
    pub const RED: Rgba = Rgba(220, 0, 0, 255);
    pub const BLUE: Rgba = Rgba(0, 70, 200, 255);

    fn pdf(self) -> PdfColor {
        PdfColor::new(self.0, self.1, self.2, self.3)
    }
}

/// A point of an ink stroke; `pressure` in 0..=1 when the pen reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f32,
    pub y: f32,
    pub pressure: Option<f32>,
}

/// What an annotation is, with its geometry.
#[derive(Debug, Clone, PartialEq)]
pub enum AnnotationKind {
    /// Pen or touch strokes; `width` is the line width in points.
    Ink {
        strokes: Vec<Vec<Point>>,
        width: f32,
    },
    /// Highlighted text: one rectangle per selected line.
    Highlight { rects: Vec<PdfRectF> },
    /// Underlined text: one rectangle per selected line.
    Underline { rects: Vec<PdfRectF> },
    /// A sticky note whose icon's top-left corner is at (`x`, `y`).
    Note { x: f32, y: f32, text: String },
    /// Text written on the page inside `rect`.
    FreeText { rect: PdfRectF, text: String },
}

/// One annotation on one page (zero-based page index).
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub page: u32,
    pub color: Rgba,
    pub kind: AnnotationKind,
}

/// The size of a sticky note's icon, in points.
pub const NOTE_ICON_SIZE: f32 = 20.0;

/// Width and height of the /Popup window linked to a sticky note, in points;
/// it opens to the right of the icon.
pub const NOTE_POPUP_SIZE: (f32, f32) = (200.0, 120.0);

/// Font size of free text (its /DA), in points.
pub const FREE_TEXT_SIZE: f32 = 12.0;

impl Annotation {
    /// The PDF subtype name this annotation is written as.
    pub fn subtype(&self) -> &'static str {
        match self.kind {
            AnnotationKind::Ink { .. } => "Ink",
            AnnotationKind::Highlight { .. } => "Highlight",
            AnnotationKind::Underline { .. } => "Underline",
            AnnotationKind::Note { .. } => "Text",
            AnnotationKind::FreeText { .. } => "FreeText",
        }
    }

    /// The annotation's bounding rectangle (its PDF /Rect). For ink, the
    /// points' box grown by half the line width.
    pub fn rect(&self) -> Option<PdfRectF> {
        let bbox = |rects: &mut dyn Iterator<Item = PdfRectF>| {
            rects.reduce(|a, b| PdfRectF {
                left: a.left.min(b.left),
                bottom: a.bottom.min(b.bottom),
                right: a.right.max(b.right),
                top: a.top.max(b.top),
            })
        };
        match &self.kind {
            AnnotationKind::Ink { strokes, width } => {
                let pad = width / 2.0;
                bbox(&mut strokes.iter().flatten().map(|p| PdfRectF {
                    left: p.x - pad,
                    bottom: p.y - pad,
                    right: p.x + pad,
                    top: p.y + pad,
                }))
            }
            AnnotationKind::Highlight { rects } | AnnotationKind::Underline { rects } => {
                bbox(&mut rects.iter().copied())
            }
            AnnotationKind::Note { x, y, .. } => Some(PdfRectF {
                left: *x,
                bottom: y - NOTE_ICON_SIZE,
                right: x + NOTE_ICON_SIZE,
                top: *y,
            }),
            AnnotationKind::FreeText { rect, .. } => Some(*rect),
        }
    }

    /// The note's or free text's text.
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            AnnotationKind::Note { text, .. } | AnnotationKind::FreeText { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// An annotation PDFium found in a PDF.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundAnnotation {
    pub page: u32,
    /// PDF subtype name, e.g. `Ink`, `Highlight`, `Text`.
    pub subtype: String,
    pub rect: PdfRectF,
    pub contents: Option<String>,
    /// Number of quadrilaterals (/QuadPoints) for text markup annotations.
    pub quads: usize,
}

fn pdf_rect(r: PdfRectF) -> PdfRect {
    PdfRect::new_from_values(r.bottom, r.left, r.top, r.right)
}

fn rect_f(r: PdfRect) -> PdfRectF {
    PdfRectF {
        left: r.left().value,
        bottom: r.bottom().value,
        right: r.right().value,
        top: r.top().value,
    }
}

fn invalid(what: &'static str) -> PdfError {
    PdfError::InvalidRequest(what)
}

/// Writes `annotations` into the PDF in `pdf` and returns the new PDF.
pub(crate) fn export(
    pdfium: &Pdfium,
    pdf: Vec<u8>,
    annotations: &[Annotation],
    watermark: Option<&crate::watermark::Watermark>,
) -> Result<Vec<u8>, PdfError> {
    if pdf.is_empty() {
        return Err(PdfError::Empty);
    }
    let mut doc = pdfium
        .load_pdf_from_byte_vec(pdf, None)
        .map_err(PdfError::from_load)?;
    if let Some(wm) = watermark {
        crate::watermark::stamp_document(&mut doc, wm)?;
    }
    let count = doc.pages().len().max(0) as u32;
    for a in annotations {
        if a.page >= count {
            return Err(PdfError::PageOutOfRange {
                page: a.page,
                count,
            });
        }
        let rect = a.rect().ok_or(invalid("annotation without geometry"))?;
        let index = i32::try_from(a.page).map_err(|_| invalid("page index too large"))?;
        let mut page = doc
            .pages()
            .get(index)
            .map_err(|e| PdfError::pdfium("load page", e))?;
        add_one(&doc, &mut page, a, rect).map_err(|e| PdfError::pdfium("write annotation", e))?;
    }
    let saved = doc
        .save_to_bytes()
        .map_err(|e| PdfError::pdfium("save document", e))?;
    drop(doc);
    complete_objects(saved, annotations)
}

/// Adds what pdfium-render has no safe API for, as an incremental update
/// appended to PDFium's output (which stays byte for byte as it is): the
/// /InkList of ink (what editors re-edit as strokes), a /Popup linked to each
/// sticky note, and the /DA (font, size, colour) of free text; and makes
/// every new annotation an indirect object, as /Annots requires.
///
/// PDFium appends new annotations to a page's /Annots, so a page's last
/// entries are ours, in the order we wrote them; their /Subtype is checked.
fn complete_objects(pdf: Vec<u8>, annotations: &[Annotation]) -> Result<Vec<u8>, PdfError> {
    if annotations.is_empty() {
        return Ok(pdf);
    }
    let fail = |what: &str, e: lopdf::Error| PdfError::Export(format!("{what}: {e}"));
    let prev = lopdf::Document::load_mem(&pdf).map_err(|e| fail("read back", e))?;
    let mut inc = lopdf::IncrementalDocument::create_from(pdf, prev);
    let pages = inc.get_prev_documents().get_pages();
    let mut by_page: BTreeMap<u32, Vec<&Annotation>> = BTreeMap::new();
    for a in annotations {
        by_page.entry(a.page).or_default().push(a);
    }
    for (page, ours) in by_page {
        let page_id = *pages
            .get(&(page + 1))
            .ok_or_else(|| PdfError::Export(format!("page {page} not in the saved PDF")))?;
        let (holder, mut entries) = annots_of(inc.get_prev_documents(), page_id)?;
        if entries.len() < ours.len() {
            return Err(PdfError::Export(format!(
                "page {page}: {} annotations written, {} found",
                ours.len(),
                entries.len()
            )));
        }
        let first = entries.len() - ours.len();
        let mut popups = Vec::new();
        for (entry, a) in entries[first..].iter_mut().zip(&ours) {
            // PDFium writes new annotations inline in /Annots, but the PDF
            // standard wants indirect references there (and a popup's
            // /Parent must reference its note), so each becomes an object.
            let id = match entry {
                Object::Reference(id) => {
                    inc.opt_clone_object_to_new_document(*id)
                        .map_err(|e| fail("copy annotation", e))?;
                    *id
                }
                inline => {
                    let id = inc
                        .new_document
                        .add_object(std::mem::replace(inline, Object::Null));
                    *inline = Object::Reference(id);
                    id
                }
            };
            let dict = inc
                .new_document
                .get_object_mut(id)
                .and_then(Object::as_dict_mut)
                .map_err(|e| fail("annotation", e))?;
            if dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(a.subtype().as_bytes()) {
                return Err(PdfError::Export(format!(
                    "page {page}: expected a {} annotation at {id:?}",
                    a.subtype()
                )));
            }
            complete_one(dict, a, &mut popups, id);
        }
        for (parent, rect) in popups {
            let mut popup = Dictionary::new();
            popup.set("Type", Object::Name(b"Annot".to_vec()));
            popup.set("Subtype", Object::Name(b"Popup".to_vec()));
            popup.set("Rect", rect_object(rect));
            popup.set("Parent", Object::Reference(parent));
            popup.set("P", Object::Reference(page_id));
            popup.set("Open", Object::Boolean(false));
            let popup_id = inc.new_document.add_object(popup);
            inc.new_document
                .get_object_mut(parent)
                .and_then(Object::as_dict_mut)
                .map_err(|e| fail("note", e))?
                .set("Popup", Object::Reference(popup_id));
            // Popups are annotations of the page too, listed after their parents.
            entries.push(Object::Reference(popup_id));
        }
        let holder_id = match holder {
            AnnotsAt::Array(array_id) => array_id,
            AnnotsAt::Page => page_id,
        };
        inc.opt_clone_object_to_new_document(holder_id)
            .map_err(|e| fail("copy /Annots", e))?;
        let target = inc
            .new_document
            .get_object_mut(holder_id)
            .map_err(|e| fail("/Annots", e))?;
        match holder {
            AnnotsAt::Array(_) => *target = Object::Array(entries),
            AnnotsAt::Page => target
                .as_dict_mut()
                .map_err(|e| fail("page", e))?
                .set("Annots", Object::Array(entries)),
        }
    }
    let mut out = Vec::with_capacity(inc.get_prev_documents_bytes().len() + 16 * 1024);
    inc.save_to(&mut out)
        .map_err(|e| PdfError::Export(format!("write update: {e}")))?;
    Ok(out)
}

/// Where a page's /Annots array lives.
enum AnnotsAt {
    /// Inline in the page dictionary.
    Page,
    /// In an object of its own.
    Array(ObjectId),
}

fn annots_of(doc: &lopdf::Document, page: ObjectId) -> Result<(AnnotsAt, Vec<Object>), PdfError> {
    let bad = |e: lopdf::Error| PdfError::Export(format!("page /Annots: {e}"));
    let annots = doc
        .get_dictionary(page)
        .and_then(|d| d.get(b"Annots"))
        .map_err(bad)?;
    Ok(match annots {
        Object::Reference(id) => (
            AnnotsAt::Array(*id),
            doc.get_object(*id)
                .and_then(Object::as_array)
                .map_err(bad)?
                .clone(),
        ),
        other => (AnnotsAt::Page, other.as_array().map_err(bad)?.clone()),
    })
}

fn rect_object(r: PdfRectF) -> Object {
    Object::Array(vec![
        Object::Real(r.left),
        Object::Real(r.bottom),
        Object::Real(r.right),
        Object::Real(r.top),
    ])
}

/// The keys one annotation needs beyond what PDFium wrote; a sticky note
/// queues its popup (parent id, popup rectangle) in `popups`.
fn complete_one(
    dict: &mut Dictionary,
    a: &Annotation,
    popups: &mut Vec<(ObjectId, PdfRectF)>,
    id: ObjectId,
) {
    match &a.kind {
        AnnotationKind::Ink { strokes, width } => {
            let list = strokes
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| {
                    Object::Array(
                        s.iter()
                            .flat_map(|p| [Object::Real(p.x), Object::Real(p.y)])
                            .collect(),
                    )
                })
                .collect();
            dict.set("InkList", Object::Array(list));
            let mut border = Dictionary::new();
            border.set("W", Object::Real(*width));
            dict.set("BS", Object::Dictionary(border));
        }
        AnnotationKind::FreeText { .. } => {
            let c = |v: u8| f32::from(v) / 255.0;
            let da = format!(
                "/Helv {FREE_TEXT_SIZE} Tf {:.3} {:.3} {:.3} rg",
                c(a.color.0),
                c(a.color.1),
                c(a.color.2)
            );
            dict.set("DA", Object::string_literal(da));
        }
        AnnotationKind::Note { x, y, .. } => {
            let (w, h) = NOTE_POPUP_SIZE;
            let left = x + NOTE_ICON_SIZE;
            popups.push((
                id,
                PdfRectF {
                    left,
                    bottom: y - h,
                    right: left + w,
                    top: *y,
                },
            ));
        }
        AnnotationKind::Highlight { .. } | AnnotationKind::Underline { .. } => {}
    }
}

/// Corner order as Acrobat writes /QuadPoints (upper-left, upper-right,
/// lower-left, lower-right), which PDFium and other viewers expect; the
/// counter-clockwise order of `PdfQuadPoints::from_rect` draws nothing.
fn quad(r: &PdfRectF) -> PdfQuadPoints {
    PdfQuadPoints::new_from_values(
        r.left, r.top, r.right, r.top, r.left, r.bottom, r.right, r.bottom,
    )
}

fn add_one<'a>(
    doc: &PdfDocument<'a>,
    page: &mut PdfPage<'a>,
    a: &Annotation,
    rect: PdfRectF,
) -> Result<(), PdfiumError> {
    let annots = page.annotations_mut();
    match &a.kind {
        AnnotationKind::Highlight { rects } => {
            let mut h = annots.create_highlight_annotation()?;
            h.set_stroke_color(a.color.pdf())?;
            for r in rects {
                h.attachment_points_mut()
                    .create_attachment_point_at_end(quad(r))?;
            }
            h.set_bounds(pdf_rect(rect))?;
        }
        AnnotationKind::Underline { rects } => {
            let mut u = annots.create_underline_annotation()?;
            u.set_stroke_color(a.color.pdf())?;
            for r in rects {
                u.attachment_points_mut()
                    .create_attachment_point_at_end(quad(r))?;
            }
            u.set_bounds(pdf_rect(rect))?;
        }
        AnnotationKind::Ink { strokes, width } => {
            let mut ink = annots.create_ink_annotation()?;
            ink.set_stroke_color(a.color.pdf())?;
            // Bounds first: the appearance stream created by the first path
            // takes its /BBox from /Rect, and a zero box clips every stroke.
            ink.set_bounds(pdf_rect(rect))?;
            // The strokes go into the annotation's appearance stream as
            // paths, which every viewer draws; /InkList, what editors edit,
            // is added afterwards (`complete_objects`).
            for stroke in strokes.iter().filter(|s| !s.is_empty()) {
                let first = stroke[0];
                let mut path = PdfPagePathObject::new(
                    doc,
                    PdfPoints::new(first.x),
                    PdfPoints::new(first.y),
                    Some(a.color.pdf()),
                    Some(PdfPoints::new(*width)),
                    None,
                )?;
                if stroke.len() == 1 {
                    // A dot: a zero-length segment with round caps would
                    // vanish, so draw a tiny segment.
                    path.line_to(PdfPoints::new(first.x + 0.1), PdfPoints::new(first.y))?;
                }
                for p in &stroke[1..] {
                    path.line_to(PdfPoints::new(p.x), PdfPoints::new(p.y))?;
                }
                ink.objects_mut().add_path_object(path)?;
            }
        }
        AnnotationKind::Note { text, .. } => {
            let mut note = annots.create_text_annotation(text)?;
            note.set_stroke_color(a.color.pdf())?;
            note.set_bounds(pdf_rect(rect))?;
        }
        AnnotationKind::FreeText { text, .. } => {
            // No /C: for FreeText it is the box's background, which would
            // hide the page under the note.
            let mut ft = annots.create_free_text_annotation(text)?;
            ft.set_bounds(pdf_rect(rect))?;
        }
    }
    Ok(())
}

fn subtype_name(t: PdfPageAnnotationType) -> String {
    match t {
        PdfPageAnnotationType::Text => "Text".into(),
        PdfPageAnnotationType::FreeText => "FreeText".into(),
        PdfPageAnnotationType::Highlight => "Highlight".into(),
        PdfPageAnnotationType::Underline => "Underline".into(),
        PdfPageAnnotationType::Ink => "Ink".into(),
        PdfPageAnnotationType::Popup => "Popup".into(),
        PdfPageAnnotationType::Link => "Link".into(),
        other => format!("{other:?}"),
    }
}

/// Lists every annotation of a PDF, page by page.
pub(crate) fn read(pdfium: &Pdfium, pdf: Vec<u8>) -> Result<Vec<FoundAnnotation>, PdfError> {
    if pdf.is_empty() {
        return Err(PdfError::Empty);
    }
    let doc = pdfium
        .load_pdf_from_byte_vec(pdf, None)
        .map_err(PdfError::from_load)?;
    let mut out = Vec::new();
    for (i, page) in doc.pages().iter().enumerate() {
        for annot in page.annotations().iter() {
            let rect = annot
                .bounds()
                .map_err(|e| PdfError::pdfium("read annotation", e))?;
            out.push(FoundAnnotation {
                page: i as u32,
                subtype: subtype_name(annot.annotation_type()),
                rect: rect_f(rect),
                contents: annot.contents(),
                quads: if annot.has_attachment_points() {
                    annot.attachment_points().len()
                } else {
                    0
                },
            });
        }
    }
    Ok(out)
}
