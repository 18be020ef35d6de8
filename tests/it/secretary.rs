//! The secretary's client against the real server: a meeting prepared as a
//! draft (nested agenda, moves, renames, a PDF), unseen by members until it
//! is published, then synced and verified on a member's device; a new
//! version supersedes the old; wrong files and wrong roles are refused with
//! errors the app can name.

use anyhow::Result;
use ecabinet_protocol::{
    CreateAgendaItemRequest, CreateMeetingRequest, ErrorCode, MeetingStatus, UpdateMeetingRequest,
};
use std::sync::Arc;

use ecabinet_store::Store;
use ecabinet_sync::{secretary, SyncError, Syncer};
use ecabinet_tests::{api_of, pdf_of_size, TestServer};
use tempfile::TempDir;

fn item(title: &str, parent: Option<&str>) -> CreateAgendaItemRequest {
    CreateAgendaItemRequest {
        title: title.to_owned(),
        parent_id: parent.map(str::to_owned),
        position: None,
        ..Default::default()
    }
}

/// A secretary's and a member's devices enrolled on `server`, each in a
/// folder of its own (the folders live as long as their handles).
async fn two_devices(server: &TestServer) -> Result<(TempDir, Arc<Store>, TempDir, Arc<Store>)> {
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    Ok((sec_dir, sec_store, member_dir, member_store))
}

/// Agenda titles of a cached meeting as `(depth-marker + title)` in order:
/// top-level items, each followed by its children prefixed with `- `.
fn outline(store: &Store, meeting_id: &str) -> Result<Vec<String>> {
    let rows = store.agenda(meeting_id)?;
    let mut out = Vec::new();
    let mut tops: Vec<_> = rows.iter().filter(|r| r.parent_id.is_none()).collect();
    tops.sort_by_key(|r| r.position);
    for t in tops {
        out.push(t.body["title"].as_str().unwrap_or_default().to_owned());
        let mut kids: Vec<_> = rows
            .iter()
            .filter(|r| r.parent_id.as_deref() == Some(t.id.as_str()))
            .collect();
        kids.sort_by_key(|r| r.position);
        out.extend(
            kids.iter()
                .map(|k| format!("- {}", k.body["title"].as_str().unwrap_or_default())),
        );
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_meeting_reaches_members_only_when_published() -> Result<()> {
    let server = TestServer::start().await?;
    let (_sec_dir, sec_store, _member_dir, member_store) = two_devices(&server).await?;
    let sec = Syncer::new(sec_store.clone())?;
    let member = Syncer::new(member_store.clone())?;
    let api = api_of(&sec_store)?;
    let committee = server.seed.committee_id.clone();

    let m = secretary::create_meeting(
        &api,
        &committee,
        &CreateMeetingRequest {
            title: "Phiên họp thường kỳ tháng 12".into(),
            location: "Phòng họp số 1".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    assert_eq!(m.status, MeetingStatus::Draft);
    let m = secretary::update_meeting(
        &api,
        &m.id,
        &UpdateMeetingRequest {
            location: Some("Phòng họp số 2".into()),
            ..UpdateMeetingRequest::default()
        },
    )
    .await?;
    assert_eq!(m.location, "Phòng họp số 2");

    let budget = secretary::add_item(&api, &m.id, &item("Dự toán ngân sách", None)).await?;
    let plan = secretary::add_item(&api, &m.id, &item("Kế hoạch đầu tư công", None)).await?;
    let sub = secretary::add_item(&api, &m.id, &item("Phụ lục", Some(&budget.id))).await?;
    let extra = secretary::add_item(&api, &m.id, &item("Mục tạm", None)).await?;
    secretary::rename_item(&api, &sub.id, "Phụ lục chi tiết").await?;
    // The investment plan goes first.
    secretary::move_item(&api, &plan.id, 0).await?;
    secretary::delete_item(&api, &extra.id).await?;
    let (doc, v1) =
        secretary::attach_pdf(&api, &budget.id, "Tờ trình dự toán", pdf_of_size(20_000, 1)).await?;
    assert!(
        !v1.published,
        "a version is unpublished until the meeting is"
    );

    // The secretary's device sees the draft; the member's does not.
    sec.sync_once(&()).await?;
    member.sync_once(&()).await?;
    assert_eq!(
        outline(&sec_store, &m.id)?,
        [
            "Kế hoạch đầu tư công",
            "Dự toán ngân sách",
            "- Phụ lục chi tiết"
        ]
    );
    assert!(
        member_store.meetings(None)?.iter().all(|x| x.id != m.id),
        "a member saw a draft meeting"
    );

    let published = secretary::publish(&api, &m.id).await?;
    assert_eq!(published.meeting.status, MeetingStatus::Published);
    assert_eq!(published.published_versions.len(), 1);

    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(
        outline(&member_store, &m.id)?,
        [
            "Kế hoạch đầu tư công",
            "Dự toán ngân sách",
            "- Phụ lục chi tiết"
        ]
    );
    let versions = member_store.document_versions(&doc.id)?;
    assert_eq!(versions.len(), 1);
    assert!(
        member_store.has_blob(&versions[0].sha256)?,
        "the PDF was not downloaded"
    );

    // A new version: published on the next publish, the old one superseded.
    secretary::upload_version(&api, &doc.id, pdf_of_size(21_000, 2)).await?;
    secretary::publish(&api, &m.id).await?;
    member.sync_once(&()).await?;
    let versions = member_store.document_versions(&doc.id)?;
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(versions[0].body["superseded"], true);
    assert_eq!(versions[1].body["superseded"], false);
    assert!(member_store.has_blob(&versions[1].sha256)?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_files_and_wrong_roles_are_refused_with_a_code() -> Result<()> {
    let server = TestServer::start().await?;
    let (_sec_dir, sec_store, _member_dir, member_store) = two_devices(&server).await?;
    let api = api_of(&sec_store)?;
    let committee = server.seed.committee_id.clone();
    let req = CreateMeetingRequest {
        title: "Họp chuyên đề".into(),
        location: String::new(),
        starts_at: 1_796_000_000_000,
    };
    let m = secretary::create_meeting(&api, &committee, &req).await?;
    let it = secretary::add_item(&api, &m.id, &item("Nội dung 1", None)).await?;

    // Not a PDF: refused before anything is sent, no document left behind.
    let err = secretary::attach_pdf(&api, &it.id, "Ảnh", b"\x89PNG\r\n".to_vec())
        .await
        .expect_err("a PNG was accepted");
    assert!(matches!(err, SyncError::NotPdf(_)), "{err:?}");
    Syncer::new(sec_store.clone())?.sync_once(&()).await?;
    assert!(sec_store.documents(&m.id)?.is_empty());

    // An empty title is the server's invalid_input.
    let err = secretary::add_item(&api, &m.id, &item("  ", None))
        .await
        .expect_err("an untitled item was accepted");
    assert!(
        matches!(
            err,
            SyncError::Server {
                code: ErrorCode::InvalidInput,
                ..
            }
        ),
        "{err:?}"
    );

    // A plain member may not prepare meetings.
    let member_api = api_of(&member_store)?;
    let err = secretary::create_meeting(&member_api, &committee, &req)
        .await
        .expect_err("a member created a meeting");
    assert!(
        matches!(
            err,
            SyncError::Server {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "{err:?}"
    );
    Ok(())
}

/// The upload limit is the server's setting, learned by the client at each
/// sync: a file over it is refused before a byte is sent, and one under it
/// (even over the default 64 MiB, on a server that allows more) is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_limit_is_the_one_the_server_states() -> Result<()> {
    let limit = 300 * 1024;
    let server = TestServer::start_with(ecabinet_server::Config {
        max_upload_bytes: limit,
        ..ecabinet_server::Config::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let store = server.enrol("secretary", dir.path()).await?;
    // Before any sync: the default a server states when it says nothing.
    assert_eq!(
        secretary::upload_limit(&store),
        secretary::DEFAULT_MAX_PDF_BYTES
    );
    Syncer::new(store.clone())?.sync_once(&()).await?;
    assert_eq!(secretary::upload_limit(&store), limit as u64);
    let too_big = pdf_of_size(limit + 1, 7);
    assert!(matches!(
        secretary::check_pdf(&too_big, secretary::upload_limit(&store)),
        Err(SyncError::FileTooLarge { .. })
    ));
    // "About" that size: the PDF's own objects come on top of the filler.
    let fits = pdf_of_size(limit - 4096, 8);
    assert!(fits.len() <= limit, "{}", fits.len());
    assert!(secretary::check_pdf(&fits, secretary::upload_limit(&store)).is_ok());
    Ok(())
}

/// A TCP proxy that cuts each of the connections listed in `cut_after`
/// (the first, the second, ...) once that many bytes went from the client
/// to the server, and passes later connections through: a secretary's
/// upload losing the Wi-Fi mid-part. Answers the address and how many cuts
/// were made.
async fn upload_cutting_proxy(
    target: std::net::SocketAddr,
    cut_after: Vec<usize>,
) -> Result<(
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
)> {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let made = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let made_out = made.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        while let Ok((mut client, _)) = listener.accept().await {
            let cut = cut_after.get(n).copied();
            n += 1;
            let made = made.clone();
            tokio::spawn(async move {
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let (mut cr, mut cw) = client.split();
                let (mut ur, mut uw) = upstream.split();
                let up = async {
                    let mut sent = 0usize;
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(k) = cr.read(&mut buf).await {
                        if k == 0 {
                            break;
                        }
                        if let Some(c) = cut.filter(|c| sent + k >= *c) {
                            let _ = uw.write_all(&buf[..c - sent]).await;
                            made.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        if uw.write_all(&buf[..k]).await.is_err() {
                            break;
                        }
                        sent += k;
                    }
                    // The client finished sending: wait for the answer.
                    std::future::pending::<()>().await;
                };
                let down = async {
                    let _ = tokio::io::copy(&mut ur, &mut cw).await;
                };
                // Dropping both halves on a cut closes both connections.
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    Ok((addr, made_out))
}

/// A draft meeting with one agenda item holding one document (no version
/// yet): (meeting, document).
async fn draft_with_document(
    api: &ecabinet_sync::Api,
    server: &TestServer,
    meeting: &str,
    item_title: &str,
    document: &str,
) -> Result<(
    ecabinet_protocol::MeetingBody,
    ecabinet_protocol::DocumentBody,
)> {
    let m = secretary::create_meeting(
        api,
        &server.seed.committee_id,
        &CreateMeetingRequest {
            title: meeting.into(),
            location: "Phòng họp số 1".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let it = secretary::add_item(api, &m.id, &item(item_title, None)).await?;
    let doc = secretary::create_document(api, &it.id, document).await?;
    Ok((m, doc))
}

/// Publishes the meeting; the member's next sync then refuses nothing and
/// stores the blob `sha256`, verified.
async fn published_reaches_the_member(
    api: &ecabinet_sync::Api,
    meeting_id: &str,
    member_store: &Arc<Store>,
    sha256: &str,
) -> Result<()> {
    secretary::publish(api, meeting_id).await?;
    let report = Syncer::new(member_store.clone())?.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert!(member_store.has_blob(sha256)?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_upload_cut_mid_part_resumes_and_arrives_whole() -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, sec_store, _member_dir, member_store) = two_devices(&server).await?;
    let api = api_of(&sec_store)?;
    let (m, doc) = draft_with_document(
        &api,
        &server,
        "Phiên họp chuyên đề quy hoạch",
        "Hồ sơ quy hoạch (bản scan)",
        "Bộ hồ sơ scan",
    )
    .await?;
    // Three 8 MiB parts and a bit.
    let pdf = pdf_of_size(3 * secretary::PART_BYTES as usize + 300_000, 7);
    let file = sec_dir.path().join("ho-so-scan.pdf");
    std::fs::write(&file, &pdf)?;

    // The Wi-Fi drops twice: in the middle of the first part, and in the
    // middle of the third.
    let (proxy, cuts) = upload_cutting_proxy(server.addr, vec![3_000_000, 4_000_000]).await?;
    sec_store.set_setting("session.server_url", &format!("http://{proxy}"))?;
    let flaky = api_of(&sec_store)?;
    let mut seen = Vec::new();
    let v = secretary::upload_file(&flaky, &doc.id, &file, &mut |held, size| {
        seen.push((held, size))
    })
    .await?;
    assert_eq!(
        cuts.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "the proxy did not cut"
    );

    // What the server made the version is the file, byte for byte.
    assert_eq!(v.sha256, ecabinet_store::testing::sha256_hex(&pdf));
    assert_eq!(v.size, pdf.len() as u64);
    // Progress only grows, counts only what the server holds, and ends at the size.
    let size = pdf.len() as u64;
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert!(
        seen.iter().all(|&(h, s)| s == size && h <= size),
        "{seen:?}"
    );
    assert_eq!(seen.last().copied(), Some((size, size)));

    published_reaches_the_member(&api, &m.id, &member_store, &v.sha256).await?;
    let versions = member_store.document_versions(&doc.id)?;
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].sha256, v.sha256);
    Ok(())
}

/// The server keeps each upload's running hash in memory between parts; a
/// restart loses it, and the file the upload finishes with must still be
/// named by its bytes (read back from the server's disk).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_resumed_after_the_server_restarted_arrives_whole() -> Result<()> {
    let mut server = TestServer::start().await?;
    let (_sec_dir, sec_store, _member_dir, member_store) = two_devices(&server).await?;
    let api = api_of(&sec_store)?;
    let (m, doc) = draft_with_document(
        &api,
        &server,
        "Phiên họp thường kỳ tháng 12",
        "Báo cáo kinh tế - xã hội",
        "Báo cáo (bản scan)",
    )
    .await?;
    let pdf = pdf_of_size(3_000_000, 11);
    let third = pdf.len() / 3;

    let up = secretary::start_upload(&api, &doc.id, pdf.len() as u64).await?;
    let held = secretary::send_part(&api, &up.id, 0, pdf[..third].to_vec()).await?;
    assert_eq!(held.offset, third as u64);
    server.restart().await?;
    // After the restart: where it stands, then the rest in two parts.
    let api = api_of(&sec_store)?;
    assert_eq!(
        secretary::upload_status(&api, &up.id).await?.offset,
        third as u64
    );
    let held =
        secretary::send_part(&api, &up.id, held.offset, pdf[third..2 * third].to_vec()).await?;
    let held = secretary::send_part(&api, &up.id, held.offset, pdf[2 * third..].to_vec()).await?;
    assert_eq!(held.offset, pdf.len() as u64);
    let v = secretary::finish_upload(&api, &up.id).await?;
    assert_eq!(v.sha256, ecabinet_store::testing::sha256_hex(&pdf));
    assert_eq!(v.size, pdf.len() as u64);

    published_reaches_the_member(&api, &m.id, &member_store, &v.sha256).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_cannot_go_on_is_cancelled_and_leaves_nothing() -> Result<()> {
    let server = TestServer::start().await?;
    let sec_dir = tempfile::tempdir()?;
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let api = api_of(&sec_store)?;
    let (_, doc) =
        draft_with_document(&api, &server, "Phiên họp thử", "Tờ trình", "Tờ trình").await?;

    // Not a PDF: refused before anything is sent.
    let png = sec_dir.path().join("anh.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n0000000000")?;
    let err = secretary::upload_file(&api, &doc.id, &png, &mut |_, _| {})
        .await
        .expect_err("a PNG was uploaded");
    assert!(matches!(err, SyncError::NotPdf(_)), "{err:?}");
    // A file that is not there names itself.
    let err = secretary::upload_file(
        &api,
        &doc.id,
        &sec_dir.path().join("không-có.pdf"),
        &mut |_, _| {},
    )
    .await
    .expect_err("a missing file was uploaded");
    assert!(
        matches!(&err, SyncError::UnreadableFile(p) if p.contains("không-có.pdf")),
        "{err:?}"
    );
    // A PDF members could not open: the server refuses it at the end, with
    // its reason, and the upload is gone.
    let mut broken = b"%PDF-1.7\n".to_vec();
    broken.extend(std::iter::repeat_n(b'x', 100_000));
    broken.extend_from_slice(b"\n%%EOF\n");
    let bad = sec_dir.path().join("hong.pdf");
    std::fs::write(&bad, &broken)?;
    let err = secretary::upload_file(&api, &doc.id, &bad, &mut |_, _| {})
        .await
        .expect_err("a damaged PDF was accepted");
    assert!(
        matches!(&err, SyncError::Server { code: ErrorCode::UnreadablePdf, message, .. } if message.contains("damaged")),
        "{err:?}"
    );
    let incoming = server.data_dir().join("blobs").join("incoming");
    let left: Vec<_> = std::fs::read_dir(&incoming)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left on the server's disk: {left:?}");
    Ok(())
}
