//! Page text with character positions, and offline search across the
//! documents of a meeting that ignores Vietnamese diacritics when the query
//! has none.

use pdfium_render::prelude::*;
use unicode_normalization::UnicodeNormalization;

use crate::error::PdfError;
use crate::legacy::{self, legacy_of};

/// A rectangle in PDF page coordinates (points, origin bottom-left).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PdfRectF {
    pub left: f32,
    pub bottom: f32,
    pub right: f32,
    pub top: f32,
}

impl PdfRectF {
    fn union(self, o: PdfRectF) -> PdfRectF {
        PdfRectF {
            left: self.left.min(o.left),
            bottom: self.bottom.min(o.bottom),
            right: self.right.max(o.right),
            top: self.top.max(o.top),
        }
    }

    /// Whether the point lies inside (edges included).
    pub fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.left && x <= self.right && y >= self.bottom && y <= self.top
    }
}

/// One character of page text and its box; generated characters (spaces and
/// line breaks PDFium infers) have no box.
#[derive(Debug, Clone, PartialEq)]
pub struct TextChar {
    pub ch: char,
    pub rect: Option<PdfRectF>,
}

/// The text of one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageText {
    pub page: u32,
    pub chars: Vec<TextChar>,
}

impl PageText {
    /// The page text as a string.
    pub fn text(&self) -> String {
        self.chars.iter().map(|c| c.ch).collect()
    }

    /// Highlight rectangles for chars `start..end`: one per line (chars whose
    /// boxes share a baseline band are merged).
    pub fn rects(&self, start: usize, end: usize) -> Vec<PdfRectF> {
        let mut out: Vec<PdfRectF> = Vec::new();
        for r in self.chars[start..end.min(self.chars.len())]
            .iter()
            .filter_map(|c| c.rect)
        {
            match out.last_mut() {
                Some(last) if same_line(last, &r) => *last = last.union(r),
                _ => out.push(r),
            }
        }
        out
    }
}

fn same_line(a: &PdfRectF, b: &PdfRectF) -> bool {
    let overlap = a.top.min(b.top) - a.bottom.max(b.bottom);
    let h = (a.top - a.bottom).min(b.top - b.bottom).max(0.1);
    overlap > 0.5 * h
}

pub(crate) fn extract(doc: &PdfDocument<'_>, index: i32) -> Result<PageText, PdfError> {
    let page = doc
        .pages()
        .get(index)
        .map_err(|e| PdfError::pdfium("load page", e))?;
    let text = page
        .text()
        .map_err(|e| PdfError::pdfium("read page text", e))?;
    let mut raw = Vec::new();
    let mut rects = Vec::new();
    let mut any_legacy = false;
    for c in text.chars().iter() {
        let Some(ch) = c.unicode_char() else { continue };
        let generated = c.is_generated().unwrap_or(false);
        let rect = if generated {
            None
        } else {
            c.loose_bounds().ok().map(|r| PdfRectF {
                left: r.left().value,
                bottom: r.bottom().value,
                right: r.right().value,
                top: r.top().value,
            })
        };
        // Only a non-ASCII character can be a legacy Vietnamese code, so
        // the font is asked only for those.
        let legacy = if ch.is_ascii() || generated {
            None
        } else {
            legacy_of(&c.font_name())
        };
        any_legacy |= legacy.is_some();
        raw.push((ch, legacy));
        rects.push(rect);
    }
    let chars = if any_legacy {
        legacy::decode(&raw)
            .into_iter()
            .map(|(ch, from)| TextChar {
                ch,
                rect: from
                    .iter()
                    .filter_map(|&i| rects[i])
                    .reduce(PdfRectF::union),
            })
            .collect()
    } else {
        raw.into_iter()
            .zip(rects)
            .map(|((ch, _), rect)| TextChar { ch, rect })
            .collect()
    };
    Ok(PageText {
        page: index as u32,
        chars,
    })
}

/// Folds text for diacritic-insensitive matching: NFD, drop combining marks,
/// đ/Đ → d, lowercase. Returns the folded chars, each with the index of the
/// original char it came from (so a match maps back to page positions).
pub fn fold_with_origins(chars: impl IntoIterator<Item = char>) -> (Vec<char>, Vec<usize>) {
    let mut folded = Vec::new();
    let mut origin = Vec::new();
    for (i, ch) in chars.into_iter().enumerate() {
        let mut buf = [0u8; 4];
        for d in ch.encode_utf8(&mut buf).nfd() {
            if unicode_normalization::char::is_combining_mark(d) {
                continue;
            }
            let d = match d {
                'đ' | 'Đ' => 'd',
                _ => d,
            };
            for l in d.to_lowercase() {
                folded.push(if l.is_whitespace() { ' ' } else { l });
                origin.push(i);
            }
        }
    }
    (folded, origin)
}

/// [`fold_with_origins`] as a string.
pub fn fold(s: &str) -> String {
    fold_with_origins(s.chars()).0.into_iter().collect()
}

/// Lowercase + NFC with whitespace unified: the form for exact (diacritic
/// sensitive) matching. Keeps one output char per input char.
fn exact_form(chars: &[TextChar]) -> Vec<char> {
    chars
        .iter()
        .map(|c| {
            let l = c.ch.to_lowercase().next().unwrap_or(c.ch);
            if l.is_whitespace() {
                ' '
            } else {
                l
            }
        })
        .collect()
}

fn has_diacritics(q: &str) -> bool {
    q.chars().any(|c| {
        c == 'đ'
            || c == 'Đ'
            || c.to_string()
                .nfd()
                .any(unicode_normalization::char::is_combining_mark)
    })
}

/// One search hit: where, and the boxes to highlight.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The caller's id of the document (e.g. its store id).
    pub document: String,
    pub page: u32,
    /// The matched text as it appears on the page.
    pub text: String,
    pub rects: Vec<PdfRectF>,
}

struct IndexedPage {
    document: String,
    text: PageText,
    folded: Vec<char>,
    origin: Vec<usize>,
    exact: Vec<char>,
}

/// An in-memory search index over the pages of many documents.
///
/// A query without diacritics matches folded text ("quyet dinh" finds
/// "quyết định" and "Quyết Định"); a query with diacritics matches them
/// exactly (only case is ignored), so "quyết" does not find "quyệt".
#[derive(Default)]
pub struct SearchIndex {
    pages: Vec<IndexedPage>,
}

impl SearchIndex {
    pub fn new() -> Self {
        SearchIndex::default()
    }

    /// Adds (or replaces) a document's pages.
    pub fn add_document(&mut self, document: &str, pages: Vec<PageText>) {
        self.remove_document(document);
        for text in pages {
            let (folded, origin) = fold_with_origins(text.chars.iter().map(|c| c.ch));
            let exact = exact_form(&text.chars);
            self.pages.push(IndexedPage {
                document: document.to_owned(),
                text,
                folded,
                origin,
                exact,
            });
        }
    }

    pub fn remove_document(&mut self, document: &str) {
        self.pages.retain(|p| p.document != document);
    }

    /// Number of indexed pages.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// All hits of `query` in document order, then page, then position.
    /// Runs of whitespace in the query match any single whitespace char.
    pub fn search(&self, query: &str) -> Vec<SearchHit> {
        let words: Vec<&str> = query.split_whitespace().collect();
        if words.is_empty() {
            return Vec::new();
        }
        let joined = words.join(" ");
        let exact = has_diacritics(&joined);
        let needle: Vec<char> = if exact {
            joined.nfc().flat_map(char::to_lowercase).collect()
        } else {
            fold(&joined).chars().collect()
        };
        let mut hits = Vec::new();
        for p in &self.pages {
            let hay = if exact { &p.exact } else { &p.folded };
            let mut i = 0;
            while i + needle.len() <= hay.len() {
                if hay[i..i + needle.len()] == needle[..] {
                    let (start, end) = if exact {
                        (i, i + needle.len())
                    } else {
                        (p.origin[i], p.origin[i + needle.len() - 1] + 1)
                    };
                    hits.push(SearchHit {
                        document: p.document.clone(),
                        page: p.text.page,
                        text: p.text.chars[start..end].iter().map(|c| c.ch).collect(),
                        rects: p.text.rects(start, end),
                    });
                    i += needle.len();
                } else {
                    i += 1;
                }
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_strips_vietnamese_marks_and_d_bar() {
        assert_eq!(fold("Quyết Định số 12"), "quyet dinh so 12");
        assert_eq!(fold("Đầu tư công"), "dau tu cong");
        assert_eq!(fold("Nghị quyết"), "nghi quyet");
    }

    #[test]
    fn folding_maps_each_folded_char_back_to_its_source_char() {
        let (folded, origin) = fold_with_origins("ắa".chars());
        assert_eq!(folded, vec!['a', 'a']);
        assert_eq!(origin, vec![0, 1]);
    }

    #[test]
    fn diacritics_are_detected_in_queries() {
        assert!(has_diacritics("quyết"));
        assert!(has_diacritics("đinh"));
        assert!(!has_diacritics("quyet dinh"));
    }
}
