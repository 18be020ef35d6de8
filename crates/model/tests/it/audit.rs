//! Audit hash chain: tampering is found at the right entry; receipts prove inclusion.

use ecabinet_model::{
    append_all, chain_head, reconcile, recount, tally, verify_chain, verify_inclusion, Arrival,
    Attendance, AuditError, AuditRecord, Ballot, BallotToken, ChainEntry, ChainHead, Count,
    InclusionError, Ledger, MotionMode, QualifiedSeal, Submission,
};

use crate::fixtures::*;

fn records() -> Vec<AuditRecord> {
    let m = || "motion-1".into();
    let mut r = vec![
        AuditRecord::motion_created(&motion_with(|_| {})),
        AuditRecord::MotionOpened {
            motion_id: m(),
            at: OPENED_AT,
            seq: OPENED_SEQ,
        },
    ];
    for i in 0..5 {
        r.push(AuditRecord::NamedBallot {
            motion_id: m(),
            op_id: format!("op-{i}").as_str().into(),
            member_id: member(i),
            choice: (i % 3) as u32,
            cast_at: OPENED_AT + 1_000 * i as i64,
            qualified: None,
        });
    }
    r.push(AuditRecord::MotionClosed {
        motion_id: m(),
        at: CLOSED_AT,
    });
    r.push(AuditRecord::SecretBallot {
        motion_id: "motion-2".into(),
        token: BallotToken([1; 16]),
        choice: 1,
        closed_at: CLOSED_AT,
    });
    r
}

fn chain() -> (Vec<ChainEntry>, ChainHead) {
    let entries = append_all(&ChainHead::GENESIS, records());
    let head = entries.last().expect("non-empty").head;
    (entries, head)
}

/// A different record of the same kind, one field changed.
fn altered(record: &AuditRecord) -> AuditRecord {
    match record.clone() {
        AuditRecord::MotionCreated {
            motion_id,
            mut digest,
        } => {
            digest[0] ^= 1;
            AuditRecord::MotionCreated { motion_id, digest }
        }
        AuditRecord::MotionOpened { motion_id, at, seq } => AuditRecord::MotionOpened {
            motion_id,
            at: at + 1,
            seq,
        },
        AuditRecord::MotionClosed { motion_id, at } => AuditRecord::MotionClosed {
            motion_id,
            at: at - 1,
        },
        AuditRecord::NamedBallot {
            motion_id,
            op_id,
            member_id,
            choice,
            cast_at,
            qualified,
        } => AuditRecord::NamedBallot {
            motion_id,
            op_id,
            member_id,
            choice: (choice + 1) % 3,
            cast_at,
            qualified,
        },
        AuditRecord::SecretBallot {
            motion_id,
            token,
            choice,
            closed_at,
        } => AuditRecord::SecretBallot {
            motion_id,
            token,
            choice: choice ^ 1,
            closed_at,
        },
    }
}

#[test]
fn an_untouched_chain_verifies_and_heads_are_the_defined_hash() {
    let (entries, head) = chain();
    assert_eq!(verify_chain(&ChainHead::GENESIS, &entries, &head), Ok(()));
    // head_1 = SHA-256(zeros || canonical(record_1)), written out by hand here.
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update([0u8; 32]);
    h.update(records()[0].canonical_bytes());
    assert_eq!(entries[0].head.0, <[u8; 32]>::from(h.finalize()));
    // A segment verifies from its stored start.
    assert_eq!(verify_chain(&entries[2].head, &entries[3..], &head), Ok(()));
}

#[test]
fn tampering_with_any_record_or_head_is_found_at_that_index() {
    let (entries, head) = chain();
    for i in 0..entries.len() {
        let mut record_changed = entries.clone();
        record_changed[i].record = altered(&entries[i].record);
        assert_eq!(
            verify_chain(&ChainHead::GENESIS, &record_changed, &head),
            Err(AuditError::Broken { index: i })
        );

        let mut head_changed = entries.clone();
        head_changed[i].head.0[31] ^= 1;
        assert_eq!(
            verify_chain(&ChainHead::GENESIS, &head_changed, &head),
            Err(AuditError::Broken { index: i })
        );

        // Recomputing every later head hides nothing: the published head differs.
        let mut rewritten: Vec<AuditRecord> = records();
        rewritten[i] = altered(&rewritten[i]);
        let rewritten = append_all(&ChainHead::GENESIS, rewritten);
        assert_eq!(
            verify_chain(&ChainHead::GENESIS, &rewritten, &head),
            Err(AuditError::WrongHead {
                index: entries.len()
            })
        );
    }
}

#[test]
fn dropping_reordering_or_truncating_is_found() {
    let (entries, head) = chain();
    let n = entries.len();
    for i in 0..n - 1 {
        let mut dropped = entries.clone();
        dropped.remove(i);
        assert_eq!(
            verify_chain(&ChainHead::GENESIS, &dropped, &head),
            Err(AuditError::Broken { index: i }),
            "drop {i}"
        );

        let mut swapped = entries.clone();
        swapped.swap(i, i + 1);
        assert_eq!(
            verify_chain(&ChainHead::GENESIS, &swapped, &head),
            Err(AuditError::Broken { index: i }),
            "swap {i}"
        );
    }
    let truncated = &entries[..n - 1];
    assert_eq!(
        verify_chain(&ChainHead::GENESIS, truncated, &head),
        Err(AuditError::WrongHead { index: n - 1 })
    );
    assert_eq!(AuditError::WrongHead { index: n - 1 }.index(), n - 1);
}

#[test]
fn a_receipt_is_found_in_the_chain_of_the_published_head() {
    let (entries, head) = chain();
    let recs = records();
    let mine = recs[3].receipt();
    assert_eq!(
        verify_inclusion(&mine, &ChainHead::GENESIS, &recs, &head),
        Ok(3)
    );
    // The suffix from the head just before the record is enough.
    assert_eq!(
        verify_inclusion(&mine, &entries[2].head, &recs[3..], &head),
        Ok(0)
    );

    // A ballot the server never appended.
    let absent = altered(&recs[3]).receipt();
    assert_eq!(
        verify_inclusion(&absent, &ChainHead::GENESIS, &recs, &head),
        Err(InclusionError::NotIncluded)
    );

    // The server shows the member a chain with the member's ballot, but it is
    // not the chain behind the published head.
    let mut forged = recs.clone();
    forged[4] = altered(&forged[4]);
    assert_eq!(
        verify_inclusion(&mine, &ChainHead::GENESIS, &forged, &head),
        Err(InclusionError::HeadMismatch)
    );
    let other_head = chain_head(&head, &recs[0]);
    assert_eq!(
        verify_inclusion(&mine, &ChainHead::GENESIS, &recs, &other_head),
        Err(InclusionError::HeadMismatch)
    );
}

#[test]
fn canonical_records_are_versioned_and_unambiguous() {
    let recs = records();
    for r in &recs {
        let bytes = r.canonical_bytes();
        assert_eq!(
            &bytes[8..8 + AuditRecord::DOMAIN.len()],
            AuditRecord::DOMAIN.as_bytes()
        );
    }
    let distinct: std::collections::BTreeSet<_> = recs.iter().map(|r| r.receipt()).collect();
    assert_eq!(distinct.len(), recs.len());
}

/// A ballot signed with the member's token carries the signature into its
/// record; a ballot without one keeps exactly the bytes (and so the
/// receipts and chain heads) records always had.
#[test]
fn a_token_signature_is_appended_to_the_named_ballot_record_and_only_then() {
    let plain = records()
        .into_iter()
        .find(|r| matches!(r, AuditRecord::NamedBallot { .. }))
        .expect("a named ballot");
    let AuditRecord::NamedBallot {
        motion_id,
        op_id,
        member_id,
        choice,
        cast_at,
        ..
    } = plain.clone()
    else {
        unreachable!()
    };
    let seal = QualifiedSeal {
        certificate_sha256: [7; 32],
        signature: vec![1, 2, 3],
        device_id: "tablet-7".into(),
        device_cast_at: 1_000,
        seen_seq: 42,
        opinion_sha256: None,
    };
    let signed = AuditRecord::NamedBallot {
        motion_id,
        op_id,
        member_id,
        choice,
        cast_at,
        qualified: Some(seal.clone()),
    };
    let (before, after) = (plain.canonical_bytes(), signed.canonical_bytes());
    assert!(
        after.starts_with(&before),
        "the old fields come first, unchanged"
    );
    let field = |b: &[u8]| [&(b.len() as u64).to_be_bytes()[..], b].concat();
    let tail = [
        field(b"qualified"),
        field(&seal.certificate_sha256),
        field(&seal.signature),
        field(b"tablet-7"),
        field(&1_000i64.to_be_bytes()),
        field(&42i64.to_be_bytes()),
    ]
    .concat();
    assert_eq!(&after[before.len()..], &tail[..]);
    assert_ne!(plain.receipt(), signed.receipt());
    // Another signature is another record.
    let mut other = signed.clone();
    if let AuditRecord::NamedBallot { qualified, .. } = &mut other {
        *qualified = Some(QualifiedSeal {
            signature: vec![1, 2, 4],
            ..seal.clone()
        });
    }
    assert_ne!(other.receipt(), signed.receipt());
    // An opinion form's hash follows, and only when there is one; another
    // form is another record, and the token's bytes cover it too.
    let mut with_form = signed.clone();
    if let AuditRecord::NamedBallot { qualified, .. } = &mut with_form {
        *qualified = Some(QualifiedSeal {
            opinion_sha256: Some([9; 32]),
            ..seal.clone()
        });
    }
    let bytes = with_form.canonical_bytes();
    assert!(bytes.starts_with(&after), "the form's hash comes last");
    assert_eq!(
        &bytes[after.len()..],
        &[field(b"opinion_form"), field(&[9; 32])].concat()[..]
    );
    assert_ne!(with_form.receipt(), signed.receipt());
    let ballot = |opinion: Option<[u8; 32]>| {
        let s = QualifiedSeal {
            opinion_sha256: opinion,
            ..seal.clone()
        };
        s.signed_bytes(&"op".into(), &"m".into(), &"u".into(), 1)
    };
    assert!(ballot(Some([9; 32])).starts_with(&ballot(None)));
    assert_ne!(ballot(Some([9; 32])), ballot(Some([8; 32])));
}

#[test]
fn the_motion_record_commits_to_rules_and_eligible_members() {
    let base = motion_with(|_| {});
    let changes: [fn(&mut ecabinet_model::MotionSpec); 6] = [
        |s| {
            s.eligible.remove(&member(4));
        },
        |s| s.rule = ecabinet_model::MajorityRule::TwoThirds,
        |s| s.quorum = ecabinet_model::Quorum::AtLeast(2),
        |s| s.may_change_vote = true,
        |s| {
            s.mode = MotionMode::Live {
                grace_ms: GRACE + 1,
            }
        },
        |s| s.options[2].label = "Bỏ phiếu trắng".into(),
    ];
    for (i, change) in changes.iter().enumerate() {
        let other = motion_with(change);
        assert_ne!(other.digest(), base.digest(), "change {i}");
    }
    assert_eq!(motion_with(|_| {}).digest(), base.digest());
}

#[test]
fn recount_from_the_chain_matches_the_tally_and_skips_superseded_ballots() {
    let motion = motion_with(|s| s.may_change_vote = true);
    let state = closed();
    let sub = |op: &str, m: usize, choice: u32, offset: i64| Submission {
        ballot: Ballot {
            op_id: op.into(),
            member_id: member(m),
            device_id: format!("device-{m}").as_str().into(),
            choice,
            cast_at: OPENED_AT + offset,
            ..crate::fixtures::ballot()
        },
        arrival: Arrival {
            received_at: CLOSED_AT + 1,
            ..crate::fixtures::arrival(0)
        },
    };
    let mut ledger = Ledger::new("motion-1".into());
    let mut chain_records = vec![AuditRecord::motion_created(&motion)];
    // Two batches, so the chain holds a ballot that is later superseded.
    for batch in [
        vec![
            sub("op-1", 0, 0, 1_000),
            sub("op-2", 1, 1, 1_000),
            sub("op-3", 2, 0, 1_000),
        ],
        vec![
            sub("op-4", 0, 1, 2_000),
            sub("op-5", 3, 2, 1_500),
            sub("op-6", 1, 0, 500),
        ],
    ] {
        let r = reconcile(Some((&motion, &state)), &mut ledger, &batch);
        for (b, cast_at) in r.accepted {
            chain_records.push(AuditRecord::NamedBallot {
                motion_id: b.motion_id,
                op_id: b.op_id,
                member_id: b.member_id,
                choice: b.choice,
                cast_at,
                qualified: None,
            });
        }
    }
    // A ballot of another motion in the same chain is not counted.
    chain_records.push(AuditRecord::NamedBallot {
        motion_id: "motion-2".into(),
        op_id: "op-x".into(),
        member_id: member(4),
        choice: 0,
        cast_at: OPENED_AT,
        qualified: None,
    });
    let counting: Vec<_> = ledger
        .voters()
        .map(|(m, p)| {
            let choice = match p.op_id.as_str() {
                "op-4" | "op-2" => 1,
                "op-3" => 0,
                "op-5" => 2,
                other => panic!("unexpected counting op {other}"),
            };
            (m.clone(), choice)
        })
        .collect();
    let count = Count::named(&motion, counting.iter().map(|(m, c)| (m, *c))).expect("valid");
    let t = tally(
        &motion,
        &state,
        &count,
        &Attendance::new(),
        CLOSED_AT + GRACE,
    );
    assert_eq!(t.counts, vec![1, 2, 1]);
    assert_eq!(recount(&motion, &chain_records), Ok(t.counts));
}
