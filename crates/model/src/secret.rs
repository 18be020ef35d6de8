//! Secret ballots: the stored ballot knows no voter, the voter record knows no choice.

use crate::ballot::Ballot;
use crate::ids::{MemberId, MotionId, OpId};

/// A random, server-chosen identifier of one secret ballot (from an injected
/// id source). The member receives it on acceptance, to find the ballot's
/// audit record later; nothing stored links it to the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BallotToken(pub [u8; 16]);

/// A secret ballot as stored: no member id, no device id, no op id and no
/// timestamp — its only time is the motion's close, which the motion holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretBallot {
    pub motion_id: MotionId,
    pub token: BallotToken,
    pub choice: u32,
}

/// The record that a member voted on a secret motion (who voted is public;
/// what they chose is not). `op_id` lets retries find their result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoterRecord {
    pub motion_id: MotionId,
    pub member_id: MemberId,
    pub op_id: OpId,
}

/// Splits an accepted ballot of a secret motion into the two records the
/// server stores, in separate tables with no shared key.
pub fn split_secret(ballot: &Ballot, token: BallotToken) -> (VoterRecord, SecretBallot) {
    (
        VoterRecord {
            motion_id: ballot.motion_id.clone(),
            member_id: ballot.member_id.clone(),
            op_id: ballot.op_id.clone(),
        },
        SecretBallot {
            motion_id: ballot.motion_id.clone(),
            token,
            choice: ballot.choice,
        },
    )
}
