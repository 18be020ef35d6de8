//! IPC types of one feature: the administrator's screens (committees,
//! users, memberships, devices, enrol codes).

use serde::Serialize;
use ts_rs::TS;

/// Everything the administrator's screens show, read from the server in
/// one request (administration needs the server: nothing here is cached).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AdminDirectoryView {
    pub committees: Vec<AdminCommitteeView>,
    /// Sorted by display name.
    pub users: Vec<AdminUserView>,
    /// The administrator using this app (they cannot disable themselves).
    pub me: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AdminCommitteeView {
    pub id: String,
    pub name: String,
    /// Whether the chair and secretary see who downloaded and opened each document.
    pub read_status: bool,
    /// Whether members see each other's comments on drafts.
    pub comments_shared: bool,
    /// Default speaking-time limit of a turn, ms; `null`: none.
    #[ts(type = "number | null")]
    pub speaking_limit_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AdminUserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub memberships: Vec<AdminMembershipView>,
    /// Newest first.
    pub devices: Vec<AdminDeviceView>,
    /// The certificates of their signing tokens, newest first: ballots they
    /// sign with a token count only with one of these.
    pub signing_certificates: Vec<SigningCertificateView>,
}

/// A certificate of a user's signing token, registered to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SigningCertificateView {
    /// SHA-256 of the certificate, lower-case hex.
    pub sha256: String,
    /// Common name and organisation of its subject.
    pub name: Option<String>,
    pub organisation: Option<String>,
    /// End of its validity, unix ms.
    #[ts(type = "number")]
    pub not_after: i64,
    /// Unix ms.
    #[ts(type = "number")]
    pub registered_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AdminMembershipView {
    pub committee_id: String,
    /// `member`, `secretary` or `chair`.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AdminDeviceView {
    pub id: String,
    pub name: String,
    /// Unix ms.
    #[ts(type = "number")]
    pub enrolled_at: i64,
    /// Unix ms of its last push or pull; null before the first.
    #[ts(type = "number | null")]
    pub last_seen_at: Option<i64>,
    pub revoked: bool,
    /// The device this app runs on.
    pub this_device: bool,
}

/// A one-time enrol code to hand to the user out of band.
#[derive(Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnrolCodeView {
    /// As the user types it (groups of symbols).
    pub code: String,
    /// The server signing key's fingerprint, `FFFF-FFFF-FFFF-FFFF`.
    pub fingerprint: String,
    /// Unix ms.
    #[ts(type = "number")]
    pub expires_at: i64,
}

/// The code stays out of logs and panics (its fingerprint half is public).
impl std::fmt::Debug for EnrolCodeView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolCodeView")
            .field("code", &"<redacted>")
            .field("fingerprint", &self.fingerprint)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The root certificates the deployment trusts for signatures embedded in
/// documents, as the administrator sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TrustedRootsAdminView {
    pub roots: Vec<TrustedRootView>,
    /// How many CA revocation lists are kept with them.
    pub revocation_lists: u32,
    /// When they were last set, unix ms; `None` if never.
    #[ts(type = "number | null")]
    pub updated_at: Option<i64>,
}

/// One trusted root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TrustedRootView {
    pub name: Option<String>,
    pub organisation: Option<String>,
    /// End of its validity, unix ms.
    #[ts(type = "number")]
    pub not_after: i64,
    /// SHA-256 fingerprint, lower-case hex.
    pub sha256: String,
}
