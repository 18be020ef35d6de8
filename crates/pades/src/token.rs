//! A member's signing key on a PKCS#11 token (the USB token a Vietnamese
//! CA issues; SoftHSM2 in tests): opened through the token's own module,
//! unlocked with the member's PIN, asked for one signature.
//!
//! The PIN only ever comes from an environment variable or a prompt,
//! never from the command line, and is never printed; the token counts
//! wrong PINs and locks itself, so nothing is retried here.

use std::path::Path;

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;

/// Why the token could not sign; each says what to do, and none carries
/// the PIN.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(String);

type Result<T> = std::result::Result<T, TokenError>;

macro_rules! bail {
    ($($arg:tt)*) => { return Err(TokenError(format!($($arg)*))) };
}

/// An unlocked token with the key that signs and its certificates.
pub struct Token {
    session: Session,
    key: ObjectHandle,
    key_type: KeyType,
    /// The key's certificate (DER).
    pub certificate: Vec<u8>,
    /// The token's other certificates (its CA chain, if it carries it).
    pub others: Vec<Vec<u8>>,
    // Dropped last: the module stays loaded while the session is used.
    _context: Pkcs11,
}

fn explain(what: &str, e: cryptoki::error::Error) -> TokenError {
    use cryptoki::error::{Error, RvError};
    match e {
        Error::Pkcs11(RvError::PinIncorrect, _) => TokenError(
            "the token refused the PIN (it counts wrong PINs and locks itself after a few)".into(),
        ),
        Error::Pkcs11(RvError::PinLocked, _) => {
            TokenError("the token is locked: too many wrong PINs".into())
        }
        Error::Pkcs11(RvError::PinExpired, _) => {
            TokenError("the token's PIN has expired: change it with the CA's tool".into())
        }
        Error::Pkcs11(RvError::TokenNotPresent | RvError::DeviceRemoved, _) => {
            TokenError("the token is not plugged in".into())
        }
        other => TokenError(format!("{what}: {other}")),
    }
}

/// Where a token's PKCS#11 module may be loaded from when the path comes
/// from a screen rather than an operator's command line: the system's
/// library folders, where a CA's installer puts its driver.
pub const MODULE_DIRS: &[&str] = &["/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib", "/opt"];

/// Checks a token module path chosen in the app before anything loads it.
/// Loading a module runs its code inside the app, so a path a compromised
/// page (or a careless click) names must not reach a library dropped in a
/// writable folder: the module must be a regular `.so` file that, with the
/// path resolved, lies under one of [`MODULE_DIRS`], and neither it nor a
/// folder above it may be writable by others (by its mode bits or by a
/// POSIX access list). Returns the resolved path.
pub fn check_module_path(module: &Path) -> Result<std::path::PathBuf> {
    // `Path::starts_with` compares whole components: /usr/libx is not /usr/lib.
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if !module.is_absolute() {
        bail!("the token's module must be given by its full path (e.g. /usr/lib/...)");
    }
    let resolved = module.canonicalize().map_err(|_| {
        TokenError(format!(
            "no PKCS#11 module at {} (the token's driver, from its CA)",
            module.display()
        ))
    })?;
    let name = resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !(name.ends_with(".so") || name.contains(".so.")) || !resolved.is_file() {
        bail!(
            "{} is not a PKCS#11 module (a .so library file)",
            module.display()
        );
    }
    if !MODULE_DIRS.iter().any(|d| resolved.starts_with(d)) {
        bail!(
            "the token's module must be installed in the system's library folders ({}), not at {}",
            MODULE_DIRS.join(", "),
            resolved.display()
        );
    }
    for path in resolved.ancestors() {
        let meta =
            std::fs::metadata(path).map_err(|e| TokenError(format!("{}: {e}", path.display())))?;
        let mode = meta.permissions().mode();
        // Only root (the package manager) may change what is loaded: not
        // any user, not a group other than root's, not the file's owner
        // unless that is root.
        let changeable_by = if mode & 0o002 != 0 {
            Some("any user")
        } else if mode & 0o020 != 0 && meta.gid() != 0 {
            Some("a group of users")
        } else if meta.uid() != 0 {
            Some("a user other than root")
        } else if mode & 0o020 != 0 && acl_lets_others_write(path)? {
            // With an access list the group bits are its mask: root's
            // group may write, but so may the users and groups it names.
            Some("users or groups named in its access list (POSIX ACL)")
        } else {
            None
        };
        if let Some(who) = changeable_by {
            bail!(
                "{} can be changed by {who}: a token module there is not loaded",
                path.display()
            );
        }
    }
    Ok(resolved)
}

/// The tags of a POSIX access list's entries for a named user and a named
/// group, and the write permission, as Linux stores them in the
/// `system.posix_acl_access` attribute: a 4-byte version, then 8-byte
/// entries (tag u16, permissions u16, id u32), little-endian.
const ACL_USER: u16 = 0x02;
const ACL_GROUP: u16 = 0x08;
const ACL_WRITE: u16 = 0x02;

/// Whether `path`'s POSIX access list lets a named user or group other
/// than root write to it. A file system without access lists, or a path
/// without one, has none; a list that cannot be read counts as letting
/// others write.
fn acl_lets_others_write(path: &Path) -> Result<bool> {
    let mut buf = vec![0u8; 4096];
    let len = match rustix::fs::getxattr(path, "system.posix_acl_access", &mut buf[..]) {
        Ok(len) => len,
        Err(rustix::io::Errno::NODATA | rustix::io::Errno::NOTSUP) => return Ok(false),
        Err(e) => {
            return Err(TokenError(format!(
                "{}: its access list cannot be read ({e}): a token module there is not loaded",
                path.display()
            )))
        }
    };
    let Some(entries) = buf.get(4..len) else {
        return Ok(true);
    };
    if entries.len() % 8 != 0 {
        return Ok(true);
    }
    Ok(entries.chunks_exact(8).any(|e| {
        let tag = u16::from_le_bytes([e[0], e[1]]);
        let perm = u16::from_le_bytes([e[2], e[3]]);
        let id = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
        (tag == ACL_USER || tag == ACL_GROUP) && perm & ACL_WRITE != 0 && id != 0
    }))
}

impl Token {
    /// Loads `module`, finds the token, logs in with `pin`, and picks the
    /// private key (the one labelled `key_label`, or the only one) and the
    /// certificate with the same id.
    pub fn open(module: &Path, pin: &str, key_label: Option<&str>) -> Result<Token> {
        if !module.is_file() {
            bail!(
                "no PKCS#11 module at {} (the token's driver, from its CA)",
                module.display()
            );
        }
        let context = Pkcs11::new(module).map_err(|e| explain("loading the token's module", e))?;
        context
            .initialize(CInitializeArgs::OsThreads)
            .map_err(|e| explain("starting the token's module", e))?;
        // Tokens that were never set up (SoftHSM always offers a blank
        // one) cannot hold a key.
        let slots: Vec<_> = context
            .get_slots_with_token()
            .map_err(|e| explain("looking for the token", e))?
            .into_iter()
            .filter(|s| {
                context
                    .get_token_info(*s)
                    .is_ok_and(|t| t.token_initialized())
            })
            .collect();
        let slot = match slots.as_slice() {
            [] => bail!("the token is not plugged in (its module sees no token)"),
            [one] => *one,
            _ => bail!("more than one token is plugged in: leave only the one to sign with"),
        };
        let session = context
            .open_ro_session(slot)
            .map_err(|e| explain("opening the token", e))?;
        session
            .login(UserType::User, Some(&AuthPin::new(pin.to_owned())))
            .map_err(|e| explain("unlocking the token", e))?;

        let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        if let Some(label) = key_label {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        let keys = session
            .find_objects(&template)
            .map_err(|e| explain("listing the token's keys", e))?;
        let key = match keys.as_slice() {
            [] => bail!(
                "the token holds no private key{}",
                key_label
                    .map(|l| format!(" labelled {l:?}"))
                    .unwrap_or_default()
            ),
            [one] => *one,
            _ => bail!("the token holds several keys: name the one to sign with (--key-label)"),
        };
        let attrs = session
            .get_attributes(key, &[AttributeType::Id, AttributeType::KeyType])
            .map_err(|e| explain("reading the key", e))?;
        let (mut id, mut key_type) = (None, None);
        for a in attrs {
            match a {
                Attribute::Id(v) => id = Some(v),
                Attribute::KeyType(t) => key_type = Some(t),
                _ => {}
            }
        }
        let Some(id) = id else {
            bail!("the key has no id to find its certificate by")
        };
        let Some(key_type) = key_type else {
            bail!("the token does not say the key's type")
        };
        if key_type != KeyType::RSA && key_type != KeyType::EC {
            bail!("the key is neither RSA nor EC");
        }

        let mut certificate = None;
        let mut others = Vec::new();
        for cert in session
            .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])
            .map_err(|e| explain("listing the token's certificates", e))?
        {
            let attrs = session
                .get_attributes(cert, &[AttributeType::Id, AttributeType::Value])
                .map_err(|e| explain("reading a certificate", e))?;
            let (mut cert_id, mut value) = (None, None);
            for a in attrs {
                match a {
                    Attribute::Id(v) => cert_id = Some(v),
                    Attribute::Value(v) => value = Some(v),
                    _ => {}
                }
            }
            let Some(value) = value else { continue };
            if cert_id.as_deref() == Some(id.as_slice()) && certificate.is_none() {
                certificate = Some(value);
            } else {
                others.push(value);
            }
        }
        let Some(certificate) = certificate else {
            bail!("the token holds no certificate for its key")
        };
        Ok(Token {
            session,
            key,
            key_type,
            certificate,
            others,
            _context: context,
        })
    }

    /// The key's SHA-256 signature over `data`: PKCS#1 v1.5 for RSA, DER
    /// ECDSA for EC (the token gives r‖s over the digest we compute).
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>> {
        if self.key_type == KeyType::RSA {
            return self
                .session
                .sign(&Mechanism::Sha256RsaPkcs, self.key, data)
                .map_err(|e| explain("signing with the token", e));
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, data);
        let raw = self
            .session
            .sign(&Mechanism::Ecdsa, self.key, digest.as_ref())
            .map_err(|e| explain("signing with the token", e))?;
        if raw.is_empty() || !raw.len().is_multiple_of(2) {
            bail!("the token gave an ECDSA signature of odd length");
        }
        let (r, s) = raw.split_at(raw.len() / 2);
        Ok(crate::sign::seq(&[
            &crate::sign::positive_integer(r),
            &crate::sign::positive_integer(s),
        ]))
    }
}

/// `pdf` signed with the token's key (PAdES, an incremental update), at
/// `now` (Unix seconds), checked before it is handed back: its new
/// signature must be intact and cover the whole file.
pub fn sign_document(
    token: &Token,
    pdf: Vec<u8>,
    reason: Option<String>,
    now: i64,
) -> Result<Vec<u8>> {
    use crate::sign::{prepare, signed_attributes, signed_data, SignRequest};
    let fail = |e: crate::sign::SignError| TokenError(e.to_string());
    let before = crate::verify_bytes(&pdf, &crate::TrustStore::default(), now);
    let prepared = prepare(
        pdf,
        &SignRequest {
            name: crate::subject_name(&token.certificate),
            reason,
            location: None,
            signed_at: now,
        },
    )
    .map_err(fail)?;
    let attrs = signed_attributes(&prepared.digest(), &token.certificate).map_err(fail)?;
    let signature = token.sign(&attrs)?;
    let cms = signed_data(&attrs, &signature, &token.certificate, &token.others).map_err(fail)?;
    let signed = prepared.finish(&cms).map_err(fail)?;
    // Exactly one signature more, intact over the whole file, and the ones
    // before untouched.
    let reports = crate::verify_bytes(&signed, &crate::TrustStore::default(), now);
    let kept = reports.len() == before.len() + 1
        && reports
            .iter()
            .zip(&before)
            .all(|(after, was)| after.integrity == was.integrity && after.signer == was.signer);
    match reports.last() {
        Some(r) if kept && r.integrity == crate::Integrity::Intact && r.covers_whole_file => {
            Ok(signed)
        }
        other => bail!(
            "the token's signature does not check: {}",
            other
                .and_then(|r| r.problem.clone())
                .unwrap_or_else(|| "not found".into())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_outside_the_system_library_folders_is_not_loaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = dir.path().join("libevil.so");
        std::fs::write(&lib, b"\x7fELF").expect("write");
        let e = check_module_path(&lib).expect_err("refused");
        assert!(e.to_string().contains("system's library folders"), "{e}");
        let e = check_module_path(Path::new("relative/libsofthsm2.so")).expect_err("refused");
        assert!(e.to_string().contains("full path"), "{e}");
        let e = check_module_path(Path::new("/usr/lib/no-such-module.so")).expect_err("refused");
        assert!(e.to_string().contains("no PKCS#11 module"), "{e}");
        let e = check_module_path(Path::new("/etc/passwd")).expect_err("refused");
        assert!(e.to_string().contains("not a PKCS#11 module"), "{e}");
        // What counts is where the module lies, not where a link to it is.
        let softhsm = Path::new("/usr/lib/softhsm/libsofthsm2.so");
        if softhsm.exists() {
            let link = dir.path().join("token.so");
            std::os::unix::fs::symlink(softhsm, &link).expect("link");
            assert_eq!(
                check_module_path(&link).expect("allowed"),
                softhsm.canonicalize().expect("resolved")
            );
            std::os::unix::fs::symlink(&lib, dir.path().join("evil.so")).expect("link");
            assert!(check_module_path(&dir.path().join("evil.so")).is_err());
        }
    }

    #[test]
    fn a_module_that_anyone_but_root_can_change_is_not_loaded() {
        use std::os::unix::fs::PermissionsExt;
        // A folder under /opt needs root, as installing a token driver does.
        let Ok(dir) = tempfile::Builder::new()
            .prefix("ecabinet-token-test")
            .tempdir_in("/opt")
        else {
            eprintln!("not root: /opt is not writable here, ownership checks not run");
            return;
        };
        let lib = dir.path().join("libtoken-pkcs11.so");
        std::fs::write(&lib, b"\x7fELF").expect("write");
        let mode = |m: u32| {
            std::fs::set_permissions(&lib, std::fs::Permissions::from_mode(m)).expect("chmod")
        };
        mode(0o644);
        assert_eq!(
            check_module_path(&lib).expect("root's own module"),
            lib.canonicalize().expect("resolved")
        );
        // Writable by a group other than root's.
        mode(0o664);
        std::os::unix::fs::chown(&lib, Some(0), Some(100)).expect("chgrp");
        let e = check_module_path(&lib).expect_err("group-writable");
        assert!(e.to_string().contains("a group of users"), "{e}");
        // Root's group may write; a file owned by another user may not load.
        std::os::unix::fs::chown(&lib, Some(0), Some(0)).expect("chgrp");
        assert!(check_module_path(&lib).is_ok());
        mode(0o644);
        std::os::unix::fs::chown(&lib, Some(1000), Some(0)).expect("chown");
        let e = check_module_path(&lib).expect_err("another owner");
        assert!(e.to_string().contains("a user other than root"), "{e}");
        std::os::unix::fs::chown(&lib, Some(0), Some(0)).expect("chown");
        mode(0o646);
        let e = check_module_path(&lib).expect_err("world-writable");
        assert!(e.to_string().contains("any user"), "{e}");
        // Root's group may write, but an access list naming another user
        // with write permission (its mask is the group bits) may not.
        mode(0o664);
        let acl = |user_perm: u16| {
            let mut v = 2u32.to_le_bytes().to_vec();
            for (tag, perm, id) in [
                (0x01u16, 6u16, u32::MAX),
                (0x02, user_perm, 1000),
                (0x04, 4, u32::MAX),
                (0x10, 6, u32::MAX),
                (0x20, 4, u32::MAX),
            ] {
                v.extend(tag.to_le_bytes());
                v.extend(perm.to_le_bytes());
                v.extend(id.to_le_bytes());
            }
            v
        };
        let set = |value: &[u8]| {
            rustix::fs::setxattr(
                &lib,
                "system.posix_acl_access",
                value,
                rustix::fs::XattrFlags::empty(),
            )
        };
        if set(&acl(6)).is_err() {
            eprintln!("this file system keeps no access lists: the ACL check not run");
            return;
        }
        let e = check_module_path(&lib).expect_err("a user named in the ACL may write");
        assert!(e.to_string().contains("access list"), "{e}");
        // Named, but only to read: loaded.
        set(&acl(4)).expect("acl");
        assert!(check_module_path(&lib).is_ok());
        // The same for a folder on the way.
        mode(0o644);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod dir");
        let e = check_module_path(&lib).expect_err("world-writable folder");
        assert!(
            e.to_string().contains(&dir.path().display().to_string()),
            "{e}"
        );
    }
}
