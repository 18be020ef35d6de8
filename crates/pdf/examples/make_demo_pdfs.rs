//! Writes the Vietnamese demo board-pack PDFs to `assets/demo/` (the server's
//! `seed-demo` embeds them). Run from the checkout:
//! `cargo run -p ecabinet-pdf --example make_demo_pdfs [OUT_DIR]`.
//!
//! Text uses DejaVu Sans (Debian `fonts-dejavu-core`), embedded in each PDF
//! so every viewer shows the Vietnamese diacritics. PDFium embeds a font file
//! whole and uncompressed, so we embed Latin + Vietnamese subsets of the
//! Debian files kept in `assets/demo/fonts/` (how they are made:
//! `assets/demo/README.md`); the full fonts would make each PDF ~800 KB.

use std::path::PathBuf;

use anyhow::Context;
use ecabinet_pdf::compose::{FontStyle, Fonts, Item, PageSpec, Rgb};
use ecabinet_pdf::{EngineConfig, PdfEngine};

const FONT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo/fonts");
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 70.0;
const BODY: f32 = 11.0;
const NAVY: Rgb = Rgb(20, 40, 110);
const GREY: Rgb = Rgb(110, 110, 110);

/// DejaVu Sans advance widths, roughly, in ems: close enough to wrap lines.
fn text_width(text: &str, size: f32, style: FontStyle) -> f32 {
    let em: f32 =
        text.chars()
            .map(|c| match c {
                ' ' => 0.32,
                'i' | 'l' | 'j' | 'í' | 'ì' | 'ỉ' | 'ĩ' | 'ị' | '.' | ',' | ':' | ';' | '\''
                | '|' => 0.28,
                'm' | 'w' | 'M' | 'W' => 0.9,
                c if c.is_uppercase() => 0.7,
                c if c.is_ascii_digit() => 0.64,
                _ => 0.58,
            })
            .sum();
    let bold = if style == FontStyle::Bold { 1.1 } else { 1.0 };
    em * size * bold
}

struct Flow {
    pages: Vec<PageSpec>,
    cur: PageSpec,
    y: f32,
}

impl Flow {
    fn new() -> Self {
        Flow {
            pages: Vec::new(),
            cur: PageSpec::a4(),
            y: PAGE_H - MARGIN,
        }
    }

    fn need(&mut self, h: f32) {
        if self.y - h < MARGIN + 20.0 {
            self.page_break();
        }
    }

    fn page_break(&mut self) {
        let done = std::mem::replace(&mut self.cur, PageSpec::a4());
        self.pages.push(done);
        self.y = PAGE_H - MARGIN;
    }

    fn text(&mut self, x: f32, y: f32, size: f32, style: FontStyle, color: Rgb, text: &str) {
        self.cur.items.push(Item::Text {
            x,
            y,
            size,
            style,
            color,
            text: text.to_owned(),
        });
    }

    fn centered(&mut self, text: &str, size: f32, style: FontStyle) {
        self.need(size * 1.5);
        self.y -= size * 1.3;
        let x = (PAGE_W - text_width(text, size, style)) / 2.0;
        self.text(x.max(MARGIN / 2.0), self.y, size, style, Rgb::BLACK, text);
    }

    /// The two-column national header of a Vietnamese administrative document.
    fn letterhead(&mut self, agency: &str, number: &str, date: &str) {
        let top = self.y;
        let left_c = MARGIN + 90.0;
        let right_c = PAGE_W - MARGIN - 120.0;
        let put = |f: &mut Flow, cx: f32, y: f32, s: f32, st: FontStyle, t: &str| {
            let x = cx - text_width(t, s, st) / 2.0;
            f.text(x, y, s, st, Rgb::BLACK, t);
        };
        put(
            self,
            left_c,
            top - 12.0,
            10.0,
            FontStyle::Regular,
            "ỦY BAN NHÂN DÂN",
        );
        put(self, left_c, top - 25.0, 10.0, FontStyle::Bold, agency);
        put(self, left_c, top - 45.0, 10.0, FontStyle::Regular, number);
        put(
            self,
            right_c,
            top - 12.0,
            10.0,
            FontStyle::Bold,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        );
        put(
            self,
            right_c,
            top - 25.0,
            10.0,
            FontStyle::Bold,
            "Độc lập - Tự do - Hạnh phúc",
        );
        self.cur.items.push(Item::Line {
            x1: right_c - 70.0,
            y1: top - 29.0,
            x2: right_c + 70.0,
            y2: top - 29.0,
            color: Rgb::BLACK,
            width: 0.6,
        });
        put(self, right_c, top - 45.0, 10.0, FontStyle::Regular, date);
        self.y = top - 70.0;
    }

    fn heading(&mut self, text: &str) {
        self.need(40.0);
        self.y -= 22.0;
        self.text(MARGIN, self.y, 12.5, FontStyle::Bold, NAVY, text);
        self.y -= 4.0;
    }

    fn para(&mut self, text: &str) {
        self.wrapped(text, BODY, FontStyle::Regular, MARGIN + 18.0, MARGIN);
        self.y -= 5.0;
    }

    fn bullet(&mut self, text: &str) {
        self.need(BODY * 1.5);
        let y = self.y - BODY * 1.45;
        self.text(MARGIN + 14.0, y, BODY, FontStyle::Regular, Rgb::BLACK, "–");
        self.wrapped(text, BODY, FontStyle::Regular, MARGIN + 28.0, MARGIN + 28.0);
    }

    /// Wraps `text` to the text width; the first line starts at `first_x`.
    fn wrapped(&mut self, text: &str, size: f32, style: FontStyle, first_x: f32, x: f32) {
        let lead = size * 1.45;
        let mut line = String::new();
        let mut lx = first_x;
        for word in text.split_whitespace() {
            let trial = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && lx + text_width(&trial, size, style) > PAGE_W - MARGIN {
                self.need(lead);
                self.y -= lead;
                self.text(lx, self.y, size, style, Rgb::BLACK, &line);
                line = word.to_owned();
                lx = x;
            } else {
                line = trial;
            }
        }
        if !line.is_empty() {
            self.need(lead);
            self.y -= lead;
            self.text(lx, self.y, size, style, Rgb::BLACK, &line);
        }
    }

    /// A ruled table; `widths` are column widths in points, numbers right-aligned.
    fn table(&mut self, widths: &[f32], header: &[&str], rows: &[Vec<String>]) {
        let row_h = 20.0;
        let size = 9.5;
        // Keep a table on one page when it fits on one.
        let whole = row_h * (rows.len() + 1) as f32 + 8.0;
        if whole < PAGE_H - 2.0 * MARGIN - 40.0 {
            self.need(whole);
        }
        self.y -= 8.0;
        let all = std::iter::once(header.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .chain(rows.iter().cloned());
        for (r, cells) in all.enumerate() {
            self.need(row_h);
            let top = self.y;
            let bottom = top - row_h;
            let mut x = MARGIN;
            if r == 0 {
                self.cur.items.push(Item::Rect {
                    x: MARGIN,
                    y: bottom,
                    w: widths.iter().sum(),
                    h: row_h,
                    fill: Some(Rgb(220, 228, 245)),
                    stroke: None,
                });
            }
            for (c, w) in widths.iter().enumerate() {
                self.cur.items.push(Item::Rect {
                    x,
                    y: bottom,
                    w: *w,
                    h: row_h,
                    fill: None,
                    stroke: Some((Rgb::BLACK, 0.5)),
                });
                let cell = cells.get(c).map(String::as_str).unwrap_or("");
                let style = if r == 0 {
                    FontStyle::Bold
                } else {
                    FontStyle::Regular
                };
                let numeric =
                    r > 0 && cell.chars().next().is_some_and(|ch| ch.is_ascii_digit()) && c > 0;
                let tx = if numeric {
                    x + w - 5.0 - text_width(cell, size, style)
                } else {
                    x + 5.0
                };
                self.text(tx, bottom + 6.5, size, style, Rgb::BLACK, cell);
                x += w;
            }
            self.y = bottom;
        }
        self.y -= 10.0;
    }

    /// A vertical bar chart drawn with vector paths.
    fn bar_chart(&mut self, title: &str, unit: &str, bars: &[(&str, f32)]) {
        let h = 260.0;
        self.need(h + 40.0);
        self.y -= 18.0;
        let tw = text_width(title, 11.0, FontStyle::Bold);
        self.text(
            (PAGE_W - tw) / 2.0,
            self.y,
            11.0,
            FontStyle::Bold,
            NAVY,
            title,
        );
        let base = self.y - h + 10.0;
        let left = MARGIN + 40.0;
        let width = PAGE_W - MARGIN - left;
        let max = bars.iter().map(|b| b.1).fold(0.0_f32, f32::max) * 1.15;
        let plot_h = h - 70.0;
        for i in 0..=4 {
            let v = max * i as f32 / 4.0;
            let y = base + plot_h * i as f32 / 4.0;
            self.cur.items.push(Item::Line {
                x1: left,
                y1: y,
                x2: left + width,
                y2: y,
                color: Rgb(200, 200, 200),
                width: 0.4,
            });
            let label = format!("{v:.0}");
            self.text(
                left - 6.0 - text_width(&label, 8.0, FontStyle::Regular),
                y - 3.0,
                8.0,
                FontStyle::Regular,
                GREY,
                &label,
            );
        }
        let slot = width / bars.len() as f32;
        let palette = [
            Rgb(31, 119, 180),
            Rgb(255, 127, 14),
            Rgb(44, 160, 44),
            Rgb(214, 39, 40),
            Rgb(148, 103, 189),
            Rgb(140, 86, 75),
        ];
        for (i, (label, v)) in bars.iter().enumerate() {
            let bh = plot_h * v / max;
            let x = left + slot * i as f32 + slot * 0.2;
            self.cur.items.push(Item::Rect {
                x,
                y: base,
                w: slot * 0.6,
                h: bh,
                fill: Some(palette[i % palette.len()]),
                stroke: None,
            });
            let val = format!("{v}");
            self.text(
                x + slot * 0.3 - text_width(&val, 8.5, FontStyle::Bold) / 2.0,
                base + bh + 4.0,
                8.5,
                FontStyle::Bold,
                Rgb::BLACK,
                &val,
            );
            self.text(
                x + slot * 0.3 - text_width(label, 8.0, FontStyle::Regular) / 2.0,
                base - 14.0,
                8.0,
                FontStyle::Regular,
                Rgb::BLACK,
                label,
            );
        }
        self.cur.items.push(Item::Line {
            x1: left,
            y1: base,
            x2: left + width,
            y2: base,
            color: Rgb::BLACK,
            width: 0.8,
        });
        self.text(
            left,
            base + plot_h + 12.0,
            8.0,
            FontStyle::Regular,
            GREY,
            unit,
        );
        self.y = base - 30.0;
    }

    fn signature(&mut self, role: &str, name: &str) {
        self.need(110.0);
        self.y -= 30.0;
        let cx = PAGE_W - MARGIN - 100.0;
        for (dy, size, style, t) in [
            (0.0, 10.5, FontStyle::Bold, role),
            (15.0, 9.5, FontStyle::Regular, "(Đã ký)"),
            (75.0, 10.5, FontStyle::Bold, name),
        ] {
            let w = text_width(t, size, style);
            self.text(cx - w / 2.0, self.y - dy, size, style, Rgb::BLACK, t);
        }
        self.y -= 90.0;
    }

    /// Finishes the document: page numbers in the footer.
    fn finish(mut self, footer: &str) -> Vec<PageSpec> {
        self.pages.push(self.cur);
        let n = self.pages.len();
        for (i, p) in self.pages.iter_mut().enumerate() {
            let t = format!("{footer} — Trang {}/{n}", i + 1);
            let w = text_width(&t, 8.0, FontStyle::Regular);
            p.items.push(Item::Text {
                x: (PAGE_W - w) / 2.0,
                y: 36.0,
                size: 8.0,
                style: FontStyle::Regular,
                color: GREY,
                text: t,
            });
        }
        self.pages
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

fn to_trinh_dau_tu_cong() -> Vec<PageSpec> {
    let mut f = Flow::new();
    f.letterhead(
        "TỈNH AN PHÚ",
        "Số: 215/TTr-UBND",
        "An Phú, ngày 12 tháng 11 năm 2026",
    );
    f.centered("TỜ TRÌNH", 15.0, FontStyle::Bold);
    f.centered(
        "Về việc phê duyệt kế hoạch đầu tư công năm 2027",
        12.0,
        FontStyle::Bold,
    );
    f.y -= 10.0;
    f.para("Kính gửi: Hội đồng nhân dân tỉnh An Phú.");
    f.para("Căn cứ Luật Đầu tư công ngày 29 tháng 11 năm 2024; căn cứ Nghị quyết của Hội đồng nhân dân tỉnh về nguyên tắc, tiêu chí và định mức phân bổ vốn đầu tư công nguồn ngân sách địa phương giai đoạn 2026 - 2030; căn cứ dự toán thu, chi ngân sách nhà nước năm 2027 đã được Chính phủ giao, Ủy ban nhân dân tỉnh kính trình Hội đồng nhân dân tỉnh xem xét, quyết định kế hoạch đầu tư công năm 2027 như sau.");
    f.heading("I. ĐÁNH GIÁ TÌNH HÌNH THỰC HIỆN KẾ HOẠCH NĂM 2026");
    f.para("Tổng kế hoạch vốn đầu tư công năm 2026 của tỉnh là 6.842 tỷ đồng. Ước giải ngân đến ngày 31 tháng 01 năm 2027 đạt 5.917 tỷ đồng, bằng 86,5% kế hoạch, cao hơn mức bình quân cả nước. Các dự án trọng điểm về giao thông kết nối vùng, hạ tầng thủy lợi ứng phó biến đổi khí hậu và trường học được triển khai đúng tiến độ.");
    f.para("Bên cạnh kết quả đạt được, công tác giải phóng mặt bằng tại một số dự án còn chậm; một số chủ đầu tư chưa chủ động trong lập, thẩm định hồ sơ; giá vật liệu xây dựng biến động làm phát sinh điều chỉnh tổng mức đầu tư.");
    f.heading("II. NGUYÊN TẮC XÂY DỰNG KẾ HOẠCH NĂM 2027");
    f.bullet("Ưu tiên bố trí vốn thanh toán nợ đọng xây dựng cơ bản, vốn đối ứng các dự án ODA và dự án chuyển tiếp hoàn thành trong năm 2027.");
    f.bullet("Tập trung cho các dự án có tính liên kết vùng, tạo động lực tăng trưởng; không dàn trải, manh mún.");
    f.bullet("Dự án khởi công mới phải có đầy đủ thủ tục đầu tư theo quy định và khả năng giải ngân ngay trong năm.");
    f.bullet("Dành tối thiểu 10% tổng vốn ngân sách địa phương cho lĩnh vực khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số.");
    f.heading("III. DỰ KIẾN KẾ HOẠCH ĐẦU TƯ CÔNG NĂM 2027");
    f.para("Tổng kế hoạch vốn đầu tư công năm 2027 dự kiến là 7.350 tỷ đồng, tăng 7,4% so với năm 2026, trong đó vốn ngân sách địa phương 4.920 tỷ đồng và vốn ngân sách trung ương 2.430 tỷ đồng. Danh mục các dự án trọng điểm như sau:");
    let w = [30.0, 215.0, 105.0, 105.0];
    f.table(
        &w,
        &["TT", "Dự án", "Tổng mức (tỷ đ)", "Vốn 2027 (tỷ đ)"],
        &[
            row(&["1", "Đường ven biển đoạn Tân Hòa - Phú Lợi", "2.480", "620"]),
            row(&["2", "Hồ chứa nước Suối Đá", "1.150", "310"]),
            row(&["3", "Bệnh viện đa khoa tỉnh (giai đoạn 2)", "960", "280"]),
            row(&["4", "Trường THPT chuyên An Phú", "420", "150"]),
            row(&["5", "Trung tâm dữ liệu tỉnh", "380", "165"]),
            row(&["6", "Kè chống sạt lở sông Cái", "310", "120"]),
            row(&["7", "Nâng cấp tỉnh lộ 7B", "275", "95"]),
            row(&["", "Cộng các dự án trọng điểm", "5.975", "1.740"]),
        ],
    );
    f.heading("IV. CƠ CẤU VỐN THEO LĨNH VỰC");
    f.para("Cơ cấu phân bổ vốn năm 2027 theo lĩnh vực được thể hiện tại biểu đồ dưới đây. Giao thông vẫn chiếm tỷ trọng lớn nhất; lĩnh vực khoa học, công nghệ và chuyển đổi số tăng mạnh so với năm trước.");
    f.bar_chart(
        "Biểu đồ: Vốn đầu tư công năm 2027 theo lĩnh vực",
        "tỷ đồng",
        &[
            ("Giao thông", 2650.0),
            ("Thủy lợi", 1320.0),
            ("Y tế", 910.0),
            ("Giáo dục", 860.0),
            ("KH&CN, CĐS", 780.0),
            ("Khác", 830.0),
        ],
    );
    f.heading("V. GIẢI PHÁP TỔ CHỨC THỰC HIỆN");
    f.para("Giao các sở, ngành, Ủy ban nhân dân cấp huyện và chủ đầu tư khẩn trương hoàn thiện thủ tục, tổ chức lựa chọn nhà thầu, đẩy nhanh giải phóng mặt bằng; định kỳ hằng tháng báo cáo tiến độ giải ngân. Người đứng đầu chịu trách nhiệm trước Ủy ban nhân dân tỉnh nếu để chậm giải ngân kéo dài.");
    f.para("Sở Tài chính chủ trì theo dõi, đánh giá, kịp thời đề xuất điều chuyển vốn từ dự án chậm giải ngân sang dự án có khả năng giải ngân tốt hơn theo quy định.");
    f.para("Ủy ban nhân dân tỉnh kính trình Hội đồng nhân dân tỉnh xem xét, quyết định.");
    f.signature("TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH", "Nguyễn Văn Định");
    f.finish("Tờ trình số 215/TTr-UBND")
}

fn du_thao_nghi_quyet() -> Vec<PageSpec> {
    let mut f = Flow::new();
    f.letterhead(
        "HỘI ĐỒNG NHÂN DÂN TỈNH",
        "Số:    /2026/NQ-HĐND",
        "An Phú, ngày    tháng 12 năm 2026",
    );
    f.centered("DỰ THẢO", 10.0, FontStyle::Bold);
    f.centered("NGHỊ QUYẾT", 15.0, FontStyle::Bold);
    f.centered(
        "Về chương trình chuyển đổi số tỉnh An Phú giai đoạn 2026 - 2030",
        12.0,
        FontStyle::Bold,
    );
    f.centered(
        "HỘI ĐỒNG NHÂN DÂN TỈNH AN PHÚ, KHÓA XI, KỲ HỌP THỨ 14",
        10.5,
        FontStyle::Bold,
    );
    f.y -= 8.0;
    f.para("Căn cứ Luật Tổ chức chính quyền địa phương; căn cứ Luật Giao dịch điện tử; căn cứ Luật Dữ liệu; xét Tờ trình của Ủy ban nhân dân tỉnh, báo cáo thẩm tra của Ban Kinh tế - Ngân sách và ý kiến thảo luận của đại biểu Hội đồng nhân dân tỉnh tại kỳ họp,");
    f.centered("QUYẾT NGHỊ:", 12.0, FontStyle::Bold);
    let dieu = [
        ("Điều 1. Mục tiêu", "Đến năm 2030, 100% thủ tục hành chính đủ điều kiện được cung cấp dưới dạng dịch vụ công trực tuyến toàn trình; 90% hồ sơ công việc tại cấp tỉnh, 80% tại cấp huyện và 60% tại cấp xã được xử lý trên môi trường mạng; kinh tế số chiếm tối thiểu 25% GRDP của tỉnh; 100% cuộc họp của Ủy ban nhân dân các cấp được tổ chức theo hình thức không giấy tờ."),
        ("Điều 2. Nhiệm vụ trọng tâm", "Hoàn thiện hạ tầng số và Trung tâm dữ liệu tỉnh; xây dựng nền tảng tích hợp, chia sẻ dữ liệu; số hóa hồ sơ, kết quả giải quyết thủ tục hành chính; phát triển nguồn nhân lực số; bảo đảm an toàn, an ninh mạng theo mô hình bốn lớp; thúc đẩy doanh nghiệp, hợp tác xã ứng dụng công nghệ số trong sản xuất, kinh doanh."),
        ("Điều 3. Kinh phí thực hiện", "Tổng kinh phí dự kiến 1.860 tỷ đồng, trong đó ngân sách tỉnh 1.240 tỷ đồng, ngân sách huyện 310 tỷ đồng và nguồn xã hội hóa 310 tỷ đồng. Kinh phí được bố trí trong kế hoạch đầu tư công trung hạn và dự toán chi thường xuyên hằng năm."),
        ("Điều 4. Tổ chức thực hiện", "Giao Ủy ban nhân dân tỉnh tổ chức thực hiện Nghị quyết; hằng năm báo cáo kết quả tại kỳ họp cuối năm. Giao Thường trực Hội đồng nhân dân, các Ban, các Tổ đại biểu và đại biểu Hội đồng nhân dân tỉnh giám sát việc thực hiện Nghị quyết."),
        ("Điều 5. Hiệu lực thi hành", "Nghị quyết này đã được Hội đồng nhân dân tỉnh An Phú khóa XI, kỳ họp thứ 14 thông qua và có hiệu lực từ ngày 01 tháng 01 năm 2027."),
    ];
    for (title, body) in dieu {
        f.heading(title);
        f.para(body);
        f.para("Các cơ quan, đơn vị liên quan có trách nhiệm phối hợp chặt chẽ, bảo đảm tiến độ và hiệu quả; định kỳ sáu tháng đánh giá, rút kinh nghiệm và đề xuất điều chỉnh khi cần thiết.");
    }
    f.heading("Phụ lục: Chỉ tiêu chủ yếu theo năm");
    f.table(
        &[185.0, 54.0, 54.0, 54.0, 54.0, 54.0],
        &["Chỉ tiêu", "2026", "2027", "2028", "2029", "2030"],
        &[
            row(&["Dịch vụ công toàn trình (%)", "60", "70", "80", "90", "100"]),
            row(&["Hồ sơ xử lý trên mạng (%)", "55", "65", "75", "85", "90"]),
            row(&["Kinh tế số / GRDP (%)", "12", "15", "18", "21", "25"]),
            row(&["Họp không giấy (%)", "70", "85", "95", "100", "100"]),
        ],
    );
    f.heading("Phụ lục II: Kinh phí theo nhóm nhiệm vụ");
    f.para("Kinh phí được phân bổ cho sáu nhóm nhiệm vụ; hạ tầng số và dữ liệu chiếm tỷ trọng lớn nhất, tiếp theo là dịch vụ công trực tuyến và an toàn thông tin.");
    f.bar_chart(
        "Biểu đồ: Kinh phí chương trình theo nhóm nhiệm vụ (tỷ đồng)",
        "tỷ đồng",
        &[
            ("Hạ tầng số", 540.0),
            ("Dữ liệu", 410.0),
            ("Dịch vụ công", 330.0),
            ("An toàn TT", 250.0),
            ("Nhân lực số", 180.0),
            ("Kinh tế số", 150.0),
        ],
    );
    f.table(
        &[30.0, 245.0, 90.0, 90.0],
        &["TT", "Nhiệm vụ, dự án", "Kinh phí (tỷ đ)", "Thời gian"],
        &[
            row(&["1", "Nâng cấp Trung tâm dữ liệu tỉnh", "380", "2026-2028"]),
            row(&[
                "2",
                "Nền tảng tích hợp, chia sẻ dữ liệu",
                "160",
                "2026-2027",
            ]),
            row(&["3", "Số hóa hồ sơ thủ tục hành chính", "120", "2026-2030"]),
            row(&[
                "4",
                "Hệ thống phòng họp không giấy các cấp",
                "95",
                "2026-2027",
            ]),
            row(&[
                "5",
                "Trung tâm giám sát an toàn thông tin",
                "140",
                "2027-2029",
            ]),
        ],
    );
    f.signature("CHỦ TỊCH", "Trần Thị Quyết");
    f.finish("Dự thảo Nghị quyết chuyển đổi số 2026 - 2030")
}

fn bao_cao_kinh_te_xa_hoi() -> Vec<PageSpec> {
    let mut f = Flow::new();
    f.letterhead(
        "TỈNH AN PHÚ",
        "Số: 388/BC-UBND",
        "An Phú, ngày 05 tháng 10 năm 2026",
    );
    f.centered("BÁO CÁO", 15.0, FontStyle::Bold);
    f.centered(
        "Tình hình kinh tế - xã hội 9 tháng năm 2026,",
        12.0,
        FontStyle::Bold,
    );
    f.centered(
        "nhiệm vụ, giải pháp 3 tháng cuối năm",
        12.0,
        FontStyle::Bold,
    );
    f.y -= 8.0;
    f.heading("I. TÌNH HÌNH KINH TẾ");
    f.para("Tổng sản phẩm trên địa bàn (GRDP) 9 tháng năm 2026 ước tăng 7,8% so với cùng kỳ, trong đó khu vực nông, lâm nghiệp và thủy sản tăng 3,1%; khu vực công nghiệp và xây dựng tăng 10,6%; khu vực dịch vụ tăng 7,2%. Quy mô kinh tế tiếp tục được mở rộng, cơ cấu chuyển dịch theo hướng tích cực.");
    f.para("Sản xuất nông nghiệp ổn định; diện tích lúa đông xuân đạt 98,5% kế hoạch, năng suất bình quân 6,9 tấn/ha. Chăn nuôi phục hồi, dịch bệnh được kiểm soát. Sản lượng thủy sản ước đạt 182 nghìn tấn, tăng 4,2%.");
    f.para("Chỉ số sản xuất công nghiệp tăng 11,4%; một số sản phẩm chủ lực tăng khá như điện tử, may mặc, chế biến thực phẩm. Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng đạt 96.300 tỷ đồng, tăng 9,8%. Lượng khách du lịch đạt 5,2 triệu lượt, tăng 12%.");
    f.table(
        &[215.0, 80.0, 80.0, 80.0],
        &["Chỉ tiêu", "Kế hoạch", "9 tháng", "Tỷ lệ (%)"],
        &[
            row(&["Thu ngân sách (tỷ đồng)", "21.500", "16.870", "78,5"]),
            row(&["Vốn đầu tư toàn xã hội (tỷ đ)", "64.000", "47.200", "73,8"]),
            row(&["Kim ngạch xuất khẩu (triệu USD)", "3.600", "2.790", "77,5"]),
            row(&["Doanh nghiệp thành lập mới", "1.900", "1.512", "79,6"]),
            row(&["Giải ngân đầu tư công (tỷ đ)", "6.842", "4.650", "68,0"]),
        ],
    );
    f.heading("II. VĂN HÓA - XÃ HỘI");
    f.para("Công tác an sinh xã hội được bảo đảm; đã hỗ trợ 12.400 hộ nghèo, hộ cận nghèo; giải quyết việc làm cho 21.600 lao động, đạt 83% kế hoạch. Kỳ thi tốt nghiệp trung học phổ thông diễn ra an toàn, tỷ lệ tốt nghiệp đạt 99,1%. Hệ thống y tế cơ sở được củng cố, tỷ lệ người dân tham gia bảo hiểm y tế đạt 94,6%.");
    f.page_break();
    f.heading("III. TĂNG TRƯỞNG THEO QUÝ");
    f.para("Tốc độ tăng GRDP theo quý cho thấy đà phục hồi rõ nét, quý sau cao hơn quý trước; dự báo quý IV tiếp tục tăng nhờ mùa cao điểm du lịch và tiến độ giải ngân đầu tư công.");
    f.bar_chart(
        "Biểu đồ: Tốc độ tăng GRDP theo quý năm 2026 (%)",
        "%",
        &[
            ("Quý I", 6.9),
            ("Quý II", 7.6),
            ("Quý III", 8.8),
            ("Quý IV (ước)", 9.2),
        ],
    );
    f.heading("IV. QUỐC PHÒNG, AN NINH VÀ CẢI CÁCH HÀNH CHÍNH");
    f.para("Tình hình an ninh chính trị, trật tự an toàn xã hội được giữ vững. Chỉ số cải cách hành chính và chỉ số hài lòng của người dân đối với sự phục vụ của cơ quan hành chính nhà nước tiếp tục cải thiện; 100% phiên họp thường kỳ của Ủy ban nhân dân tỉnh sử dụng hệ thống phòng họp không giấy.");
    f.heading("V. NHIỆM VỤ, GIẢI PHÁP 3 THÁNG CUỐI NĂM");
    f.bullet("Tập trung tháo gỡ khó khăn cho sản xuất, kinh doanh; đẩy mạnh xúc tiến thương mại, mở rộng thị trường xuất khẩu.");
    f.bullet("Quyết liệt đẩy nhanh giải ngân vốn đầu tư công, phấn đấu đạt trên 95% kế hoạch.");
    f.bullet("Tăng cường thu ngân sách, chống thất thu; thực hành tiết kiệm, chống lãng phí.");
    f.bullet(
        "Chuẩn bị tốt các điều kiện phục vụ nhân dân đón Tết Nguyên đán, bảo đảm an sinh xã hội.",
    );
    f.signature("TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH", "Nguyễn Văn Định");
    f.finish("Báo cáo số 388/BC-UBND")
}

fn chuong_trinh_phien_hop() -> Vec<PageSpec> {
    let mut f = Flow::new();
    f.letterhead(
        "TỈNH AN PHÚ",
        "Số: 52/CTr-UBND",
        "An Phú, ngày 20 tháng 11 năm 2026",
    );
    f.centered("CHƯƠNG TRÌNH", 15.0, FontStyle::Bold);
    f.centered(
        "Phiên họp thường kỳ tháng 11 năm 2026 của Ủy ban nhân dân tỉnh",
        12.0,
        FontStyle::Bold,
    );
    f.y -= 8.0;
    f.para("Thời gian: 08 giờ 00, thứ Năm, ngày 26 tháng 11 năm 2026. Địa điểm: Phòng họp số 1, trụ sở Ủy ban nhân dân tỉnh (phòng họp không giấy). Chủ trì: đồng chí Chủ tịch Ủy ban nhân dân tỉnh.");
    f.table(
        &[70.0, 265.0, 120.0],
        &["Thời gian", "Nội dung", "Cơ quan trình bày"],
        &[
            row(&[
                "08:00",
                "Khai mạc, thông qua chương trình",
                "Văn phòng UBND",
            ]),
            row(&[
                "08:15",
                "Tờ trình kế hoạch đầu tư công năm 2027",
                "Sở Tài chính",
            ]),
            row(&["09:15", "Dự thảo Nghị quyết chuyển đổi số", "Sở KH&CN"]),
            row(&["10:15", "Nghỉ giải lao", ""]),
            row(&["10:30", "Báo cáo kinh tế - xã hội 9 tháng", "Sở Tài chính"]),
            row(&["11:15", "Biểu quyết các nội dung", "Các thành viên"]),
            row(&["11:45", "Kết luận của Chủ tịch", "Chủ tọa"]),
        ],
    );
    f.heading("Yêu cầu đối với thành viên dự họp");
    f.bullet("Nghiên cứu trước tài liệu trên hệ thống E-Cabinet; ghi chú, đánh dấu trực tiếp trên tài liệu.");
    f.bullet("Đăng ký phát biểu và biểu quyết trên máy tính bảng; không sử dụng tài liệu giấy.");
    f.bullet("Tài liệu mật chỉ được xem tại phòng họp, không sao chép ra ngoài hệ thống.");
    f.page_break();
    f.heading("Danh sách thành viên dự họp");
    f.table(
        &[30.0, 200.0, 225.0],
        &["TT", "Họ và tên", "Chức vụ"],
        &[
            row(&["1", "Nguyễn Văn Định", "Chủ tịch UBND tỉnh"]),
            row(&["2", "Lê Thị Hồng Nhung", "Phó Chủ tịch Thường trực"]),
            row(&["3", "Phạm Quốc Tuấn", "Phó Chủ tịch"]),
            row(&["4", "Đặng Minh Châu", "Giám đốc Sở Tài chính"]),
            row(&["5", "Vũ Thị Ánh Tuyết", "Giám đốc Sở KH&CN"]),
            row(&["6", "Hoàng Đức Thắng", "Chánh Văn phòng UBND"]),
            row(&["7", "Bùi Thanh Hương", "Giám đốc Sở Nội vụ"]),
        ],
    );
    f.heading("Nội dung xin ý kiến biểu quyết");
    f.bullet("Thông qua Tờ trình số 215/TTr-UBND về kế hoạch đầu tư công năm 2027 để trình Hội đồng nhân dân tỉnh tại kỳ họp cuối năm.");
    f.bullet("Thông qua dự thảo Nghị quyết về chương trình chuyển đổi số giai đoạn 2026 - 2030.");
    f.bullet("Thống nhất nội dung Báo cáo tình hình kinh tế - xã hội 9 tháng năm 2026 và nhiệm vụ, giải pháp 3 tháng cuối năm.");
    f.page_break();
    f.heading("Hướng dẫn sử dụng phòng họp không giấy");
    f.para("Mỗi thành viên đăng nhập hệ thống E-Cabinet bằng tài khoản được cấp. Tài liệu phiên họp được tải về máy tính bảng và lưu trữ mã hóa; có thể đọc ngoại tuyến khi mạng không ổn định. Ghi chú, đánh dấu của thành viên là riêng tư và chỉ đồng bộ giữa các thiết bị của chính thành viên đó.");
    f.para("Khi Chủ tọa mở biểu quyết, màn hình hiển thị các lựa chọn Đồng ý, Không đồng ý, Không biểu quyết. Kết quả được tổng hợp tự động và công bố ngay sau khi Chủ tọa đóng biểu quyết.");
    f.table(
        &[140.0, 315.0],
        &["Thao tác", "Cách thực hiện"],
        &[
            row(&[
                "Mở tài liệu",
                "Chọn phiên họp, chọn tài liệu trong danh sách",
            ]),
            row(&["Tìm kiếm", "Gõ từ khóa, có thể gõ không dấu"]),
            row(&["Đánh dấu", "Chọn đoạn văn bản, chọn Tô sáng hoặc Gạch chân"]),
            row(&["Ghi chú", "Chạm giữ tại vị trí cần ghi chú, nhập nội dung"]),
            row(&["Xuất tài liệu", "Chọn Xuất kèm ghi chú của tôi"]),
        ],
    );
    f.signature("TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG", "Hoàng Đức Thắng");
    f.finish("Chương trình phiên họp tháng 11/2026")
}

fn main() -> anyhow::Result<()> {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo"))
        });
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let read = |name: &str| {
        std::fs::read(format!("{FONT_DIR}/{name}"))
            .with_context(|| format!("{FONT_DIR}/{name} (see assets/demo/README.md)"))
    };
    let fonts = Fonts {
        regular: read("DejaVuSans-vi.ttf")?,
        bold: Some(read("DejaVuSans-Bold-vi.ttf")?),
    };
    let engine = PdfEngine::start(EngineConfig::default())?;
    let docs = [
        ("to-trinh-dau-tu-cong-2027.pdf", to_trinh_dau_tu_cong()),
        ("du-thao-nghi-quyet-chuyen-doi-so.pdf", du_thao_nghi_quyet()),
        (
            "bao-cao-kinh-te-xa-hoi-9-thang-2026.pdf",
            bao_cao_kinh_te_xa_hoi(),
        ),
        (
            "chuong-trinh-phien-hop-thang-11.pdf",
            chuong_trinh_phien_hop(),
        ),
    ];
    for (name, pages) in docs {
        let n = pages.len();
        let bytes = engine.compose(Some(fonts.clone()), pages)?;
        let path = out.join(name);
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        println!("{}: {n} pages, {} KB", path.display(), bytes.len() / 1024);
    }
    Ok(())
}
