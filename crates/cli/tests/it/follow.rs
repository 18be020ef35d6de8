//! `ecabinet follow` / `present` (issue 20): a member's device follows the
//! chair's presentation live, each page as the chair turns it; a device
//! that joins late lands on the current page; stopping is seen too.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use ecabinet_protocol::MeetingStatus;
use ecabinet_tests::TestServer;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::{ecabinet, enrol_as, text, PIN};

/// A published version of `meeting` on the device in `dir`.
async fn a_version_of(dir: &std::path::Path, meeting: &str) -> Result<String> {
    let out = ecabinet(dir, &["documents", "--json"], &[("ECABINET_PIN", PIN)]).await?;
    anyhow::ensure!(out.status.success(), "{}", text(&out));
    let docs: Value = serde_json::from_slice(&out.stdout)?;
    docs.as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["versions"].as_array().cloned().unwrap_or_default())
        .find(|v| v["meeting_id"] == json!(meeting) && v["verified"] == json!(true))
        .and_then(|v| v["version_id"].as_str().map(str::to_owned))
        .context("a verified version of the meeting")
}

/// The next position a follower prints (within 20 s).
async fn next_position(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> Result<Value> {
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .context("no position within 20 s")??
        .context("the follower ended")?;
    Ok(serde_json::from_str(&line)?)
}

fn follower(dir: &std::path::Path, meeting: &str, count: u32) -> Result<tokio::process::Child> {
    Ok(tokio::process::Command::new(env!("CARGO_BIN_EXE_ecabinet"))
        .arg("--data-dir")
        .arg(dir)
        .args(["follow", meeting, "--json", "--count", &count.to_string()])
        .env("ECABINET_PIN", PIN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_follows_the_chairs_pages_live_and_a_late_device_lands_on_the_current_one(
) -> Result<()> {
    let server = TestServer::start().await?;
    let (chair_dir, member_dir, late_dir) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );
    enrol_as(&server, "chair", chair_dir.path()).await?;
    enrol_as(&server, "member", member_dir.path()).await?;
    let pin = [("ECABINET_PIN", PIN)];
    for dir in [chair_dir.path(), member_dir.path()] {
        let out = ecabinet(dir, &["sync"], &pin).await?;
        anyhow::ensure!(out.status.success(), "{}", text(&out));
    }
    let meeting = server
        .seed
        .meetings
        .iter()
        .find(|m| m.status == MeetingStatus::InSession)
        .context("the demo meeting in session")?
        .id
        .clone();
    let version = a_version_of(chair_dir.path(), &meeting).await?;

    let mut child = follower(member_dir.path(), &meeting, 4)?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    // The chair turns three pages; the member's device prints each.
    for page in 1..=3u32 {
        let out = ecabinet(
            chair_dir.path(),
            &[
                "present",
                &meeting,
                "--version-id",
                &version,
                "--page",
                &page.to_string(),
            ],
            &pin,
        )
        .await?;
        anyhow::ensure!(out.status.success(), "{}", text(&out));
        let seen = next_position(&mut lines).await?;
        assert_eq!(seen["page"], json!(page - 1), "{seen}");
        assert_eq!(seen["version_id"], json!(version));
        assert!(
            seen["presenter_name"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
            "{seen}"
        );
        assert!(seen["received_at"].as_i64().is_some());
    }

    // A device enrolled now lands on the current page.
    enrol_as(&server, "member", late_dir.path()).await?;
    let mut late = follower(late_dir.path(), &meeting, 1)?;
    let out = tokio::time::timeout(Duration::from_secs(30), async {
        let mut stdout = String::new();
        tokio::io::AsyncReadExt::read_to_string(
            late.stdout.as_mut().context("stdout")?,
            &mut stdout,
        )
        .await?;
        Ok::<String, anyhow::Error>(stdout)
    })
    .await
    .context("the late device printed nothing within 30 s")??;
    let first: Value = serde_json::from_str(out.lines().next().context("a position")?)?;
    assert_eq!(first["page"], json!(2), "{first}");

    // Stopped: the follower says so, then ends (its count reached).
    let out = ecabinet(chair_dir.path(), &["present", &meeting, "--stop"], &pin).await?;
    anyhow::ensure!(out.status.success(), "{}", text(&out));
    let stopped = next_position(&mut lines).await?;
    assert_eq!(stopped["version_id"], Value::Null, "{stopped}");
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await??;
    assert!(status.success());

    // A member cannot present: one clear line.
    let out = ecabinet(
        member_dir.path(),
        &["present", &meeting, "--version-id", &version, "--page", "1"],
        &pin,
    )
    .await?;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("presenter"),
        "{}",
        text(&out)
    );
    Ok(())
}
