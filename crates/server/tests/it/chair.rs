//! The chair's API: session, current item, motions, speaker queue.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

both!(the_chair_runs_the_session, |kind| async move {
    let w = World::new(kind).await;
    let m = w.meeting("Phiên họp").await;
    let a = w.item(&m, "Mục 1", None).await;
    let b = w.item(&m, "Mục 2", None).await;
    let (s, _) = w
        .env
        .call(
            "POST",
            &format!("/v1/meetings/{m}/start"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a draft cannot start");
    w.publish(&m).await;
    let (s, _) = w
        .env
        .call(
            "POST",
            &format!("/v1/meetings/{m}/start"),
            Some(&w.secretary),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, started) = w
        .env
        .call(
            "POST",
            &format!("/v1/meetings/{m}/start"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!(
        (s, started["status"].as_str()),
        (StatusCode::OK, Some("in_session"))
    );
    let (s, cur) = w
        .env
        .call(
            "PUT",
            &format!("/v1/meetings/{m}/current-item"),
            Some(&w.chair),
            Some(json!({"agenda_item_id": b})),
        )
        .await;
    assert_eq!(
        (s, cur["current_item_id"].as_str()),
        (StatusCode::OK, Some(b.as_str()))
    );
    let (s, _) = w
        .env
        .call(
            "PUT",
            &format!("/v1/meetings/{m}/current-item"),
            Some(&w.chair),
            Some(json!({"agenda_item_id": "elsewhere"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Motions: a live one opens only in session; written needs a deadline.
    let (s, _) = w.env.call("POST", &format!("/v1/agenda/{a}/motions"), Some(&w.secretary), Some(json!({"question": "Lấy ý kiến?", "kind": "secret", "majority": "simple", "quorum": 3, "mode": "written"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, mo) = w.env.call("POST", &format!("/v1/agenda/{a}/motions"), Some(&w.secretary), Some(json!({"question": "Thông qua Nghị quyết?", "kind": "named", "majority": "absolute", "quorum": 3, "mode": "live"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{mo}");
    assert_eq!(
        mo["options"],
        json!(["Đồng ý", "Không đồng ý", "Không biểu quyết"])
    );
    let id = mo["id"].as_str().expect("id");
    let member_sees = |id: String| {
        let w = &w;
        async move {
            w.env
                .all_changes(&w.member, 0)
                .await
                .iter()
                .any(|c| c["id"] == id.as_str())
        }
    };
    assert!(
        !member_sees(id.to_owned()).await,
        "a draft motion is for editors"
    );
    let (s, _) = w
        .env
        .call(
            "POST",
            &format!("/v1/motions/{id}/open"),
            Some(&w.member),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, open) = w
        .env
        .call(
            "POST",
            &format!("/v1/motions/{id}/open"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!(
        (s, open["status"].as_str(), open["opened_at"].as_i64()),
        (StatusCode::OK, Some("open"), Some(T0))
    );
    assert!(member_sees(id.to_owned()).await);
    let (s, _) = w
        .env
        .call(
            "POST",
            &format!("/v1/motions/{id}/open"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Closing the meeting closes its live vote.
    let (s, closed) = w
        .env
        .call(
            "POST",
            &format!("/v1/meetings/{m}/close"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!(
        (
            s,
            closed["status"].as_str(),
            closed["current_item_id"].as_str()
        ),
        (StatusCode::OK, Some("closed"), None)
    );
    let (s, _) = w
        .env
        .call(
            "POST",
            &format!("/v1/motions/{id}/close"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "already closed with the meeting");
    assert_eq!(w.env.last_body(&w.member, id).await["status"], "closed");
});

both!(the_speaker_queue, |kind| async move {
    let w = World::new(kind).await;
    let m = w.meeting("Phiên họp").await;
    let a = w.item(&m, "Thảo luận", None).await;
    w.publish(&m).await;
    w.start(&m).await;
    let ask = |who: Session| {
        let w = &w;
        let a = a.clone();
        async move {
            w.env
                .call(
                    "POST",
                    &format!("/v1/agenda/{a}/speakers"),
                    Some(&who),
                    None,
                )
                .await
        }
    };
    let (s, r1) = ask(w.member.clone()).await;
    assert_eq!(
        (s, r1["status"].as_str()),
        (StatusCode::CREATED, Some("waiting"))
    );
    let (s, _) = ask(w.member.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "one request at a time");
    let (_, r2) = ask(w.secretary.clone()).await;
    let (s, _) = ask(w.outsider.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (r1, r2) = (
        r1["id"].as_str().expect("id").to_owned(),
        r2["id"].as_str().expect("id").to_owned(),
    );

    let order = format!("/v1/agenda/{a}/speakers/order");
    let (s, _) = w
        .env
        .call(
            "PUT",
            &order,
            Some(&w.member),
            Some(json!({"order": [r2, r1]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = w
        .env
        .call("PUT", &order, Some(&w.chair), Some(json!({"order": [r2]})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, q) = w
        .env
        .call(
            "PUT",
            &order,
            Some(&w.chair),
            Some(json!({"order": [r2, r1]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        q.as_array()
            .expect("list")
            .iter()
            .map(|r| r["position"].as_i64().expect("pos"))
            .collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(q[0]["id"].as_str(), Some(r2.as_str()));

    let (s, g) = w
        .env
        .call(
            "POST",
            &format!("/v1/speakers/{r2}/grant"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!(
        (s, g["status"].as_str()),
        (StatusCode::OK, Some("speaking"))
    );
    // Granting the next one ends the current speech.
    let (_, g) = w
        .env
        .call(
            "POST",
            &format!("/v1/speakers/{r1}/grant"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!(g["status"], "speaking");
    // The floor is given at the server's time; the chair sets the time
    // limit, adds a minute, and every member sees it in the feed.
    assert_eq!(
        g["granted_at"],
        json!(w.env.clock.0.load(std::sync::atomic::Ordering::SeqCst))
    );
    assert_eq!(g["time_limit_ms"], Value::Null);
    let limit = format!("/v1/speakers/{r1}/time-limit");
    let set = |who: Session, body: Value| {
        let (w, limit) = (&w, limit.clone());
        async move { w.env.call("PUT", &limit, Some(&who), Some(body)).await }
    };
    let (s, t) = set(w.chair.clone(), json!({"time_limit_ms": 180_000})).await;
    assert_eq!(
        (s, t["time_limit_ms"].as_i64()),
        (StatusCode::OK, Some(180_000))
    );
    let (s, t) = set(w.chair.clone(), json!({"time_limit_ms": 240_000})).await;
    assert_eq!(
        (s, t["time_limit_ms"].as_i64()),
        (StatusCode::OK, Some(240_000))
    );
    let (s, _) = set(w.member.clone(), json!({"time_limit_ms": 999_000})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the chair keeps the time");
    for bad in [json!(0), json!(-5), json!(5 * 3_600_000)] {
        let (s, _) = set(w.chair.clone(), json!({ "time_limit_ms": bad })).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let (s, _) = set(w.chair.clone(), json!({"time_limit_ms": 60_000})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = set(w.chair.clone(), json!({ "time_limit_ms": null })).await;
    assert_eq!(s, StatusCode::OK, "the limit can be lifted");
    let (s, _) = set(w.chair.clone(), json!({"time_limit_ms": 300_000})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = w
        .env
        .call(
            "PUT",
            &format!("/v1/speakers/{r2}/time-limit"),
            Some(&w.chair),
            Some(json!({"time_limit_ms": 60_000})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "only the current speaker has a clock"
    );
    assert_eq!(w.env.last_body(&w.member, &r2).await["status"], "done");
    let seen = w.env.last_body(&w.member, &r1).await;
    assert_eq!(
        (seen["granted_at"].clone(), seen["time_limit_ms"].as_i64()),
        (g["granted_at"].clone(), Some(300_000)),
        "members read the turn's start and limit from the feed"
    );
    let (s, e) = w
        .env
        .call(
            "POST",
            &format!("/v1/speakers/{r1}/end"),
            Some(&w.chair),
            None,
        )
        .await;
    assert_eq!((s, e["status"].as_str()), (StatusCode::OK, Some("done")));

    // A member withdraws their own waiting request, not someone else's.
    let (_, r3) = ask(w.member.clone()).await;
    let r3 = r3["id"].as_str().expect("id").to_owned();
    let (s, _) = w
        .env
        .call(
            "POST",
            &format!("/v1/speakers/{r3}/withdraw"),
            Some(&w.secretary),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, wd) = w
        .env
        .call(
            "POST",
            &format!("/v1/speakers/{r3}/withdraw"),
            Some(&w.member),
            None,
        )
        .await;
    assert_eq!(
        (s, wd["status"].as_str()),
        (StatusCode::OK, Some("withdrawn"))
    );
    assert_eq!(wd["display_name"], "Người dùng member");
});

both!(
    items_keep_their_time_on_the_floor_and_turns_take_the_set_limit,
    |kind| async move {
        use std::sync::atomic::Ordering::SeqCst;
        let w = World::new(kind).await;
        let m = w.meeting("Phiên họp có giờ").await;
        let (s, a) = w
            .env
            .call(
                "POST",
                &format!("/v1/meetings/{m}/agenda"),
                Some(&w.secretary),
                Some(json!({"title": "Mục có kế hoạch", "planned_minutes": 20})),
            )
            .await;
        assert_eq!(
            (
                s,
                a["planned_minutes"].as_i64(),
                a["time_on_floor_ms"].as_i64()
            ),
            (StatusCode::CREATED, Some(20), Some(0)),
            "{a}"
        );
        let a = a["id"].as_str().expect("id").to_owned();
        let b = w.item(&m, "Mục có giới hạn phát biểu", None).await;
        let patch_item = |who: Session, body: Value| {
            let (w, path) = (&w, format!("/v1/agenda/{b}"));
            async move { w.env.call("PATCH", &path, Some(&who), Some(body)).await }
        };
        let (s, i) = patch_item(
            w.secretary.clone(),
            json!({"planned_minutes": 15, "speaking_limit_ms": 120_000}),
        )
        .await;
        assert_eq!(
            (
                s,
                i["planned_minutes"].as_i64(),
                i["speaking_limit_ms"].as_i64()
            ),
            (StatusCode::OK, Some(15), Some(120_000)),
            "{i}"
        );
        for bad in [
            json!({"planned_minutes": 0}),
            json!({"planned_minutes": 601}),
            json!({"speaking_limit_ms": 500}),
            json!({"speaking_limit_ms": 5 * 3_600_000}),
        ] {
            let (s, e) = patch_item(w.secretary.clone(), bad.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {e}");
        }
        let (s, _) = patch_item(w.member.clone(), json!({"planned_minutes": 1})).await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "a member plans nothing (and does not see the draft)"
        );
        // `null` clears one setting and leaves the other.
        let (s, i) = patch_item(w.secretary.clone(), json!({"planned_minutes": null})).await;
        assert_eq!(
            (
                s,
                i["planned_minutes"].as_i64(),
                i["speaking_limit_ms"].as_i64()
            ),
            (StatusCode::OK, None, Some(120_000))
        );

        // The committee's default limit is the administrator's.
        let committee = format!("/v1/admin/committees/{}", w.committee_id);
        let (s, _) = w
            .env
            .call(
                "PATCH",
                &committee,
                Some(&w.chair),
                Some(json!({"speaking_limit_ms": 180_000})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = w
            .env
            .call(
                "PATCH",
                &committee,
                Some(&w.admin),
                Some(json!({"speaking_limit_ms": 10})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, c) = w
            .env
            .call(
                "PATCH",
                &committee,
                Some(&w.admin),
                Some(json!({"speaking_limit_ms": 180_000})),
            )
            .await;
        assert_eq!(
            (s, c["speaking_limit_ms"].as_i64(), &c["read_status"]),
            (StatusCode::OK, Some(180_000), &json!(false)),
            "{c}"
        );

        // Time on the floor: `a` for a minute, `b` for half a minute, `a`
        // again for two minutes until the session closes.
        w.publish(&m).await;
        w.start(&m).await;
        let floor = |item: Option<&str>| {
            let (w, path, body) = (
                &w,
                format!("/v1/meetings/{m}/current-item"),
                json!({ "agenda_item_id": item }),
            );
            async move {
                let (s, r) = w.env.call("PUT", &path, Some(&w.chair), Some(body)).await;
                assert_eq!(s, StatusCode::OK, "{r}");
            }
        };
        let tick = |ms: i64| w.env.clock.0.fetch_add(ms, SeqCst) + ms;
        let put_at = tick(0);
        floor(Some(&a)).await;
        let seen = w.env.last_body(&w.member, &a).await;
        assert_eq!(
            (
                seen["on_floor_since"].as_i64(),
                seen["time_on_floor_ms"].as_i64()
            ),
            (Some(put_at), Some(0))
        );
        let moved_at = tick(60_000);
        floor(Some(&b)).await;
        let (seen_a, seen_b) = (
            w.env.last_body(&w.member, &a).await,
            w.env.last_body(&w.member, &b).await,
        );
        assert_eq!(
            (
                seen_a["on_floor_since"].as_i64(),
                seen_a["time_on_floor_ms"].as_i64()
            ),
            (None, Some(60_000))
        );
        assert_eq!(seen_b["on_floor_since"].as_i64(), Some(moved_at));
        // Putting the same item again does not restart its clock.
        tick(10_000);
        floor(Some(&b)).await;
        assert_eq!(
            w.env.last_body(&w.member, &b).await["on_floor_since"].as_i64(),
            Some(moved_at)
        );

        // A turn on `b` takes the item's limit; one on `a` the committee's.
        let grant_on = |item: String, who: Session| {
            let w = &w;
            async move {
                let (s, r) = w
                    .env
                    .call(
                        "POST",
                        &format!("/v1/agenda/{item}/speakers"),
                        Some(&who),
                        None,
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{r}");
                let id = r["id"].as_str().expect("id").to_owned();
                let (s, g) = w
                    .env
                    .call(
                        "POST",
                        &format!("/v1/speakers/{id}/grant"),
                        Some(&w.chair),
                        None,
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{g}");
                g
            }
        };
        let g = grant_on(b.clone(), w.member.clone()).await;
        assert_eq!(g["time_limit_ms"].as_i64(), Some(120_000));
        tick(20_000);
        floor(Some(&a)).await;
        assert_eq!(
            w.env.last_body(&w.member, &b).await["time_on_floor_ms"].as_i64(),
            Some(30_000)
        );
        let g = grant_on(a.clone(), w.secretary.clone()).await;
        assert_eq!(g["time_limit_ms"].as_i64(), Some(180_000));
        tick(120_000);
        let (s, _) = w
            .env
            .call(
                "POST",
                &format!("/v1/meetings/{m}/close"),
                Some(&w.chair),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let seen_a = w.env.last_body(&w.member, &a).await;
        assert_eq!(
            (
                seen_a["on_floor_since"].as_i64(),
                seen_a["time_on_floor_ms"].as_i64()
            ),
            (None, Some(180_000)),
            "closing the session ends the item's stretch"
        );
    }
);
