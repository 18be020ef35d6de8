//! The signing certificates an administrator registered to each member
//! (`member_certificates`): a ballot signed with a token counts only if
//! its certificate is one of the caster's. Without this, any certificate
//! of the trusted CAs would do, a colleague's token included.

use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{SigningCertificateInfo, MAX_SIGNING_CERTIFICATE_PEM};

use crate::db::Conn;
use crate::{params, AppError};

/// Most certificates registered to one member (renewed tokens, spares).
pub const MAX_PER_MEMBER: usize = 16;

/// Reads the one certificate of `pem`, or says why not.
pub fn parse(pem: &str) -> Result<(Vec<u8>, ecabinet_pades::RootInfo), AppError> {
    if pem.len() > MAX_SIGNING_CERTIFICATE_PEM {
        return Err(AppError::invalid(format!(
            "the certificate is over {} KiB of PEM",
            MAX_SIGNING_CERTIFICATE_PEM / 1024
        )));
    }
    ecabinet_pades::single_certificate(pem).map_err(|e| AppError::invalid(e.to_string()))
}

/// Registers `der` (described by `info`) to `user_id`. Registering the
/// same certificate again changes nothing; a certificate registered to
/// another member is refused, since a token belongs to one person.
pub fn register(
    conn: &mut dyn Conn,
    user_id: &str,
    der: &[u8],
    info: &ecabinet_pades::RootInfo,
    by: &str,
    now: i64,
) -> Result<SigningCertificateInfo, AppError> {
    if conn
        .query("SELECT id FROM users WHERE id = ?", params![user_id])?
        .is_empty()
    {
        return Err(AppError::not_found("user"));
    }
    if info.not_after.saturating_mul(1000) < now {
        return Err(AppError::invalid(
            "the certificate has expired: register the token's current certificate",
        ));
    }
    let holders = conn.query(
        "SELECT user_id, registered_at FROM member_certificates WHERE sha256 = ?",
        params![&info.sha256],
    )?;
    if let Some(r) = holders.first() {
        if r.text(0)? != user_id {
            return Err(AppError::conflict(
                "this certificate is registered to another user; remove it there first",
            ));
        }
        return Ok(describe(info, r.int(1)?));
    }
    let count = conn
        .query(
            "SELECT COUNT(*) FROM member_certificates WHERE user_id = ?",
            params![user_id],
        )?
        .first()
        .map_or(Ok(0), |r| r.int(0))?;
    if count >= MAX_PER_MEMBER as i64 {
        return Err(AppError::invalid(format!(
            "a user has at most {MAX_PER_MEMBER} signing certificates; remove an old one first"
        )));
    }
    conn.execute(
        "INSERT INTO member_certificates (user_id, sha256, der, subject, not_after, registered_at, registered_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            user_id,
            &info.sha256,
            BASE64.encode(der),
            info.name.clone(),
            info.not_after,
            now,
            by
        ],
    )?;
    Ok(describe(info, now))
}

fn describe(info: &ecabinet_pades::RootInfo, registered_at: i64) -> SigningCertificateInfo {
    SigningCertificateInfo {
        sha256: info.sha256.clone(),
        name: info.name.clone(),
        organisation: info.organisation.clone(),
        not_after: info.not_after,
        registered_at,
    }
}

/// Removes a registration; `false` if there was none. Ballots already
/// counted keep their signature and certificate in the audit record.
pub fn remove(conn: &mut dyn Conn, user_id: &str, sha256: &str) -> Result<bool, AppError> {
    let sha256 = sha256.to_ascii_lowercase();
    let found = !conn
        .query(
            "SELECT sha256 FROM member_certificates WHERE user_id = ? AND sha256 = ?",
            params![user_id, &sha256],
        )?
        .is_empty();
    if found {
        conn.execute(
            "DELETE FROM member_certificates WHERE user_id = ? AND sha256 = ?",
            params![user_id, &sha256],
        )?;
    }
    Ok(found)
}

/// The SHA-256 (hex) of each certificate registered to `user_id`.
pub fn of_user(conn: &mut dyn Conn, user_id: &str) -> Result<HashSet<String>, AppError> {
    conn.query(
        "SELECT sha256 FROM member_certificates WHERE user_id = ?",
        params![user_id],
    )?
    .iter()
    .map(|r| r.text(0).map_err(Into::into))
    .collect()
}

/// Every registration, by user, newest first (for the admin directory).
pub fn all(conn: &mut dyn Conn) -> Result<HashMap<String, Vec<SigningCertificateInfo>>, AppError> {
    let mut out: HashMap<String, Vec<SigningCertificateInfo>> = HashMap::new();
    for r in conn
        .query(
            "SELECT user_id, sha256, der, registered_at FROM member_certificates \
             ORDER BY registered_at DESC, sha256",
            params![],
        )?
        .iter()
    {
        let sha256 = r.text(1)?;
        let readable = BASE64
            .decode(r.text(2)?)
            .ok()
            .and_then(|der| ecabinet_pades::TrustStore::from_der(vec![der]).ok())
            .and_then(|store| store.describe().pop());
        // One that no longer reads (an older parser let it in) is listed by
        // its fingerprint, without a name, so the administrator sees it and
        // can remove it; it never fails the directory. It counts for
        // nothing: a ballot's certificate is parsed before its fingerprint
        // is compared, so one with this fingerprint cannot hold.
        let info = match readable {
            Some(info) => describe(&info, r.int(3)?),
            None => SigningCertificateInfo {
                sha256,
                name: None,
                organisation: None,
                not_after: 0,
                registered_at: r.int(3)?,
            },
        };
        out.entry(r.text(0)?).or_default().push(info);
    }
    Ok(out)
}
