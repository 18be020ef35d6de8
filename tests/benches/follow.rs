//! Presenter follow mode (issue 20): from the presenter's page turn to the
//! page being known on every follower's device, with real clients — each
//! follower a device of its own (enrolled, its own SQLCipher cache, its own
//! live event stream and sync, as the app and `ecabinet follow` run them)
//! against the real server on loopback.
//!
//! For each turn: the time until the *last* of the followers has the new
//! page in its cache (the goal: ≤ 300 ms with 50 followers), shown beside
//! the median and the fastest follower of the same turns.
//!
//! `cargo bench -p ecabinet-tests --bench follow`; `BENCH_FOLLOWERS=n`
//! `BENCH_TURNS=t` change the crowd and the turns.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use ecabinet_benchkit::{Goal, Row};
use ecabinet_sync::presenting::{present, presentation_of};
use ecabinet_sync::{LiveEvent, LiveSink, Progress, ProgressSink};
use ecabinet_tests::{api_of, syncer, TestServer};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// When each follower first had each step in its cache.
#[derive(Default)]
struct Seen {
    at: Mutex<HashMap<(usize, i64), Instant>>,
    online: Mutex<usize>,
}

struct Follower {
    index: usize,
    store: Arc<ecabinet_store::Store>,
    meeting: String,
    seen: Arc<Seen>,
}

impl ProgressSink for Follower {
    fn progress(&self, _: &Progress) {}
}

impl LiveSink for Follower {
    fn event(&self, e: &LiveEvent) {
        match e {
            LiveEvent::Online => *self.seen.online.lock().unwrap_or_else(|p| p.into_inner()) += 1,
            LiveEvent::Synced(_) => {
                if let Ok(Some(p)) = presentation_of(&self.store, &self.meeting) {
                    let now = Instant::now();
                    self.seen
                        .at
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry((self.index, p.step))
                        .or_insert(now);
                }
            }
            _ => {}
        }
    }
}

fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> Result<()> {
    let followers = env_usize("BENCH_FOLLOWERS", 50);
    let turns = env_usize("BENCH_TURNS", 20);
    let server = TestServer::start().await?;
    let meeting = server
        .seed
        .meetings
        .iter()
        .find(|m| m.status.as_str() == "in_session")
        .context("the demo meeting in session")?
        .id
        .clone();
    // A published version of it, as the feed says.
    let secretary = server.client("secretary").await?;
    let feed = secretary.get("/v1/changes?since=0&limit=5000").await?;
    let version = feed["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            c["entity"] == "document_version"
                && c["body"]["meeting_id"] == serde_json::json!(meeting)
                && c["body"]["published"] == serde_json::json!(true)
        })
        .and_then(|c| c["id"].as_str())
        .context("a published version")?
        .to_owned();

    let chair_dir = tempfile::tempdir()?;
    let chair_store = server.enrol("chair", chair_dir.path()).await?;
    let chair = api_of(&chair_store)?;

    eprintln!("enrolling {followers} follower devices…");
    let seen = Arc::new(Seen::default());
    let mut dirs = Vec::new();
    let mut tasks = Vec::new();
    for index in 0..followers {
        let dir = tempfile::tempdir()?;
        let store = server.enrol("member", dir.path()).await?;
        dirs.push(dir);
        let s = syncer(&store)?;
        s.sync_once(&()).await?;
        let follower = Follower {
            index,
            store,
            meeting: meeting.clone(),
            seen: seen.clone(),
        };
        tasks.push(tokio::spawn(async move {
            let _ = s.run_live(&follower, std::future::pending::<()>()).await;
        }));
    }
    let ready = Instant::now();
    while *seen.online.lock().unwrap_or_else(|p| p.into_inner()) < followers {
        anyhow::ensure!(
            ready.elapsed() < Duration::from_secs(30),
            "followers did not all connect"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (mut last, mut median, mut fastest) = (Vec::new(), Vec::new(), Vec::new());
    // One turn to warm up, then the measured ones.
    for turn in 0..=turns {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let sent = Instant::now();
        let p = present(&chair, &meeting, &version, (turn % 5) as u32, None).await?;
        let deadline = sent + Duration::from_secs(10);
        let times: Vec<f64> = loop {
            let got: Vec<f64> = {
                let at = seen.at.lock().unwrap_or_else(|p| p.into_inner());
                (0..followers)
                    .filter_map(|i| {
                        at.get(&(i, p.step))
                            .map(|t| t.duration_since(sent).as_secs_f64() * 1e3)
                    })
                    .collect()
            };
            if got.len() == followers {
                break got;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "turn {turn}: {} of {followers} followers in 10 s",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        if turn == 0 {
            continue;
        }
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        last.push(sorted[sorted.len() - 1]);
        median.push(sorted[sorted.len() / 2]);
        fastest.push(sorted[0]);
    }
    for t in tasks {
        t.abort();
    }
    let mid = |v: &[f64]| ecabinet_benchkit::Spread::of(v).map_or(f64::NAN, |s| s.median);
    Row::repeated(
        "Live session",
        &format!(
            "presenter's page turn → page known on the last of {followers} followers (loopback)"
        ),
        &last,
        "ms",
        Goal::AtMost,
        300.0,
    )
    .detail(format!(
        "median of {turns} turns: last follower {} ms · median follower {} ms · fastest {} ms",
        ecabinet_benchkit::trim(mid(&last)),
        ecabinet_benchkit::trim(mid(&median)),
        ecabinet_benchkit::trim(mid(&fastest)),
    ))
    .emit();
    drop(dirs);
    Ok(())
}
