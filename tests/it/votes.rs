//! Votes end to end, client and real server: ballot receipts checked
//! against the published chain head (named and secret, and a tampered log
//! failing visibly), results published with no request (live after the
//! grace period, written consultations at their deadline), and the chair's
//! count of devices not heard from since a vote opened.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ecabinet_store::{Entity, Store};
use ecabinet_sync::{BallotState, Syncer};
use ecabinet_tests::{ApiClient, TestServer};
use serde_json::{json, Value};

/// How long to wait for the server's background finaliser (it runs every
/// 500 ms) before giving up; a functional bound, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The agenda item a seeded motion hangs on, as the member's cache has it.
fn item_of(store: &Store, motion_id: &str) -> Result<String> {
    let motion = store
        .entity(Entity::Motion, motion_id)?
        .context("seeded motion in the cache")?;
    Ok(motion["agenda_item_id"]
        .as_str()
        .context("agenda_item_id")?
        .to_owned())
}

/// Creates and opens a motion on `item` as the chair; returns its id.
async fn open_motion(chair: &ApiClient, item: &str, spec: Value) -> Result<String> {
    let mut body = json!({
        "question": "Thông qua tờ trình?",
        "kind": "named",
        "majority": "simple",
        "quorum": 1,
        "mode": "live",
        "grace_ms": 0,
    });
    if let (Some(b), Some(s)) = (body.as_object_mut(), spec.as_object()) {
        b.extend(s.clone());
    }
    let created = chair
        .post(&format!("/v1/agenda/{item}/motions"), body)
        .await?;
    let id = created["id"].as_str().context("motion id")?.to_owned();
    chair
        .post(&format!("/v1/motions/{id}/open"), json!({}))
        .await?;
    Ok(id)
}

fn ballot(store: &Store, op_id: &str) -> Result<BallotState> {
    ecabinet_sync::ballots(store)?
        .into_iter()
        .find(|b| b.op_id == op_id)
        .context("ballot in the outbox")
}

/// Syncs until every ballot in `ops` has a checked receipt.
async fn sync_until_checked(syncer: &Syncer, store: &Store, ops: &[&str]) -> Result<()> {
    let start = std::time::Instant::now();
    loop {
        syncer.sync_once(&()).await?;
        let mut done = true;
        for op in ops {
            done &= ballot(store, op)?
                .receipt
                .is_some_and(|r| r.verified.is_some());
        }
        if done {
            return Ok(());
        }
        if start.elapsed() > PATIENCE {
            bail!(
                "receipts still unchecked: {:?}",
                ecabinet_sync::ballots(store)?
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn member(server: &TestServer, dir: &Path) -> Result<(Arc<Store>, Syncer)> {
    let store = server.enrol("member", dir).await?;
    let syncer = Syncer::new(store.clone())?;
    syncer.sync_once(&()).await?;
    Ok((store, syncer))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_and_secret_receipts_check_against_the_result_published_without_a_request(
) -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let (store, syncer) = member(&server, dir.path()).await?;
    let chair = server.client("chair").await?;
    let item = item_of(&store, &server.seed.live_motion_id)?;
    let named = open_motion(&chair, &item, json!({})).await?;
    let secret = open_motion(&chair, &item, json!({"kind": "secret"})).await?;
    syncer.sync_once(&()).await?;

    let named_op = syncer.cast_ballot(&named, 0).await?;
    let secret_op = syncer.cast_ballot(&secret, 1).await?;
    let report = syncer.sync_once(&()).await?;
    assert_eq!(report.push.accepted, 2, "{report:?}");
    // The named ballot's receipt came with its answer; the secret one has
    // none until its record is sealed.
    let receipt = ballot(&store, &named_op)?
        .receipt
        .context("named receipt")?;
    assert_eq!(receipt.hash.len(), 64);
    assert_eq!(receipt.verified, None);
    assert_eq!(ballot(&store, &secret_op)?.receipt, None);

    // The chair closes; nobody asks for the results: the server publishes
    // them (grace 0) and the member's next syncs check both receipts.
    for m in [&named, &secret] {
        chair
            .post(&format!("/v1/motions/{m}/close"), json!({}))
            .await?;
    }
    sync_until_checked(&syncer, &store, &[&named_op, &secret_op]).await?;
    for op in [&named_op, &secret_op] {
        let r = ballot(&store, op)?.receipt.context("receipt")?;
        assert_eq!(r.verified, Some(true), "{op}: {r:?}");
        assert_eq!(r.error, None);
    }
    let result = store
        .entity(Entity::MotionResult, &secret)?
        .context("secret result in the cache")?;
    assert_eq!(result["finality"], "final");
    assert_eq!(result["counts"], json!([0, 1, 0]));
    assert!(result["audit_head"].as_str().is_some_and(|h| h.len() == 64));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_that_does_not_check_is_a_visible_failure() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let (store, syncer) = member(&server, dir.path()).await?;
    let chair = server.client("chair").await?;
    let item = item_of(&store, &server.seed.live_motion_id)?;
    let motion = open_motion(&chair, &item, json!({})).await?;
    syncer.sync_once(&()).await?;
    let op = syncer.cast_ballot(&motion, 0).await?;
    syncer.sync_once(&()).await?;
    let receipt = ballot(&store, &op)?.receipt.context("receipt")?;

    // Someone with access to the server's database rewrites the ballot's
    // audit record (choice 0 → 1) before the result is published. The
    // published head then covers the forged record, so the member's
    // receipt can no longer be proven.
    let db = ecabinet_server::db::Db::open(
        &server
            .data_dir()
            .join("ecabinet.sqlite3")
            .display()
            .to_string(),
    )?;
    let hash = receipt.hash.clone();
    let changed = db
        .write(move |tx| {
            let rows = tx.conn.query(
                "SELECT seq, record FROM audit_log WHERE receipt = ?",
                ecabinet_server::params![&hash],
            )?;
            let row = rows.first().context("the ballot's audit row")?;
            let forged = row.text(1)?.replace("\"choice\":0", "\"choice\":1");
            let n = tx.conn.execute(
                "UPDATE audit_log SET record = ? WHERE seq = ?",
                ecabinet_server::params![forged, row.int(0)?],
            )?;
            Ok::<_, anyhow::Error>(n)
        })
        .await?;
    assert_eq!(changed, 1);

    chair
        .post(&format!("/v1/motions/{motion}/close"), json!({}))
        .await?;
    sync_until_checked(&syncer, &store, &[&op]).await?;
    let r = ballot(&store, &op)?.receipt.context("receipt")?;
    assert_eq!(r.verified, Some(false), "{r:?}");
    assert!(r.error.is_some_and(|e| !e.is_empty()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_written_consultation_is_closed_and_published_at_its_deadline() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let (store, syncer) = member(&server, dir.path()).await?;
    let chair = server.client("chair").await?;
    let item = item_of(&store, &server.seed.written_consultation_id)?;
    let motion = open_motion(
        &chair,
        &item,
        json!({"mode": "written", "deadline": now_ms() + 1_500}),
    )
    .await?;
    syncer.sync_once(&()).await?;
    let op = syncer.cast_ballot(&motion, 0).await?;
    assert_eq!(syncer.sync_once(&()).await?.push.accepted, 1);

    // No one closes it or asks for its result.
    sync_until_checked(&syncer, &store, &[&op]).await?;
    let result = store
        .entity(Entity::MotionResult, &motion)?
        .context("result in the cache")?;
    assert_eq!(result["finality"], "final");
    assert_eq!(result["outcome"], "adopted");
    assert_eq!(result["counts"], json!([1, 0, 0]));
    let cached = store
        .entity(Entity::Motion, &motion)?
        .context("motion in the cache")?;
    assert_eq!(cached["status"], "closed");
    assert_eq!(
        ballot(&store, &op)?.receipt.and_then(|r| r.verified),
        Some(true)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chair_counts_devices_not_heard_from_since_the_vote_opened() -> Result<()> {
    let server = TestServer::start().await?;
    let (a_dir, b_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    // Two devices of members, both heard from before the vote opens.
    let (a_store, a) = member(&server, a_dir.path()).await?;
    let (_b_store, b) = member(&server, b_dir.path()).await?;
    let chair = server.client("chair").await?;
    let item = item_of(&a_store, &server.seed.live_motion_id)?;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let motion = open_motion(&chair, &item, json!({"grace_ms": 120_000})).await?;
    assert_eq!(unsynced(&chair, &motion).await?, 2);

    // A pull is contact ...
    a.sync_once(&()).await?;
    assert_eq!(unsynced(&chair, &motion).await?, 1);
    // ... and so is a push (a ballot on the vote already in b's cache).
    let op = b.cast_ballot(&server.seed.live_motion_id, 0).await?;
    assert_eq!(b.push().await?.accepted, 1, "{op}");
    assert_eq!(unsynced(&chair, &motion).await?, 0);
    Ok(())
}

async fn unsynced(chair: &ApiClient, motion: &str) -> Result<u64> {
    let r = chair.get(&format!("/v1/motions/{motion}/result")).await?;
    r["chair"]["unsynced_devices"]
        .as_u64()
        .context("chair view")
}
