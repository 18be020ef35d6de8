//! Login throttling (issue 15): password guessing against the login endpoint
//! is slowed per username and per source address, and an unknown username
//! costs what a wrong password costs.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

const PASSWORD: &str = "mật-khẩu-đủ-dài";

/// `POST /v1/login` as if from `addr`: (status, Retry-After, body).
async fn login_from(
    env: &Env,
    addr: &str,
    username: &str,
    password: &str,
) -> (StatusCode, Option<i64>, Value) {
    let mut req = Request::builder()
        .method("POST")
        .uri("/v1/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .expect("request");
    let peer: SocketAddr = format!("{addr}:40000").parse().expect("address");
    req.extensions_mut().insert(ConnectInfo(peer));
    let (status, headers, bytes) = env.raw(req).await;
    let retry = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn advance(env: &Env, secs: i64) {
    env.clock
        .0
        .fetch_add(secs * 1_000, std::sync::atomic::Ordering::SeqCst);
}

/// The real binary, 1,000 wrong passwords for one account from one address
/// as fast as the server answers: only a handful reach Argon2, the rest are
/// refused with 429 and `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_wrong_passwords_from_one_address_are_mostly_refused_unevaluated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().display().to_string();
    let added = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"))
        .args(["user", "add", "--data-dir", &data])
        .args(["--username", "member", "--display-name", "Thành viên"])
        .env("ECABINET_PASSWORD", PASSWORD)
        .output()
        .expect("user add");
    assert!(added.status.success(), "{added:?}");
    let server = ServerProcess::start(&["serve", "--data-dir", &data, "--listen", "127.0.0.1:0"]);
    let http = reqwest::Client::new();
    let url = format!("{}/v1/login", server.base);

    let started = Instant::now();
    let (mut evaluated, mut refused, mut first_refusal) = (0u32, 0u32, None);
    for i in 0..1_000 {
        let resp = http
            .post(&url)
            .json(&json!({"username": "member", "password": format!("đoán sai {i}")}))
            .send()
            .await
            .expect("login request");
        match resp.status() {
            // A 401 is an answer after Argon2 ran.
            reqwest::StatusCode::UNAUTHORIZED => evaluated += 1,
            reqwest::StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                if first_refusal.is_none() {
                    let retry = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok());
                    let body: Value = resp.json().await.expect("error body");
                    first_refusal = Some((i, retry, body));
                }
            }
            other => panic!("attempt {i}: unexpected {other}"),
        }
    }
    let took = started.elapsed();
    println!(
        "1000 wrong logins from one address: {evaluated} evaluated (Argon2 run, 401), \
         {refused} refused with 429 before any hashing, in {:.2} s",
        took.as_secs_f64()
    );
    let (at, retry, body) = first_refusal.expect("some attempts were refused");
    assert_eq!(at, 6, "five free failures, the sixth locks the username");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(retry.is_some_and(|r| r >= 1), "Retry-After: {retry:?}");
    assert_eq!(evaluated + refused, 1_000);
    // Free failures, then at most one more for each doubling of the delay
    // (1 s, 2 s, 4 s, ...) that the run's length allows.
    let doublings = (took.as_secs_f64() + 1.0).log2().ceil() as u32;
    assert!(
        evaluated <= 6 + doublings,
        "{evaluated} evaluated in {took:?}"
    );
    assert!(evaluated <= 16, "{evaluated} evaluated");
    assert!(took < Duration::from_secs(120));
}

both!(
    an_unknown_username_costs_one_hash_like_a_wrong_password,
    |kind| async move {
        let w = World::new(kind).await;
        let throttle = &w.env.state.login_throttle;
        let mut costs = Vec::new();
        for (addr, user, password) in [
            ("192.0.2.1", "không-có-ai", "mật khẩu nào đó"),
            ("192.0.2.2", "member", "mật khẩu sai"),
            ("192.0.2.3", "member", PASSWORD),
        ] {
            let before = throttle.evaluations();
            let (s, _, b) = login_from(&w.env, addr, user, password).await;
            costs.push((user, s, b["code"].clone(), throttle.evaluations() - before));
        }
        assert_eq!(
            costs,
            [
                (
                    "không-có-ai",
                    StatusCode::UNAUTHORIZED,
                    json!("unauthenticated"),
                    1
                ),
                (
                    "member",
                    StatusCode::UNAUTHORIZED,
                    json!("unauthenticated"),
                    1
                ),
                ("member", StatusCode::OK, Value::Null, 1),
            ]
        );
        // And the same answer: nothing tells an unknown name from a known one.
        let (_, _, unknown) = login_from(&w.env, "192.0.2.4", "không-có-ai", "x").await;
        let (_, _, wrong) = login_from(&w.env, "192.0.2.5", "member", "x").await;
        assert_eq!(unknown, wrong);
    }
);

both!(
    an_attacker_guessing_one_password_locks_only_that_username_for_a_bounded_time,
    |kind| async move {
        let w = World::new(kind).await;
        let attacker = "203.0.113.66";
        let mut statuses = Vec::new();
        for i in 0..8 {
            let (s, _, _) = login_from(&w.env, attacker, "member", &format!("đoán {i}")).await;
            statuses.push(s.as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);

        // Another member from another address is not touched.
        let (s, _, b) = login_from(&w.env, "198.51.100.7", "chair", PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // The attacked username is locked from everywhere (the design: a
        // correct password does not open it early), for the announced time.
        let (s, retry, b) = login_from(&w.env, "198.51.100.8", "member", PASSWORD).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
        );
        let retry = retry.expect("Retry-After");
        advance(&w.env, retry);
        let (s, _, b) = login_from(&w.env, "198.51.100.8", "member", PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "{b}");

        // However long the attack, even from many addresses (each one is
        // throttled on its own as well), the member waits at most five minutes.
        let mut longest = 0;
        for i in 0..40 {
            let addr = format!("203.0.113.{}", 100 + i);
            match login_from(&w.env, &addr, "secretary", &format!("đoán {i}")).await {
                (StatusCode::TOO_MANY_REQUESTS, Some(r), _) => {
                    longest = longest.max(r);
                    advance(&w.env, r);
                }
                (s, _, b) => assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}"),
            }
        }
        assert_eq!(longest, 300);
    }
);

both!(
    a_password_spray_from_one_address_locks_that_address_only,
    |kind| async move {
        let w = World::new(kind).await;
        let sprayer = "203.0.113.99";
        let mut refused_at = None;
        for i in 0..20 {
            let (s, _, _) = login_from(&w.env, sprayer, &format!("user{i}"), "Password1").await;
            if s == StatusCode::TOO_MANY_REQUESTS {
                refused_at = Some(i);
                break;
            }
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(refused_at, Some(11), "ten free failures per address");
        // Even a correct password waits at that address (by design)...
        let (s, _, _) = login_from(&w.env, sprayer, "chair", PASSWORD).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        // ...but the same account from any other address is not held back.
        let (s, _, b) = login_from(&w.env, "198.51.100.20", "chair", PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
);
