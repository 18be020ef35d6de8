//! `POST /v1/ops`: the client's outbox, pushed in batches.
//!
//! Every operation carries a client-made id (UUIDv7 text). The server decides
//! each operation exactly once and stores the decision under that id, so a
//! batch sent again (a retry after a lost answer) gets the same results and
//! changes nothing.

use ecabinet_model::{AuditRecord, BallotToken, DeviceId, MemberId, MotionId, OpId, QualifiedSeal};
use serde::{Deserialize, Serialize};

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// A ballot on a motion ([`BallotBody`]), signed by the device key.
    Ballot,
    /// The member checks in at a meeting ([`AttendanceBody`]).
    Attendance,
    /// The member asks to speak on an agenda item ([`SpeakBody`]).
    Speak,
    /// A private annotation edit, end-to-end encrypted ([`crate::SealedAnnotation`]).
    Annotation,
    /// The member's device downloaded or opened a document version ([`ReadBody`]).
    Read,
    /// A comment on a published draft ([`crate::CommentBody`]).
    Comment,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Ballot => "ballot",
            OpKind::Attendance => "attendance",
            OpKind::Speak => "speak",
            OpKind::Annotation => "annotation",
            OpKind::Read => "read",
            OpKind::Comment => "comment",
        }
    }

    pub fn parse(s: &str) -> Option<OpKind> {
        [
            OpKind::Ballot,
            OpKind::Attendance,
            OpKind::Speak,
            OpKind::Annotation,
            OpKind::Read,
            OpKind::Comment,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A ballot as cast on the device. `signature` is the device's Ed25519
/// signature (standard base64) over `ecabinet_model::Ballot::signing_bytes`
/// of the same fields and the operation's `op_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BallotBody {
    pub motion_id: String,
    pub member_id: String,
    pub device_id: String,
    /// Index into the motion's options.
    pub choice: u32,
    /// Device clock, unix ms (the server corrects it by `clock_offset_ms`).
    pub cast_at: i64,
    /// The feed position the device had applied when the member voted.
    pub seen_seq: i64,
    /// The device's measured offset of the server clock over its own.
    pub clock_offset_ms: i64,
    pub signature: String,
    /// A second signature, made with the member's token (ký số), over the
    /// same bytes (and, for a written consultation, the hash of the opinion
    /// form it carries); required by a motion with `signed_ballots`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualified: Option<QualifiedSignatureBody>,
}

/// A ballot signed with the member's PKCS#11 token: the signature over
/// `ecabinet_model::Ballot::signing_bytes` (RSASSA-PKCS1-v1_5 with SHA-256
/// for an RSA key, DER ECDSA with SHA-256 for a P-256 key) and the
/// certificates to check it with, DER in standard base64. The server keeps
/// the certificate and puts its hash and the signature in the audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QualifiedSignatureBody {
    /// The signer's certificate.
    pub certificate: String,
    /// The certificates between it and a trusted root (the token's CA chain).
    #[serde(default)]
    pub chain: Vec<String>,
    pub signature: String,
    /// A written consultation's opinion form (phiếu lấy ý kiến): a PDF
    /// signed with the same token (PAdES, covering the whole file), standard
    /// base64, at most [`MAX_OPINION_FORM_BYTES`]. The token's signature is
    /// then over `ecabinet_model::Ballot::qualified_bytes` with its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opinion_form: Option<String>,
}

/// Largest opinion form a ballot may carry (the form the app writes is one
/// page with subsets of two fonts and its signature, about 75 KB).
pub const MAX_OPINION_FORM_BYTES: usize = 512 * 1024;

/// Presence at a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceWire {
    InRoom,
    Online,
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttendanceBody {
    pub meeting_id: String,
    /// Whose presence: the caller, or any member when the chair marks it.
    pub member_id: String,
    pub presence: PresenceWire,
    #[serde(default)]
    pub reason: Option<String>,
    /// Device clock, unix ms.
    pub at: i64,
}

/// Feed entity `attendance`: the latest mark of one member at one meeting.
/// `id` is `"{meeting_id}:{member_id}"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttendanceRecordBody {
    pub id: String,
    pub meeting_id: String,
    pub member_id: String,
    pub presence: PresenceWire,
    pub reason: Option<String>,
    /// When the mark was made (device clock of the marker, clamped to when
    /// the server received it), unix ms.
    pub at: i64,
    /// Whether the chair made the mark (rather than the member).
    pub by_chair: bool,
    /// The operation that made the mark.
    pub op_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SpeakBody {
    pub agenda_item_id: String,
    /// Device clock, unix ms.
    pub requested_at: i64,
}

/// How far a member got with a document version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadState {
    /// The verified bytes are on the device.
    Downloaded,
    /// The member opened it in the viewer.
    Opened,
}

impl ReadState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadState::Downloaded => "downloaded",
            ReadState::Opened => "opened",
        }
    }
}

/// A read report: the caller's device `state`d a document version. Only
/// committees with read status on accept it (else `not_enabled`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadBody {
    pub version_id: String,
    pub state: ReadState,
    /// Device clock, unix ms.
    pub at: i64,
}

/// One queued operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Operation {
    pub op_id: String,
    pub kind: OpKind,
    /// The kind's body ([`BallotBody`], [`AttendanceBody`], [`SpeakBody`]).
    pub body: serde_json::Value,
}

/// `POST /v1/ops` request: at most [`MAX_OPS_PER_PUSH`] operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushRequest {
    pub ops: Vec<Operation>,
}

pub const MAX_OPS_PER_PUSH: usize = 500;

/// The server's decision on one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpOutcome {
    Accepted,
    /// A later ballot of the same member replaced this one.
    Superseded,
    /// Refused, for one of a closed set of reasons.
    Rejected {
        reason: RejectReason,
    },
}

/// Why the server refused an operation: a stable snake_case code on the wire
/// and in the server's `ops` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// A ballot for a motion that does not exist or that the member cannot see.
    UnknownMotion,
    /// A ballot whose signature does not verify with the member's device key.
    BadSignature,
    /// A ballot signed by a revoked device.
    DeviceRevoked,
    /// A ballot or attendance mark for someone not entitled to it.
    NotEligible,
    /// A choice that is not one of the motion's options.
    InvalidChoice,
    /// A ballot cast before the motion opened.
    NotOpen,
    /// A ballot cast or received after voting ended.
    Closed,
    /// A second ballot where the motion does not allow changing one's vote.
    AlreadyVoted,
    /// An operation whose body does not parse, or an id out of bounds.
    Malformed,
    /// An operation the member may not do (another member's ballot, a
    /// chair's mark by a member, another device's annotation).
    Forbidden,
    /// The operation names a record that does not exist or is not visible.
    NotFound,
    /// The record's state does not allow it (e.g. already in the speaker queue).
    Conflict,
    /// The meeting is closed.
    MeetingClosed,
    /// A read report for a document version the member cannot see.
    UnknownDocument,
    /// A feature the committee has switched off (read status).
    NotEnabled,
    /// A ballot of a motion that takes ballots signed with the member's
    /// token without a valid one (missing, not matching the ballot, not
    /// from a trusted CA, expired or revoked), or carrying an invalid one.
    QualifiedSignature,
    /// A ballot signed with a token whose certificate is valid but not one
    /// an administrator registered to the member who cast it.
    CertificateNotRegistered,
    /// A limit of the record is reached (a member's comments on one
    /// document, or the document's).
    LimitReached,
    /// A ballot whose token signature holds, but the deployment keeps
    /// revocation lists of the certificate's CA and none is current: the
    /// administrator must install a current list before it can count.
    RevocationUnknown,
    /// A written consultation's ballot signed with the token but without
    /// its opinion form, or with a form that is not a PDF signed, whole and
    /// unchanged, with the ballot's certificate.
    OpinionForm,
    /// A reason from a newer server that this build does not know; the
    /// operation is still refused.
    #[serde(other)]
    Unknown,
}

impl RejectReason {
    /// Every reason but [`RejectReason::Unknown`].
    pub const KNOWN: [RejectReason; 20] = [
        RejectReason::UnknownMotion,
        RejectReason::BadSignature,
        RejectReason::DeviceRevoked,
        RejectReason::NotEligible,
        RejectReason::InvalidChoice,
        RejectReason::NotOpen,
        RejectReason::Closed,
        RejectReason::AlreadyVoted,
        RejectReason::Malformed,
        RejectReason::Forbidden,
        RejectReason::NotFound,
        RejectReason::Conflict,
        RejectReason::MeetingClosed,
        RejectReason::UnknownDocument,
        RejectReason::NotEnabled,
        RejectReason::QualifiedSignature,
        RejectReason::CertificateNotRegistered,
        RejectReason::LimitReached,
        RejectReason::RevocationUnknown,
        RejectReason::OpinionForm,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::UnknownMotion => "unknown_motion",
            RejectReason::BadSignature => "bad_signature",
            RejectReason::DeviceRevoked => "device_revoked",
            RejectReason::NotEligible => "not_eligible",
            RejectReason::InvalidChoice => "invalid_choice",
            RejectReason::NotOpen => "not_open",
            RejectReason::Closed => "closed",
            RejectReason::AlreadyVoted => "already_voted",
            RejectReason::Malformed => "malformed",
            RejectReason::Forbidden => "forbidden",
            RejectReason::NotFound => "not_found",
            RejectReason::Conflict => "conflict",
            RejectReason::MeetingClosed => "meeting_closed",
            RejectReason::UnknownDocument => "unknown_document",
            RejectReason::NotEnabled => "not_enabled",
            RejectReason::QualifiedSignature => "qualified_signature",
            RejectReason::CertificateNotRegistered => "certificate_not_registered",
            RejectReason::LimitReached => "limit_reached",
            RejectReason::RevocationUnknown => "revocation_unknown",
            RejectReason::OpinionForm => "opinion_form",
            RejectReason::Unknown => "unknown",
        }
    }

    /// Reads [`RejectReason::as_str`]'s name; any other text is `Unknown`.
    pub fn parse(s: &str) -> RejectReason {
        RejectReason::KNOWN
            .into_iter()
            .find(|r| r.as_str() == s)
            .unwrap_or(RejectReason::Unknown)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpResult {
    pub op_id: String,
    #[serde(flatten)]
    pub outcome: OpOutcome,
    /// For an accepted (or since superseded) ballot of a named motion: where
    /// its audit record is. Secret ballots have none until the result is
    /// final; the client then derives its record itself
    /// ([`secret_ballot_record`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<BallotReceipt>,
}

/// A ballot's place in the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BallotReceipt {
    /// Hex SHA-256 of the record's canonical bytes (`AuditRecord::receipt`).
    pub hash: String,
    /// Its position in the chain (1-based).
    pub seq: i64,
}

/// One audit record on the wire: the fields of `ecabinet_model::AuditRecord`,
/// byte strings in hex, so a client can recompute every chain head. This is
/// the one mapping between the model record and JSON: the server also keeps
/// its audit rows in this form (`audit_log.record`), so a change must still
/// read the rows already stored. The chain hashes the model's canonical
/// bytes, never this text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuditRecordWire {
    MotionCreated {
        motion_id: String,
        digest: String,
    },
    MotionOpened {
        motion_id: String,
        at: i64,
        seq: i64,
    },
    MotionClosed {
        motion_id: String,
        at: i64,
    },
    NamedBallot {
        motion_id: String,
        op_id: String,
        member_id: String,
        choice: u32,
        cast_at: i64,
        /// A token-signed ballot: its certificate's SHA-256 and the
        /// signature, hex (absent otherwise, as in records made before).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        certificate_sha256: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qualified_signature: Option<String>,
        /// With a token signature: the rest of the bytes it signed (the
        /// device, its own cast time, the feed position it had seen).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_cast_at: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen_seq: Option<i64>,
        /// A written consultation's ballot: the SHA-256 (hex) of the opinion
        /// form signed with it, which the token's signature also covers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        opinion_sha256: Option<String>,
    },
    SecretBallot {
        motion_id: String,
        token: String,
        choice: u32,
        closed_at: i64,
    },
}

impl AuditRecordWire {
    pub fn from_model(r: &AuditRecord) -> AuditRecordWire {
        match r {
            AuditRecord::MotionCreated { motion_id, digest } => AuditRecordWire::MotionCreated {
                motion_id: motion_id.as_str().to_owned(),
                digest: crate::hex::encode(digest),
            },
            AuditRecord::MotionOpened { motion_id, at, seq } => AuditRecordWire::MotionOpened {
                motion_id: motion_id.as_str().to_owned(),
                at: *at,
                seq: *seq,
            },
            AuditRecord::MotionClosed { motion_id, at } => AuditRecordWire::MotionClosed {
                motion_id: motion_id.as_str().to_owned(),
                at: *at,
            },
            AuditRecord::NamedBallot {
                motion_id,
                op_id,
                member_id,
                choice,
                cast_at,
                qualified,
            } => AuditRecordWire::NamedBallot {
                motion_id: motion_id.as_str().to_owned(),
                op_id: op_id.as_str().to_owned(),
                member_id: member_id.as_str().to_owned(),
                choice: *choice,
                cast_at: *cast_at,
                certificate_sha256: qualified
                    .as_ref()
                    .map(|q| crate::hex::encode(&q.certificate_sha256)),
                qualified_signature: qualified.as_ref().map(|q| crate::hex::encode(&q.signature)),
                device_id: qualified.as_ref().map(|q| q.device_id.as_str().to_owned()),
                device_cast_at: qualified.as_ref().map(|q| q.device_cast_at),
                seen_seq: qualified.as_ref().map(|q| q.seen_seq),
                opinion_sha256: qualified
                    .as_ref()
                    .and_then(|q| q.opinion_sha256.as_ref())
                    .map(|h| crate::hex::encode(h)),
            },
            AuditRecord::SecretBallot {
                motion_id,
                token,
                choice,
                closed_at,
            } => AuditRecordWire::SecretBallot {
                motion_id: motion_id.as_str().to_owned(),
                token: crate::hex::encode(&token.0),
                choice: *choice,
                closed_at: *closed_at,
            },
        }
    }

    /// The model record, `None` if a hex field is malformed.
    pub fn to_model(&self) -> Option<AuditRecord> {
        Some(match self {
            AuditRecordWire::MotionCreated { motion_id, digest } => AuditRecord::MotionCreated {
                motion_id: MotionId::new(motion_id.as_str()),
                digest: crate::hex::decode_array(digest)?,
            },
            AuditRecordWire::MotionOpened { motion_id, at, seq } => AuditRecord::MotionOpened {
                motion_id: MotionId::new(motion_id.as_str()),
                at: *at,
                seq: *seq,
            },
            AuditRecordWire::MotionClosed { motion_id, at } => AuditRecord::MotionClosed {
                motion_id: MotionId::new(motion_id.as_str()),
                at: *at,
            },
            AuditRecordWire::NamedBallot {
                motion_id,
                op_id,
                member_id,
                choice,
                cast_at,
                certificate_sha256,
                qualified_signature,
                device_id,
                device_cast_at,
                seen_seq,
                opinion_sha256,
            } => AuditRecord::NamedBallot {
                motion_id: MotionId::new(motion_id.as_str()),
                op_id: OpId::new(op_id.as_str()),
                member_id: MemberId::new(member_id.as_str()),
                choice: *choice,
                cast_at: *cast_at,
                qualified: match (
                    certificate_sha256,
                    qualified_signature,
                    device_id,
                    device_cast_at,
                    seen_seq,
                ) {
                    (None, None, None, None, None) => None,
                    (Some(c), Some(s), Some(d), Some(at), Some(seen)) => Some(QualifiedSeal {
                        certificate_sha256: crate::hex::decode_array(c)?,
                        signature: crate::hex::decode(s)?,
                        device_id: DeviceId::new(d.as_str()),
                        device_cast_at: *at,
                        seen_seq: *seen,
                        opinion_sha256: match opinion_sha256 {
                            Some(h) => Some(crate::hex::decode_array(h)?),
                            None => None,
                        },
                    }),
                    _ => return None,
                },
            },
            AuditRecordWire::SecretBallot {
                motion_id,
                token,
                choice,
                closed_at,
            } => AuditRecord::SecretBallot {
                motion_id: MotionId::new(motion_id.as_str()),
                token: BallotToken(crate::hex::decode_array(token)?),
                choice: *choice,
                closed_at: *closed_at,
            },
        })
    }
}

/// The audit record a secret ballot is sealed as once its motion's result
/// is final (`sealed_at` from [`MotionResultBody::ballots_sealed_at`]): the
/// member's client rebuilds it from its own ballot to find its receipt.
pub fn secret_ballot_record(
    motion_id: &str,
    signature: &[u8],
    choice: u32,
    sealed_at: i64,
) -> AuditRecord {
    AuditRecord::SecretBallot {
        motion_id: MotionId::new(motion_id),
        token: BallotToken::from_signature(signature),
        choice,
        closed_at: sealed_at,
    }
}

/// `GET /v1/audit/inclusion/{receipt}` response: the records from the one
/// with the receipt up to the head published with its motion's final
/// result, and the head just before it. A client re-hashes them from
/// `start_head` and compares the end with the head it got from the feed
/// (`ecabinet_model::verify_inclusion`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InclusionProofBody {
    pub receipt: String,
    pub motion_id: String,
    /// Seq of the record with the receipt.
    pub seq: i64,
    /// Hex head before that record.
    pub start_head: String,
    /// That record and every later one up to the published head, in order.
    pub records: Vec<AuditRecordWire>,
    /// Hex head after the last record: the motion's published `audit_head`.
    pub head: String,
}

/// `POST /v1/ops` response: one result per request operation, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushResponse {
    pub results: Vec<OpResult>,
}

/// Whether a result can still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultFinality {
    /// Ballots may still arrive (the motion is open, or in its grace period).
    Provisional,
    Final,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultOutcome {
    Adopted,
    /// The majority rule is not met (ties included).
    Rejected,
    /// Too few members present for any result.
    NoQuorum,
}

/// What the chair sees while a motion runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChairViewBody {
    /// Eligible members with an accepted ballot.
    pub received: u32,
    pub eligible: u32,
    /// Named motions: who has not voted; `None` for secret motions.
    pub not_voted: Option<Vec<String>>,
    pub not_voted_count: u32,
    /// Active (not revoked) devices of eligible members that have not
    /// pushed or pulled since the motion opened.
    pub unsynced_devices: u32,
}

/// `GET /v1/motions/{id}/result`, and (once final, without `chair`) the feed
/// entity `motion_result` whose `id` is the motion's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MotionResultBody {
    pub id: String,
    pub motion_id: String,
    pub finality: ResultFinality,
    /// Ballots per option, indexed like the motion's options.
    pub counts: Vec<u32>,
    pub approve: u32,
    pub reject: u32,
    pub abstain: u32,
    /// Members with an accepted ballot.
    pub participating: u32,
    /// Eligible members present (marked present, or voted).
    pub present: u32,
    pub eligible: u32,
    pub quorum_required: u32,
    pub quorum_met: bool,
    pub outcome: ResultOutcome,
    /// Hex SHA-256 head of the audit chain once the result is final and published.
    pub audit_head: Option<String>,
    /// Secret motions, once published: the `closed_at` stamped on every
    /// sealed ballot record (see [`secret_ballot_record`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballots_sealed_at: Option<i64>,
    /// Only for the chair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chair: Option<ChairViewBody>,
}

/// `GET /v1/ops?ids=a,b,c`-free variant: the current result of operations
/// already pushed (a ballot first answered `accepted` may later be
/// `superseded`). Request body of `POST /v1/ops/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpsStatusRequest {
    pub op_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_have_a_flat_status_field() {
        let r = OpResult {
            op_id: "x".into(),
            outcome: OpOutcome::Rejected {
                reason: RejectReason::Closed,
            },
            receipt: None,
        };
        assert_eq!(
            serde_json::to_value(&r).expect("json"),
            serde_json::json!({"op_id": "x", "status": "rejected", "reason": "closed"})
        );
        let a: OpResult =
            serde_json::from_value(serde_json::json!({"op_id": "y", "status": "accepted"}))
                .expect("json");
        assert_eq!(a.outcome, OpOutcome::Accepted);
        assert_eq!(OpKind::parse("speak"), Some(OpKind::Speak));
    }

    #[test]
    fn reject_reasons_keep_their_names_and_an_unknown_one_is_still_a_refusal() {
        for r in RejectReason::KNOWN {
            let json = serde_json::to_value(r).expect("json");
            assert_eq!(json, serde_json::json!(r.as_str()));
            assert_eq!(RejectReason::parse(r.as_str()), r);
            assert_eq!(
                serde_json::from_value::<RejectReason>(json).expect("back"),
                r
            );
        }
        let names: std::collections::BTreeSet<&str> =
            RejectReason::KNOWN.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), RejectReason::KNOWN.len(), "names are distinct");
        let newer: OpResult = serde_json::from_value(serde_json::json!(
            {"op_id": "z", "status": "rejected", "reason": "quorum_left"}
        ))
        .expect("a reason this build does not know still reads");
        assert_eq!(
            newer.outcome,
            OpOutcome::Rejected {
                reason: RejectReason::Unknown
            }
        );
    }

    #[test]
    fn read_reports_have_their_documented_shape() {
        assert_eq!(OpKind::parse("read"), Some(OpKind::Read));
        let body: ReadBody = serde_json::from_value(
            serde_json::json!({"version_id": "v1", "state": "opened", "at": 5}),
        )
        .expect("json");
        assert_eq!(body.state, ReadState::Opened);
        assert_eq!(body.state.as_str(), "opened");
        // A committee from an older server's feed has no setting: read status is off.
        let c: crate::CommitteeBody =
            serde_json::from_value(serde_json::json!({"id": "c", "name": "n"})).expect("json");
        assert!(!c.read_status);
    }
}

/// One opinion form (phiếu lấy ý kiến) of a written consultation: the PDF
/// a member signed with their token together with the ballot
/// (`GET /v1/motions/{motion_id}/opinions/{op_id}` gives its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpinionFormBody {
    /// The ballot it came with.
    pub op_id: String,
    pub member_id: String,
    pub member_name: Option<String>,
    /// The ballot's choice (index into the motion's options).
    pub choice: u32,
    /// Whether its ballot still counts (a later ballot of the member
    /// replaces it while the motion is open).
    pub counting: bool,
    /// SHA-256 (hex) of the PDF, as the token signature and audit record hold it.
    pub sha256: String,
    pub size: u64,
    /// Server time, unix ms, when it was accepted.
    pub received_at: i64,
}

/// A motion's opinion forms, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpinionFormList {
    pub forms: Vec<OpinionFormBody>,
}

/// What an opinion form (phiếu lấy ý kiến) says, as the member's device
/// writes it before signing it with the token: laid out by
/// `ecabinet_pdf::opinion_form`, gathered from the cache by
/// `ecabinet_sync::opinion_form_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionFormText {
    /// The committee (ủy ban) consulted; empty when the cache has none.
    pub committee: String,
    pub meeting: String,
    pub question: String,
    pub options: Vec<String>,
    /// Index into `options`: the member's opinion.
    pub choice: u32,
    /// The member's name as the committee lists it.
    pub member: String,
    /// When it was signed, as printed (Vietnam time).
    pub signed_at: String,
    /// The written consultation's deadline, as printed.
    pub deadline: Option<String>,
    pub motion_id: String,
}
