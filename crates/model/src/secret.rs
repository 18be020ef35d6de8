//! Secret ballots: the stored ballot knows no voter, the voter record knows no choice.

use sha2::{Digest, Sha256};

use crate::ballot::Ballot;
use crate::ids::{MemberId, MotionId, OpId};

/// The identifier one secret ballot is filed under (see
/// [`BallotToken::from_signature`]); nothing stored links it to the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BallotToken(pub [u8; 16]);

impl BallotToken {
    /// Domain string of [`BallotToken::from_signature`].
    pub const DOMAIN: &'static str = "ecabinet.secret-token.v1";

    /// The token a secret ballot is filed under: the first 16 bytes of
    /// SHA-256 over the domain and the ballot's Ed25519 signature. Only the
    /// member's device keeps the signature (the server checks it and drops
    /// it), so the stored token links to no member, yet the member's client
    /// can find its own sealed record in the audit chain. Unpredictable
    /// without the device key, like a random token.
    pub fn from_signature(signature: &[u8]) -> BallotToken {
        let mut hasher = Sha256::new();
        hasher.update(Self::DOMAIN.as_bytes());
        hasher.update(signature);
        let digest: [u8; 32] = hasher.finalize().into();
        let mut token = [0u8; 16];
        token.copy_from_slice(&digest[..16]);
        BallotToken(token)
    }
}

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
