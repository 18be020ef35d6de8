//! `POST /v1/ops`: ballots (every outcome end to end, retries, concurrent
//! duplicates, secret ballots), attendance and requests to speak.

use axum::http::StatusCode;
use ecabinet_server::db::Backend;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

async fn status_of(w: &World, who: &Session, ids: &[&str]) -> Vec<String> {
    let (s, b) = w
        .env
        .call(
            "POST",
            "/v1/ops/status",
            Some(who),
            Some(json!({ "op_ids": ids })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(outcome)
        .collect()
}

both!(every_ballot_outcome_end_to_end, |kind| async move {
    let w = World::new(kind).await;
    let env = &w.env;
    let (_, item) = w.in_session().await;
    let live = w.motion(&item, json!({})).await;
    let only_member = w
        .motion(&item, json!({"eligible": [w.member.user_id]}))
        .await;
    let draft = w.motion(&item, json!({})).await;
    w.motion_to(&live, "open").await;
    w.motion_to(&only_member, "open").await;
    let member = env.voter("member").await;
    let chair = env.voter("chair").await;
    let seen = env.head(&member.session).await;
    let now = T0;

    let results = outcomes(
        env,
        &member.session,
        vec![
            member.ballot("op-accepted", &live, 0, now, seen),
            json!({"op_id": "op-malformed", "kind": "ballot", "body": {"motion_id": live}}),
            member.ballot("op-again", &live, 1, now + 1, seen),
            member.ballot("op-unknown", "no-such-motion", 0, now, seen),
            member.ballot("op-draft", &draft, 0, now, seen),
            member.ballot("op-choice", &only_member, 7, now, seen),
            member.ballot("op-stale", &only_member, 0, now, 0),
        ],
    )
    .await;
    assert_eq!(
        results,
        [
            "accepted",
            "rejected:malformed",
            "rejected:already_voted",
            "rejected:unknown_motion",
            "rejected:not_open",
            "rejected:invalid_choice",
            "rejected:not_open",
        ]
    );

    // Someone else's ballot, a forged signature, an ineligible member.
    let mut forged = chair.ballot("op-forged", &live, 0, now, seen);
    forged["body"]["choice"] = json!(1);
    let results = outcomes(
        env,
        &chair.session,
        vec![
            member.ballot("op-for-another", &live, 0, now, seen),
            forged,
            chair.ballot("op-not-eligible", &only_member, 0, now, seen),
        ],
    )
    .await;
    assert_eq!(
        results,
        [
            "rejected:forbidden",
            "rejected:bad_signature",
            "rejected:not_eligible"
        ]
    );

    // A retry answers the stored result; another user re-using the id is refused
    // and the original stays as it was.
    let retry = outcomes(
        env,
        &member.session,
        vec![member.ballot("op-accepted", &live, 0, now, seen)],
    )
    .await;
    assert_eq!(retry, ["accepted"]);
    let stolen = outcomes(
        env,
        &chair.session,
        vec![chair.ballot("op-accepted", &live, 1, now, seen)],
    )
    .await;
    assert_eq!(stolen, ["rejected:forbidden"]);
    assert_eq!(
        status_of(&w, &member.session, &["op-accepted", "op-again"]).await,
        ["accepted", "rejected:already_voted"]
    );
    assert!(
        status_of(&w, &chair.session, &["op-accepted"])
            .await
            .is_empty(),
        "another user's operation is not shown"
    );

    // A device revoked after casting offline: its ballot, forwarded by the
    // member's other device, is refused.
    let secretary_old = env.voter("secretary").await;
    let secretary_new = env.voter("secretary").await;
    let old_device = secretary_old.device();
    let (s, b) = env
        .call(
            "POST",
            &format!("/v1/admin/devices/{old_device}/revoke"),
            Some(&w.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let from_revoked = secretary_new.ballot_signed_by(
        &secretary_old.key,
        &old_device,
        "op-revoked",
        &live,
        0,
        now,
        seen,
    );
    assert_eq!(
        outcomes(env, &secretary_new.session, vec![from_revoked]).await,
        ["rejected:device_revoked"]
    );

    // Closing: a ballot cast before the close and received within the grace
    // period counts; after the grace period nothing is received.
    at(&w, now + 10_000);
    w.motion_to(&live, "close").await;
    at(&w, now + 60_000);
    assert_eq!(
        outcomes(
            env,
            &secretary_new.session,
            vec![secretary_new.ballot("op-offline", &live, 1, now + 5_000, seen)]
        )
        .await,
        ["accepted"]
    );
    assert_eq!(
        outcomes(
            env,
            &chair.session,
            vec![chair.ballot("op-after-close", &live, 1, now + 20_000, seen)]
        )
        .await,
        ["rejected:closed"]
    );
    at(&w, now + 10_000 + 120_000);
    assert_eq!(
        outcomes(
            env,
            &chair.session,
            vec![chair.ballot("op-too-late", &live, 1, now + 5_000, seen)]
        )
        .await,
        ["rejected:closed"]
    );
});

both!(
    a_later_ballot_supersedes_where_changes_are_allowed,
    |kind| async move {
        let w = World::new(kind).await;
        let env = &w.env;
        let (_, _, mo) = w.open_motion(json!({"may_change_vote": true})).await;
        let member = env.voter("member").await;
        let seen = env.head(&member.session).await;
        assert_eq!(
            outcomes(
                env,
                &member.session,
                vec![member.ballot("first", &mo, 0, T0 + 1, seen)]
            )
            .await,
            ["accepted"]
        );
        // The later cast replaces the first; an older one arriving late does not count.
        assert_eq!(
            outcomes(
                env,
                &member.session,
                vec![
                    member.ballot("second", &mo, 1, T0 + 2, seen),
                    member.ballot("older", &mo, 2, T0, seen),
                ]
            )
            .await,
            ["accepted", "superseded"]
        );
        assert_eq!(
            status_of(&w, &member.session, &["first", "second", "older"]).await,
            ["superseded", "accepted", "superseded"]
        );
    }
);

both!(
    concurrent_ballots_of_one_member_from_two_devices_accept_exactly_one,
    |kind| async move {
        let w = World::new(kind).await;
        let (_, _, mo) = w.open_motion(json!({})).await;
        let a = std::sync::Arc::new(w.env.voter("member").await);
        let b = std::sync::Arc::new(w.env.voter("member").await);
        let seen = w.env.head(&a.session).await;
        let w = std::sync::Arc::new(w);
        let mut tasks = Vec::new();
        for i in 0..1000 {
            let v = if i % 2 == 0 { a.clone() } else { b.clone() };
            let w = w.clone();
            let mo = mo.clone();
            tasks.push(tokio::spawn(async move {
                let op = v.ballot(&format!("op-{i:04}"), &mo, (i % 3) as u32, T0, seen);
                outcomes(&w.env, &v.session, vec![op]).await.remove(0)
            }));
        }
        let mut accepted = 0;
        for t in tasks {
            match t.await.expect("task").as_str() {
                "accepted" => accepted += 1,
                "rejected:already_voted" => {}
                other => panic!("unexpected outcome {other}"),
            }
        }
        assert_eq!(accepted, 1);
        let rows = w
            .env
            .state
            .db
            .read(move |conn| {
                conn.query(
                    "SELECT COUNT(*) FROM ballots WHERE motion_id = ? AND counting = 1",
                    ecabinet_server::params![mo.as_str()],
                )
            })
            .await
            .expect("count");
        assert_eq!(rows[0].int(0).expect("int"), 1);
    }
);

both!(
    secret_ballots_cannot_be_linked_to_members,
    |kind| async move {
        let w = World::new(kind).await;
        let env = &w.env;
        let (_, _, mo) = w.open_motion(json!({"kind": "secret"})).await;
        let members: Vec<_> = w
            .cast_all(
                &mo,
                "secret",
                &[("member", 0), ("chair", 1), ("secretary", 0)],
            )
            .await
            .into_iter()
            .map(|(v, op)| (v.session.user_id.clone(), v.device(), op))
            .collect();
        let backend = env.state.db.backend();
        let m = mo.clone();
        let (columns, rows, named) = env
        .state
        .db
        .read(move |conn| {
            let columns = match backend {
                Backend::Sqlite => conn.query(
                    "SELECT name FROM pragma_table_info('secret_ballots') ORDER BY name",
                    &[],
                )?,
                Backend::Postgres => conn.query(
                    "SELECT CAST(column_name AS TEXT) FROM information_schema.columns WHERE table_name = 'secret_ballots' ORDER BY 1",
                    &[],
                )?,
            };
            let rows = conn.query(
                "SELECT motion_id, token, choice FROM secret_ballots WHERE motion_id = ?",
                ecabinet_server::params![m.as_str()],
            )?;
            let named = conn.query(
                "SELECT COUNT(*) FROM ballots WHERE motion_id = ?",
                ecabinet_server::params![m.as_str()],
            )?;
            Ok::<_, ecabinet_server::db::DbError>((columns, rows, named))
        })
        .await
        .expect("read");
        let columns: Vec<String> = columns.iter().map(|r| r.text(0).expect("name")).collect();
        assert_eq!(columns, ["choice", "motion_id", "token"]);
        assert_eq!(named[0].int(0).expect("count"), 0, "no named ballot row");
        assert_eq!(rows.len(), 3);
        let mut choices: Vec<i64> = rows.iter().map(|r| r.int(2).expect("choice")).collect();
        choices.sort_unstable();
        assert_eq!(choices, [0, 0, 1]);
        for r in &rows {
            let token = r.text(1).expect("token");
            assert_eq!(token.len(), 32, "16 random bytes");
            for (user, device, op) in &members {
                assert!(
                    !token.contains(user.as_str())
                        && !token.contains(device.as_str())
                        && !token.contains(op.as_str()),
                    "a token carries no identity"
                );
            }
        }
    }
);

both!(speak_and_attendance_ops_reach_the_feed, |kind| async move {
    let w = World::new(kind).await;
    let env = &w.env;
    let (m, item) = w.in_session().await;
    let since = env.head(&w.chair).await;
    let results = outcomes(
        env,
        &w.member,
        vec![
            json!({"op_id": "speak-1", "kind": "speak", "body": {"agenda_item_id": item, "requested_at": T0}}),
            json!({"op_id": "here-1", "kind": "attendance", "body": {"meeting_id": m, "member_id": w.member.user_id, "presence": "in_room", "at": T0}}),
            json!({"op_id": "mark-chair", "kind": "attendance", "body": {"meeting_id": m, "member_id": w.chair.user_id, "presence": "online", "at": T0}}),
            json!({"op_id": "speak-2", "kind": "speak", "body": {"agenda_item_id": item, "requested_at": T0}}),
            json!({"op_id": "speak-bad", "kind": "speak", "body": {"item": item}}),
        ],
    )
    .await;
    assert_eq!(
        results,
        [
            "accepted",
            "accepted",
            "rejected:forbidden",
            "rejected:conflict",
            "rejected:malformed"
        ]
    );
    // The chair marks the member absent later; the member's older check-in
    // arriving afterwards does not undo it.
    let results = outcomes(
        env,
        &w.chair,
        vec![json!({"op_id": "absent-1", "kind": "attendance", "body": {"meeting_id": m, "member_id": w.member.user_id, "presence": "absent", "reason": "Đi công tác", "at": T0 + 5}})],
    )
    .await;
    assert_eq!(results, ["accepted"]);
    let late = outcomes(
        env,
        &w.member,
        vec![json!({"op_id": "here-0", "kind": "attendance", "body": {"meeting_id": m, "member_id": w.member.user_id, "presence": "online", "at": T0 + 1}})],
    )
    .await;
    assert_eq!(late, ["accepted"]);

    let changes = env.all_changes(&w.chair, since).await;
    let speakers: Vec<&Value> = changes
        .iter()
        .filter(|c| c["entity"] == "speaker_request")
        .collect();
    assert_eq!(speakers.len(), 1);
    assert_eq!(speakers[0]["body"]["user_id"], json!(w.member.user_id));
    let attendance: Vec<&Value> = changes
        .iter()
        .filter(|c| c["entity"] == "attendance")
        .collect();
    assert_eq!(attendance.len(), 2, "the late, older mark is not published");
    let last = &attendance[1]["body"];
    assert_eq!(last["presence"], "absent");
    assert_eq!(last["reason"], "Đi công tác");
    assert_eq!(last["by_chair"], true);
    assert_eq!(last["member_id"], json!(w.member.user_id));
});

async fn result(w: &World, who: &Session, motion: &str) -> Value {
    let (s, r) = w
        .env
        .call(
            "GET",
            &format!("/v1/motions/{motion}/result"),
            Some(who),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

fn at(w: &World, t: i64) {
    w.env.clock.0.store(t, std::sync::atomic::Ordering::SeqCst);
}

both!(
    a_result_turns_final_after_the_grace_period_and_reaches_the_feed,
    |kind| async move {
        let w = World::new(kind).await;
        let env = &w.env;
        let (_, _, mo) = w.open_motion(json!({"quorum": 3})).await;
        w.cast_all(
            &mo,
            "vote",
            &[("member", 0), ("chair", 0), ("secretary", 1)],
        )
        .await;
        let live = result(&w, &w.chair, &mo).await;
        assert_eq!(live["finality"], "provisional");
        assert_eq!(live["counts"], json!([2, 1, 0]));
        assert_eq!(live["chair"]["received"], 3);
        assert_eq!(live["chair"]["eligible"], 4);
        assert_eq!(live["chair"]["not_voted"], json!([w.revoked.user_id]));
        assert_eq!(live["audit_head"], Value::Null);
        let seen_by_member = result(&w, &w.member, &mo).await;
        assert!(seen_by_member.get("chair").is_none(), "{seen_by_member}");

        at(&w, T0 + 10_000);
        w.motion_to(&mo, "close").await;
        at(&w, T0 + 60_000);
        assert_eq!(result(&w, &w.member, &mo).await["finality"], "provisional");
        let since = env.head(&w.member).await;
        at(&w, T0 + 10_000 + 120_000);
        let done = result(&w, &w.member, &mo).await;
        assert_eq!(done["finality"], "final");
        assert_eq!(done["outcome"], "adopted");
        assert_eq!(done["quorum_met"], true);
        let audit_head = done["audit_head"].as_str().expect("head").to_owned();
        assert_eq!(
            result(&w, &w.chair, &mo).await["audit_head"],
            json!(audit_head)
        );

        let published: Vec<Value> = env
            .all_changes(&w.member, since)
            .await
            .into_iter()
            .filter(|c| c["entity"] == "motion_result")
            .collect();
        assert_eq!(published.len(), 1, "published once");
        assert_eq!(published[0]["id"], json!(mo));
        assert_eq!(published[0]["body"]["motion_id"], json!(mo));
        assert_eq!(published[0]["body"]["audit_head"], json!(audit_head));
        assert_eq!(published[0]["body"]["counts"], json!([2, 1, 0]));
    }
);

both!(audit_verify_detects_a_tampered_record, |kind| async move {
    let w = World::new(kind).await;
    let env = &w.env;
    let (_, item) = w.in_session().await;
    let named = w.motion(&item, json!({})).await;
    let secret = w.motion(&item, json!({"kind": "secret"})).await;
    w.motion_to(&named, "open").await;
    w.motion_to(&secret, "open").await;
    let v = env.voter("member").await;
    let seen = env.head(&v.session).await;
    assert_eq!(
        outcomes(
            env,
            &v.session,
            vec![
                v.ballot("n-1", &named, 0, T0, seen),
                v.ballot("s-1", &secret, 1, T0, seen)
            ]
        )
        .await,
        ["accepted", "accepted"]
    );
    w.motion_to(&named, "close").await;
    w.motion_to(&secret, "close").await;
    at(&w, T0 + 200_000);
    assert_eq!(result(&w, &w.member, &secret).await["finality"], "final");

    let dir = env.dir.path().display().to_string();
    let mut args = vec!["audit", "verify", "--data-dir", dir.as_str()];
    if kind == Kind::Postgres {
        args.extend(["--database-url", env.db_url.as_str()]);
    }
    let (ok, out, err) = run_cli(&args);
    assert!(ok, "{out}{err}");
    // created+opened ×2, one named ballot, closed ×2, one sealed secret ballot.
    assert!(out.contains("intact: 8 records"), "{out}");

    // Change the named ballot's choice in place.
    let rows = env
        .state
        .db
        .read(|conn| conn.query("SELECT seq, record FROM audit_log ORDER BY seq", &[]))
        .await
        .expect("audit rows");
    let (seq, record) = rows
        .iter()
        .map(|r| (r.int(0).expect("seq"), r.text(1).expect("record")))
        .find(|(_, rec)| rec.contains("named_ballot"))
        .expect("a named ballot record");
    let forged = record.replace("\"choice\":0", "\"choice\":1");
    assert_ne!(forged, record);
    env.state
        .db
        .write(move |tx| {
            tx.conn.execute(
                "UPDATE audit_log SET record = ? WHERE seq = ?",
                ecabinet_server::params![forged, seq],
            )
        })
        .await
        .expect("tamper");
    let (ok, out, err) = run_cli(&args);
    assert!(!ok, "tampering must fail verification: {out}");
    assert!(
        err.contains(&format!("record seq {seq}")),
        "names the first broken record: {err}"
    );
});

async fn inclusion(w: &World, who: &Session, hash: &str) -> (StatusCode, Value) {
    w.env
        .call(
            "GET",
            &format!("/v1/audit/inclusion/{hash}"),
            Some(who),
            None,
        )
        .await
}

/// Checks an inclusion proof the way a member's client does.
fn proves(proof: &Value, hash: &str, published_head: &str) -> bool {
    let proof: ecabinet_protocol::InclusionProofBody =
        serde_json::from_value(proof.clone()).expect("proof");
    let records: Vec<ecabinet_model::AuditRecord> = proof
        .records
        .iter()
        .map(|r| r.to_model().expect("record"))
        .collect();
    ecabinet_model::verify_inclusion(
        &ecabinet_model::Receipt::from_hex(hash).expect("receipt"),
        &ecabinet_model::ChainHead::from_hex(&proof.start_head).expect("start"),
        &records,
        &ecabinet_model::ChainHead::from_hex(published_head).expect("head"),
    )
    .is_ok()
}

both!(
    accepted_ballots_carry_receipts_that_the_published_chain_proves,
    |kind| async move {
        let w = World::new(kind).await;
        let env = &w.env;
        let (_, _, mo) = w.open_motion(json!({"may_change_vote": true})).await;
        let v = env.voter("member").await;
        let seen = env.head(&v.session).await;
        let first = push(env, &v.session, vec![v.ballot("r-1", &mo, 0, T0, seen)]).await;
        let receipt = first[0]["receipt"].clone();
        let hash = receipt["hash"].as_str().expect("hash").to_owned();
        assert_eq!(hash.len(), 64, "{receipt}");
        // A retry answers the same receipt.
        let again = push(env, &v.session, vec![v.ballot("r-1", &mo, 0, T0, seen)]).await;
        assert_eq!(again[0]["receipt"], receipt);
        // A change: the new ballot goes further down the chain, the old one
        // keeps its receipt (its record stays in the chain).
        let second = push(env, &v.session, vec![v.ballot("r-2", &mo, 1, T0 + 1, seen)]).await;
        let hash2 = second[0]["receipt"]["hash"]
            .as_str()
            .expect("hash")
            .to_owned();
        assert!(second[0]["receipt"]["seq"].as_i64() > receipt["seq"].as_i64());
        let (s, b) = env
            .call(
                "POST",
                "/v1/ops/status",
                Some(&v.session),
                Some(json!({"op_ids": ["r-1"]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["results"][0]["status"], "superseded");
        assert_eq!(b["results"][0]["receipt"], receipt);

        // No proof before the result is published.
        assert_eq!(
            inclusion(&w, &v.session, &hash).await.0,
            StatusCode::CONFLICT
        );
        at(&w, T0 + 10_000);
        w.motion_to(&mo, "close").await;
        at(&w, T0 + 10_000 + 120_000);
        let done = result(&w, &w.member, &mo).await;
        assert_eq!(done["finality"], "final");
        let published = done["audit_head"].as_str().expect("head").to_owned();
        for h in [&hash, &hash2] {
            let (s, proof) = inclusion(&w, &v.session, h).await;
            assert_eq!(s, StatusCode::OK, "{proof}");
            assert!(proves(&proof, h, &published), "{proof}");
        }
        // A proof starts at its record: it cannot vouch for an earlier one,
        // nor for a chain ending at another head.
        let (_, proof) = inclusion(&w, &v.session, &hash2).await;
        assert!(!proves(&proof, &hash, &published));
        assert!(!proves(&proof, &hash2, &"0".repeat(64)));
        assert_eq!(
            inclusion(&w, &v.session, &"ab".repeat(32)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            inclusion(&w, &v.session, "not-hex").await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
);

/// Waits (a bounded number of rounds, not a timing assertion) for the
/// background finaliser to publish `motion`'s result on the feed.
async fn published_result(w: &World, since: i64, motion: &str) -> Value {
    for _ in 0..150 {
        let found = w
            .env
            .all_changes(&w.member, since)
            .await
            .into_iter()
            .find(|c| c["entity"] == "motion_result" && c["id"] == motion);
        if let Some(c) = found {
            return c["body"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("no result of {motion} was published");
}

both!(
    results_are_published_with_no_request_after_the_grace_period_or_at_the_deadline,
    |kind| async move {
        let w = World::new(kind).await;
        let env = &w.env;
        let (_, item, live) = w.open_motion(json!({})).await;
        let v = env.voter("member").await;
        let seen = env.head(&v.session).await;
        assert_eq!(
            outcomes(env, &v.session, vec![v.ballot("f-1", &live, 0, T0, seen)]).await,
            ["accepted"]
        );
        at(&w, T0 + 10_000);
        w.motion_to(&live, "close").await;
        let since = env.head(&w.member).await;
        at(&w, T0 + 10_000 + 120_000);
        let body = published_result(&w, since, &live).await;
        assert_eq!(body["finality"], "final");
        assert_eq!(body["counts"], json!([1, 0, 0]));
        assert!(body["audit_head"].as_str().is_some());

        // A written consultation: nobody closes it; at its deadline it is
        // closed (as of the deadline) and its result published.
        let written = w
            .motion(
                &item,
                json!({"mode": "written", "deadline": T0 + 200_000, "kind": "secret"}),
            )
            .await;
        w.motion_to(&written, "open").await;
        let seen = env.head(&v.session).await;
        assert_eq!(
            outcomes(
                env,
                &v.session,
                vec![v.ballot("f-2", &written, 1, T0 + 130_000, seen)]
            )
            .await,
            ["accepted"]
        );
        let since = env.head(&w.member).await;
        at(&w, T0 + 200_000);
        let body = published_result(&w, since, &written).await;
        assert_eq!(body["counts"], json!([0, 1, 0]));
        assert_eq!(body["ballots_sealed_at"], json!(T0 + 200_000));
        let changes = env.all_changes(&w.member, since).await;
        let closed = newest(&changes, |c| {
            c["entity"] == "motion" && c["id"] == written.as_str()
        });
        assert_eq!(closed["body"]["status"], "closed");
        assert_eq!(closed["body"]["closed_at"], json!(T0 + 200_000));
    }
);

// Presence feeds quorum. A check-in dated `i64::MAX` used to outrank every
// later mark, the chair's included, and so pin the member present.
both!(
    a_check_in_from_the_far_future_cannot_pin_presence_over_the_chair,
    |kind| async move {
        let w = World::new(kind).await;
        let env = &w.env;
        let (m, _, mo) = w.open_motion(json!({"quorum": 2})).await;
        let check_in = |op: &str, member: &str, presence: &str, at: i64| json!({"op_id": op, "kind": "attendance", "body": {"meeting_id": m, "member_id": member, "presence": presence, "at": at}});
        let since = env.head(&w.chair).await;
        assert_eq!(
            outcomes(
                env,
                &w.member,
                vec![check_in("pin", &w.member.user_id, "in_room", i64::MAX)]
            )
            .await,
            ["accepted"]
        );
        assert_eq!(
            outcomes(
                env,
                &w.chair,
                vec![check_in("chair-here", &w.chair.user_id, "in_room", T0)]
            )
            .await,
            ["accepted"]
        );
        assert_eq!(result(&w, &w.chair, &mo).await["quorum_met"], true);
        let pinned = env
            .all_changes(&w.chair, since)
            .await
            .into_iter()
            .find(|c| c["entity"] == "attendance" && c["body"]["op_id"] == "pin")
            .expect("the check-in is published");
        assert_eq!(pinned["body"]["at"], json!(T0), "clamped to its arrival");

        // The chair marks the member absent; quorum is no longer met.
        at(&w, T0 + 5_000);
        let absent = json!({"op_id": "chair-absent", "kind": "attendance", "body": {"meeting_id": m, "member_id": w.member.user_id, "presence": "absent", "reason": "Không có mặt", "at": T0 + 5_000}});
        assert_eq!(outcomes(env, &w.chair, vec![absent]).await, ["accepted"]);
        assert_eq!(result(&w, &w.chair, &mo).await["quorum_met"], false);

        // The member's own later check-in does not override the chair.
        at(&w, T0 + 60_000);
        assert_eq!(
            outcomes(
                env,
                &w.member,
                vec![check_in("again", &w.member.user_id, "online", T0 + 60_000)]
            )
            .await,
            ["accepted"]
        );
        assert_eq!(result(&w, &w.chair, &mo).await["quorum_met"], false);
        let last = env
            .all_changes(&w.chair, since)
            .await
            .into_iter()
            .rev()
            .find(|c| {
                c["entity"] == "attendance" && c["body"]["member_id"] == json!(w.member.user_id)
            })
            .expect("attendance");
        assert_eq!(last["body"]["presence"], "absent");
        assert_eq!(last["body"]["by_chair"], true);
    }
);
