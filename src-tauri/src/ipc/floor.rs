//! IPC types of one feature: the floor of a meeting: motions, ballots, results, speakers and members.

use serde::Serialize;
use ts_rs::TS;

/// Where one of my ballots stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BallotStateView {
    /// Recorded on this device, not yet sent (offline, or about to be sent).
    Pending,
    /// Sent; the server's answer has not arrived yet.
    Sent,
    /// Counted.
    Accepted,
    /// Replaced by a later ballot of mine.
    Superseded,
    /// Refused; `reason` is the server's code (`closed`, `not_eligible`, …),
    /// which the UI turns into a sentence.
    Rejected { reason: String },
}

/// One ballot I cast, with its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BallotView {
    pub op_id: String,
    pub motion_id: String,
    /// Index into the motion's options.
    pub choice: u32,
    /// Device clock, unix ms.
    #[ts(type = "number")]
    pub cast_at: i64,
    pub state: BallotStateView,
}

/// A motion's tally: the published final result, or the chair's live view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResultView {
    /// No more ballots can change it.
    pub is_final: bool,
    /// Ballots per option, indexed like the motion's options.
    pub counts: Vec<u32>,
    /// Members with an accepted ballot.
    pub participating: u32,
    /// Eligible members present.
    pub present: u32,
    pub eligible: u32,
    pub quorum_required: u32,
    pub quorum_met: bool,
    /// `adopted`, `rejected` or `no_quorum`.
    pub outcome: String,
    /// The audit chain head the final result was published with.
    pub audit_head: Option<String>,
}

/// What only the chair sees while a motion runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChairCountView {
    /// Eligible members whose ballot was received.
    pub received: u32,
    pub eligible: u32,
    /// Named motions: the names of those who have not voted; `null` for secret ones.
    pub not_voted: Option<Vec<String>>,
    pub not_voted_count: u32,
    /// Eligible devices that have not reported since the motion opened.
    pub unsynced_devices: u32,
}

/// One opinion form (phiếu lấy ý kiến) of a written consultation, as the
/// server lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpinionFormView {
    pub op_id: String,
    pub member: String,
    /// The option chosen, as the motion words it.
    pub choice: String,
    /// Whether its ballot still counts (not replaced by a later one).
    pub counting: bool,
    #[ts(type = "number")]
    pub received_at: i64,
}

/// One form saved by `save_opinion_forms`: where, and its signature's
/// verdict on this device (`valid`, `invalid`, …, as the document badge's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedOpinionFormView {
    pub member: String,
    pub path: String,
    pub verdict: String,
}

/// The answer of `chair_motion_result`, straight from the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChairResultView {
    pub motion_id: String,
    pub result: ResultView,
    pub chair: Option<ChairCountView>,
}

/// A motion as cached, with my ballot and its published result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MotionView {
    pub id: String,
    pub meeting_id: String,
    pub meeting_title: String,
    pub agenda_item_id: String,
    pub question: String,
    pub options: Vec<String>,
    /// `named` or `secret`.
    pub kind: String,
    /// `live` or `written`.
    pub mode: String,
    /// `draft`, `open` or `closed`.
    pub status: String,
    /// Written consultations: when voting ends, unix ms.
    #[ts(type = "number | null")]
    pub deadline: Option<i64>,
    #[ts(type = "number | null")]
    pub opened_at: Option<i64>,
    #[ts(type = "number | null")]
    pub closed_at: Option<i64>,
    /// Live motions: how long after closing offline ballots still count, ms.
    #[ts(type = "number")]
    pub grace_ms: i64,
    pub may_change_vote: bool,
    /// Each ballot must also be signed with the member's token (ký số).
    pub signed_ballots: bool,
    /// Members that must take part for the result to count.
    pub quorum: u32,
    /// Whether I may vote on it.
    pub eligible: bool,
    /// My latest ballot on it.
    pub my_ballot: Option<BallotView>,
    /// The published final result.
    pub result: Option<ResultView>,
}

/// A request to speak on an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpeakerView {
    pub id: String,
    pub agenda_item_id: String,
    pub user_id: String,
    pub display_name: String,
    /// `waiting`, `speaking`, `done` or `withdrawn`.
    pub status: String,
    #[ts(type = "number")]
    pub position: i64,
    #[ts(type = "number")]
    pub requested_at: i64,
    /// When the chair gave the floor, server time, unix ms.
    #[ts(type = "number | null")]
    pub granted_at: Option<i64>,
    /// The turn's time limit, ms from `granted_at`; `null`: none.
    #[ts(type = "number | null")]
    pub time_limit_ms: Option<i64>,
}

/// A member of the meeting's committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: String,
    pub display_name: String,
    /// `member`, `secretary` or `chair`.
    pub role: String,
    /// `in_room`, `online`, `absent`, or `null` when not marked yet.
    pub presence: Option<String>,
}

/// What happens in the meeting room: my role, the motions, the speaker
/// queue, the attendance. Answer of `meeting_floor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MeetingFloor {
    pub meeting_id: String,
    pub my_user_id: String,
    /// My role in the meeting's committee, if any.
    pub my_role: Option<String>,
    pub motions: Vec<MotionView>,
    pub speakers: Vec<SpeakerView>,
    pub members: Vec<MemberView>,
    /// My check-in is recorded on this device but not yet answered.
    pub check_in_pending: bool,
    /// I asked to speak on these items and the server has not answered yet.
    pub speak_pending: Vec<String>,
    /// The server's clock minus this device's, ms, as last measured: the
    /// speaking timer counts in server time.
    #[ts(type = "number")]
    pub clock_offset_ms: i64,
}
