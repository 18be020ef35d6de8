//! A document's readers' policy (issue 19) reaches devices signed: a
//! change is taken at the next sync without downloading the document again,
//! and a server that loosens it without the key is refused, the stricter
//! policy kept.

use std::time::Duration;

use anyhow::{Context, Result};
use ecabinet_protocol::{
    CreateAgendaItemRequest, CreateMeetingRequest, DocumentPolicy, ExportPolicy,
};
use ecabinet_sync::{policy_of, secretary, version_to_open, Api, Session, SyncError};
use ecabinet_tests::{api_of, pdf_of_size, syncer, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stricter_policy_reaches_the_device_signed_and_a_loosened_one_is_refused() -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = Api::new(&Session::load(&sec_store)?.context("session")?)?;
    let member = syncer(&member_store)?;
    let m = secretary::create_meeting(
        &api,
        &server.seed.committee_id,
        &CreateMeetingRequest {
            title: "Phiên họp về nhân sự".into(),
            location: "Phòng họp số 1".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let item = secretary::add_item(
        &api,
        &m.id,
        &CreateAgendaItemRequest {
            title: "Quy hoạch cán bộ".into(),
            parent_id: None,
            position: None,
            ..Default::default()
        },
    )
    .await?;
    let (doc, v) = secretary::attach_pdf(
        &api,
        &item.id,
        "Danh sách quy hoạch",
        pdf_of_size(150_000, 41),
    )
    .await?;
    secretary::publish(&api, &m.id).await?;
    member.sync_once(&()).await?;
    let before = version_to_open(&member_store, &v.id)?;
    assert_eq!(policy_of(&before)?, Some(DocumentPolicy::default()));

    // The secretary forbids copies and watermarks the pages.
    let strict = DocumentPolicy {
        reader_watermark: true,
        export: ExportPolicy::Forbidden,
        classification: Default::default(),
    };
    let d = secretary::set_document_policy(&api, &doc.id, &strict).await?;
    assert_eq!(d.policy, strict);
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(
        report.documents.bytes_downloaded(),
        0,
        "not downloaded again"
    );
    assert_eq!(
        policy_of(&version_to_open(&member_store, &v.id)?)?,
        Some(strict)
    );

    // The server (or whoever holds its database) sends the record again
    // with the policy loosened but the signature it had: refused, and the
    // device keeps the stricter policy it verified.
    let db = rusqlite::Connection::open(server.data_dir().join("ecabinet.sqlite3"))?;
    db.busy_timeout(Duration::from_secs(10))?;
    let loosened = db.execute(
        "INSERT INTO changes (seq, committee_id, audience, user_id, entity, entity_id, op, body, created_at)
         SELECT (SELECT max(seq) FROM changes) + 1, committee_id, audience, user_id, entity, entity_id, op,
                json_set(body, '$.signed.manifest.policy', json('{\"reader_watermark\":false,\"export\":\"allowed\"}')),
                created_at
         FROM changes WHERE entity = 'document_version' AND entity_id = ?1 ORDER BY seq DESC LIMIT 1",
        [&v.id],
    )?;
    assert_eq!(loosened, 1);
    drop(db);
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 1, "{:?}", report.documents);
    let verified = member_store
        .verified_version(&v.id)?
        .context("still verified")?;
    assert_eq!(policy_of(&verified)?, Some(strict));
    match version_to_open(&member_store, &v.id) {
        Err(SyncError::VersionRefused(reason)) => {
            assert!(reason.contains("signature"), "{reason}")
        }
        other => panic!("a loosened record was taken: {other:?}"),
    }
    Ok(())
}

/// Whoever can write the server's feed (a restored or tampered database,
/// without the key) re-sends the record of the version as it was signed
/// before the policy was tightened: a valid signature, an older statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_signed_record_cannot_bring_back_a_looser_policy() -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = Api::new(&Session::load(&sec_store)?.context("session")?)?;
    let member = syncer(&member_store)?;
    let m = secretary::create_meeting(
        &api,
        &server.seed.committee_id,
        &CreateMeetingRequest {
            title: "Phiên họp".into(),
            location: "Phòng 2".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let item = secretary::add_item(
        &api,
        &m.id,
        &CreateAgendaItemRequest {
            title: "Tổ chức bộ máy".into(),
            parent_id: None,
            position: None,
            ..Default::default()
        },
    )
    .await?;
    let (doc, v) = secretary::attach_pdf(&api, &item.id, "Đề án", pdf_of_size(90_000, 43)).await?;
    secretary::publish(&api, &m.id).await?;
    // The loose record, as first published, is still in the feed's history.
    let strict = DocumentPolicy {
        reader_watermark: true,
        export: ExportPolicy::Forbidden,
        classification: Default::default(),
    };
    secretary::set_document_policy(&api, &doc.id, &strict).await?;
    member.sync_once(&()).await?;
    assert_eq!(
        policy_of(&version_to_open(&member_store, &v.id)?)?,
        Some(strict)
    );

    let db = rusqlite::Connection::open(server.data_dir().join("ecabinet.sqlite3"))?;
    db.busy_timeout(Duration::from_secs(10))?;
    let replayed = db.execute(
        "INSERT INTO changes (seq, committee_id, audience, user_id, entity, entity_id, op, body, created_at)
         SELECT (SELECT max(seq) FROM changes) + 1, committee_id, audience, user_id, entity, entity_id, op, body, created_at
         FROM changes WHERE entity = 'document_version' AND entity_id = ?1
           AND json_extract(body, '$.signed.manifest.policy.export') = 'allowed'
         ORDER BY seq LIMIT 1",
        [&v.id],
    )?;
    assert_eq!(replayed, 1, "the first published record was found");
    drop(db);
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 1, "{:?}", report.documents);
    let verified = member_store.verified_version(&v.id)?.context("verified")?;
    assert_eq!(
        policy_of(&verified)?,
        Some(strict),
        "the stricter policy stays"
    );
    match version_to_open(&member_store, &v.id) {
        Err(SyncError::VersionRefused(reason)) => assert!(reason.contains("older"), "{reason}"),
        other => panic!("a replayed looser record was taken: {other:?}"),
    }
    Ok(())
}

/// The secretary watermarks a whole meeting: every published version of it
/// reaches the member's device signed with the reader's watermark (none of
/// its documents asked for one), with no download again; and stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meetings_watermark_reaches_every_document_on_the_device() -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = api_of(&sec_store)?;
    let member = syncer(&member_store)?;
    let m = secretary::create_meeting(
        &api,
        &server.seed.committee_id,
        &CreateMeetingRequest {
            title: "Phiên họp kín về tổ chức cán bộ".into(),
            location: "Phòng họp số 3".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let item = secretary::add_item(
        &api,
        &m.id,
        &CreateAgendaItemRequest {
            title: "Nhân sự".into(),
            parent_id: None,
            position: None,
            ..Default::default()
        },
    )
    .await?;
    let mut versions = Vec::new();
    for (title, seed) in [("Tờ trình", 51), ("Danh sách", 52)] {
        let (_, v) =
            secretary::attach_pdf(&api, &item.id, title, pdf_of_size(60_000, seed)).await?;
        versions.push(v.id);
    }
    secretary::publish(&api, &m.id).await?;
    member.sync_once(&()).await?;
    let now = ecabinet_sync::now_ms();
    for v in &versions {
        let verified = version_to_open(&member_store, v)?;
        assert_eq!(
            ecabinet_sync::view_watermark(&member_store, &verified, now)?,
            None
        );
    }

    let watermarked = |on: bool| ecabinet_protocol::UpdateMeetingRequest {
        reader_watermark: Some(on),
        ..Default::default()
    };
    let updated = secretary::update_meeting(&api, &m.id, &watermarked(true)).await?;
    assert!(updated.reader_watermark);
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(
        report.documents.bytes_downloaded(),
        0,
        "not downloaded again"
    );
    for v in &versions {
        let verified = version_to_open(&member_store, v)?;
        let lines = ecabinet_sync::view_watermark(&member_store, &verified, now)?
            .context("the meeting's watermark is on every document")?;
        assert!(lines.iter().any(|l| !l.is_empty()), "{lines:?}");
    }

    secretary::update_meeting(&api, &m.id, &watermarked(false)).await?;
    member.sync_once(&()).await?;
    for v in &versions {
        let verified = version_to_open(&member_store, v)?;
        assert_eq!(
            ecabinet_sync::view_watermark(&member_store, &verified, now)?,
            None
        );
    }
    Ok(())
}
