//! The server side of enrol codes (see `ecabinet_protocol::enrol_code`):
//! issuing one for a user, and using one up when that user enrols a device.
//!
//! Only SHA-256 of a code's secret is stored (`enrol_codes.secret_hash`), so a
//! copy of the database cannot enrol anything. A code works once, for the
//! user it was issued to, before it expires; using it up happens in the same
//! transaction as the device's enrolment, so two enrolments racing with one
//! code cannot both succeed. Issuing a new code leaves older unexpired ones
//! valid.

use ecabinet_protocol::enrol_code::{self, EnrolCode};
use ecabinet_protocol::ErrorCode;
use ring::rand::{SecureRandom, SystemRandom};

use crate::auth::sha256_hex;
use crate::db::Conn;
use crate::{params, AppError};

/// Minutes a code stays valid unless the administrator says otherwise.
pub const DEFAULT_VALID_MINUTES: u32 = 15;
/// The longest validity an administrator may ask for (one day).
pub const MAX_VALID_MINUTES: u32 = 1440;

/// A freshly issued code, to be shown to the administrator once.
#[derive(Debug)]
pub struct IssuedCode {
    pub code: EnrolCode,
    pub user_id: String,
    pub expires_at: i64,
}

/// Issues a code for `username`, valid for `valid_minutes` from `now`;
/// `signing_key` is the server's raw manifest public key, whose fingerprint
/// the code carries.
pub fn issue(
    conn: &mut dyn Conn,
    username: &str,
    signing_key: &[u8],
    valid_minutes: u32,
    now: i64,
) -> Result<IssuedCode, AppError> {
    if !(1..=MAX_VALID_MINUTES).contains(&valid_minutes) {
        return Err(AppError::invalid(format!(
            "an enrol code is valid for 1 to {MAX_VALID_MINUTES} minutes, not {valid_minutes}"
        )));
    }
    let username = username.trim();
    let rows = conn.query("SELECT id FROM users WHERE username = ?", params![username])?;
    let user_id = match rows.first() {
        Some(row) => row.text(0)?,
        None => {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!(
                    "there is no user {username:?}: add them first with `ecabinet-server user add`"
                ),
            ))
        }
    };
    let mut secret = [0u8; enrol_code::PART_BYTES];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| AppError::internal("system random failed"))?;
    let expires_at = now + i64::from(valid_minutes) * 60_000;
    conn.execute(
        "INSERT INTO enrol_codes (secret_hash, user_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, NULL)",
        params![sha256_hex(&secret), &user_id, now, expires_at],
    )?;
    Ok(IssuedCode {
        code: EnrolCode {
            secret,
            fingerprint: enrol_code::fingerprint(signing_key),
        },
        user_id,
        expires_at,
    })
}

/// Uses up the code whose secret half is `secret_text` for `user_id` at
/// `now`. Call inside the transaction that enrols the device.
pub fn consume(
    conn: &mut dyn Conn,
    user_id: &str,
    secret_text: &str,
    now: i64,
) -> Result<(), AppError> {
    // Wrong, used, expired and another user's codes get one answer, so the
    // answer tells a guesser nothing.
    let refused = || {
        AppError::new(
            ErrorCode::InvalidEnrolCode,
            "the enrol code is wrong, used or expired: ask your administrator for a new one",
        )
    };
    let secret = enrol_code::parse_secret(secret_text).map_err(|_| refused())?;
    let used = conn.execute(
        "UPDATE enrol_codes SET used_at = ? \
         WHERE secret_hash = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?",
        params![now, sha256_hex(&secret), user_id, now],
    )?;
    if used == 1 {
        Ok(())
    } else {
        Err(refused())
    }
}
