//! Document commands of the headless client: list, render, search,
//! annotate and export. Documents are read from the encrypted cache into
//! memory only; the one file written is the output the user asked for.

use std::path::Path;

use anyhow::{bail, Context, Result};
use ecabinet_pdf::{
    stored, Annotation as PdfAnnotation, AnnotationKind, ImageFormat, PdfEngine, PdfRectF, Point,
    RenderRequest, Rgba, SearchIndex,
};
use ecabinet_store::{Store, VerifiedVersion};
use serde_json::{json, Value};

/// The current version of a document: the highest verified one, refused
/// when a newer verified version is gone (a rollback) or was refused.
pub fn current_version(store: &Store, doc_id: &str) -> Result<VerifiedVersion> {
    if store.document_versions(doc_id)?.is_empty() {
        bail!("no document {doc_id} in the cache: sync first");
    }
    Ok(ecabinet_sync::current_version_to_open(store, doc_id)?)
}

/// `x,y,w,h` as fractions of the page from its top-left corner.
pub fn parse_region(s: &str) -> Result<ecabinet_protocol::CommentRegion> {
    let v: Vec<f32> = s
        .split(',')
        .map(|p| p.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("region {s:?}: four numbers x,y,w,h"))?;
    let [x, y, w, h] = v[..] else {
        bail!("region {s:?}: four numbers x,y,w,h (fractions of the page, 0 to 1)");
    };
    let r = ecabinet_protocol::CommentRegion { x, y, w, h };
    if !r.is_valid() {
        bail!("region {s:?} is not inside the page (fractions of it, 0 to 1)");
    }
    Ok(r)
}

/// The document's title as the cache holds it.
/// The summary table of the comments (bảng tổng hợp ý kiến) as a PDF;
/// refused, as an export is, for a document whose policy keeps copies in
/// the app.
pub fn comment_summary(
    store: &Store,
    doc_id: &str,
    comments: &ecabinet_protocol::DraftCommentsBody,
) -> Result<Vec<u8>> {
    let v = current_version(store, doc_id)?;
    // The document's policy: no copy, or one with the reader's watermark.
    let watermark = ecabinet_sync::export_watermark(store, &v, ecabinet_sync::now_ms())?
        .map(ecabinet_pdf::Watermark::new)
        .transpose()?;
    let title = ecabinet_sync::document_title(store, &v, doc_id)?;
    let made_at = ecabinet_sync::vietnam_time(ecabinet_sync::now_ms());
    let pages = ecabinet_pdf::comment_summary::pages(&title, comments, &made_at);
    let engine = engine()?;
    let pdf = engine.compose(Some(ecabinet_pdf::comment_summary::fonts()), pages)?;
    Ok(match &watermark {
        Some(w) => engine.export_with_annotations(pdf, &[], Some(w))?,
        None => pdf,
    })
}

/// The opinion form (phiếu lấy ý kiến) `text` as a PDF signed with
/// `token` (PAdES, as a document is), to go with a written consultation's
/// ballot.
pub fn signed_opinion_form(
    token: &ecabinet_pades::token::Token,
    text: &ecabinet_protocol::OpinionFormText,
    now_ms: i64,
) -> Result<Vec<u8>> {
    Ok(ecabinet_pdf::opinion_form::signed(
        &engine()?,
        token,
        text,
        now_ms,
    )?)
}

pub fn list(store: &Store) -> Result<Value> {
    let errors: std::collections::HashMap<String, String> =
        store.version_errors()?.into_iter().collect();
    let mut out = Vec::new();
    for meeting in store.meetings(None)? {
        for (doc_id, body) in store.documents(&meeting.id)? {
            let mut versions = Vec::new();
            // What is shown of a version comes from its verified manifest;
            // a record not verified here shows only its id and state.
            for v in store.document_versions(&doc_id)? {
                versions.push(match store.verified_version(&v.id)? {
                    Some(m) => json!({
                        "version_id": v.id,
                        "verified": true,
                        "version": m.version,
                        "meeting_id": m.meeting_id,
                        "sha256": m.sha256,
                        "size": m.size,
                        "superseded": m.superseded,
                        "downloaded": store.has_blob(&m.sha256)?,
                        "error": errors.get(&v.id),
                    }),
                    None => json!({
                        "version_id": v.id,
                        "verified": false,
                        "downloaded": false,
                        "error": errors.get(&v.id),
                    }),
                });
            }
            out.push(json!({
                "id": doc_id,
                "title": body.get("title"),
                "meeting_id": meeting.id,
                "meeting_title": meeting.title,
                "agenda_item_id": body.get("agenda_item_id"),
                "versions": versions,
            }));
        }
    }
    Ok(Value::Array(out))
}

fn pdf_rect([left, bottom, right, top]: [f32; 4]) -> PdfRectF {
    PdfRectF {
        left,
        bottom,
        right,
        top,
    }
}

fn engine() -> Result<PdfEngine> {
    Ok(PdfEngine::start(Default::default())?)
}

pub fn render(store: &Store, doc_id: &str, page: u32, dpi: f32, out: &Path) -> Result<()> {
    let v = current_version(store, doc_id)?;
    // A page image written to a file is a copy leaving the app: the signed
    // policy may forbid it, and a watermark (the reader's, or the export's)
    // goes into its pixels.
    let now = ecabinet_sync::now_ms();
    let watermark = match ecabinet_sync::export_watermark(store, &v, now)? {
        Some(lines) => Some(lines),
        None => ecabinet_sync::view_watermark(store, &v, now)?,
    }
    .map(ecabinet_pdf::Watermark::new)
    .transpose()?;
    let engine = engine()?;
    let (reader, _) = store.checked_blob_reader(&v.sha256)?;
    let doc = engine.open_reader(reader, &format!("{doc_id}@{}", v.version))?;
    if page == 0 || page as usize > doc.pages.len() {
        bail!(
            "page {page} does not exist: the document has {} pages",
            doc.pages.len()
        );
    }
    let req = RenderRequest::at_dpi(page - 1, dpi, ImageFormat::Png);
    let img = match &watermark {
        Some(w) => std::sync::Arc::new(engine.render_watermarked(doc.handle, req, w)?),
        None => engine.render(doc.handle, req)?,
    };
    std::fs::write(out, &img.bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}: page {page} at {dpi} dpi, {}×{} px",
        out.display(),
        img.width,
        img.height
    );
    Ok(())
}

/// The embedded signatures of a document's current version, checked
/// against the synced trusted roots.
pub fn signatures(
    store: &Store,
    doc_id: &str,
) -> Result<(u32, Vec<ecabinet_pades::SignatureReport>)> {
    let v = current_version(store, doc_id)?;
    let mut reader = store.blob_reader(&v.sha256)?;
    Ok((
        v.version,
        ecabinet_sync::check_signatures(store, &mut reader)?,
    ))
}

/// One paragraph per signature, for a terminal.
pub fn print_signatures(
    verdict: ecabinet_pades::Verdict,
    reports: &[ecabinet_pades::SignatureReport],
) {
    use ecabinet_pades::{Integrity, Revocation, Trust, Validity, Verdict};
    println!(
        "{}",
        match verdict {
            Verdict::Unsigned => "no embedded signature",
            Verdict::Valid => "signed: every signature is intact, trusted and valid",
            Verdict::Warning => "signed, with warnings",
            Verdict::Broken =>
                "SIGNATURE BROKEN: the document does not match what was signed, or a certificate was revoked",
        }
    );
    for (i, r) in reports.iter().enumerate() {
        let when = r
            .signed_at
            .map(|t| ecabinet_sync::vietnam_time(t * 1000))
            .unwrap_or_else(|| "?".into());
        println!(
            "{}. {} ({}), signed {when}",
            i + 1,
            r.signer.as_deref().unwrap_or("unknown signer"),
            r.organisation.as_deref().unwrap_or("no organisation")
        );
        println!(
            "   document: {}; certificate: {}, {}; revocation: {}",
            match r.integrity {
                Integrity::Intact if r.unsigned_changes_after =>
                    "intact, but changed afterwards without a signature",
                Integrity::Intact => "intact",
                Integrity::Modified => "CHANGED after signing",
                Integrity::Broken => "signature BROKEN",
                Integrity::Unverifiable => "cannot be checked",
            },
            match r.trust {
                Trust::Trusted => "trusted",
                Trust::Untrusted => "NOT trusted",
            },
            match r.validity {
                Validity::Valid => "valid",
                Validity::Expired => "expired",
                Validity::NotYetValid => "not valid yet",
            },
            match r.revocation {
                Revocation::Good => "not revoked (the CA's current list)",
                Revocation::Revoked => "REVOKED",
                Revocation::Unknown => "not known offline (no current list of the CA)",
            }
        );
        if let Some(problem) = &r.problem {
            println!("   {problem}");
        }
    }
}

/// What `search` found, and the documents it could not search.
pub struct SearchOutcome {
    pub hits: Value,
    /// (document id, title, why): each unreadable document is reported by
    /// name and skipped; the others are searched.
    pub skipped: Vec<(String, String, String)>,
}

pub fn search(store: &Store, query: &str) -> Result<SearchOutcome> {
    let engine = engine()?;
    let mut index = SearchIndex::new();
    let mut titles = std::collections::HashMap::new();
    let mut skipped = Vec::new();
    for meeting in store.meetings(None)? {
        for (doc_id, body) in store.documents(&meeting.id)? {
            let title = body.get("title").cloned().unwrap_or(Value::Null);
            // One bad document (no pages, a password, damaged, tampered
            // with, not downloaded) is reported and the others searched.
            let text = current_version(store, &doc_id).and_then(|v| {
                let (reader, _) = store.checked_blob_reader(&v.sha256)?;
                let pages = engine.text_of(reader, &format!("{doc_id}@{}", v.version))?;
                // Scanned pages are searched through their verified OCR words
                // (an unreadable stored layer is ignored: the pages' own text stays).
                let layer = ecabinet_sync::text_layer_of(store, &v.id).ok().flatten();
                Ok(ecabinet_pdf::with_text_layer(pages, layer.as_ref()))
            });
            match text {
                Ok(text) => {
                    index.add_document(&doc_id, text);
                    titles.insert(doc_id, title);
                }
                Err(e) => skipped.push((
                    doc_id,
                    title.as_str().unwrap_or_default().to_owned(),
                    format!("{e:#}"),
                )),
            }
        }
    }
    let hits: Vec<Value> = index
        .search(query)
        .into_iter()
        .map(|h| {
            json!({
                "document_id": h.document,
                "title": titles.get(&h.document),
                "page": h.page + 1,
                "text": h.text,
                "rects": h.rects.iter().map(|r| [r.left, r.bottom, r.right, r.top]).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(SearchOutcome {
        hits: Value::Array(hits),
        skipped,
    })
}

/// The kinds the command line can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Highlight,
    Underline,
    Ink,
    Note,
    Text,
}

pub fn parse_rect(s: &str) -> Result<[f32; 4]> {
    let parts: Vec<f32> = s
        .split(',')
        .map(|p| p.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--rect wants x0,y0,x1,y1 in PDF points, got {s:?}"))?;
    let [x0, y0, x1, y1] = parts[..] else {
        bail!("--rect wants four numbers x0,y0,x1,y1, got {}", parts.len());
    };
    if !(x0 < x1 && y0 < y1) {
        bail!("--rect must have x0 < x1 and y0 < y1 (PDF points, origin bottom-left)");
    }
    Ok([x0, y0, x1, y1])
}

pub fn annotate(
    store: &Store,
    doc_id: &str,
    page: u32,
    kind: Kind,
    rect: [f32; 4],
    text: Option<String>,
    now_ms: i64,
) -> Result<String> {
    let v = current_version(store, doc_id)?;
    if page == 0 {
        bail!("pages are numbered from 1");
    }
    let needs_text = matches!(kind, Kind::Note | Kind::Text);
    if needs_text && text.as_deref().unwrap_or("").is_empty() {
        bail!("a note or text annotation needs --text");
    }
    let [x0, y0, x1, y1] = rect;
    let text = text.unwrap_or_default();
    let (color, shape) = match kind {
        Kind::Highlight => (
            Rgba::YELLOW,
            AnnotationKind::Highlight {
                rects: vec![pdf_rect(rect)],
            },
        ),
        Kind::Underline => (
            Rgba::BLUE,
            AnnotationKind::Underline {
                rects: vec![pdf_rect(rect)],
            },
        ),
        Kind::Ink => {
            let point = |x, y| Point {
                x,
                y,
                pressure: None,
            };
            (
                Rgba::RED,
                AnnotationKind::Ink {
                    strokes: vec![vec![
                        point(x0, y0),
                        point((x0 + x1) / 2.0, y1),
                        point(x1, y0),
                    ]],
                    width: 2.0,
                },
            )
        }
        Kind::Note => (Rgba::YELLOW, AnnotationKind::Note { x: x0, y: y1, text }),
        Kind::Text => (
            Rgba(0, 0, 0, 255),
            AnnotationKind::FreeText {
                rect: pdf_rect(rect),
                text,
            },
        ),
    };
    let (name, data) = stored::to_stored(&PdfAnnotation {
        page: page - 1,
        color,
        kind: shape,
    });
    // Stamped by the annotation clock and queued, sealed, for the member's
    // other devices (the next `sync` pushes it).
    let recorded = ecabinet_sync::record_annotation(
        store,
        ecabinet_sync::AnnotationEdit {
            id: None,
            doc_id: doc_id.to_owned(),
            version: v.version,
            page: page - 1,
            kind: name.to_owned(),
            data,
        },
        now_ms,
    )?;
    Ok(recorded.annotation.id)
}

pub fn export(store: &Store, doc_id: &str, out: &Path) -> Result<usize> {
    let v = current_version(store, doc_id)?;
    let annotations: Vec<PdfAnnotation> = store
        .annotations(doc_id, v.version, false)?
        .iter()
        .filter_map(|a| stored::from_stored(a.page, &a.kind, &a.data))
        .collect();
    // The signed policy decides before anything is decrypted: no copy at
    // all, or a copy with the reader's watermark on every page.
    let watermark = ecabinet_sync::export_watermark(store, &v, ecabinet_sync::now_ms())?
        .map(ecabinet_pdf::Watermark::new)
        .transpose()?;
    let engine = engine()?;
    let pdf = engine.export_with_annotations(
        store.read_blob(&v.sha256)?,
        &annotations,
        watermark.as_ref(),
    )?;
    std::fs::write(out, pdf).with_context(|| format!("writing {}", out.display()))?;
    Ok(annotations.len())
}
