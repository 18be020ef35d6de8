//! The `ecabinet` binary against a real sync server on 127.0.0.1.

use std::path::Path;
use std::process::Output;

mod comments;
mod docs;
mod follow;
mod kills;
mod sessions;
mod sign;
mod transport;
mod unlock;
mod upload;

use anyhow::{Context, Result};
use ecabinet_tests::TestServer;
use serde_json::Value;

pub(crate) const PIN: &str = "135790";

pub(crate) async fn ecabinet(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Output> {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ecabinet"));
    cmd.arg("--data-dir").arg(dir).args(args);
    cmd.env_remove("ECABINET_PIN")
        .env_remove("ECABINET_PASSWORD")
        .env_remove("ECABINET_ENROL_CODE")
        .env_remove("ECABINET_NEW_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(std::process::Stdio::null());
    Ok(cmd.output().await?)
}

/// Enrols this data directory for the first seeded account with `role`.
pub(crate) async fn enrol_as(server: &TestServer, role: &str, dir: &Path) -> Result<()> {
    let (user, password) = server.account(role)?;
    let out = ecabinet(
        dir,
        &[
            "enrol",
            "--server",
            &server.url(),
            "--user",
            &user,
            "--server-fingerprint",
            &server.fingerprint(),
        ],
        &[
            ("ECABINET_PASSWORD", password.as_str()),
            ("ECABINET_PIN", PIN),
        ],
    )
    .await?;
    anyhow::ensure!(out.status.success(), "enrol failed: {}", text(&out));
    Ok(())
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
        &[
            "enrol",
            "--server",
            &url,
            "--user",
            &user,
            "--server-fingerprint",
            &server.fingerprint(),
        ],
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
        &[
            "enrol",
            "--server",
            &server.url(),
            "--user",
            &user,
            "--server-fingerprint",
            &server.fingerprint(),
        ],
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
        &[
            "enrol",
            "--server",
            &server.url(),
            "--user",
            &user,
            "--server-fingerprint",
            &server.fingerprint(),
        ],
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_offline_lease_documents_stay_closed_until_sync() -> Result<()> {
    let server = TestServer::start_with(ecabinet_server::Config {
        offline_lease_hours: Some(1),
        ..ecabinet_server::Config::default()
    })
    .await?;
    let (user, password) = server.account("member")?;
    let dir = tempfile::tempdir()?;
    let pin = [("ECABINET_PIN", PIN)];
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
        &[("ECABINET_PASSWORD", &password), ("ECABINET_PIN", PIN)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(dir.path(), &["sync"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(dir.path(), &["documents", "--json"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));

    // The device was last in touch two hours ago (the names are the sync
    // client's lease records in the encrypted store).
    {
        let store = ecabinet_store::Store::open(
            dir.path(),
            PIN,
            &ecabinet_store::StoreConfig::default(),
            &ecabinet_store::SystemClock,
        )?;
        let two_hours_ago = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as i64
            - 2 * 3_600_000)
            .to_string();
        store.set_settings(&[
            ("sync.last_success_ms", &two_hours_ago),
            ("lease.enrolled_ms", &two_hours_ago),
            ("lease.high_water_ms", &two_hours_ago),
        ])?;
    }

    for args in [
        &["documents", "--json"][..],
        &["search", "ngân sách"][..],
        &["motions", "--json"][..],
    ] {
        let out = ecabinet(dir.path(), args, &pin).await?;
        assert!(!out.status.success(), "{args:?} opened: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("has not synced for more than 1 h") && err.contains("sync"),
            "{}",
            text(&out)
        );
        assert!(
            out.stdout.is_empty(),
            "nothing of the cache is shown: {}",
            text(&out)
        );
    }
    let out = ecabinet(dir.path(), &["status", "--json"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let status: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        status["lease"]["expired"],
        Value::Bool(true),
        "{}",
        text(&out)
    );
    assert_eq!(status["lease"]["hours"].as_u64(), Some(1));

    // Syncing is the way out.
    let out = ecabinet(dir.path(), &["sync"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(dir.path(), &["documents", "--json"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let docs: Value = serde_json::from_slice(&out.stdout)?;
    assert!(!docs.as_array().context("list")?.is_empty());
    Ok(())
}
