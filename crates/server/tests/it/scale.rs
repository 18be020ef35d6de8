//! Scale-out: blobs in an S3-API store (moto), and two server processes on
//! one PostgreSQL whose live events cross from one to the other.

use std::sync::Arc;

use axum::http::StatusCode;
use ecabinet_server::db::Db;
use ecabinet_server::signer::Signer;
use ecabinet_server::{app, AppState, Config};
use serde_json::{json, Value};

use crate::common::*;

/// `ECABINET_TEST_S3_URL` (a moto server), required; returns an `s3://`
/// blob-store URL of a fresh bucket on it.
async fn fresh_bucket() -> String {
    let endpoint = std::env::var("ECABINET_TEST_S3_URL")
        .expect("ECABINET_TEST_S3_URL must point at an S3-API server (see crates/server/tests/start-moto.sh)");
    let bucket = random_name().replace('_', "-");
    let resp = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("create bucket");
    assert!(
        resp.status().is_success(),
        "create bucket: {}",
        resp.status()
    );
    // moto accepts any credentials; object_store reads them from the environment.
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        if std::env::var(k).is_err() {
            // SAFETY-free: set_var is safe on edition 2021; tests set the same values.
            std::env::set_var(k, v);
        }
    }
    format!("s3://{bucket}?endpoint={endpoint}&region=us-east-1")
}

async fn env_with_s3(kind: Kind) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = database_url(kind, dir.path()).await;
    let url = db_url.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&url))
        .await
        .expect("join")
        .expect("db");
    let blobs =
        ecabinet_server::blobs::open(Some(&fresh_bucket().await), dir.path().join("unused"))
            .expect("s3 store");
    let clock = Arc::new(TestClock(std::sync::atomic::AtomicI64::new(T0)));
    let state = AppState::new(
        db,
        blobs,
        Signer::generate().expect("key"),
        clock.clone(),
        Config {
            ocr: ecabinet_server::ocr::OcrConfig::off(),
            ..Config::default()
        },
    );
    Env {
        app: app(state.clone()),
        state,
        clock,
        dir,
        db_url,
    }
}

crate::both!(
    blobs_round_trip_through_the_object_store,
    |kind| async move {
        let w = World::on(env_with_s3(kind).await).await;
        let m = w.meeting("Phiên họp").await;
        let item = w.item(&m, "Mục", None).await;
        let doc = w.document(&item, "Tài liệu").await;
        let bytes = pdf("Lưu trên S3", 4);
        let (s, v) = w
            .upload(&w.secretary, &doc, bytes.clone(), "application/pdf")
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        w.publish(&m).await;
        let sha = v["sha256"].as_str().expect("sha");
        // The upload passed through a temporary file that is gone now.
        assert_eq!(
            leftover_files(&w.env.dir.path().join("unused")),
            Vec::<String>::new()
        );
        let req = w
            .member
            .headers(axum::http::Request::builder().uri(format!("/v1/blobs/{sha}")))
            .header("range", "bytes=5-104")
            .body(axum::body::Body::empty())
            .expect("req");
        let (s, _, body) = w.env.raw(req).await;
        assert_eq!(
            (s, body.as_ref()),
            (StatusCode::PARTIAL_CONTENT, &bytes[5..105])
        );
        let req = w
            .member
            .headers(axum::http::Request::builder().uri(format!("/v1/blobs/{sha}")))
            .body(axum::body::Body::empty())
            .expect("req");
        let (s, _, body) = w.env.raw(req).await;
        assert_eq!((s, body.as_ref()), (StatusCode::OK, bytes.as_slice()));

        // Larger than one S3 part: goes up in parts, comes back streamed,
        // and a range in the middle resumes correctly.
        let big = padded_pdf(20 * 1024 * 1024 + 123);
        let (s, v) = w
            .upload(&w.secretary, &doc, big.clone(), "application/pdf")
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let sha = v["sha256"].as_str().expect("sha");
        let req = w
            .secretary
            .headers(axum::http::Request::builder().uri(format!("/v1/blobs/{sha}")))
            .header("range", "bytes=9000000-")
            .body(axum::body::Body::empty())
            .expect("req");
        let (s, _, body) = w.env.raw(req).await;
        assert_eq!(s, StatusCode::PARTIAL_CONTENT);
        assert!(body.as_ref() == &big[9_000_000..], "the resumed tail");
        let req = w
            .secretary
            .headers(axum::http::Request::builder().uri(format!("/v1/blobs/{sha}")))
            .body(axum::body::Body::empty())
            .expect("req");
        let (s, _, body) = w.env.raw(req).await;
        assert!(s == StatusCode::OK && body.as_ref() == big.as_slice());
    }
);

#[tokio::test(flavor = "multi_thread")]
async fn a_change_through_one_process_reaches_a_subscriber_of_another() {
    let db = fresh_pg_database().await;
    let blobs = fresh_bucket().await;
    // Shared: the database, the object store and the data directory's signing key.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8");
    let (ok, out, err) = run_cli(&[
        "seed-demo",
        "--data-dir",
        d,
        "--database-url",
        &db,
        "--blob-store",
        &blobs,
    ]);
    assert!(ok, "{err}");
    let seed: Value = serde_json::from_str(&out).expect("json");
    let serve = [
        "serve",
        "--data-dir",
        d,
        "--database-url",
        &db,
        "--blob-store",
        &blobs,
        "--listen",
        "127.0.0.1:0",
    ];
    let a = ServerProcess::start(&serve);
    let b = ServerProcess::start(&serve);
    assert_ne!(a.base, b.base);
    let account = |role: &str| {
        seed["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .find(|x| x["role"] == role)
            .expect("account")
            .clone()
    };
    let http = reqwest::Client::new();
    let login = |base: String, acc: Value| {
        let http = http.clone();
        async move {
            let r: Value = http
                .post(format!("{base}/v1/login"))
                .json(&json!({"username": acc["username"], "password": acc["password"]}))
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("json");
            r["token"].as_str().expect("token").to_owned()
        }
    };
    // A member listens on B; the secretary works through A.
    let member_token = login(b.base.clone(), account("member")).await;
    let secretary_token = login(a.base.clone(), account("secretary")).await;
    let mut events = SseReader::open(&b.base, &member_token, None).await;
    let (_, first) = events.next().await;
    let head = first["seq"].as_i64().expect("seq");

    let meeting = seed["meetings"][0]["id"].as_str().expect("meeting");
    let item: Value = http
        .post(format!("{}/v1/meetings/{meeting}/agenda", a.base))
        .bearer_auth(&secretary_token)
        .json(&json!({"title": "Mục bổ sung"}))
        .send()
        .await
        .expect("create item")
        .json()
        .await
        .expect("json");
    let (ev, data) = events.next().await;
    assert_eq!(ev, "feed");
    let seq = data["seq"].as_i64().expect("seq");
    assert!(seq > head);
    // Pulling from B at that seq shows the item created through A.
    let page: Value = http
        .get(format!("{}/v1/changes?since={head}", b.base))
        .bearer_auth(&member_token)
        .send()
        .await
        .expect("changes")
        .json()
        .await
        .expect("json");
    let changes = page["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["id"] == item["id"] && c["seq"].as_i64() <= Some(seq)),
        "{page}"
    );
    // Blobs written by the seed process are served by either server.
    let all: Value = http
        .get(format!("{}/v1/changes?since=0&limit=5000", b.base))
        .bearer_auth(&member_token)
        .send()
        .await
        .expect("changes")
        .json()
        .await
        .expect("json");
    let sha = all["changes"]
        .as_array()
        .expect("c")
        .iter()
        .find(|c| c["entity"] == "document_version")
        .expect("a version")["body"]["sha256"]
        .as_str()
        .expect("sha")
        .to_owned();
    for base in [&a.base, &b.base] {
        let resp = http
            .get(format!("{base}/v1/blobs/{sha}"))
            .bearer_auth(&member_token)
            .send()
            .await
            .expect("blob");
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
        let bytes = resp.bytes().await.expect("bytes");
        assert_eq!(ecabinet_server::auth::sha256_hex(&bytes), sha);
    }
}
