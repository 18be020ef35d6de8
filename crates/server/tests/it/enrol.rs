//! Enrol codes: issued by `ecabinet-server enrol-code`, used up by the
//! device-enrol call; and the signing key on every feed page.

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::enrol_code;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

/// Issues a code for `username` as the subcommand does; returns it.
async fn issue(env: &Env, username: &str, minutes: u32) -> enrol_code::EnrolCode {
    let key = env.state.signer.public_key().to_vec();
    let username = username.to_owned();
    let now = env.state.now();
    env.state
        .db
        .write(move |tx| {
            ecabinet_server::enrol_codes::issue(tx.conn, &username, &key, minutes, now)
        })
        .await
        .expect("issue an enrol code")
        .code
}

/// `POST /v1/devices` for a session without a device, with `code` (the
/// secret symbols) when given.
async fn enrol_with(env: &Env, s: &Session, code: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({"public_key": BASE64.encode([5u8; 32]), "name": "Máy tính bảng"});
    if let Some(c) = code {
        body["enrol_code"] = json!(c);
    }
    env.call("POST", "/v1/devices", Some(s), Some(body)).await
}

fn assert_refused((status, body): (StatusCode, Value)) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "invalid_enrol_code", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("ask your administrator")),
        "{body}"
    );
}

// A code that leaked after use (a photo of the admin's screen, a shared
// chat) must not enrol a second device.
both!(
    an_enrol_code_works_once_and_its_replay_is_refused,
    |kind| async move {
        let env = Env::new(kind).await;
        env.user("lan", false).await;
        let code = issue(&env, "lan", 15).await;
        let first = env.login("lan", "mật-khẩu-đủ-dài").await;
        let (status, body) = enrol_with(&env, &first, Some(&code.secret_symbols())).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            enrol_code::fingerprint(
                &BASE64
                    .decode(body["server_signing_key"].as_str().expect("key"))
                    .expect("b64")
            ),
            code.fingerprint,
            "the key the server returns is the one the code vouches for"
        );
        let again = env.login("lan", "mật-khẩu-đủ-dài").await;
        assert_refused(enrol_with(&env, &again, Some(&code.secret_symbols())).await);
        // People type codes sloppily; the server takes the client's normal form only.
        assert_refused(enrol_with(&env, &again, Some("not a code")).await);
    }
);

// A code read off an administrator's old note must stop working.
both!(an_expired_enrol_code_is_refused, |kind| async move {
    let env = Env::new(kind).await;
    env.user("minh", false).await;
    let code = issue(&env, "minh", 15).await;
    env.clock.0.fetch_add(15 * 60_000, Ordering::SeqCst);
    let s = env.login("minh", "mật-khẩu-đủ-dài").await;
    assert_refused(enrol_with(&env, &s, Some(&code.secret_symbols())).await);
    // A new code works; issuing it did not depend on the old one.
    let fresh = issue(&env, "minh", 1).await;
    let (status, body) = enrol_with(&env, &s, Some(&fresh.secret_symbols())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
});

// A member who sees a colleague's code cannot use it to enrol under their
// own account, and the failed attempt does not burn the colleague's code.
both!(another_users_enrol_code_is_refused, |kind| async move {
    let env = Env::new(kind).await;
    env.user("hoa", false).await;
    env.user("tuan", false).await;
    let for_tuan = issue(&env, "tuan", 15).await;
    let hoa = env.login("hoa", "mật-khẩu-đủ-dài").await;
    assert_refused(enrol_with(&env, &hoa, Some(&for_tuan.secret_symbols())).await);
    let tuan = env.login("tuan", "mật-khẩu-đủ-dài").await;
    let (status, body) = enrol_with(&env, &tuan, Some(&for_tuan.secret_symbols())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
});

// A copy of the database (a backup, a stolen disk) must not hold usable
// codes: only the SHA-256 of each secret is stored.
both!(enrol_codes_are_stored_only_as_hashes, |kind| async move {
    let env = Env::new(kind).await;
    env.user("quang", false).await;
    let code = issue(&env, "quang", 15).await;
    let rows = env
        .state
        .db
        .read(|conn| {
            conn.query(
                "SELECT secret_hash, user_id, created_at, expires_at, used_at FROM enrol_codes",
                &[],
            )
        })
        .await
        .expect("read");
    assert_eq!(rows.len(), 1);
    let stored = rows[0].text(0).expect("hash");
    assert_eq!(stored, ecabinet_server::auth::sha256_hex(&code.secret));
    let dump = format!("{:?}", rows[0]);
    assert!(!dump.contains(&code.secret_symbols()), "{dump}");
    assert!(
        !dump.contains(&ecabinet_protocol::hex::encode(&code.secret)),
        "{dump}"
    );
    assert_eq!(
        rows[0].int(3).expect("expires") - rows[0].int(2).expect("created"),
        15 * 60_000
    );
    assert_eq!(rows[0].opt_int(4).expect("used_at"), None);
});

// A client notices a replaced server key at its next pull only if every
// feed page names the key.
both!(feed_pages_carry_the_signing_key, |kind| async move {
    let w = World::new(kind).await;
    let (status, page) = w
        .env
        .call("GET", "/v1/changes?since=0&limit=1", Some(&w.member), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["signing_key"], w.env.state.signer.public_key_b64());
    let (_, empty) = w
        .env
        .call("GET", "/v1/changes?since=999999999", Some(&w.member), None)
        .await;
    assert_eq!(empty["signing_key"], w.env.state.signer.public_key_b64());
});

/// `ecabinet-server ARGS` with `ECABINET_PASSWORD`: (status code, stdout, stderr).
fn run_with_password(args: &[&str], password: &str) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"))
        .args(args)
        .env("ECABINET_PASSWORD", password)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ecabinet-server");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The subcommand through the real binary on `db` ("" = SQLite in the data
/// dir): the code it prints enrols once, and its fingerprint is the key's.
async fn enrol_code_subcommand(db: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8");
    let mut store = vec!["--data-dir", d];
    if !db.is_empty() {
        store.extend(["--database-url", db]);
    }
    let with = |head: &[&'static str], tail: &[&'static str]| -> Vec<&str> {
        head.iter()
            .chain(store.iter())
            .chain(tail.iter())
            .copied()
            .collect()
    };
    let password = "mật khẩu của Thành";
    let (code, _, err) = run_with_password(
        &with(
            &["user", "add"],
            &["--username", "thanh", "--display-name", "Trần Thành"],
        ),
        password,
    );
    assert_eq!(code, Some(0), "{err}");

    let (code, out, err) = run_cli_status(&with(&["enrol-code"], &["--username", "nobody"]));
    assert_eq!(code, Some(1), "an unknown user is an error: {err}");
    assert!(out.is_empty(), "no code printed: {out}");
    assert!(
        err.contains("\"nobody\"") && err.contains("user add"),
        "{err}"
    );
    for bad in ["0", "1441"] {
        let (code, _, err) = run_cli_status(&with(
            &["enrol-code"],
            &["--username", "thanh", "--valid-minutes", bad],
        ));
        assert_eq!(code, Some(2), "--valid-minutes {bad}: {err}");
    }

    let (code, out, err) = run_cli_status(&with(&["enrol-code"], &["--username", "thanh"]));
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let parsed = enrol_code::parse(lines[0]).expect("the first line is a code");
    assert_eq!(lines[0], parsed.display(), "shown in groups of four");
    // The fingerprint printed is the fingerprint of the key in the data dir.
    let signer =
        ecabinet_server::signer::Signer::load_or_create(&dir.path().join("signing-key.pk8"))
            .expect("the data dir's key");
    let expected = enrol_code::fingerprint(signer.public_key());
    assert_eq!(parsed.fingerprint, expected);
    assert_eq!(
        lines[1],
        format!("fingerprint: {}", enrol_code::format_fingerprint(&expected))
    );
    let expires = lines[2].strip_prefix("expires: ").expect("expires line");
    assert!(
        expires.len() == 20 && expires.ends_with('Z') && expires.as_bytes()[10] == b'T',
        "RFC 3339 UTC: {expires}"
    );

    let serve = with(&["serve"], &["--listen", "127.0.0.1:0"]);
    let server = ServerProcess::start(&serve);
    let http = reqwest::Client::new();
    let login = || {
        let http = http.clone();
        let url = format!("{}/v1/login", server.base);
        async move {
            let resp = http
                .post(url)
                .json(&json!({"username": "thanh", "password": password}))
                .send()
                .await
                .expect("login");
            assert_eq!(resp.status(), reqwest::StatusCode::OK);
            let body: Value = resp.json().await.expect("login body");
            body["token"].as_str().expect("token").to_owned()
        }
    };
    let enrol = |token: String| {
        let http = http.clone();
        let url = format!("{}/v1/devices", server.base);
        let secret = parsed.secret_symbols();
        async move {
            let resp = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"public_key": BASE64.encode([3u8; 32]), "name": "Máy của Thành", "enrol_code": secret}))
                .send()
                .await
                .expect("enrol");
            let status = resp.status();
            (status, resp.json::<Value>().await.expect("json"))
        }
    };
    let (status, body) = enrol(login().await).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    assert_eq!(body["server_signing_key"], signer.public_key_b64());
    let (status, body) = enrol(login().await).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "invalid_enrol_code");
}

/// Runs the binary to completion: (status code, stdout, stderr).
fn run_cli_status(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ecabinet-server");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn enrol_code_subcommand_prints_a_one_time_code_with_the_key_fingerprint_on_sqlite() {
    enrol_code_subcommand("").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn enrol_code_subcommand_prints_a_one_time_code_with_the_key_fingerprint_on_postgres() {
    enrol_code_subcommand(&fresh_pg_database().await).await;
}
