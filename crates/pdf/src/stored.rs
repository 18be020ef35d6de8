//! The stored form of an annotation: a kind name and a JSON body, as the
//! cache keeps it and as it travels (sealed) between a member's devices.
//! This module is the one reader and the one writer of that form; the app
//! and the headless client both go through it.
//!
//! Bodies by kind (coordinates in PDF points, colour `[r, g, b, a]`, yellow
//! when absent):
//! - `ink`: `{"strokes": [[[x, y] | [x, y, pressure], …], …], "width", "color"}`
//!   (width 2 when absent);
//! - `highlight`, `underline`: `{"rects": [[left, bottom, right, top], …], "color"}`;
//! - `note`: `{"x", "y", "text", "color"}` (the icon's top-left corner);
//! - `text`: `{"rect": [left, bottom, right, top], "text", "color"}`.
//!
//! A body that does not read as this shape (a field of the wrong type, a
//! note without its position) or a kind this build does not know gives
//! `None`: such an annotation is left alone, never shown or exported
//! half-read.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::annotations::{Annotation, AnnotationKind, Point, Rgba};
use crate::text::PdfRectF;

/// Line width of an ink stroke stored without one, in points.
const DEFAULT_INK_WIDTH: f32 = 2.0;

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    color: Option<[u8; 4]>,
    #[serde(default)]
    strokes: Vec<Vec<Vec<f32>>>,
    #[serde(default)]
    width: Option<f32>,
    #[serde(default)]
    rects: Vec<[f32; 4]>,
    #[serde(default)]
    rect: Option<[f32; 4]>,
    #[serde(default)]
    x: Option<f32>,
    #[serde(default)]
    y: Option<f32>,
    #[serde(default)]
    text: Option<String>,
}

fn rect([left, bottom, right, top]: [f32; 4]) -> PdfRectF {
    PdfRectF {
        left,
        bottom,
        right,
        top,
    }
}

fn corners(r: &PdfRectF) -> [f32; 4] {
    [r.left, r.bottom, r.right, r.top]
}

/// A stored annotation (its 0-based page, kind name and body) as an
/// annotation of this crate; `None` for a kind or body this build cannot read.
pub fn from_stored(page: u32, kind: &str, data: &Value) -> Option<Annotation> {
    let b = Body::deserialize(data).ok()?;
    let text = || b.text.clone().unwrap_or_default();
    let kind = match kind {
        "ink" => AnnotationKind::Ink {
            strokes: b
                .strokes
                .iter()
                .map(|s| {
                    s.iter()
                        .filter_map(|p| match p[..] {
                            [x, y] => Some(Point {
                                x,
                                y,
                                pressure: None,
                            }),
                            [x, y, pressure] => Some(Point {
                                x,
                                y,
                                pressure: Some(pressure),
                            }),
                            _ => None,
                        })
                        .collect()
                })
                .collect(),
            width: b.width.unwrap_or(DEFAULT_INK_WIDTH),
        },
        "highlight" => AnnotationKind::Highlight {
            rects: b.rects.iter().copied().map(rect).collect(),
        },
        "underline" => AnnotationKind::Underline {
            rects: b.rects.iter().copied().map(rect).collect(),
        },
        "note" => AnnotationKind::Note {
            x: b.x?,
            y: b.y?,
            text: text(),
        },
        "text" => AnnotationKind::FreeText {
            rect: rect(b.rect?),
            text: text(),
        },
        _ => return None,
    };
    let [r, g, bl, a] = b.color.unwrap_or([255, 230, 0, 255]);
    Some(Annotation {
        page,
        color: Rgba(r, g, bl, a),
        kind,
    })
}

/// The kind name and JSON body an annotation is stored as (its page is kept
/// beside them).
pub fn to_stored(a: &Annotation) -> (&'static str, Value) {
    let Rgba(r, g, b, al) = a.color;
    let color = [r, g, b, al];
    match &a.kind {
        AnnotationKind::Ink { strokes, width } => {
            let strokes: Vec<Vec<Vec<f32>>> = strokes
                .iter()
                .map(|s| {
                    s.iter()
                        .map(|p| match p.pressure {
                            Some(pr) => vec![p.x, p.y, pr],
                            None => vec![p.x, p.y],
                        })
                        .collect()
                })
                .collect();
            (
                "ink",
                json!({"strokes": strokes, "width": width, "color": color}),
            )
        }
        AnnotationKind::Highlight { rects } => (
            "highlight",
            json!({"rects": rects.iter().map(corners).collect::<Vec<_>>(), "color": color}),
        ),
        AnnotationKind::Underline { rects } => (
            "underline",
            json!({"rects": rects.iter().map(corners).collect::<Vec<_>>(), "color": color}),
        ),
        AnnotationKind::Note { x, y, text } => (
            "note",
            json!({"x": x, "y": y, "text": text, "color": color}),
        ),
        AnnotationKind::FreeText { rect, text } => (
            "text",
            json!({"rect": corners(rect), "text": text, "color": color}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(left: f32, bottom: f32, right: f32, top: f32) -> PdfRectF {
        PdfRectF {
            left,
            bottom,
            right,
            top,
        }
    }

    #[test]
    fn stored_highlight_and_note_map_to_their_kinds_rects_and_colours() {
        let highlight = from_stored(
            3,
            "highlight",
            &json!({"rects": [[10, 20, 110, 32], [10, 34, 80, 46.5]], "color": [255, 230, 0, 128]}),
        )
        .expect("a highlight");
        assert_eq!(
            highlight,
            Annotation {
                page: 3,
                color: Rgba(255, 230, 0, 128),
                kind: AnnotationKind::Highlight {
                    rects: vec![r(10.0, 20.0, 110.0, 32.0), r(10.0, 34.0, 80.0, 46.5)],
                },
            }
        );
        let note = from_stored(
            0,
            "note",
            &json!({"x": 72, "y": 700.5, "text": "Xem lại số liệu", "color": [0, 70, 200, 255]}),
        )
        .expect("a note");
        assert_eq!(
            note,
            Annotation {
                page: 0,
                color: Rgba::BLUE,
                kind: AnnotationKind::Note {
                    x: 72.0,
                    y: 700.5,
                    text: "Xem lại số liệu".into(),
                },
            }
        );
    }

    #[test]
    fn missing_colour_and_width_take_their_defaults() {
        let ink = from_stored(1, "ink", &json!({"strokes": [[[1, 2], [3, 4, 0.5], [9]]]}))
            .expect("an ink stroke");
        assert_eq!(ink.color, Rgba::YELLOW);
        assert_eq!(
            ink.kind,
            AnnotationKind::Ink {
                strokes: vec![vec![
                    Point {
                        x: 1.0,
                        y: 2.0,
                        pressure: None
                    },
                    Point {
                        x: 3.0,
                        y: 4.0,
                        pressure: Some(0.5)
                    },
                ]],
                width: 2.0,
            }
        );
    }

    #[test]
    fn unknown_kinds_and_half_readable_bodies_are_left_alone() {
        for (kind, body) in [
            ("stamp", json!({"rects": [[0, 0, 1, 1]]})),
            ("note", json!({"x": 1, "text": "no y"})),
            ("text", json!({"text": "no rect"})),
            ("highlight", json!({"rects": [[0, 0, 1]]})),
            (
                "highlight",
                json!({"rects": [[0, 0, 1, 1]], "color": "red"}),
            ),
            ("underline", json!("not an object")),
        ] {
            assert_eq!(from_stored(0, kind, &body), None, "{kind} {body}");
        }
    }

    #[test]
    fn every_kind_reads_back_as_it_was_stored() {
        let all = [
            AnnotationKind::Ink {
                strokes: vec![vec![
                    Point {
                        x: 1.5,
                        y: 2.0,
                        pressure: Some(0.25),
                    },
                    Point {
                        x: 3.0,
                        y: 4.0,
                        pressure: None,
                    },
                ]],
                width: 2.5,
            },
            AnnotationKind::Highlight {
                rects: vec![r(1.0, 2.0, 3.0, 4.0), r(1.0, 5.0, 3.0, 9.0)],
            },
            AnnotationKind::Underline {
                rects: vec![r(1.0, 2.0, 3.0, 4.0)],
            },
            AnnotationKind::Note {
                x: 10.0,
                y: 20.0,
                text: "Xem lại".into(),
            },
            AnnotationKind::FreeText {
                rect: r(1.0, 2.0, 30.0, 40.0),
                text: "Đồng ý".into(),
            },
        ];
        for kind in all {
            let a = Annotation {
                page: 4,
                color: Rgba(1, 2, 3, 255),
                kind,
            };
            let (name, body) = to_stored(&a);
            assert_eq!(from_stored(4, name, &body).as_ref(), Some(&a), "{name}");
        }
    }
}
