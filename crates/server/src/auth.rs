//! Passwords (Argon2id), bearer tokens (random, stored as SHA-256), and the
//! [`Caller`] extractor that authenticates every request and enforces device
//! revocation and disabled accounts (sessions: [`crate::sessions`]).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ecabinet_protocol::{ErrorCode, DEVICE_ID_HEADER};
use ring::rand::{SecureRandom, SystemRandom};

use crate::{params, AppError, AppState};

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut buf = [0u8; N];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| AppError::internal("system random failed"))?;
    Ok(buf)
}

/// An Argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AppError::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// An Argon2id PHC string of a random password, made with the same
/// parameters as every user's hash: a login for an unknown username is
/// checked against it, so it costs what a wrong password costs.
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let password = URL_SAFE_NO_PAD.encode(random_bytes::<16>().ok()?);
            hash_password(&password).ok()
        })
        .as_deref()
}

/// Checks a login's password against the user's hash, or against a dummy
/// hash when there is no such user (`phc` = `None`), so both cost one
/// Argon2 evaluation. Blocking: call it off the async workers.
pub fn verify_login(password: &str, phc: Option<&str>) -> bool {
    match phc {
        Some(phc) => verify_password(password, phc),
        None => {
            if let Some(dummy) = dummy_hash() {
                verify_password(password, dummy);
            }
            false
        }
    }
}

/// A new opaque token (returned to the client once) and its stored hash.
pub fn new_token() -> Result<(String, String), AppError> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = sha256_hex(token.as_bytes());
    Ok((token, hash))
}

/// The answer to a disabled user who gave the right password or a valid
/// device proof.
pub fn disabled_error() -> AppError {
    AppError::new(
        ErrorCode::AccountDisabled,
        "this account has been disabled by an administrator; contact your administrator",
    )
}

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub is_admin: bool,
    /// The enrolled device the session is bound to, if any.
    pub device_id: Option<String>,
    pub token_hash: String,
    /// The session the token belongs to (`None` for tokens older than sessions).
    pub session_id: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| AppError::unauthenticated("missing bearer token"))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| AppError::unauthenticated("expected `Authorization: Bearer <token>`"))?;
        let token_hash = sha256_hex(token.trim().as_bytes());
        let claimed_device = parts
            .headers
            .get(DEVICE_ID_HEADER)
            .map(|v| v.to_str().map(str::to_owned))
            .transpose()
            .map_err(|_| AppError::new(ErrorCode::BadRequest, "bad device id header"))?;
        let now = state.now();
        state
            .db
            .read(move |conn| {
                let rows = conn.query(
                    "SELECT t.user_id, u.is_admin, t.device_id, t.expires_at, u.disabled_at, t.session_id FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?",
                    params![&token_hash],
                )?;
                let row = rows
                    .first()
                    .ok_or_else(|| AppError::unauthenticated("unknown or expired token"))?;
                let user_id = row.text(0)?;
                let bound = row.opt_text(2)?;
                if row.opt_int(4)?.is_some() {
                    return Err(disabled_error());
                }
                if row.int(3)? <= now {
                    return Err(AppError::new(
                        ErrorCode::TokenExpired,
                        "the access token has expired; renew it (POST /v1/session/refresh)",
                    ));
                }
                if let (Some(b), Some(c)) = (&bound, &claimed_device) {
                    if b != c {
                        return Err(AppError::forbidden("the token belongs to another device"));
                    }
                }
                let device_id = bound.or(claimed_device);
                if let Some(d) = &device_id {
                    let dev = conn.query(
                        "SELECT revoked_at FROM devices WHERE id = ? AND user_id = ?",
                        params![d, &user_id],
                    )?;
                    let dev = dev
                        .first()
                        .ok_or_else(|| AppError::forbidden("unknown device"))?;
                    if dev.opt_int(0)?.is_some() {
                        return Err(AppError::new(
                            ErrorCode::DeviceRevoked,
                            "this device has been revoked; its local data must be erased",
                        ));
                    }
                }
                Ok(Caller {
                    user_id,
                    is_admin: row.bool(1)?,
                    device_id,
                    token_hash,
                    session_id: row.opt_text(5)?,
                })
            })
            .await
    }
}
