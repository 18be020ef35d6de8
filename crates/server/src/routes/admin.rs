//! What the administrator's screens read and do beyond the account routes
//! of `accounts.rs`: the directory of committees, users, memberships and
//! devices; password resets; enrol codes; trusted roots; the members'
//! signing certificates.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use ecabinet_protocol::enrol_code::format_fingerprint;
use ecabinet_protocol::{
    AdminDevice, AdminDirectory, AdminMembership, AdminUser, EnrolCodeRequest, EnrolCodeResponse,
    RegisterSigningCertificateRequest, ResetPasswordRequest, SetTrustedRootsRequest,
    SigningCertificateInfo, TrustedRootsView, WireRole,
};

use crate::access::{admin_did, require_admin};
use crate::auth::{hash_password, Caller};
use crate::db::Conn;
use crate::error::{Json, Path};
use crate::{enrol_codes, member_certificates, params, records, sessions, AppError, AppState};

/// `GET /v1/admin/directory` (admin).
pub async fn directory(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<AdminDirectory>, AppError> {
    require_admin(&caller)?;
    let dir = state.db.read(read_directory).await?;
    Ok(Json(dir))
}

fn read_directory(conn: &mut dyn Conn) -> Result<AdminDirectory, AppError> {
    let committees = records::all_committees(conn)?;
    let mut memberships: HashMap<String, Vec<AdminMembership>> = HashMap::new();
    for r in conn
        .query(
            "SELECT user_id, committee_id, role FROM memberships ORDER BY committee_id",
            params![],
        )?
        .iter()
    {
        let role = r.text(2)?;
        let role = WireRole::parse(&role)
            .ok_or_else(|| AppError::internal(format!("unknown role {role:?} in the database")))?;
        memberships
            .entry(r.text(0)?)
            .or_default()
            .push(AdminMembership {
                committee_id: r.text(1)?,
                role,
            });
    }
    let mut devices: HashMap<String, Vec<AdminDevice>> = HashMap::new();
    for r in conn
        .query(
            "SELECT user_id, id, name, created_at, last_seen_at, revoked_at FROM devices \
             ORDER BY created_at DESC, id",
            params![],
        )?
        .iter()
    {
        devices.entry(r.text(0)?).or_default().push(AdminDevice {
            id: r.text(1)?,
            name: r.text(2)?,
            enrolled_at: r.int(3)?,
            last_seen_at: r.opt_int(4)?,
            revoked: r.opt_int(5)?.is_some(),
        });
    }
    let mut certificates = member_certificates::all(conn)?;
    let users = conn
        .query(
            "SELECT id, username, display_name, is_admin, disabled_at FROM users \
             ORDER BY display_name, username",
            params![],
        )?
        .iter()
        .map(|r| {
            let id = r.text(0)?;
            Ok(AdminUser {
                memberships: memberships.remove(&id).unwrap_or_default(),
                devices: devices.remove(&id).unwrap_or_default(),
                signing_certificates: certificates.remove(&id).unwrap_or_default(),
                id,
                username: r.text(1)?,
                display_name: r.text(2)?,
                is_admin: r.bool(3)?,
                disabled: r.opt_int(4)?.is_some(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(AdminDirectory { committees, users })
}

/// Password resets and enrol codes hand out a way into someone's account:
/// they are done from an administrator's enrolled device, not with a bare
/// password login from anywhere (a phished administrator password alone is
/// not enough).
fn require_enrolled_device(caller: &Caller) -> Result<(), AppError> {
    if caller.device_id.is_some() {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "password resets and enrol codes are done from an administrator's enrolled device",
        ))
    }
}

/// `POST /v1/admin/users/{user_id}/password` (admin): sets the password and
/// ends every session of the user. Their annotations stay readable: the
/// first of their devices to sign in again re-wraps the annotation key.
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Json(req): Json<ResetPasswordRequest>,
) -> Result<StatusCode, AppError> {
    require_admin(&caller)?;
    require_enrolled_device(&caller)?;
    if req.password.chars().count() < 8 {
        return Err(AppError::invalid(
            "the password must have at least 8 characters",
        ));
    }
    let pw = req.password;
    let phc = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| AppError::internal(e.to_string()))??;
    let now = state.now();
    let subject = user_id.clone();
    state
        .db
        .write(move |tx| {
            let found = tx
                .conn
                .query("SELECT id FROM users WHERE id = ?", params![&user_id])?;
            if found.is_empty() {
                return Err(AppError::not_found("user"));
            }
            sessions::reset_password(tx.conn, &user_id, &phc, now)
        })
        .await?;
    admin_did(&caller, "reset_password", &subject);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/users/{user_id}/enrol-codes` (admin): a one-time code
/// for the user's next device. Older unexpired codes stay valid.
pub async fn issue_enrol_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Json(req): Json<EnrolCodeRequest>,
) -> Result<(StatusCode, Json<EnrolCodeResponse>), AppError> {
    require_admin(&caller)?;
    require_enrolled_device(&caller)?;
    let minutes = req
        .valid_minutes
        .unwrap_or(enrol_codes::DEFAULT_VALID_MINUTES);
    let key = state.signer.public_key().to_vec();
    let now = state.now();
    let issued = state
        .db
        .write(move |tx| {
            let rows = tx
                .conn
                .query("SELECT username FROM users WHERE id = ?", params![&user_id])?;
            let username = rows
                .first()
                .ok_or_else(|| AppError::not_found("user"))?
                .text(0)?;
            enrol_codes::issue(tx.conn, &username, &key, minutes, now)
        })
        .await?;
    admin_did(&caller, "issue_enrol_code", &issued.user_id);
    Ok((
        StatusCode::CREATED,
        Json(EnrolCodeResponse {
            code: issued.code.display(),
            fingerprint: format_fingerprint(&issued.code.fingerprint),
            expires_at: issued.expires_at,
        }),
    ))
}

/// `GET /v1/admin/trusted-roots` (admin): the roots trusted for signatures
/// embedded in documents.
pub async fn trusted_roots(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TrustedRootsView>, AppError> {
    require_admin(&caller)?;
    let current = state
        .db
        .read(|conn| crate::trusted_roots::current(conn))
        .await?;
    Ok(Json(crate::trusted_roots::view(current.as_ref())))
}

/// `PUT /v1/admin/trusted-roots` (admin, from an enrolled device): replaces
/// them. A root decides whose signatures members see as trusted, so this
/// is done like a password reset, from an administrator's device.
pub async fn set_trusted_roots(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<SetTrustedRootsRequest>,
) -> Result<Json<TrustedRootsView>, AppError> {
    require_admin(&caller)?;
    require_enrolled_device(&caller)?;
    crate::trusted_roots::parse(&req.pem)?;
    let now = state.now();
    let st = state.clone();
    let signed = state
        .db
        .write(move |tx| crate::trusted_roots::set(tx.conn, &st.signer, &req.pem, now))
        .await?;
    let view = crate::trusted_roots::view(Some(&signed));
    // Devices see the new date on their next feed page and fetch the list.
    // Which roots, by fingerprint: the log says what was trusted from when.
    let fingerprints: Vec<&str> = view.roots.iter().map(|r| r.sha256.as_str()).collect();
    admin_did(
        &caller,
        "set_trusted_roots",
        &format!(
            "{} roots (SHA-256: {})",
            view.roots.len(),
            fingerprints.join(", ")
        ),
    );
    Ok(Json(view))
}

/// `POST /v1/admin/users/{user_id}/signing-certificates` (admin, from an
/// enrolled device): registers a certificate of the user's signing token.
/// It decides whose token signs the user's ballots, so it is done like a
/// password reset.
pub async fn register_signing_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Json(req): Json<RegisterSigningCertificateRequest>,
) -> Result<(StatusCode, Json<SigningCertificateInfo>), AppError> {
    require_admin(&caller)?;
    require_enrolled_device(&caller)?;
    let (der, info) = member_certificates::parse(&req.pem)?;
    let now = state.now();
    let by = caller.user_id.clone();
    let subject = user_id.clone();
    let registered = state
        .db
        .write(move |tx| member_certificates::register(tx.conn, &user_id, &der, &info, &by, now))
        .await?;
    admin_did(
        &caller,
        "register_signing_certificate",
        &format!("{subject} (SHA-256: {})", registered.sha256),
    );
    Ok((StatusCode::CREATED, Json(registered)))
}

/// `DELETE /v1/admin/users/{user_id}/signing-certificates/{sha256}`
/// (admin): the token is lost or replaced; ballots it signs from now on
/// are refused. Ballots already counted keep their signature.
pub async fn remove_signing_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path((user_id, sha256)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    require_admin(&caller)?;
    // Removing one stops the member's signed ballots: done like adding.
    require_enrolled_device(&caller)?;
    let sha256 = sha256.to_ascii_lowercase();
    let subject = format!("{user_id} (SHA-256: {sha256})");
    let removed = state
        .db
        .write(move |tx| member_certificates::remove(tx.conn, &user_id, &sha256))
        .await?;
    if !removed {
        return Err(AppError::not_found("signing certificate"));
    }
    admin_did(&caller, "remove_signing_certificate", &subject);
    Ok(StatusCode::NO_CONTENT)
}
