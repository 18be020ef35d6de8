//! Document read status across the sync client and the real server: a
//! member's device reports downloads and opens through the outbox, and the
//! chair reads them back — only where the committee switched it on.

use anyhow::{Context, Result};
use ecabinet_protocol::{ErrorCode, ReadStatusBody};
use ecabinet_sync::{SyncError, Syncer};
use ecabinet_tests::TestServer;

fn read_ops(store: &ecabinet_store::Store) -> Result<Vec<String>> {
    Ok(store
        .outbox()?
        .into_iter()
        .filter(|e| e.kind == "read")
        .map(|e| e.op_id)
        .collect())
}

/// The member's (downloaded_at, opened_at) for each document of the view.
fn member_times(view: &ReadStatusBody, member_id: &str) -> Vec<(Option<i64>, Option<i64>)> {
    view.documents
        .iter()
        .map(|d| {
            d.members
                .iter()
                .find(|m| m.member_id == member_id)
                .map_or((None, None), |m| (m.downloaded_at, m.opened_at))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chair_sees_what_a_member_downloaded_and_opened() -> Result<()> {
    let server = TestServer::start().await?;
    let meeting = server.seed.meetings[0].id.clone();
    let chair_dir = tempfile::tempdir()?;
    let chair = Syncer::new(server.enrol("chair", chair_dir.path()).await?)?;
    let dir = tempfile::tempdir()?;
    let store = server.enrol("member", dir.path()).await?;
    let member_id = ecabinet_sync::Session::load(&store)?
        .context("session")?
        .user_id;
    let member = Syncer::new(store.clone())?;

    let before = ecabinet_sync::read_status(chair.api(), &meeting).await?;
    assert!(
        !before.documents.is_empty(),
        "the demo meeting has documents"
    );
    assert!(member_times(&before, &member_id)
        .iter()
        .all(|t| *t == (None, None)));

    // Syncing downloads every document; each download is reported once.
    let report = member.sync_once(&()).await?;
    assert!(report.documents.stored() > 0, "{report:?}");
    assert_eq!(read_ops(&store)?.len(), report.documents.stored());
    // The same round sends them at its end: nothing is left waiting.
    assert_eq!(
        report.reports.accepted,
        report.documents.stored(),
        "{report:?}"
    );
    assert_eq!(member.push().await?.sent, 0);
    // A second sync downloads nothing new and reports nothing new.
    member.sync_once(&()).await?;
    assert_eq!(read_ops(&store)?.len(), report.documents.stored());

    let view = ecabinet_sync::read_status(chair.api(), &meeting).await?;
    assert_eq!(view.meeting_id, meeting);
    for (downloaded, opened) in member_times(&view, &member_id) {
        assert!(downloaded.is_some(), "{view:?}");
        assert_eq!(opened, None);
    }

    // Opening a document in the viewer: reported once, however often.
    let version = view.documents[0].version_id.clone();
    let first = member.record_opened(&version).await?;
    assert!(first.is_some());
    assert_eq!(member.record_opened(&version).await?, None);
    assert_eq!(member.push().await?.accepted, 1);
    let view = ecabinet_sync::read_status(chair.api(), &meeting).await?;
    let times = member_times(&view, &member_id);
    let opened = times[0].1.context("opened_at")?;
    assert!(opened >= times[0].0.context("downloaded_at")?, "{times:?}");
    // The other documents stay unopened.
    assert!(times[1..].iter().all(|t| t.1.is_none()), "{times:?}");

    // Members do not see who read what.
    let err = ecabinet_sync::read_status(member.api(), &meeting)
        .await
        .expect_err("a member is refused");
    assert!(
        matches!(
            err,
            SyncError::Server {
                code: ErrorCode::Forbidden,
                ..
            }
        ),
        "{err}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_reported_where_the_committee_has_read_status_off() -> Result<()> {
    let server = TestServer::start().await?;
    let admin = server.client("admin").await?;
    let committee = server.seed.committee_id.clone();
    let c = admin
        .patch(
            &format!("/v1/admin/committees/{committee}"),
            serde_json::json!({"read_status": false}),
        )
        .await?;
    assert_eq!(c["read_status"], false);

    let dir = tempfile::tempdir()?;
    let store = server.enrol("member", dir.path()).await?;
    let member = Syncer::new(store.clone())?;
    let report = member.sync_once(&()).await?;
    assert!(report.documents.stored() > 0, "{report:?}");
    let version = store
        .read(|tx| {
            Ok(
                tx.query_row("SELECT id FROM document_version LIMIT 1", [], |r| {
                    r.get::<_, String>(0)
                })?,
            )
        })
        .context("a cached version")?;
    assert!(!ecabinet_sync::read_status_enabled(&store, &version)?);
    assert_eq!(member.record_opened(&version).await?, None);
    assert!(read_ops(&store)?.is_empty());

    let chair_dir = tempfile::tempdir()?;
    let chair = Syncer::new(server.enrol("chair", chair_dir.path()).await?)?;
    let err = ecabinet_sync::read_status(chair.api(), &server.seed.meetings[0].id)
        .await
        .expect_err("switched off");
    assert!(
        matches!(
            err,
            SyncError::Server {
                code: ErrorCode::NotEnabled,
                ..
            }
        ),
        "{err}"
    );
    Ok(())
}
