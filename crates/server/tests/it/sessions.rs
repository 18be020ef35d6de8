//! Sessions (issue 15): short-lived access tokens renewed with the device
//! key, logout, disabled users, the purge of expired tokens, and an enrolled
//! device signing in again without a new enrolment.

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::device_proof_message;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

const PASSWORD: &str = "mật-khẩu-đủ-dài";

/// A device with a real Ed25519 key, enrolled for `username`.
struct Device {
    key: Ed25519KeyPair,
    id: String,
    session: Session,
    session_id: String,
}

fn new_key() -> Ed25519KeyPair {
    let pkcs8 =
        Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("generate key");
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key")
}

fn proof(key: &Ed25519KeyPair, purpose: &str, subject: &str, device: &str, at: i64) -> Value {
    let sig = key.sign(&device_proof_message(purpose, subject, device, at));
    json!({"device_id": device, "signed_at": at, "signature": BASE64.encode(sig.as_ref())})
}

async fn login_body(env: &Env, body: Value) -> (StatusCode, Value) {
    env.call("POST", "/v1/login", None, Some(body)).await
}

async fn enrolled(env: &Env, username: &str) -> Device {
    let (s, login) = login_body(env, json!({"username": username, "password": PASSWORD})).await;
    assert_eq!(s, StatusCode::OK, "{login}");
    let key = new_key();
    let mut session = Session {
        token: login["token"].as_str().expect("token").to_owned(),
        device_id: None,
        user_id: login["user_id"].as_str().expect("user").to_owned(),
        server_key: String::new(),
    };
    let (s, d) = env
        .call(
            "POST",
            "/v1/devices",
            Some(&session),
            Some(json!({"public_key": BASE64.encode(key.public_key().as_ref()), "name": "Máy tính bảng"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["device_id"].as_str().expect("device").to_owned();
    session.device_id = Some(id.clone());
    Device {
        key,
        id,
        session,
        session_id: login["session_id"].as_str().expect("session").to_owned(),
    }
}

impl Device {
    fn refresh_body(&self, at: i64) -> Value {
        json!({"session_id": self.session_id, "device": proof(&self.key, "refresh", &self.session_id, &self.id, at)})
    }

    /// Refreshes; on success the device uses the new token.
    async fn refresh(&mut self, env: &Env, at: i64) -> (StatusCode, Value) {
        let (s, b) = env
            .call(
                "POST",
                "/v1/session/refresh",
                None,
                Some(self.refresh_body(at)),
            )
            .await;
        if s == StatusCode::OK {
            self.session.token = b["token"].as_str().expect("token").to_owned();
        }
        (s, b)
    }
}

fn now(env: &Env) -> i64 {
    env.clock.0.load(std::sync::atomic::Ordering::SeqCst)
}

fn advance(env: &Env, ms: i64) {
    env.clock
        .0
        .fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
}

async fn me(env: &Env, who: &Session) -> (StatusCode, Option<String>) {
    let (s, b) = env.call("GET", "/v1/me", Some(who), None).await;
    (s, b["code"].as_str().map(str::to_owned))
}

both!(
    an_expired_access_token_is_renewed_with_the_device_key,
    |kind| async move {
        let w = World::new(kind).await;
        let mut dev = enrolled(&w.env, "member").await;
        assert_eq!(me(&w.env, &dev.session).await, (StatusCode::OK, None));
        // Access tokens are short-lived: 15 minutes.
        advance(&w.env, 15 * 60 * 1_000);
        assert_eq!(
            me(&w.env, &dev.session).await,
            (StatusCode::UNAUTHORIZED, Some("token_expired".into()))
        );
        let (s, b) = dev.refresh(&w.env, now(&w.env)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["session_id"].as_str(), Some(dev.session_id.as_str()));
        assert_eq!(me(&w.env, &dev.session).await, (StatusCode::OK, None));
        // The renewed token is bound to the device like the first one.
        let swapped = Session {
            device_id: w.chair.device_id.clone(),
            ..dev.session.clone()
        };
        assert_eq!(me(&w.env, &swapped).await.0, StatusCode::FORBIDDEN);
    }
);

both!(
    a_refresh_not_signed_by_the_sessions_device_is_refused,
    |kind| async move {
        let w = World::new(kind).await;
        let mut dev = enrolled(&w.env, "member").await;
        let other = enrolled(&w.env, "chair").await;
        let at = now(&w.env);
        // Signed by another key (a thief with the session id and device id).
        let forged = json!({"session_id": dev.session_id, "device": proof(&new_key(), "refresh", &dev.session_id, &dev.id, at)});
        let (s, b) = w
            .env
            .call("POST", "/v1/session/refresh", None, Some(forged))
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
            "{b}"
        );
        // Another device's valid signature for this session.
        let borrowed = json!({"session_id": dev.session_id, "device": proof(&other.key, "refresh", &dev.session_id, &other.id, at)});
        let (s, _) = w
            .env
            .call("POST", "/v1/session/refresh", None, Some(borrowed))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A signature made for a login does not renew a session.
        let wrong_purpose = json!({"session_id": dev.session_id, "device": proof(&dev.key, "login", &dev.session_id, &dev.id, at)});
        let (s, _) = w
            .env
            .call("POST", "/v1/session/refresh", None, Some(wrong_purpose))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // A good one works once; replaying it is refused.
        let (s, b) = dev.refresh(&w.env, at).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = dev.refresh(&w.env, at).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "replay: {b}");
        // A signing time far from the server's clock is refused, however far.
        let (s, _) = dev.refresh(&w.env, i64::MIN).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // A signing time far from the server's clock is refused.
        let (s, b) = dev.refresh(&w.env, at + 11 * 60 * 1_000).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
        );
        // The session itself ends after its lifetime (30 days).
        advance(&w.env, 30 * 24 * 3600 * 1_000);
        let (s, b) = dev.refresh(&w.env, now(&w.env)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        assert!(
            b["message"]
                .as_str()
                .unwrap_or("")
                .contains("sign in again"),
            "{b}"
        );
    }
);

both!(
    a_disabled_user_is_refused_at_login_refresh_and_with_any_token,
    |kind| async move {
        let w = World::new(kind).await;
        let mut dev = enrolled(&w.env, "member").await;
        let (s, b) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/users/{}/disable", dev.session.user_id),
                Some(&w.member),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "only admins disable: {b}");
        let (s, b) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/users/{}/disable", dev.session.user_id),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        // Every token of the user stops working at once.
        assert_eq!(me(&w.env, &dev.session).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&w.env, &w.member).await.0, StatusCode::UNAUTHORIZED);
        let (s, b) = dev.refresh(&w.env, now(&w.env)).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("account_disabled")),
            "{b}"
        );
        let (s, b) = login_body(&w.env, json!({"username": "member", "password": PASSWORD})).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("account_disabled")),
            "{b}"
        );
        // A wrong password does not learn that the account is disabled.
        let (s, b) = login_body(&w.env, json!({"username": "member", "password": "sai rồi"})).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
        );

        // The server's CLI disables and enables by username.
        let db = w.env.db_url.clone();
        let dir = w.env.dir.path().display().to_string();
        let cli = |cmd: &str, user: &str| {
            run_cli(&[
                "user",
                cmd,
                "--data-dir",
                &dir,
                "--database-url",
                &db,
                "--username",
                user,
            ])
        };
        let (ok, out, err) = cli("enable", "member");
        assert!(ok, "{err}");
        assert!(out.contains("\"disabled\":false"), "{out}");
        let (s, b) = login_body(&w.env, json!({"username": "member", "password": PASSWORD})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (ok, _, err) = cli("disable", "chair");
        assert!(ok, "{err}");
        assert_eq!(me(&w.env, &w.chair).await.0, StatusCode::UNAUTHORIZED);
        let (s, _) = login_body(&w.env, json!({"username": "chair", "password": PASSWORD})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (ok, _, err) = cli("disable", "nobody");
        assert!(!ok && err.contains("user not found"), "{err}");
    }
);

both!(
    logout_makes_the_sessions_tokens_useless,
    |kind| async move {
        let w = World::new(kind).await;
        let mut dev = enrolled(&w.env, "member").await;
        let (s, _) = dev.refresh(&w.env, now(&w.env)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, b) = w
            .env
            .call("POST", "/v1/logout", Some(&dev.session), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        assert_eq!(
            me(&w.env, &dev.session).await,
            (StatusCode::UNAUTHORIZED, Some("unauthenticated".into()))
        );
        let (s, b) = dev.refresh(&w.env, now(&w.env) + 1).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        // The member's other sessions are not touched.
        assert_eq!(me(&w.env, &w.member).await.0, StatusCode::OK);
    }
);

both!(expired_tokens_are_purged, |kind| async move {
    let w = World::new(kind).await;
    for _ in 0..3 {
        login_body(&w.env, json!({"username": "chair", "password": PASSWORD})).await;
    }
    let count = |env: &Env| {
        let db = env.state.db.clone();
        let t = now(env);
        async move {
            db.read(move |c| {
                let all = c.query("SELECT COUNT(*) FROM tokens", &[])?[0].int(0)?;
                let dead = c.query(
                    "SELECT COUNT(*) FROM tokens WHERE expires_at <= ?",
                    ecabinet_server::params![t],
                )?[0]
                    .int(0)?;
                Ok::<_, ecabinet_server::AppError>((all, dead))
            })
            .await
            .expect("count")
        }
    };
    let (all, dead) = count(&w.env).await;
    assert!(all >= 9 && dead == 0, "{all} {dead}");
    advance(&w.env, 16 * 60 * 1_000);
    let (all_before, dead) = count(&w.env).await;
    assert_eq!(dead, all_before, "every token has expired");
    // The next login sweeps them away.
    login_body(&w.env, json!({"username": "chair", "password": PASSWORD})).await;
    assert_eq!(count(&w.env).await, (1, 0));
});

both!(
    an_enrolled_device_signs_in_again_without_a_new_enrolment,
    |kind| async move {
        let w = World::new(kind).await;
        let dev = enrolled(&w.env, "member").await;
        let (s, _) = w
            .env
            .call("POST", "/v1/logout", Some(&dev.session), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let at = now(&w.env);
        let (s, b) = login_body(&w.env, json!({"username": "member", "password": PASSWORD, "device": proof(&dev.key, "login", "member", &dev.id, at)})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let mut again = Device {
            key: dev.key,
            id: dev.id.clone(),
            session: Session {
                token: b["token"].as_str().expect("token").to_owned(),
                ..dev.session.clone()
            },
            session_id: b["session_id"].as_str().expect("session").to_owned(),
        };
        // The same device, its session renewable by its key, no enrolment.
        let (s, me_body) = w
            .env
            .call("GET", "/v1/me", Some(&again.session), None)
            .await;
        assert_eq!(
            (s, me_body["device_id"].as_str()),
            (StatusCode::OK, Some(dev.id.as_str()))
        );
        advance(&w.env, 16 * 60 * 1_000);
        let (s, b) = again.refresh(&w.env, now(&w.env)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // A proof from another key, or for a revoked device, is refused.
        let (s, _) = login_body(&w.env, json!({"username": "member", "password": PASSWORD, "device": proof(&new_key(), "login", "member", &dev.id, now(&w.env))})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // (The admin's own access token has expired meanwhile.)
        let admin = w.env.login("admin", PASSWORD).await;
        let (s, _) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/devices/{}/revoke", dev.id),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, b) = login_body(&w.env, json!({"username": "member", "password": PASSWORD, "device": proof(&again.key, "login", "member", &dev.id, now(&w.env))})).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("device_revoked"))
        );
    }
);

both!(
    an_admin_password_reset_ends_every_session_of_the_user,
    |kind| async move {
        let w = World::new(kind).await;
        let mut dev = enrolled(&w.env, "member").await;
        let db = w.env.db_url.clone();
        let dir = w.env.dir.path().display().to_string();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"));
        cmd.args([
            "user",
            "reset-password",
            "--data-dir",
            &dir,
            "--database-url",
            &db,
        ])
        .args(["--username", "member"])
        .env("ECABINET_PASSWORD", "mật khẩu mới đặt lại");
        let out = cmd.output().expect("reset-password");
        assert!(out.status.success(), "{out:?}");
        // Every token and session of the member is gone, on every device.
        assert_eq!(me(&w.env, &dev.session).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&w.env, &w.member).await.0, StatusCode::UNAUTHORIZED);
        let (s, b) = dev.refresh(&w.env, now(&w.env)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        let (s, _) = login_body(&w.env, json!({"username": "member", "password": PASSWORD})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // The device signs in again with the new password, keeping its enrolment.
        let (s, b) = login_body(&w.env, json!({"username": "member", "password": "mật khẩu mới đặt lại", "device": proof(&dev.key, "login", "member", &dev.id, now(&w.env))})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // Other users are not touched.
        assert_eq!(me(&w.env, &w.chair).await.0, StatusCode::OK);
    }
);
