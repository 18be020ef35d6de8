//! Classified documents (issue 19): only a server on an isolated network
//! holds them; a device keeps their signed record but never their content
//! (a copy cached before the document was classified is deleted), reads
//! them from the server into memory, never exports them, and every read is
//! in the server's access register.

use anyhow::{Context, Result};
use ecabinet_protocol::{
    Classification, CreateAgendaItemRequest, CreateMeetingRequest, DocumentPolicy, ExportPolicy,
    UpdateDocumentRequest,
};
use ecabinet_sync::{
    classified_to_open, export_watermark, fetch_classified, secretary, version_to_open, Api,
    SyncError,
};
use ecabinet_tests::{api_of, pdf_of_size, syncer, TestServer};

/// A published meeting with one document: (document id, version id, sha).
async fn published(server: &TestServer, api: &Api) -> Result<(String, String, String)> {
    let m = secretary::create_meeting(
        api,
        &server.seed.committee_id,
        &CreateMeetingRequest {
            title: "Phiên họp về quốc phòng, an ninh".into(),
            location: "Phòng họp bảo mật".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let item = secretary::add_item(
        api,
        &m.id,
        &CreateAgendaItemRequest {
            title: "Phương án bảo vệ".into(),
            parent_id: None,
            position: None,
            ..Default::default()
        },
    )
    .await?;
    let (doc, v) =
        secretary::attach_pdf(api, &item.id, "Phương án", pdf_of_size(120_000, 51)).await?;
    secretary::publish(api, &m.id).await?;
    Ok((doc.id, v.id, v.sha256))
}

fn classify(c: Classification) -> UpdateDocumentRequest {
    UpdateDocumentRequest {
        classification: Some(c),
        ..UpdateDocumentRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_a_connected_network_refuses_to_hold_a_classified_document() -> Result<()> {
    let server = TestServer::start().await?;
    let sec_dir = tempfile::tempdir()?;
    let sec = server.enrol("secretary", sec_dir.path()).await?;
    let api = api_of(&sec)?;
    let (doc, _, _) = published(&server, &api).await?;
    match secretary::update_document(&api, &doc, &classify(Classification::Secret)).await {
        Err(SyncError::Server {
            status: 409,
            message,
            ..
        }) => {
            assert!(message.contains("mạng nội bộ tách biệt"), "{message}");
            assert!(message.contains("isolated-network"), "{message}");
        }
        other => panic!("classified on a connected server: {other:?}"),
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classified_document_is_read_from_the_server_only_and_every_read_is_registered(
) -> Result<()> {
    let server = TestServer::start_with(ecabinet_server::Config {
        ocr: ecabinet_server::ocr::OcrConfig::off(),
        isolated_network: true,
        ..ecabinet_server::Config::default()
    })
    .await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = api_of(&sec)?;
    let member = syncer(&member_store)?;
    let (doc, v, sha) = published(&server, &api).await?;
    // Cached while it was still a normal document.
    member.sync_once(&()).await?;
    assert!(member_store.has_blob(&sha)?);
    assert!(version_to_open(&member_store, &v).is_ok());

    let d = secretary::update_document(&api, &doc, &classify(Classification::TopSecret)).await?;
    assert_eq!(
        d.policy,
        DocumentPolicy {
            reader_watermark: false,
            export: ExportPolicy::Allowed,
            classification: Classification::TopSecret,
        }
    );
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    // The signed record is kept, the content is gone from the device.
    assert!(
        !member_store.has_blob(&sha)?,
        "the cached copy was not deleted"
    );
    assert!(!member_dir
        .path()
        .join(ecabinet_store::BLOB_DIR)
        .join(&sha)
        .exists());
    match version_to_open(&member_store, &v) {
        Err(SyncError::Classified) => {}
        other => panic!("a classified version opened from the cache: {other:?}"),
    }
    let verified = classified_to_open(&member_store, &v)?;
    match export_watermark(&member_store, &verified, 0) {
        Err(SyncError::ExportForbidden) => {}
        other => panic!("a classified document may be exported: {other:?}"),
    }
    // Another sync downloads nothing and stores nothing.
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.bytes_downloaded(), 0);
    assert!(!member_store.has_blob(&sha)?);

    // Read online, into memory: the very bytes that were signed.
    let bytes = fetch_classified(&api_of(&member_store)?, &verified).await?;
    assert_eq!(ecabinet_protocol::hex::sha256_hex(&bytes), sha);
    assert!(!member_store.has_blob(&sha)?);

    // The server's register names the member, the version and the level.
    let state = ecabinet_server::open(
        server.data_dir(),
        None,
        None,
        ecabinet_server::Config {
            ocr: ecabinet_server::ocr::OcrConfig::off(),
            ..ecabinet_server::Config::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("open: {e}"))?;
    let member_id = server
        .seed
        .accounts
        .iter()
        .find(|a| a.role == "member")
        .context("member")?
        .user_id
        .clone();
    let rows = state
        .db
        .read(move |conn| {
            conn.query(
                "SELECT user_id, version_id, classification FROM access_register ORDER BY at",
                &[],
            )
            .map_err(ecabinet_server::AppError::from)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let entries: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
        .collect::<Result<_, ecabinet_server::db::DbError>>()?;
    assert_eq!(entries, [(member_id, v.clone(), "top_secret".to_owned())]);
    Ok(())
}
