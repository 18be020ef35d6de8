//! Private annotations on the server: sealed edits ordered by their clock
//! stamps, visible only to their owner, and the wrapped annotation key.

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

fn sealed(id: &str, ms: i64, counter: u32, node: &str, deleted: bool) -> Value {
    json!({
        "id": id,
        "hlc": {"ms": ms, "counter": counter, "node": node},
        "deleted": deleted,
        "nonce": BASE64.encode([1u8; 12]),
        "ciphertext": BASE64.encode([ms as u8; 40]),
    })
}

fn op(op_id: &str, body: Value) -> Value {
    json!({"op_id": op_id, "kind": "annotation", "body": body})
}

fn annotation_changes(changes: &[Value]) -> Vec<(String, i64, bool)> {
    changes
        .iter()
        .filter(|c| c["entity"] == "annotation")
        .map(|c| {
            (
                c["id"].as_str().expect("id").to_owned(),
                c["body"]["hlc"]["ms"].as_i64().expect("ms"),
                c["body"]["deleted"].as_bool().expect("deleted"),
            )
        })
        .collect()
}

both!(
    sealed_edits_are_ordered_by_stamp_and_seen_by_their_owner_only,
    |kind| async move {
        let w = World::new(kind).await;
        let env = &w.env;
        let dev = w.member.device_id.clone().expect("device");
        let results = outcomes(
            env,
            &w.member,
            vec![
                op("o1", sealed("a1", 2000, 0, &dev, false)),
                // Older than the stored edit: replaced, not applied.
                op("o2", sealed("a1", 1000, 5, &dev, false)),
                // The same edit under another op id changes nothing.
                op("o3", sealed("a1", 2000, 0, &dev, false)),
                op("o4", sealed("a1", 2000, 1, &dev, true)),
                // A device cannot stamp edits in another device's name.
                op("o5", sealed("a2", 3000, 0, "someone-else", false)),
                op(
                    "o6",
                    json!({"id": "a3", "hlc": {"ms": 1, "counter": 0, "node": dev}, "deleted": false, "nonce": "short", "ciphertext": ""}),
                ),
            ],
        )
        .await;
        assert_eq!(
            results,
            [
                "accepted",
                "superseded",
                "accepted",
                "accepted",
                "rejected:forbidden",
                "rejected:malformed"
            ]
        );
        let mine = annotation_changes(&env.all_changes(&w.member, 0).await);
        assert_eq!(
            mine,
            [
                ("a1".to_owned(), 2000, false),
                ("a1".to_owned(), 2000, true)
            ]
        );
        for other in [&w.chair, &w.secretary, &w.outsider] {
            assert!(annotation_changes(&env.all_changes(other, 0).await).is_empty());
        }
        // A retry of the first push gets the same answers.
        let again = outcomes(
            env,
            &w.member,
            vec![op("o1", sealed("a1", 2000, 0, &dev, false))],
        )
        .await;
        assert_eq!(again, ["accepted"]);
        assert_eq!(
            annotation_changes(&env.all_changes(&w.member, 0).await).len(),
            2
        );
    }
);

both!(
    the_first_wrapped_key_stays_and_only_its_owner_reads_it,
    |kind| async move {
        let w = World::new(kind).await;
        let env = &w.env;
        let (status, _) = env
            .call("GET", "/v1/annotation-key", Some(&w.member), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let key = |key_id: &str| {
            json!({
                "key_id": key_id, "kdf": "argon2id-v19", "m_kib": 19456, "t": 2, "p": 1,
                "salt": BASE64.encode([2u8; 16]), "nonce": BASE64.encode([3u8; 12]),
                "wrapped_key": BASE64.encode([4u8; 48]),
            })
        };
        let mut bad = key("k1");
        bad["wrapped_key"] = json!(BASE64.encode([4u8; 32]));
        let (status, _) = env
            .call("PUT", "/v1/annotation-key", Some(&w.member), Some(bad))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, body) = env
            .call(
                "PUT",
                "/v1/annotation-key",
                Some(&w.member),
                Some(key("k1")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = env
            .call(
                "PUT",
                "/v1/annotation-key",
                Some(&w.member),
                Some(key("k2")),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = env
            .call("GET", "/v1/annotation-key", Some(&w.member), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, key("k1"));
        let (status, _) = env
            .call("GET", "/v1/annotation-key", Some(&w.chair), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

both!(
    an_annotation_edit_nudges_its_owners_devices_only,
    |kind| async move {
        let w = World::new(kind).await;
        let base = serve_in_process(&w.env).await;
        let mut member =
            SseReader::open(&base, &w.member.token, w.member.device_id.as_deref()).await;
        let mut chair = SseReader::open(&base, &w.chair.token, w.chair.device_id.as_deref()).await;
        member.next().await;
        chair.next().await;
        let dev = w.member.device_id.clone().expect("device");
        let pushed = outcomes(
            &w.env,
            &w.member,
            vec![op("o1", sealed("a1", 2000, 0, &dev, false))],
        )
        .await;
        assert_eq!(pushed, ["accepted"]);
        let seq = w
            .env
            .all_changes(&w.member, 0)
            .await
            .last()
            .expect("change")["seq"]
            .as_i64()
            .expect("seq");
        let (ev, data) = member.next().await;
        assert_eq!((ev.as_str(), data["seq"].as_i64()), ("feed", Some(seq)));
        // The chair's next nudge is about the committee, not the annotation.
        w.meeting("Phiên họp").await;
        let committee_seq = w.env.all_changes(&w.chair, seq).await[0]["seq"]
            .as_i64()
            .expect("seq");
        let (ev, data) = chair.next().await;
        assert_eq!(
            (ev.as_str(), data["seq"].as_i64()),
            ("feed", Some(committee_seq))
        );
    }
);
