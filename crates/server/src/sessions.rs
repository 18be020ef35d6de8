//! Sessions and their short-lived access tokens.
//!
//! A password login opens a *session* (lifetime [`crate::Config::session_ttl_ms`])
//! and hands out an access token that lives [`crate::Config::token_ttl_ms`].
//! Once the session is bound to an enrolled device (at enrolment, or by a
//! login that carries the device's proof), that device renews its token with
//! `POST /v1/session/refresh`, signed with its Ed25519 key — no password, and
//! nothing a thief of an access token can use. A session ends at logout,
//! when its user is disabled, or at its lifetime; its tokens go with it, and
//! the device must sign in again with the password (keeping its data).
//!
//! Dead rows are swept on every login and refresh ([`purge_expired`]): tokens
//! past their expiry, and sessions expired or ended a day ago, with their tokens.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{device_proof_message, DeviceProof, ErrorCode};

use crate::auth::{disabled_error, new_token};
use crate::db::Conn;
use crate::records::new_id;
use crate::{params, AppError};

/// How far a device's signing time may be from the server's clock.
pub const PROOF_WINDOW_MS: i64 = 10 * 60 * 1_000;

/// Deletes expired tokens, and sessions past their lifetime or ended more
/// than [`KEEP_ENDED_MS`] ago, with their tokens; returns the number of
/// tokens removed. (An ended session is kept a while so that its device is
/// told why it ended, e.g. `account_disabled`.)
pub fn purge_expired(conn: &mut dyn Conn, now: i64) -> Result<u64, AppError> {
    let dead = now - KEEP_ENDED_MS;
    let dead_sessions = "SELECT id FROM sessions WHERE expires_at <= ? OR ended_at <= ?";
    let mut n = conn.execute("DELETE FROM tokens WHERE expires_at <= ?", params![now])?;
    n += conn.execute(
        &format!("DELETE FROM tokens WHERE session_id IN ({dead_sessions})"),
        params![now, dead],
    )?;
    conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ? OR ended_at <= ?",
        params![now, dead],
    )?;
    Ok(n)
}

/// How long an ended session is kept before [`purge_expired`] drops it.
pub const KEEP_ENDED_MS: i64 = 24 * 3600 * 1_000;

/// A new session of `user_id` (bound to `device_id` when given).
pub fn open_session(
    conn: &mut dyn Conn,
    user_id: &str,
    device_id: Option<&str>,
    now: i64,
    session_ttl_ms: i64,
) -> Result<String, AppError> {
    let id = new_id();
    conn.execute(
        "INSERT INTO sessions (id, user_id, device_id, created_at, expires_at, last_refresh_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
        // No refresh yet: a session id cannot have been signed before it existed.
        params![&id, user_id, device_id, now, now + session_ttl_ms, 0],
    )?;
    Ok(id)
}

/// A new access token of the session; returns (token, expires_at).
pub fn issue_token(
    conn: &mut dyn Conn,
    session_id: &str,
    user_id: &str,
    device_id: Option<&str>,
    now: i64,
    token_ttl_ms: i64,
) -> Result<(String, i64), AppError> {
    let (token, hash) = new_token()?;
    let expires_at = now + token_ttl_ms;
    conn.execute(
        "INSERT INTO tokens (hash, user_id, device_id, expires_at, created_at, session_id) VALUES (?, ?, ?, ?, ?, ?)",
        params![hash, user_id, device_id, expires_at, now, session_id],
    )?;
    Ok((token, expires_at))
}

/// Ends a session and deletes its tokens.
pub fn end_session(conn: &mut dyn Conn, session_id: &str, now: i64) -> Result<(), AppError> {
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
        params![now, session_id],
    )?;
    conn.execute(
        "DELETE FROM tokens WHERE session_id = ?",
        params![session_id],
    )?;
    Ok(())
}

/// Ends every session of `user_id` but the caller's own (after a password
/// change: the other devices sign in again with the new password).
pub fn end_other_sessions(
    conn: &mut dyn Conn,
    user_id: &str,
    keep_session: Option<&str>,
    keep_token_hash: &str,
    now: i64,
) -> Result<(), AppError> {
    let keep = keep_session.unwrap_or("");
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND id <> ? AND ended_at IS NULL",
        params![now, user_id, keep],
    )?;
    conn.execute(
        "DELETE FROM tokens WHERE user_id = ? AND hash <> ? AND (session_id IS NULL OR session_id <> ?)",
        params![user_id, keep_token_hash, keep],
    )?;
    Ok(())
}

/// Disables (or enables again) a user. Disabling ends every session and
/// deletes every token of the user at once.
pub fn set_disabled(
    conn: &mut dyn Conn,
    user_id: &str,
    disabled: bool,
    now: i64,
) -> Result<(), AppError> {
    let changed = if disabled {
        conn.execute(
            "UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL",
            params![now, user_id],
        )?
    } else {
        conn.execute(
            "UPDATE users SET disabled_at = NULL WHERE id = ?",
            params![user_id],
        )?
    };
    if changed == 0
        && conn
            .query("SELECT id FROM users WHERE id = ?", params![user_id])?
            .is_empty()
    {
        return Err(AppError::not_found("user"));
    }
    if disabled {
        conn.execute(
            "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
            params![now, user_id],
        )?;
        conn.execute("DELETE FROM tokens WHERE user_id = ?", params![user_id])?;
        // Codes handed out before no longer enrol a device for them.
        conn.execute(
            "DELETE FROM enrol_codes WHERE user_id = ? AND used_at IS NULL",
            params![user_id],
        )?;
    }
    Ok(())
}

/// An administrator's password reset: the new hash, and every session of
/// the user ends (their devices sign in again with the new password and keep
/// their data). The annotation key stays wrapped under the old password until
/// one of the member's devices, which still holds the key, signs in again and
/// re-wraps it (`ecabinet_sync::sign_in_again`).
pub fn reset_password(
    conn: &mut dyn Conn,
    user_id: &str,
    phc: &str,
    now: i64,
) -> Result<(), AppError> {
    let changed = conn.execute(
        "UPDATE users SET password_hash = ? WHERE id = ?",
        params![phc, user_id],
    )?;
    if changed == 0 {
        return Err(AppError::not_found("user"));
    }
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
        params![now, user_id],
    )?;
    conn.execute("DELETE FROM tokens WHERE user_id = ?", params![user_id])?;
    // Codes handed out before no longer enrol a device for them.
    conn.execute(
        "DELETE FROM enrol_codes WHERE user_id = ? AND used_at IS NULL",
        params![user_id],
    )?;
    Ok(())
}

/// Checks that `proof` was signed by `user_id`'s device for `purpose` and
/// `subject`, within [`PROOF_WINDOW_MS`] of `now`. A revoked device is told
/// so (`device_revoked`: its data must be erased).
pub fn verify_device_proof(
    conn: &mut dyn Conn,
    user_id: &str,
    purpose: &str,
    subject: &str,
    proof: &DeviceProof,
    now: i64,
) -> Result<(), AppError> {
    let rows = conn.query(
        "SELECT public_key, revoked_at FROM devices WHERE id = ? AND user_id = ?",
        params![&proof.device_id, user_id],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| AppError::forbidden("unknown device for this account"))?;
    if row.opt_int(1)?.is_some() {
        return Err(AppError::new(
            ErrorCode::DeviceRevoked,
            "this device has been revoked; its local data must be erased",
        ));
    }
    // `abs_diff`: a hostile `signed_at` (i64::MIN) must not overflow.
    if proof.signed_at.abs_diff(now) > PROOF_WINDOW_MS.unsigned_abs() {
        return Err(AppError::invalid(
            "this device's clock is more than 10 minutes off the server's; correct the date and time, then try again",
        ));
    }
    let key = BASE64
        .decode(row.text(0)?)
        .map_err(|_| AppError::internal("stored device key is not base64"))?;
    let signature = BASE64
        .decode(proof.signature.trim())
        .map_err(|_| AppError::unauthenticated("the device signature does not verify"))?;
    let message = device_proof_message(purpose, subject, &proof.device_id, proof.signed_at);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &key)
        .verify(&message, &signature)
        .map_err(|_| AppError::unauthenticated("the device signature does not verify"))
}

/// What a refresh needs to know about its session.
pub struct RefreshedSession {
    pub user_id: String,
    pub is_admin: bool,
}

/// Checks a refresh request against its session and moves the session's
/// replay mark to the proof's time.
pub fn accept_refresh(
    conn: &mut dyn Conn,
    session_id: &str,
    proof: &DeviceProof,
    now: i64,
) -> Result<RefreshedSession, AppError> {
    let ended =
        || AppError::unauthenticated("the session has ended; sign in again with your password");
    let rows = conn.query(
        "SELECT s.user_id, s.device_id, s.expires_at, s.ended_at, s.last_refresh_at, u.disabled_at, u.is_admin FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?",
        params![session_id],
    )?;
    let row = rows.first().ok_or_else(ended)?;
    let user_id = row.text(0)?;
    if row.opt_int(5)?.is_some() {
        return Err(disabled_error());
    }
    let bound = row.opt_text(1)?.ok_or_else(ended)?;
    if row.opt_int(3)?.is_some() || row.int(2)? <= now {
        return Err(ended());
    }
    if bound != proof.device_id {
        return Err(AppError::forbidden("the session belongs to another device"));
    }
    verify_device_proof(conn, &user_id, "refresh", session_id, proof, now)?;
    if proof.signed_at <= row.int(4)? {
        return Err(AppError::unauthenticated(
            "this refresh was already used; sign a new one",
        ));
    }
    conn.execute(
        "UPDATE sessions SET last_refresh_at = ? WHERE id = ?",
        params![proof.signed_at, session_id],
    )?;
    Ok(RefreshedSession {
        user_id,
        is_admin: row.bool(6)?,
    })
}
