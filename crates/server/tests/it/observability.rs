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
