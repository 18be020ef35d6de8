//! The opinion form (phiếu lấy ý kiến) of a written consultation: one A4
//! page with the committee, the meeting, the question, every option with
//! the member's marked, the member's name and the time, which the member's
//! device signs with the token (PAdES) and sends with the ballot. Laid out
//! here, written by [`crate::compose`] with the summary's Vietnamese fonts.

use ecabinet_protocol::OpinionFormText;

/// The fonts the form is written in (Vietnamese glyphs embedded).
pub use crate::comment_summary::fonts;
use crate::comment_summary::wrap;
use crate::compose::{FontStyle, Item, PageSpec, Rgb};

/// The reason its PAdES signature gives.
pub const SIGNING_REASON: &str = "Phiếu lấy ý kiến (opinion form)";

const MARGIN: f32 = 60.0;
const WIDTH: f32 = 595.0 - 2.0 * MARGIN;
const SIZE: f32 = 11.0;
const LINE: f32 = 16.0;
const GREY: Rgb = Rgb(90, 90, 90);
/// Lines of the question printed at most (the rest is cut with "…": the
/// form is one page, and the motion's id names the whole question).
const MAX_QUESTION_LINES: usize = 12;

/// Items laid out top-down.
struct Sheet {
    items: Vec<Item>,
    y: f32,
}

impl Sheet {
    fn text(&mut self, x: f32, size: f32, style: FontStyle, color: Rgb, t: &str) {
        self.items.push(Item::Text {
            x,
            y: self.y,
            size,
            style,
            color,
            text: t.to_owned(),
        });
    }

    /// A bold label, then `value` wrapped under it (at most `max_lines`).
    fn field(&mut self, label: &str, value: &str, max_lines: usize) {
        self.text(MARGIN, SIZE, FontStyle::Bold, Rgb::BLACK, label);
        self.y -= LINE;
        let mut lines = wrap(value, WIDTH - 20.0, SIZE);
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                last.push_str(" …");
            }
        }
        for line in lines {
            self.text(MARGIN + 20.0, SIZE, FontStyle::Regular, Rgb::BLACK, &line);
            self.y -= LINE;
        }
        self.y -= 8.0;
    }
}

/// The form's page, ready for [`crate::PdfEngine::compose`] with
/// [`crate::comment_summary::fonts`].
pub fn pages(f: &OpinionFormText) -> Vec<PageSpec> {
    let top = 842.0 - 70.0;
    let mut s = Sheet {
        items: Vec::new(),
        y: top,
    };
    // The national motto on the right, the committee on the left, as an
    // official form has them.
    s.text(
        330.0,
        9.5,
        FontStyle::Bold,
        Rgb::BLACK,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    );
    s.y -= 14.0;
    s.text(
        360.0,
        9.5,
        FontStyle::Bold,
        Rgb::BLACK,
        "Độc lập - Tự do - Hạnh phúc",
    );
    s.y = top;
    if !f.committee.trim().is_empty() {
        for line in wrap(&f.committee.to_uppercase(), 230.0, 10.0) {
            s.text(MARGIN, 10.0, FontStyle::Bold, Rgb::BLACK, &line);
            s.y -= 14.0;
        }
    }
    s.y = s.y.min(top - 14.0) - 50.0;
    s.text(205.0, 17.0, FontStyle::Bold, Rgb::BLACK, "PHIẾU LẤY Ý KIẾN");
    s.y -= 16.0;
    s.text(
        190.0,
        9.0,
        FontStyle::Regular,
        GREY,
        "Opinion form — written consultation",
    );
    s.y -= 36.0;
    s.field("Cuộc họp (meeting):", &f.meeting, 3);
    s.field(
        "Nội dung xin ý kiến (question):",
        &f.question,
        MAX_QUESTION_LINES,
    );
    if let Some(deadline) = &f.deadline {
        s.field("Hạn trả lời (deadline):", deadline, 1);
    }
    s.field("Đại biểu (member):", &f.member, 2);
    s.text(
        MARGIN,
        SIZE,
        FontStyle::Bold,
        Rgb::BLACK,
        "Ý kiến của đại biểu (the member's opinion):",
    );
    s.y -= LINE + 6.0;
    for (i, option) in f.options.iter().enumerate() {
        let chosen = u32::try_from(i).is_ok_and(|i| i == f.choice);
        s.items.push(Item::Rect {
            x: MARGIN + 20.0,
            y: s.y - 2.0,
            w: 12.0,
            h: 12.0,
            fill: None,
            stroke: Some((Rgb::BLACK, 1.0)),
        });
        if chosen {
            s.text(MARGIN + 22.5, SIZE, FontStyle::Bold, Rgb::BLACK, "X");
        }
        let style = if chosen {
            FontStyle::Bold
        } else {
            FontStyle::Regular
        };
        for line in wrap(option, WIDTH - 50.0, SIZE) {
            s.text(MARGIN + 42.0, SIZE, style, Rgb::BLACK, &line);
            s.y -= LINE;
        }
        s.y -= 8.0;
    }
    s.y -= 14.0;
    s.text(
        MARGIN,
        SIZE,
        FontStyle::Regular,
        Rgb::BLACK,
        &format!("Ký lúc (signed at): {}", f.signed_at),
    );
    s.y -= LINE;
    s.text(
        MARGIN,
        9.0,
        FontStyle::Regular,
        GREY,
        &format!("Mã biểu quyết (motion): {}", f.motion_id),
    );
    s.y -= 30.0;
    for line in wrap(
        "Phiếu này được ký số bằng chứng thư số của đại biểu (thiết bị ký số) cùng với lá phiếu \
         biểu quyết; chữ ký số thay cho chữ ký tay. This form is signed with the member's \
         certificate together with the ballot.",
        WIDTH,
        9.0,
    ) {
        s.text(MARGIN, 9.0, FontStyle::Regular, GREY, &line);
        s.y -= 12.0;
    }
    let mut page = PageSpec::a4();
    page.items = s.items;
    vec![page]
}

/// Why a signed opinion form could not be written.
#[cfg(feature = "token")]
#[derive(Debug, thiserror::Error)]
pub enum SignedFormError {
    #[error(transparent)]
    Pdf(#[from] crate::PdfError),
    #[error(transparent)]
    Token(#[from] ecabinet_pades::token::TokenError),
}

/// The form `text` as a PDF signed whole with `token` (PAdES, as a document
/// is) at `now_ms`: what goes with a written consultation's ballot, from the
/// CLI's `vote` and from the app's vote dialog alike.
#[cfg(feature = "token")]
pub fn signed(
    engine: &crate::PdfEngine,
    token: &ecabinet_pades::token::Token,
    text: &OpinionFormText,
    now_ms: i64,
) -> Result<Vec<u8>, SignedFormError> {
    let pdf = engine.compose(Some(fonts()), pages(text))?;
    Ok(ecabinet_pades::token::sign_document(
        token,
        pdf,
        Some(SIGNING_REASON.to_owned()),
        now_ms / 1000,
    )?)
}
