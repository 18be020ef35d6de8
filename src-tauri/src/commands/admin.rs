//! The administrator's screens: committees, users, memberships, devices and
//! enrol codes, done against the server (an `offline` error when it cannot
//! be reached; nothing here is cached). Changes that devices need (names,
//! memberships) come back through the feed, so each wakes the sync.

use ecabinet_protocol::enrol_code;
use ecabinet_protocol::{
    AdminDirectory, CreateUserRequest, EnrolCodeResponse, UpdateCommitteeRequest, WireRole,
};
use ecabinet_sync::admin;
use tauri::State;

use crate::ipc::{
    AdminCommitteeView, AdminDeviceView, AdminDirectoryView, AdminMembershipView, AdminUserView,
    EnrolCodeView, IpcError, IpcErrorCode, SigningCertificateView, TrustedRootView,
    TrustedRootsAdminView,
};
use crate::state::AppState;

/// Whether the signed-in user is an administrator (the screens are offered
/// then). False when the server cannot say (offline): administration needs
/// it anyway.
#[tauri::command]
pub async fn admin_am_i_admin(state: State<'_, AppState>) -> Result<bool, IpcError> {
    let api = state.api()?;
    Ok(admin::is_admin(&api).await.unwrap_or(false))
}

/// Everything the screens show, from the server.
#[tauri::command]
pub async fn admin_directory(state: State<'_, AppState>) -> Result<AdminDirectoryView, IpcError> {
    let api = state.api()?;
    let dir = admin::directory(&api).await?;
    Ok(directory_view(
        dir,
        &state.user_id()?,
        api.device_id().as_deref(),
    ))
}

fn directory_view(dir: AdminDirectory, me: &str, this_device: Option<&str>) -> AdminDirectoryView {
    AdminDirectoryView {
        committees: dir
            .committees
            .into_iter()
            .map(|c| AdminCommitteeView {
                id: c.id,
                name: c.name,
                read_status: c.read_status,
                comments_shared: c.comments_shared,
                speaking_limit_ms: c.speaking_limit_ms,
            })
            .collect(),
        users: dir
            .users
            .into_iter()
            .map(|u| AdminUserView {
                memberships: u
                    .memberships
                    .into_iter()
                    .map(|m| AdminMembershipView {
                        committee_id: m.committee_id,
                        role: m.role.as_str().to_owned(),
                    })
                    .collect(),
                devices: u
                    .devices
                    .into_iter()
                    .map(|d| AdminDeviceView {
                        this_device: Some(d.id.as_str()) == this_device,
                        id: d.id,
                        name: d.name,
                        enrolled_at: d.enrolled_at,
                        last_seen_at: d.last_seen_at,
                        revoked: d.revoked,
                    })
                    .collect(),
                signing_certificates: u
                    .signing_certificates
                    .into_iter()
                    .map(certificate_view)
                    .collect(),
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                is_admin: u.is_admin,
                disabled: u.disabled,
            })
            .collect(),
        me: me.to_owned(),
    }
}

/// A new user; answers their id. The password is theirs to change later.
#[tauri::command]
pub async fn admin_create_user(
    state: State<'_, AppState>,
    username: String,
    display_name: String,
    password: String,
    is_admin: bool,
) -> Result<String, IpcError> {
    let req = CreateUserRequest {
        username,
        display_name,
        password,
        is_admin,
    };
    Ok(admin::create_user(&state.api()?, &req).await?.id)
}

/// Sets the user's password; every session of theirs ends.
#[tauri::command]
pub async fn admin_reset_password(
    state: State<'_, AppState>,
    user_id: String,
    password: String,
) -> Result<(), IpcError> {
    admin::reset_password(&state.api()?, &user_id, &password).await?;
    Ok(())
}

#[tauri::command]
pub async fn admin_set_disabled(
    state: State<'_, AppState>,
    user_id: String,
    disabled: bool,
) -> Result<(), IpcError> {
    admin::set_disabled(&state.api()?, &user_id, disabled).await?;
    Ok(())
}

/// A new committee; answers its id.
#[tauri::command]
pub async fn admin_create_committee(
    state: State<'_, AppState>,
    name: String,
    read_status: bool,
) -> Result<String, IpcError> {
    let c = admin::create_committee(&state.api()?, &name, read_status).await?;
    state.wake_sync()?;
    Ok(c.id)
}

/// Renames the committee and/or switches its read status or whether
/// members see each other's comments on drafts (null: unchanged).
#[tauri::command]
pub async fn admin_update_committee(
    state: State<'_, AppState>,
    committee_id: String,
    name: Option<String>,
    read_status: Option<bool>,
    comments_shared: Option<bool>,
) -> Result<(), IpcError> {
    let req = UpdateCommitteeRequest {
        name,
        read_status,
        comments_shared,
        speaking_limit_ms: None,
    };
    admin::update_committee(&state.api()?, &committee_id, &req).await?;
    state.wake_sync()
}

/// Sets the committee's default speaking-time limit, ms (null: none): the
/// limit of a turn whose agenda item sets none.
#[tauri::command]
pub async fn admin_set_speaking_limit(
    state: State<'_, AppState>,
    committee_id: String,
    speaking_limit_ms: Option<i64>,
) -> Result<(), IpcError> {
    let req = UpdateCommitteeRequest {
        speaking_limit_ms: Some(speaking_limit_ms),
        ..UpdateCommitteeRequest::default()
    };
    admin::update_committee(&state.api()?, &committee_id, &req).await?;
    state.wake_sync()
}

/// Adds the user to the committee, or changes their role there.
#[tauri::command]
pub async fn admin_set_membership(
    state: State<'_, AppState>,
    committee_id: String,
    user_id: String,
    role: String,
) -> Result<(), IpcError> {
    let role = WireRole::parse(&role).ok_or_else(|| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("{role:?} is not a role: member, secretary or chair"),
        )
    })?;
    admin::set_membership(&state.api()?, &committee_id, &user_id, role).await?;
    state.wake_sync()
}

#[tauri::command]
pub async fn admin_remove_membership(
    state: State<'_, AppState>,
    committee_id: String,
    user_id: String,
) -> Result<(), IpcError> {
    admin::remove_membership(&state.api()?, &committee_id, &user_id).await?;
    state.wake_sync()
}

/// Revokes a device (a lost tablet): it is wiped at its next contact.
/// This app's own device is refused here: it would wipe the admin's cache
/// at the next sync, mid-work.
#[tauri::command]
pub async fn admin_revoke_device(
    state: State<'_, AppState>,
    device_id: String,
) -> Result<(), IpcError> {
    let api = state.api()?;
    if api.device_id().as_deref() == Some(device_id.as_str()) {
        return Err(IpcError::new(
            IpcErrorCode::Conflict,
            "this is the device you are using; revoke it from another one",
        ));
    }
    admin::revoke_device(&api, &device_id).await?;
    Ok(())
}

/// A one-time enrol code for the user's next device.
#[tauri::command]
pub async fn admin_enrol_code(
    state: State<'_, AppState>,
    user_id: String,
    valid_minutes: u32,
) -> Result<EnrolCodeView, IpcError> {
    let c = admin::enrol_code(&state.api()?, &user_id, valid_minutes).await?;
    let pinned = state
        .store()?
        .manifest_key()
        .map_err(IpcError::from)?
        .ok_or_else(|| IpcError::new(IpcErrorCode::NoData, "this device is not enrolled"))?;
    code_view(c, &pinned)
}

/// The code as shown, if it names the server key this device pinned at its
/// own enrolment: a code whose fingerprint half was swapped on the way (an
/// intercepting proxy) would have the new device pin the wrong server. The
/// fingerprint shown is the one computed here, from the pinned key.
fn code_view(c: EnrolCodeResponse, pinned: &[u8]) -> Result<EnrolCodeView, IpcError> {
    let ours = enrol_code::fingerprint(pinned);
    let theirs = enrol_code::parse(&c.code).map_err(|e| {
        IpcError::new(
            IpcErrorCode::ServerError,
            format!("the server answered an enrol code that does not read as one: {e}"),
        )
    })?;
    if theirs.fingerprint != ours {
        return Err(IpcError::new(
            IpcErrorCode::ServerKeyMismatch,
            "the enrol code the server answered names another signing key than the one this \
             device trusts: do not hand it out, and check the connection to the server",
        ));
    }
    Ok(EnrolCodeView {
        code: c.code,
        fingerprint: enrol_code::format_fingerprint(&ours),
        expires_at: c.expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecabinet_protocol::{AdminDevice, AdminMembership, AdminUser, CommitteeBody};

    #[test]
    fn a_code_naming_another_server_key_is_refused_and_ours_is_shown() {
        let pinned = [7u8; 32];
        let other = [8u8; 32];
        let code_for = |key: &[u8]| {
            enrol_code::EnrolCode {
                secret: [1u8; enrol_code::PART_BYTES],
                fingerprint: enrol_code::fingerprint(key),
            }
            .display()
        };
        let answer = |key: &[u8]| EnrolCodeResponse {
            code: code_for(key),
            // What a proxy would also rewrite; never shown as it came.
            fingerprint: "AAAA-AAAA-AAAA-AAAA".into(),
            expires_at: 5,
        };
        let v = code_view(answer(&pinned), &pinned).expect("our server's code");
        assert_eq!(
            v.fingerprint,
            enrol_code::format_fingerprint(&enrol_code::fingerprint(&pinned))
        );
        assert_eq!(v.code, code_for(&pinned));
        let e = code_view(answer(&other), &pinned).expect_err("swapped");
        assert_eq!(e.code, IpcErrorCode::ServerKeyMismatch);
        let e = code_view(
            EnrolCodeResponse {
                code: "not a code".into(),
                ..answer(&pinned)
            },
            &pinned,
        )
        .expect_err("unreadable");
        assert_eq!(e.code, IpcErrorCode::ServerError);
        // The code never reaches a log through Debug.
        assert!(!format!("{v:?}").contains(&code_for(&pinned)));
    }

    #[test]
    fn the_directory_marks_this_device_and_keeps_roles_on_the_wire_names() {
        let dir = AdminDirectory {
            committees: vec![CommitteeBody {
                id: "c1".into(),
                name: "UBND tỉnh".into(),
                read_status: true,
                comments_shared: false,
                speaking_limit_ms: Some(180_000),
            }],
            users: vec![AdminUser {
                id: "u1".into(),
                username: "an".into(),
                display_name: "Nguyễn Văn An".into(),
                is_admin: true,
                disabled: false,
                memberships: vec![AdminMembership {
                    committee_id: "c1".into(),
                    role: WireRole::Chair,
                }],
                devices: vec![
                    AdminDevice {
                        id: "d2".into(),
                        name: "Máy tính bảng".into(),
                        enrolled_at: 2,
                        last_seen_at: None,
                        revoked: true,
                    },
                    AdminDevice {
                        id: "d1".into(),
                        name: "Laptop".into(),
                        enrolled_at: 1,
                        last_seen_at: Some(5),
                        revoked: false,
                    },
                ],
                signing_certificates: vec![ecabinet_protocol::SigningCertificateInfo {
                    sha256: "ab".repeat(32),
                    name: Some("Nguyễn Văn An".into()),
                    organisation: None,
                    not_after: 1_900_000_000,
                    registered_at: 7,
                }],
            }],
        };
        let v = directory_view(dir, "u1", Some("d1"));
        assert_eq!(v.me, "u1");
        assert!(v.committees[0].read_status);
        assert_eq!(v.committees[0].speaking_limit_ms, Some(180_000));
        let u = &v.users[0];
        assert_eq!(u.memberships[0].role, "chair");
        let mine: Vec<(&str, bool)> = u
            .devices
            .iter()
            .map(|d| (d.id.as_str(), d.this_device))
            .collect();
        assert_eq!(mine, [("d2", false), ("d1", true)]);
        assert_eq!(u.devices[1].last_seen_at, Some(5));
        // Certificate dates are seconds on the wire, milliseconds in the UI.
        assert_eq!(u.signing_certificates[0].not_after, 1_900_000_000_000);
        assert_eq!(u.signing_certificates[0].registered_at, 7);
    }
}

fn roots_view(view: ecabinet_protocol::TrustedRootsView) -> TrustedRootsAdminView {
    TrustedRootsAdminView {
        updated_at: view.updated_at,
        revocation_lists: view.revocation_lists,
        roots: view
            .roots
            .into_iter()
            .map(|r| TrustedRootView {
                name: r.name,
                organisation: r.organisation,
                not_after: r.not_after * 1000,
                sha256: r.sha256,
            })
            .collect(),
    }
}

/// The roots trusted for signatures embedded in documents.
#[tauri::command]
pub async fn admin_trusted_roots(
    state: State<'_, AppState>,
) -> Result<TrustedRootsAdminView, IpcError> {
    Ok(roots_view(admin::trusted_roots(&state.api()?).await?))
}

/// Replaces the trusted roots with the PEM certificates of `pem` (empty:
/// none); refused (`invalid_input`, with the reason) unless every block is
/// a certificate. Devices take the new list at their next sync.
#[tauri::command]
pub async fn admin_set_trusted_roots(
    state: State<'_, AppState>,
    pem: String,
) -> Result<TrustedRootsAdminView, IpcError> {
    let view = admin::set_trusted_roots(&state.api()?, &pem).await?;
    // The admin's own device takes the new list at once.
    let _ = state.wake_sync();
    Ok(roots_view(view))
}

fn certificate_view(c: ecabinet_protocol::SigningCertificateInfo) -> SigningCertificateView {
    SigningCertificateView {
        sha256: c.sha256,
        name: c.name,
        organisation: c.organisation,
        not_after: c.not_after * 1000,
        registered_at: c.registered_at,
    }
}

/// Registers the certificate of `pem` (one PEM block, as exported from the
/// token or issued by the CA) to the user: ballots they sign with a token
/// count only with one of theirs. Refused (`invalid_input`) unless it is
/// one certificate; (`conflict`) when it is registered to someone else.
#[tauri::command]
pub async fn admin_register_signing_certificate(
    state: State<'_, AppState>,
    user_id: String,
    pem: String,
) -> Result<SigningCertificateView, IpcError> {
    let info = admin::register_signing_certificate(&state.api()?, &user_id, &pem).await?;
    Ok(certificate_view(info))
}

/// Removes a registered certificate (a lost or replaced token): ballots it
/// signs from now on are refused.
#[tauri::command]
pub async fn admin_remove_signing_certificate(
    state: State<'_, AppState>,
    user_id: String,
    sha256: String,
) -> Result<(), IpcError> {
    admin::remove_signing_certificate(&state.api()?, &user_id, &sha256).await?;
    Ok(())
}
