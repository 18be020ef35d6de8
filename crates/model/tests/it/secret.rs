//! Secret ballots: stored ballots and their audit records carry nothing that names the voter.

use ecabinet_model::{seal_secret_ballots, split_secret, AuditRecord, BallotToken, SecretBallot};

use crate::fixtures::*;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn split_keeps_the_choice_away_from_the_voter() {
    let b = ballot();
    let (voter, secret) = split_secret(&b, BallotToken([7; 16]));
    assert_eq!(
        (voter.member_id.clone(), voter.op_id.clone()),
        (b.member_id.clone(), b.op_id.clone())
    );
    assert_eq!(
        secret,
        SecretBallot {
            motion_id: b.motion_id.clone(),
            token: BallotToken([7; 16]),
            choice: b.choice
        }
    );

    let records = seal_secret_ballots(CLOSED_AT, &[secret]);
    let bytes = records[0].canonical_bytes();
    for identifying in [b.member_id.as_str(), b.device_id.as_str(), b.op_id.as_str()] {
        assert!(
            !contains(&bytes, identifying.as_bytes()),
            "audit record names {identifying}"
        );
    }
    assert!(
        !contains(&bytes, &b.cast_at.to_be_bytes()),
        "audit record carries the cast time"
    );
    assert!(contains(&bytes, &CLOSED_AT.to_be_bytes()));
}

#[test]
fn sealed_records_are_in_token_order_not_casting_order() {
    let ballots: Vec<SecretBallot> = [9u8, 3, 5]
        .into_iter()
        .map(|t| SecretBallot {
            motion_id: "motion-1".into(),
            token: BallotToken([t; 16]),
            choice: 0,
        })
        .collect();
    let tokens: Vec<u8> = seal_secret_ballots(CLOSED_AT, &ballots)
        .into_iter()
        .map(|r| match r {
            AuditRecord::SecretBallot {
                token, closed_at, ..
            } => {
                assert_eq!(closed_at, CLOSED_AT);
                token.0[0]
            }
            other => panic!("unexpected record {other:?}"),
        })
        .collect();
    assert_eq!(tokens, vec![3, 5, 9]);
}

#[test]
fn a_secret_token_is_fixed_by_the_signature_and_reveals_nothing_of_it() {
    let sig_a = [1u8; 64];
    let mut sig_b = sig_a;
    sig_b[63] = 2;
    let a = BallotToken::from_signature(&sig_a);
    // The member's client finds its own record again: same signature, same token.
    assert_eq!(a, BallotToken::from_signature(&sig_a));
    assert_ne!(a, BallotToken::from_signature(&sig_b));
    // Not a slice of the signature, so the token does not give it away.
    assert!(!contains(&sig_a, &a.0[..8]));
}
