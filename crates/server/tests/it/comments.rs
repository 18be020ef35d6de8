//! Members' comments on published drafts (góp ý dự thảo): `comment`
//! operations through `POST /v1/ops`, each stored once; who reads them
//! (`GET /v1/documents/{id}/comments`); the secretary's answer
//! (`PUT /v1/comments/{id}/response`).

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

fn comment_op(op_id: &str, version: &str, page: Option<u32>, region: Value, text: &str) -> Value {
    json!({"op_id": op_id, "kind": "comment", "body": {
        "version_id": version, "page": page, "region": region, "text": text, "written_at": T0,
    }})
}

/// A published meeting with one 3-page draft: (meeting, document, version).
async fn published_draft(w: &World) -> (String, String, String) {
    let m = w.meeting("Phiên họp tháng 12").await;
    let item = w.item(&m, "Dự thảo nghị quyết", None).await;
    let doc = w
        .document(&item, "Dự thảo nghị quyết về chuyển đổi số")
        .await;
    let (s, v) = w
        .upload(&w.secretary, &doc, pdf("Dự thảo", 3), "application/pdf")
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    w.publish(&m).await;
    (m, doc, v["id"].as_str().expect("version").to_owned())
}

async fn comments(w: &World, who: &Session, doc: &str) -> (StatusCode, Value) {
    w.env
        .call(
            "GET",
            &format!("/v1/documents/{doc}/comments"),
            Some(who),
            None,
        )
        .await
}

fn texts(list: &Value) -> Vec<String> {
    list["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["text"].as_str().expect("text").to_owned())
        .collect()
}

both!(
    a_members_comments_reach_the_secretary_and_chair_but_not_other_members,
    |kind| async move {
        let w = World::new(kind).await;
        let (_, doc, version) = published_draft(&w).await;
        let other = w.env.user("member2", false).await;
        let (s, b) = w
            .env
            .call(
                "PUT",
                &format!(
                    "/v1/admin/committees/{}/members/{}",
                    w.committee_id, other.user_id
                ),
                Some(&w.admin),
                Some(json!({"role": "member"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");

        let region = json!({"x": 0.1, "y": 0.2, "w": 0.5, "h": 0.1});
        let ops = vec![
            comment_op(
                "c-1",
                &version,
                Some(2),
                region.clone(),
                "  Đề nghị bổ sung chỉ tiêu về dịch vụ công trực tuyến.  ",
            ),
            comment_op(
                "c-2",
                &version,
                None,
                Value::Null,
                "Whole draft: the timeline is too short.",
            ),
        ];
        assert_eq!(
            outcomes(&w.env, &w.member, ops.clone()).await,
            ["accepted", "accepted"]
        );
        // Sent again (a lost answer): the same outcomes, nothing stored twice.
        assert_eq!(
            outcomes(&w.env, &w.member, ops).await,
            ["accepted", "accepted"]
        );

        let (s, all) = comments(&w, &w.secretary, &doc).await;
        assert_eq!(s, StatusCode::OK, "{all}");
        assert_eq!(
            texts(&all),
            [
                "Đề nghị bổ sung chỉ tiêu về dịch vụ công trực tuyến.",
                "Whole draft: the timeline is too short."
            ]
        );
        assert_eq!(all["can_respond"], true);
        let first = &all["comments"][0];
        assert_eq!(first["author_name"], "Người dùng member");
        assert_eq!(first["page"], 2);
        assert_eq!(first["region"], region);
        assert_eq!(first["status"], "open");
        assert_eq!(first["version"], 1);
        assert_eq!(texts(&comments(&w, &w.chair, &doc).await.1).len(), 2);
        // The author reads their own; another member reads none of them,
        // until the committee shares comments with members.
        let (_, mine) = comments(&w, &w.member, &doc).await;
        assert_eq!(
            (texts(&mine).len(), &mine["can_respond"]),
            (2, &json!(false))
        );
        let (_, theirs) = comments(&w, &other, &doc).await;
        assert!(texts(&theirs).is_empty(), "{theirs}");
        w.env
            .clock
            .0
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (s, c) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/admin/committees/{}", w.committee_id),
                Some(&w.admin),
                Some(json!({"comments_shared": true})),
            )
            .await;
        assert_eq!(
            (s, &c["comments_shared"]),
            (StatusCode::OK, &json!(true)),
            "{c}"
        );
        // Sharing shows what arrives from now on: the two comments written
        // while the committee kept comments private stay private.
        let (_, shared) = comments(&w, &other, &doc).await;
        assert!(texts(&shared).is_empty(), "{shared}");
        assert_eq!(shared["shared_with_members"], true);
        assert_eq!(
            outcomes(
                &w.env,
                &w.member,
                vec![comment_op(
                    "c-3",
                    &version,
                    Some(1),
                    Value::Null,
                    "Sau khi chia sẻ."
                )]
            )
            .await,
            ["accepted"]
        );
        let (_, shared) = comments(&w, &other, &doc).await;
        assert_eq!(texts(&shared), ["Sau khi chia sẻ."]);
        assert_eq!(texts(&comments(&w, &w.member, &doc).await.1).len(), 3);
        // Turned off and on again, sharing starts over from then.
        for on in [false, true] {
            w.env
                .clock
                .0
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (s, _) = w
                .env
                .call(
                    "PATCH",
                    &format!("/v1/admin/committees/{}", w.committee_id),
                    Some(&w.admin),
                    Some(json!({ "comments_shared": on })),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
        }
        let (_, again) = comments(&w, &other, &doc).await;
        assert!(texts(&again).is_empty(), "{again}");
        // Another committee's secretary learns nothing.
        let (s, _) = comments(&w, &w.outsider, &doc).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

both!(
    a_comment_that_cannot_be_kept_is_refused_visibly,
    |kind| async move {
        let w = World::new(kind).await;
        let (m, _, version) = published_draft(&w).await;
        let long = "ý".repeat(ecabinet_protocol::MAX_COMMENT_CHARS + 1);
        let got = outcomes(
            &w.env,
            &w.member,
            vec![
                comment_op("bad-1", &version, Some(1), Value::Null, "   "),
                comment_op(
                    "bad-2",
                    &version,
                    None,
                    json!({"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}),
                    "vùng không có trang",
                ),
                comment_op(
                    "bad-3",
                    &version,
                    Some(1),
                    json!({"x": 0.9, "y": 0.1, "w": 0.2, "h": 0.2}),
                    "vùng ra ngoài trang",
                ),
                comment_op("bad-4", &version, Some(1), Value::Null, &long),
                comment_op(
                    "bad-5",
                    "no-such-version",
                    Some(1),
                    Value::Null,
                    "không có tài liệu",
                ),
                // Text that reads otherwise than it is stored (a bidi override).
                comment_op(
                    "bad-6",
                    &version,
                    Some(1),
                    Value::Null,
                    "Đồng ý \u{202e}gnôhk",
                ),
                comment_op(
                    "bad-7",
                    &version,
                    Some(1),
                    Value::Null,
                    &"dòng\n".repeat(61),
                ),
                // The draft has 3 pages, as its upload's check counted.
                comment_op("bad-8", &version, Some(4), Value::Null, "trang 4"),
                comment_op("last-page", &version, Some(3), Value::Null, "trang 3"),
            ],
        )
        .await;
        assert_eq!(
            got,
            [
                "rejected:malformed",
                "rejected:malformed",
                "rejected:malformed",
                "rejected:malformed",
                "rejected:unknown_document",
                "rejected:malformed",
                "rejected:malformed",
                "rejected:malformed",
                "accepted"
            ]
        );
        // One member cannot flood a draft: past 50 comments, each is refused
        // with its own reason (the others' still count).
        let flood: Vec<Value> = (0..=ecabinet_protocol::MAX_COMMENTS_PER_MEMBER)
            .map(|i| comment_op(&format!("f-{i}"), &version, Some(1), Value::Null, "Ý kiến"))
            .collect();
        let got = outcomes(&w.env, &w.member, flood).await;
        // (The comment on page 3 above is the member's first.)
        assert_eq!(got.iter().filter(|o| *o == "accepted").count(), 49);
        assert_eq!(
            got.last().map(String::as_str),
            Some("rejected:limit_reached")
        );
        let chair = vec![comment_op(
            "chair-1",
            &version,
            None,
            Value::Null,
            "Ý kiến chủ tọa",
        )];
        assert_eq!(outcomes(&w.env, &w.chair, chair).await, ["accepted"]);
        // Another committee's member cannot reach the draft.
        assert_eq!(
            outcomes(
                &w.env,
                &w.outsider,
                vec![comment_op("o-1", &version, None, Value::Null, "?")]
            )
            .await,
            ["rejected:unknown_document"]
        );
        // Once the meeting is closed, the draft takes no more comments.
        w.start(&m).await;
        let (s, b) = w
            .env
            .call(
                "POST",
                &format!("/v1/meetings/{m}/close"),
                Some(&w.chair),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            outcomes(
                &w.env,
                &w.member,
                vec![comment_op("late", &version, None, Value::Null, "Muộn")]
            )
            .await,
            ["rejected:meeting_closed"]
        );
        // Nor are its comments answered any more: the record is closed.
        let (s, b) = w
            .env
            .call(
                "PUT",
                "/v1/comments/chair-1/response",
                Some(&w.secretary),
                Some(json!({"status": "accepted"})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert_eq!(b["code"], "meeting_closed", "{b}");
    }
);

both!(
    a_draft_with_comments_can_still_be_deleted_before_the_session,
    |kind| async move {
        let w = World::new(kind).await;
        let (_, doc, version) = published_draft(&w).await;
        let op = vec![comment_op("d-1", &version, None, Value::Null, "Góp ý")];
        assert_eq!(outcomes(&w.env, &w.member, op).await, ["accepted"]);
        let (s, b) = w
            .env
            .call(
                "DELETE",
                &format!("/v1/documents/{doc}"),
                Some(&w.secretary),
                None,
            )
            .await;
        assert!(s.is_success(), "{s} {b}");
        let (s, _) = comments(&w, &w.secretary, &doc).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

both!(
    the_secretary_answers_each_comment_and_the_author_sees_it,
    |kind| async move {
        let w = World::new(kind).await;
        let (_, doc, version) = published_draft(&w).await;
        let got = outcomes(
            &w.env,
            &w.member,
            vec![
                comment_op(
                    "a-1",
                    &version,
                    Some(1),
                    Value::Null,
                    "Sửa lỗi chính tả ở Điều 2.",
                ),
                comment_op("a-2", &version, Some(3), Value::Null, "Bỏ khoản 4."),
            ],
        )
        .await;
        assert_eq!(got, ["accepted", "accepted"]);
        let respond = async |who: &Session, id: &str, body: Value| {
            w.env
                .call(
                    "PUT",
                    &format!("/v1/comments/{id}/response"),
                    Some(who),
                    Some(body),
                )
                .await
        };
        // Only the secretary or the chair answers, and declining needs a
        // reason. A member gets for an existing comment what a missing id
        // gets, so ids reveal nothing.
        let (s, existing) = respond(&w.member, "a-1", json!({"status": "accepted"})).await;
        let (s2, missing) = respond(&w.member, "no-such", json!({"status": "accepted"})).await;
        assert_eq!((s, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        assert_eq!(existing, missing);
        let (s, b) = respond(&w.secretary, "a-2", json!({"status": "declined"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, _) = respond(
            &w.secretary,
            "no-such-comment",
            json!({"status": "accepted"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, b) = respond(
            &w.secretary,
            "a-1",
            json!({"status": "accepted", "reply": "Đã sửa trong dự thảo lần 2."}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            (&b["status"], &b["replied_by_name"]),
            (&json!("accepted"), &json!("Người dùng secretary"))
        );
        let (s, b) = respond(
            &w.chair,
            "a-2",
            json!({"status": "declined", "reply": "Khoản 4 là quy định bắt buộc."}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");

        let (_, mine) = comments(&w, &w.member, &doc).await;
        let answers: Vec<(String, String)> = mine["comments"]
            .as_array()
            .expect("comments")
            .iter()
            .map(|c| {
                (
                    c["status"].as_str().unwrap_or_default().to_owned(),
                    c["reply"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            answers,
            [
                (
                    "accepted".to_owned(),
                    "Đã sửa trong dự thảo lần 2.".to_owned()
                ),
                (
                    "declined".to_owned(),
                    "Khoản 4 là quy định bắt buộc.".to_owned()
                )
            ]
        );
    }
);

both!(
    a_withdrawn_agenda_item_takes_no_comments_on_its_documents,
    |kind| async move {
        let w = World::new(kind).await;
        let m = w.meeting("Phiên họp tháng 12").await;
        let item = w.item(&m, "Dự thảo rút khỏi chương trình", None).await;
        let doc = w.document(&item, "Dự thảo đề án").await;
        let (s, v) = w
            .upload(&w.secretary, &doc, pdf("Đề án", 1), "application/pdf")
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        w.publish(&m).await;
        let version = v["id"].as_str().expect("version").to_owned();
        let (s, b) = w
            .env
            .call(
                "POST",
                &format!("/v1/agenda/{item}/withdraw"),
                Some(&w.secretary),
                Some(json!({"reason": "Chưa đủ hồ sơ"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let op = vec![comment_op("w-1", &version, None, Value::Null, "Góp ý")];
        assert_eq!(outcomes(&w.env, &w.member, op).await, ["rejected:conflict"]);
    }
);
