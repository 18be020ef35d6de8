//! Text layers a restart cut off are read again at the next start, but a
//! layer whose every run is cut off is given up after a few, with a
//! sentence the secretary understands.

use std::time::{Duration, Instant};

use ecabinet_server::ocr::{OcrConfig, MAX_ATTEMPTS};
use ecabinet_server::{params, Config};

use crate::both;
use crate::common::*;

/// A layer's status and error as the server holds them.
async fn layer(env: &Env, version: &str) -> (String, Option<String>, i64) {
    let id = version.to_owned();
    env.state
        .db
        .read(move |conn| {
            let rows = conn.query(
                "SELECT status, error, attempts FROM text_layers WHERE version_id = ?",
                params![&id],
            )?;
            let r = rows.first().expect("a layer row");
            Ok::<_, ecabinet_server::AppError>((r.text(0)?, r.opt_text(1)?, r.int(2)?))
        })
        .await
        .expect("read")
}

/// Waits for the layer to leave `queued`/`running`.
async fn settled(env: &Env, version: &str) -> (String, Option<String>, i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let l = layer(env, version).await;
        if l.0 != "queued" && l.0 != "running" {
            return l;
        }
        assert!(Instant::now() < deadline, "still {l:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// As a restart finds a layer it was reading `runs_before` times.
async fn cut_off(env: &Env, version: &str, runs_before: i64) {
    let id = version.to_owned();
    env.state
        .db
        .write(move |tx| {
            tx.conn.execute(
                "UPDATE text_layers SET status = 'running', error = NULL, attempts = ? WHERE version_id = ?",
                params![runs_before, &id],
            )?;
            Ok::<_, ecabinet_server::AppError>(())
        })
        .await
        .expect("write");
}

both!(
    a_layer_cut_off_at_every_start_is_given_up,
    |kind| async move {
        // A worker that is not there fails each run at once: what matters here
        // is whether a run starts, and what the layer says after.
        let env = Env::with_ocr(
            kind,
            Config {
                ocr: OcrConfig {
                    worker: Some("/nonexistent/ecabinet-ocr".into()),
                    ..OcrConfig::default()
                },
                ..Config::default()
            },
        )
        .await;
        let w = World::on(env).await;
        let m = w.meeting("Phiên họp").await;
        let item = w.item(&m, "Mục", None).await;
        let doc = w.document(&item, "Bản scan").await;
        let (_, v) = w
            .upload(&w.secretary, &doc, pdf("Bản scan", 1), "application/pdf")
            .await;
        let version = v["id"].as_str().expect("version id").to_owned();
        let first = settled(&w.env, &version).await;
        assert_eq!(first.0, "failed");
        assert!(
            first
                .1
                .clone()
                .unwrap_or_default()
                .contains("OCR is not installed"),
            "{first:?}"
        );
        assert_eq!(first.2, 1, "one run");

        // Cut off once before: read again at the start.
        cut_off(&w.env, &version, 1).await;
        ecabinet_server::ocr::resume(&w.env.state);
        let again = settled(&w.env, &version).await;
        assert_eq!(again.2, 2, "{again:?}");
        assert!(again.1.unwrap_or_default().contains("OCR is not installed"));

        // Cut off at every one of its runs: given up, and said so.
        cut_off(&w.env, &version, MAX_ATTEMPTS).await;
        ecabinet_server::ocr::resume(&w.env.state);
        let given_up = settled(&w.env, &version).await;
        assert_eq!(given_up.0, "failed");
        let why = given_up.1.unwrap_or_default();
        assert!(
            why.contains("cut off each time") && why.contains("bị ngắt"),
            "{why}"
        );
        // The members' record of the version says it too.
        let changes = w.env.all_changes(&w.secretary, 0).await;
        let last = newest(&changes, |c| {
            c["entity"] == "document_version" && c["id"] == version.as_str()
        });
        assert_eq!(last["body"]["text_layer"]["status"], "failed", "{last}");
    }
);
