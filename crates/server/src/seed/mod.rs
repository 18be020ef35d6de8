//! `seed-demo`: a realistic Vietnamese demo committee — a chair, a secretary,
//! eight members and an admin; two meetings with nested agendas and published
//! multi-page PDFs (the PDF crate's `assets/demo/*.pdf`, embedded, plus two
//! drafts from [`pdf`]; one draft superseded by a second version); one live
//! motion open in session and one written consultation open until next week.

pub mod pdf;

use ecabinet_protocol::{
    CreateAgendaItemRequest, CreateMeetingRequest, CreateMotionRequest, CreateUserRequest,
    MajorityRule, MeetingStatus, MotionKind, MotionMode, WireRole,
};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;

use crate::auth::hash_password;
use crate::routes::{accounts, chair, documents, meetings};
use crate::{AppError, AppState};
use pdf::{write_pdf, Page};

pub const DEMO_COMMITTEE: &str = "UBND tỉnh Thái Bình";

#[derive(Debug, Clone, Serialize)]
pub struct SeededAccount {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub user_id: String,
    /// `admin`, `chair`, `secretary` or `member`.
    pub role: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeededMeeting {
    pub id: String,
    pub title: String,
    pub status: MeetingStatus,
}

/// What `seed-demo` prints.
#[derive(Debug, Clone, Serialize)]
pub struct SeedSummary {
    pub committee_id: String,
    pub committee_name: String,
    pub server_signing_key: String,
    pub accounts: Vec<SeededAccount>,
    pub meetings: Vec<SeededMeeting>,
    pub live_motion_id: String,
    pub written_consultation_id: String,
}

fn random_password() -> Result<String, AppError> {
    // No look-alike characters: these are read off a screen and typed.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";
    let mut raw = [0u8; 14];
    SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| AppError::internal("system random failed"))?;
    Ok(raw
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

const PEOPLE: &[(&str, &str, &str)] = &[
    ("admin", "Quản trị hệ thống", "admin"),
    ("nv.hung", "Nguyễn Văn Hùng", "chair"),
    ("tt.mai", "Trần Thị Mai", "secretary"),
    ("lm.tuan", "Lê Minh Tuấn", "member"),
    ("pt.huong", "Phạm Thị Hương", "member"),
    ("hv.nam", "Hoàng Văn Nam", "member"),
    ("vt.lan", "Vũ Thị Lan", "member"),
    ("dq.bao", "Đặng Quốc Bảo", "member"),
    ("bt.thu", "Bùi Thị Thu", "member"),
    ("dv.long", "Đỗ Văn Long", "member"),
    ("nt.hanh", "Ngô Thị Hạnh", "member"),
];

fn pages(topic: &str, sections: &[&str]) -> Vec<Page> {
    sections
        .iter()
        .enumerate()
        .map(|(i, s)| Page {
            heading: format!("{}. {s}", i + 1),
            paragraphs: vec![
                format!("Thực hiện chương trình công tác năm 2026 của Ủy ban nhân dân tỉnh, nội dung \"{topic}\" được trình bày tại phần này để các thành viên nghiên cứu trước phiên họp."),
                "Trong kỳ, các sở, ban, ngành và Ủy ban nhân dân các huyện, thành phố đã tập trung triển khai đồng bộ các nhiệm vụ, giải pháp; tổng sản phẩm trên địa bàn ước tăng 7,8% so với cùng kỳ; thu ngân sách nhà nước đạt 92% dự toán năm.".into(),
                "Đề nghị các thành viên Ủy ban cho ý kiến về các tồn tại, hạn chế và giải pháp trọng tâm trong thời gian tới, đặc biệt là tiến độ giải ngân vốn đầu tư công và cải cách thủ tục hành chính.".into(),
                format!("Phụ lục {}: số liệu chi tiết kèm theo được tổng hợp từ báo cáo của Sở Kế hoạch và Đầu tư, Sở Tài chính và Cục Thống kê tỉnh.", i + 1),
            ],
        })
        .collect()
}

/// Creates the demo committee on `state` and returns the accounts and their passwords.
pub async fn seed_demo(state: &AppState) -> Result<SeedSummary, AppError> {
    let exists = state
        .db
        .read(|conn| {
            Ok::<_, AppError>(
                !conn
                    .query(
                        "SELECT id FROM committees WHERE name = ?",
                        crate::params![DEMO_COMMITTEE],
                    )?
                    .is_empty(),
            )
        })
        .await?;
    if exists {
        return Err(AppError::conflict(
            "the demo committee already exists in this database",
        ));
    }

    let mut accounts_out = Vec::new();
    let mut prepared = Vec::new();
    for &(username, name, role) in PEOPLE {
        let password = random_password()?;
        let pw = password.clone();
        let phc = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| AppError::internal(e.to_string()))??;
        prepared.push((username, name, role, password, phc));
    }

    // The board pack: the PDF crate's Vietnamese demo documents (fonts with
    // diacritics embedded), plus two drafts from our own small writer.
    let docs: Vec<(&str, Vec<u8>)> = vec![
        (
            "chuong-trinh",
            include_bytes!("../../../../assets/demo/chuong-trinh-phien-hop-thang-11.pdf").to_vec(),
        ),
        (
            "bc-ktxh",
            include_bytes!("../../../../assets/demo/bao-cao-kinh-te-xa-hoi-9-thang-2026.pdf")
                .to_vec(),
        ),
        (
            "tt-dtc-v1",
            write_pdf(
                "Tờ trình về kế hoạch đầu tư công năm 2027 (dự thảo lần 1)",
                &pages(
                    "Kế hoạch đầu tư công",
                    &["Sự cần thiết", "Nguyên tắc phân bổ", "Danh mục dự án"],
                ),
            ),
        ),
        (
            "tt-dtc-v2",
            include_bytes!("../../../../assets/demo/to-trinh-dau-tu-cong-2027.pdf").to_vec(),
        ),
        (
            "nq-cds",
            include_bytes!("../../../../assets/demo/du-thao-nghi-quyet-chuyen-doi-so.pdf").to_vec(),
        ),
        (
            "dt-cds",
            write_pdf(
                "Dự toán kinh phí thực hiện chương trình chuyển đổi số",
                &pages(
                    "Dự toán kinh phí",
                    &["Căn cứ lập dự toán", "Tổng hợp kinh phí"],
                ),
            ),
        ),
    ];
    let mut stored = std::collections::HashMap::new();
    for (key, bytes) in docs {
        let size = bytes.len() as u64;
        let sha = crate::blobs::put_bytes(state.blobs.as_ref(), &bytes).await?;
        stored.insert(key, (sha, size));
    }

    let now = state.now();
    let day = 24 * 3600 * 1000;
    let st = state.clone();
    state
        .db
        .write(move |tx| {
            let committee = accounts::insert_committee_with(tx, DEMO_COMMITTEE, true, now)?;
            let mut ids = std::collections::HashMap::new();
            for (username, name, role, password, phc) in prepared {
                let req = CreateUserRequest {
                    username: username.to_owned(),
                    display_name: name.to_owned(),
                    password: String::new(),
                    is_admin: role == "admin",
                };
                let user = accounts::insert_user(tx.conn, &req, &phc, now)?;
                if let Some(r) = WireRole::parse(role) {
                    accounts::upsert_membership(tx, &committee.id, &user.id, r, now)?;
                }
                ids.insert(username, user.id.clone());
                accounts_out.push(SeededAccount {
                    username: username.to_owned(),
                    password,
                    display_name: name.to_owned(),
                    user_id: user.id,
                    role: role.to_owned(),
                });
            }
            let item = |tx: &mut crate::db::Tx<'_>,
                        m: &ecabinet_protocol::MeetingBody,
                        title: &str,
                        parent: Option<&str>| {
                meetings::insert_item(
                    tx,
                    m,
                    &CreateAgendaItemRequest {
                        title: title.to_owned(),
                        parent_id: parent.map(str::to_owned),
                        position: None,
                        // The demo plans its main items, as a secretary would.
                        planned_minutes: parent.is_none().then_some(20),
                        speaking_limit_ms: None,
                    },
                    now,
                )
            };
            let version = |tx: &mut crate::db::Tx<'_>,
                           m: &ecabinet_protocol::MeetingBody,
                           doc: &str,
                           key: &str| {
                let (sha, size) = stored
                    .get(key)
                    .cloned()
                    .ok_or_else(|| AppError::internal("demo pdf"))?;
                crate::versions::insert_version(
                    tx,
                    m,
                    doc,
                    crate::versions::NewVersion {
                        sha256: &sha,
                        size,
                        signature_check: None,
                        page_count: None,
                    },
                    now,
                    false,
                )
            };

            // Meeting 1: in session, live motion open.
            let m1 = meetings::insert_meeting(
                tx,
                &committee.id,
                &CreateMeetingRequest {
                    title: "Phiên họp thường kỳ tháng 11 năm 2026".into(),
                    location: "Phòng họp số 1, trụ sở UBND tỉnh".into(),
                    starts_at: now + 3600 * 1000,
                },
                now,
            )?;
            let a0 = item(tx, &m1, "Khai mạc phiên họp, thông qua chương trình", None)?;
            let a1 = item(tx, &m1, "Báo cáo tình hình kinh tế - xã hội 9 tháng năm 2026", None)?;
            let a11 = item(tx, &m1, "Báo cáo của Sở Kế hoạch và Đầu tư", Some(&a1.id))?;
            item(tx, &m1, "Ý kiến thảo luận của các thành viên", Some(&a1.id))?;
            let a2 = item(tx, &m1, "Tờ trình phê duyệt kế hoạch đầu tư công năm 2027", None)?;
            let a21 = item(tx, &m1, "Tờ trình của Sở Tài chính", Some(&a2.id))?;
            item(tx, &m1, "Các vấn đề khác", None)?;
            let d0 = documents::insert_document(tx, &m1, &a0.id, "Chương trình phiên họp tháng 11/2026", now)?;
            version(tx, &m1, &d0.id, "chuong-trinh")?;
            let d1 = documents::insert_document(tx, &m1, &a11.id, "Báo cáo kinh tế - xã hội 9 tháng năm 2026", now)?;
            version(tx, &m1, &d1.id, "bc-ktxh")?;
            let d2 = documents::insert_document(tx, &m1, &a21.id, "Tờ trình kế hoạch đầu tư công năm 2027", now)?;
            version(tx, &m1, &d2.id, "tt-dtc-v1")?;
            let m1p = documents::publish_meeting(tx, &st.signer, m1, now)?.meeting;
            // The final text supersedes the first draft, published again.
            version(tx, &m1p, &d2.id, "tt-dtc-v2")?;
            let m1p = documents::publish_meeting(tx, &st.signer, m1p, now)?.meeting;
            let live = chair::insert_motion(
                tx,
                &m1p,
                &a2.id,
                &CreateMotionRequest {
                    question: "Thông qua Tờ trình phê duyệt kế hoạch đầu tư công năm 2027".into(),
                    options: ecabinet_protocol::default_motion_options(),
                    kind: MotionKind::Named,
                    majority: MajorityRule::Absolute,
                    quorum: 6,
                    mode: MotionMode::Live,
                    deadline: None,
                    eligible: None,
                    may_change_vote: false,
                    grace_ms: ecabinet_protocol::default_grace_ms(),
                    signed_ballots: false,
                },
                now,
            )?;
            let mut m1s = m1p;
            m1s.status = MeetingStatus::InSession;
            m1s.current_item_id = Some(a2.id.clone());
            crate::agenda::save_meeting(tx, &m1s, now)?;
            let live = chair::open_motion_tx(tx, &m1s, live, now)?;

            // Meeting 2: published, a written consultation open for a week.
            let m2 = meetings::insert_meeting(
                tx,
                &committee.id,
                &CreateMeetingRequest {
                    title: "Phiên họp chuyên đề về chuyển đổi số".into(),
                    location: "Phòng họp trực tuyến".into(),
                    starts_at: now + 10 * day,
                },
                now,
            )?;
            let b1 = item(tx, &m2, "Chương trình chuyển đổi số tỉnh giai đoạn 2026–2030", None)?;
            let b11 = item(tx, &m2, "Dự thảo Nghị quyết", Some(&b1.id))?;
            let b12 = item(tx, &m2, "Dự toán kinh phí", Some(&b1.id))?;
            item(tx, &m2, "Kế hoạch triển khai hệ thống phòng họp không giấy", None)?;
            let d3 = documents::insert_document(tx, &m2, &b11.id, "Dự thảo Nghị quyết về chương trình chuyển đổi số 2026–2030", now)?;
            version(tx, &m2, &d3.id, "nq-cds")?;
            let d4 = documents::insert_document(tx, &m2, &b12.id, "Dự toán kinh phí", now)?;
            version(tx, &m2, &d4.id, "dt-cds")?;
            let m2p = documents::publish_meeting(tx, &st.signer, m2, now)?.meeting;
            let written = chair::insert_motion(
                tx,
                &m2p,
                &b1.id,
                &CreateMotionRequest {
                    question: "Lấy ý kiến bằng văn bản về dự thảo Nghị quyết chương trình chuyển đổi số 2026–2030".into(),
                    options: ecabinet_protocol::default_motion_options(),
                    kind: MotionKind::Secret,
                    majority: MajorityRule::Simple,
                    quorum: 6,
                    mode: MotionMode::Written,
                    deadline: Some(now + 7 * day),
                    eligible: None,
                    may_change_vote: false,
                    grace_ms: ecabinet_protocol::default_grace_ms(),
                    signed_ballots: false,
                },
                now,
            )?;
            let written = chair::open_motion_tx(tx, &m2p, written, now)?;

            Ok(SeedSummary {
                committee_id: committee.id,
                committee_name: committee.name,
                server_signing_key: st.signer.public_key_b64().to_owned(),
                accounts: accounts_out,
                meetings: vec![
                    SeededMeeting {
                        id: m1s.id,
                        title: m1s.title,
                        status: m1s.status,
                    },
                    SeededMeeting {
                        id: m2p.id,
                        title: m2p.title,
                        status: m2p.status,
                    },
                ],
                live_motion_id: live.id,
                written_consultation_id: written.id,
            })
        })
        .await
}
