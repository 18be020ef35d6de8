//! The command line: shapes, errors, and a round trip against the real binary.

use base64::Engine as _;
use ecabinet_protocol::{ChangesPage, DocumentVersionBody, LoginResponse};
use serde_json::{json, Value};

use crate::common::*;

#[test]
fn bad_arguments_give_one_line_and_a_failure() {
    let (ok, _, err) = run_cli(&["serve", "--data-dir", "/tmp/x"]);
    assert!(!ok);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--listen"), "{err}");
    let (ok, _, err) = run_cli(&["frobnicate"]);
    assert!(!ok);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn an_unreachable_database_gives_one_line_and_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8");
    let (ok, out, err) = run_cli(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        "postgres://postgres@127.0.0.1:9/nowhere",
    ]);
    assert!(!ok);
    assert!(out.is_empty(), "nothing on stdout: {out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("database unavailable"), "{err}");
    let (ok, _, err) = run_cli(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        "mysql://x",
    ]);
    assert!(!ok && err.contains("unsupported database url"), "{err}");
}

async fn login(base: &str, username: &str, password: &str) -> LoginResponse {
    let resp = reqwest::Client::new()
        .post(format!("{base}/v1/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    resp.json().await.expect("login body")
}

/// `seed-demo`, `user add` and `device revoke` with `db` ("" = SQLite in the
/// data dir), then `serve`, and a client's first sync against it.
async fn round_trip(db: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8");
    let mut common = vec!["--data-dir", d];
    if !db.is_empty() {
        common.extend(["--database-url", db]);
    }
    let args = |cmd: &[&'static str], extra: &[&str]| -> Vec<String> {
        cmd.iter()
            .map(|s| (*s).to_owned())
            .chain(common.iter().map(|s| (*s).to_owned()))
            .chain(extra.iter().map(|s| (*s).to_owned()))
            .collect()
    };
    let run = |a: Vec<String>| run_cli(&a.iter().map(String::as_str).collect::<Vec<_>>());

    let (ok, out, err) = run(args(&["seed-demo"], &[]));
    assert!(ok, "{err}");
    let seed: Value = serde_json::from_str(&out).expect("seed prints JSON");
    let accounts = seed["accounts"].as_array().expect("accounts");
    let count = |role: &str| accounts.iter().filter(|a| a["role"] == role).count();
    assert_eq!(
        (
            count("chair"),
            count("secretary"),
            count("member"),
            count("admin")
        ),
        (1, 1, 8, 1)
    );
    assert_eq!(seed["committee_name"], "UBND tỉnh Thái Bình");
    let (ok, _, err) = run(args(&["seed-demo"], &[]));
    assert!(
        !ok && err.trim().lines().count() == 1,
        "a second seed is refused: {err}"
    );

    let add = args(
        &["user", "add"],
        &[
            "--username",
            "moi",
            "--display-name",
            "Người Mới",
            "--committee",
            seed["committee_id"].as_str().expect("id"),
            "--role",
            "member",
        ],
    );
    let (ok, out, err) = run_cli_with(
        &add.iter().map(String::as_str).collect::<Vec<_>>(),
        Some("mật khẩu mới"),
        "",
    );
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["username"],
        "moi"
    );
    let (ok, _, err) = run(args(
        &["device", "revoke"],
        &["--device-id", "no-such-device"],
    ));
    assert!(!ok && err.contains("device not found"), "{err}");

    let serve = args(&["serve"], &["--listen", "127.0.0.1:0"]);
    let server = ServerProcess::start(&serve.iter().map(String::as_str).collect::<Vec<_>>());
    let base = server.base.clone();
    let member = accounts
        .iter()
        .find(|a| a["role"] == "member")
        .expect("member");
    let session = login(
        &base,
        member["username"].as_str().expect("u"),
        member["password"].as_str().expect("p"),
    )
    .await;
    let http = reqwest::Client::new();
    let enrol: Value = http
        .post(format!("{base}/v1/devices"))
        .bearer_auth(&session.token)
        .json(&json!({"public_key": base64::engine::general_purpose::STANDARD.encode([9u8; 32]), "name": "Máy tính bảng"}))
        .send()
        .await
        .expect("enrol")
        .json()
        .await
        .expect("json");
    let device = enrol["device_id"].as_str().expect("device").to_owned();
    let key = enrol["server_signing_key"]
        .as_str()
        .expect("key")
        .to_owned();
    assert_eq!(seed["server_signing_key"].as_str(), Some(key.as_str()));

    // Pull the whole feed, then fetch and verify every current document.
    let mut cursor = 0;
    let mut versions = Vec::new();
    let mut titles = Vec::new();
    loop {
        let page: ChangesPage = http
            .get(format!("{base}/v1/changes?since={cursor}&limit=20"))
            .bearer_auth(&session.token)
            .header("x-device-id", &device)
            .send()
            .await
            .expect("changes")
            .json()
            .await
            .expect("page");
        for c in &page.changes {
            match c.entity {
                ecabinet_protocol::EntityKind::DocumentVersion => {
                    if let Some(v) = c.decode::<DocumentVersionBody>().expect("version body") {
                        versions.retain(|o: &DocumentVersionBody| o.id != v.id);
                        versions.push(v);
                    }
                }
                ecabinet_protocol::EntityKind::Meeting => {
                    titles.push(c.body.as_ref().expect("body")["title"].clone())
                }
                _ => {}
            }
        }
        cursor = page.next_since;
        if !page.has_more {
            break;
        }
    }
    assert!(
        titles
            .iter()
            .any(|t| t == "Phiên họp thường kỳ tháng 11 năm 2026"),
        "{titles:?}"
    );
    assert_eq!(versions.len(), 6, "six published versions");
    assert_eq!(
        versions.iter().filter(|v| v.superseded).count(),
        1,
        "one superseded draft"
    );
    for v in &versions {
        let signed = v.signed.as_ref().expect("published versions are signed");
        signed
            .verify(&key)
            .expect("manifest verifies with the pinned key");
        let bytes = http
            .get(format!("{base}/v1/blobs/{}", v.sha256))
            .bearer_auth(&session.token)
            .header("x-device-id", &device)
            .send()
            .await
            .expect("blob")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(
            ecabinet_server::auth::sha256_hex(&bytes),
            signed.manifest.sha256
        );
        assert_eq!(bytes.len() as u64, signed.manifest.size);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(page_objects(&bytes) >= 2, "a multi-page PDF");
    }

    // The admin revokes the device from the command line; the client is told.
    let (ok, _, err) = run(args(&["device", "revoke"], &["--device-id", &device]));
    assert!(ok, "{err}");
    let resp = http
        .get(format!("{base}/v1/me"))
        .bearer_auth(&session.token)
        .header("x-device-id", &device)
        .send()
        .await
        .expect("me");
    assert_eq!(resp.status(), reqwest::StatusCode::FORBIDDEN);
    assert_eq!(
        resp.json::<Value>().await.expect("json")["code"],
        "device_revoked"
    );
}

/// Runs the binary with `ECABINET_PASSWORD` set to `password` (unset when
/// `None`) and `stdin` as its standard input: (exit ok, stdout, stderr).
fn run_cli_with(args: &[&str], password: Option<&str>, stdin: &str) -> (bool, String, String) {
    use std::io::Write as _;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"));
    cmd.args(args)
        .env_remove("ECABINET_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(p) = password {
        cmd.env("ECABINET_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("run ecabinet-server");
    let mut input = child.stdin.take().expect("stdin");
    // The process may exit before reading (a refused flag): ignore EPIPE.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A password in argv is visible to every local user (`ps`, /proc) and lands
/// in shell history: `user add` takes it only from the environment or stdin.
#[tokio::test(flavor = "multi_thread")]
async fn user_add_password_in_argv_is_refused_stdin_and_environment_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8");
    let add = |username: &'static str| {
        vec![
            "user",
            "add",
            "--data-dir",
            d,
            "--username",
            username,
            "--display-name",
            "Người Thử",
        ]
    };
    let mut argv = add("argv");
    argv.extend(["--password", "mật khẩu trên dòng lệnh"]);
    let (ok, out, err) = run_cli_with(&argv, None, "");
    assert!(!ok && out.is_empty(), "{out}");
    assert!(
        err.contains("unexpected argument '--password'"),
        "the flag is unknown: {err}"
    );
    let (ok, _, err) = run_cli_with(&argv, Some("mật khẩu môi trường"), "");
    assert!(
        !ok && err.contains("'--password'"),
        "still refused when the environment also has one: {err}"
    );

    let (ok, out, err) = run_cli_with(&add("stdin"), None, "mật khẩu đầu vào\n");
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["username"],
        "stdin"
    );
    let (ok, _, err) = run_cli_with(&add("env"), Some("mật khẩu môi trường"), "");
    assert!(ok, "{err}");
    let (ok, _, err) = run_cli_with(&add("short"), None, "ngắn\n");
    assert!(!ok && err.contains("at least 8 characters"), "{err}");

    let server = ServerProcess::start(&["serve", "--data-dir", d, "--listen", "127.0.0.1:0"]);
    login(&server.base, "stdin", "mật khẩu đầu vào").await;
    login(&server.base, "env", "mật khẩu môi trường").await;
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/login", server.base))
        .json(&json!({"username": "argv", "password": "mật khẩu trên dòng lệnh"}))
        .send()
        .await
        .expect("login");
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trip_with_the_real_binary_on_sqlite() {
    round_trip("").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trip_with_the_real_binary_on_postgres() {
    round_trip(&fresh_pg_database().await).await;
}

/// Counts `/Type /Page` objects (not `/Pages`), with or without the space.
fn page_objects(pdf: &[u8]) -> usize {
    let mut n = 0;
    for i in 0..pdf.len() {
        if pdf[i..].starts_with(b"/Type") {
            let mut j = i + 5;
            while j < pdf.len() && pdf[j] == b' ' {
                j += 1;
            }
            if pdf[j..].starts_with(b"/Page") && pdf.get(j + 5) != Some(&b's') {
                n += 1;
            }
        }
    }
    n
}

/// `serve --config FILE` takes its settings from the file; a flag overrides
/// the file; a misspelt key stops the start with the key and the file named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reads_its_config_file_and_flags_override_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (from_file, from_flag) = (dir.path().join("data"), dir.path().join("data-flag"));
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "# a comment\ndata_dir = {:?}\nlisten = \"127.0.0.1:0\"\nmax_upload_bytes = 300000\n",
            from_file.display().to_string()
        ),
    )
    .expect("write config");
    let c = config.display().to_string();
    {
        let server = ServerProcess::start(&["serve", "--config", &c]);
        let health: serde_json::Value = reqwest::get(format!("{}/v1/health", server.base))
            .await
            .expect("health")
            .json()
            .await
            .expect("json");
        assert_eq!(health["status"], "ok");
        assert!(
            from_file.join("signing-key.pk8").is_file(),
            "data_dir from the file"
        );
    }
    {
        let flag = from_flag.display().to_string();
        let _server = ServerProcess::start(&["serve", "--config", &c, "--data-dir", &flag]);
        assert!(
            from_flag.join("signing-key.pk8").is_file(),
            "--data-dir wins"
        );
    }
    std::fs::write(&config, "data_dir = \"/tmp/x\"\nlisen = \"127.0.0.1:0\"\n").expect("write");
    let (ok, _, err) = run_cli(&["serve", "--config", &c]);
    assert!(!ok);
    assert!(
        err.contains("lisen") && err.contains("server.toml"),
        "{err}"
    );
    // Neither the file nor the flags name a listen address.
    std::fs::write(&config, "data_dir = \"/tmp/x\"\n").expect("write");
    let (ok, _, err) = run_cli(&["serve", "--config", &c]);
    assert!(!ok && err.contains("listen"), "{err}");
}
