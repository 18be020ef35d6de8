//! Text with positions and diacritic-insensitive Vietnamese search.

use ecabinet_pdf::SearchIndex;

use crate::{engine, page, text, vietnamese_fonts};

/// Two documents; known phrases at known places.
fn meeting_index() -> SearchIndex {
    let a = engine()
        .compose(
            Some(vietnamese_fonts()),
            vec![
                page(
                    595.0,
                    842.0,
                    0,
                    vec![
                        text(72.0, 700.0, 14.0, "Dự thảo Quyết định số 15"),
                        text(72.0, 650.0, 12.0, "Kế hoạch đầu tư công năm 2027"),
                    ],
                ),
                page(
                    595.0,
                    842.0,
                    0,
                    vec![text(100.0, 400.0, 12.0, "Ủy ban quyết định phê duyệt")],
                ),
            ],
        )
        .unwrap();
    let b = engine()
        .compose(
            Some(vietnamese_fonts()),
            vec![page(
                595.0,
                842.0,
                0,
                vec![
                    text(72.0, 500.0, 12.0, "Đường ven biển; quyệt là từ khác"),
                    text(72.0, 300.0, 12.0, "QUYẾT ĐỊNH CỦA CHỦ TỊCH"),
                ],
            )],
        )
        .unwrap();
    let mut index = SearchIndex::new();
    for (id, bytes) in [("doc-a", a), ("doc-b", b)] {
        let doc = engine().open(bytes, id).unwrap();
        index.add_document(id, engine().document_text(doc.handle).unwrap());
        engine().close(doc.handle).unwrap();
    }
    index
}

#[test]
fn page_text_comes_back_with_its_diacritics() {
    let pdf = engine()
        .compose(
            Some(vietnamese_fonts()),
            vec![page(
                595.0,
                842.0,
                0,
                vec![text(72.0, 700.0, 14.0, "Nghị quyết về chuyển đổi số")],
            )],
        )
        .unwrap();
    let doc = engine().open(pdf, "vi-text").unwrap();
    let t = engine().page_text(doc.handle, 0).unwrap();
    assert_eq!(t.text().trim(), "Nghị quyết về chuyển đổi số");
    let first = t.chars[0].rect.expect("a real glyph has a box");
    assert!(
        (first.left - 72.0).abs() < 2.0 && first.bottom <= 700.0 && first.top > 700.0,
        "{first:?}"
    );
}

#[test]
fn a_query_without_diacritics_finds_every_accented_form() {
    let hits = meeting_index().search("quyet dinh");
    let found: Vec<(&str, u32, &str)> = hits
        .iter()
        .map(|h| (h.document.as_str(), h.page, h.text.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("doc-a", 0, "Quyết định"),
            ("doc-a", 1, "quyết định"),
            ("doc-b", 0, "QUYẾT ĐỊNH"),
        ]
    );
}

#[test]
fn a_query_with_diacritics_matches_them_exactly() {
    let index = meeting_index();
    let hits = index.search("quyết");
    assert_eq!(hits.len(), 3, "{hits:?}");
    assert!(hits.iter().all(|h| h.text.to_lowercase() == "quyết"));
    let other = index.search("quyệt");
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].document, "doc-b");
    assert_eq!(index.search("đầu tư công").len(), 1);
    assert_eq!(index.search("dau tu cong").len(), 1);
    assert!(index.search("đầu tư tư nhân").is_empty());
}

#[test]
fn hits_carry_highlight_rectangles_in_pdf_page_coordinates() {
    let hits = meeting_index().search("ke hoach dau tu");
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(
        (h.document.as_str(), h.page, h.text.as_str()),
        ("doc-a", 0, "Kế hoạch đầu tư")
    );
    assert_eq!(h.rects.len(), 1, "one line, one rectangle");
    let r = h.rects[0];
    // Placed at x=72, baseline y=650, 12 pt.
    assert!((r.left - 72.0).abs() < 2.0, "{r:?}");
    assert!(r.bottom < 650.0 && r.top > 655.0 && r.top < 665.0, "{r:?}");
    assert!(r.right > 150.0 && r.right < 250.0, "{r:?}");
}

#[test]
fn the_demo_board_pack_is_searchable_without_diacritics() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo");
    let mut index = SearchIndex::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pdf") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let doc = engine().open(std::fs::read(&path).unwrap(), &name).unwrap();
            index.add_document(&name, engine().document_text(doc.handle).unwrap());
            engine().close(doc.handle).unwrap();
        }
    }
    assert!(index.page_count() >= 12, "{} pages", index.page_count());
    let hits = index.search("chuyen doi so");
    let mut docs: Vec<&str> = hits.iter().map(|h| h.document.as_str()).collect();
    docs.dedup();
    assert!(
        docs.contains(&"du-thao-nghi-quyet-chuyen-doi-so.pdf"),
        "{docs:?}"
    );
    assert!(docs.contains(&"to-trinh-dau-tu-cong-2027.pdf"), "{docs:?}");
    assert!(hits
        .iter()
        .all(|h| ecabinet_pdf::text::fold(&h.text) == "chuyen doi so"));
}

/// A PDF as Word wrote it from a document set in legacy Vietnamese fonts:
/// simple fonts named `.VnTime` (TCVN3) and `VNI-Times` (VNI), WinAnsi
/// codes, no Unicode map. Line 1 is TCVN3, line 2 VNI, line 3 the TCVN3
/// bytes again in Helvetica (not a Vietnamese font: left as it is).
fn legacy_fonts_pdf() -> Vec<u8> {
    let tcvn: &[u8] = b"Quy\xd5t \xae\xdenh s\xe8 15/Q\xa7-UBND";
    let vni: &[u8] = b"Quye\xe1t \xf1\xf2nh so\xe1 15/Q\xd1-UBND";
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
    let content = format!(
        "BT /F1 14 Tf 72 700 Td <{}> Tj ET\nBT /F2 14 Tf 72 650 Td <{}> Tj ET\nBT /F3 14 Tf 72 600 Td <{}> Tj ET\n",
        hex(tcvn),
        hex(vni),
        hex(tcvn)
    );
    let font = |name: &str| {
        format!("<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>")
    };
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R /F2 6 0 R /F3 7 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        font(".VnTime"),
        font("VNI-Times"),
        font("Helvetica"),
    ];
    ecabinet_pdf::testing::pdf_of_objects(&objects, "")
}

#[test]
fn legacy_tcvn3_and_vni_text_is_found_and_marked_where_it_is() {
    let pdf = legacy_fonts_pdf();
    let pages = engine()
        .text_of(std::io::Cursor::new(pdf), "legacy-fonts")
        .unwrap();
    let page_text = pages[0].text();
    assert_eq!(
        page_text.matches("Quyết định số 15/QĐ-UBND").count(),
        2,
        "both legacy lines decode: {page_text}"
    );
    assert!(
        page_text.contains("Quy\u{d5}t"),
        "the Helvetica line stays as its codes: {page_text}"
    );

    let mut index = SearchIndex::new();
    index.add_document("legacy", pages);
    for query in ["quyết định", "quyet dinh", "QĐ-UBND"] {
        let hits = index.search(query);
        assert_eq!(hits.len(), 2, "{query}: {hits:?}");
        let mut tops: Vec<f32> = hits.iter().map(|h| h.rects[0].top).collect();
        tops.sort_by(f32::total_cmp);
        // The hits are on the TCVN3 line (baseline 700) and the VNI line
        // (650), never on the Helvetica one (600).
        assert!(
            tops[0] > 650.0 && tops[0] < 670.0 && tops[1] > 700.0 && tops[1] < 720.0,
            "{query}: {tops:?}"
        );
        for h in &hits {
            let r = h.rects[0];
            assert!(r.left >= 70.0 && r.right > r.left + 20.0, "{query}: {r:?}");
        }
    }
}
