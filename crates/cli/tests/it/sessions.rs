//! Short-lived access tokens through the real binaries: `ecabinet` renews an
//! expired token with its device key without asking anything, and after its
//! session has ended `ecabinet login` asks only for the password — no new
//! enrolment, and the ballot waiting in the outbox is still sent.

use std::time::Duration;

use anyhow::{Context, Result};
use ecabinet_tests::{ApiClient, TestServer};
use serde_json::Value;

use crate::{ecabinet, enrol_as, text, PIN};

async fn pending(dir: &std::path::Path) -> Result<u64> {
    let out = ecabinet(dir, &["status", "--json"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    let status: Value = serde_json::from_slice(&out.stdout).context("status is JSON")?;
    status["pending_outbox"].as_u64().context("pending_outbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_renewed_and_an_ended_session_signs_in_again_keeping_the_outbox(
) -> Result<()> {
    let server = TestServer::start_with(ecabinet_server::Config {
        token_ttl_ms: 2_000,
        ..ecabinet_server::Config::default()
    })
    .await?;
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

    // The access token lives 2 s here: the sync after it expired renews it
    // with the device key and goes on, asking nothing.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let out = ecabinet(dir.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(
        out.status.success(),
        "renewed transparently: {}",
        text(&out)
    );

    // A ballot cast offline waits in the outbox.
    let motion = server.seed.written_consultation_id.clone();
    let out = ecabinet(
        dir.path(),
        &["vote", &motion, "Đồng ý"],
        &[("ECABINET_PIN", PIN)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(pending(dir.path()).await?, 1);

    // The administrator disables and enables the member again: every
    // session of theirs has ended, so the device key alone cannot renew.
    let (admin_user, admin_password) = server.account("admin")?;
    let admin = ApiClient::login(&server.url(), &admin_user, &admin_password).await?;
    let me = ApiClient::login(&server.url(), &user, &password)
        .await?
        .get("/v1/me")
        .await?;
    let id = me["user_id"].as_str().context("user id")?;
    admin
        .post(&format!("/v1/admin/users/{id}/disable"), Value::Null)
        .await?;
    admin
        .post(&format!("/v1/admin/users/{id}/enable"), Value::Null)
        .await?;

    let out = ecabinet(dir.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sign in again with your password"),
        "{}",
        text(&out)
    );
    assert_eq!(pending(dir.path()).await?, 1, "the ballot is still queued");

    // A wrong password is named as such; nothing changes.
    let out = ecabinet(
        dir.path(),
        &["login"],
        &[
            ("ECABINET_PIN", PIN),
            ("ECABINET_PASSWORD", "không phải mật khẩu"),
        ],
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wrong password"),
        "{}",
        text(&out)
    );

    let out = ecabinet(
        dir.path(),
        &["login"],
        &[("ECABINET_PIN", PIN), ("ECABINET_PASSWORD", &password)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 operations wait to be sent"),
        "{}",
        text(&out)
    );

    // The same device, the same store: the queued ballot goes out now.
    let out = ecabinet(dir.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 accepted"),
        "{}",
        text(&out)
    );
    assert_eq!(pending(dir.path()).await?, 0);
    Ok(())
}

/// An administrator resets the member's password: the member's device signs
/// in again with the new one and re-wraps the annotation key under it, so
/// the annotation history stays readable on every device, new ones included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_admin_password_reset_the_annotation_key_opens_with_the_new_password() -> Result<()>
{
    let server = TestServer::start().await?;
    let (user, old_password) = server.account("member")?;
    let dir = tempfile::tempdir()?;
    let enrol = |dir: std::path::PathBuf, password: String| {
        let (url, fp, user) = (server.url(), server.fingerprint(), user.clone());
        async move {
            ecabinet(
                &dir,
                &[
                    "enrol",
                    "--server",
                    &url,
                    "--user",
                    &user,
                    "--server-fingerprint",
                    &fp,
                ],
                &[("ECABINET_PASSWORD", &password), ("ECABINET_PIN", PIN)],
            )
            .await
        }
    };
    let out = enrol(dir.path().to_path_buf(), old_password.clone()).await?;
    assert!(out.status.success(), "{}", text(&out));

    // The administrator's reset (what `ecabinet-server user reset-password` does).
    let new_password = "mật khẩu mới của thành viên";
    let admin_side = ecabinet_server::open(
        server.data_dir(),
        None,
        None,
        ecabinet_server::Config::default(),
    )
    .await?;
    let phc =
        ecabinet_server::auth::hash_password(new_password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = user.clone();
    let now = admin_side.now();
    admin_side
        .db
        .write(move |tx| {
            let id = tx.conn.query(
                "SELECT id FROM users WHERE username = ?",
                ecabinet_server::params![&name],
            )?[0]
                .text(0)?;
            ecabinet_server::sessions::reset_password(tx.conn, &id, &phc, now)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let out = ecabinet(dir.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(!out.status.success(), "{}", text(&out));
    let out = ecabinet(
        dir.path(),
        &["login"],
        &[("ECABINET_PIN", PIN), ("ECABINET_PASSWORD", new_password)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));

    // The server's wrapped key now opens with the new password only.
    let member = ApiClient::login(&server.url(), &user, new_password).await?;
    let wrapped: ecabinet_protocol::WrappedAnnotationKey =
        serde_json::from_value(member.get("/v1/annotation-key").await?)?;
    let user_id = member.get("/v1/me").await?["user_id"]
        .as_str()
        .context("user id")?
        .to_owned();
    assert!(ecabinet_sync::annotations::unwrap_key(&user_id, new_password, &wrapped).is_ok());
    assert!(ecabinet_sync::annotations::unwrap_key(&user_id, &old_password, &wrapped).is_err());

    // A new device of the member enrols with the new password.
    let second = tempfile::tempdir()?;
    let out = enrol(second.path().to_path_buf(), new_password.to_owned()).await?;
    assert!(out.status.success(), "{}", text(&out));
    Ok(())
}

/// The member changes their own password on one device: the annotation key
/// is re-wrapped under the new password in the same change, this device
/// stays signed in, and their other device signs in again with the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_rewraps_the_annotation_key_and_keeps_this_device_signed_in() -> Result<()>
{
    let server = TestServer::start().await?;
    let (user, old_password) = server.account("member")?;
    let (first, second) = (tempfile::tempdir()?, tempfile::tempdir()?);
    for dir in [first.path(), second.path()] {
        enrol_as(&server, "member", dir).await?;
    }
    let new_password = "mật khẩu mới tự đổi";
    let change = |current: &str| {
        let env = [
            ("ECABINET_PIN", PIN.to_owned()),
            ("ECABINET_PASSWORD", current.to_owned()),
            ("ECABINET_NEW_PASSWORD", new_password.to_owned()),
        ];
        let dir = first.path().to_path_buf();
        async move {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ecabinet(&dir, &["password"], &env).await
        }
    };
    let out = change("không đúng mật khẩu").await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("current password is wrong"),
        "{}",
        text(&out)
    );
    let out = change(&old_password).await?;
    assert!(out.status.success(), "{}", text(&out));

    assert!(ApiClient::login(&server.url(), &user, &old_password)
        .await
        .is_err());
    let member = ApiClient::login(&server.url(), &user, new_password).await?;
    let wrapped: ecabinet_protocol::WrappedAnnotationKey =
        serde_json::from_value(member.get("/v1/annotation-key").await?)?;
    let user_id = member.get("/v1/me").await?["user_id"]
        .as_str()
        .context("user id")?
        .to_owned();
    assert!(ecabinet_sync::annotations::unwrap_key(&user_id, new_password, &wrapped).is_ok());
    assert!(ecabinet_sync::annotations::unwrap_key(&user_id, &old_password, &wrapped).is_err());

    // This device goes on; the other one signs in again with the new password.
    let out = ecabinet(first.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(second.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(!out.status.success(), "{}", text(&out));
    let out = ecabinet(
        second.path(),
        &["login"],
        &[("ECABINET_PIN", PIN), ("ECABINET_PASSWORD", new_password)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(second.path(), &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    Ok(())
}
