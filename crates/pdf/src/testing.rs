//! Test material, for this crate's tests and the workspace's: PDFs
//! written by hand, and scans of real pages (a page rendered by PDFium,
//! stored as a grey JPEG in a PDF of its own, as a scanner would deliver
//! it). Not used by the product.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;

use crate::{ImageFormat, PdfEngine, RenderRequest};

/// A page of a PDF written by hand: boxes, /Rotate, content stream, and
/// optionally a grey JPEG as `/Im0` or Helvetica as `/F1`.
pub struct RawPage {
    pub media: [f32; 4],
    pub crop: Option<[f32; 4]>,
    pub rotate: u16,
    pub content: String,
    pub jpeg: Option<(u32, u32, Vec<u8>)>,
    pub helvetica: bool,
}

/// A minimal PDF of `pages` (catalog, page tree, pages, streams, xref).
pub fn write_pdf(pages: &[RawPage]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![Vec::new(), Vec::new()];
    let mut kids = Vec::new();
    let boxed = |b: [f32; 4]| format!("[{} {} {} {}]", b[0], b[1], b[2], b[3]);
    let stream = |dict: String, data: &[u8]| {
        let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        o.extend_from_slice(data);
        o.extend_from_slice(b"\nendstream");
        o
    };
    for p in pages {
        let content_id = objects.len() + 1;
        objects.push(stream(String::new(), p.content.as_bytes()));
        let mut resources = String::new();
        if let Some((w, h, jpeg)) = &p.jpeg {
            let id = objects.len() + 1;
            objects.push(stream(
                format!(
                    "/Type /XObject /Subtype /Image /Width {w} /Height {h} \
                     /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"
                ),
                jpeg,
            ));
            resources.push_str(&format!("/XObject << /Im0 {id} 0 R >> "));
        }
        if p.helvetica {
            let id = objects.len() + 1;
            objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
            resources.push_str(&format!("/Font << /F1 {id} 0 R >> "));
        }
        let crop = p
            .crop
            .map(|c| format!("/CropBox {} ", boxed(c)))
            .unwrap_or_default();
        kids.push(format!("{} 0 R", objects.len() + 1));
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox {} {crop}/Rotate {} \
                 /Resources << {resources}>> /Contents {content_id} 0 R >>",
                boxed(p.media),
                p.rotate
            )
            .into_bytes(),
        );
    }
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>".to_vec();
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        pages.len()
    )
    .into_bytes();
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(o);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for at in offsets {
        pdf.extend_from_slice(format!("{at:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Page `page` of `pdf` as a scanner would deliver it: a grey JPEG of the
/// page at `dpi`, to be drawn upright over the displayed page.
pub fn scanned(engine: &PdfEngine, pdf: Vec<u8>, page: u32, dpi: f32) -> (u32, u32, Vec<u8>) {
    let doc = engine.open(pdf, "ocr-scan-source").unwrap();
    let r = engine
        .render(
            doc.handle,
            RenderRequest::at_dpi(page, dpi, ImageFormat::Rgba),
        )
        .unwrap();
    engine.close(doc.handle).unwrap();
    let grey: Vec<u8> = r
        .bytes
        .chunks_exact(4)
        .map(|p| ((299 * p[0] as u32 + 587 * p[1] as u32 + 114 * p[2] as u32) / 1000) as u8)
        .collect();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode(&grey, r.width, r.height, ExtendedColorType::L8)
        .unwrap();
    (r.width, r.height, jpeg)
}

/// An A4 page holding only `scan`, drawn by `cm` (the image's unit square
/// to user space).
pub fn scan_page(scan: (u32, u32, Vec<u8>), media: [f32; 4], rotate: u16, cm: &str) -> RawPage {
    RawPage {
        media,
        crop: None,
        rotate,
        content: format!("q {cm} cm /Im0 Do Q"),
        jpeg: Some(scan),
        helvetica: false,
    }
}

/// A PDF of the given objects (numbered from 1, object 1 the catalog) with
/// a correct cross-reference table, and `trailer` added to the trailer
/// dictionary.
pub fn pdf_of_objects(objects: &[String], trailer: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer}>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A well-formed PDF (catalog, empty page tree, cross-reference table)
/// with no page at all.
pub fn zero_page_pdf() -> Vec<u8> {
    pdf_of_objects(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [] /Count 0 >>".to_owned(),
        ],
        "",
    )
}

/// An encrypted PDF (Standard security handler), which PDFium opens only
/// with its password: the trailer names an `/Encrypt` dictionary.
pub fn password_protected_pdf() -> Vec<u8> {
    pdf_of_objects(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_owned(),
            format!(
                "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <{}> /U <{}> >>",
                "ab".repeat(32),
                "cd".repeat(32)
            ),
        ],
        &format!("/Encrypt 4 0 R /ID [<{id}> <{id}>] ", id = "01".repeat(16)),
    )
}

/// A PDF whose cross-reference table and objects are garbage: it has the
/// header and the end-of-file marker a quick check looks for, nothing else.
pub fn damaged_pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\nxref\n0 zz\ntrailer << /Root 1 0 R >>\nstartxref\n999999\n%%EOF\n"
        .to_vec()
}
