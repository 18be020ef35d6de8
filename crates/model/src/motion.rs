//! Motions: the question, its options and rules, and its open/closed state.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use crate::encoding::Canonical;
use crate::ids::{MemberId, MotionId};

/// Offline grace period of a live motion when the chair sets none: 2 minutes.
pub const DEFAULT_GRACE_MS: i64 = 120_000;

/// Whether ballots are linked to their voters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BallotKind {
    /// Everyone can see who chose what.
    Named,
    /// Only *that* a member voted is recorded with the member; the ballot is not.
    Secret,
}

/// How the approving votes are compared. In every rule a tie is **not** adopted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MajorityRule {
    /// Adopted when approving votes outnumber rejecting votes; abstentions
    /// and members who did not vote do not count either way.
    Simple,
    /// Adopted when approving votes are more than half of the members present
    /// (`2 * approve > present`).
    Absolute,
    /// Adopted when approving votes are at least two thirds of the eligible
    /// members (`3 * approve >= 2 * eligible`).
    TwoThirds,
}

/// What choosing an option means for the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stance {
    Approve,
    Reject,
    /// Counts as participation (and presence) but neither for nor against.
    Abstain,
}

/// One choice on the ballot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoteOption {
    pub label: String,
    pub stance: Stance,
}

impl VoteOption {
    pub fn new(label: impl Into<String>, stance: Stance) -> Self {
        VoteOption {
            label: label.into(),
            stance,
        }
    }

    /// Đồng ý / Không đồng ý / Không biểu quyết (agree / disagree / abstain),
    /// at indices 0, 1 and 2.
    pub fn defaults() -> Vec<VoteOption> {
        vec![
            VoteOption::new("Đồng ý", Stance::Approve),
            VoteOption::new("Không đồng ý", Stance::Reject),
            VoteOption::new("Không biểu quyết", Stance::Abstain),
        ]
    }
}

/// How many eligible members must be present for a result to stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quorum {
    /// At least this many.
    AtLeast(u32),
    /// More than half of the eligible members.
    MoreThanHalfOfEligible,
}

/// How the motion opens and when voting ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MotionMode {
    /// Opened and closed by the chair in session. Ballots cast before the close
    /// on a device that was offline are accepted until `closed_at + grace_ms`.
    Live { grace_ms: i64 },
    /// Written consultation: open from publication until `deadline` (unix ms);
    /// ballots must reach the server before the deadline; no grace period.
    Written { deadline: i64 },
}

impl MotionMode {
    /// A live motion with the default grace period.
    pub fn live() -> Self {
        MotionMode::Live {
            grace_ms: DEFAULT_GRACE_MS,
        }
    }
}

/// Everything the secretary or chair sets when creating a motion; checked by
/// [`Motion::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotionSpec {
    pub id: MotionId,
    pub question: String,
    /// A ballot's `choice` is an index into this list.
    pub options: Vec<VoteOption>,
    pub kind: BallotKind,
    pub rule: MajorityRule,
    pub quorum: Quorum,
    pub eligible: BTreeSet<MemberId>,
    /// Whether a member's later ballot replaces the earlier one. Never for
    /// secret motions: replacing needs a link from the member to the ballot.
    pub may_change_vote: bool,
    pub mode: MotionMode,
}

/// Why a [`MotionSpec`] is not a valid motion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MotionError {
    #[error("a motion needs at least one approving and one rejecting option")]
    MissingApproveOrReject,
    #[error("option {index} has an empty label")]
    EmptyLabel { index: usize },
    #[error("option {index} repeats the label of an earlier option")]
    DuplicateLabel { index: usize },
    #[error("a motion needs at least one eligible member")]
    NoEligibleMembers,
    #[error("the quorum of {quorum} is more than the {eligible} eligible members")]
    QuorumAboveEligible { quorum: u32, eligible: u32 },
    #[error("the grace period must not be negative")]
    NegativeGrace,
    #[error("a secret motion cannot let members change their vote")]
    SecretVoteCannotChange,
}

/// A valid motion. Its fields are fixed once created; its state lives in
/// [`MotionState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Motion {
    spec: MotionSpec,
}

impl Motion {
    pub fn new(spec: MotionSpec) -> Result<Motion, MotionError> {
        let approve = spec.options.iter().any(|o| o.stance == Stance::Approve);
        let reject = spec.options.iter().any(|o| o.stance == Stance::Reject);
        if !approve || !reject {
            return Err(MotionError::MissingApproveOrReject);
        }
        for (index, option) in spec.options.iter().enumerate() {
            if option.label.trim().is_empty() {
                return Err(MotionError::EmptyLabel { index });
            }
            if spec.options[..index]
                .iter()
                .any(|o| o.label == option.label)
            {
                return Err(MotionError::DuplicateLabel { index });
            }
        }
        if spec.eligible.is_empty() {
            return Err(MotionError::NoEligibleMembers);
        }
        if let Quorum::AtLeast(quorum) = spec.quorum {
            let eligible = count_u32(spec.eligible.len());
            if quorum > eligible {
                return Err(MotionError::QuorumAboveEligible { quorum, eligible });
            }
        }
        if let MotionMode::Live { grace_ms } = spec.mode {
            if grace_ms < 0 {
                return Err(MotionError::NegativeGrace);
            }
        }
        if spec.kind == BallotKind::Secret && spec.may_change_vote {
            return Err(MotionError::SecretVoteCannotChange);
        }
        Ok(Motion { spec })
    }

    pub fn spec(&self) -> &MotionSpec {
        &self.spec
    }

    pub fn id(&self) -> &MotionId {
        &self.spec.id
    }

    pub fn options(&self) -> &[VoteOption] {
        &self.spec.options
    }

    pub fn kind(&self) -> BallotKind {
        self.spec.kind
    }

    pub fn rule(&self) -> MajorityRule {
        self.spec.rule
    }

    pub fn mode(&self) -> MotionMode {
        self.spec.mode
    }

    pub fn may_change_vote(&self) -> bool {
        self.spec.may_change_vote
    }

    pub fn eligible(&self) -> &BTreeSet<MemberId> {
        &self.spec.eligible
    }

    pub fn is_eligible(&self, member: &MemberId) -> bool {
        self.spec.eligible.contains(member)
    }

    /// The stance of option `choice`, or `None` when there is no such option.
    pub fn stance(&self, choice: u32) -> Option<Stance> {
        let index = usize::try_from(choice).ok()?;
        self.spec.options.get(index).map(|o| o.stance)
    }

    /// Domain string that starts [`Motion::canonical_bytes`].
    pub const DOMAIN: &'static str = "ecabinet.motion.v1";

    /// Canonical bytes of everything that decides the result: id, question,
    /// options (count, then label and stance of each), kind, rule, quorum,
    /// eligible members (count, then each in sorted order), may-change flag
    /// and mode; each field length-prefixed as in ballot signatures.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let s = &self.spec;
        let mut c = Canonical::new(Self::DOMAIN);
        c.str(s.id.as_str())
            .str(&s.question)
            .u32(count_u32(s.options.len()));
        for option in &s.options {
            c.str(&option.label).str(match option.stance {
                Stance::Approve => "approve",
                Stance::Reject => "reject",
                Stance::Abstain => "abstain",
            });
        }
        c.str(match s.kind {
            BallotKind::Named => "named",
            BallotKind::Secret => "secret",
        });
        c.str(match s.rule {
            MajorityRule::Simple => "simple",
            MajorityRule::Absolute => "absolute",
            MajorityRule::TwoThirds => "two_thirds",
        });
        match s.quorum {
            Quorum::AtLeast(n) => c.str("at_least").u32(n),
            Quorum::MoreThanHalfOfEligible => c.str("more_than_half_of_eligible"),
        };
        c.u32(count_u32(s.eligible.len()));
        for member in &s.eligible {
            c.str(member.as_str());
        }
        c.bytes(&[u8::from(s.may_change_vote)]);
        match s.mode {
            MotionMode::Live { grace_ms } => c.str("live").i64(grace_ms),
            MotionMode::Written { deadline } => c.str("written").i64(deadline),
        };
        c.finish()
    }

    /// SHA-256 of [`Motion::canonical_bytes`]; the audit chain commits to it
    /// so the rules and the eligible list cannot be changed after the fact.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Members that must be present for the result to stand.
    pub fn quorum_required(&self) -> u32 {
        let eligible = count_u32(self.spec.eligible.len());
        match self.spec.quorum {
            Quorum::AtLeast(n) => n,
            Quorum::MoreThanHalfOfEligible => eligible / 2 + 1,
        }
    }

    /// The instant from which a cast ballot is late (exclusive end of the
    /// voting window), once it is known: the chair's close, or a written
    /// motion's deadline, whichever is first. `None` while a live motion is
    /// open or any motion is a draft.
    pub fn voting_ends(&self, state: &MotionState) -> Option<i64> {
        match (self.spec.mode, *state) {
            (_, MotionState::Draft) => None,
            (MotionMode::Live { .. }, MotionState::Open { .. }) => None,
            (MotionMode::Live { .. }, MotionState::Closed { closed_at, .. }) => Some(closed_at),
            (MotionMode::Written { deadline }, MotionState::Open { .. }) => Some(deadline),
            (MotionMode::Written { deadline }, MotionState::Closed { closed_at, .. }) => {
                Some(closed_at.min(deadline))
            }
        }
    }

    /// The instant from which the server no longer accepts ballots and the
    /// result is final (exclusive): end of voting plus the grace period for a
    /// live motion, the end of voting for a written one.
    pub fn receiving_ends(&self, state: &MotionState) -> Option<i64> {
        let ends = self.voting_ends(state)?;
        Some(match self.spec.mode {
            MotionMode::Live { grace_ms } => ends.saturating_add(grace_ms),
            MotionMode::Written { .. } => ends,
        })
    }

    /// Whether a result computed at `now` can still change.
    pub fn finality(&self, state: &MotionState, now: i64) -> Finality {
        match self.receiving_ends(state) {
            Some(end) if now >= end => Finality::Final,
            _ => Finality::Provisional,
        }
    }
}

/// Whether a result may still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Finality {
    /// Ballots may still arrive (the motion is open, or within its grace period).
    Provisional,
    /// No ballot can be accepted any more.
    Final,
}

/// Where a motion is in its life. Times are server unix ms; `opened_seq` is the
/// feed sequence number of the opening, which devices echo as `seen_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MotionState {
    Draft,
    Open {
        opened_at: i64,
        opened_seq: i64,
    },
    Closed {
        opened_at: i64,
        opened_seq: i64,
        closed_at: i64,
    },
}

/// Why a state transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("only a draft motion can be opened")]
    NotDraft,
    #[error("only an open motion can be closed")]
    NotOpen,
    #[error("a motion cannot close before it opened")]
    CloseBeforeOpen,
    #[error("a written motion cannot open at or after its deadline")]
    AfterDeadline,
}

impl MotionState {
    /// Opens a draft at server time `at`, announced in the feed at `seq`.
    pub fn open(&self, motion: &Motion, at: i64, seq: i64) -> Result<MotionState, TransitionError> {
        if *self != MotionState::Draft {
            return Err(TransitionError::NotDraft);
        }
        if let MotionMode::Written { deadline } = motion.mode() {
            if at >= deadline {
                return Err(TransitionError::AfterDeadline);
            }
        }
        Ok(MotionState::Open {
            opened_at: at,
            opened_seq: seq,
        })
    }

    /// Closes an open motion at server time `at`.
    pub fn close(&self, at: i64) -> Result<MotionState, TransitionError> {
        match *self {
            MotionState::Open {
                opened_at,
                opened_seq,
            } if at >= opened_at => Ok(MotionState::Closed {
                opened_at,
                opened_seq,
                closed_at: at,
            }),
            MotionState::Open { .. } => Err(TransitionError::CloseBeforeOpen),
            _ => Err(TransitionError::NotOpen),
        }
    }

    /// `(opened_at, opened_seq)` once the motion has been opened.
    pub fn opening(&self) -> Option<(i64, i64)> {
        match *self {
            MotionState::Draft => None,
            MotionState::Open {
                opened_at,
                opened_seq,
            }
            | MotionState::Closed {
                opened_at,
                opened_seq,
                ..
            } => Some((opened_at, opened_seq)),
        }
    }
}

/// Collection sizes as counts; a committee never has 4 billion members.
pub(crate) fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
