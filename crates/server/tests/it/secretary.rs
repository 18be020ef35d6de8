//! The secretary's API: meetings, nested agenda, uploads, publication.

use axum::http::StatusCode;
use ecabinet_protocol::{DocumentVersionBody, Manifest};
use serde_json::json;

use crate::both;
use crate::common::*;

both!(nested_agenda_keeps_its_order, |kind| async move {
    let w = World::new(kind).await;
    let m = w.meeting("Phiên họp thường kỳ tháng 12").await;
    let a = w.item(&m, "Báo cáo kinh tế - xã hội", None).await;
    let b = w.item(&m, "Dự thảo Nghị quyết", None).await;
    let a1 = w
        .item(&m, "Báo cáo của Sở Kế hoạch và Đầu tư", Some(&a))
        .await;
    let a2 = w.item(&m, "Ý kiến thảo luận", Some(&a)).await;
    // Insert at the front, then move b under a at position 0, then rename.
    let (s, c) = w
        .env
        .call(
            "POST",
            &format!("/v1/meetings/{m}/agenda"),
            Some(&w.secretary),
            Some(json!({"title": "Khai mạc", "position": 0})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let c = c["id"].as_str().expect("id").to_owned();
    let (s, moved) = w
        .env
        .call(
            "PATCH",
            &format!("/v1/agenda/{b}"),
            Some(&w.secretary),
            Some(json!({"parent_id": a, "position": 0, "title": "Dự thảo Nghị quyết (sửa)"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(
        (
            moved["parent_id"].as_str(),
            moved["position"].as_i64(),
            moved["title"].as_str()
        ),
        (Some(a.as_str()), Some(0), Some("Dự thảo Nghị quyết (sửa)"))
    );
    // No cycles, no foreign parents.
    let (s, _) = w
        .env
        .call(
            "PATCH",
            &format!("/v1/agenda/{a}"),
            Some(&w.secretary),
            Some(json!({"parent_id": a1})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = w
        .env
        .call(
            "POST",
            &format!("/v1/meetings/{m}/agenda"),
            Some(&w.secretary),
            Some(json!({"title": "x", "parent_id": "nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // The secretary's feed, folded to the latest state, gives the tree.
    let changes = w.env.all_changes(&w.secretary, 0).await;
    let mut items = std::collections::BTreeMap::new();
    for ch in &changes {
        if ch["entity"] == "agenda_item" {
            items.insert(
                ch["id"].as_str().expect("id").to_owned(),
                ch["body"].clone(),
            );
        }
    }
    let order = |parent: Option<&str>| {
        let mut v: Vec<(i64, String)> = items
            .values()
            .filter(|i| i["parent_id"].as_str() == parent)
            .map(|i| {
                (
                    i["position"].as_i64().expect("pos"),
                    i["id"].as_str().expect("id").to_owned(),
                )
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    };
    assert_eq!(order(None), [c.clone(), a.clone()]);
    assert_eq!(order(Some(&a)), [b.clone(), a1.clone(), a2.clone()]);

    // Deleting a subtree leaves tombstones and closes the gap.
    let (s, _) = w
        .env
        .call(
            "DELETE",
            &format!("/v1/agenda/{a}"),
            Some(&w.secretary),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let after = w
        .env
        .all_changes(
            &w.secretary,
            changes.last().expect("some")["seq"].as_i64().expect("seq"),
        )
        .await;
    let deleted: std::collections::BTreeSet<_> = kinds(&after)
        .into_iter()
        .filter(|k| k.2 == "delete")
        .map(|k| k.1)
        .collect();
    assert_eq!(deleted, [a, a1, a2, b].into_iter().collect());
    assert!(after
        .iter()
        .filter(|c| c["op"] == "delete")
        .all(|c| c["body"].is_null()));
});

both!(
    publish_signs_manifests_and_new_versions_supersede,
    |kind| async move {
        let w = World::new(kind).await;
        let m = w.meeting("Phiên họp chuyên đề").await;
        let item = w.item(&m, "Đề án chuyển đổi số", None).await;
        let doc = w.document(&item, "Thuyết minh đề án").await;
        let v1_bytes = pdf("Đề án v1", 3);
        let (s, v1) = w
            .upload(&w.secretary, &doc, v1_bytes.clone(), "application/pdf")
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v1}");
        assert_eq!(
            (v1["version"].as_u64(), v1["published"].as_bool()),
            (Some(1), Some(false))
        );
        assert_eq!(
            v1["sha256"].as_str(),
            Some(ecabinet_server::auth::sha256_hex(&v1_bytes).as_str())
        );

        // Before publication the member sees nothing of the meeting.
        assert!(w
            .env
            .all_changes(&w.member, 0)
            .await
            .iter()
            .all(|c| c["entity"] == "committee" || c["entity"] == "membership"));

        w.env
            .clock
            .0
            .fetch_add(1000, std::sync::atomic::Ordering::SeqCst);
        let p = w.publish(&m).await;
        assert_eq!(p["meeting"]["status"], "published");
        let v: DocumentVersionBody =
            serde_json::from_value(p["published_versions"][0].clone()).expect("version body");
        let signed = v.signed.clone().expect("signed");
        assert_eq!(
            signed.manifest,
            Manifest {
                doc_id: doc.clone(),
                version: 1,
                sha256: v.sha256.clone(),
                size: v1_bytes.len() as u64,
                meeting_id: m.clone(),
                published_at: T0 + 1000,
                policy: Some(Default::default()),
                signed_at: Some(T0 + 1000),
            }
        );
        signed
            .verify(&w.member.server_key)
            .expect("the pinned key verifies the manifest");

        // The member now gets the whole meeting in the feed.
        let seen = kinds(&w.env.all_changes(&w.member, 0).await);
        for (entity, id) in [
            ("meeting", &m),
            ("agenda_item", &item),
            ("document", &doc),
            ("document_version", &v.id),
        ] {
            assert!(
                seen.iter().any(|k| k.0 == entity && &k.1 == id),
                "{entity} missing for the member"
            );
        }

        // Version 2: invisible to members until published, then v1 is superseded.
        let cursor = w.env.all_changes(&w.member, 0).await.last().expect("some")["seq"]
            .as_i64()
            .expect("seq");
        let (s, v2) = w
            .upload(&w.secretary, &doc, pdf("Đề án v2", 4), "application/pdf")
            .await;
        assert_eq!((s, v2["version"].as_u64()), (StatusCode::CREATED, Some(2)));
        assert!(
            w.env.all_changes(&w.member, cursor).await.is_empty(),
            "unpublished v2 leaked to a member"
        );
        w.publish(&m).await;
        let later = w.env.all_changes(&w.member, cursor).await;
        let last_body = |id: &str| newest(&later, |c| c["id"] == id)["body"].clone();
        assert_eq!(last_body(&v.id)["superseded"], true);
        assert_eq!(last_body(v2["id"].as_str().expect("id"))["published"], true);
        assert_eq!(last_body(&doc)["current_version"], 2);
        let v2b: DocumentVersionBody =
            serde_json::from_value(last_body(v2["id"].as_str().expect("id"))).expect("body");
        v2b.signed
            .expect("signed")
            .verify(&w.member.server_key)
            .expect("v2 verifies");
    }
);

both!(uploads_are_checked, |kind| async move {
    let w = World::new(kind).await;
    let m = w.meeting("Phiên họp").await;
    let item = w.item(&m, "Mục 1", None).await;
    let doc = w.document(&item, "Tài liệu").await;
    let (s, b) = w
        .upload(
            &w.secretary,
            &doc,
            vec![b'%'; 300 * 1024],
            "application/pdf",
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let (s, b) = w.upload(&w.secretary, &doc, pdf("x", 1), "image/png").await;
    assert_eq!(
        (s, b["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_media_type")
        )
    );
    let (s, b) = w
        .upload(
            &w.secretary,
            &doc,
            b"GIF89a not a pdf".to_vec(),
            "application/pdf",
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_pdf"))
    );
    let mut truncated = pdf("x", 2);
    truncated.truncate(truncated.len() / 2);
    let (s, b) = w
        .upload(&w.secretary, &doc, truncated, "application/pdf")
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_pdf"))
    );
    let (s, _) = w
        .upload(&w.member, &doc, pdf("x", 1), "application/pdf")
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a member cannot see the draft meeting's document"
    );
    let (s, _) = w
        .upload(&w.secretary, "no-such-doc", pdf("x", 1), "application/pdf")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nothing was stored by the refused uploads, and no temporary file is left.
    let changes = w.env.all_changes(&w.secretary, 0).await;
    assert!(!changes.iter().any(|c| c["entity"] == "document_version"));
    assert_eq!(
        leftover_files(&w.env.dir.path().join("blobs")),
        Vec::<String>::new()
    );
});

both!(malformed_requests_get_clear_errors, |kind| async move {
    let w = World::new(kind).await;
    let path = format!("/v1/committees/{}/meetings", w.committee_id);
    let req = |body: &'static str, ctype: &'static str| {
        w.secretary
            .headers(
                axum::http::Request::builder()
                    .method("POST")
                    .uri(path.clone()),
            )
            .header("content-type", ctype)
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    let (s, _, b) = w.env.raw(req("{\"title\": ", "application/json")).await;
    let b: serde_json::Value = serde_json::from_slice(&b).expect("json error body");
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    assert!(!b["message"].as_str().expect("message").is_empty());
    let (s, _, b) = w.env.raw(req("{\"title\": 5}", "application/json")).await;
    let b: serde_json::Value = serde_json::from_slice(&b).expect("json error body");
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
    let (s, _, _) = w.env.raw(req("{}", "text/plain")).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, b) = w
        .env
        .call(
            "POST",
            &path,
            Some(&w.secretary),
            Some(json!({"title": "  ", "starts_at": 0})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
    let (s, b) = w
        .env
        .call("GET", "/v1/changes?since=abc", Some(&w.member), None)
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (s, b) = w.env.call("GET", "/v1/no-such-endpoint", None, None).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
});

/// One request to a server on loopback: (status, JSON body or null).
async fn over_http(
    base: &str,
    who: &Session,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(&who.token)
        .header(
            ecabinet_protocol::DEVICE_ID_HEADER,
            who.device_id.as_deref().unwrap_or_default(),
        );
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// A meeting with an agenda item holding a document (one version), a
/// draft motion, and a second item; published. Returns (meeting, item,
/// document, motion, other item).
async fn prepared(w: &World) -> (String, String, String, String, String) {
    let m = w.meeting("Phiên họp").await;
    let item = w.item(&m, "Mục có tài liệu", None).await;
    let other = w.item(&m, "Mục khác", None).await;
    let doc = w.document(&item, "Tờ trình").await;
    let (s, v) = w
        .upload(&w.secretary, &doc, pdf("Tờ trình", 1), "application/pdf")
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, mo) = w
        .env
        .call(
            "POST",
            &format!("/v1/agenda/{item}/motions"),
            Some(&w.secretary),
            Some(json!({"question": "Thông qua?", "kind": "named", "majority": "simple", "quorum": 1, "mode": "live"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mo}");
    w.publish(&m).await;
    let motion = mo["id"].as_str().expect("id").to_owned();
    (m, item, doc, motion, other)
}

both!(
    once_the_meeting_started_items_and_documents_are_not_deleted,
    |kind| async move {
        let w = World::new(kind).await;
        let base = serve_in_process(&w.env).await;
        let (m, item, doc, _, other) = prepared(&w).await;
        let (s, b) = over_http(
            &base,
            &w.chair,
            "POST",
            &format!("/v1/meetings/{m}/start"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let since = w.env.all_changes(&w.secretary, 0).await.len();
        for path in [
            format!("/v1/agenda/{item}"),
            format!("/v1/agenda/{other}"),
            format!("/v1/documents/{doc}"),
        ] {
            let (s, b) = over_http(&base, &w.secretary, "DELETE", &path, None).await;
            assert_eq!(
                (s, b["code"].as_str()),
                (409, Some("not_deletable")),
                "{path}: {b}"
            );
        }
        // Nothing was deleted: no tombstone reached the feed.
        let changes = w.env.all_changes(&w.secretary, 0).await;
        assert!(
            !changes[since..].iter().any(|c| c["op"] == "delete"),
            "{:?}",
            kinds(&changes[since..])
        );
        // Superseding stays possible: a new version of the document.
        let (s, v) = w
            .upload(
                &w.secretary,
                &doc,
                pdf("Tờ trình sửa đổi", 2),
                "application/pdf",
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["version"], 2);
    }
);

both!(
    an_item_whose_motion_was_put_to_the_vote_is_not_deleted,
    |kind| async move {
        let w = World::new(kind).await;
        let base = serve_in_process(&w.env).await;
        let m = w.meeting("Lấy ý kiến bằng văn bản").await;
        let item = w.item(&m, "Mục", None).await;
        let child = w.item(&m, "Mục con", Some(&item)).await;
        let (s, mo) = w
            .env
            .call(
                "POST",
                &format!("/v1/agenda/{child}/motions"),
                Some(&w.secretary),
                Some(json!({"question": "Đồng ý?", "kind": "named", "majority": "simple", "quorum": 1, "mode": "written", "deadline": T0 + 10_000_000})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{mo}");
        w.publish(&m).await;
        let id = mo["id"].as_str().expect("id");
        let (s, b) = over_http(
            &base,
            &w.chair,
            "POST",
            &format!("/v1/motions/{id}/open"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{b}");
        // The meeting has not started, but the vote is on the record.
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "DELETE",
            &format!("/v1/agenda/{item}"),
            None,
        )
        .await;
        assert_eq!((s, b["code"].as_str()), (409, Some("not_deletable")), "{b}");
        let (s, _) = over_http(
            &base,
            &w.secretary,
            "DELETE",
            &format!("/v1/agenda/{child}"),
            None,
        )
        .await;
        assert_eq!(s, 409);
    }
);

both!(a_closed_meeting_is_read_only, |kind| async move {
    let w = World::new(kind).await;
    let base = serve_in_process(&w.env).await;
    let (m, item, doc, motion, other) = prepared(&w).await;
    for step in ["start", "close"] {
        let (s, b) = over_http(
            &base,
            &w.chair,
            "POST",
            &format!("/v1/meetings/{m}/{step}"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{step}: {b}");
    }
    let before = w.env.all_changes(&w.secretary, 0).await.len();
    let attempts: Vec<(&Session, &str, String, Option<serde_json::Value>)> = vec![
        (
            &w.secretary,
            "PATCH",
            format!("/v1/meetings/{m}"),
            Some(json!({"title": "Đổi tên"})),
        ),
        (
            &w.secretary,
            "POST",
            format!("/v1/meetings/{m}/agenda"),
            Some(json!({"title": "Mục mới"})),
        ),
        (
            &w.secretary,
            "POST",
            format!("/v1/meetings/{m}/publish"),
            None,
        ),
        (
            &w.secretary,
            "PATCH",
            format!("/v1/agenda/{item}"),
            Some(json!({"title": "Đổi tên"})),
        ),
        (&w.secretary, "DELETE", format!("/v1/agenda/{other}"), None),
        (
            &w.secretary,
            "POST",
            format!("/v1/agenda/{item}/documents"),
            Some(json!({"title": "Thêm"})),
        ),
        (
            &w.secretary,
            "POST",
            format!("/v1/agenda/{item}/motions"),
            Some(
                json!({"question": "Q?", "kind": "named", "majority": "simple", "quorum": 1, "mode": "live"}),
            ),
        ),
        (&w.secretary, "DELETE", format!("/v1/documents/{doc}"), None),
        (&w.chair, "POST", format!("/v1/motions/{motion}/open"), None),
        (
            &w.chair,
            "PUT",
            format!("/v1/meetings/{m}/current-item"),
            Some(json!({"agenda_item_id": item})),
        ),
        (&w.chair, "POST", format!("/v1/meetings/{m}/start"), None),
    ];
    for (who, method, path, body) in attempts {
        let (s, b) = over_http(&base, who, method, &path, body).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (409, Some("meeting_closed")),
            "{method} {path}: {b}"
        );
    }
    // An upload of a new version is refused before its body is read.
    let resp = reqwest::Client::new()
        .post(format!("{base}/v1/documents/{doc}/versions"))
        .bearer_auth(&w.secretary.token)
        .header(
            ecabinet_protocol::DEVICE_ID_HEADER,
            w.secretary.device_id.as_deref().unwrap_or_default(),
        )
        .header("content-type", "application/pdf")
        .body(pdf("Muộn", 1))
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status().as_u16(), 409);
    // A member's check-in on the closed meeting is refused too.
    let late = push(
        &w.env,
        &w.member,
        vec![json!({"op_id": "late", "kind": "attendance", "body": {"meeting_id": m, "member_id": w.member.user_id, "presence": "in_room", "at": T0}})],
    )
    .await;
    assert_eq!(outcome(&late[0]), "rejected:meeting_closed");
    assert_eq!(
        w.env.all_changes(&w.secretary, 0).await.len(),
        before,
        "nothing changed"
    );
});

/// The audit rows of a meeting's withdrawals: (entity, entity id, user, reason, at).
async fn withdrawal_rows(env: &Env, meeting: &str) -> Vec<(String, String, String, String, i64)> {
    let m = meeting.to_owned();
    env.state
        .db
        .read(move |c| {
            let rows = c.query(
                "SELECT entity, entity_id, user_id, reason, at FROM withdrawals WHERE meeting_id = ? ORDER BY at, entity, entity_id",
                ecabinet_server::params![&m],
            )?;
            rows.iter()
                .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?, r.text(3)?, r.int(4)?)))
                .collect::<Result<Vec<_>, ecabinet_server::AppError>>()
        })
        .await
        .expect("withdrawals")
}

both!(
    a_started_meetings_item_and_document_are_withdrawn_on_the_record_not_deleted,
    |kind| async move {
        let w = World::new(kind).await;
        let base = serve_in_process(&w.env).await;
        let (m, item, doc, _, other) = prepared(&w).await;
        let child = w.item(&m, "Mục con", Some(&other)).await;
        let (s, b) = over_http(
            &base,
            &w.chair,
            "POST",
            &format!("/v1/meetings/{m}/start"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let since = w.env.all_changes(&w.member, 0).await.len();

        // A member cannot withdraw anything; a reason is required.
        let (s, b) = over_http(
            &base,
            &w.member,
            "POST",
            &format!("/v1/agenda/{other}/withdraw"),
            Some(json!({"reason": "Không"})),
        )
        .await;
        assert_eq!((s, b["code"].as_str()), (403, Some("forbidden")), "{b}");
        for reason in ["", "   ", &"x".repeat(501)] {
            let (s, b) = over_http(
                &base,
                &w.secretary,
                "POST",
                &format!("/v1/agenda/{other}/withdraw"),
                Some(json!({"reason": reason})),
            )
            .await;
            assert_eq!(
                (s, b["code"].as_str()),
                (422, Some("invalid_input")),
                "{reason:?}: {b}"
            );
        }

        // The item (and the one under it) is withdrawn, with who, when and why.
        let reason = "Hồ sơ chưa đủ, trình lại phiên sau";
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "POST",
            &format!("/v1/agenda/{other}/withdraw"),
            Some(json!({"reason": reason})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["id"], other.as_str());
        assert_eq!(b["withdrawn"]["reason"], reason);
        assert_eq!(b["withdrawn"]["by_user_id"], w.secretary.user_id.as_str());
        assert_eq!(b["withdrawn"]["at_ms"], T0);
        let (s, b) = over_http(
            &base,
            &w.chair,
            "POST",
            &format!("/v1/agenda/{other}/withdraw"),
            Some(json!({"reason": "lần nữa"})),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (409, Some("conflict")),
            "withdrawn twice: {b}"
        );

        // The document is withdrawn by the chair; it takes no new version.
        let (s, b) = over_http(
            &base,
            &w.chair,
            "POST",
            &format!("/v1/documents/{doc}/withdraw"),
            Some(json!({"reason": "Thay bằng tờ trình khác"})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["withdrawn"]["by_user_id"], w.chair.user_id.as_str());
        assert_eq!(b["current_version"], 1, "its published version stays");
        let (s, v) = w
            .upload(
                &w.secretary,
                &doc,
                pdf("Tờ trình mới", 1),
                "application/pdf",
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict")),
            "{v}"
        );
        // Nothing new hangs under the withdrawn item.
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "POST",
            &format!("/v1/agenda/{other}/documents"),
            Some(json!({"title": "Thêm"})),
        )
        .await;
        assert_eq!((s, b["code"].as_str()), (409, Some("conflict")), "{b}");
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "POST",
            &format!("/v1/meetings/{m}/agenda"),
            Some(json!({"title": "Con", "parent_id": other})),
        )
        .await;
        assert_eq!((s, b["code"].as_str()), (409, Some("conflict")), "{b}");
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "PATCH",
            &format!("/v1/agenda/{other}"),
            Some(json!({"title": "Đổi tên"})),
        )
        .await;
        assert_eq!((s, b["code"].as_str()), (409, Some("conflict")), "{b}");

        // Every member's feed carries the marks and no tombstone.
        let changes = w.env.all_changes(&w.member, 0).await;
        let fresh = &changes[since..];
        assert!(
            !fresh.iter().any(|c| c["op"] == "delete"),
            "{:?}",
            kinds(fresh)
        );
        let last = |id: &str| newest(fresh, |c| c["id"] == id).clone();
        for id in [&other, &child] {
            assert_eq!(last(id)["body"]["withdrawn"]["reason"], reason, "{id}");
        }
        assert_eq!(
            last(&doc)["body"]["withdrawn"]["reason"],
            "Thay bằng tờ trình khác"
        );
        // The item that was not withdrawn is untouched.
        assert!(
            !fresh.iter().any(|c| c["id"] == item.as_str()),
            "{:?}",
            kinds(fresh)
        );

        // The audit keeps one row per withdrawn record.
        let mut want = vec![
            (
                "agenda_item".to_owned(),
                other.clone(),
                w.secretary.user_id.clone(),
                reason.to_owned(),
                T0,
            ),
            (
                "agenda_item".to_owned(),
                child.clone(),
                w.secretary.user_id.clone(),
                reason.to_owned(),
                T0,
            ),
            (
                "document".to_owned(),
                doc.clone(),
                w.chair.user_id.clone(),
                "Thay bằng tờ trình khác".to_owned(),
                T0,
            ),
        ];
        want.sort();
        assert_eq!(withdrawal_rows(&w.env, &m).await, want);

        // Once closed, nothing more is withdrawn.
        let (s, b) = over_http(
            &base,
            &w.chair,
            "POST",
            &format!("/v1/meetings/{m}/close"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "POST",
            &format!("/v1/agenda/{item}/withdraw"),
            Some(json!({"reason": "muộn"})),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (409, Some("meeting_closed")),
            "{b}"
        );
        assert_eq!(withdrawal_rows(&w.env, &m).await.len(), 3);
    }
);

both!(
    an_item_is_not_withdrawn_during_its_vote_nor_from_a_draft,
    |kind| async move {
        let w = World::new(kind).await;
        let base = serve_in_process(&w.env).await;
        let draft = w.meeting("Bản nháp").await;
        let draft_item = w.item(&draft, "Mục nháp", None).await;
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "POST",
            &format!("/v1/agenda/{draft_item}/withdraw"),
            Some(json!({"reason": "Không cần"})),
        )
        .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (422, Some("invalid_input")),
            "a draft item is deleted, not withdrawn: {b}"
        );

        let (m, item, _, motion, _) = prepared(&w).await;
        for step in [
            format!("/v1/meetings/{m}/start"),
            format!("/v1/motions/{motion}/open"),
        ] {
            let (s, b) = over_http(&base, &w.chair, "POST", &step, None).await;
            assert_eq!(s, 200, "{step}: {b}");
        }
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "POST",
            &format!("/v1/agenda/{item}/withdraw"),
            Some(json!({"reason": "Rút"})),
        )
        .await;
        assert_eq!((s, b["code"].as_str()), (409, Some("conflict")), "{b}");
        assert!(
            b["message"]
                .as_str()
                .unwrap_or_default()
                .contains("close it"),
            "{b}"
        );
        // Once the vote is closed, the item can be withdrawn; the motion and its
        // result stay.
        let (s, b) = over_http(
            &base,
            &w.chair,
            "POST",
            &format!("/v1/motions/{motion}/close"),
            None,
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = over_http(
            &base,
            &w.secretary,
            "POST",
            &format!("/v1/agenda/{item}/withdraw"),
            Some(json!({"reason": "Rút"})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert!(withdrawal_rows(&w.env, &draft).await.is_empty());
        assert_eq!(withdrawal_rows(&w.env, &m).await.len(), 1);
    }
);

/// The same page, protected with a password by qpdf.
fn password_protected_pdf() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (plain, locked) = (dir.path().join("plain.pdf"), dir.path().join("locked.pdf"));
    std::fs::write(&plain, padded_pdf(2_000)).expect("write");
    let ok = std::process::Command::new("qpdf")
        .args(["--encrypt", "mat-khau", "chu-so-huu", "256", "--"])
        .arg(&plain)
        .arg(&locked)
        .status()
        .expect("qpdf (scripts/setup installs it)")
        .success();
    assert!(ok);
    std::fs::read(&locked).expect("read")
}

/// A catalog and an empty page tree: a well-formed PDF with no page.
fn zero_page_pdf() -> Vec<u8> {
    let head = "%PDF-1.4\n";
    let o1 = "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
    let o2 = "2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n";
    let xref = head.len() + o1.len() + o2.len();
    format!(
        "{head}{o1}{o2}xref\n0 3\n0000000000 65535 f \n{:010} 00000 n \n{:010} 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        head.len(),
        head.len() + o1.len()
    )
    .into_bytes()
}

both!(
    a_pdf_members_could_not_open_is_refused_at_upload_with_the_reason,
    |kind| async move {
        let w = World::new(kind).await;
        let m = w.meeting("Phiên họp").await;
        let item = w.item(&m, "Mục", None).await;
        let doc = w.document(&item, "Tờ trình").await;
        let mut damaged = b"%PDF-1.7\n".to_vec();
        damaged.extend((0..5_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
        damaged.extend_from_slice(b"\n%%EOF\n");
        let cases = [
            (
                "password",
                password_protected_pdf(),
                "unreadable_pdf",
                ["mật khẩu", "password-protected"],
            ),
            (
                "no pages",
                zero_page_pdf(),
                "unreadable_pdf",
                ["không có trang", "no pages"],
            ),
            (
                "damaged",
                damaged,
                "unreadable_pdf",
                ["bị hỏng", "damaged beyond repair"],
            ),
            (
                "not a PDF",
                b"PK\x03\x04 a Word file".to_vec(),
                "not_pdf",
                ["không phải", "not a complete PDF"],
            ),
        ];
        for (what, bytes, code, [vi, en]) in cases {
            let (s, b) = w.upload(&w.secretary, &doc, bytes, "application/pdf").await;
            assert_eq!(
                (s, b["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
                "{what}: {b}"
            );
            let message = b["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(vi) && message.contains(en),
                "{what}: {message}"
            );
        }
        // Nothing of them was kept: the first good upload is version 1.
        let (s, v) = w
            .upload(&w.secretary, &doc, padded_pdf(3_000), "application/pdf")
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["version"], 1);
        let published = w.publish(&m).await;
        assert_eq!(
            published["published_versions"].as_array().map(Vec::len),
            Some(1),
            "{published}"
        );
    }
);

both!(
    a_check_that_reaches_no_verdict_refuses_the_upload_and_the_server_goes_on,
    |kind| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        // A checker that never answers, killed at the deadline.
        let hanging = dir.path().join("hanging-check");
        std::fs::write(&hanging, "#!/bin/sh\nexec sleep 30\n").expect("write");
        std::fs::set_permissions(
            &hanging,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
        let real = ecabinet_server::pdf_check::find_checker().expect("ecabinet-pdfcheck is built");
        let configs = [
            (
                "hangs",
                ecabinet_server::pdf_check::PdfCheck {
                    checker: Some(hanging),
                    timeout: std::time::Duration::from_millis(300),
                    ..Default::default()
                },
            ),
            (
                // 12 MiB of address space: PDFium cannot even be loaded.
                "out of memory",
                ecabinet_server::pdf_check::PdfCheck {
                    checker: Some(real),
                    max_memory_mib: 12,
                    ..Default::default()
                },
            ),
        ];
        for (what, pdf_check) in configs {
            let env = Env::with_config(
                kind,
                ecabinet_server::Config {
                    pdf_check,
                    ..Default::default()
                },
            )
            .await;
            let w = World::on(env).await;
            let m = w.meeting("Phiên họp").await;
            let item = w.item(&m, "Mục", None).await;
            let doc = w.document(&item, "Tờ trình").await;
            let started = std::time::Instant::now();
            let (s, b) = w
                .upload(&w.secretary, &doc, padded_pdf(3_000), "application/pdf")
                .await;
            assert_eq!(
                (s, b["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("unreadable_pdf")),
                "{what}: {b}"
            );
            assert!(
                b["message"].as_str().unwrap_or_default().contains("limits"),
                "{what}: {b}"
            );
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{what}: {:?}",
                started.elapsed()
            );
            // The server itself is unharmed.
            let (s, _) = w.env.call("GET", "/v1/me", Some(&w.secretary), None).await;
            assert_eq!(s, StatusCode::OK, "{what}");
        }

        // Without a checker the upload is refused as unavailable, and the
        // path stays in the server's log, out of the answer.
        let env = Env::with_config(
            kind,
            ecabinet_server::Config {
                pdf_check: ecabinet_server::pdf_check::PdfCheck {
                    checker: Some("/nonexistent/ecabinet-pdfcheck".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await;
        let w = World::on(env).await;
        let m = w.meeting("Phiên họp").await;
        let item = w.item(&m, "Mục", None).await;
        let doc = w.document(&item, "Tờ trình").await;
        let (s, b) = w
            .upload(&w.secretary, &doc, padded_pdf(3_000), "application/pdf")
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")),
            "{b}"
        );
        assert!(
            !b["message"]
                .as_str()
                .unwrap_or_default()
                .contains("nonexistent"),
            "{b}"
        );
    }
);

#[test]
fn serve_does_not_start_without_its_upload_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("path");
    let (ok, _, err) = run_cli(&[
        "serve",
        "--data-dir",
        data,
        "--listen",
        "127.0.0.1:0",
        "--pdf-checker",
        "/nonexistent/ecabinet-pdfcheck",
    ]);
    assert!(!ok);
    assert!(
        err.contains("--pdf-checker") && err.contains("does not exist"),
        "{err}"
    );
}

both!(
    a_taken_over_checker_gets_no_secrets_cannot_flood_the_server_and_leaves_nothing_running,
    |kind| async move {
        let dir = tempfile::tempdir().expect("tempdir");
        // What a checker a hostile PDF took over might do: read what the
        // server passed it, leave a process behind holding the pipes, and
        // print without end.
        let seen = dir.path().join("env.txt");
        let marker = format!("600.{}", std::process::id());
        let script = dir.path().join("taken-over-check");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nenv > {seen}\n(exec sleep {marker}) &\nyes flood | head -c 100000000\necho '{{\"ok\":true,\"pages\":1}}'\n",
                seen = seen.display()
            ),
        )
        .expect("write");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let env = Env::with_config(
            kind,
            ecabinet_server::Config {
                pdf_check: ecabinet_server::pdf_check::PdfCheck {
                    checker: Some(script),
                    timeout: std::time::Duration::from_secs(2),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await;
        let w = World::on(env).await;
        let m = w.meeting("Phiên họp").await;
        let item = w.item(&m, "Mục", None).await;
        let doc = w.document(&item, "Tờ trình").await;
        let (s, b) = w
            .upload(&w.secretary, &doc, padded_pdf(3_000), "application/pdf")
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unreadable_pdf")),
            "{b}"
        );
        // Only the variables a helper needs reached it (the test process
        // has many more: HOME, the test database's URL, …).
        let names: Vec<String> = std::fs::read_to_string(&seen)
            .expect("the checker ran")
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_owned()))
            .collect();
        assert!(!names.is_empty());
        for name in &names {
            assert!(
                ecabinet_server::pdf_check::HELPER_ENV.contains(&name.as_str())
                    // set by the shell itself
                    || name == "PWD",
                "{name} reached the checker: {names:?}"
            );
        }
        // What it left running went with it.
        let left = std::process::Command::new("pgrep")
            .args(["-f", &format!("sleep {marker}")])
            .output()
            .expect("pgrep");
        assert!(
            left.stdout.is_empty(),
            "still running: {}",
            String::from_utf8_lossy(&left.stdout)
        );
        let (s, _) = w.env.call("GET", "/v1/me", Some(&w.secretary), None).await;
        assert_eq!(s, StatusCode::OK);
    }
);

both!(
    a_document_policy_is_signed_into_every_published_version_and_sent_again,
    |kind| async move {
        use ecabinet_protocol::{DocumentPolicy, ExportPolicy};
        let w = World::new(kind).await;
        let m = w.meeting("Phiên họp có tài liệu mật").await;
        let item = w.item(&m, "Nhân sự", None).await;
        let doc = w.document(&item, "Danh sách cán bộ").await;
        for n in 1..=2 {
            let (s, v) = w
                .upload(&w.secretary, &doc, pdf("Danh sách", n), "application/pdf")
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            w.publish(&m).await;
        }
        let cursor = w.env.head(&w.member).await;
        // A member cannot loosen or tighten it.
        let (s, _) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/documents/{doc}"),
                Some(&w.member),
                Some(json!({"export": "allowed"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, d) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/documents/{doc}"),
                Some(&w.secretary),
                Some(json!({"reader_watermark": true, "export": "forbidden"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let want = DocumentPolicy {
            reader_watermark: true,
            export: ExportPolicy::Forbidden,
            classification: Default::default(),
        };
        assert_eq!(d["policy"], serde_json::to_value(want).expect("json"));
        // Both published versions come again, signed under the new policy.
        let changes = w.env.all_changes(&w.member, cursor).await;
        let versions: Vec<DocumentVersionBody> = changes
            .iter()
            .filter(|c| c["entity"] == "document_version")
            .map(|c| serde_json::from_value(c["body"].clone()).expect("version"))
            .collect();
        assert_eq!(versions.len(), 2, "{changes:?}");
        for v in &versions {
            let signed = v.signed.clone().expect("signed");
            assert_eq!(signed.manifest.policy, Some(want));
            signed.verify(&w.member.server_key).expect("verifies");
            // The policy is in what was signed: dropping it breaks the signature.
            let mut stripped = signed.clone();
            stripped.manifest.policy = None;
            assert!(stripped.verify(&w.member.server_key).is_err());
        }
        assert!(changes
            .iter()
            .any(|c| c["entity"] == "document" && c["body"]["policy"]["export"] == "forbidden"));
        // Setting the same policy again changes nothing and sends nothing.
        let head = w.env.head(&w.member).await;
        let (s, _) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/documents/{doc}"),
                Some(&w.secretary),
                Some(json!({"export": "forbidden"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(w.env.head(&w.member).await, head);
        // A version published later is signed under it too.
        let (_, v3) = w
            .upload(&w.secretary, &doc, pdf("Danh sách", 3), "application/pdf")
            .await;
        let p = w.publish(&m).await;
        let v3: DocumentVersionBody = serde_json::from_value(
            p["published_versions"]
                .as_array()
                .expect("list")
                .iter()
                .find(|x| x["id"] == v3["id"])
                .expect("v3")
                .clone(),
        )
        .expect("body");
        assert_eq!(v3.signed.expect("signed").manifest.policy, Some(want));
    }
);

both!(
    classified_documents_need_an_isolated_server_and_every_fetch_is_registered,
    |kind| async move {
        // A connected server: classification refused, nothing changed.
        let w = World::new(kind).await;
        w.meeting_with_pdf("Phiên họp", "An ninh", "Phương án", 1)
            .await;
        let doc = w
            .env
            .all_changes(&w.secretary, 0)
            .await
            .iter()
            .rev()
            .find(|c| c["entity"] == "document")
            .and_then(|c| c["id"].as_str().map(str::to_owned))
            .expect("document");
        let (s, body) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/documents/{doc}"),
                Some(&w.secretary),
                Some(json!({"classification": "secret"})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|t| t.contains("isolated-network")),
            "{body}"
        );

        // An isolated one: classified, signed so, and each member's fetch of
        // its bytes is in the register, answered with no-store.
        let w = World::on(
            Env::with_config(
                kind,
                ecabinet_server::Config {
                    max_upload_bytes: 256 * 1024,
                    isolated_network: true,
                    ..ecabinet_server::Config::default()
                },
            )
            .await,
        )
        .await;
        let (m, v) = w
            .meeting_with_pdf("Phiên họp", "An ninh", "Phương án", 1)
            .await;
        let doc = w
            .env
            .all_changes(&w.secretary, 0)
            .await
            .iter()
            .rev()
            .find(|c| c["entity"] == "document")
            .and_then(|c| c["id"].as_str().map(str::to_owned))
            .expect("document");
        let (s, body) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/documents/{doc}"),
                Some(&w.secretary),
                Some(json!({"classification": "top_secret"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let p = w.publish(&m).await;
        let published: DocumentVersionBody =
            serde_json::from_value(p["published_versions"][0].clone()).expect("version");
        assert_eq!(published.id, v);
        let signed = published.signed.expect("signed");
        assert_eq!(
            signed.manifest.policy.map(|p| p.classification),
            Some(ecabinet_protocol::Classification::TopSecret)
        );
        let req = w
            .member
            .headers(axum::http::Request::builder().uri(format!("/v1/blobs/{}", published.sha256)))
            .body(axum::body::Body::empty())
            .expect("request");
        let (s, headers, _) = w.env.raw(req).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(headers["cache-control"], "no-store");
        let member = w.member.user_id.clone();
        let rows = w
            .env
            .state
            .db
            .read(|conn| {
                conn.query(
                    "SELECT user_id, version_id, classification FROM access_register",
                    &[],
                )
            })
            .await
            .expect("register");
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0].text(0).expect("user"),
                rows[0].text(1).expect("version"),
                rows[0].text(2).expect("level")
            ),
            (member, v.clone(), "top_secret".to_owned())
        );
        // The committee's secretary reads it from the app; a member cannot.
        let register = format!("/v1/documents/{doc}/access-register");
        let (s, reg) = w.env.call("GET", &register, Some(&w.secretary), None).await;
        assert_eq!(s, StatusCode::OK, "{reg}");
        let entries = reg["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), 1, "{reg}");
        assert_eq!(entries[0]["user_id"], json!(w.member.user_id));
        assert_eq!(entries[0]["classification"], "top_secret");
        assert_eq!(entries[0]["version"], 1);
        assert!(
            entries[0]["user_name"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
            "{reg}"
        );
        assert!(entries[0]["device_name"].is_string(), "{reg}");
        assert_eq!(reg["truncated"], false);
        let (s, _) = w.env.call("GET", &register, Some(&w.member), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        if kind == Kind::Sqlite {
            // What an auditor reads, with the real binary.
            let data = w.env.dir.path().display().to_string();
            let (ok, out, err) = run_cli(&[
                "access-register",
                "--data-dir",
                &data,
                "--document-id",
                &doc,
            ]);
            assert!(ok, "{err}");
            let line: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
            assert_eq!(line["username"], "member");
            assert_eq!(line["version_id"], v);
            assert_eq!(line["classification"], "top_secret");
        }
    }
);

both!(
    a_meetings_watermark_is_signed_into_every_version_of_it,
    |kind| async move {
        let w = World::new(kind).await;
        let (m, version) = w
            .meeting_with_pdf("Phiên họp", "Nhân sự", "Danh sách", 1)
            .await;
        w.publish(&m).await;
        // The signed policy of `version` as the member's feed last says.
        let signed_policy = |changes: Vec<serde_json::Value>| {
            changes
                .iter()
                .rev()
                .find(|c| c["entity"] == "document_version" && c["id"] == json!(version))
                .map(|c| c["body"]["signed"].clone())
                .expect("the version in the feed")
        };
        let before = signed_policy(w.env.all_changes(&w.member, 0).await);
        assert_eq!(
            before["manifest"]["policy"]["reader_watermark"],
            json!(false),
            "{before}"
        );

        let (s, body) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/meetings/{m}"),
                Some(&w.secretary),
                Some(json!({"reader_watermark": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["reader_watermark"], json!(true));
        let on = signed_policy(w.env.all_changes(&w.member, 0).await);
        assert_eq!(
            on["manifest"]["policy"]["reader_watermark"],
            json!(true),
            "{on}"
        );
        assert!(on["manifest"]["signed_at"].as_i64() > before["manifest"]["signed_at"].as_i64());
        let signed: ecabinet_protocol::SignedManifest =
            serde_json::from_value(on).expect("manifest");
        assert!(signed.verify(w.env.state.signer.public_key_b64()).is_ok());
        // The document's own choice is unchanged: the meeting's covers it.
        let doc = w
            .env
            .all_changes(&w.secretary, 0)
            .await
            .into_iter()
            .rev()
            .find(|c| c["entity"] == "document")
            .expect("document");
        assert_eq!(
            doc["body"]["policy"]["reader_watermark"],
            json!(false),
            "{doc}"
        );

        // Off again: signed again without it. A member cannot change it.
        let (s, _) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/meetings/{m}"),
                Some(&w.secretary),
                Some(json!({"reader_watermark": false})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let off = signed_policy(w.env.all_changes(&w.member, 0).await);
        assert_eq!(
            off["manifest"]["policy"]["reader_watermark"],
            json!(false),
            "{off}"
        );
        let (s, _) = w
            .env
            .call(
                "PATCH",
                &format!("/v1/meetings/{m}"),
                Some(&w.member),
                Some(json!({"reader_watermark": true})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);
