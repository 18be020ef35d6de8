//! The outbox against a real server: ballots and requests to speak recorded
//! offline, drained exactly once when the server is back.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use ecabinet_store::Store;
use ecabinet_sync::{SyncError, SyncStatus, Syncer};
use ecabinet_tests::TestServer;
use serde_json::Value;

async fn enrol_as(server: &TestServer, role: &str, dir: &Path) -> Result<Arc<Store>> {
    server.enrol(role, dir).await
}

fn states(store: &Store) -> Result<Vec<(String, String)>> {
    Ok(SyncStatus::read(store)?
        .ballots
        .into_iter()
        .map(|b| (b.op_id, b.state))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballot_cast_offline_is_accepted_once_when_the_server_returns() -> Result<()> {
    let mut server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_as(&server, "member", dir.path()).await?;
    let syncer = Syncer::new(store.clone())?;
    syncer.sync_once(&()).await?;
    let motion = server.seed.written_consultation_id.clone();

    // Offline: the ballot is recorded at once and shown as waiting.
    server.stop().await;
    let op = syncer.cast_ballot(&motion, 0).await?;
    assert_eq!(states(&store)?, vec![(op.clone(), "pending".to_owned())]);
    let err = syncer.sync_once(&()).await.expect_err("offline");
    assert!(matches!(err, SyncError::Offline(_)), "{err}");
    let (_, state) = states(&store)?.pop().context("ballot")?;
    assert!(state == "pending" || state == "sent", "{state}");
    assert_eq!(SyncStatus::read(&store)?.pending_outbox, 1);

    // Back online: accepted without anything else to do.
    server.restart().await?;
    let report = syncer.sync_once(&()).await?;
    assert_eq!(report.push.accepted, 1, "{report:?}");
    assert_eq!(states(&store)?, vec![(op.clone(), "accepted".to_owned())]);
    assert_eq!(SyncStatus::read(&store)?.pending_outbox, 0);

    // The same operation sent again (a lost answer) changes nothing and
    // gets the same answer.
    let payload = store
        .outbox()?
        .into_iter()
        .find(|e| e.op_id == op)
        .context("op")?
        .payload;
    let body: Value = serde_json::from_slice(&payload)?;
    let again = ecabinet_protocol::PushRequest {
        ops: vec![ecabinet_protocol::Operation {
            op_id: op.clone(),
            kind: ecabinet_protocol::OpKind::Ballot,
            body,
        }],
    };
    for _ in 0..3 {
        let resp = syncer.api().push_ops(&again).await?;
        assert_eq!(resp.results.len(), 1);
        assert_eq!(
            resp.results[0].outcome,
            ecabinet_protocol::OpOutcome::Accepted
        );
    }
    let chair = server.client("chair").await?;
    let result = chair.get(&format!("/v1/motions/{motion}/result")).await?;
    assert_eq!(
        result["participating"].as_u64(),
        Some(1),
        "counted exactly once: {result}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_operation_is_recorded_with_its_reason_and_does_not_block_the_others(
) -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_as(&server, "member", dir.path()).await?;
    let syncer = Syncer::new(store.clone())?;
    syncer.sync_once(&()).await?;
    let written = server.seed.written_consultation_id.clone();

    // Changing a vote is not allowed on the demo consultation: the second
    // ballot is refused, the first and a request to speak go through.
    let first = syncer.cast_ballot(&written, 0).await?;
    let second = syncer.cast_ballot(&written, 1).await?;
    let item = store.read(|tx| {
        Ok(tx.query_row("SELECT id FROM agenda_item LIMIT 1", [], |r| {
            r.get::<_, String>(0)
        })?)
    })?;
    let speak = ecabinet_sync::request_to_speak(&store, &item, 1)?;
    let report = syncer.sync_once(&()).await?;
    assert_eq!(report.push.sent, 3, "{report:?}");

    let outbox = store.outbox()?;
    let state = |id: &str| {
        outbox
            .iter()
            .find(|e| e.op_id == id)
            .map(|e| format!("{:?}", e.state))
            .unwrap_or_default()
    };
    assert_eq!(state(&first), "Accepted");
    assert!(
        state(&second).contains("already_voted"),
        "{}",
        state(&second)
    );
    assert_eq!(state(&speak), "Accepted");
    // The request to speak came back through the feed.
    let requests = store.read(|tx| {
        Ok(
            tx.query_row("SELECT count(*) FROM speaker_request", [], |r| {
                r.get::<_, i64>(0)
            })?,
        )
    })?;
    assert!(requests >= 1);
    Ok(())
}
