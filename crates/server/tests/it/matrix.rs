//! The authorization matrix: every endpoint × {anonymous, member of another
//! committee, member, secretary, chair, admin, revoked device}.
//!
//! `OK` means "let through": the request passed authentication and
//! authorization (a 2xx, or a 409/422 about the state of the meeting, which
//! only someone allowed to act can reach). Every other cell is an exact status.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

const OK: u16 = 0;
const CALLERS: [&str; 7] = [
    "anonymous",
    "outsider",
    "member",
    "secretary",
    "chair",
    "admin",
    "revoked",
];

#[derive(Clone, Copy)]
enum Fresh {
    None,
    Item,
    Document,
    Speaker,
}

enum Payload {
    None,
    Json(Value),
    Pdf,
}

struct Row {
    method: &'static str,
    path: String,
    payload: Payload,
    fresh: Fresh,
    expect: [u16; 7],
}

fn row(method: &'static str, path: String, payload: Payload, expect: [u16; 7]) -> Row {
    Row {
        method,
        path,
        payload,
        fresh: Fresh::None,
        expect,
    }
}

const PUBLIC: [u16; 7] = [OK, OK, OK, OK, OK, OK, OK];
const ANY_USER: [u16; 7] = [401, OK, OK, OK, OK, OK, 403];
const ADMIN: [u16; 7] = [401, 403, 403, 403, 403, OK, 403];
const PREPARE: [u16; 7] = [401, 404, 403, OK, OK, 404, 403];
const CHAIR: [u16; 7] = [401, 404, 403, 403, OK, 404, 403];
/// The committee's secretary and chair, and an administrator.
const REGISTER: [u16; 7] = [401, 404, 403, OK, OK, OK, 403];
const TAKE_PART: [u16; 7] = [401, 404, OK, OK, OK, 404, 403];
/// The secretary's own upload.
const UPLOADER: [u16; 7] = [401, 404, 404, OK, 404, 404, 403];

both!(every_endpoint_for_every_caller, |kind| async move {
    let w = World::new(kind).await;
    let m = w.meeting("Phiên họp").await;
    let item = w.item(&m, "Mục", None).await;
    let doc = w.document(&item, "Tài liệu").await;
    let (_, v) = w
        .upload(&w.secretary, &doc, pdf("Tài liệu", 2), "application/pdf")
        .await;
    let sha = v["sha256"].as_str().expect("sha").to_owned();
    let version = v["id"].as_str().expect("version").to_owned();
    let (_, up) = w
        .env
        .call(
            "POST",
            &format!("/v1/documents/{doc}/uploads"),
            Some(&w.secretary),
            Some(json!({"size": 5000})),
        )
        .await;
    let upload = up["id"].as_str().expect("upload").to_owned();
    w.publish(&m).await;
    let (_, mo) = w.env.call("POST", &format!("/v1/agenda/{item}/motions"), Some(&w.secretary), Some(json!({"question": "Q?", "kind": "named", "majority": "simple", "quorum": 1, "mode": "written", "deadline": T0 + 1_000_000}))).await;
    let motion = mo["id"].as_str().expect("motion").to_owned();
    let c = &w.committee_id;
    let target = w.env.user("target", false).await.user_id;
    let new_user =
        |n: &str| json!({"username": n, "display_name": "Tên", "password": "mật khẩu dài"});

    let rows = vec![
        row("GET", "/v1/health".into(), Payload::None, PUBLIC),
        row("GET", "/v1/ready".into(), Payload::None, PUBLIC),
        row("GET", "/v1/openapi.json".into(), Payload::None, PUBLIC),
        row(
            "POST",
            "/v1/login".into(),
            Payload::Json(json!({"username": "member", "password": "mật-khẩu-đủ-dài"})),
            PUBLIC,
        ),
        row(
            "POST",
            "/v1/devices".into(),
            Payload::Json(
                json!({"public_key": "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", "name": "x"}),
            ),
            ANY_USER,
        ),
        row("GET", "/v1/me".into(), Payload::None, ANY_USER),
        row("GET", "/v1/changes?since=0".into(), Payload::None, ANY_USER),
        row("GET", "/v1/events".into(), Payload::None, ANY_USER),
        // Per-operation rules answer inside the 200 (see `ops.rs`).
        row(
            "POST",
            "/v1/ops".into(),
            Payload::Json(json!({"ops": []})),
            ANY_USER,
        ),
        row(
            "POST",
            "/v1/ops/status".into(),
            Payload::Json(json!({"op_ids": []})),
            ANY_USER,
        ),
        // Before a user's first device stores one, nobody has a key to fetch;
        // storing one is each user's own business.
        row(
            "GET",
            "/v1/annotation-key".into(),
            Payload::None,
            [401, 404, 404, 404, 404, 404, 403],
        ),
        row(
            "PUT",
            "/v1/annotation-key".into(),
            Payload::Json(json!({
                "key_id": "0123456789abcdef0123456789abcdef",
                "kdf": "argon2id-v19",
                "m_kib": 19456, "t": 2, "p": 1,
                "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
                "nonce": "AAAAAAAAAAAAAAAA",
                "wrapped_key": "A".repeat(64),
            })),
            ANY_USER,
        ),
        // No record has this receipt: nothing to prove, to anyone.
        row(
            "GET",
            format!("/v1/audit/inclusion/{}", "ab".repeat(32)),
            Payload::None,
            [401, 404, 404, 404, 404, 404, 403],
        ),
        row(
            "GET",
            format!("/v1/blobs/{sha}"),
            Payload::None,
            [401, 404, OK, OK, OK, 404, 403],
        ),
        row(
            "POST",
            "/v1/admin/users".into(),
            Payload::Json(new_user("u1")),
            ADMIN,
        ),
        row(
            "POST",
            "/v1/admin/committees".into(),
            Payload::Json(json!({"name": "Ban mới"})),
            ADMIN,
        ),
        row(
            "PATCH",
            format!("/v1/admin/committees/{c}"),
            Payload::Json(json!({"read_status": true})),
            ADMIN,
        ),
        row(
            "PUT",
            format!("/v1/admin/committees/{c}/members/{}", w.outsider.user_id),
            Payload::Json(json!({"role": "member"})),
            ADMIN,
        ),
        row(
            "DELETE",
            format!("/v1/admin/committees/{c}/members/{}", w.outsider.user_id),
            Payload::None,
            ADMIN,
        ),
        row(
            "POST",
            format!(
                "/v1/admin/devices/{}/revoke",
                w.revoked.device_id.clone().expect("device")
            ),
            Payload::None,
            ADMIN,
        ),
        row(
            "POST",
            format!("/v1/committees/{c}/meetings"),
            Payload::Json(json!({"title": "Mới", "starts_at": T0})),
            PREPARE,
        ),
        row(
            "PATCH",
            format!("/v1/meetings/{m}"),
            Payload::Json(json!({"location": "Hội trường"})),
            PREPARE,
        ),
        row(
            "POST",
            format!("/v1/meetings/{m}/agenda"),
            Payload::Json(json!({"title": "Thêm"})),
            PREPARE,
        ),
        row(
            "POST",
            format!("/v1/meetings/{m}/publish"),
            Payload::None,
            PREPARE,
        ),
        row(
            "PATCH",
            format!("/v1/agenda/{item}"),
            Payload::Json(json!({"title": "Sửa"})),
            PREPARE,
        ),
        Row {
            method: "DELETE",
            path: "/v1/agenda/{fresh}".into(),
            payload: Payload::None,
            fresh: Fresh::Item,
            expect: PREPARE,
        },
        Row {
            method: "POST",
            path: "/v1/agenda/{fresh}/withdraw".into(),
            payload: Payload::Json(json!({"reason": "Rút khỏi chương trình"})),
            fresh: Fresh::Item,
            expect: PREPARE,
        },
        row(
            "POST",
            format!("/v1/agenda/{item}/documents"),
            Payload::Json(json!({"title": "Phụ lục"})),
            PREPARE,
        ),
        row(
            "POST",
            format!("/v1/agenda/{item}/motions"),
            Payload::Json(
                json!({"question": "Q", "kind": "secret", "majority": "simple", "quorum": 1, "mode": "live"}),
            ),
            PREPARE,
        ),
        Row {
            method: "DELETE",
            path: "/v1/documents/{fresh}".into(),
            payload: Payload::None,
            fresh: Fresh::Document,
            expect: PREPARE,
        },
        Row {
            method: "POST",
            path: "/v1/documents/{fresh}/withdraw".into(),
            payload: Payload::Json(json!({"reason": "Rút tài liệu"})),
            fresh: Fresh::Document,
            expect: PREPARE,
        },
        row(
            "GET",
            format!("/v1/documents/{doc}/access-register"),
            Payload::None,
            REGISTER,
        ),
        row(
            "PATCH",
            format!("/v1/documents/{doc}"),
            Payload::Json(json!({"reader_watermark": true, "export": "watermarked"})),
            PREPARE,
        ),
        row(
            "POST",
            format!("/v1/documents/{doc}/versions"),
            Payload::Pdf,
            PREPARE,
        ),
        row(
            "POST",
            format!("/v1/documents/{doc}/uploads"),
            Payload::Json(json!({"size": 1000})),
            PREPARE,
        ),
        // An upload is its uploader's alone: anyone else, even the chair,
        // finds nothing there. (A part without its headers and a finish
        // before every byte arrived are refused as such: 422, 409.)
        row(
            "GET",
            format!("/v1/uploads/{upload}"),
            Payload::None,
            UPLOADER,
        ),
        row(
            "PATCH",
            format!("/v1/uploads/{upload}"),
            Payload::None,
            UPLOADER,
        ),
        row(
            "POST",
            format!("/v1/uploads/{upload}/finish"),
            Payload::None,
            UPLOADER,
        ),
        row(
            "DELETE",
            format!("/v1/uploads/{upload}"),
            Payload::None,
            UPLOADER,
        ),
        row(
            "POST",
            format!("/v1/meetings/{m}/start"),
            Payload::None,
            CHAIR,
        ),
        row(
            "PUT",
            format!("/v1/meetings/{m}/current-item"),
            Payload::Json(json!({"agenda_item_id": item})),
            CHAIR,
        ),
        // Presenting: the chair, until handing it to someone.
        row(
            "PUT",
            format!("/v1/meetings/{m}/presenter"),
            Payload::Json(json!({"user_id": null})),
            CHAIR,
        ),
        row(
            "PUT",
            format!("/v1/meetings/{m}/presentation"),
            Payload::Json(json!({"version_id": version, "page": 0})),
            CHAIR,
        ),
        row(
            "DELETE",
            format!("/v1/meetings/{m}/presentation"),
            Payload::None,
            CHAIR,
        ),
        row(
            "POST",
            format!("/v1/motions/{motion}/open"),
            Payload::None,
            CHAIR,
        ),
        row(
            "POST",
            format!("/v1/motions/{motion}/close"),
            Payload::None,
            CHAIR,
        ),
        // Any enrolled user reports their own lost operations; who lost what
        // is for those who prepare meetings, and the admin.
        row(
            "POST",
            "/v1/devices/lost-ops".into(),
            Payload::Json(json!({"op_ids": ["0190a0b1-0000-7000-8000-0000000000f1"]})),
            ANY_USER,
        ),
        row(
            "GET",
            format!("/v1/committees/{c}/lost-ops"),
            Payload::None,
            [401, 404, 403, OK, OK, OK, 403],
        ),
        // Who read what is for those who prepare the meeting, and the admin.
        row(
            "GET",
            format!("/v1/meetings/{m}/read-status"),
            Payload::None,
            [401, 404, 403, OK, OK, OK, 403],
        ),
        row(
            "GET",
            format!("/v1/motions/{motion}/result"),
            Payload::None,
            TAKE_PART,
        ),
        row(
            "GET",
            format!("/v1/motions/{motion}/opinions"),
            Payload::None,
            TAKE_PART,
        ),
        // No ballot of this motion came with a form: not found for everyone
        // who may see the motion, as for those who may not.
        row(
            "GET",
            format!("/v1/motions/{motion}/opinions/{item}"),
            Payload::None,
            [401, 404, 404, 404, 404, 404, 403],
        ),
        row(
            "POST",
            format!("/v1/agenda/{item}/speakers"),
            Payload::None,
            TAKE_PART,
        ),
        row(
            "PUT",
            format!("/v1/agenda/{item}/speakers/order"),
            Payload::Json(json!({"order": []})),
            CHAIR,
        ),
        Row {
            method: "POST",
            path: "/v1/speakers/{fresh}/grant".into(),
            payload: Payload::None,
            fresh: Fresh::Speaker,
            expect: CHAIR,
        },
        Row {
            method: "PUT",
            path: "/v1/speakers/{fresh}/time-limit".into(),
            payload: Payload::Json(json!({"time_limit_ms": 180_000})),
            fresh: Fresh::Speaker,
            expect: CHAIR,
        },
        Row {
            method: "POST",
            path: "/v1/speakers/{fresh}/end".into(),
            payload: Payload::None,
            fresh: Fresh::Speaker,
            expect: CHAIR,
        },
        // The member's own request: they and the chair may withdraw it.
        Row {
            method: "POST",
            path: "/v1/speakers/{fresh}/withdraw".into(),
            payload: Payload::None,
            fresh: Fresh::Speaker,
            expect: [401, 404, OK, 403, OK, 404, 403],
        },
        row(
            "POST",
            format!("/v1/meetings/{m}/close"),
            Payload::None,
            CHAIR,
        ),
        row(
            "POST",
            format!("/v1/admin/users/{target}/disable"),
            Payload::None,
            ADMIN,
        ),
        row(
            "POST",
            format!("/v1/admin/users/{target}/enable"),
            Payload::None,
            ADMIN,
        ),
        row("GET", "/v1/admin/directory".into(), Payload::None, ADMIN),
        // An empty list is a list: set first, then every member fetches it.
        row(
            "PUT",
            "/v1/admin/trusted-roots".into(),
            Payload::Json(json!({"pem": ""})),
            ADMIN,
        ),
        row(
            "GET",
            "/v1/admin/trusted-roots".into(),
            Payload::None,
            ADMIN,
        ),
        row("GET", "/v1/trusted-roots".into(), Payload::None, ANY_USER),
        row(
            "POST",
            format!("/v1/admin/users/{target}/password"),
            Payload::Json(json!({"password": "mật khẩu cấp lại"})),
            ADMIN,
        ),
        row(
            "POST",
            format!("/v1/admin/users/{target}/enrol-codes"),
            Payload::Json(json!({"valid_minutes": 10})),
            ADMIN,
        ),
        row(
            "GET",
            format!("/v1/documents/{doc}/comments"),
            Payload::None,
            TAKE_PART,
        ),
        // (No such comment: nobody learns more than that.)
        row(
            "PUT",
            format!("/v1/comments/{}/response", uuid::Uuid::new_v4()),
            Payload::Json(json!({"status": "accepted"})),
            [401, 404, 404, 404, 404, 404, 403],
        ),
        // (An empty PEM: the administrator is let through to a 422.)
        row(
            "POST",
            format!("/v1/admin/users/{target}/signing-certificates"),
            Payload::Json(json!({"pem": ""})),
            ADMIN,
        ),
        // (None registered: the administrator is let through to a 404.)
        row(
            "DELETE",
            format!(
                "/v1/admin/users/{target}/signing-certificates/{}",
                "0".repeat(64)
            ),
            Payload::None,
            [401, 403, 403, 403, 403, 404, 403],
        ),
        // Public, but only a session's own device can sign a refresh.
        row(
            "POST",
            "/v1/session/refresh".into(),
            Payload::Json(
                json!({"session_id": "x", "device": {"device_id": "d", "signed_at": T0, "signature": "AA=="}}),
            ),
            [401; 7],
        ),
        // A wrong current password: checked, refused (422), nothing changed.
        row(
            "POST",
            "/v1/me/password".into(),
            Payload::Json(json!({"old_password": "sai", "new_password": "mật khẩu mới dài"})),
            ANY_USER,
        ),
        // Last: it ends each caller's session.
        row("POST", "/v1/logout".into(), Payload::None, ANY_USER),
    ];

    // Every route of the router is in the matrix.
    let covered: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_owned(), template_of(&r.path)))
        .collect();
    let routes: BTreeSet<(String, String)> = ecabinet_server::ROUTES
        .iter()
        .map(|e| (e.method.to_owned(), template_of(e.path)))
        .collect();
    assert_eq!(
        covered, routes,
        "the matrix must cover exactly the router's endpoints"
    );

    let sessions = [
        None,
        Some(&w.outsider),
        Some(&w.member),
        Some(&w.secretary),
        Some(&w.chair),
        Some(&w.admin),
        Some(&w.revoked),
    ];
    // The served description: each route's request and answer schemas.
    let spec = ecabinet_server::routes::openapi::spec();
    let mut described = std::collections::HashMap::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("ops") {
            described.insert((method.to_uppercase(), template_of(path)), op.clone());
        }
    }
    let mut answers_checked = BTreeSet::new();
    let mut failures = Vec::new();
    for r in rows.iter() {
        let route = (r.method.to_owned(), template_of(&r.path));
        let op = described.get(&route).expect("described");
        if let Payload::Json(v) = &r.payload {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            if let Err(e) = conforms(&spec, schema, v) {
                failures.push(format!(
                    "{} {}: the request does not match its schema: {e}",
                    r.method, r.path
                ));
            }
        }
        for (i, who) in sessions.iter().enumerate() {
            let path = match r.fresh {
                Fresh::None => r.path.clone(),
                Fresh::Item => r.path.replace("{fresh}", &w.item(&m, "Tạm", None).await),
                Fresh::Document => r.path.replace("{fresh}", &w.document(&item, "Tạm").await),
                Fresh::Speaker => {
                    // A fresh waiting request of the member (withdrawing the old one first).
                    let (_, q) = w
                        .env
                        .call(
                            "POST",
                            &format!("/v1/agenda/{item}/speakers"),
                            Some(&w.member),
                            None,
                        )
                        .await;
                    let id = match q["id"].as_str() {
                        Some(id) => id.to_owned(),
                        None => {
                            let all = w.env.all_changes(&w.member, 0).await;
                            let open = all
                                .iter()
                                .rev()
                                .find(|c| {
                                    c["entity"] == "speaker_request"
                                        && c["body"]["user_id"] == w.member.user_id.as_str()
                                })
                                .expect("request");
                            open["id"].as_str().expect("id").to_owned()
                        }
                    };
                    r.path.replace("{fresh}", &id)
                }
            };
            let mut req = Request::builder().method(r.method).uri(&path);
            if let Some(s) = who {
                req = s.headers(req);
            }
            let req = match &r.payload {
                Payload::None => req.body(Body::empty()),
                Payload::Json(v) => req
                    .header("content-type", "application/json")
                    .body(Body::from(v.to_string())),
                Payload::Pdf => req
                    .header("content-type", "application/pdf")
                    .body(Body::from(pdf("Bản mới", 1))),
            }
            .expect("request");
            // Only the status: an event stream never ends.
            let resp = tower::ServiceExt::oneshot(w.env.app.clone(), req)
                .await
                .expect("infallible");
            let got = resp.status().as_u16();
            let want = r.expect[i];
            let pass = if want == OK {
                resp.status().is_success() || got == 409 || got == 422
            } else {
                got == want
            };
            if !pass {
                failures.push(format!(
                    "{} {} as {}: got {got}, want {}",
                    r.method,
                    path,
                    CALLERS[i],
                    if want == OK {
                        "allowed".into()
                    } else {
                        want.to_string()
                    }
                ));
            }
            let answer_schema = &op["responses"]["2XX"]["content"]["application/json"]["schema"];
            if resp.status().is_success() && !answer_schema.is_null() {
                let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                    .await
                    .expect("body");
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                match conforms(&spec, answer_schema, &v) {
                    Ok(()) => {
                        answers_checked.insert(route.clone());
                    }
                    Err(e) => failures.push(format!(
                        "{} {path} as {}: the answer does not match its schema: {e}\n{v}",
                        r.method, CALLERS[i]
                    )),
                }
                continue;
            }
            if CALLERS[i] == "revoked" && want == 403 {
                let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                    .await
                    .expect("body");
                let v: Value = serde_json::from_slice(&body).expect("json");
                if v["code"] != "device_revoked" {
                    failures.push(format!(
                        "{} {} as revoked: code {}",
                        r.method, path, v["code"]
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix:\n{}",
        failures.join("\n")
    );
    // Every route that answers JSON was seen answering, and matched.
    let json_answers: BTreeSet<(String, String)> = described
        .iter()
        .filter(|(_, op)| !op["responses"]["2XX"]["content"]["application/json"].is_null())
        .map(|(route, _)| route.clone())
        .collect();
    // Routes the matrix reaches only as a refusal; their answers are checked
    // by `common::contract` in the tests that use them successfully.
    let elsewhere: BTreeSet<(String, String)> = [
        ("GET", "/v1/annotation-key"),           // annotations.rs
        ("GET", "/v1/audit/inclusion/{}"),       // ops.rs
        ("PATCH", "/v1/uploads/{}"),             // uploads.rs
        ("POST", "/v1/admin/users/{}/{}"),       // signed_ballots.rs (signing certificates)
        ("PUT", "/v1/comments/{}/response"),     // comments.rs
        ("POST", "/v1/devices"),                 // every Env::user
        ("POST", "/v1/session/refresh"),         // sessions.rs
        ("POST", "/v1/uploads/{}/finish"),       // uploads.rs
        ("PUT", "/v1/agenda/{}/speakers/order"), // chair.rs
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    answers_checked.extend(elsewhere);
    let unchecked: Vec<_> = json_answers.difference(&answers_checked).collect();
    assert!(
        unchecked.is_empty(),
        "no successful answer was checked against its schema for {unchecked:?}"
    );
    let _ = StatusCode::OK;
});

/// Whether `instance` matches `schema` (a `$ref` into the description's
/// components), by a JSON Schema 2020-12 validator (OpenAPI 3.1's dialect).
fn conforms(spec: &Value, schema: &Value, instance: &Value) -> Result<(), String> {
    if schema.is_null() {
        return Err("the description has no schema for it".into());
    }
    let mut root = schema.clone();
    root["components"] = spec["components"].clone();
    let validator = jsonschema::draft202012::new(&root).map_err(|e| format!("bad schema: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} (at {})", e.instance_path))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// `/v1/meetings/0190.../agenda` → `/v1/meetings/{}/agenda`, for both concrete
/// paths and route templates.
fn template_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .enumerate()
        .map(|(i, seg)| {
            let fixed = i <= 1
                || seg.is_empty()
                || (seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '.')
                    && seg.len() < 20);
            if fixed {
                seg.to_owned()
            } else {
                "{}".to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
