//! Login, device enrolment, and the administrator's users, committees,
//! memberships and device revocation.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{
    ChangePasswordRequest, CommitteeBody, CommitteeRole, CreateCommitteeRequest, CreateUserRequest,
    DeviceBody, EnrolDeviceRequest, EnrolDeviceResponse, EntityKind, ErrorBody, ErrorCode,
    LoginRequest, LoginResponse, MeResponse, Op, RefreshRequest, SetMembershipRequest,
    UpdateCommitteeRequest, UserBody, WireRole,
};

use crate::access::{admin_did, require_admin};
use crate::annotations::{check_wrapped_key, put_wrapped_key, wrapped_key};
use crate::auth::{hash_password, verify_login, Caller};
use crate::db::Conn;
use crate::error::{Json, Path};
use crate::records::{self, emit, new_id, Audience, Scope};
use crate::sessions;
use crate::throttle::{source_address, Refused};
use crate::{params, AppError, AppState};

/// `POST /v1/login`. Throttled per username and source address before the
/// password is looked at (see [`crate::throttle`]); an unknown username costs
/// one Argon2 evaluation like a wrong password.
pub async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response, AppError> {
    let now = state.now();
    let ip = source_address(
        peer.map(|Extension(ConnectInfo(a))| a.ip()),
        headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()),
        state.config.trust_forwarded_for,
    );
    if let Err(refused) = state.login_throttle.admit(&req.username, ip, now) {
        return Ok(too_many_attempts(refused));
    }
    let username = req.username.clone();
    let found = state
        .db
        .read(move |conn| {
            let rows = conn.query(
                "SELECT id, password_hash, is_admin, disabled_at FROM users WHERE username = ?",
                params![&username],
            )?;
            match rows.first() {
                Some(r) => Ok::<_, AppError>(Some((
                    r.text(0)?,
                    r.text(1)?,
                    r.bool(2)?,
                    r.opt_int(3)?.is_some(),
                ))),
                None => Ok(None),
            }
        })
        .await?;
    let phc = found.as_ref().map(|(_, phc, _, _)| phc.clone());
    let password = req.password;
    let checker = state.clone();
    // Argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || {
        checker.login_throttle.count_evaluation();
        verify_login(&password, phc.as_deref())
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?;
    let (user_id, is_admin, disabled) = match found {
        Some((user_id, _, is_admin, disabled)) if ok => (user_id, is_admin, disabled),
        _ => {
            state.login_throttle.failed(ip, now);
            return Err(AppError::unauthenticated("wrong username or password"));
        }
    };
    state.login_throttle.succeeded(&req.username);
    // Only someone who knows the password learns that the account is disabled.
    if disabled {
        return Err(crate::auth::disabled_error());
    }
    let (token_ttl, session_ttl) = (state.config.token_ttl_ms, state.config.session_ttl_ms);
    let uid = user_id.clone();
    let username = req.username;
    let (token, expires_at, session_id) = state
        .db
        .write(move |tx| {
            sessions::purge_expired(tx.conn, now)?;
            // An enrolled device signing in again: bind the session to it
            // at once, so it keeps its data and renews its own tokens.
            let device = match &req.device {
                Some(proof) => {
                    sessions::verify_device_proof(tx.conn, &uid, "login", &username, proof, now)?;
                    Some(proof.device_id.as_str())
                }
                None => None,
            };
            let session = sessions::open_session(tx.conn, &uid, device, now, session_ttl)?;
            let (token, expires_at) =
                sessions::issue_token(tx.conn, &session, &uid, device, now, token_ttl)?;
            Ok::<_, AppError>((token, expires_at, session))
        })
        .await?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        user_id,
        is_admin,
        session_id,
    })
    .into_response())
}

/// `POST /v1/session/refresh`: a new access token for a device-bound
/// session, proven by the device's signature (no password, no bearer token).
pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let now = state.now();
    let ttl = state.config.token_ttl_ms;
    let body = state
        .db
        .write(move |tx| {
            sessions::purge_expired(tx.conn, now)?;
            let s = sessions::accept_refresh(tx.conn, &req.session_id, &req.device, now)?;
            let (token, expires_at) = sessions::issue_token(
                tx.conn,
                &req.session_id,
                &s.user_id,
                Some(&req.device.device_id),
                now,
                ttl,
            )?;
            Ok::<_, AppError>(LoginResponse {
                token,
                expires_at,
                user_id: s.user_id,
                is_admin: s.is_admin,
                session_id: req.session_id,
            })
        })
        .await?;
    Ok(Json(body))
}

/// `POST /v1/logout`: ends the caller's session; its tokens stop working and
/// the device must sign in with the password again.
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, AppError> {
    let now = state.now();
    state
        .db
        .write(move |tx| {
            match &caller.session_id {
                Some(session) => sessions::end_session(tx.conn, session, now)?,
                None => {
                    tx.conn.execute(
                        "DELETE FROM tokens WHERE hash = ?",
                        params![&caller.token_hash],
                    )?;
                }
            }
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/me/password`: the caller changes their own password. The old
/// one is checked like a login (same throttle, one Argon2 evaluation); the
/// annotation key re-wrapped by the device is stored in the same
/// transaction; every other session of the user ends.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Json(req): Json<ChangePasswordRequest>,
) -> Result<Response, AppError> {
    if req.new_password.chars().count() < 8 {
        return Err(AppError::invalid(
            "the new password must have at least 8 characters",
        ));
    }
    if let Some(k) = &req.annotation_key {
        check_wrapped_key(k)?;
    }
    let now = state.now();
    let ip = source_address(
        peer.map(|Extension(ConnectInfo(a))| a.ip()),
        headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()),
        state.config.trust_forwarded_for,
    );
    let uid = caller.user_id.clone();
    let (username, phc, has_key) = state
        .db
        .read(move |conn| {
            let rows = conn.query(
                "SELECT username, password_hash FROM users WHERE id = ?",
                params![&uid],
            )?;
            let r = rows.first().ok_or_else(|| AppError::not_found("user"))?;
            let has_key = wrapped_key(conn, &uid)?.is_some();
            Ok::<_, AppError>((r.text(0)?, r.text(1)?, has_key))
        })
        .await?;
    if has_key && req.annotation_key.is_none() {
        return Err(AppError::invalid(
            "send the annotation key re-wrapped under the new password with the change",
        ));
    }
    if let Err(refused) = state.login_throttle.admit(&username, ip, now) {
        return Ok(too_many_attempts(refused));
    }
    let (old, new) = (req.old_password, req.new_password);
    let checker = state.clone();
    let checked = tokio::task::spawn_blocking(move || {
        checker.login_throttle.count_evaluation();
        if verify_login(&old, Some(&phc)) {
            hash_password(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))??;
    let Some(new_phc) = checked else {
        state.login_throttle.failed(ip, now);
        return Err(AppError::invalid("the current password is wrong"));
    };
    state.login_throttle.succeeded(&username);
    let key = req.annotation_key;
    state
        .db
        .write(move |tx| {
            tx.conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?",
                params![&new_phc, &caller.user_id],
            )?;
            if let Some(k) = &key {
                put_wrapped_key(tx, &caller.user_id, k, now)?;
            }
            sessions::end_other_sessions(
                tx.conn,
                &caller.user_id,
                caller.session_id.as_deref(),
                &caller.token_hash,
                now,
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v1/admin/users/{user_id}/disable` (admin): the user can no longer
/// log in or renew a token, and every token of theirs stops working now.
pub async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<StatusCode, AppError> {
    require_admin(&caller)?;
    if user_id == caller.user_id {
        // Locking oneself out leaves no one to undo it from the screens.
        return Err(AppError::conflict(
            "an administrator cannot disable their own account",
        ));
    }
    let now = state.now();
    let subject = user_id.clone();
    state
        .db
        .write(move |tx| sessions::set_disabled(tx.conn, &subject, true, now))
        .await?;
    admin_did(&caller, "disable_user", &user_id);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/users/{user_id}/enable` (admin): undoes a disable; the
/// user signs in with the password again.
pub async fn enable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<StatusCode, AppError> {
    require_admin(&caller)?;
    let now = state.now();
    let subject = user_id.clone();
    state
        .db
        .write(move |tx| sessions::set_disabled(tx.conn, &subject, false, now))
        .await?;
    admin_did(&caller, "enable_user", &user_id);
    Ok(StatusCode::NO_CONTENT)
}

/// 429 `rate_limited` with `Retry-After` in whole seconds.
fn too_many_attempts(refused: Refused) -> Response {
    let secs = refused.retry_after_secs();
    let body = ErrorBody {
        code: ErrorCode::RateLimited,
        message: format!(
            "too many failed logins for this username or from this address; try again in {secs} s"
        ),
    };
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(RETRY_AFTER, secs.to_string())],
        axum::Json(body),
    )
        .into_response()
}

pub async fn enrol_device(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<EnrolDeviceRequest>,
) -> Result<(StatusCode, Json<EnrolDeviceResponse>), AppError> {
    let key = BASE64
        .decode(req.public_key.trim())
        .map_err(|_| AppError::invalid("public_key must be standard base64"))?;
    if key.len() != 32 {
        return Err(AppError::invalid(
            "public_key must be a raw 32-byte Ed25519 key",
        ));
    }
    if req.name.trim().is_empty() {
        return Err(AppError::invalid("the device needs a name"));
    }
    if caller.device_id.is_some() {
        return Err(AppError::conflict(
            "this session already belongs to an enrolled device; log in again to enrol another",
        ));
    }
    let now = state.now();
    let device_id = new_id();
    let id = device_id.clone();
    state
        .db
        .write(move |tx| {
            if let Some(code) = &req.enrol_code {
                crate::enrol_codes::consume(tx.conn, &caller.user_id, code, now)?;
            }
            tx.conn.execute(
                "INSERT INTO devices (id, user_id, name, public_key, revoked_at, created_at) VALUES (?, ?, ?, ?, NULL, ?)",
                params![&id, &caller.user_id, req.name.trim(), BASE64.encode(&key), now],
            )?;
            // From now on the token works only together with this device, so
            // revoking the device locks the session out.
            tx.conn.execute(
                "UPDATE tokens SET device_id = ? WHERE hash = ?",
                params![&id, &caller.token_hash],
            )?;
            // ...and the session renews its tokens with this device's key.
            if let Some(session) = &caller.session_id {
                tx.conn.execute(
                    "UPDATE sessions SET device_id = ? WHERE id = ?",
                    params![&id, session],
                )?;
            }
            Ok::<_, AppError>(())
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(EnrolDeviceResponse {
            device_id,
            server_signing_key: state.signer.public_key_b64().to_owned(),
        }),
    ))
}

pub async fn me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<MeResponse>, AppError> {
    state
        .db
        .read(move |conn| {
            let rows = conn.query(
                "SELECT username, display_name, is_admin FROM users WHERE id = ?",
                params![&caller.user_id],
            )?;
            let u = rows.first().ok_or_else(|| AppError::not_found("user"))?;
            let committees = conn
                .query(
                    "SELECT c.id, c.name, m.role FROM memberships m JOIN committees c ON c.id = m.committee_id WHERE m.user_id = ? ORDER BY c.name",
                    params![&caller.user_id],
                )?
                .iter()
                .map(|r| {
                    Ok(CommitteeRole {
                        committee_id: r.text(0)?,
                        committee_name: r.text(1)?,
                        role: WireRole::parse(&r.text(2)?)
                            .ok_or_else(|| AppError::internal("stored role"))?,
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            Ok(Json(MeResponse {
                user_id: caller.user_id.clone(),
                username: u.text(0)?,
                display_name: u.text(1)?,
                is_admin: u.bool(2)?,
                device_id: caller.device_id.clone(),
                committees,
            }))
        })
        .await
}

/// Creates a user; shared by the HTTP API, the CLI and the demo seed.
pub fn insert_user(
    conn: &mut dyn Conn,
    req: &CreateUserRequest,
    phc: &str,
    now: i64,
) -> Result<UserBody, AppError> {
    let username = req.username.trim();
    if username.is_empty() || req.display_name.trim().is_empty() {
        return Err(AppError::invalid(
            "username and display_name must not be empty",
        ));
    }
    let id = new_id();
    conn.execute(
        "INSERT INTO users (id, username, display_name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        params![&id, username, req.display_name.trim(), phc, req.is_admin, now],
    )
    .map_err(|e| match AppError::from(e) {
        e if e.code == ecabinet_protocol::ErrorCode::Conflict => {
            AppError::conflict(format!("the username {username:?} is taken"))
        }
        e => e,
    })?;
    Ok(UserBody {
        id,
        username: username.to_owned(),
        display_name: req.display_name.trim().to_owned(),
        is_admin: req.is_admin,
    })
}

pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateUserRequest>,
) -> Result<(StatusCode, Json<UserBody>), AppError> {
    require_admin(&caller)?;
    if req.password.chars().count() < 8 {
        return Err(AppError::invalid(
            "the password must have at least 8 characters",
        ));
    }
    let pw = req.password.clone();
    let phc = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| AppError::internal(e.to_string()))??;
    let now = state.now();
    let user = state
        .db
        .write(move |tx| insert_user(tx.conn, &req, &phc, now))
        .await?;
    admin_did(&caller, "create_user", &user.id);
    Ok((StatusCode::CREATED, Json(user)))
}

/// Creates a committee (read status off) and records it in the feed;
/// shared with the seed.
pub fn insert_committee(
    tx: &mut crate::db::Tx<'_>,
    name: &str,
    now: i64,
) -> Result<CommitteeBody, AppError> {
    insert_committee_with(tx, name, false, now)
}

/// [`insert_committee`] with the read status setting.
pub fn insert_committee_with(
    tx: &mut crate::db::Tx<'_>,
    name: &str,
    read_status: bool,
    now: i64,
) -> Result<CommitteeBody, AppError> {
    if name.trim().is_empty() {
        return Err(AppError::invalid("the committee needs a name"));
    }
    if name.trim().chars().count() > MAX_COMMITTEE_NAME_CHARS {
        return Err(AppError::invalid(format!(
            "a committee name has at most {MAX_COMMITTEE_NAME_CHARS} characters"
        )));
    }
    let body = CommitteeBody {
        id: new_id(),
        name: name.trim().to_owned(),
        read_status,
        comments_shared: false,
        speaking_limit_ms: None,
    };
    tx.conn.execute(
        "INSERT INTO committees (id, name, read_status, created_at) VALUES (?, ?, ?, ?)",
        params![&body.id, &body.name, i64::from(read_status), now],
    )?;
    emit_committee(tx, &body, now)?;
    Ok(body)
}

fn emit_committee(
    tx: &mut crate::db::Tx<'_>,
    body: &CommitteeBody,
    now: i64,
) -> Result<(), AppError> {
    emit(
        tx,
        Scope::new(&body.id, Audience::All),
        EntityKind::Committee,
        &body.id,
        Op::Upsert,
        Some(body),
        now,
    )?;
    Ok(())
}

/// Switches the committee's read status on or off; the change goes out on
/// the feed (devices start or stop reporting).
pub fn set_read_status(
    tx: &mut crate::db::Tx<'_>,
    committee_id: &str,
    on: bool,
    now: i64,
) -> Result<CommitteeBody, AppError> {
    set_flag(tx, committee_id, CommitteeFlag::ReadStatus, on, now)
}

/// Lets members see each other's comments on drafts, or only their own.
pub fn set_comments_shared(
    tx: &mut crate::db::Tx<'_>,
    committee_id: &str,
    on: bool,
    now: i64,
) -> Result<CommitteeBody, AppError> {
    set_flag(tx, committee_id, CommitteeFlag::CommentsShared, on, now)
}

/// A committee setting that is on or off.
#[derive(Clone, Copy)]
enum CommitteeFlag {
    ReadStatus,
    CommentsShared,
}

/// Switches `flag` of the committee; a change goes out on the feed.
fn set_flag(
    tx: &mut crate::db::Tx<'_>,
    committee_id: &str,
    flag: CommitteeFlag,
    on: bool,
    now: i64,
) -> Result<CommitteeBody, AppError> {
    let mut body = records::committee(tx.conn, committee_id)?
        .ok_or_else(|| AppError::not_found("committee"))?;
    let (column, value) = match flag {
        CommitteeFlag::ReadStatus => ("read_status", &mut body.read_status),
        CommitteeFlag::CommentsShared => ("comments_shared", &mut body.comments_shared),
    };
    if *value != on {
        *value = on;
        tx.conn.execute(
            &format!("UPDATE committees SET {column} = ? WHERE id = ?"),
            params![i64::from(on), committee_id],
        )?;
        if let CommitteeFlag::CommentsShared = flag {
            // Sharing shows what arrives from now on: a comment written
            // while the committee kept comments private stays private.
            tx.conn.execute(
                "UPDATE committees SET comments_shared_since = ? WHERE id = ?",
                params![on.then_some(now), committee_id],
            )?;
        }
        emit_committee(tx, &body, now)?;
    }
    Ok(body)
}

/// Sets or lifts the committee's default speaking-time limit.
pub fn set_speaking_limit(
    tx: &mut crate::db::Tx<'_>,
    committee_id: &str,
    limit_ms: Option<i64>,
    now: i64,
) -> Result<CommitteeBody, AppError> {
    crate::speakers::check_default_limit(limit_ms)?;
    let mut body = records::committee(tx.conn, committee_id)?
        .ok_or_else(|| AppError::not_found("committee"))?;
    if body.speaking_limit_ms != limit_ms {
        body.speaking_limit_ms = limit_ms;
        tx.conn.execute(
            "UPDATE committees SET speaking_limit_ms = ? WHERE id = ?",
            params![limit_ms, committee_id],
        )?;
        emit_committee(tx, &body, now)?;
    }
    Ok(body)
}

pub async fn create_committee(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateCommitteeRequest>,
) -> Result<(StatusCode, Json<CommitteeBody>), AppError> {
    require_admin(&caller)?;
    let now = state.now();
    let body = state
        .db
        .write(move |tx| insert_committee_with(tx, &req.name, req.read_status, now))
        .await?;
    admin_did(&caller, "create_committee", &body.id);
    Ok((StatusCode::CREATED, Json(body)))
}

pub async fn update_committee(
    State(state): State<AppState>,
    caller: Caller,
    Path(committee_id): Path<String>,
    Json(req): Json<UpdateCommitteeRequest>,
) -> Result<Json<CommitteeBody>, AppError> {
    require_admin(&caller)?;
    let now = state.now();
    let name = match req.name.as_deref().map(str::trim) {
        Some("") => return Err(AppError::invalid("the committee needs a name")),
        Some(n) if n.chars().count() > MAX_COMMITTEE_NAME_CHARS => {
            return Err(AppError::invalid(format!(
                "a committee name has at most {MAX_COMMITTEE_NAME_CHARS} characters"
            )))
        }
        other => other.map(str::to_owned),
    };
    let body = state
        .db
        .write(move |tx| {
            if let Some(name) = &name {
                rename_committee(tx, &committee_id, name, now)?;
            }
            if let Some(on) = req.comments_shared {
                set_comments_shared(tx, &committee_id, on, now)?;
            }
            if let Some(limit) = req.speaking_limit_ms {
                set_speaking_limit(tx, &committee_id, limit, now)?;
            }
            match req.read_status {
                Some(on) => set_read_status(tx, &committee_id, on, now),
                None => records::committee(tx.conn, &committee_id)?
                    .ok_or_else(|| AppError::not_found("committee")),
            }
        })
        .await?;
    admin_did(&caller, "update_committee", &body.id);
    Ok(Json(body))
}

/// The longest committee name the screens and the API accept.
pub const MAX_COMMITTEE_NAME_CHARS: usize = 200;

/// Renames the committee; the new name goes out on the feed.
pub fn rename_committee(
    tx: &mut crate::db::Tx<'_>,
    committee_id: &str,
    name: &str,
    now: i64,
) -> Result<CommitteeBody, AppError> {
    let mut body = records::committee(tx.conn, committee_id)?
        .ok_or_else(|| AppError::not_found("committee"))?;
    if body.name != name {
        tx.conn.execute(
            "UPDATE committees SET name = ? WHERE id = ?",
            params![name, committee_id],
        )?;
        body.name = name.to_owned();
        emit_committee(tx, &body, now)?;
    }
    Ok(body)
}

/// Gives `user_id` the role in the committee (adding or changing the
/// membership); shared with the seed.
pub fn upsert_membership(
    tx: &mut crate::db::Tx<'_>,
    committee_id: &str,
    user_id: &str,
    role: WireRole,
    now: i64,
) -> Result<ecabinet_protocol::MembershipBody, AppError> {
    if records::committee(tx.conn, committee_id)?.is_none() {
        return Err(AppError::not_found("committee"));
    }
    let user = tx
        .conn
        .query("SELECT id FROM users WHERE id = ?", params![user_id])?;
    if user.is_empty() {
        return Err(AppError::not_found("user"));
    }
    let existing = tx.conn.query(
        "SELECT id, role FROM memberships WHERE committee_id = ? AND user_id = ?",
        params![committee_id, user_id],
    )?;
    let before = match existing.first() {
        Some(r) => Some(r.text(1)?),
        None => None,
    };
    let id = match existing.first() {
        Some(r) => {
            let id = r.text(0)?;
            tx.conn.execute(
                "UPDATE memberships SET role = ? WHERE id = ?",
                params![role.as_str(), &id],
            )?;
            id
        }
        None => {
            let id = new_id();
            tx.conn.execute(
                "INSERT INTO memberships (id, committee_id, user_id, role) VALUES (?, ?, ?, ?)",
                params![&id, committee_id, user_id, role.as_str()],
            )?;
            id
        }
    };
    let body = records::membership(tx.conn, &id)?
        .ok_or_else(|| AppError::internal("membership vanished"))?;
    records::emit_for_user(tx, committee_id, user_id, &id, Op::Upsert, Some(&body), now)?;
    // What the committee's feed held before they could see it.
    let editor = role != WireRole::Member;
    let was_editor = before
        .as_deref()
        .is_some_and(|r| r != WireRole::Member.as_str());
    let audiences: &[Audience] = match (before.is_some(), editor, was_editor) {
        (false, true, _) => &[Audience::All, Audience::Editors],
        (false, false, _) => &[Audience::All],
        (true, true, false) => &[Audience::Editors],
        _ => &[],
    };
    if !audiences.is_empty() {
        records::replay_history(tx, committee_id, user_id, audiences, now)?;
    }
    Ok(body)
}

pub async fn set_membership(
    State(state): State<AppState>,
    caller: Caller,
    Path((committee_id, user_id)): Path<(String, String)>,
    Json(req): Json<SetMembershipRequest>,
) -> Result<Json<ecabinet_protocol::MembershipBody>, AppError> {
    require_admin(&caller)?;
    let now = state.now();
    let body = state
        .db
        .write(move |tx| upsert_membership(tx, &committee_id, &user_id, req.role, now))
        .await?;
    admin_did(
        &caller,
        &format!("set_membership:{}", body.role.as_str()),
        &format!("{}/{}", body.committee_id, body.user_id),
    );
    Ok(Json(body))
}

pub async fn remove_membership(
    State(state): State<AppState>,
    caller: Caller,
    Path((committee_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    require_admin(&caller)?;
    let now = state.now();
    state
        .db
        .write(move |tx| {
            let rows = tx.conn.query(
                "SELECT id FROM memberships WHERE committee_id = ? AND user_id = ?",
                params![&committee_id, &user_id],
            )?;
            let id = rows
                .first()
                .ok_or_else(|| AppError::not_found("membership"))?
                .text(0)?;
            tx.conn
                .execute("DELETE FROM memberships WHERE id = ?", params![&id])?;
            // The removed user sees this tombstone too: their cue to forget the committee.
            records::emit_for_user::<()>(tx, &committee_id, &user_id, &id, Op::Delete, None, now)?;
            Ok::<_, AppError>(format!("{committee_id}/{user_id}"))
        })
        .await
        .map(|subject| admin_did(&caller, "remove_membership", &subject))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks a device revoked; its next request is answered `device_revoked`.
pub fn revoke(conn: &mut dyn Conn, device_id: &str, now: i64) -> Result<DeviceBody, AppError> {
    let rows = conn.query(
        "SELECT id, user_id, name, revoked_at FROM devices WHERE id = ?",
        params![device_id],
    )?;
    let r = rows.first().ok_or_else(|| AppError::not_found("device"))?;
    if r.opt_int(3)?.is_none() {
        conn.execute(
            "UPDATE devices SET revoked_at = ? WHERE id = ?",
            params![now, device_id],
        )?;
    }
    Ok(DeviceBody {
        id: r.text(0)?,
        user_id: r.text(1)?,
        name: r.text(2)?,
        revoked: true,
    })
}

pub async fn revoke_device(
    State(state): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
) -> Result<Json<DeviceBody>, AppError> {
    require_admin(&caller)?;
    if caller.device_id.as_deref() == Some(device_id.as_str()) {
        // It would be wiped at its next request, mid-work.
        return Err(AppError::conflict(
            "this is the device you are using; revoke it from another one",
        ));
    }
    let now = state.now();
    let body = state
        .db
        .write(move |tx| revoke(tx.conn, &device_id, now))
        .await?;
    admin_did(&caller, "revoke_device", &body.id);
    Ok(Json(body))
}
