//! The administrator's actions: typed calls to the server's `/v1/admin`
//! API (committees, users, memberships, devices, enrol codes).
//!
//! Like the secretary's actions these are not outbox operations: they are
//! done against the server and answer at once ([`SyncError::Offline`] when
//! it cannot be reached). What they change that devices need (committee
//! names, memberships, revocations) reaches them through the feed and the
//! server's answers.

use ecabinet_protocol::{
    AdminDirectory, CommitteeBody, CreateCommitteeRequest, CreateUserRequest, DeviceBody,
    EnrolCodeRequest, EnrolCodeResponse, MeResponse, MembershipBody,
    RegisterSigningCertificateRequest, ResetPasswordRequest, SetMembershipRequest,
    SetTrustedRootsRequest, SigningCertificateInfo, TrustedRootsView, UpdateCommitteeRequest,
    UserBody, WireRole,
};

use crate::api::path_id as id;
use crate::{Api, SyncError};

/// `GET /v1/me`: whether the signed-in user is an administrator.
pub async fn is_admin(api: &Api) -> Result<bool, SyncError> {
    let me: MeResponse = api.json(api.get("/v1/me")).await?;
    Ok(me.is_admin)
}

/// `GET /v1/admin/directory`: every committee and user, with each user's
/// memberships and devices.
pub async fn directory(api: &Api) -> Result<AdminDirectory, SyncError> {
    api.json(api.get("/v1/admin/directory")).await
}

/// `POST /v1/admin/users`.
pub async fn create_user(api: &Api, req: &CreateUserRequest) -> Result<UserBody, SyncError> {
    api.json(api.post("/v1/admin/users").json(req)).await
}

/// `POST /v1/admin/users/{id}/password`: every session of the user ends.
pub async fn reset_password(api: &Api, user_id: &str, password: &str) -> Result<(), SyncError> {
    let path = format!("/v1/admin/users/{}/password", id(user_id)?);
    let req = ResetPasswordRequest {
        password: password.to_owned(),
    };
    api.send(api.post(&path).json(&req)).await?;
    Ok(())
}

/// `POST /v1/admin/users/{id}/disable` or `…/enable`.
pub async fn set_disabled(api: &Api, user_id: &str, disabled: bool) -> Result<(), SyncError> {
    let what = if disabled { "disable" } else { "enable" };
    let path = format!("/v1/admin/users/{}/{what}", id(user_id)?);
    api.send(api.post(&path)).await?;
    Ok(())
}

/// `POST /v1/admin/committees`.
pub async fn create_committee(
    api: &Api,
    name: &str,
    read_status: bool,
) -> Result<CommitteeBody, SyncError> {
    let req = CreateCommitteeRequest {
        name: name.to_owned(),
        read_status,
    };
    api.json(api.post("/v1/admin/committees").json(&req)).await
}

/// `PATCH /v1/admin/committees/{id}`: a new name, the read status setting, or both.
pub async fn update_committee(
    api: &Api,
    committee_id: &str,
    req: &UpdateCommitteeRequest,
) -> Result<CommitteeBody, SyncError> {
    let path = format!("/v1/admin/committees/{}", id(committee_id)?);
    api.json(api.patch(&path).json(req)).await
}

/// `PUT /v1/admin/committees/{c}/members/{u}`: adds the user, or changes their role.
pub async fn set_membership(
    api: &Api,
    committee_id: &str,
    user_id: &str,
    role: WireRole,
) -> Result<MembershipBody, SyncError> {
    let path = format!(
        "/v1/admin/committees/{}/members/{}",
        id(committee_id)?,
        id(user_id)?
    );
    api.json(api.put(&path).json(&SetMembershipRequest { role }))
        .await
}

/// `DELETE /v1/admin/committees/{c}/members/{u}`.
pub async fn remove_membership(
    api: &Api,
    committee_id: &str,
    user_id: &str,
) -> Result<(), SyncError> {
    let path = format!(
        "/v1/admin/committees/{}/members/{}",
        id(committee_id)?,
        id(user_id)?
    );
    api.send(api.delete(&path)).await?;
    Ok(())
}

/// `POST /v1/admin/devices/{id}/revoke`: the device is wiped at its next contact.
pub async fn revoke_device(api: &Api, device_id: &str) -> Result<DeviceBody, SyncError> {
    let path = format!("/v1/admin/devices/{}/revoke", id(device_id)?);
    api.json(api.post(&path)).await
}

/// `POST /v1/admin/users/{id}/enrol-codes`: a one-time code for the user's next device.
pub async fn enrol_code(
    api: &Api,
    user_id: &str,
    valid_minutes: u32,
) -> Result<EnrolCodeResponse, SyncError> {
    let path = format!("/v1/admin/users/{}/enrol-codes", id(user_id)?);
    let req = EnrolCodeRequest {
        valid_minutes: Some(valid_minutes),
    };
    api.json(api.post(&path).json(&req)).await
}

/// `POST /v1/admin/users/{id}/signing-certificates`: registers a
/// certificate of the user's signing token (one PEM block); ballots they
/// sign with a token count only with one of theirs.
pub async fn register_signing_certificate(
    api: &Api,
    user_id: &str,
    pem: &str,
) -> Result<SigningCertificateInfo, SyncError> {
    let path = format!("/v1/admin/users/{}/signing-certificates", id(user_id)?);
    let req = RegisterSigningCertificateRequest {
        pem: pem.to_owned(),
    };
    api.json(api.post(&path).json(&req)).await
}

/// `DELETE /v1/admin/users/{id}/signing-certificates/{sha256}`: a lost or
/// replaced token.
pub async fn remove_signing_certificate(
    api: &Api,
    user_id: &str,
    sha256: &str,
) -> Result<(), SyncError> {
    let path = format!(
        "/v1/admin/users/{}/signing-certificates/{}",
        id(user_id)?,
        id(sha256)?
    );
    api.send(api.delete(&path)).await?;
    Ok(())
}

/// `GET /v1/admin/trusted-roots`: the roots trusted for embedded signatures.
pub async fn trusted_roots(api: &Api) -> Result<TrustedRootsView, SyncError> {
    api.json(api.get("/v1/admin/trusted-roots")).await
}

/// `PUT /v1/admin/trusted-roots`: replaces them with the PEM certificates
/// of `pem` (empty: trust none). Refused unless every block is a certificate.
pub async fn set_trusted_roots(api: &Api, pem: &str) -> Result<TrustedRootsView, SyncError> {
    let req = SetTrustedRootsRequest {
        pem: pem.to_owned(),
    };
    api.json(api.put("/v1/admin/trusted-roots").json(&req))
        .await
}
