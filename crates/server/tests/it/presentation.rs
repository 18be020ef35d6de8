//! Presenter follow mode (issue 20): in session, the chair presents or
//! hands it to a member and takes it back; the position reaches every
//! member as the meeting's one `presentation` record (older ones dropped);
//! only a published version of the meeting, a page and a sane region are
//! taken; outside a session nothing is presented.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

/// The member's feed's presentation records of meeting `m`.
async fn presentations(w: &World, m: &str) -> Vec<Value> {
    w.env
        .all_changes(&w.member, 0)
        .await
        .into_iter()
        .filter(|c| c["entity"] == "presentation" && c["id"] == json!(m))
        .map(|c| c["body"].clone())
        .collect()
}

both!(
    the_chair_presents_hands_it_over_and_takes_it_back,
    |kind| async move {
        let w = World::new(kind).await;
        let (m, version) = w
            .meeting_with_pdf("Phiên họp", "Báo cáo", "Báo cáo kinh tế", 3)
            .await;
        let present = |page: u32, region: Value| json!({"version_id": version, "page": page, "region": region});
        w.publish(&m).await;

        // Not in session yet: nothing is presented.
        let (s, body) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presentation"),
                Some(&w.chair),
                Some(present(0, Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        w.start(&m).await;

        // A member cannot present until the chair hands it over.
        let (s, _) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presentation"),
                Some(&w.member),
                Some(present(0, Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        for (page, region) in [
            (0, Value::Null),
            (1, json!([0.1, 0.2, 0.6, 0.7])),
            (2, Value::Null),
        ] {
            let (s, body) = w
                .env
                .call(
                    "PUT",
                    &format!("/v1/meetings/{m}/presentation"),
                    Some(&w.chair),
                    Some(present(page, region)),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{body}");
        }
        // The members' feed holds the latest position only.
        let seen = presentations(&w, &m).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0]["page"], json!(2));
        assert_eq!(seen[0]["version_id"], json!(version));
        assert_eq!(seen[0]["presenter_id"], json!(w.chair.user_id));
        assert_eq!(seen[0]["step"], json!(3));

        // Handed to the member: the member presents, the secretary still cannot.
        let (s, body) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presenter"),
                Some(&w.chair),
                Some(json!({"user_id": w.member.user_id})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, body) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presentation"),
                Some(&w.member),
                Some(present(1, Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["presenter_id"], json!(w.member.user_id));
        let (s, _) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presentation"),
                Some(&w.secretary),
                Some(present(0, Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Someone outside the committee cannot be handed it.
        let (s, _) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presenter"),
                Some(&w.chair),
                Some(json!({"user_id": w.outsider.user_id})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

        // The chair takes it back by presenting.
        let (s, body) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presentation"),
                Some(&w.chair),
                Some(present(0, Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["presenter_id"], json!(w.chair.user_id));
        let (s, _) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presentation"),
                Some(&w.member),
                Some(present(1, Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "no longer the presenter");

        // Bad input: a region outside the page, a version of no meeting here.
        for bad in [
            json!([0.5, 0.2, 0.4, 0.7]),
            json!([0.0, 0.0, 1.5, 1.0]),
            json!([-0.1, 0.0, 0.5, 0.5]),
        ] {
            let (s, body) = w
                .env
                .call(
                    "PUT",
                    &format!("/v1/meetings/{m}/presentation"),
                    Some(&w.chair),
                    Some(present(0, bad)),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        }
        let (s, _) = w
            .env
            .call(
                "PUT",
                &format!("/v1/meetings/{m}/presentation"),
                Some(&w.chair),
                Some(json!({"version_id": "khong-co", "page": 0})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Stopped: followers read freely again.
        let (s, body) = w
            .env
            .call(
                "DELETE",
                &format!("/v1/meetings/{m}/presentation"),
                Some(&w.chair),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let seen = presentations(&w, &m).await;
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["version_id"], Value::Null);
    }
);
