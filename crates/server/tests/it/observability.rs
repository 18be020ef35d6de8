//! What an operator watches: `GET /v1/ready` names the part that does not
//! answer, and `GET /metrics` (off without a scrape token, closed to anyone
//! without it) counts requests, latency, live streams, ballots and document bytes.

use axum::http::StatusCode;
use ecabinet_server::Config;
use serde_json::json;

use crate::both;
use crate::common::*;

both!(
    readiness_names_the_part_that_does_not_answer,
    |kind| async move {
        let env = Env::new(kind).await;
        let (s, b) = env.call("GET", "/v1/ready", None, None).await;
        assert_eq!((s, &b["status"]), (StatusCode::OK, &json!("ready")), "{b}");

        // The blob folder replaced by a file: uploads could not be stored.
        let blobs = env.dir.path().join("blobs");
        let _ = std::fs::remove_dir_all(&blobs);
        std::fs::write(&blobs, b"not a folder").expect("file");
        let (s, b) = env.call("GET", "/v1/ready", None, None).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");
        assert_eq!(b["code"], "unavailable");
        let message = b["message"].as_str().expect("message");
        assert!(message.contains("blob store"), "{message}");
        // Which part, never the error's text: no path reaches the caller.
        assert!(
            !message.contains(&*env.dir.path().to_string_lossy()),
            "{message}"
        );
        // Liveness is another question: the process still answers.
        let (s, _) = env.call("GET", "/v1/health", None, None).await;
        assert_eq!(s, StatusCode::OK);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_without_a_token_and_count_requests_votes_streams_and_bytes() {
    // Off by default: no token, no endpoint.
    let plain = Env::new(Kind::Sqlite).await;
    let (s, _) = plain.call("GET", "/metrics", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let token = "scrape-token-for-the-test";
    let env = Env::with_config(
        Kind::Sqlite,
        Config {
            max_upload_bytes: 256 * 1024,
            metrics_token: Some(token.to_owned()),
            ..Config::default()
        },
    )
    .await;
    let w = World::on(env).await;
    let env = &w.env;
    let scrape = |bearer: Option<&str>| {
        let mut req = axum::http::Request::builder().uri("/metrics");
        if let Some(t) = bearer {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        req.body(axum::body::Body::empty()).expect("request")
    };
    for bearer in [None, Some("wrong")] {
        let (s, _, body) = env.raw(scrape(bearer)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let body: serde_json::Value = serde_json::from_slice(&body).expect("error body");
        assert_eq!(body["code"], "unauthenticated");
    }

    // Traffic: a liveness probe, a vote, a live stream.
    let (s, _) = env.call("GET", "/v1/health", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, motion) = w.open_motion(json!({})).await;
    w.cast_all(&motion, "vote", &[("member", 0)]).await;
    let base = serve_in_process(env).await;
    let mut live = SseReader::open(&base, &w.member.token, w.member.device_id.as_deref()).await;
    live.next().await;

    let (s, headers, body) = env.raw(scrape(Some(token))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/plain"));
    let text = String::from_utf8(body.to_vec()).expect("utf-8");
    for line in [
        "ecabinet_http_requests_total{route=\"/v1/health\",method=\"GET\",status=\"200\"} 1",
        "ecabinet_ballots_total{outcome=\"accepted\"} 1",
        "ecabinet_ballots_total{outcome=\"rejected\"} 0",
        "ecabinet_sse_subscribers 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }
    // Every request to the ops route is in its latency histogram.
    let count = text
        .lines()
        .find(|l| {
            l.starts_with(
                "ecabinet_http_request_duration_seconds_count{route=\"/v1/ops\",method=\"POST\"}",
            )
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok());
    assert_eq!(count, Some(1), "{text}");
    // Names no user, meeting or document.
    assert!(!text.contains(&w.member.user_id) && !text.contains(&motion));
}

/// A server process killed when the test ends, passed or not (a failed
/// assertion must not leave it running).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real server with its log (stderr, not a terminal) in a file.
fn server_logging_to(data: &std::path::Path, log: &std::path::Path) -> (Running, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"))
        .args(["serve", "--data-dir"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("ECABINET_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("start ecabinet-server");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Running(child), base)
}

/// A made-up secret-ballot receipt (hex, as receipts are).
const RECEIPT: &str = "5ec2e7b411075ec2e7b411075ec2e7b411075ec2e7b411075ec2e7b41107abcd";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_json_lines_with_the_request_id_and_never_a_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (ok, out, err) = run_cli(&["seed-demo", "--data-dir", data.to_str().expect("path")]);
    assert!(ok, "{err}");
    let seed: serde_json::Value = serde_json::from_str(&out).expect("seed summary");
    let account = &seed["accounts"][0];
    let (user, password) = (
        account["username"].as_str().expect("username"),
        account["password"].as_str().expect("password"),
    );
    let log = dir.path().join("server.log");
    let (server, base) = server_logging_to(&data, &log);
    let http = reqwest::Client::new();

    // The client's id comes back and names the request in the log.
    let r = http
        .get(format!("{base}/v1/health"))
        .header("x-request-id", "ops-check-1")
        .send()
        .await
        .expect("health");
    assert_eq!(r.headers()["x-request-id"], "ops-check-1");
    // Without one (or with one that is not a plain token) the server makes one.
    let r = http
        .get(format!("{base}/v1/no-such-endpoint?token=abc"))
        .header("x-request-id", "not a token")
        .send()
        .await
        .expect("404");
    assert_eq!(r.status(), StatusCode::NOT_FOUND.as_u16());
    let made = r.headers()["x-request-id"].to_str().expect("id").to_owned();
    assert_ne!(made, "not a token");
    http.get(format!("{base}/v1/audit/inclusion/{RECEIPT}"))
        .header("x-request-id", "receipt-check")
        .send()
        .await
        .expect("inclusion");
    // A login, right and wrong: the password is never written down.
    for pw in [password, "mật khẩu sai nhưng đủ dài"] {
        http.post(format!("{base}/v1/login"))
            .json(&json!({"username": user, "password": pw}))
            .send()
            .await
            .expect("login");
    }
    // An administrator's actions are written down: who, what, on whom; the
    // new password and the code never.
    let admin = seed["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["role"] == "admin")
        .expect("the demo's admin");
    let token = http
        .post(format!("{base}/v1/login"))
        .json(&json!({"username": admin["username"], "password": admin["password"]}))
        .send()
        .await
        .expect("admin login")
        .json::<serde_json::Value>()
        .await
        .expect("login answer")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let me: serde_json::Value = http
        .get(format!("{base}/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("me answer");
    let target = seed["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["role"] == "member")
        .and_then(|a| a["user_id"].as_str())
        .expect("a member");
    let new_password = "mật khẩu của người dùng mới";
    let created: serde_json::Value = http
        .post(format!("{base}/v1/admin/users"))
        .bearer_auth(&token)
        .json(&json!({"username": "nguoi.moi", "display_name": "Người Mới", "password": new_password}))
        .send()
        .await
        .expect("create user")
        .json()
        .await
        .expect("user answer");
    let new_user = created["id"].as_str().expect("new user id").to_owned();
    let r = http
        .post(format!("{base}/v1/admin/users/{target}/disable"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("disable");
    assert_eq!(r.status(), StatusCode::NO_CONTENT.as_u16());
    drop(server);

    let text = std::fs::read_to_string(&log).expect("log");
    assert!(!text.contains(new_password), "a password reached the log");
    let actions: Vec<(String, String, String)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "administrator action")
        .map(|l| {
            let f = &l["fields"];
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("actor"), s("action"), s("subject"))
        })
        .collect();
    let actor = me["user_id"].as_str().expect("admin id").to_owned();
    assert_eq!(
        actions,
        [
            (actor.clone(), "create_user".to_owned(), new_user),
            (actor, "disable_user".to_owned(), target.to_owned()),
        ]
    );
    assert!(!text.contains(password), "a password reached the log");
    assert!(!text.contains("mật khẩu sai"), "a password reached the log");
    assert!(
        !text.contains("token=abc"),
        "a query string reached the log"
    );
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let request = |id: &str| {
        lines
            .iter()
            .find(|l| l["span"]["request_id"] == id && l["fields"]["message"] == "request")
            .unwrap_or_else(|| panic!("no line for request {id}:\n{text}"))
            .clone()
    };
    let health = request("ops-check-1");
    assert_eq!(
        (
            &health["level"],
            &health["span"]["method"],
            &health["span"]["route"],
            &health["fields"]["status"]
        ),
        (
            &json!("INFO"),
            &json!("GET"),
            &json!("/v1/health"),
            &json!(200)
        )
    );
    let unknown = request(&made);
    assert_eq!(
        (&unknown["fields"]["status"], &unknown["span"]["route"]),
        (&json!(404), &json!("unrouted"))
    );
    assert!(
        !text.contains("no-such-endpoint"),
        "a raw path reached the log"
    );
    // A secret ballot's receipt in a path is logged as its route only.
    let receipt = request("receipt-check");
    assert_eq!(receipt["span"]["route"], "/v1/audit/inclusion/{receipt}");
    assert!(!text.contains(RECEIPT), "a ballot receipt reached the log");
    let logins = lines
        .iter()
        .filter(|l| l["span"]["route"] == "/v1/login" && l["fields"]["message"] == "request")
        .count();
    // Right and wrong, and the administrator's.
    assert_eq!(logins, 3, "{text}");
}
