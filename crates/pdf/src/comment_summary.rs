//! The summary of the members' comments on a draft (bảng tổng hợp ý kiến
//! góp ý) as a PDF for the meeting: one row per comment, grouped by page
//! (the whole document first), with the member's name, the comment, and
//! the secretary's answer. Laid out here, written by [`crate::compose`]
//! with the Vietnamese font the watermark uses.

use ecabinet_protocol::{CommentStatus, DraftCommentBody, DraftCommentsBody};

use crate::compose::{FontStyle, Fonts, Item, PageSpec, Rgb};

const BOLD: &[u8] = include_bytes!("../../../assets/demo/fonts/DejaVuSans-Bold-vi.ttf");

/// The fonts the summary is written in (Vietnamese glyphs embedded).
pub fn fonts() -> Fonts {
    Fonts {
        regular: crate::watermark::FONT.to_vec(),
        bold: Some(BOLD.to_vec()),
    }
}

const MARGIN: f32 = 40.0;
const SIZE: f32 = 9.0;
const LINE: f32 = 12.0;
/// Column widths (points) of: No., page, member, comment, answer.
const COLUMNS: [f32; 5] = [26.0, 44.0, 95.0, 180.0, 170.0];
const HEADERS: [&str; 5] = [
    "STT",
    "Trang",
    "Đại biểu",
    "Nội dung góp ý",
    "Tiếp thu, giải trình",
];
const GREY: Rgb = Rgb(90, 90, 90);

/// The word for a comment's status, as the summary prints it.
pub fn status_label(s: CommentStatus) -> &'static str {
    match s {
        CommentStatus::Open => "Chưa xử lý",
        CommentStatus::Accepted => "Tiếp thu",
        CommentStatus::Answered => "Giải trình",
        CommentStatus::Declined => "Không tiếp thu",
    }
}

/// `text` broken into lines that fit `width` points at `size`: DejaVu Sans
/// averages a little over half an em a glyph, so this errs on the narrow
/// side; a word longer than a line is cut.
pub(crate) fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let max = ((width / (size * 0.6)).floor() as usize).max(4);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            while word.len() > max {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(word.drain(..max).collect());
            }
            let word: String = word.into_iter().collect();
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn text(x: f32, y: f32, size: f32, style: FontStyle, color: Rgb, s: &str) -> Item {
    Item::Text {
        x,
        y,
        size,
        style,
        color,
        text: s.to_owned(),
    }
}

fn rule(y: f32, page: &PageSpec) -> Item {
    Item::Line {
        x1: MARGIN,
        y1: y,
        x2: page.width - MARGIN,
        y2: y,
        color: GREY,
        width: 0.5,
    }
}

/// The cells of one comment's row.
fn cells(n: usize, c: &DraftCommentBody) -> [Vec<String>; 5] {
    let page = c.page.map_or("Toàn văn".to_owned(), |p| p.to_string());
    let mut answer = status_label(c.status).to_owned();
    if let Some(reply) = &c.reply {
        answer.push_str(": ");
        answer.push_str(reply);
    }
    if let Some(by) = &c.replied_by_name {
        answer.push_str(&format!(" ({by})"));
    }
    let mut member = c.author_name.clone();
    if c.version > 1 {
        member.push_str(&format!("\n(bản {})", c.version));
    }
    [
        vec![n.to_string()],
        vec![page],
        wrap(&member, COLUMNS[2] - 6.0, SIZE),
        wrap(&c.text, COLUMNS[3] - 6.0, SIZE),
        wrap(&answer, COLUMNS[4] - 6.0, SIZE),
    ]
}

/// The pages of the summary of `comments` on the draft `title`, made at
/// `made_at` (as it is to be printed, e.g. "14:05 03/12/2026").
pub fn pages(title: &str, comments: &DraftCommentsBody, made_at: &str) -> Vec<PageSpec> {
    let mut sorted: Vec<&DraftCommentBody> = comments.comments.iter().collect();
    // By page, the whole document first; in each, as they arrived.
    sorted.sort_by_key(|c| (c.page.unwrap_or(0), c.received_at));
    let count = |s: CommentStatus| sorted.iter().filter(|c| c.status == s).count();

    let mut pages = Vec::new();
    let mut page = PageSpec::a4();
    let mut y = page.height - MARGIN - 14.0;
    let centred =
        |s: &str, size: f32, width: f32| (width - s.chars().count() as f32 * size * 0.62) / 2.0;
    let heading = "BẢNG TỔNG HỢP Ý KIẾN GÓP Ý";
    page.items.push(text(
        centred(heading, 14.0, page.width).max(MARGIN),
        y,
        14.0,
        FontStyle::Bold,
        Rgb::BLACK,
        heading,
    ));
    y -= 16.0;
    let english = "Summary of comments on the draft";
    page.items.push(text(
        centred(english, 9.0, page.width).max(MARGIN),
        y,
        9.0,
        FontStyle::Regular,
        GREY,
        english,
    ));
    y -= 20.0;
    for line in wrap(
        &format!("Dự thảo: {title}"),
        page.width - 2.0 * MARGIN,
        11.0,
    ) {
        page.items
            .push(text(MARGIN, y, 11.0, FontStyle::Bold, Rgb::BLACK, &line));
        y -= 14.0;
    }
    let totals = format!(
        "Số ý kiến: {} — tiếp thu {}, giải trình {}, không tiếp thu {}, chưa xử lý {}. Lập lúc {made_at}.",
        sorted.len(),
        count(CommentStatus::Accepted),
        count(CommentStatus::Answered),
        count(CommentStatus::Declined),
        count(CommentStatus::Open),
    );
    for line in wrap(&totals, page.width - 2.0 * MARGIN, SIZE) {
        page.items
            .push(text(MARGIN, y, SIZE, FontStyle::Regular, Rgb::BLACK, &line));
        y -= LINE;
    }
    y -= 6.0;

    let header = |page: &mut PageSpec, y: &mut f32| {
        page.items.push(rule(*y + LINE - 2.0, page));
        let mut x = MARGIN;
        for (w, h) in COLUMNS.iter().zip(HEADERS) {
            page.items
                .push(text(x + 3.0, *y, SIZE, FontStyle::Bold, Rgb::BLACK, h));
            x += w;
        }
        *y -= 5.0;
        page.items.push(rule(*y, page));
        *y -= LINE;
    };
    header(&mut page, &mut y);
    if sorted.is_empty() {
        page.items.push(text(
            MARGIN + 3.0,
            y,
            SIZE,
            FontStyle::Regular,
            GREY,
            "Chưa có ý kiến góp ý. / No comments yet.",
        ));
    }
    for (i, c) in sorted.iter().enumerate() {
        let cells = cells(i + 1, c);
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
        // A row taller than a page is cut into page-sized pieces.
        let mut from = 0;
        while from < lines {
            let room = (((y - MARGIN) / LINE).floor() as usize).max(1);
            if room < 2.min(lines - from) || y - LINE < MARGIN {
                pages.push(std::mem::replace(&mut page, PageSpec::a4()));
                y = page.height - MARGIN - 10.0;
                header(&mut page, &mut y);
                continue;
            }
            let take = room.min(lines - from);
            let mut x = MARGIN;
            for (w, cell) in COLUMNS.iter().zip(&cells) {
                for (k, line) in cell.iter().skip(from).take(take).enumerate() {
                    page.items.push(text(
                        x + 3.0,
                        y - k as f32 * LINE,
                        SIZE,
                        FontStyle::Regular,
                        Rgb::BLACK,
                        line,
                    ));
                }
                x += w;
            }
            from += take;
            y -= take as f32 * LINE;
            page.items.push(rule(y + LINE - 4.0, &page));
            y -= 2.0;
        }
    }
    pages.push(page);
    let total = pages.len();
    for (i, p) in pages.iter_mut().enumerate() {
        let footer = format!("Trang {}/{total}", i + 1);
        let x = p.width - MARGIN - footer.chars().count() as f32 * 8.0 * 0.6;
        p.items.push(text(
            x,
            MARGIN / 2.0,
            8.0,
            FontStyle::Regular,
            GREY,
            &footer,
        ));
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn lines_fit_their_column_and_keep_every_word() {
        let s = "Đề nghị bổ sung chỉ tiêu về tỷ lệ hồ sơ dịch vụ công trực tuyến toàn trình";
        let lines = wrap(s, 90.0, 9.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= 16), "{lines:?}");
        assert_eq!(lines.join(" "), s);
        // A word longer than a line is cut, not lost.
        let long = "x".repeat(40);
        assert_eq!(wrap(&long, 90.0, 9.0).concat(), long);
        assert_eq!(wrap("", 90.0, 9.0), [""]);
    }
}
