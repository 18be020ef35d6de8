//! Request and response bodies of the `/v1` endpoints, and the record bodies
//! carried by the change feed. All times are unix milliseconds, UTC.

use serde::{Deserialize, Deserializer, Serialize};

use crate::SignedManifest;

/// Header carrying the enrolled device's id on every request after enrolment.
pub const DEVICE_ID_HEADER: &str = "x-device-id";

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case name used on the wire and in storage.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

wire_enum!(
    /// A person's role in one committee.
    WireRole { Member = "member", Secretary = "secretary", Chair = "chair" }
);

impl From<ecabinet_model::Role> for WireRole {
    fn from(r: ecabinet_model::Role) -> Self {
        match r {
            ecabinet_model::Role::Member => WireRole::Member,
            ecabinet_model::Role::Secretary => WireRole::Secretary,
            ecabinet_model::Role::Chair => WireRole::Chair,
        }
    }
}

impl From<WireRole> for ecabinet_model::Role {
    fn from(r: WireRole) -> Self {
        match r {
            WireRole::Member => ecabinet_model::Role::Member,
            WireRole::Secretary => ecabinet_model::Role::Secretary,
            WireRole::Chair => ecabinet_model::Role::Chair,
        }
    }
}

wire_enum!(
    /// Life of a meeting: prepared as a draft (visible to secretary and chair
    /// only), published to members, in session, closed.
    MeetingStatus { Draft = "draft", Published = "published", InSession = "in_session", Closed = "closed" }
);

wire_enum!(
    /// Whether ballots name the voter.
    MotionKind { Named = "named", Secret = "secret" }
);

wire_enum!(
    /// What "adopted" means: more yes than no, more than half of those present,
    /// or two thirds of the eligible members.
    MajorityRule { Simple = "simple", Absolute = "absolute", TwoThirds = "two_thirds" }
);

wire_enum!(
    /// Live in session, or a written consultation open until a deadline.
    MotionMode { Live = "live", Written = "written" }
);

wire_enum!(
    MotionStatus { Draft = "draft", Open = "open", Closed = "closed" }
);

wire_enum!(
    /// A request to speak: waiting in the queue, given the floor, finished, withdrawn.
    SpeakerStatus { Waiting = "waiting", Speaking = "speaking", Done = "done", Withdrawn = "withdrawn" }
);

/// The default options of a motion.
pub fn default_motion_options() -> Vec<String> {
    vec![
        "Đồng ý".to_owned(),
        "Không đồng ý".to_owned(),
        "Không biểu quyết".to_owned(),
    ]
}

/// Tells "absent" (`None`) from "explicitly null" (`Some(None)`) in a PATCH body.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

// ---- accounts and devices -------------------------------------------------

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// An enrolled device signing in again: the new session is bound to the
    /// device at once (no new enrolment; the device's data stays). Signed
    /// over [`device_proof_message`]`("login", username, ...)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceProof>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log or a panic message.
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("device", &self.device)
            .finish()
    }
}

/// An enrolled device's proof that it holds its key: an Ed25519 signature
/// over [`device_proof_message`] at `signed_at` (ms since the epoch; the
/// server accepts 10 minutes either side of its own clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceProof {
    pub device_id: String,
    pub signed_at: i64,
    /// Standard base64 of the 64-byte signature.
    pub signature: String,
}

/// The bytes a device signs for `purpose` (`"login"` with the username as
/// `subject`, `"refresh"` with the session id).
pub fn device_proof_message(
    purpose: &str,
    subject: &str,
    device_id: &str,
    signed_at: i64,
) -> Vec<u8> {
    format!("ecabinet-device-proof-v1\n{purpose}\n{subject}\n{device_id}\n{signed_at}").into_bytes()
}

/// `POST /v1/me/password`: the member changes their own password. The
/// annotation key, re-wrapped under the new password on the device, is
/// stored in the same transaction (required when the server holds one).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    pub old_password: String,
    pub new_password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation_key: Option<crate::WrappedAnnotationKey>,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Passwords never reach a log or a panic message.
        f.debug_struct("ChangePasswordRequest")
            .field("old_password", &"<redacted>")
            .field("new_password", &"<redacted>")
            .field("annotation_key", &self.annotation_key.is_some())
            .finish()
    }
}

/// `POST /v1/session/refresh`: a new access token for the session, signed
/// by the device the session is bound to (no bearer token needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefreshRequest {
    pub session_id: String,
    pub device: DeviceProof,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Opaque bearer token for `Authorization: Bearer ...`; short-lived.
    pub token: String,
    pub expires_at: i64,
    pub user_id: String,
    pub is_admin: bool,
    /// The session the token belongs to: once bound to a device, that device
    /// renews its token with `POST /v1/session/refresh`.
    pub session_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrolDeviceRequest {
    /// Standard base64 of the device's raw 32-byte Ed25519 public key.
    pub public_key: String,
    pub name: String,
    /// The secret half of an enrol code (16 Crockford base32 symbols, upper
    /// case, no dashes; see [`crate::enrol_code`]). When present the server
    /// enrols only if it is an unused, unexpired code of the logged-in user,
    /// and uses it up; otherwise 403 `invalid_enrol_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrol_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrolDeviceResponse {
    /// Send as the [`DEVICE_ID_HEADER`] on every later request.
    pub device_id: String,
    /// Standard base64 of the server's raw 32-byte Ed25519 manifest-signing
    /// key; the client pins it.
    pub server_signing_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommitteeRole {
    pub committee_id: String,
    pub committee_name: String,
    pub role: WireRole,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub device_id: Option<String>,
    pub committees: Vec<CommitteeRole>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateUserRequest {
    pub username: String,
    pub display_name: String,
    pub password: String,
    #[serde(default)]
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserBody {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateCommitteeRequest {
    pub name: String,
    /// Whether the chair and secretary see who downloaded and opened each document.
    #[serde(default)]
    pub read_status: bool,
}

/// `PATCH /v1/admin/committees/{committee_id}`: the settings to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdateCommitteeRequest {
    /// A new name (1 to 200 characters once trimmed).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub read_status: Option<bool>,
    /// Whether members see each other's comments on drafts.
    #[serde(default)]
    pub comments_shared: Option<bool>,
    /// The committee's default speaking-time limit, ms (1 s to
    /// [`MAX_SPEAKING_TIME_MS`]); absent: unchanged; `null`: none.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub speaking_limit_ms: Option<Option<i64>>,
}

/// `GET /v1/admin/directory` (admin): every committee and user, with each
/// user's memberships and devices: what the administrator's screens show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdminDirectory {
    /// By name.
    pub committees: Vec<CommitteeBody>,
    /// By display name, then username.
    pub users: Vec<AdminUser>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdminUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub memberships: Vec<AdminMembership>,
    /// Newest first, revoked ones included.
    pub devices: Vec<AdminDevice>,
    /// The certificates of their signing tokens, newest registration first:
    /// a ballot signed with a token counts only with one of these.
    #[serde(default)]
    pub signing_certificates: Vec<crate::SigningCertificateInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdminMembership {
    pub committee_id: String,
    pub role: WireRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdminDevice {
    pub id: String,
    pub name: String,
    /// Unix ms.
    pub enrolled_at: i64,
    /// Unix ms of its last push or pull, if any.
    pub last_seen_at: Option<i64>,
    pub revoked: bool,
}

/// `POST /v1/admin/users/{user_id}/password` (admin): the user's new
/// password (at least 8 characters). Every session of theirs ends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResetPasswordRequest {
    pub password: String,
}

/// The password stays out of logs and panics.
impl std::fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetPasswordRequest")
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The password stays out of logs and panics.
impl std::fmt::Debug for CreateUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateUserRequest")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("password", &"<redacted>")
            .field("is_admin", &self.is_admin)
            .finish()
    }
}

/// `POST /v1/admin/users/{user_id}/enrol-codes` (admin).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrolCodeRequest {
    /// 1 to 1440; the server's default (as `enrol-code`) when absent.
    #[serde(default)]
    pub valid_minutes: Option<u32>,
}

/// A one-time enrol code to hand to the user out of band, with the server
/// signing key's fingerprint it carries.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrolCodeResponse {
    /// As the user types it.
    pub code: String,
    /// `FFFF-FFFF-FFFF-FFFF`.
    pub fingerprint: String,
    /// Unix ms.
    pub expires_at: i64,
}

/// The code stays out of logs and panics (its fingerprint half is public).
impl std::fmt::Debug for EnrolCodeResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolCodeResponse")
            .field("code", &"<redacted>")
            .field("fingerprint", &self.fingerprint)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommitteeBody {
    pub id: String,
    pub name: String,
    /// Members' devices report downloads and opens ([`crate::OpKind::Read`]),
    /// shown to the chair and secretary. Absent in feeds of older servers.
    #[serde(default)]
    pub read_status: bool,
    /// Members see each other's comments on drafts, not only their own
    /// (the secretary and the chair always see all). Only comments the
    /// server received after sharing was turned on are shared: a comment
    /// written as private stays private.
    #[serde(default)]
    pub comments_shared: bool,
    /// The speaking-time limit a turn gets when the chair gives the floor,
    /// ms, unless its agenda item sets its own; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaking_limit_ms: Option<i64>,
}

/// `GET /v1/meetings/{meeting_id}/read-status` (chair, secretary, admin):
/// for each current document version of the meeting, every member of the
/// committee and when their devices first downloaded and opened it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadStatusBody {
    pub meeting_id: String,
    pub documents: Vec<DocumentReadStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentReadStatus {
    pub document_id: String,
    pub version_id: String,
    pub version: u32,
    pub title: String,
    pub members: Vec<MemberReadStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberReadStatus {
    pub member_id: String,
    pub display_name: String,
    /// Device clock of the first report, unix ms.
    pub downloaded_at: Option<i64>,
    pub opened_at: Option<i64>,
}

/// The most operation ids one `POST /v1/devices/lost-ops` may carry; a
/// longer record goes in several requests.
pub const MAX_LOST_OPS_PER_REPORT: usize = 1000;

/// `POST /v1/devices/lost-ops`, from a newly enrolled device: the ids of the
/// caller's outbox operations a wrong-PIN wipe erased on their earlier
/// device before the server answered them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportLostOpsRequest {
    pub op_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportLostOpsResponse {
    /// Ids not on record before; a report sent again records nothing new.
    pub recorded: u32,
}

/// `GET /v1/committees/{committee_id}/lost-ops` (chair, secretary, admin):
/// the operations the committee's members reported lost to a wipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LostOpsBody {
    pub committee_id: String,
    pub lost: Vec<LostOpBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LostOpBody {
    pub op_id: String,
    pub member_id: String,
    pub display_name: String,
    /// The device that reported the loss (the member's new device).
    pub reported_by_device: Option<String>,
    /// Server time of the first report, unix ms.
    pub reported_at: i64,
    /// If the operation did reach the server (only its answer was lost):
    /// the status the server gave it (`accepted`, `rejected`, …); `None`
    /// when the server never got it.
    pub server_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SetMembershipRequest {
    pub role: WireRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MembershipBody {
    pub id: String,
    pub committee_id: String,
    pub user_id: String,
    pub display_name: String,
    pub role: WireRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceBody {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub revoked: bool,
}

// ---- meetings and agenda --------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateMeetingRequest {
    pub title: String,
    #[serde(default)]
    pub location: String,
    pub starts_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdateMeetingRequest {
    pub title: Option<String>,
    pub location: Option<String>,
    pub starts_at: Option<i64>,
    /// Every page of every document of the meeting carries the reader's
    /// watermark (besides the documents that ask for it themselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader_watermark: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeetingBody {
    pub id: String,
    pub committee_id: String,
    pub title: String,
    pub location: String,
    pub starts_at: i64,
    pub status: MeetingStatus,
    pub published_at: Option<i64>,
    /// The agenda item the chair has put on the floor, while in session.
    pub current_item_id: Option<String>,
    /// Every document of the meeting is watermarked for its reader (each
    /// version's signed policy says so).
    #[serde(default)]
    pub reader_watermark: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateAgendaItemRequest {
    pub title: String,
    /// Nest under this item of the same meeting; top level when absent.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// 0-based place among its siblings; appended when absent.
    #[serde(default)]
    pub position: Option<i64>,
    /// The time planned for the item, minutes (1 to [`MAX_PLANNED_MINUTES`]).
    #[serde(default)]
    pub planned_minutes: Option<i64>,
    /// The speaking-time limit of a turn on this item, ms (1 s to
    /// [`MAX_SPEAKING_TIME_MS`]); the committee's default when absent.
    #[serde(default)]
    pub speaking_limit_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdateAgendaItemRequest {
    pub title: Option<String>,
    /// Absent: unchanged; `null`: move to the top level; a string: nest there.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_id: Option<Option<String>>,
    pub position: Option<i64>,
    /// Absent: unchanged; `null`: no plan; minutes otherwise.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub planned_minutes: Option<Option<i64>>,
    /// Absent: unchanged; `null`: the committee's default; ms otherwise.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub speaking_limit_ms: Option<Option<i64>>,
}

/// Longest time the secretary may plan for one agenda item: 10 hours.
pub const MAX_PLANNED_MINUTES: i64 = 600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgendaItemBody {
    pub id: String,
    pub meeting_id: String,
    pub parent_id: Option<String>,
    /// 0-based order among the siblings under the same parent.
    pub position: i64,
    pub title: String,
    /// Set once the item was withdrawn from a started meeting: it stays on
    /// the agenda, marked, instead of being deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
    /// The time the secretary planned for the item, minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_minutes: Option<i64>,
    /// A turn's speaking-time limit on this item, ms (overrides the
    /// committee's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaking_limit_ms: Option<i64>,
    /// Time the item has been on the floor in earlier stretches, ms (the
    /// chair may come back to an item).
    #[serde(default)]
    pub time_on_floor_ms: i64,
    /// Server time the item was put on the floor, while it is there; the
    /// time elapsed is `time_on_floor_ms` plus the time since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_floor_since: Option<i64>,
}

/// Who withdrew an agenda item or a document from a meeting, when, and why.
/// A withdrawn record stays on the record; it is never deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Withdrawal {
    /// Server time, unix milliseconds.
    pub at_ms: i64,
    pub by_user_id: String,
    pub reason: String,
}

/// `POST /v1/agenda/{id}/withdraw` and `POST /v1/documents/{id}/withdraw`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WithdrawRequest {
    /// Why, as it will stand on the record: 1 to 500 characters.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SetCurrentItemRequest {
    /// `null` clears the floor.
    pub agenda_item_id: Option<String>,
}

// ---- documents ----------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateDocumentRequest {
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentBody {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: String,
    pub title: String,
    /// Highest published version, if any.
    pub current_version: Option<u32>,
    /// Set once the document was withdrawn from a started meeting; its
    /// versions stay readable, marked, and no new version is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
    /// The readers' watermark and export policy, signed into each
    /// published version's manifest. Absent from older servers: the default.
    #[serde(default)]
    pub policy: crate::DocumentPolicy,
}

/// `PATCH /v1/documents/{id}`: what to change (absent: unchanged). A
/// changed policy is signed again into every published version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdateDocumentRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader_watermark: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<crate::ExportPolicy>,
    /// Anything but normal needs an isolated-network deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<crate::Classification>,
}

/// One uploaded PDF of a document. `signed` is present once published; a
/// blob may be shown only after its hash and this signature are verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentVersionBody {
    pub id: String,
    pub document_id: String,
    pub meeting_id: String,
    pub version: u32,
    pub sha256: String,
    pub size: u64,
    pub published: bool,
    /// A later published version of the same document replaced this one;
    /// it stays readable.
    pub superseded: bool,
    pub signed: Option<SignedManifest>,
    /// The words OCR reads on its scanned pages, and how far it got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_layer: Option<crate::TextLayerState>,
    /// The server's check, at upload, of the signatures embedded in the
    /// PDF. Devices check them again themselves; this tells the secretary
    /// at once. Absent for versions uploaded before the check existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_check: Option<EmbeddedSignatureCheck>,
}

/// What the server found of the signatures embedded in an uploaded PDF
/// (PAdES), against the trusted roots it had then. A broken signature does
/// not refuse the upload: the secretary may have uploaded a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EmbeddedSignatureCheck {
    /// `unsigned`, `valid`, `warning` or `broken`.
    pub verdict: String,
    /// Each signer's name (certificate CN, empty when unreadable), in file order.
    pub signers: Vec<String>,
    /// The first problem found, in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// `POST /v1/documents/{id}/uploads`: opens a resumable upload of the next
/// version, `size` bytes long (at most the server's `max_upload_bytes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StartUploadRequest {
    pub size: u64,
}

/// A resumable upload: the server holds `offset` bytes of `size`, each part
/// checked against its checksum and on disk. Parts go to
/// `PATCH /v1/uploads/{id}` with [`UPLOAD_OFFSET_HEADER`] set to `offset`;
/// `POST /v1/uploads/{id}/finish` checks the whole PDF and makes it the
/// document's next version. An upload left unfinished expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UploadBody {
    pub id: String,
    pub document_id: String,
    pub size: u64,
    pub offset: u64,
    /// Unix milliseconds after which the server drops the unfinished upload.
    pub expires_at: i64,
    /// The largest part one `PATCH` may carry.
    pub max_part_bytes: u64,
}

/// Header of an upload part: the offset its first byte belongs at, which
/// must be the upload's current offset.
pub const UPLOAD_OFFSET_HEADER: &str = "upload-offset";
/// Header of an upload part: `sha256 HEX` of the part's bytes. A part whose
/// bytes do not match is discarded whole.
pub const UPLOAD_CHECKSUM_HEADER: &str = "upload-checksum";

/// `POST /v1/meetings/{id}/publish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublishResponse {
    pub meeting: MeetingBody,
    /// The versions published by this call, with their signed manifests.
    pub published_versions: Vec<DocumentVersionBody>,
}

// ---- motions and speakers -------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateMotionRequest {
    pub question: String,
    #[serde(default = "default_motion_options")]
    pub options: Vec<String>,
    pub kind: MotionKind,
    pub majority: MajorityRule,
    /// Members that must take part for the result to count.
    pub quorum: u32,
    pub mode: MotionMode,
    /// Required for written consultations, unix ms.
    #[serde(default)]
    pub deadline: Option<i64>,
    /// User ids that may vote; absent: every member of the committee.
    #[serde(default)]
    pub eligible: Option<Vec<String>>,
    /// Whether a later ballot replaces an earlier one (never for secret motions).
    #[serde(default)]
    pub may_change_vote: bool,
    /// Live motions: how long after closing offline ballots are still received, ms.
    #[serde(default = "default_grace_ms")]
    pub grace_ms: i64,
    /// Named motions only: each ballot must also be signed with the
    /// member's token (ký số) under a certificate of the trusted CAs, and
    /// the signature goes into its audit record.
    #[serde(default)]
    pub signed_ballots: bool,
}

/// The default offline grace period of a live motion (2 minutes).
pub fn default_grace_ms() -> i64 {
    120_000
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MotionBody {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: String,
    pub question: String,
    pub options: Vec<String>,
    pub kind: MotionKind,
    pub majority: MajorityRule,
    pub quorum: u32,
    pub mode: MotionMode,
    pub deadline: Option<i64>,
    pub status: MotionStatus,
    pub opened_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// User ids that may vote; `None`: every member of the committee.
    #[serde(default)]
    pub eligible: Option<Vec<String>>,
    #[serde(default)]
    pub may_change_vote: bool,
    #[serde(default = "default_grace_ms")]
    pub grace_ms: i64,
    /// Ballots must carry the member's token signature (see
    /// [`CreateMotionRequest::signed_ballots`]).
    #[serde(default)]
    pub signed_ballots: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpeakerRequestBody {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: String,
    pub user_id: String,
    pub display_name: String,
    pub status: SpeakerStatus,
    /// Order in the queue of the item, as set by the chair.
    pub position: i64,
    pub requested_at: i64,
    /// When the chair gave this request the floor, server time, unix ms.
    #[serde(default)]
    pub granted_at: Option<i64>,
    /// The turn's speaking-time limit, ms from `granted_at` (the chair sets
    /// and extends it); absent: no limit.
    #[serde(default)]
    pub time_limit_ms: Option<i64>,
}

/// Longest speaking-time limit the chair may set: 4 hours.
pub const MAX_SPEAKING_TIME_MS: i64 = 4 * 3_600_000;

/// `PUT /v1/speakers/{id}/time-limit` (chair): the current speaker's limit,
/// counted from when they were given the floor (to add a minute, send the
/// limit plus 60,000); `null` lifts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpeakingTimeRequest {
    pub time_limit_ms: Option<i64>,
}

/// `PUT /v1/agenda/{id}/speakers/order`: the waiting requests in the new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReorderSpeakersRequest {
    pub order: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_request_debug_output_redacts_the_password() {
        let req = LoginRequest {
            username: "thu.ky".into(),
            password: "correct horse battery staple".into(),
            device: None,
        };
        let shown = format!("{req:?} {req:#?}");
        assert!(!shown.contains("correct horse"), "{shown}");
        assert!(
            shown.contains("thu.ky") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn patch_parent_tells_absent_from_null() {
        let absent: UpdateAgendaItemRequest = serde_json::from_str("{}").expect("json");
        assert_eq!(absent.parent_id, None);
        let null: UpdateAgendaItemRequest =
            serde_json::from_str(r#"{"parent_id":null}"#).expect("json");
        assert_eq!(null.parent_id, Some(None));
        let set: UpdateAgendaItemRequest =
            serde_json::from_str(r#"{"parent_id":"x"}"#).expect("json");
        assert_eq!(set.parent_id, Some(Some("x".into())));
    }

    #[test]
    fn motion_options_default_to_the_three_vietnamese_answers() {
        let m: CreateMotionRequest = serde_json::from_str(
            r#"{"question":"?","kind":"secret","majority":"two_thirds","quorum":5,"mode":"live"}"#,
        )
        .expect("json");
        assert_eq!(m.options, ["Đồng ý", "Không đồng ý", "Không biểu quyết"]);
        assert_eq!(m.majority, MajorityRule::TwoThirds);
        assert_eq!(
            MeetingStatus::parse("in_session"),
            Some(MeetingStatus::InSession)
        );
    }
}

/// Most entries one answer of the access register holds (newest first).
pub const MAX_ACCESS_ENTRIES: usize = 1000;

/// `GET /v1/documents/{document_id}/access-register` (the committee's
/// secretary or chair, an administrator): who fetched a classified
/// document's bytes from the server, from which device, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessRegisterView {
    pub document_id: String,
    /// Newest first, at most [`MAX_ACCESS_ENTRIES`].
    pub entries: Vec<AccessEntry>,
    /// Older entries exist beyond these.
    pub truncated: bool,
}

/// One fetch of a classified document's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub user_id: String,
    pub user_name: String,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    /// The version fetched (its number), and the classification it had then.
    pub version: u32,
    pub classification: crate::Classification,
    /// Server time, unix ms.
    pub at: i64,
}
