//! The sync client against a real server on 127.0.0.1 (issue: sync client).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use ecabinet_store::testing::sha256_hex;
use ecabinet_store::{Entity, FeedChange, FeedOp, Store, StoreState, SystemClock, CHUNK_SIZE};
use ecabinet_sync::{
    DocumentOutcome, Progress, ProgressSink, SyncError, SyncOptions, SyncStatus, Syncer,
};
use ecabinet_tests::{pdf_of_size, publish_pack, TestServer};
use serde_json::Value;

async fn enrol_member(server: &TestServer, dir: &Path) -> Result<Arc<Store>> {
    server.enrol("member", dir).await
}

fn fast(syncer: Syncer) -> Syncer {
    syncer.with_options(SyncOptions {
        backoff_base: Duration::from_millis(1),
        ..SyncOptions::default()
    })
}

fn column(store: &Store, sql: &str) -> Result<Vec<String>> {
    Ok(store.read(|tx| {
        let mut stmt = tx.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let values: Result<Vec<String>, _> = rows.collect();
        Ok(values?)
    })?)
}

/// Adds up every byte the downloads report, across attempts and passes
/// (each pass counts from zero again).
#[derive(Default)]
struct ByteCounter {
    last: AtomicU64,
    total: AtomicU64,
}

impl ProgressSink for ByteCounter {
    fn progress(&self, p: &Progress) {
        let prev = self.last.swap(p.overall_done, Ordering::SeqCst);
        let delta = if p.overall_done >= prev {
            p.overall_done - prev
        } else {
            p.overall_done
        };
        self.total.fetch_add(delta, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_enrol_then_full_sync_of_the_demo_committee() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = Syncer::new(store.clone())?;

    let report = syncer.sync_once(&()).await?;
    let status = SyncStatus::read(&store)?;
    let published = server
        .seed
        .meetings
        .iter()
        .filter(|m| m.status.as_str() != "draft")
        .count();
    assert!(published > 0);
    assert_eq!(
        status.meetings, published,
        "a member sees exactly the published meetings"
    );
    assert!(status.documents >= 3, "{status:?}");
    assert_eq!(
        status.verified_blobs, status.document_versions,
        "{status:?}"
    );
    assert!(status.document_errors.is_empty(), "{status:?}");
    assert_eq!(report.documents.stored(), status.document_versions);
    assert!(status.last_sync_ms.is_some() && status.last_error.is_none());
    assert_eq!(status.cursor, report.pull.cursor);

    // Every stored document decrypts to the bytes its manifest names.
    for sha in column(&store, "SELECT sha256 FROM document_version")? {
        let bytes = store.read_blob(&sha)?;
        assert_eq!(sha256_hex(&bytes), sha);
        assert!(bytes.starts_with(b"%PDF-"));
    }

    // Nothing new: a second round transfers no change and no document.
    let again = syncer.sync_once(&()).await?;
    assert_eq!(again.pull.changes, 0);
    assert!(again.documents.outcomes.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delta_pull_transfers_only_the_change() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = Syncer::new(store.clone())?;
    syncer.sync_once(&()).await?;

    let meeting = column(&store, "SELECT id FROM meeting ORDER BY starts_at")?
        .into_iter()
        .next()
        .context("a meeting")?;
    let doc = column(
        &store,
        &format!("SELECT id FROM document WHERE meeting_id = '{meeting}' ORDER BY id"),
    )?
    .into_iter()
    .next()
    .context("a document")?;
    let versions_before = store.document_versions(&doc)?;

    let secretary = server.client("secretary").await?;
    let added = secretary
        .post(
            &format!("/v1/meetings/{meeting}/agenda"),
            serde_json::json!({"title": "Các vấn đề phát sinh"}),
        )
        .await?;
    let added_id = added["id"].as_str().context("item id")?.to_owned();
    // Delete an item without documents or motions, so only the item goes.
    // The first meeting is in session, where items are no longer deleted:
    // the item is one of the published second meeting's.
    let removable = column(
        &store,
        "SELECT id FROM agenda_item WHERE json_extract(body, '$.title') = 'Kế hoạch triển khai hệ thống phòng họp không giấy'",
    )?
    .into_iter()
    .next()
    .context("the second meeting's item without documents")?;
    secretary.delete(&format!("/v1/agenda/{removable}")).await?;
    let new_pdf = pdf_of_size(300_000, 7);
    secretary.upload_pdf(&doc, new_pdf.clone()).await?;
    secretary
        .post(&format!("/v1/meetings/{meeting}/publish"), Value::Null)
        .await?;

    let delta = syncer.sync_once(&()).await?;
    assert!(
        delta.pull.changes <= 12,
        "a delta is a handful of changes, got {}",
        delta.pull.changes
    );
    assert_eq!(delta.documents.stored(), 1, "{:?}", delta.documents);
    assert_eq!(delta.documents.bytes_downloaded(), new_pdf.len() as u64);

    let all_items = column(&store, "SELECT id FROM agenda_item")?;
    assert!(all_items.contains(&added_id));
    assert!(!all_items.contains(&removable));
    let versions_after = store.document_versions(&doc)?;
    assert_eq!(versions_after.len(), versions_before.len() + 1);
    let newest = versions_after.last().context("newest")?;
    assert_eq!(store.read_blob(&newest.sha256)?, new_pdf);
    // The version it replaced stays readable, marked superseded.
    let previous = &versions_after[versions_after.len() - 2];
    assert_eq!(previous.body["superseded"], true);
    assert!(store.has_blob(&previous.sha256)?);
    Ok(())
}

/// A TCP proxy that cuts each of its first `cuts` connections after a random
/// number of bytes from the server, then passes connections through.
async fn cutting_proxy(
    target: std::net::SocketAddr,
    cuts: usize,
    seed: u64,
) -> Result<(std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let made_out = made.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        let mut x = seed | 1;
        while let Ok((mut client, _)) = listener.accept().await {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Between 100 KB and 2.5 MB into the response.
            let cut = (n < cuts).then_some(100_000 + (x % 2_400_000) as usize);
            n += 1;
            let made = made.clone();
            tokio::spawn(async move {
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let (mut cr, mut cw) = client.split();
                let (mut ur, mut uw) = upstream.split();
                let up = async {
                    let _ = tokio::io::copy(&mut cr, &mut uw).await;
                };
                let down = async {
                    let mut sent = 0usize;
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(k) = ur.read(&mut buf).await {
                        if k == 0 {
                            break;
                        }
                        let k = match cut {
                            Some(c) if sent + k >= c => {
                                let _ = cw.write_all(&buf[..c - sent]).await;
                                made.fetch_add(1, Ordering::SeqCst);
                                break;
                            }
                            _ => k,
                        };
                        if cw.write_all(&buf[..k]).await.is_err() {
                            break;
                        }
                        sent += k;
                    }
                };
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    Ok((addr, made_out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_50mb_download_resumes_losing_at_most_a_chunk_per_cut() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = fast(Syncer::new(store.clone())?);
    syncer.sync_once(&()).await?;

    // A 50 MB board pack on an existing agenda item, published.
    let meeting = column(&store, "SELECT id FROM meeting ORDER BY starts_at")?
        .into_iter()
        .next()
        .context("meeting")?;
    let item = column(
        &store,
        &format!("SELECT id FROM agenda_item WHERE meeting_id = '{meeting}'"),
    )?
    .into_iter()
    .next()
    .context("item")?;
    let secretary = server.client("secretary").await?;
    let doc = secretary
        .post(
            &format!("/v1/agenda/{item}/documents"),
            serde_json::json!({"title": "Phụ lục số liệu (50 MB)"}),
        )
        .await?;
    let doc_id = doc["id"].as_str().context("doc id")?.to_owned();
    let big = pdf_of_size(50 * 1024 * 1024, 42);
    secretary.upload_pdf(&doc_id, big.clone()).await?;
    secretary
        .post(&format!("/v1/meetings/{meeting}/publish"), Value::Null)
        .await?;
    syncer.pull().await?;

    // From here on every request goes through a proxy that cuts 20 connections.
    const CUTS: usize = 20;
    let (proxy, cuts_made) = cutting_proxy(server.addr, CUTS, 0x5eed).await?;
    store.set_setting("session.server_url", &format!("http://{proxy}"))?;
    let syncer = fast(Syncer::new(store.clone())?);
    let counter = ByteCounter::default();
    let mut stored = false;
    let mut interrupted = 0;
    for _pass in 0..10 {
        let report = syncer.fetch_documents(&counter).await?;
        for (_, outcome) in &report.outcomes {
            match outcome {
                DocumentOutcome::Stored { .. } => stored = true,
                DocumentOutcome::Interrupted { .. } => interrupted += 1,
                DocumentOutcome::Rejected { reason } => anyhow::bail!("rejected: {reason}"),
            }
        }
        if stored {
            break;
        }
    }
    assert!(
        stored,
        "the download completed after {interrupted} interrupted passes"
    );
    assert_eq!(
        cuts_made.load(Ordering::SeqCst),
        CUTS,
        "every planned cut happened mid-download"
    );
    let sha = sha256_hex(&big);
    assert_eq!(store.read_blob(&sha)?.len(), big.len());
    assert_eq!(sha256_hex(&store.read_blob(&sha)?), sha);
    // Bytes received across all attempts: the document once, plus what each
    // cut lost of its unfinished chunk.
    let received: u64 = counter_total(&counter);
    let redownloaded = received - big.len() as u64;
    assert!(
        redownloaded <= (CUTS * CHUNK_SIZE) as u64,
        "re-downloaded {redownloaded} bytes over {CUTS} cuts (chunk {CHUNK_SIZE})"
    );
    Ok(())
}

fn counter_total(c: &ByteCounter) -> u64 {
    c.total.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_truncated_badly_signed_and_rolled_back_documents_are_refused_and_the_rest_syncs(
) -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = fast(Syncer::new(store.clone())?);
    syncer.pull().await?;

    // A document with two versions is kept for the rollback case; three
    // versions of other documents are spoiled below.
    let multi = column(
        &store,
        "SELECT document_id FROM document_version GROUP BY document_id HAVING count(*) > 1",
    )?
    .into_iter()
    .next()
    .context("a document with two versions")?;
    let versions = column(
        &store,
        &format!("SELECT id FROM document_version WHERE document_id <> '{multi}' ORDER BY id"),
    )?;
    assert!(
        versions.len() >= 4,
        "the demo has enough versions: {versions:?}"
    );
    let total_versions = column(&store, "SELECT id FROM document_version")?.len();
    let row = |id: &str| -> Result<(String, Value)> {
        let body = store
            .entity(Entity::DocumentVersion, id)?
            .context("version")?;
        Ok((body["sha256"].as_str().context("sha")?.to_owned(), body))
    };
    let blob_file = |sha: &str| server.data_dir().join("blobs").join(&sha[..2]).join(sha);

    // 1. tampered on the server: one byte flipped.
    let (sha_t, _) = row(&versions[0])?;
    let mut bytes = std::fs::read(blob_file(&sha_t))?;
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(blob_file(&sha_t), &bytes)?;
    // 2. truncated on the server.
    let (sha_c, _) = row(&versions[1])?;
    let bytes = std::fs::read(blob_file(&sha_c))?;
    std::fs::write(blob_file(&sha_c), &bytes[..bytes.len() / 3])?;
    // 3. a manifest whose signature does not match (as a hostile feed would carry).
    let (_, mut body) = row(&versions[2])?;
    let sig = body["signed"]["signature"]
        .as_str()
        .context("signature")?
        .to_owned();
    // Replace the first base64 digit: still valid base64, wrong signature.
    let flipped = match sig.strip_prefix('A') {
        Some(rest) => format!("B{rest}"),
        None => format!("A{}", sig.get(1..).unwrap_or_default()),
    };
    body["signed"]["signature"] = Value::String(flipped);
    let cursor = store.cursor()?;
    store.apply_changes(
        &[FeedChange {
            entity: Entity::DocumentVersion,
            id: versions[2].clone(),
            op: FeedOp::Upsert(body),
        }],
        cursor,
    )?;

    let report = syncer.fetch_documents(&()).await?;
    let outcome = |id: &str| {
        report
            .outcomes
            .iter()
            .find(|(v, _)| v == id)
            .map(|(_, o)| o.clone())
    };
    let reason = |id: &str| match outcome(id) {
        Some(DocumentOutcome::Rejected { reason }) => reason,
        other => format!("not rejected: {other:?}"),
    };
    assert!(
        reason(&versions[0]).contains("tampered"),
        "{}",
        reason(&versions[0])
    );
    assert!(
        reason(&versions[1]).contains("truncated"),
        "{}",
        reason(&versions[1])
    );
    assert!(
        reason(&versions[2]).contains("signature"),
        "{}",
        reason(&versions[2])
    );
    for bad in &versions[..3] {
        let (sha, _) = row(bad)?;
        assert!(
            !store.has_blob(&sha)?,
            "a refused document is never readable"
        );
    }
    // Every other version synced.
    assert_eq!(
        report.documents_stored_excluding(&versions[..3]),
        total_versions - 3
    );

    let status = SyncStatus::read(&store)?;
    let reported: Vec<&str> = status
        .document_errors
        .iter()
        .map(|e| e.version_id.as_str())
        .collect();
    for bad in &versions[..3] {
        assert!(reported.contains(&bad.as_str()), "{reported:?}");
    }

    // 4. rollback: an older signed manifest presented again as current after a
    // newer version of the same document was verified.
    let (doc, old, newer) = {
        let vs = store.document_versions(&multi)?;
        (multi.clone(), vs[0].clone(), vs[vs.len() - 1].clone())
    };
    assert!(store.trusted_version(&doc)? >= Some(newer.version));
    store.remove_blob(&old.sha256)?;
    let mut replay = old.body.clone();
    replay["superseded"] = Value::Bool(false);
    let cursor = store.cursor()?;
    store.apply_changes(
        &[FeedChange {
            entity: Entity::DocumentVersion,
            id: old.id.clone(),
            op: FeedOp::Upsert(replay),
        }],
        cursor,
    )?;
    let report = syncer.fetch_documents(&()).await?;
    let rolled = report
        .outcomes
        .iter()
        .find(|(v, _)| *v == old.id)
        .context("old version tried")?;
    assert!(
        matches!(&rolled.1, DocumentOutcome::Rejected { reason } if reason.contains("rollback")),
        "{rolled:?}"
    );
    Ok(())
}

trait StoredExcept {
    fn documents_stored_excluding(&self, ids: &[String]) -> usize;
}

impl StoredExcept for ecabinet_sync::DocumentsReport {
    fn documents_stored_excluding(&self, ids: &[String]) -> usize {
        self.outcomes
            .iter()
            .filter(|(v, o)| !ids.contains(v) && matches!(o, DocumentOutcome::Stored { .. }))
            .count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_down_the_cache_stays_usable_and_sync_recovers_by_itself() -> Result<()> {
    let mut server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = fast(Syncer::new(store.clone())?);
    syncer.sync_once(&()).await?;
    let before = SyncStatus::read(&store)?;

    server.stop().await;
    let err = syncer.sync_once(&()).await.expect_err("server is down");
    assert!(matches!(err, SyncError::Offline(_)), "{err}");
    assert!(err.is_transient());
    let during = SyncStatus::read(&store)?;
    assert_eq!(during.meetings, before.meetings);
    assert_eq!(during.verified_blobs, before.verified_blobs);
    assert!(during.last_error.is_some(), "the failure is visible");
    for sha in column(&store, "SELECT sha256 FROM document_version")? {
        assert_eq!(
            sha256_hex(&store.read_blob(&sha)?),
            sha,
            "documents stay readable offline"
        );
    }

    server.restart().await?;
    syncer.sync_once(&()).await?;
    let after = SyncStatus::read(&store)?;
    assert!(after.last_error.is_none());
    assert!(after.last_sync_ms >= before.last_sync_ms);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_wipes_its_cache_and_must_enrol_again() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = Syncer::new(store.clone())?;
    syncer.sync_once(&()).await?;
    let device = SyncStatus::read(&store)?.device_id.context("device id")?;

    let admin = server.client("admin").await?;
    admin
        .post(&format!("/v1/admin/devices/{device}/revoke"), Value::Null)
        .await?;

    let err = syncer.sync_once(&()).await.expect_err("revoked");
    assert!(matches!(err, SyncError::DeviceRevoked), "{err}");
    drop(syncer);
    drop(store);
    assert_eq!(
        Store::state(
            dir.path(),
            &ecabinet_store::testing::test_config(),
            &SystemClock
        )?,
        StoreState::NoData
    );
    let left: Vec<_> = walk(dir.path());
    assert!(left.is_empty(), "nothing of the cache is left: {left:?}");
    Ok(())
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Collects what the live loop reports.
#[derive(Default)]
struct Events(std::sync::Mutex<Vec<ecabinet_sync::LiveEvent>>);

impl ProgressSink for Events {
    fn progress(&self, _: &Progress) {}
}

impl ecabinet_sync::LiveSink for Events {
    fn event(&self, e: &ecabinet_sync::LiveEvent) {
        self.0.lock().expect("events lock").push(e.clone());
    }
}

impl Events {
    fn count(&self, f: impl Fn(&ecabinet_sync::LiveEvent) -> bool) -> usize {
        self.0
            .lock()
            .expect("events lock")
            .iter()
            .filter(|e| f(e))
            .count()
    }
}

/// Polls `cond` every 50 ms for up to `secs` seconds.
async fn eventually(secs: u64, mut cond: impl FnMut() -> Result<bool>) -> Result<bool> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond()? {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_loop_pulls_when_the_feed_advances_and_rides_out_an_outage() -> Result<()> {
    use ecabinet_sync::LiveEvent;
    let mut server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = fast(Syncer::new(store.clone())?);
    let events = Arc::new(Events::default());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let live = {
        let (syncer, events) = (syncer.clone(), events.clone());
        tokio::spawn(async move {
            syncer
                .run_live(events.as_ref(), async move {
                    let _ = stop_rx.await;
                })
                .await
        })
    };

    // The first connection catches up with the whole feed.
    assert!(eventually(20, || Ok(SyncStatus::read(&store)?.verified_blobs > 0)).await?);
    let meeting = column(&store, "SELECT id FROM meeting ORDER BY starts_at")?
        .into_iter()
        .next()
        .context("meeting")?;

    // A change on the server arrives without anyone asking.
    let secretary = server.client("secretary").await?;
    let item = secretary
        .post(
            &format!("/v1/meetings/{meeting}/agenda"),
            serde_json::json!({"title": "Mục mới"}),
        )
        .await?;
    let item_id = item["id"].as_str().context("id")?.to_owned();
    assert!(
        eventually(10, || Ok(
            column(&store, "SELECT id FROM agenda_item")?.contains(&item_id)
        ))
        .await?,
        "the new item reached the device"
    );

    // The server goes away: the loop says offline and keeps trying.
    server.stop().await;
    assert!(
        eventually(10, || Ok(events
            .count(|e| matches!(e, LiveEvent::Offline(_)))
            > 0))
        .await?
    );
    server.restart().await?;
    let secretary = server.client("secretary").await?;
    let item = secretary
        .post(
            &format!("/v1/meetings/{meeting}/agenda"),
            serde_json::json!({"title": "Sau khi mất mạng"}),
        )
        .await?;
    let item_id = item["id"].as_str().context("id")?.to_owned();
    assert!(
        eventually(20, || Ok(
            column(&store, "SELECT id FROM agenda_item")?.contains(&item_id)
        ))
        .await?,
        "after the outage the loop reconnected and pulled by itself"
    );
    assert!(events.count(|e| matches!(e, LiveEvent::Online)) >= 2);

    let _ = stop_tx.send(());
    live.await??;
    Ok(())
}

const HOUR: i64 = 3_600_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_offline_lease_the_cache_stays_closed_until_a_sync_succeeds() -> Result<()> {
    let server = TestServer::start_with(ecabinet_server::Config {
        offline_lease_hours: Some(12),
        ..ecabinet_server::Config::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = fast(Syncer::new(store.clone())?);
    syncer.sync_once(&()).await?;

    // The policy came with the feed; the lease runs from the sync just made.
    let state = ecabinet_sync::lease_state(&store, 0)?;
    assert_eq!(state.hours, Some(12));
    let synced = state.since_ms.context("a successful sync is recorded")?;
    assert_eq!(state.expires_at_ms, Some(synced + 12 * HOUR));
    assert_eq!(SyncStatus::read(&store)?.lease.hours, Some(12));

    // Eleven hours offline: still opens.
    ecabinet_sync::ensure_open(&store, synced + 11 * HOUR)?;
    // Thirteen: refused, saying why.
    match ecabinet_sync::ensure_open(&store, synced + 13 * HOUR) {
        Err(e @ SyncError::LeaseExpired { .. }) => {
            assert!(
                matches!(e, SyncError::LeaseExpired { hours: 12, last_sync_ms: Some(t) } if t == synced),
                "{e:?}"
            );
            assert!(e.to_string().contains("12 h "), "{e}");
        }
        other => panic!("expected an expired lease, got {other:?}"),
    }
    // Setting the device clock back does not reopen it.
    assert!(matches!(
        ecabinet_sync::ensure_open(&store, synced + HOUR),
        Err(SyncError::LeaseExpired { .. })
    ));
    assert!(SyncStatus::read(&store)?.lease.expired);

    // The cache itself is intact, and a successful sync reopens it.
    assert!(store.cache_counts()?.meetings > 0);
    syncer.sync_once(&()).await?;
    let reopened = ecabinet_sync::ensure_open(
        &store,
        ecabinet_sync::lease_state(&store, 0)?
            .since_ms
            .context("sync recorded")?,
    )?;
    assert!(!reopened.expired);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_lease_policy_an_old_sync_still_opens() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    fast(Syncer::new(store.clone())?).sync_once(&()).await?;
    let state = ecabinet_sync::ensure_open(&store, i64::MAX / 2)?;
    assert_eq!(state.hours, None);
    assert_eq!(state.expires_at_ms, None);
    Ok(())
}

/// Which documents are part-way received at each progress event, and the
/// most at once.
#[derive(Default)]
struct InFlight {
    receiving: std::sync::Mutex<std::collections::HashSet<String>>,
    most: AtomicU64,
}

impl ProgressSink for InFlight {
    fn progress(&self, p: &Progress) {
        let mut receiving = self.receiving.lock().expect("lock");
        if p.document_done < p.document_total {
            receiving.insert(p.document_id.clone());
        } else {
            receiving.remove(&p.document_id);
        }
        self.most
            .fetch_max(receiving.len() as u64, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_received_at_most_the_concurrency_at_once_and_all_arrive() -> Result<()> {
    // While a received document is synced and recorded, the next one is
    // received in its place; more than `concurrency` responses are never
    // read at once.
    let server = TestServer::start().await?;
    let pdfs: Vec<Vec<u8>> = (0..8u64)
        .map(|i| pdf_of_size(3 * 1024 * 1024 + 1000 * i as usize, 100 + i))
        .collect();
    let expected: Vec<String> = pdfs.iter().map(|p| sha256_hex(p)).collect();
    let shas = publish_pack(
        &server,
        "Hồ sơ trình họp",
        pdfs.into_iter()
            .enumerate()
            .map(|(i, pdf)| (format!("Phụ lục {i}"), pdf)),
    )
    .await?
    .shas;
    assert_eq!(shas, expected, "the server names each upload by its hash");

    let dir = tempfile::tempdir()?;
    let store = enrol_member(&server, dir.path()).await?;
    let syncer = Syncer::new(store.clone())?.with_options(SyncOptions {
        concurrency: 2,
        ..SyncOptions::default()
    });
    let seen = InFlight::default();
    let report = syncer.sync_once(&seen).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(report.documents.interrupted(), 0, "{:?}", report.documents);
    let most = seen.most.load(Ordering::SeqCst);
    assert_eq!(
        most, 2,
        "documents part-way received at once (concurrency 2, 8 documents of 3 MB)"
    );
    assert!(seen.receiving.lock().expect("lock").is_empty());
    for sha in &shas {
        assert_eq!(&sha256_hex(&store.read_blob(sha)?), sha);
    }
    let status = SyncStatus::read(&store)?;
    assert_eq!(
        status.verified_blobs, status.document_versions,
        "{status:?}"
    );
    Ok(())
}
