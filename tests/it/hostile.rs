//! A hostile or broken server cannot exhaust the sync client (issue 15): a
//! small raw-TCP server inside each test plays the hostile server — endless
//! answers, a feed cursor that never advances, an event that never ends —
//! and the client stops with a typed error instead of growing or looping.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use ecabinet_sync::{Api, LiveEvent, LiveSink, Progress, ProgressSink, Session, SyncError, Syncer};
use ecabinet_tests::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The key the fake device pinned (32 bytes of 7) and its base64, which the
/// hostile feed carries so that only the behaviour under test differs.
const PINNED: [u8; 32] = [7; 32];
const PINNED_B64: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// What the hostile server does with one request (given its request line).
#[derive(Clone, Copy)]
enum Behaviour {
    /// 200 with a body that never ends (no length, bytes until the client leaves).
    EndlessBody,
    /// A valid feed page that says more follows, with the cursor unchanged.
    StuckCursor,
    /// An event stream whose first event never ends.
    EndlessEvent,
}

/// Serves `behaviour` on a loopback port; counts requests.
async fn hostile(behaviour: Behaviour) -> Result<(String, Arc<AtomicUsize>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let requests = Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(answer(sock, behaviour));
        }
    });
    Ok((url, requests))
}

async fn answer(mut sock: TcpStream, behaviour: Behaviour) {
    // Read the request head (the tests' requests have no body worth reading).
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    match behaviour {
        Behaviour::EndlessBody => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[")
                .await;
            let filler = vec![b' '; 1 << 20];
            while sock.write_all(&filler).await.is_ok() {}
        }
        Behaviour::StuckCursor => {
            let since: i64 = line
                .split("since=")
                .nth(1)
                .and_then(|s| s.split(['&', ' ']).next())
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let body = serde_json::json!({
                "changes": [],
                "next_since": since,
                "has_more": true,
                "server_time": 1_790_000_000_000i64,
                "signing_key": PINNED_B64,
            })
            .to_string();
            let _ = sock
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
        Behaviour::EndlessEvent => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\nevent: feed\ndata: ")
                .await;
            let filler = vec![b'x'; 64 << 10];
            while sock.write_all(&filler).await.is_ok() {}
        }
    }
}

/// A device enrolled with the real server, then pointed at the hostile one
/// at `url` (which carries the key pinned here).
async fn device(dir: &Path, url: &str) -> Result<Syncer> {
    let server = TestServer::start().await?;
    let store = server.enrol("member", dir).await?;
    let mut session = Session::load(&store)?.context("enrolled session")?;
    session.server_url = url.to_owned();
    session.save(&store)?;
    store.set_manifest_key(&PINNED)?;
    Ok(Syncer::new(store)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_feed_page_is_refused_at_the_cap() -> Result<()> {
    let (url, _) = hostile(Behaviour::EndlessBody).await?;
    let dir = tempfile::tempdir()?;
    let syncer = device(dir.path(), &url).await?;
    let result = tokio::time::timeout(Duration::from_secs(60), syncer.pull()).await?;
    match result {
        Err(SyncError::ResponseTooLarge { what, limit }) => {
            assert_eq!(what, "feed page");
            assert!(limit <= 64 << 20, "{limit}");
        }
        other => panic!("not refused as too large: {other:?}"),
    }
    assert_eq!(syncer.store().cursor()?, 0, "nothing of it was applied");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_json_answer_is_refused_at_the_cap() -> Result<()> {
    let (url, _) = hostile(Behaviour::EndlessBody).await?;
    let api = Api::anonymous(&url, None)?;
    let result =
        tokio::time::timeout(Duration::from_secs(60), api.login("member", "secret")).await?;
    match result {
        Err(e @ SyncError::ResponseTooLarge { .. }) => {
            assert!(e.to_string().contains("too large"), "{e}");
        }
        other => panic!("not refused as too large: {other:?}"),
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_cursor_that_does_not_advance_is_refused_not_looped() -> Result<()> {
    let (url, requests) = hostile(Behaviour::StuckCursor).await?;
    let dir = tempfile::tempdir()?;
    let syncer = device(dir.path(), &url).await?;
    let result = tokio::time::timeout(Duration::from_secs(20), syncer.pull())
        .await
        .map_err(|_| anyhow::anyhow!("the pull looped on a cursor that does not advance"))?;
    match result {
        Err(SyncError::Protocol(m)) => assert!(m.contains("did not advance"), "{m}"),
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "asked once, not again and again"
    );
    Ok(())
}

#[derive(Default)]
struct Events(Mutex<Vec<LiveEvent>>);

impl ProgressSink for Events {
    fn progress(&self, _: &Progress) {}
}

impl LiveSink for Events {
    fn event(&self, e: &LiveEvent) {
        if let Ok(mut v) = self.0.lock() {
            v.push(e.clone());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_never_ends_is_cut_at_the_cap() -> Result<()> {
    let (url, _) = hostile(Behaviour::EndlessEvent).await?;
    let dir = tempfile::tempdir()?;
    let syncer = device(dir.path(), &url).await?;
    let events = Events::default();
    let cut = || {
        events.0.lock().is_ok_and(|v| {
            v.iter()
                .any(|e| matches!(e, LiveEvent::Failed(m) if m.contains("too large")))
        })
    };
    let stop = async {
        for _ in 0..600 {
            if cut() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    syncer.run_live(&events, stop).await?;
    assert!(
        cut(),
        "the endless event was not cut: {:?}",
        events.0.lock().map(|v| v.clone())
    );
    Ok(())
}
