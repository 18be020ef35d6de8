//! Login, tokens, enrolment, revocation.

use axum::http::StatusCode;
use serde_json::json;

use crate::both;
use crate::common::*;

both!(login_enrol_and_me, |kind| async move {
    let w = World::new(kind).await;
    let (s, b) = w
        .env
        .call(
            "POST",
            "/v1/login",
            None,
            Some(json!({"username": "member", "password": "wrong password"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (s, _) = w
        .env
        .call(
            "POST",
            "/v1/login",
            None,
            Some(json!({"username": "nobody", "password": "whatever1"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    assert_eq!(w.member.server_key, w.env.state.signer.public_key_b64());
    let (s, me) = w.env.call("GET", "/v1/me", Some(&w.member), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["device_id"].as_str(), w.member.device_id.as_deref());
    assert_eq!(me["committees"][0]["role"], "member");
    assert_eq!(
        me["committees"][0]["committee_id"].as_str(),
        Some(w.committee_id.as_str())
    );

    // An enrolled session cannot enrol a second device.
    let key = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    let (s, b) = w
        .env
        .call(
            "POST",
            "/v1/devices",
            Some(&w.member),
            Some(json!({"public_key": key, "name": "x"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{b}"
    );
    // A key that is not 32 bytes is refused.
    let mut fresh = w.env.login("member", "mật-khẩu-đủ-dài").await;
    let (s, b) = w
        .env
        .call(
            "POST",
            "/v1/devices",
            Some(&fresh),
            Some(json!({"public_key": "AAAA", "name": "x"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
    w.env.enrol(&mut fresh).await;
    assert_ne!(fresh.device_id, w.member.device_id);
});

both!(bad_tokens_and_expiry, |kind| async move {
    let w = World::new(kind).await;
    let (s, b) = w.env.call("GET", "/v1/me", None, None).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let forged = Session {
        token: "forged".into(),
        ..w.member.clone()
    };
    let (s, _) = w.env.call("GET", "/v1/me", Some(&forged), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The token is bound to its device: another device id is refused.
    let swapped = Session {
        device_id: w.chair.device_id.clone(),
        ..w.member.clone()
    };
    let (s, _) = w.env.call("GET", "/v1/me", Some(&swapped), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Tokens expire.
    w.env.clock.0.fetch_add(
        ecabinet_server::Config::default().token_ttl_ms + 1,
        std::sync::atomic::Ordering::SeqCst,
    );
    let (s, _) = w.env.call("GET", "/v1/me", Some(&w.member), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

both!(
    a_revoked_device_is_told_so_on_its_next_request,
    |kind| async move {
        let w = World::new(kind).await;
        let (s, _) = w
            .env
            .call("GET", "/v1/changes?since=0", Some(&w.member), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let device = w.member.device_id.clone().expect("enrolled");
        let (s, _) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/devices/{device}/revoke"),
                Some(&w.member),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "only admins revoke");
        let (s, d) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/devices/{device}/revoke"),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!((s, d["revoked"].as_bool()), (StatusCode::OK, Some(true)));
        for path in ["/v1/changes?since=0", "/v1/me"] {
            let (s, b) = w.env.call("GET", path, Some(&w.member), None).await;
            assert_eq!(
                (s, b["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("device_revoked")),
                "{path}"
            );
        }
        // Leaving the header off does not help: the token is bound to the device.
        let headerless = Session {
            device_id: None,
            ..w.member.clone()
        };
        let (s, b) = w.env.call("GET", "/v1/me", Some(&headerless), None).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("device_revoked"))
        );
    }
);

both!(admin_manages_users_and_memberships, |kind| async move {
    let w = World::new(kind).await;
    let (s, u) = w.env.call("POST", "/v1/admin/users", Some(&w.admin), Some(json!({"username": "newbie", "display_name": "Lý Thị Mới", "password": "mật khẩu mới"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let (s, b) = w
        .env
        .call(
            "POST",
            "/v1/admin/users",
            Some(&w.admin),
            Some(json!({"username": "newbie", "display_name": "X", "password": "mật khẩu mới"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (s, _) = w
        .env
        .call(
            "POST",
            "/v1/admin/users",
            Some(&w.admin),
            Some(json!({"username": "short", "display_name": "X", "password": "123"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let uid = u["id"].as_str().expect("id");
    let path = format!("/v1/admin/committees/{}/members/{uid}", w.committee_id);
    let (s, m) = w
        .env
        .call(
            "PUT",
            &path,
            Some(&w.admin),
            Some(json!({"role": "secretary"})),
        )
        .await;
    assert_eq!((s, m["role"].as_str()), (StatusCode::OK, Some("secretary")));
    let (s, _) = w
        .env
        .call(
            "PUT",
            &path,
            Some(&w.admin),
            Some(json!({"role": "president"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = w.env.call("DELETE", &path, Some(&w.admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let changes = w.env.all_changes(&w.member, 0).await;
    let m_id = m["id"].as_str().expect("id").to_owned();
    assert_eq!(
        kinds(&changes)
            .into_iter()
            .filter(|k| k.1 == m_id)
            .map(|k| k.2)
            .collect::<Vec<_>>(),
        ["upsert", "delete"],
        "members see the membership come and go"
    );
    // The new user logs in with the password the admin set, and (though no
    // longer a member) sees their own membership come and go.
    let newbie = w.env.login("newbie", "mật khẩu mới").await;
    let theirs = kinds(&w.env.all_changes(&newbie, 0).await);
    assert_eq!(
        theirs,
        [
            ("membership".to_owned(), m_id.clone(), "upsert".to_owned()),
            ("membership".to_owned(), m_id.clone(), "delete".to_owned())
        ]
    );
});

both!(
    a_user_added_after_their_cursor_passed_the_committees_history_receives_it,
    |kind| async move {
        let w = World::new(kind).await;
        // The committee's history: a published meeting with an item and a
        // signed document version, and a draft only editors see.
        let m = w.meeting("Phiên họp thường kỳ").await;
        let item = w.item(&m, "Báo cáo", None).await;
        let doc = w.document(&item, "Tờ trình").await;
        let (s, v) = w
            .upload(&w.secretary, &doc, pdf("Tờ trình", 1), "application/pdf")
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        w.publish(&m).await;
        let draft = w.meeting("Bản nháp").await;

        // A member of another committee, whose cursor moves past all of it.
        let newcomer = w.env.user("newcomer", false).await;
        let set_role = |committee: String, role: &'static str| {
            let (env, admin, uid) = (&w.env, &w.admin, newcomer.user_id.clone());
            async move {
                let (s, b) = env
                    .call(
                        "PUT",
                        &format!("/v1/admin/committees/{committee}/members/{uid}"),
                        Some(admin),
                        Some(json!({ "role": role })),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
            }
        };
        set_role(w.other_committee_id.clone(), "member").await;
        let seen = w.env.all_changes(&newcomer, 0).await;
        let cursor = seen
            .last()
            .and_then(|c| c["seq"].as_i64())
            .expect("a change");
        assert!(
            !seen.iter().any(|c| c["id"] == m.as_str()),
            "not yet a member"
        );

        // Added as a member: from the old cursor, the published history.
        set_role(w.committee_id.clone(), "member").await;
        let fresh = w.env.all_changes(&newcomer, cursor).await;
        let got = |id: &str| fresh.iter().any(|c| c["id"] == id && c["op"] == "upsert");
        assert!(got(&m) && got(&item) && got(&doc), "{:?}", kinds(&fresh));
        let version = fresh
            .iter()
            .find(|c| c["entity"] == "document_version")
            .expect("the published version");
        assert!(
            version["body"]["signed"].is_object(),
            "with its signed manifest"
        );
        assert!(!got(&draft), "drafts stay with the editors");
        // Everyone else sees nothing new but the membership itself.
        let others = w.env.all_changes(&w.member, cursor).await;
        assert!(
            others.iter().all(|c| c["entity"] == "membership"),
            "{:?}",
            kinds(&others)
        );

        // Made secretary: the drafts too.
        let cursor = fresh.last().and_then(|c| c["seq"].as_i64()).expect("seq");
        set_role(w.committee_id.clone(), "secretary").await;
        let fresh = w.env.all_changes(&newcomer, cursor).await;
        assert!(
            fresh.iter().any(|c| c["id"] == draft.as_str()),
            "{:?}",
            kinds(&fresh)
        );
    }
);

both!(
    the_admin_screens_read_the_directory_rename_reset_and_issue_codes,
    |kind| async move {
        let w = World::new(kind).await;
        // The directory: every committee and user, each user's roles and devices.
        let (s, dir) = w
            .env
            .call("GET", "/v1/admin/directory", Some(&w.admin), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{dir}");
        let names: Vec<&str> = dir["committees"]
            .as_array()
            .expect("an array")
            .iter()
            .map(|c| c["id"].as_str().expect("a string"))
            .collect();
        assert!(
            names.contains(&w.committee_id.as_str())
                && names.contains(&w.other_committee_id.as_str())
        );
        let user = |dir: &serde_json::Value, name: &str| {
            dir["users"]
                .as_array()
                .expect("an array")
                .iter()
                .find(|u| u["username"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("{name} in {dir}"))
        };
        let member = user(&dir, "member");
        assert_eq!(member["id"].as_str(), Some(w.member.user_id.as_str()));
        assert_eq!(member["disabled"], false);
        assert_eq!(
            member["memberships"],
            json!([{"committee_id": w.committee_id, "role": "member"}])
        );
        let devices = member["devices"].as_array().expect("an array");
        assert_eq!(devices.len(), 1, "{member}");
        assert_eq!(devices[0]["id"].as_str(), w.member.device_id.as_deref());
        assert_eq!(devices[0]["revoked"], false);
        assert!(devices[0]["enrolled_at"].as_i64().expect("a number") > 0);
        assert_eq!(user(&dir, "admin")["is_admin"], true);
        // No password hash or key leaves the server this way.
        let text = dir.to_string();
        assert!(
            !text.contains("argon2") && !text.contains("public_key"),
            "{text}"
        );

        // Renamed: members learn the new name through the feed.
        let cursor = w
            .env
            .all_changes(&w.member, 0)
            .await
            .last()
            .and_then(|c| c["seq"].as_i64())
            .expect("a number");
        let path = format!("/v1/admin/committees/{}", w.committee_id);
        let (s, c) = w
            .env
            .call(
                "PATCH",
                &path,
                Some(&w.admin),
                Some(json!({"name": "  UBND tỉnh — phiên mới "})),
            )
            .await;
        assert_eq!(
            (s, c["name"].as_str()),
            (StatusCode::OK, Some("UBND tỉnh — phiên mới")),
            "{c}"
        );
        let fresh = w.env.all_changes(&w.member, cursor).await;
        assert!(
            fresh.iter().any(|c| c["entity"] == "committee" && c["body"]["name"] == "UBND tỉnh — phiên mới"),
            "{:?}",
            kinds(&fresh)
        );
        for bad in [json!({"name": "   "}), json!({"name": "x".repeat(201)})] {
            let (s, b) = w.env.call("PATCH", &path, Some(&w.admin), Some(bad)).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        }

        // A reset password: the old sessions end, the new password works.
        let pw_path = format!("/v1/admin/users/{}/password", w.member.user_id);
        let (s, _) = w
            .env
            .call(
                "POST",
                &pw_path,
                Some(&w.admin),
                Some(json!({"password": "ngắn"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = w
            .env
            .call(
                "POST",
                &pw_path,
                Some(&w.admin),
                Some(json!({"password": "mật khẩu được cấp lại"})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = w.env.call("GET", "/v1/me", Some(&w.member), None).await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "the member's old session ended"
        );
        let again = w.env.login("member", "mật khẩu được cấp lại").await;
        let (s, _) = w.env.call("GET", "/v1/me", Some(&again), None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = w
            .env
            .call(
                "POST",
                "/v1/admin/users/nobody/password",
                Some(&w.admin),
                Some(json!({"password": "đủ dài rồi đấy"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // An enrol code, from the screens, for the user's next device.
        let (s, code) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/users/{}/enrol-codes", w.member.user_id),
                Some(&w.admin),
                Some(json!({"valid_minutes": 30})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{code}");
        let expires = code["expires_at"].as_i64().expect("a number");
        assert_eq!(expires - w.env.state.now(), 30 * 60_000);
        let fp = code["fingerprint"].as_str().expect("a string");
        assert_eq!(fp.len(), 19, "FFFF-FFFF-FFFF-FFFF: {fp}");
        assert!(
            code["code"]
                .as_str()
                .expect("a string")
                .replace('-', "")
                .ends_with(&fp.replace('-', "")),
            "the code carries the server key's fingerprint: {code}"
        );
        let (s, _) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/users/{}/enrol-codes", w.member.user_id),
                Some(&w.admin),
                Some(json!({"valid_minutes": 0})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

        // A code handed out no longer enrols a device once the user is
        // disabled (or their password reset).
        let unused_codes = |uid: String| async {
            w.env
                .state
                .db
                .read(move |conn| {
                    conn.query(
                        "SELECT COUNT(*) FROM enrol_codes WHERE user_id = ? AND used_at IS NULL",
                        ecabinet_server::params![&uid],
                    )?
                    .first()
                    .map(|r| r.int(0))
                    .transpose()
                })
                .await
                .expect("count")
                .unwrap_or(0)
        };
        assert_eq!(unused_codes(w.member.user_id.clone()).await, 1);
        let (s, _) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/users/{}/disable", w.member.user_id),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(unused_codes(w.member.user_id.clone()).await, 0);

        // Resets and codes need the administrator's enrolled device: a
        // password login alone (phished, from anywhere) is refused.
        let bare = w.env.login("admin", PASSWORD).await;
        for (path, body) in [
            (
                pw_path.clone(),
                json!({"password": "một mật khẩu khác đủ dài"}),
            ),
            (
                format!("/v1/admin/users/{}/enrol-codes", w.member.user_id),
                json!({}),
            ),
        ] {
            let (s, b) = w.env.call("POST", &path, Some(&bare), Some(body)).await;
            assert_eq!(
                (s, b["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("forbidden")),
                "{path}: {b}"
            );
        }
        // Nor can an administrator revoke the device they are using.
        let (s, b) = w
            .env
            .call(
                "POST",
                &format!(
                    "/v1/admin/devices/{}/revoke",
                    w.admin.device_id.clone().expect("device")
                ),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict")),
            "{b}"
        );

        // An administrator cannot lock themselves out.
        let (s, b) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/users/{}/disable", w.admin.user_id),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict")),
            "{b}"
        );
        let (s, dir) = w
            .env
            .call("GET", "/v1/admin/directory", Some(&w.admin), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(user(&dir, "admin")["disabled"], false);
    }
);
