//! A minimal writer of real multi-page text PDFs (PDF 1.4, Helvetica, correct
//! cross-reference table) for the demo committee's documents.
//!
//! The standard-14 fonts cannot show Vietnamese tone marks, so the text is
//! folded to ASCII (NFD, combining marks dropped, đ → d); the titles stored in
//! the database keep their diacritics.

use unicode_normalization::UnicodeNormalization;

/// Folds Vietnamese text to the ASCII the standard fonts can show.
pub fn fold_ascii(s: &str) -> String {
    s.nfd()
        .filter_map(|c| match c {
            'đ' => Some('d'),
            'Đ' => Some('D'),
            '–' | '—' => Some('-'),
            c if c.is_ascii() => Some(c),
            _ => None,
        })
        .collect()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in fold_ascii(s).chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Wraps `text` into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// One page: a heading and paragraphs.
pub struct Page {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

/// Writes an A4 PDF with one page per [`Page`], a document title on each.
pub fn write_pdf(title: &str, pages: &[Page]) -> Vec<u8> {
    let n = pages.len();
    // Objects: 1 catalog, 2 pages tree, 3 font, 4 bold font, 5 info, then per page (page, content).
    let first_page_obj = 6;
    let mut objects: Vec<String> = Vec::new();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
    let kids: Vec<String> = (0..n)
        .map(|i| format!("{} 0 R", first_page_obj + 2 * i))
        .collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {n} >>",
        kids.join(" ")
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    );
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    );
    objects.push(format!(
        "<< /Title ({}) /Producer (ecabinet-server seed-demo) >>",
        escape(title)
    ));
    for (i, page) in pages.iter().enumerate() {
        let mut content = String::new();
        let mut y = 800;
        let mut text = |font: &str, size: u32, x: u32, y: i32, s: &str| {
            content.push_str(&format!(
                "BT /{font} {size} Tf {x} {y} Td ({}) Tj ET\n",
                escape(s)
            ));
        };
        text("F2", 10, 56, y, "UY BAN NHAN DAN TINH THAI BINH");
        text("F1", 9, 400, y, &format!("Trang {}/{}", i + 1, n));
        y -= 40;
        for line in wrap(title, 60) {
            text("F2", 16, 56, y, &line);
            y -= 22;
        }
        y -= 8;
        text("F2", 12, 56, y, &page.heading);
        y -= 24;
        for para in &page.paragraphs {
            for line in wrap(&fold_ascii(para), 90) {
                if y < 60 {
                    break;
                }
                text("F1", 11, 56, y, &line);
                y -= 15;
            }
            y -= 8;
        }
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            first_page_obj + 2 * i + 1
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{}endstream",
            content.len(),
            content
        ));
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_the_letters_and_drops_the_marks() {
        assert_eq!(
            fold_ascii("Ủy ban nhân dân tỉnh Đồng Nai"),
            "Uy ban nhan dan tinh Dong Nai"
        );
        assert_eq!(fold_ascii("Dự thảo – 2026"), "Du thao - 2026");
    }

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let pdf = write_pdf(
            "Báo cáo",
            &[
                Page {
                    heading: "Một".into(),
                    paragraphs: vec!["Nội dung (thử)".into()],
                },
                Page {
                    heading: "Hai".into(),
                    paragraphs: vec![],
                },
            ],
        );
        // The binary comment on line 2 is not UTF-8: work on bytes for offsets.
        let text = String::from_utf8_lossy(&pdf).into_owned();
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(text.trim_end().ends_with("%%EOF"));
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|l| l.parse().ok())
            .expect("startxref");
        let table = String::from_utf8(pdf[xref_at..].to_vec()).expect("ascii table");
        assert!(table.starts_with("xref"));
        // Every in-use entry points at "N 0 obj".
        let entries: Vec<&str> = table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .collect();
        assert_eq!(entries.len(), 5 + 2 * 2);
        for (i, line) in entries.iter().enumerate() {
            let off: usize = line[..10].parse().expect("offset");
            assert!(
                pdf[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
        assert!(text.contains("/Count 2"));
        assert!(text.contains("Noi dung \\(thu\\)"));
    }
}
