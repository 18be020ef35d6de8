//! Annotations as the store keeps them (a kind and a JSON body, read and
//! written by `ecabinet_pdf::stored` for the app and the CLI alike) turned
//! into the UI's typed view and into the PDF crate's annotations for export,
//! and back.

use ecabinet_pdf::{stored, Annotation as PdfAnnotation, AnnotationKind, PdfRectF, Point, Rgba};
use ecabinet_store::{Annotation, Entity, Store};
use serde_json::Value;

use crate::ipc::{AnnotationShape, AnnotationView, InkPointView, IpcError, IpcErrorCode};

/// A document version as annotations refer to it.
pub(crate) struct VersionRef {
    pub doc_id: String,
    pub version: u32,
    pub sha256: String,
    pub title: String,
}

/// Looks a version up by id in the cache.
pub(crate) fn version_ref(store: &Store, version_id: &str) -> Result<VersionRef, IpcError> {
    let missing = || {
        IpcError::new(
            IpcErrorCode::NotFound,
            format!("document version {version_id} is not in the local cache"),
        )
    };
    let body = store
        .entity(Entity::DocumentVersion, version_id)?
        .ok_or_else(missing)?;
    let text = |b: &Value, f: &str| b.get(f).and_then(Value::as_str).map(str::to_owned);
    let doc_id = text(&body, "document_id").ok_or_else(missing)?;
    let version = body
        .get("version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(missing)?;
    let title = store
        .entity(Entity::Document, &doc_id)?
        .and_then(|d| text(&d, "title"))
        .unwrap_or_default();
    Ok(VersionRef {
        sha256: text(&body, "sha256").ok_or_else(missing)?,
        doc_id,
        version,
        title,
    })
}

/// The store's kind name and JSON body for a shape (written by the PDF
/// crate's `stored` module, the one writer of that form).
pub(crate) fn to_row(shape: &AnnotationShape, color: [u8; 4]) -> (&'static str, Value) {
    stored::to_stored(&pdf_annotation(0, color, shape))
}

/// A stored annotation as the UI shows it; `None` for a kind or body this
/// build does not know (left alone, never shown half-read). The body is read
/// by the PDF crate's `stored` module, so what is shown is what is exported.
pub(crate) fn to_view(a: &Annotation) -> Option<AnnotationView> {
    let p = stored::from_stored(a.page, &a.kind, &a.data)?;
    let corners = |r: &PdfRectF| [r.left, r.bottom, r.right, r.top];
    let shape = match p.kind {
        AnnotationKind::Ink { strokes, width } => AnnotationShape::Ink {
            strokes: strokes
                .iter()
                .map(|s| {
                    s.iter()
                        .map(|p| InkPointView {
                            x: p.x,
                            y: p.y,
                            pressure: p.pressure,
                        })
                        .collect()
                })
                .collect(),
            width,
        },
        AnnotationKind::Highlight { rects } => AnnotationShape::Highlight {
            rects: rects.iter().map(corners).collect(),
        },
        AnnotationKind::Underline { rects } => AnnotationShape::Underline {
            rects: rects.iter().map(corners).collect(),
        },
        AnnotationKind::Note { x, y, text } => AnnotationShape::Note { x, y, text },
        AnnotationKind::FreeText { rect, text } => AnnotationShape::Text {
            rect: corners(&rect),
            text,
        },
    };
    let Rgba(r, g, b, al) = p.color;
    Some(AnnotationView {
        id: a.id.clone(),
        page: a.page,
        color: [r, g, b, al],
        shape,
        updated_at: a.updated_at.clone(),
    })
}

fn rect_f([left, bottom, right, top]: [f32; 4]) -> PdfRectF {
    PdfRectF {
        left,
        bottom,
        right,
        top,
    }
}

fn pdf_annotation(page: u32, color: [u8; 4], shape: &AnnotationShape) -> PdfAnnotation {
    let kind = match shape {
        AnnotationShape::Ink { strokes, width } => AnnotationKind::Ink {
            strokes: strokes
                .iter()
                .map(|s| {
                    s.iter()
                        .map(|p| Point {
                            x: p.x,
                            y: p.y,
                            pressure: p.pressure,
                        })
                        .collect()
                })
                .collect(),
            width: *width,
        },
        AnnotationShape::Highlight { rects } => AnnotationKind::Highlight {
            rects: rects.iter().copied().map(rect_f).collect(),
        },
        AnnotationShape::Underline { rects } => AnnotationKind::Underline {
            rects: rects.iter().copied().map(rect_f).collect(),
        },
        AnnotationShape::Note { x, y, text } => AnnotationKind::Note {
            x: *x,
            y: *y,
            text: text.clone(),
        },
        AnnotationShape::Text { rect, text } => AnnotationKind::FreeText {
            rect: rect_f(*rect),
            text: text.clone(),
        },
    };
    let [r, g, b, a] = color;
    PdfAnnotation {
        page,
        color: Rgba(r, g, b, a),
        kind,
    }
}

/// An annotation as the PDF crate writes it into an exported PDF.
pub(crate) fn to_pdf(v: &AnnotationView) -> PdfAnnotation {
    pdf_annotation(v.page, v.color, &v.shape)
}

/// Whether a shape has the geometry and text it needs to be stored.
pub(crate) fn is_complete(shape: &AnnotationShape) -> bool {
    let finite = |r: &[f32; 4]| r.iter().all(|v| v.is_finite()) && r[0] <= r[2] && r[1] <= r[3];
    match shape {
        AnnotationShape::Ink { strokes, width } => {
            width.is_finite()
                && *width > 0.0
                && strokes.iter().any(|s| !s.is_empty())
                && strokes
                    .iter()
                    .flatten()
                    .all(|p| p.x.is_finite() && p.y.is_finite())
        }
        AnnotationShape::Highlight { rects } | AnnotationShape::Underline { rects } => {
            !rects.is_empty() && rects.iter().all(finite)
        }
        AnnotationShape::Note { x, y, text } => {
            x.is_finite() && y.is_finite() && !text.trim().is_empty()
        }
        AnnotationShape::Text { rect, text } => finite(rect) && !text.trim().is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(shape: AnnotationShape) {
        let (kind, data) = to_row(&shape, [1, 2, 3, 255]);
        let stored = Annotation {
            id: "a1".into(),
            doc_id: "d1".into(),
            version: 1,
            page: 2,
            kind: kind.into(),
            data,
            updated_at: "t".into(),
            deleted: false,
        };
        let view = to_view(&stored).expect("readable");
        assert_eq!(view.shape, shape);
        assert_eq!((view.page, view.color), (2, [1, 2, 3, 255]));
    }

    #[test]
    fn every_shape_survives_the_store_format() {
        round_trip(AnnotationShape::Ink {
            strokes: vec![vec![
                InkPointView {
                    x: 1.0,
                    y: 2.0,
                    pressure: Some(0.25),
                },
                InkPointView {
                    x: 3.0,
                    y: 4.0,
                    pressure: None,
                },
            ]],
            width: 2.5,
        });
        round_trip(AnnotationShape::Highlight {
            rects: vec![[1.0, 2.0, 3.0, 4.0], [1.0, 5.0, 3.0, 9.0]],
        });
        round_trip(AnnotationShape::Underline {
            rects: vec![[1.0, 2.0, 3.0, 4.0]],
        });
        round_trip(AnnotationShape::Note {
            x: 10.0,
            y: 20.0,
            text: "Xem lại số liệu".into(),
        });
        round_trip(AnnotationShape::Text {
            rect: [1.0, 2.0, 30.0, 40.0],
            text: "Đồng ý".into(),
        });
    }

    #[test]
    fn what_the_cli_writes_reads_back_and_unknown_kinds_are_skipped() {
        let cli = Annotation {
            id: "a".into(),
            doc_id: "d".into(),
            version: 1,
            page: 0,
            kind: "ink".into(),
            data: json!({"strokes": [[[1.0, 2.0], [3.0, 4.0]]], "width": 2.0, "color": [220, 0, 0, 255]}),
            updated_at: "t".into(),
            deleted: false,
        };
        let v = to_view(&cli).expect("cli ink");
        assert!(
            matches!(v.shape, AnnotationShape::Ink { ref strokes, .. } if strokes[0].len() == 2)
        );
        let odd = Annotation {
            kind: "stamp".into(),
            ..cli
        };
        assert_eq!(to_view(&odd), None);
    }
}
