//! Searchable scans end to end: a secretary uploads a scanned page (a real
//! Vietnamese page rendered to an image-only PDF), the real server reads it
//! with the real OCR worker and Tesseract, the secretary sees the reading
//! finish, and a member's device takes the signed words and finds a phrase
//! on the scan where the words are. A text layer altered on the server is
//! refused, and the document is unaffected.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use ecabinet_pdf::testing::{scan_page, scanned, write_pdf};
use ecabinet_pdf::{PdfEngine, PdfRectF, SearchIndex};
use ecabinet_protocol::{
    CreateAgendaItemRequest, CreateMeetingRequest, DocumentVersionBody, TextLayerStatus,
};
use ecabinet_store::Store;
use ecabinet_sync::{secretary, Api, Session, Syncer};
use ecabinet_tests::TestServer;

const DEMO: &str = "to-trinh-dau-tu-cong-2027.pdf";
const PHRASE: &str = "giải phóng mặt bằng";

fn engine() -> PdfEngine {
    PdfEngine::start(Default::default()).expect("PDFium loads (scripts/setup)")
}

fn demo() -> Result<Vec<u8>> {
    Ok(std::fs::read(
        ecabinet_tests::workspace_root()
            .join("assets/demo")
            .join(DEMO),
    )?)
}

/// Hits of `query` on the searchable pages of a verified version on `store`:
/// its own text, with the OCR words where it has a verified text layer.
fn search(
    engine: &PdfEngine,
    store: &Store,
    version_id: &str,
    sha: &str,
    query: &str,
) -> Result<Vec<(u32, PdfRectF)>> {
    let (reader, _) = store.checked_blob_reader(sha)?;
    let layer = ecabinet_sync::text_layer_of(store, version_id)?;
    let pages = ecabinet_pdf::with_text_layer(engine.text_of(reader, version_id)?, layer.as_ref());
    let mut index = SearchIndex::new();
    index.add_document(version_id, pages);
    Ok(index
        .search(query)
        .into_iter()
        .map(|h| (h.page, h.rects[0]))
        .collect())
}

fn version_record(store: &Store, doc: &str) -> Result<DocumentVersionBody> {
    let row = store
        .document_versions(doc)?
        .into_iter()
        .next()
        .context("the version record")?;
    Ok(serde_json::from_value(row.body)?)
}

/// A draft meeting with one agenda item, made by the secretary: (meeting, item).
async fn meeting_with_item(
    api: &Api,
    committee: &str,
    title: &str,
    item: &str,
) -> Result<(String, String)> {
    let m = secretary::create_meeting(
        api,
        committee,
        &CreateMeetingRequest {
            title: title.into(),
            location: "Phòng họp số 1".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let item = secretary::add_item(
        api,
        &m.id,
        &CreateAgendaItemRequest {
            title: item.into(),
            parent_id: None,
            position: None,
            ..Default::default()
        },
    )
    .await?;
    Ok((m.id, item.id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_page_is_read_on_the_server_and_found_on_a_members_device() -> Result<()> {
    let server = TestServer::start_with(ecabinet_server::Config::default()).await?;
    let dirs = [
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    ];
    let sec_store = server.enrol("secretary", dirs[0].path()).await?;
    let sec = Syncer::new(sec_store.clone())?;
    let api = Api::new(&Session::load(&sec_store)?.context("session")?)?;
    let (m, item) = meeting_with_item(
        &api,
        &server.seed.committee_id,
        "Phiên họp về đầu tư công",
        "Tờ trình (bản scan có chữ ký)",
    )
    .await?;

    // The first page of a real Vietnamese document, as a scanner delivers it.
    let engine = engine();
    let original = demo()?;
    let scan = scanned(&engine, original.clone(), 0, 200.0);
    let a4 = [0.0, 0.0, 595.0, 842.0];
    let pdf = write_pdf(&[scan_page(scan, a4, 0, "595 0 0 842 0 0")]);
    let (doc, v) = secretary::attach_pdf(&api, &item, "Tờ trình (bản scan)", pdf).await?;

    // The secretary's workspace follows the reading until it is done.
    let deadline = Instant::now() + Duration::from_secs(180);
    let layer = loop {
        sec.sync_once(&()).await?;
        let rec = version_record(&sec_store, &doc.id)?;
        let layer = rec
            .text_layer
            .context("a server with OCR queues every upload")?;
        match layer.status {
            TextLayerStatus::Ready => break layer,
            TextLayerStatus::Failed | TextLayerStatus::NotNeeded => {
                anyhow::bail!("the scan was not read: {layer:?}")
            }
            _ if Instant::now() > deadline => anyhow::bail!("still {layer:?} after 3 min"),
            _ => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    };
    assert_eq!((layer.pages_done, layer.pages_total), (1, 1));
    assert!(
        layer.signature.is_some() && layer.sha256.is_some(),
        "{layer:?}"
    );

    // Published, a member's device takes the signed words with the document.
    secretary::publish(&api, &m).await?;
    let member_store = server.enrol("member", dirs[1].path()).await?;
    let member = Syncer::new(member_store.clone())?;
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(report.text_layers.stored, 1, "{:?}", report.text_layers);

    // The phrase is found on the scan, with and without its marks, where
    // PDFium says it is on the original page.
    let mut index = SearchIndex::new();
    let od = engine.open(original, "original")?;
    index.add_document("original", engine.document_text(od.handle)?);
    let expected = index
        .search(PHRASE)
        .into_iter()
        .find(|h| h.page == 0)
        .context("the phrase on the original page")?
        .rects[0];
    for query in [PHRASE, "giai phong mat bang"] {
        let hits = search(&engine, &member_store, &v.id, &v.sha256, query)?;
        let (page, r) = *hits
            .first()
            .with_context(|| format!("{query:?} not found on the scan"))?;
        assert_eq!(page, 0);
        for (got, want) in [
            (r.left, expected.left),
            (r.bottom, expected.bottom),
            (r.right, expected.right),
            (r.top, expected.top),
        ] {
            assert!(
                (got - want).abs() < 4.0,
                "{query:?} at {r:?}, the original has it at {expected:?}"
            );
        }
    }

    // A layer altered on the server's disk is refused by the next device;
    // the document itself still arrives and opens, only the scan is not searchable.
    let sha = layer.sha256.clone().context("layer sha")?;
    let path = server.data_dir().join("blobs").join(&sha[..2]).join(&sha);
    let text = std::fs::read_to_string(&path)?;
    let altered = text.replacen("gi", "GI", 1);
    assert_ne!(text, altered);
    std::fs::write(&path, altered)?;
    let other_store = server.enrol("member", dirs[2].path()).await?;
    let other = Syncer::new(other_store.clone())?;
    let report = other.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(report.text_layers.stored, 0);
    assert_eq!(
        report.text_layers.refused.len(),
        1,
        "{:?}",
        report.text_layers
    );
    assert!(
        report.text_layers.refused[0].1.contains("signed hash"),
        "{:?}",
        report.text_layers
    );
    assert!(other_store.has_blob(&v.sha256)?);
    assert!(search(&engine, &other_store, &v.id, &v.sha256, PHRASE)?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_ocr_worker_the_version_says_so_and_is_unaffected() -> Result<()> {
    let server = TestServer::start_with(ecabinet_server::Config {
        ocr: ecabinet_server::ocr::OcrConfig {
            worker: Some("/nonexistent/ecabinet-ocr".into()),
            ..ecabinet_server::ocr::OcrConfig::default()
        },
        ..ecabinet_server::Config::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let sec_store = server.enrol("secretary", dir.path()).await?;
    let sec = Syncer::new(sec_store.clone())?;
    let api = Api::new(&Session::load(&sec_store)?.context("session")?)?;
    let (m, item) =
        meeting_with_item(&api, &server.seed.committee_id, "Phiên họp thử", "Tờ trình").await?;
    let (doc, _) = secretary::attach_pdf(&api, &item, "Tờ trình", demo()?).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        sec.sync_once(&()).await?;
        let layer = version_record(&sec_store, &doc.id)?
            .text_layer
            .context("queued")?;
        if layer.status == TextLayerStatus::Failed {
            let why = layer.error.unwrap_or_default();
            assert!(why.contains("OCR is not installed"), "{why}");
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "still {layer:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The document itself is published and read as ever.
    let published = secretary::publish(&api, &m).await?;
    assert_eq!(published.published_versions.len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_prints_without_end_is_stopped_with_its_children() -> Result<()> {
    // A worker gone wrong (or made to by a hostile PDF): it prints far more
    // than any text layer may hold, through a child process of its own.
    let dir = tempfile::tempdir()?;
    let worker = dir.path().join("runaway-ocr-worker");
    // A child that does not write (so a closed pipe does not end it).
    let marker = format!("sleep 600 0.{}", std::process::id());
    std::fs::write(
        &worker,
        format!("#!/bin/sh\n{marker} &\nyes 'never stops'\n"),
    )?;
    std::fs::set_permissions(&worker, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let server = TestServer::start_with(ecabinet_server::Config {
        ocr: ecabinet_server::ocr::OcrConfig {
            worker: Some(worker.clone()),
            ..ecabinet_server::ocr::OcrConfig::default()
        },
        ..ecabinet_server::Config::default()
    })
    .await?;
    let sec_store = server
        .enrol("secretary", dir.path().join("sec").as_path())
        .await?;
    let sec = Syncer::new(sec_store.clone())?;
    let api = Api::new(&Session::load(&sec_store)?.context("session")?)?;
    let (_, item) =
        meeting_with_item(&api, &server.seed.committee_id, "Phiên họp thử", "Tờ trình").await?;
    let (doc, _) = secretary::attach_pdf(&api, &item, "Tờ trình", demo()?).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        sec.sync_once(&()).await?;
        let layer = version_record(&sec_store, &doc.id)?
            .text_layer
            .context("queued")?;
        if layer.status == TextLayerStatus::Failed {
            assert!(
                layer
                    .error
                    .unwrap_or_default()
                    .contains("could not be read"),
                "the secretary is told the scans were not read"
            );
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "still {layer:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Nothing of it is left running: the worker and its children went together.
    let left = std::process::Command::new("pgrep")
        .arg("-f")
        .arg(format!("{}|{marker}", worker.display()))
        .output()?;
    assert!(
        left.stdout.is_empty(),
        "still running: {}",
        String::from_utf8_lossy(&left.stdout)
    );
    Ok(())
}
