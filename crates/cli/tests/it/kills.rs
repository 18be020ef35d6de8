//! Kill the client with SIGKILL at seeded random moments of a sync, many
//! times; afterwards the cache must equal the server's view, every document
//! verified, and no queued operation lost or applied twice.

use std::time::Duration;

use tokio::io::AsyncBufReadExt;

use anyhow::{Context, Result};
use ecabinet_tests::{pdf_of_size, publish_pack, Pack, TestServer};
use serde_json::Value;

use crate::{ecabinet, text, PIN};

const KILLS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_seeded_kills_during_sync_lose_and_duplicate_nothing() -> Result<()> {
    let server = TestServer::start().await?;
    let (user, password) = server.account("member")?;

    // Something to download from the start: 16 × 3 MB.
    let secretary = server.client("secretary").await?;
    let Pack { meeting, item, .. } = publish_pack(
        &server,
        "Phụ lục",
        (0..16).map(|i| (format!("Phụ lục {i}"), pdf_of_size(3_000_000, i + 100))),
    )
    .await?;

    let dir = tempfile::tempdir()?;
    let env = [
        ("ECABINET_PASSWORD", password.as_str()),
        ("ECABINET_PIN", PIN),
    ];
    let out = ecabinet(
        dir.path(),
        &[
            "enrol",
            "--server",
            &server.url(),
            "--user",
            &user,
            "--server-fingerprint",
            &server.fingerprint(),
        ],
        &env,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));

    // A ballot waits in the outbox while the kills happen.
    let out = ecabinet(dir.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    let motion = server.seed.written_consultation_id.clone();
    let out = ecabinet(
        dir.path(),
        &["vote", &motion, "Đồng ý"],
        &[("ECABINET_PIN", PIN)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));

    let mut x: u64 = 0x00c0_ffee;
    let mut kills = 0;
    let mut round = 0u64;
    while kills < KILLS {
        round += 1;
        assert!(
            round <= 10 * KILLS as u64,
            "only {kills} kills landed in {round} rounds"
        );
        // New work on the server every round, so every sync has something to do.
        let doc = secretary
            .post(
                &format!("/v1/agenda/{item}/documents"),
                serde_json::json!({"title": format!("Bổ sung {round}")}),
            )
            .await?;
        secretary
            .upload_pdf(
                doc["id"].as_str().context("doc")?,
                pdf_of_size(6_000_000, 1000 + round),
            )
            .await?;
        secretary
            .post(&format!("/v1/meetings/{meeting}/publish"), Value::Null)
            .await?;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Kill somewhere in the sync, after the unlock: a process killed while
        // checking the PIN counts as a failed attempt, by design (otherwise
        // killing it would be a way around the wrong-PIN delay).
        let after = Duration::from_millis(x % 150);
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ecabinet"))
            .arg("--data-dir")
            .arg(dir.path())
            .arg("sync")
            .env("ECABINET_PIN", PIN)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().context("stderr")?;
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        while let Some(line) = lines.next_line().await? {
            if line.starts_with("syncing with") {
                break;
            }
        }
        // Keep draining so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        tokio::select! {
            _ = child.wait() => {}
            _ = tokio::time::sleep(after) => {
                child.start_kill()?; // SIGKILL
                child.wait().await?;
                kills += 1;
            }
        }
        // After every kill the cache opens and reports a consistent state.
        let out = ecabinet(dir.path(), &["status", "--json"], &[("ECABINET_PIN", PIN)]).await?;
        assert!(
            out.status.success(),
            "store unreadable after a kill: {}",
            text(&out)
        );
    }

    // A clean run completes from wherever the kills left it.
    let out = ecabinet(dir.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(dir.path(), &["status", "--json"], &[("ECABINET_PIN", PIN)]).await?;
    let status: Value = serde_json::from_slice(&out.stdout)?;
    let versions = status["document_versions"].as_u64().context("versions")?;
    assert!(versions >= 16 + 3);
    assert_eq!(
        status["verified_blobs"].as_u64(),
        Some(versions),
        "{status}"
    );
    assert_eq!(status["document_errors"], serde_json::json!([]), "{status}");

    // The ballot was applied exactly once, and the device knows it.
    let ballots = status["ballots"].as_array().context("ballots")?;
    assert_eq!(ballots.len(), 1, "{status}");
    assert_eq!(ballots[0]["state"], "accepted", "{status}");
    let chair = server.client("chair").await?;
    let result = chair.get(&format!("/v1/motions/{motion}/result")).await?;
    assert_eq!(result["participating"].as_u64(), Some(1), "{result}");

    // The cache's cursor is the server's head: nothing missing, nothing extra.
    let fresh = tempfile::tempdir()?;
    let out = ecabinet(
        fresh.path(),
        &[
            "enrol",
            "--server",
            &server.url(),
            "--user",
            &user,
            "--server-fingerprint",
            &server.fingerprint(),
        ],
        &env,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(fresh.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(
        fresh.path(),
        &["status", "--json"],
        &[("ECABINET_PIN", PIN)],
    )
    .await?;
    let reference: Value = serde_json::from_slice(&out.stdout)?;
    for field in [
        "cursor",
        "meetings",
        "documents",
        "document_versions",
        "verified_blobs",
    ] {
        assert_eq!(
            status[field], reference[field],
            "{field}: killed {status} vs fresh {reference}"
        );
    }
    Ok(())
}
