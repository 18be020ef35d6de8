//! The `ecabinet` binary against a real sync server on 127.0.0.1.

use std::path::Path;
use std::process::Output;

mod docs;
mod kills;

use anyhow::{Context, Result};
use ecabinet_tests::TestServer;
use serde_json::Value;

pub(crate) const PIN: &str = "135790";

pub(crate) async fn ecabinet(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Output> {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ecabinet"));
    cmd.arg("--data-dir").arg(dir).args(args);
    cmd.env_remove("ECABINET_PIN")
        .env_remove("ECABINET_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(std::process::Stdio::null());
    Ok(cmd.output().await?)
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_sync_and_status_from_the_command_line() -> Result<()> {
    let server = TestServer::start().await?;
    let (user, password) = server.account("member")?;
    let dir = tempfile::tempdir()?;
    let url = server.url();

    let out = ecabinet(
        dir.path(),
        &["enrol", "--server", &url, "--user", &user],
        &[("ECABINET_PASSWORD", &password), ("ECABINET_PIN", PIN)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("enrolled"),
        "{}",
        text(&out)
    );

    let out = ecabinet(dir.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    // Not a terminal: plain lines, one per downloaded document.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("downloaded document"),
        "{}",
        text(&out)
    );

    let out = ecabinet(dir.path(), &["status", "--json"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    let status: Value = serde_json::from_slice(&out.stdout).context("status is JSON")?;
    assert!(status["cursor"].as_i64().context("cursor")? > 0);
    assert!(status["meetings"].as_u64().context("meetings")? >= 1);
    let versions = status["document_versions"].as_u64().context("versions")?;
    assert!(versions >= 3);
    assert_eq!(status["verified_blobs"].as_u64(), Some(versions));
    assert_eq!(status["pending_outbox"].as_u64(), Some(0));
    assert_eq!(status["username"].as_str(), Some(user.as_str()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_one_clear_line_and_a_failure_code() -> Result<()> {
    let server = TestServer::start().await?;
    let (user, password) = server.account("member")?;
    let dir = tempfile::tempdir()?;

    // No PIN and no terminal to ask on.
    let out = ecabinet(dir.path(), &["status", "--json"], &[]).await?;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ECABINET_PIN"),
        "{}",
        text(&out)
    );

    // Nothing enrolled yet.
    let out = ecabinet(dir.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("enrol"),
        "{}",
        text(&out)
    );

    // A wrong password leaves nothing behind.
    let out = ecabinet(
        dir.path(),
        &["enrol", "--server", &server.url(), "--user", &user],
        &[
            ("ECABINET_PASSWORD", "not-the-password"),
            ("ECABINET_PIN", PIN),
        ],
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_dir(dir.path())?.count(),
        0,
        "no files after a refused login"
    );

    // Enrol properly, then a wrong PIN is refused with attempts left.
    let out = ecabinet(
        dir.path(),
        &["enrol", "--server", &server.url(), "--user", &user],
        &[("ECABINET_PASSWORD", &password), ("ECABINET_PIN", PIN)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(dir.path(), &["status"], &[("ECABINET_PIN", "000000")]).await?;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wrong PIN") && err.contains("attempts left"),
        "{}",
        text(&out)
    );
    assert_eq!(err.lines().count(), 1, "{}", text(&out));
    Ok(())
}
