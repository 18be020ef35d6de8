//! The root certificates trusted for signatures embedded in documents
//! (issue 19): set by an administrator (`PUT /v1/admin/trusted-roots`, or
//! `ecabinet-server trusted-roots --set FILE`), signed with the server's
//! key, and fetched by every device (`GET /v1/trusted-roots`) when a feed
//! page says the list changed (`ChangesPage::trusted_roots_at`).

use ecabinet_pades::TrustStore;
use ecabinet_protocol::{
    SignedTrustedRoots, TrustedRootInfo, TrustedRootsView, MAX_TRUSTED_ROOTS_PEM,
};

use crate::db::Conn;
use crate::signer::Signer;
use crate::{params, AppError};

/// The current list, if one was ever set.
pub fn current(conn: &mut dyn Conn) -> Result<Option<SignedTrustedRoots>, AppError> {
    let rows = conn.query(
        "SELECT pem, updated_at, signature FROM trusted_roots WHERE id = 1",
        &[],
    )?;
    rows.first()
        .map(|r| {
            Ok(SignedTrustedRoots {
                pem: r.text(0)?,
                updated_at: r.int(1)?,
                signature: r.text(2)?,
            })
        })
        .transpose()
}

/// When the list was last set (for every feed page).
pub fn updated_at(conn: &mut dyn Conn) -> Result<Option<i64>, AppError> {
    let rows = conn.query("SELECT updated_at FROM trusted_roots WHERE id = 1", &[])?;
    rows.first()
        .map(|r| r.int(0))
        .transpose()
        .map_err(Into::into)
}

/// Checks `pem` (every block a certificate; blank for none) and returns
/// the trust store it makes, or a clear refusal.
pub fn parse(pem: &str) -> Result<TrustStore, AppError> {
    if pem.len() > MAX_TRUSTED_ROOTS_PEM {
        return Err(AppError::invalid(format!(
            "the trusted roots are over {} KiB of PEM",
            MAX_TRUSTED_ROOTS_PEM / 1024
        )));
    }
    TrustStore::from_pem(pem).map_err(|e| AppError::invalid(e.to_string()))
}

/// Replaces the list with `pem`, signed by `signer`, dated after the one it
/// replaces. The stored text is the roots re-encoded, one block each.
pub fn set(
    conn: &mut dyn Conn,
    signer: &Signer,
    pem: &str,
    now: i64,
) -> Result<SignedTrustedRoots, AppError> {
    let store = parse(pem)?;
    let pem = store.to_pem();
    let previous = updated_at(conn)?;
    let at = previous.map_or(now, |p| now.max(p + 1));
    let signed = signer.sign_trusted_roots(&pem, at);
    conn.execute("DELETE FROM trusted_roots WHERE id = 1", &[])?;
    conn.execute(
        "INSERT INTO trusted_roots (id, pem, updated_at, signature) VALUES (1, ?, ?, ?)",
        params![&signed.pem, signed.updated_at, &signed.signature],
    )?;
    Ok(signed)
}

/// What an administrator sees of a list.
pub fn view(signed: Option<&SignedTrustedRoots>) -> TrustedRootsView {
    let store = signed.and_then(|s| TrustStore::from_pem(&s.pem).ok());
    let revocation_lists = store.as_ref().map_or(0, |s| {
        u32::try_from(s.revocation_lists()).unwrap_or(u32::MAX)
    });
    let roots = store
        .map(|store| {
            store
                .describe()
                .into_iter()
                .map(|r| TrustedRootInfo {
                    name: r.name,
                    organisation: r.organisation,
                    not_after: r.not_after,
                    sha256: r.sha256,
                })
                .collect()
        })
        .unwrap_or_default();
    TrustedRootsView {
        roots,
        revocation_lists,
        updated_at: signed.map(|s| s.updated_at),
    }
}
