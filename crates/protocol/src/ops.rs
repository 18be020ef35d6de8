//! `POST /v1/ops`: the client's outbox, pushed in batches.
//!
//! Every operation carries a client-made id (UUIDv7 text). The server decides
//! each operation exactly once and stores the decision under that id, so a
//! batch sent again (a retry after a lost answer) gets the same results and
//! changes nothing.

use serde::{Deserialize, Serialize};

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// A ballot on a motion ([`BallotBody`]), signed by the device key.
    Ballot,
    /// The member checks in at a meeting ([`AttendanceBody`]).
    Attendance,
    /// The member asks to speak on an agenda item ([`SpeakBody`]).
    Speak,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Ballot => "ballot",
            OpKind::Attendance => "attendance",
            OpKind::Speak => "speak",
        }
    }

    pub fn parse(s: &str) -> Option<OpKind> {
        [OpKind::Ballot, OpKind::Attendance, OpKind::Speak]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A ballot as cast on the device. `signature` is the device's Ed25519
/// signature (standard base64) over `ecabinet_model::Ballot::signing_bytes`
/// of the same fields and the operation's `op_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// Presence at a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceWire {
    InRoom,
    Online,
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceRecordBody {
    pub id: String,
    pub meeting_id: String,
    pub member_id: String,
    pub presence: PresenceWire,
    pub reason: Option<String>,
    /// When the mark was made (device clock of the marker), unix ms.
    pub at: i64,
    /// Whether the chair made the mark (rather than the member).
    pub by_chair: bool,
    /// The operation that made the mark.
    pub op_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakBody {
    pub agenda_item_id: String,
    /// Device clock, unix ms.
    pub requested_at: i64,
}

/// One queued operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub op_id: String,
    pub kind: OpKind,
    /// The kind's body ([`BallotBody`], [`AttendanceBody`], [`SpeakBody`]).
    pub body: serde_json::Value,
}

/// `POST /v1/ops` request: at most [`MAX_OPS_PER_PUSH`] operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub ops: Vec<Operation>,
}

pub const MAX_OPS_PER_PUSH: usize = 500;

/// The server's decision on one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpOutcome {
    Accepted,
    /// A later ballot of the same member replaced this one.
    Superseded,
    /// Refused; `reason` is a stable snake_case code (`closed`,
    /// `not_eligible`, `unknown_motion`, `bad_signature`, `device_revoked`,
    /// `already_voted`, `not_open`, `invalid_choice`, `malformed`, `forbidden`, …).
    Rejected {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: String,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

/// `POST /v1/ops` response: one result per request operation, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<OpResult>,
}

/// Whether a result can still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultFinality {
    /// Ballots may still arrive (the motion is open, or in its grace period).
    Provisional,
    Final,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultOutcome {
    Adopted,
    /// The majority rule is not met (ties included).
    Rejected,
    /// Too few members present for any result.
    NoQuorum,
}

/// What the chair sees while a motion runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChairViewBody {
    /// Eligible members with an accepted ballot.
    pub received: u32,
    pub eligible: u32,
    /// Named motions: who has not voted; `None` for secret motions.
    pub not_voted: Option<Vec<String>>,
    pub not_voted_count: u32,
    /// Devices of members who have not voted that have not yet pulled the
    /// opening (the server does not track device cursors yet: always 0).
    pub unsynced_devices: u32,
}

/// `GET /v1/motions/{id}/result`, and (once final, without `chair`) the feed
/// entity `motion_result` whose `id` is the motion's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Only for the chair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chair: Option<ChairViewBody>,
}

/// `GET /v1/ops?ids=a,b,c`-free variant: the current result of operations
/// already pushed (a ballot first answered `accepted` may later be
/// `superseded`). Request body of `POST /v1/ops/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
                reason: "closed".into(),
            },
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
}
