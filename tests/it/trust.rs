//! Documents are trusted per verified version, not per cached blob (issue 15):
//! against the real server, a replayed old version, a draft that reuses a
//! published PDF, two versions with the same content in one round, and a
//! cached blob damaged on disk.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use ecabinet_protocol::{CreateAgendaItemRequest, CreateMeetingRequest, DocumentVersionBody};
use ecabinet_sync::{
    current_version_to_open, secretary, version_to_open, Api, DocumentOutcome, DocumentsReport,
    SyncError, SyncOptions, SyncStatus, Syncer,
};
use ecabinet_tests::{api_of, pdf_of_size, syncer, TestServer};

/// A new meeting of the seeded committee with one agenda item, made by the
/// secretary: `(meeting id, agenda item id)`.
async fn meeting(server: &TestServer, api: &Api) -> Result<(String, String)> {
    let m = secretary::create_meeting(
        api,
        &server.seed.committee_id,
        &CreateMeetingRequest {
            title: "Phiên họp chuyên đề".into(),
            location: "Phòng họp số 3".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let item = secretary::add_item(
        api,
        &m.id,
        &CreateAgendaItemRequest {
            title: "Báo cáo tài chính".into(),
            parent_id: None,
            position: None,
            ..Default::default()
        },
    )
    .await?;
    Ok((m.id, item.id))
}

fn outcome(report: &DocumentsReport, version_id: &str) -> Option<DocumentOutcome> {
    report
        .outcomes
        .iter()
        .find(|(v, _)| v == version_id)
        .map(|(_, o)| o.clone())
}

/// The device's encrypted file of a blob.
fn client_blob(dir: &Path, sha: &str) -> std::path::PathBuf {
    dir.join(ecabinet_store::BLOB_DIR).join(sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_old_version_sent_as_current_is_refused_and_the_newer_stays_current(
) -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = api_of(&sec_store)?;
    let member = syncer(&member_store)?;
    let (meeting_id, item) = meeting(&server, &api).await?;

    // The device has v1 cached and verified, then v2.
    let (doc, v1) =
        secretary::attach_pdf(&api, &item, "Tờ trình", pdf_of_size(300_000, 11)).await?;
    secretary::publish(&api, &meeting_id).await?;
    member.sync_once(&()).await?;
    assert_eq!(version_to_open(&member_store, &v1.id)?.version, 1);
    let v2 = secretary::upload_version(&api, &doc.id, pdf_of_size(310_000, 12)).await?;
    secretary::publish(&api, &meeting_id).await?;
    member.sync_once(&()).await?;
    assert_eq!(current_version_to_open(&member_store, &doc.id)?.id, v2.id);
    assert!(version_to_open(&member_store, &v1.id)?.superseded);

    // The server re-sends v1 as current: its database gets v1's record as it
    // was first published (validly signed, not superseded) written back as
    // the newest change of the feed.
    let db = rusqlite::Connection::open(server.data_dir().join("ecabinet.sqlite3"))?;
    db.busy_timeout(Duration::from_secs(10))?;
    let replayed = db.execute(
        "INSERT INTO changes (seq, committee_id, audience, user_id, entity, entity_id, op, body, created_at)
         SELECT (SELECT max(seq) FROM changes) + 1, committee_id, audience, user_id, entity, entity_id, op, body, created_at
         FROM changes WHERE entity = 'document_version' AND entity_id = ?1
           AND json_extract(body, '$.superseded') = 0 AND json_extract(body, '$.signed') IS NOT NULL
         ORDER BY seq DESC LIMIT 1",
        [&v1.id],
    )?;
    assert_eq!(replayed, 1, "v1's first published record was found");
    db.execute(
        "UPDATE document_versions SET superseded = 0 WHERE id = ?1",
        [&v1.id],
    )?;
    drop(db);

    let report = member.sync_once(&()).await?;
    let body: DocumentVersionBody = serde_json::from_value(
        member_store
            .entity(ecabinet_store::Entity::DocumentVersion, &v1.id)?
            .context("v1 record")?,
    )?;
    assert!(
        !body.superseded,
        "the feed now carries the replay (v1 as current)"
    );
    // The replay is refused and reported…
    match outcome(&report.documents, &v1.id) {
        Some(DocumentOutcome::Rejected { reason }) => {
            assert!(reason.contains("rollback"), "{reason}")
        }
        other => panic!("the replay was not refused: {other:?}"),
    }
    let status = SyncStatus::read(&member_store)?;
    assert!(
        status
            .document_errors
            .iter()
            .any(|e| e.version_id == v1.id && e.reason.contains("rollback")),
        "{:?}",
        status.document_errors
    );
    // …v2 stays current…
    let current = current_version_to_open(&member_store, &doc.id)?;
    assert_eq!((current.id.as_str(), current.version), (v2.id.as_str(), 2));
    assert!(!current.superseded);
    // …v1 is still known as superseded, is not opened while the server
    // lies about it, and its blob stays cached.
    let verified_v1 = member_store
        .verified_version(&v1.id)?
        .context("v1 stays verified")?;
    assert!(verified_v1.superseded);
    assert!(member_store.has_blob(&v1.sha256)?, "v1's blob was deleted");
    match version_to_open(&member_store, &v1.id) {
        Err(SyncError::VersionRefused(reason)) => assert!(reason.contains("rollback"), "{reason}"),
        other => panic!("v1 opened during a replay: {other:?}"),
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_version_withdrawn_with_the_old_one_resent_as_current_is_not_opened_as_current(
) -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = api_of(&sec_store)?;
    let member = syncer(&member_store)?;
    let (meeting_id, item) = meeting(&server, &api).await?;
    let (doc, v1) =
        secretary::attach_pdf(&api, &item, "Tờ trình", pdf_of_size(200_000, 51)).await?;
    secretary::publish(&api, &meeting_id).await?;
    member.sync_once(&()).await?;
    let v2 = secretary::upload_version(&api, &doc.id, pdf_of_size(210_000, 52)).await?;
    secretary::publish(&api, &meeting_id).await?;
    member.sync_once(&()).await?;
    assert_eq!(current_version_to_open(&member_store, &doc.id)?.id, v2.id);

    // The server's feed deletes v2 and sends v1's first published record
    // (validly signed, not superseded) again.
    let db = rusqlite::Connection::open(server.data_dir().join("ecabinet.sqlite3"))?;
    db.busy_timeout(Duration::from_secs(10))?;
    db.execute(
        "INSERT INTO changes (seq, committee_id, audience, user_id, entity, entity_id, op, body, created_at)
         SELECT (SELECT max(seq) FROM changes) + 1, committee_id, audience, user_id, entity, entity_id, 'delete', NULL, created_at
         FROM changes WHERE entity = 'document_version' AND entity_id = ?1 ORDER BY seq DESC LIMIT 1",
        [&v2.id],
    )?;
    let replayed = db.execute(
        "INSERT INTO changes (seq, committee_id, audience, user_id, entity, entity_id, op, body, created_at)
         SELECT (SELECT max(seq) FROM changes) + 1, committee_id, audience, user_id, entity, entity_id, op, body, created_at
         FROM changes WHERE entity = 'document_version' AND entity_id = ?1
           AND json_extract(body, '$.superseded') = 0 AND json_extract(body, '$.signed') IS NOT NULL
         ORDER BY seq DESC LIMIT 1",
        [&v1.id],
    )?;
    assert_eq!(replayed, 1);
    drop(db);

    let report = member.sync_once(&()).await?;
    assert!(
        member_store.document_versions(&doc.id)?.len() == 1,
        "the feed deleted v2"
    );
    assert!(matches!(
        outcome(&report.documents, &v1.id),
        Some(DocumentOutcome::Rejected { reason }) if reason.contains("rollback")
    ));
    // Opening the document's current version is refused: v1 is never shown
    // as current once v2 was verified here.
    match current_version_to_open(&member_store, &doc.id) {
        Err(SyncError::VersionRefused(reason)) => assert!(reason.contains("rollback"), "{reason}"),
        other => panic!("an older version was opened as current: {other:?}"),
    }
    assert!(
        member_store
            .verified_version(&v1.id)?
            .context("v1")?
            .superseded
    );
    assert!(member_store.has_blob(&v1.sha256)?, "v1's blob stays cached");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_reusing_a_published_pdf_never_deletes_the_cached_copy() -> Result<()> {
    let server = TestServer::start().await?;
    let sec_dir = tempfile::tempdir()?;
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let api = api_of(&sec_store)?;
    // One download at a time, so the order is fixed: the published version,
    // then the draft (which the code before this fix refused by deleting the
    // blob they share).
    let sec = Syncer::new(sec_store.clone())?.with_options(SyncOptions {
        concurrency: 1,
        backoff_base: Duration::from_millis(1),
        ..SyncOptions::default()
    });
    let (meeting_id, item) = meeting(&server, &api).await?;
    let pdf = pdf_of_size(2_000_000, 21);
    let (doc, published) = secretary::attach_pdf(&api, &item, "Tờ trình", pdf.clone()).await?;
    secretary::publish(&api, &meeting_id).await?;
    // The secretary starts a new version from the same file: a draft, seen
    // by editors (chair and secretary) only, with the published version's hash.
    let draft = secretary::upload_version(&api, &doc.id, pdf.clone()).await?;
    assert_eq!(draft.sha256, published.sha256);
    assert!(!draft.published);

    for round in 1..=3 {
        let report = sec.sync_once(&()).await?;
        assert!(
            matches!(
                outcome(&report.documents, &draft.id),
                Some(DocumentOutcome::Rejected { .. })
            ),
            "round {round}: the unsigned draft is not shown: {:?}",
            report.documents
        );
        assert!(
            sec_store.has_blob(&published.sha256)?,
            "round {round}: the published PDF's cached copy was deleted"
        );
        let v = version_to_open(&sec_store, &published.id)?;
        assert_eq!(v.version, 1);
        sec_store.checked_blob_reader(&v.sha256)?;
        if round > 1 {
            assert_eq!(
                report.documents.bytes_downloaded(),
                0,
                "round {round} downloaded the published PDF again"
            );
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_versions_with_identical_content_download_once_in_one_round() -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = api_of(&sec_store)?;
    let member = syncer(&member_store)?;
    member.sync_once(&()).await?; // the seeded committee first
    let (meeting_id, item) = meeting(&server, &api).await?;
    // The same file attached twice (e.g. an annex under two agenda items).
    let pdf = pdf_of_size(4_000_000, 31);
    let (_, a) = secretary::attach_pdf(&api, &item, "Phụ lục A", pdf.clone()).await?;
    let (_, b) = secretary::attach_pdf(&api, &item, "Phụ lục B", pdf.clone()).await?;
    assert_eq!(a.sha256, b.sha256);
    secretary::publish(&api, &meeting_id).await?;

    let report = member.sync_once(&()).await?;
    for v in [&a, &b] {
        assert!(
            matches!(
                outcome(&report.documents, &v.id),
                Some(DocumentOutcome::Stored { .. })
            ),
            "{:?}",
            report.documents
        );
        version_to_open(&member_store, &v.id)?;
    }
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(
        report.documents.bytes_downloaded(),
        pdf.len() as u64,
        "the shared content was downloaded exactly once"
    );
    member_store.verify_blob(&a.sha256)?;
    assert!(
        std::fs::read_dir(member_dir.path().join("blobs/partial"))?
            .next()
            .is_none(),
        "no partial download is left behind"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_cached_blob_is_downloaded_again_and_opens() -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = api_of(&sec_store)?;
    let member = syncer(&member_store)?;
    let (meeting_id, item) = meeting(&server, &api).await?;
    let pdf = pdf_of_size(500_000, 41);
    let (doc, v) = secretary::attach_pdf(&api, &item, "Tờ trình", pdf.clone()).await?;
    secretary::publish(&api, &meeting_id).await?;
    member.sync_once(&()).await?;
    member_store.checked_blob_reader(&v.sha256)?;

    // One byte of the cached, encrypted file changes on disk.
    let file = client_blob(member_dir.path(), &v.sha256);
    let mut bytes = std::fs::read(&file)?;
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&file, &bytes)?;
    assert!(
        member_store.checked_blob_reader(&v.sha256).is_err(),
        "the damage is noticed at open"
    );

    let report = member.sync_once(&()).await?;
    assert_eq!(
        outcome(&report.documents, &v.id),
        Some(DocumentOutcome::Stored {
            bytes_downloaded: pdf.len() as u64
        }),
        "the damaged copy was downloaded again"
    );
    let current = current_version_to_open(&member_store, &doc.id)?;
    assert_eq!(current.id, v.id);
    let (mut reader, _) = member_store.checked_blob_reader(&current.sha256)?;
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut back)?;
    assert_eq!(back, pdf, "the document opens with its content");
    Ok(())
}
