//! Sync benchmark, side by side with curl on the same blobs and concurrency:
//!
//! - initial sync of a pack of PDFs (default 200 × 5 MiB ≈ 1 GiB) from the real
//!   server on loopback: ours (pull + verify + encrypted, resumable download)
//!   vs `curl --parallel` fetching the same blobs into files. Before each
//!   run the page cache is flushed and dropped (as root), and each side is
//!   timed until its files are on disk, so the disk's state does not decide
//!   the ratio;
//! - a one-item delta sync: time and feed bytes.
//!
//! `cargo bench -p ecabinet-tests --bench sync`; `BENCH_DOCS=n BENCH_MB=m REPS=r`
//! change the pack and the repetitions.

use std::time::Instant;

use anyhow::{Context, Result};
use ecabinet_benchkit::{Goal, Row};
use ecabinet_store::testing::test_config;
use ecabinet_sync::{enrol, EnrolRequest, ServerCheck, Session, SyncOptions, Syncer};
use ecabinet_tests::{pdf_of_size, publish_pack, TestServer};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// The page cache's state before a timed run: everything written so far
/// flushed, the cache dropped when the kernel lets us (root), and the dirty
/// and in-writeback memory left, so neither side starts with the other's
/// writes still pending or its blobs still cached.
struct IoState {
    dropped: bool,
    dirty_kb: u64,
}

fn settle_io() -> Result<IoState> {
    ecabinet_benchkit::flush_disk(None)?;
    let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3\n").is_ok();
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    let dirty_kb = meminfo
        .lines()
        .filter(|l| l.starts_with("Dirty:") || l.starts_with("Writeback:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    Ok(IoState { dropped, dirty_kb })
}

fn main() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> Result<()> {
    let docs = env_usize("BENCH_DOCS", 200);
    let mb = env_usize("BENCH_MB", 5);
    let reps = env_usize("REPS", 3);
    const CONCURRENCY: usize = 4;

    let server = TestServer::start().await?;
    let secretary = server.client("secretary").await?;
    let mut total = 0u64;
    let pack = publish_pack(
        &server,
        "Bench pack",
        (0..docs).map(|i| {
            let pdf = pdf_of_size(mb * 1024 * 1024, i as u64 + 1);
            total += pdf.len() as u64;
            (format!("Tài liệu {i}"), pdf)
        }),
    )
    .await?;
    let (meeting, shas) = (pack.meeting, pack.shas);
    println!(
        "pack: {docs} PDFs, {:.0} MB in all; concurrency {CONCURRENCY}; {reps} alternating repetitions",
        total as f64 / 1e6
    );

    let (user, password) = server.account("member")?;
    let mut ours = Vec::new();
    let mut curl = Vec::new();
    let mut states = Vec::new();
    for _ in 0..reps {
        // Ours: a fresh device, enrol (not timed), then the full initial sync.
        let dir = tempfile::tempdir()?;
        let store = std::sync::Arc::new(
            enrol(EnrolRequest {
                data_dir: dir.path(),
                server_url: &server.url(),
                ca_cert: None,
                username: &user,
                password: &password,
                pin: "123456",
                device_name: "bench",
                server_check: ServerCheck::Fingerprint(&server.fingerprint()),
                config: &test_config(),
            })
            .await?,
        );
        let syncer = Syncer::new(store.clone())?.with_options(SyncOptions {
            concurrency: CONCURRENCY,
            ..SyncOptions::default()
        });
        states.push(settle_io()?);
        let t = Instant::now();
        let report = syncer.sync_once(&()).await?;
        // Each side is timed until its bytes are on disk. Ours writes durably
        // already (fsync per file), so this costs it little; curl leaves its
        // files in the page cache.
        ecabinet_benchkit::flush_disk(Some(dir.path()))?;
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(report.documents.rejected() == 0 && report.documents.interrupted() == 0);
        ours.push(report.documents.bytes_downloaded() as f64 / secs / 1e6);

        // curl: the same blobs with the same credentials and concurrency, into files.
        let session = Session::load(&store)?.context("session")?;
        let out = tempfile::tempdir()?;
        let mut args = vec![
            "--silent".to_owned(),
            "--no-progress-meter".to_owned(),
            "--fail".to_owned(),
            "--parallel".to_owned(),
            "--parallel-max".to_owned(),
            CONCURRENCY.to_string(),
            "-H".to_owned(),
            format!("Authorization: Bearer {}", session.token),
            "-H".to_owned(),
            format!("x-device-id: {}", session.device_id),
        ];
        for sha in &shas {
            args.push("-o".to_owned());
            args.push(out.path().join(sha).display().to_string());
            args.push(format!("{}/v1/blobs/{sha}", server.url()));
        }
        states.push(settle_io()?);
        let t = Instant::now();
        let status = tokio::process::Command::new("curl")
            .args(&args)
            .status()
            .await?;
        ecabinet_benchkit::flush_disk(Some(out.path()))?;
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(status.success(), "curl failed");
        curl.push(total as f64 / secs / 1e6);
        drop(syncer);
        drop(store);
    }
    let (o, c) = (median(&mut ours.clone()), median(&mut curl.clone()));
    let ratios: Vec<f64> = ours.iter().zip(&curl).map(|(o, c)| o / c).collect();
    let dropped = states.iter().all(|s| s.dropped);
    let dirty_mb = states.iter().map(|s| s.dirty_kb).max().unwrap_or(0) as f64 / 1024.0;
    println!(
        "initial sync: ours {o:.0} MB/s (runs {ours:.0?}), curl {c:.0} MB/s (runs {curl:.0?}); page cache dropped before each run: {dropped}; dirty + writeback before a run at most {dirty_mb:.1} MB"
    );
    Row::repeated(
        "Sync",
        &format!(
            "Initial sync of {docs} PDFs, {:.2} GB, loopback: ours vs curl --parallel {CONCURRENCY}",
            total as f64 / 1e9
        ),
        &ratios,
        "× curl",
        Goal::AtLeast,
        0.8,
    )
    .detail(format!(
        "ours {o:.0} MB/s (pull + signature check + encrypted resumable download + SHA-256) · curl {c:.0} MB/s (blobs to files); both timed until their files are on disk (syncfs), same file system; before each run: sync, page cache {}, dirty + writeback ≤ {dirty_mb:.1} MB; ratio per alternating pair",
        if dropped { "dropped" } else { "NOT dropped (not root)" }
    ))
    .emit();

    // One-item delta.
    let dir = tempfile::tempdir()?;
    let store = std::sync::Arc::new(
        enrol(EnrolRequest {
            data_dir: dir.path(),
            server_url: &server.url(),
            ca_cert: None,
            username: &user,
            password: &password,
            pin: "123456",
            device_name: "bench-delta",
            server_check: ServerCheck::Fingerprint(&server.fingerprint()),
            config: &test_config(),
        })
        .await?,
    );
    let syncer = Syncer::new(store.clone())?;
    syncer.sync_once(&()).await?;
    let mut times = Vec::new();
    let mut bytes = 0usize;
    for i in 0..5 {
        secretary
            .post(
                &format!("/v1/meetings/{meeting}/agenda"),
                serde_json::json!({"title": format!("Mục bổ sung {i}")}),
            )
            .await?;
        let cursor = store.cursor()?;
        // What the delta pull transfers: the feed page after our cursor.
        let session = Session::load(&store)?.context("session")?;
        let body = reqwest::Client::new()
            .get(format!(
                "{}/v1/changes?since={cursor}&limit=500",
                server.url()
            ))
            .bearer_auth(&session.token)
            .header("x-device-id", &session.device_id)
            .send()
            .await?
            .bytes()
            .await?;
        bytes = body.len();
        let t = Instant::now();
        let r = syncer.sync_once(&()).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(r.pull.changes >= 1);
        anyhow::ensure!(
            r.documents.bytes_downloaded() == 0,
            "a one-item delta downloaded documents"
        );
    }
    Row::repeated(
        "Sync",
        "One-item delta sync (new agenda item): time",
        &times,
        "ms",
        Goal::AtMost,
        // The issue asks for the figure; a delta well under a tenth of a
        // second keeps live updates instant.
        100.0,
    )
    .detail(format!(
        "feed page {bytes} bytes; no document re-downloaded (checked)"
    ))
    .emit();
    Ok(())
}
