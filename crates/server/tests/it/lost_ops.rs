//! Operations lost to a wrong-PIN wipe, reported by the member's next device
//! (`POST /v1/devices/lost-ops`) and shown to the committee's chair,
//! secretary and administrators (`GET /v1/committees/{id}/lost-ops`).

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

const LOST_A: &str = "0190a0b1-0000-7000-8000-00000000000a";
const LOST_B: &str = "0190a0b1-0000-7000-8000-00000000000b";

async fn lost_of(w: &World, who: &Session, committee: &str) -> (StatusCode, Value) {
    w.env
        .call(
            "GET",
            &format!("/v1/committees/{committee}/lost-ops"),
            Some(who),
            None,
        )
        .await
}

fn ids_of(body: &Value, member: &str) -> Vec<String> {
    body["lost"]
        .as_array()
        .expect("lost")
        .iter()
        .filter(|l| l["member_id"] == member)
        .map(|l| l["op_id"].as_str().expect("op id").to_owned())
        .collect()
}

both!(
    a_wipe_report_is_stored_once_for_the_caller_and_shown_to_the_chair,
    |kind| async move {
        let w = World::new(kind).await;
        let c = w.committee_id.clone();
        let (s, r) = w
            .env
            .call(
                "POST",
                "/v1/devices/lost-ops",
                Some(&w.member),
                Some(json!({"op_ids": [LOST_A, LOST_B]})),
            )
            .await;
        assert_eq!((s, &r["recorded"]), (StatusCode::OK, &json!(2)), "{r}");

        // The chair, the secretary and the admin see both ids, as the member's,
        // reported by the member's device, never received by the server.
        for who in [&w.chair, &w.secretary, &w.admin] {
            let (s, body) = lost_of(&w, who, &c).await;
            assert_eq!(s, StatusCode::OK, "{body}");
            assert_eq!(ids_of(&body, &w.member.user_id), [LOST_A, LOST_B]);
            let first = &body["lost"][0];
            assert_eq!(first["reported_by_device"], json!(w.member.device_id));
            assert_eq!(first["server_status"], Value::Null);
            assert_eq!(first["display_name"], "Người dùng member");
        }
        // A plain member and another committee's chair do not.
        assert_eq!(lost_of(&w, &w.member, &c).await.0, StatusCode::FORBIDDEN);
        assert_eq!(lost_of(&w, &w.outsider, &c).await.0, StatusCode::NOT_FOUND);

        // Sent again (its answer was lost): nothing new, still one row each.
        let (s, r) = w
            .env
            .call(
                "POST",
                "/v1/devices/lost-ops",
                Some(&w.member),
                Some(json!({"op_ids": [LOST_B, LOST_A]})),
            )
            .await;
        assert_eq!((s, &r["recorded"]), (StatusCode::OK, &json!(0)), "{r}");
        let (_, body) = lost_of(&w, &w.chair, &c).await;
        assert_eq!(body["lost"].as_array().expect("lost").len(), 2, "{body}");
    }
);

both!(
    a_loss_report_is_recorded_only_as_the_callers_own,
    |kind| async move {
        let w = World::new(kind).await;
        let c = w.committee_id.clone();
        // The outsider reports an id the member also lost: it is filed under
        // the outsider, who is not in the committee, so the chair's view of
        // the member is unchanged and the outsider's report is not in it.
        for who in [&w.member, &w.outsider] {
            let (s, r) = w
                .env
                .call(
                    "POST",
                    "/v1/devices/lost-ops",
                    Some(who),
                    Some(json!({"op_ids": [LOST_A]})),
                )
                .await;
            assert_eq!((s, &r["recorded"]), (StatusCode::OK, &json!(1)), "{r}");
        }
        let (_, body) = lost_of(&w, &w.chair, &c).await;
        assert_eq!(ids_of(&body, &w.member.user_id), [LOST_A]);
        assert!(ids_of(&body, &w.outsider.user_id).is_empty(), "{body}");
        assert_eq!(body["lost"].as_array().expect("lost").len(), 1, "{body}");

        // Only from an enrolled device, and only operation ids.
        let unenrolled = w.env.login("member", "mật-khẩu-đủ-dài").await;
        let (s, _) = w
            .env
            .call(
                "POST",
                "/v1/devices/lost-ops",
                Some(&unenrolled),
                Some(json!({"op_ids": [LOST_B]})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = w
            .env
            .call(
                "POST",
                "/v1/devices/lost-ops",
                Some(&w.member),
                Some(json!({"op_ids": ["'; DROP TABLE lost_ops; --"]})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

both!(
    a_reported_loss_that_did_reach_the_server_shows_its_status,
    |kind| async move {
        let w = World::new(kind).await;
        // An attendance op the server accepted; only its answer got lost.
        let op = "0190a0b1-0000-7000-8000-0000000000c1";
        let m = w.meeting("Phiên họp").await;
        w.publish(&m).await;
        w.start(&m).await;
        let results = push(
            &w.env,
            &w.member,
            vec![json!({"op_id": op, "kind": "attendance", "body": {"meeting_id": m, "member_id": w.member.user_id, "presence": "in_room", "at": T0}})],
        )
        .await;
        let status = outcome(&results[0]);
        let (s, _) = w
            .env
            .call(
                "POST",
                "/v1/devices/lost-ops",
                Some(&w.member),
                Some(json!({"op_ids": [op]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, body) = lost_of(&w, &w.chair, &w.committee_id).await;
        assert_eq!(
            body["lost"][0]["server_status"].as_str(),
            Some(status.split(':').next().expect("status")),
            "{body}"
        );
    }
);
