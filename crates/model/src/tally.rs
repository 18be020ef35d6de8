//! Counting accepted ballots into a result, and what the chair sees live.

use std::collections::BTreeSet;

use crate::attendance::Attendance;
use crate::ids::{DeviceId, MemberId};
use crate::motion::{
    count_u32, BallotKind, Finality, MajorityRule, Motion, MotionMode, MotionState, Stance,
};

/// Why accepted ballots cannot be counted: the caller's data breaks an
/// invariant the rules guarantee (a store bug or tampering).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TallyError {
    #[error("member {0} is counted twice")]
    DuplicateVoter(MemberId),
    #[error("member {0} is not eligible for this motion")]
    NotEligible(MemberId),
    #[error("choice {0} is not an option of this motion")]
    InvalidChoice(u32),
    #[error("{ballots} secret ballots but {voters} members recorded as having voted")]
    VoterCountMismatch { ballots: u32, voters: u32 },
}

/// Accepted ballots counted per option, with the set of members who voted.
/// Built only through checks that no member is counted twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    per_option: Vec<u32>,
    voters: BTreeSet<MemberId>,
}

impl Count {
    /// Counts a named motion's counting ballots: `(member, choice)`, one per member.
    pub fn named<'a>(
        motion: &Motion,
        ballots: impl IntoIterator<Item = (&'a MemberId, u32)>,
    ) -> Result<Count, TallyError> {
        let mut count = Count {
            per_option: vec![0; motion.options().len()],
            voters: BTreeSet::new(),
        };
        for (member, choice) in ballots {
            count.add_voter(motion, member)?;
            count.add_choice(motion, choice)?;
        }
        Ok(count)
    }

    /// Counts a secret motion: the stored ballots' choices and, separately,
    /// the members recorded as having voted. Their numbers must agree.
    pub fn secret<'a>(
        motion: &Motion,
        choices: impl IntoIterator<Item = u32>,
        voters: impl IntoIterator<Item = &'a MemberId>,
    ) -> Result<Count, TallyError> {
        let mut count = Count {
            per_option: vec![0; motion.options().len()],
            voters: BTreeSet::new(),
        };
        let mut ballots = 0u32;
        for choice in choices {
            count.add_choice(motion, choice)?;
            ballots = ballots.saturating_add(1);
        }
        for member in voters {
            count.add_voter(motion, member)?;
        }
        let voters = count_u32(count.voters.len());
        if ballots != voters {
            return Err(TallyError::VoterCountMismatch { ballots, voters });
        }
        Ok(count)
    }

    fn add_voter(&mut self, motion: &Motion, member: &MemberId) -> Result<(), TallyError> {
        if !motion.is_eligible(member) {
            return Err(TallyError::NotEligible(member.clone()));
        }
        if !self.voters.insert(member.clone()) {
            return Err(TallyError::DuplicateVoter(member.clone()));
        }
        Ok(())
    }

    fn add_choice(&mut self, motion: &Motion, choice: u32) -> Result<(), TallyError> {
        motion
            .stance(choice)
            .ok_or(TallyError::InvalidChoice(choice))?;
        let slot = usize::try_from(choice)
            .ok()
            .and_then(|i| self.per_option.get_mut(i))
            .ok_or(TallyError::InvalidChoice(choice))?;
        *slot += 1;
        Ok(())
    }

    /// Ballots per option, indexed like the motion's options.
    pub fn per_option(&self) -> &[u32] {
        &self.per_option
    }

    pub fn voters(&self) -> &BTreeSet<MemberId> {
        &self.voters
    }
}

/// Whether the motion passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Adopted,
    /// Not adopted: the majority rule is not met (ties included).
    Rejected,
    /// Too few members present for any result.
    NoQuorum,
}

/// A motion's result at some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Ballots per option, indexed like the motion's options.
    pub counts: Vec<u32>,
    pub approve: u32,
    pub reject: u32,
    pub abstain: u32,
    /// Members with an accepted ballot.
    pub participating: u32,
    /// Eligible members present (see [`tally`]).
    pub present: u32,
    pub eligible: u32,
    pub quorum_required: u32,
    pub quorum_met: bool,
    pub outcome: Outcome,
    pub finality: Finality,
}

/// The result of `motion` at server time `now`.
///
/// `present` counts eligible members who are present: for a live motion,
/// those marked in the room or online, plus anyone who voted (voting is
/// taking part); for a written consultation, which has no sitting, those who
/// voted. The quorum is met when `present >= quorum_required`; without it the
/// outcome is `NoQuorum` whatever the votes. Then, per [`MajorityRule`]:
/// simple `approve > reject`, absolute `2·approve > present`, two-thirds
/// `3·approve >= 2·eligible`; anything else (a tie included) is `Rejected`.
/// The result is `Provisional` until `now` reaches the end of receiving
/// (close + grace, or the written deadline), then `Final`.
pub fn tally(
    motion: &Motion,
    state: &MotionState,
    count: &Count,
    attendance: &Attendance,
    now: i64,
) -> Tally {
    let mut approve = 0u32;
    let mut reject = 0u32;
    let mut abstain = 0u32;
    for (option, n) in motion.options().iter().zip(&count.per_option) {
        match option.stance {
            Stance::Approve => approve += n,
            Stance::Reject => reject += n,
            Stance::Abstain => abstain += n,
        }
    }
    let participating = count_u32(count.voters.len());
    let present = match motion.mode() {
        MotionMode::Live { .. } => count_u32(
            motion
                .eligible()
                .iter()
                .filter(|m| attendance.is_present(m) || count.voters.contains(*m))
                .count(),
        ),
        MotionMode::Written { .. } => participating,
    };
    let eligible = count_u32(motion.eligible().len());
    let quorum_required = motion.quorum_required();
    let quorum_met = present >= quorum_required;
    let (a, p, e) = (u64::from(approve), u64::from(present), u64::from(eligible));
    let passes = match motion.rule() {
        MajorityRule::Simple => approve > reject,
        MajorityRule::Absolute => 2 * a > p,
        MajorityRule::TwoThirds => 3 * a >= 2 * e,
    };
    let outcome = match (quorum_met, passes) {
        (false, _) => Outcome::NoQuorum,
        (true, true) => Outcome::Adopted,
        (true, false) => Outcome::Rejected,
    };
    Tally {
        counts: count.per_option.clone(),
        approve,
        reject,
        abstain,
        participating,
        present,
        eligible,
        quorum_required,
        quorum_met,
        outcome,
        finality: motion.finality(state, now),
    }
}

/// When an active device of a member was last heard from (pushed or
/// pulled), server unix ms; `None` if never.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceContact {
    pub member_id: MemberId,
    pub device_id: DeviceId,
    pub last_contact_at: Option<i64>,
}

/// Who has not voted yet: names for a named motion, only a number for a secret one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotVoted {
    Members(Vec<MemberId>),
    Count(u32),
}

/// What the chair sees while a motion runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChairView {
    pub received: u32,
    pub eligible: u32,
    pub not_voted: NotVoted,
    /// Devices of eligible members not heard from since the motion opened
    /// (they may hold ballots cast offline, or not know the vote is open).
    /// All of them while the motion is a draft.
    pub unsynced_devices: u32,
}

/// The chair's live view, from the members who have voted (`voters`: the
/// ledger's voters or the "has voted" records) and when each active device
/// was last heard from.
pub fn chair_view<'a>(
    motion: &Motion,
    state: &MotionState,
    voters: impl IntoIterator<Item = &'a MemberId>,
    devices: &[DeviceContact],
) -> ChairView {
    let voted: BTreeSet<&MemberId> = voters
        .into_iter()
        .filter(|m| motion.is_eligible(m))
        .collect();
    let missing: Vec<MemberId> = motion
        .eligible()
        .iter()
        .filter(|m| !voted.contains(m))
        .cloned()
        .collect();
    let opened_at = state.opening().map(|(at, _)| at);
    let unsynced_devices = count_u32(
        devices
            .iter()
            .filter(|d| motion.is_eligible(&d.member_id))
            .filter(|d| match (opened_at, d.last_contact_at) {
                (Some(opened), Some(seen)) => seen < opened,
                _ => true,
            })
            .count(),
    );
    let not_voted = match motion.kind() {
        BallotKind::Named => NotVoted::Members(missing),
        BallotKind::Secret => NotVoted::Count(count_u32(missing.len())),
    };
    ChairView {
        received: count_u32(voted.len()),
        eligible: count_u32(motion.eligible().len()),
        not_voted,
        unsynced_devices,
    }
}
