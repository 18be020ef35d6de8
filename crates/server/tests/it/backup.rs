//! `backup` and `restore` of a SQLite deployment: a copy taken while a vote
//! is in progress restores into a new data directory whose server a
//! member's device syncs from with nothing missing: the feed up to the
//! backup, the accepted ballots, the documents' blobs, the same signing key.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecabinet_server::db::Db;
use ecabinet_server::signer::Signer;
use ecabinet_server::{app, AppState, Config};
use serde_json::{json, Value};

use crate::common::*;

/// A server over a restored data directory, on the test's clock (its
/// sessions were issued on that clock).
async fn restored_env(dir: tempfile::TempDir, clock: Arc<TestClock>) -> Env {
    let db_path = dir.path().join("ecabinet.sqlite3").display().to_string();
    let url = db_path.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&url))
        .await
        .expect("join")
        .expect("open the restored database");
    let blobs = ecabinet_server::blobs::open(None, dir.path().join("blobs")).expect("blobs");
    let signer = Signer::load_or_create(&dir.path().join("signing-key.pk8")).expect("key");
    let state = AppState::new(db, blobs, signer, clock.clone(), Config::default());
    Env {
        app: app(state.clone()),
        state,
        clock,
        dir,
        db_url: db_path,
    }
}

fn report(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_a_vote_restores_into_a_server_a_device_syncs_from() {
    let w = World::new(Kind::Sqlite).await;
    let env = &w.env;
    let m = w.meeting("Phiên họp thường kỳ tháng 12").await;
    let item = w.item(&m, "Nghị quyết dự toán ngân sách", None).await;
    let doc = w.document(&item, "Tờ trình dự toán").await;
    let bytes = pdf("Tờ trình dự toán", 3);
    let (s, v) = w
        .upload(&w.secretary, &doc, bytes.clone(), "application/pdf")
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sha = v["sha256"].as_str().expect("sha256").to_owned();
    w.publish(&m).await;
    w.start(&m).await;
    let motion = w.motion(&item, json!({"may_change_vote": true})).await;
    w.motion_to(&motion, "open").await;
    let voter = env.voter("member").await;
    let seen = env.head(&voter.session).await;
    let first = push(
        env,
        &voter.session,
        vec![voter.ballot("b-pre", &motion, 0, T0, seen)],
    )
    .await;
    assert_eq!(outcome(&first[0]), "accepted");
    let feed_before = env.all_changes(&voter.session, 0).await;

    // The member keeps changing their vote while the backup runs.
    let backups = tempfile::tempdir().expect("tempdir");
    let to = backups.path().join("2026-12-04");
    let done = AtomicBool::new(false);
    let data_dir = env.dir.path().display().to_string();
    let to_arg = to.display().to_string();
    let backup = async {
        let out = tokio::task::spawn_blocking(move || {
            run_cli(&["backup", "--data-dir", &data_dir, "--to", &to_arg])
        })
        .await
        .expect("join");
        done.store(true, Ordering::SeqCst);
        out
    };
    let voting = async {
        let mut outcomes = Vec::new();
        let mut n = 0u32;
        while !done.load(Ordering::SeqCst) || n == 0 {
            let at = env.clock.0.fetch_add(10, Ordering::SeqCst) + 10;
            let op = format!("b-{n}");
            let r = push(
                env,
                &voter.session,
                vec![voter.ballot(&op, &motion, n % 2, at, seen)],
            )
            .await;
            outcomes.push(outcome(&r[0]));
            n += 1;
        }
        outcomes
    };
    let ((ok, out, err), during) = tokio::join!(backup, voting);
    assert!(ok, "backup failed: {err}");
    assert!(during.iter().all(|o| o == "accepted"), "{during:?}");
    let made = report(&out);
    assert_eq!(made["blobs"], 1, "{made}");
    assert_eq!(made["blob_bytes"], bytes.len(), "{made}");
    assert!(
        made["schema_version"].as_i64().expect("schema") >= 10,
        "{made}"
    );
    // The backup holds no secret in its report and refuses to overwrite.
    assert!(!out.contains("PRIVATE"), "{out}");
    let data_dir = env.dir.path().display().to_string();
    let (again, _, why) = run_cli(&[
        "backup",
        "--data-dir",
        &data_dir,
        "--to",
        &to.display().to_string(),
    ]);
    assert!(!again && why.contains("not empty"), "{why}");

    // Restore into a new data directory.
    let target = tempfile::tempdir().expect("tempdir");
    let target_arg = target.path().display().to_string();
    let (ok, out, err) = run_cli(&[
        "restore",
        "--data-dir",
        &target_arg,
        "--from",
        &to.display().to_string(),
    ]);
    assert!(ok, "restore failed: {err}");
    assert_eq!(report(&out)["blobs"], 1);
    let (again, _, why) = run_cli(&[
        "restore",
        "--data-dir",
        &target_arg,
        "--from",
        &to.display().to_string(),
    ]);
    assert!(!again && why.contains("empty data directory"), "{why}");
    let (ok, out, err) = run_cli(&["audit", "verify", "--data-dir", &target_arg]);
    assert!(ok, "audit verify on the restored data: {err} {out}");

    // The member's device syncs from the restored server.
    let restored = restored_env(target, env.clock.clone()).await;
    let feed_after = restored.all_changes(&voter.session, 0).await;
    assert!(
        feed_after.len() >= feed_before.len(),
        "{} < {}",
        feed_after.len(),
        feed_before.len()
    );
    let feed_now = env.all_changes(&voter.session, 0).await;
    assert_eq!(
        feed_after[..],
        feed_now[..feed_after.len()],
        "the restored feed is the original's up to the backup"
    );
    let (s, page) = restored
        .call(
            "GET",
            "/v1/changes?since=0&limit=1",
            Some(&voter.session),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let (_, original_page) = env
        .call(
            "GET",
            "/v1/changes?since=0&limit=1",
            Some(&voter.session),
            None,
        )
        .await;
    assert_eq!(
        page["signing_key"], original_page["signing_key"],
        "same signing key"
    );
    let (s, status) = restored
        .call(
            "POST",
            "/v1/ops/status",
            Some(&voter.session),
            Some(json!({"op_ids": ["b-pre"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{status}");
    let pre = outcome(&status["results"][0]);
    assert!(pre == "accepted" || pre == "superseded", "{status}");
    let req = voter
        .session
        .headers(Request::builder().uri(format!("/v1/blobs/{sha}")))
        .body(Body::empty())
        .expect("request");
    let (s, _, got) = restored.raw(req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(&got[..], &bytes[..], "the document's blob came back whole");
}

#[test]
fn a_postgres_deployment_is_told_to_use_pg_dump() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let to = dir.path().join("b").display().to_string();
    let (ok, _, err) = run_cli(&[
        "backup",
        "--data-dir",
        &d,
        "--database-url",
        "postgres://ecabinet@db.example/ecabinet",
        "--to",
        &to,
    ]);
    assert!(!ok && err.contains("pg_dump"), "{err}");
    // Nor is an empty folder taken for a data directory.
    let (ok, _, err) = run_cli(&["backup", "--data-dir", &d, "--to", &to]);
    assert!(!ok && err.contains("no SQLite database"), "{err}");
}
