//! Kills during unlock, through the real binary: an attempt killed while
//! Argon2 runs lengthens the wait but never counts toward the wipe.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ecabinet_tests::TestServer;
use serde_json::Value;

use crate::{ecabinet, text, PIN};

const KILLS: u64 = 10;

fn key_file(dir: &Path) -> Result<Value> {
    Ok(serde_json::from_slice(&std::fs::read(
        dir.join("keys.json"),
    )?)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_kills_during_unlock_do_not_wipe_and_the_right_pin_still_unlocks() -> Result<()> {
    let server = TestServer::start().await?;
    let (user, password) = server.account("member")?;
    let dir = tempfile::tempdir()?;
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
    assert_eq!(key_file(dir.path())?["binding"], "os_keystore");

    for kill in 0..KILLS {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet"))
            .arg("--data-dir")
            .arg(dir.path())
            .arg("status")
            .env("ECABINET_PIN", PIN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        // This attempt is marked in progress (after counting the earlier
        // kills) right before Argon2 starts.
        loop {
            let kf = key_file(dir.path())?;
            if kf["attempt_in_progress"] == true && kf["interrupted_attempts"] == kill {
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!("kill {kill}: the unlock finished before the kill ({status})");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill()?;
        child.wait()?;
    }
    let kf = key_file(dir.path())?;
    assert_eq!(kf["failed_attempts"], 0, "{kf}");
    assert_eq!(kf["interrupted_attempts"], KILLS - 1, "{kf}");

    // A wrong PIN now is the first wrong PIN: it waits for the kills, then
    // counts once, and wipes nothing.
    let started = Instant::now();
    let out = ecabinet(dir.path(), &["status"], &[("ECABINET_PIN", "000000")]).await?;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains(&format!("waiting {KILLS} s")) && err.contains("9 attempts left"),
        "{}",
        text(&out)
    );
    assert!(started.elapsed() >= Duration::from_secs(KILLS));

    // And the right PIN still unlocks, after its wait.
    let started = Instant::now();
    let out = ecabinet(dir.path(), &["status", "--json"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(started.elapsed() >= Duration::from_secs(KILLS + 1));
    let status: Value = serde_json::from_slice(&out.stdout).context("status is JSON")?;
    assert_eq!(status["username"].as_str(), Some(user.as_str()));
    let kf = key_file(dir.path())?;
    assert_eq!(
        (&kf["failed_attempts"], &kf["interrupted_attempts"]),
        (&Value::from(0), &Value::from(0)),
        "{kf}"
    );
    Ok(())
}
