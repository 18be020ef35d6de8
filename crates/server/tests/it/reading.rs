//! Document read status: `read` operations and the chair's and secretary's
//! `GET /v1/meetings/{id}/read-status`, only where the committee enables it.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

/// A published meeting with one document; returns (meeting, version id).
async fn published_document(w: &World) -> (String, String) {
    let (m, version) = w
        .meeting_with_pdf(
            "Phiên họp thường kỳ",
            "Báo cáo kinh tế - xã hội",
            "Báo cáo quý III",
            2,
        )
        .await;
    w.publish(&m).await;
    (m, version)
}

/// The admin switches read status of `committee` on or off.
async fn set_read_status(w: &World, committee: &str, on: bool) -> Value {
    let (s, c) = w
        .env
        .call(
            "PATCH",
            &format!("/v1/admin/committees/{committee}"),
            Some(&w.admin),
            Some(json!({ "read_status": on })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c
}

fn read_op(op_id: &str, version: &str, state: &str, at: i64) -> Value {
    json!({"op_id": op_id, "kind": "read", "body": {"version_id": version, "state": state, "at": at}})
}

async fn read_status(w: &World, who: &Session, meeting: &str) -> (StatusCode, Value) {
    w.env
        .call(
            "GET",
            &format!("/v1/meetings/{meeting}/read-status"),
            Some(who),
            None,
        )
        .await
}

/// (downloaded_at, opened_at) of `member` for the only document.
fn times_of(status: &Value, member: &str) -> (Value, Value) {
    let docs = status["documents"].as_array().expect("documents");
    assert_eq!(docs.len(), 1, "{status}");
    let row = docs[0]["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["member_id"] == member)
        .unwrap_or_else(|| panic!("{member} is not listed: {status}"));
    (row["downloaded_at"].clone(), row["opened_at"].clone())
}

both!(
    chair_and_secretary_see_who_downloaded_and_opened,
    |kind| async move {
        let w = World::new(kind).await;
        let committee = set_read_status(&w, &w.committee_id, true).await;
        assert_eq!(committee["read_status"], true);
        // Devices learn the setting from the feed.
        let changes = w.env.all_changes(&w.member, 0).await;
        assert!(
            changes.iter().any(|c| c["entity"] == "committee"
                && c["id"] == w.committee_id.as_str()
                && c["body"]["read_status"] == true),
            "no committee change on the feed"
        );
        let (m, version) = published_document(&w).await;

        let got = outcomes(
            &w.env,
            &w.member,
            vec![
                read_op("r-1", &version, "downloaded", T0 + 1_000),
                read_op("r-2", &version, "opened", T0 + 5_000),
                // Another device reports later: the first times stay.
                read_op("r-3", &version, "downloaded", T0 + 9_000),
                read_op("r-4", &version, "opened", T0 + 9_000),
            ],
        )
        .await;
        assert_eq!(got, ["accepted"; 4]);

        for who in [&w.chair, &w.secretary, &w.admin] {
            let (s, status) = read_status(&w, who, &m).await;
            assert_eq!(s, StatusCode::OK, "{status}");
            assert_eq!(status["meeting_id"], m.as_str());
            let doc = &status["documents"][0];
            assert_eq!(doc["version_id"], version.as_str());
            assert_eq!(doc["title"], "Báo cáo quý III");
            assert_eq!(doc["version"], 1);
            assert_eq!(
                times_of(&status, &w.member.user_id),
                (json!(T0 + 1_000), json!(T0 + 5_000))
            );
            // Every member is listed, also those with nothing yet.
            assert_eq!(
                times_of(&status, &w.revoked.user_id),
                (Value::Null, Value::Null)
            );
            assert_eq!(doc["members"].as_array().expect("members").len(), 4);
        }

        // A member does not see who read what; nor does another committee.
        let (s, _) = read_status(&w, &w.member, &m).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = read_status(&w, &w.outsider, &m).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

both!(
    an_open_without_a_download_report_counts_as_both,
    |kind| async move {
        let w = World::new(kind).await;
        set_read_status(&w, &w.committee_id, true).await;
        let (m, version) = published_document(&w).await;
        let got = outcomes(
            &w.env,
            &w.chair,
            vec![read_op("o-1", &version, "opened", T0 + 7_000)],
        )
        .await;
        assert_eq!(got, ["accepted"]);
        let (_, status) = read_status(&w, &w.secretary, &m).await;
        assert_eq!(
            times_of(&status, &w.chair.user_id),
            (json!(T0 + 7_000), json!(T0 + 7_000))
        );
    }
);

both!(
    reports_are_refused_where_read_status_is_off,
    |kind| async move {
        let w = World::new(kind).await;
        let (m, version) = published_document(&w).await;
        let got = outcomes(
            &w.env,
            &w.member,
            vec![read_op("d-1", &version, "downloaded", T0)],
        )
        .await;
        assert_eq!(got, ["rejected:not_enabled"]);
        let (s, body) = read_status(&w, &w.chair, &m).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "not_enabled");

        // Switched on and off again: refused again, and what was kept is not shown.
        set_read_status(&w, &w.committee_id, true).await;
        let got = outcomes(
            &w.env,
            &w.member,
            vec![read_op("d-2", &version, "downloaded", T0)],
        )
        .await;
        assert_eq!(got, ["accepted"]);
        assert_eq!(
            set_read_status(&w, &w.committee_id, false).await["read_status"],
            false
        );
        let got = outcomes(
            &w.env,
            &w.member,
            vec![read_op("d-3", &version, "opened", T0)],
        )
        .await;
        assert_eq!(got, ["rejected:not_enabled"]);
        let (s, _) = read_status(&w, &w.secretary, &m).await;
        assert_eq!(s, StatusCode::CONFLICT);
    }
);

both!(
    reports_on_documents_the_member_cannot_see_are_refused,
    |kind| async move {
        let w = World::new(kind).await;
        set_read_status(&w, &w.committee_id, true).await;
        let (m, version) = published_document(&w).await;
        // The outsider belongs to another committee (with read status on too).
        set_read_status(&w, &w.other_committee_id, true).await;
        let got = outcomes(&w.env,
        &w.outsider,
        vec![
            read_op("x-1", &version, "downloaded", T0),
            read_op("x-2", "no-such-version", "opened", T0),
            json!({"op_id": "x-3", "kind": "read", "body": {"version_id": version, "state": "skimmed", "at": T0}}),
        ],
    )
    .await;
        assert_eq!(
            got,
            [
                "rejected:unknown_document",
                "rejected:unknown_document",
                "rejected:malformed"
            ]
        );
        // A version not yet published is unknown to members too.
        let (_, draft) = w
            .meeting_with_pdf("Phiên họp chưa công bố", "Mục", "Dự thảo", 1)
            .await;
        let got = outcomes(
            &w.env,
            &w.member,
            vec![read_op("x-4", &draft, "downloaded", T0)],
        )
        .await;
        assert_eq!(got, ["rejected:unknown_document"]);

        let (_, status) = read_status(&w, &w.chair, &m).await;
        for row in status["documents"][0]["members"]
            .as_array()
            .expect("members")
        {
            assert_eq!(row["downloaded_at"], Value::Null, "{status}");
        }
    }
);

both!(
    a_committee_can_be_created_with_read_status_on,
    |kind| async move {
        let w = World::new(kind).await;
        let (s, c) = w
            .env
            .call(
                "POST",
                "/v1/admin/committees",
                Some(&w.admin),
                Some(json!({"name": "Ban Kinh tế - Ngân sách", "read_status": true})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert_eq!(c["read_status"], true);
        let (s, c) = w
            .env
            .call(
                "POST",
                "/v1/admin/committees",
                Some(&w.admin),
                Some(json!({"name": "Ban Pháp chế"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert_eq!(c["read_status"], false);
        let (s, _) = w
            .env
            .call(
                "PATCH",
                "/v1/admin/committees/no-such-committee",
                Some(&w.admin),
                Some(json!({"read_status": true})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);
