//! Ballots and the per-operation decision the server makes about each one.

use crate::encoding::Canonical;
use crate::ids::{DeviceId, MemberId, MotionId, OpId};
use crate::motion::{Motion, MotionState};

/// How far (ms) a ballot's corrected `cast_at` may lie before the motion's
/// opening and still be believed: a device whose `seen_seq` proves it saw the
/// opening but whose clock says it voted earlier is off by a little; by more
/// than this, its time is not trusted and the ballot is refused as not open.
pub const CLOCK_TOLERANCE_MS: i64 = 5_000;

/// A member's vote as the device recorded it; an outbox operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ballot {
    pub op_id: OpId,
    pub motion_id: MotionId,
    pub member_id: MemberId,
    pub device_id: DeviceId,
    /// Index into the motion's options.
    pub choice: u32,
    /// Device clock, unix ms, when the member voted.
    pub cast_at: i64,
    /// The last feed sequence number the device had applied when voting.
    pub seen_seq: i64,
}

impl Ballot {
    /// Domain string that starts [`Ballot::signing_bytes`].
    pub const SIGNING_DOMAIN: &'static str = "ecabinet.ballot.v1";
    /// What follows the signing bytes when the token also signs an opinion form.
    pub const OPINION_DOMAIN: &'static str = "ecabinet.ballot.opinion-form.v1";

    /// The exact bytes the device signs (Ed25519, checked by the caller):
    /// the domain string then op_id, motion_id, member_id, device_id, choice
    /// (u32 BE), cast_at (i64 BE), seen_seq (i64 BE), each as an 8-byte
    /// big-endian length followed by the bytes.
    pub fn signing_bytes(&self) -> Vec<u8> {
        Canonical::new(Self::SIGNING_DOMAIN)
            .str(self.op_id.as_str())
            .str(self.motion_id.as_str())
            .str(self.member_id.as_str())
            .str(self.device_id.as_str())
            .u32(self.choice)
            .i64(self.cast_at)
            .i64(self.seen_seq)
            .finish()
    }

    /// The bytes the member's token signs: [`Ballot::signing_bytes`], and
    /// for a written consultation the SHA-256 of the opinion form (phiếu
    /// lấy ý kiến) signed with it, so the form cannot be swapped for
    /// another of the member's.
    pub fn qualified_bytes(&self, opinion_sha256: Option<&[u8; 32]>) -> Vec<u8> {
        let mut bytes = self.signing_bytes();
        if let Some(hash) = opinion_sha256 {
            bytes.extend(Canonical::new(Self::OPINION_DOMAIN).bytes(hash).finish());
        }
        bytes
    }
}

/// What the server knows about one ballot's arrival, besides the ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arrival {
    /// Server clock, unix ms, when the ballot reached the server.
    pub received_at: i64,
    /// The device's measured offset: `server time = device time + offset`.
    pub clock_offset_ms: i64,
    /// The signature verifies under the key of `device_id`, and that device is
    /// enrolled to `member_id` (a device voting for someone else is a bad signature).
    pub signature_valid: bool,
    pub device_revoked: bool,
}

impl Arrival {
    /// `cast_at` in server time, clamped to `received_at`: a ballot cannot
    /// have been cast after it arrived, so a later claim (a clock or offset
    /// running ahead) is not trusted and the ballot is judged as cast when the
    /// server saw it. Clamping only ever moves the time to an instant the
    /// server witnessed, so it cannot make a late ballot on time.
    pub fn corrected_cast_at(&self, ballot: &Ballot) -> i64 {
        ballot
            .cast_at
            .saturating_add(self.clock_offset_ms)
            .min(self.received_at)
    }
}

/// The member's ballot that currently counts for this motion, if any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PriorBallot {
    pub op_id: OpId,
    /// Its effective cast time (server time, as in [`Decision::Accept`]).
    pub cast_at: i64,
}

/// Why a ballot is refused. The first applicable reason, in this order, is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// No such motion (or the ballot names another motion).
    UnknownMotion,
    /// The signature does not verify, or the device is not the member's.
    BadSignature,
    DeviceRevoked,
    /// The member is not among the motion's eligible members.
    NotEligible,
    /// `choice` is not an index of the motion's options.
    InvalidChoice,
    /// Cast before the motion opened: a draft motion, `seen_seq` before the
    /// opening, or a corrected `cast_at` more than [`CLOCK_TOLERANCE_MS`] before it.
    NotOpen,
    /// Cast at or after the end of voting, or (live) received at or after the
    /// end of the grace period, or (written) received at or after the deadline.
    Closed,
    /// The member already has an accepted ballot and the motion does not allow changes.
    AlreadyVoted,
}

impl RejectReason {
    /// Stable name for the wire and storage.
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
        }
    }
}

/// The server's verdict on one ballot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Counts from now on. `cast_at` is the effective cast time (server time)
    /// to store: later supersession compares it.
    Accept {
        cast_at: i64,
    },
    /// Counts from now on, and the member's `previous` ballot is superseded.
    AcceptReplacing {
        cast_at: i64,
        previous: OpId,
    },
    /// On time and valid, but the member's accepted ballot `by` was cast later
    /// (or at the same instant with a greater op id), so this one never counts.
    Superseded {
        by: OpId,
    },
    Rejected(RejectReason),
}

/// Decides one ballot, given the motion and its state (`None` when the server
/// has no such motion), the arrival facts, and the member's ballot that
/// currently counts for this motion (`prior`).
///
/// Checks, in order: the motion exists and matches; signature; device not
/// revoked; member eligible; choice valid; on time; prior ballot. On time
/// means, with `t = arrival.corrected_cast_at(ballot)`:
/// - the motion has opened, `seen_seq >= opened_seq`, and
///   `t >= opened_at - CLOCK_TOLERANCE_MS` (else `NotOpen`); `t` is then
///   raised to `opened_at` if below it, since `seen_seq` proves the device
///   voted after seeing the opening;
/// - `t < voting_ends` (chair's close, or a written motion's deadline), and
///   `received_at < receiving_ends` (close + grace for live, the deadline for
///   written) (else `Closed`). An open live motion has no end yet.
///
/// With a prior ballot: the same op id returns `Accept` with the prior's time
/// (a retry); otherwise `AlreadyVoted` unless the motion allows changes, in
/// which case the later of the two by `(cast_at, op_id)` wins.
pub fn decide(
    motion: Option<(&Motion, &MotionState)>,
    ballot: &Ballot,
    arrival: &Arrival,
    prior: Option<&PriorBallot>,
) -> Decision {
    use RejectReason::*;
    let Some((motion, state)) = motion else {
        return Decision::Rejected(UnknownMotion);
    };
    if motion.id() != &ballot.motion_id {
        return Decision::Rejected(UnknownMotion);
    }
    if !arrival.signature_valid {
        return Decision::Rejected(BadSignature);
    }
    if arrival.device_revoked {
        return Decision::Rejected(DeviceRevoked);
    }
    if !motion.is_eligible(&ballot.member_id) {
        return Decision::Rejected(NotEligible);
    }
    if motion.stance(ballot.choice).is_none() {
        return Decision::Rejected(InvalidChoice);
    }
    let cast_at = match on_time_cast_at(motion, state, ballot, arrival) {
        Ok(t) => t,
        Err(reason) => return Decision::Rejected(reason),
    };
    let Some(prior) = prior else {
        return Decision::Accept { cast_at };
    };
    if prior.op_id == ballot.op_id {
        return Decision::Accept {
            cast_at: prior.cast_at,
        };
    }
    if !motion.may_change_vote() {
        return Decision::Rejected(AlreadyVoted);
    }
    if (cast_at, &ballot.op_id) > (prior.cast_at, &prior.op_id) {
        Decision::AcceptReplacing {
            cast_at,
            previous: prior.op_id.clone(),
        }
    } else {
        Decision::Superseded {
            by: prior.op_id.clone(),
        }
    }
}

/// The effective cast time of an on-time ballot, or why it is not on time.
fn on_time_cast_at(
    motion: &Motion,
    state: &MotionState,
    ballot: &Ballot,
    arrival: &Arrival,
) -> Result<i64, RejectReason> {
    let Some((opened_at, opened_seq)) = state.opening() else {
        return Err(RejectReason::NotOpen);
    };
    let corrected = arrival.corrected_cast_at(ballot);
    if ballot.seen_seq < opened_seq || corrected < opened_at.saturating_sub(CLOCK_TOLERANCE_MS) {
        return Err(RejectReason::NotOpen);
    }
    let cast_at = corrected.max(opened_at);
    if let Some(ends) = motion.voting_ends(state) {
        if cast_at >= ends {
            return Err(RejectReason::Closed);
        }
    }
    if let Some(ends) = motion.receiving_ends(state) {
        if arrival.received_at >= ends {
            return Err(RejectReason::Closed);
        }
    }
    Ok(cast_at)
}
