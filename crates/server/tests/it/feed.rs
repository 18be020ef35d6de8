//! The change feed: pages, cursors, visibility, exactly-once under concurrent writers.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::json;

use crate::both;
use crate::common::*;

both!(
    pages_follow_the_cursor_and_filter_by_committee,
    |kind| async move {
        let w = World::new(kind).await;
        let m = w.meeting("Phiên họp").await;
        for i in 0..12 {
            w.item(&m, &format!("Mục {i}"), None).await;
        }
        w.publish(&m).await;
        // Small pages: each seq once, strictly increasing, has_more false at the end.
        let mut cursor = 0;
        let mut seqs: Vec<i64> = Vec::new();
        loop {
            let (s, page) = w
                .env
                .call(
                    "GET",
                    &format!("/v1/changes?since={cursor}&limit=5"),
                    Some(&w.member),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(page["server_time"].as_i64(), Some(T0));
            let got: Vec<i64> = page["changes"]
                .as_array()
                .expect("changes")
                .iter()
                .map(|c| c["seq"].as_i64().expect("seq"))
                .collect();
            assert!(got.len() <= 5);
            seqs.extend(&got);
            cursor = page["next_since"].as_i64().expect("cursor");
            if !page["has_more"].as_bool().expect("bool") {
                break;
            }
        }
        assert!(seqs.windows(2).all(|p| p[0] < p[1]), "{seqs:?}");
        assert_eq!(seqs.len(), w.env.all_changes(&w.member, 0).await.len());
        // An empty page keeps the cursor.
        let (_, page) = w
            .env
            .call(
                "GET",
                &format!("/v1/changes?since={cursor}"),
                Some(&w.member),
                None,
            )
            .await;
        assert_eq!(
            (
                page["changes"].as_array().map(Vec::len),
                page["next_since"].as_i64()
            ),
            (Some(0), Some(cursor))
        );
        // The outsider (another committee) sees none of it.
        let theirs = w.env.all_changes(&w.outsider, 0).await;
        assert!(
            theirs
                .iter()
                .all(|c| c["entity"] != "meeting" && c["entity"] != "agenda_item"),
            "{theirs:?}"
        );
        assert!(theirs
            .iter()
            .any(|c| c["id"].as_str() == Some(w.other_committee_id.as_str())));
    }
);

both!(
    each_change_exactly_once_with_concurrent_writers,
    |kind| async move {
        let w = std::sync::Arc::new(World::new(kind).await);
        let m = w.meeting("Phiên họp đông người").await;
        w.publish(&m).await;
        let start = w.env.all_changes(&w.member, 0).await.last().expect("some")["seq"]
            .as_i64()
            .expect("seq");
        const WRITERS: usize = 4;
        const PER_WRITER: usize = 15;
        let mut tasks = Vec::new();
        for t in 0..WRITERS {
            let w = w.clone();
            let m = m.clone();
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..PER_WRITER {
                    ids.push(w.item(&m, &format!("Mục {t}-{i}"), None).await);
                }
                ids
            }));
        }
        // Page while they write.
        let mut seen = Vec::new();
        let mut cursor = start;
        let mut done = false;
        while !done {
            done = tasks.iter().all(|t| t.is_finished());
            let (s, page) = w
                .env
                .call(
                    "GET",
                    &format!("/v1/changes?since={cursor}&limit=7"),
                    Some(&w.member),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            for c in page["changes"].as_array().expect("changes") {
                seen.push((
                    c["seq"].as_i64().expect("seq"),
                    c["id"].as_str().expect("id").to_owned(),
                    c["body"]["title"].as_str().map(str::to_owned),
                ));
            }
            cursor = page["next_since"].as_i64().expect("cursor");
            if page["has_more"].as_bool().expect("bool") {
                done = false;
            }
            tokio::task::yield_now().await;
        }
        let mut created = BTreeSet::new();
        for t in tasks {
            created.extend(t.await.expect("writer"));
        }
        let seqs: Vec<i64> = seen.iter().map(|s| s.0).collect();
        assert!(
            seqs.windows(2).all(|p| p[0] < p[1]),
            "every seq once, in order"
        );
        // The reader got exactly what a fresh read from the same cursor gets.
        let fresh: Vec<i64> = w
            .env
            .all_changes(&w.member, start)
            .await
            .iter()
            .map(|c| c["seq"].as_i64().expect("seq"))
            .collect();
        assert_eq!(seqs, fresh);
        // And every created item is among them (with its title).
        let titled: BTreeSet<String> = seen
            .iter()
            .filter(|s| s.2.as_deref().is_some_and(|t| t.starts_with("Mục ")))
            .map(|s| s.1.clone())
            .collect();
        assert_eq!(titled, created);
        assert_eq!(created.len(), WRITERS * PER_WRITER);
    }
);

both!(drafts_are_for_editors_only, |kind| async move {
    let w = World::new(kind).await;
    let m = w.meeting("Bản nháp").await;
    w.item(&m, "Mục", None).await;
    let sec = kinds(&w.env.all_changes(&w.secretary, 0).await);
    let chair = kinds(&w.env.all_changes(&w.chair, 0).await);
    let member = kinds(&w.env.all_changes(&w.member, 0).await);
    assert!(sec.iter().any(|k| k.1 == m));
    assert_eq!(sec, chair);
    assert!(!member
        .iter()
        .any(|k| k.0 == "meeting" || k.0 == "agenda_item"));
    // Members cannot reach the draft directly either.
    let (s, _) = w
        .env
        .call(
            "POST",
            &format!("/v1/meetings/{m}/agenda"),
            Some(&w.member),
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});
