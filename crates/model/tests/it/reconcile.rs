//! `reconcile`: batches, duplicates, retries and order.

use ecabinet_model::{reconcile, Arrival, Ballot, Ledger, OpStatus, RejectReason, Submission};

use crate::fixtures::*;

fn sub(op: &str, member_i: usize, choice: u32, cast_offset: i64) -> Submission {
    Submission {
        ballot: Ballot {
            op_id: op.into(),
            member_id: member(member_i),
            device_id: format!("device-{member_i}").as_str().into(),
            choice,
            cast_at: OPENED_AT + cast_offset,
            ..ballot()
        },
        arrival: arrival(OPENED_AT + 30_000),
    }
}

#[test]
fn batch_order_does_not_change_the_outcome() {
    for may_change in [false, true] {
        let motion = motion_with(|s| s.may_change_vote = may_change);
        let batch = vec![
            sub("op-c", 0, 1, 3_000),
            sub("op-a", 0, 0, 1_000),
            sub("op-b", 0, 2, 3_000),
            sub("op-d", 1, 0, 2_000),
            sub("op-e", 9, 0, 2_000),
        ];
        let mut reversed = batch.clone();
        reversed.reverse();

        let mut first = Ledger::new("motion-1".into());
        let r1 = reconcile(Some((&motion, &open())), &mut first, &batch);
        let mut second = Ledger::new("motion-1".into());
        let mut r2 = reconcile(Some((&motion, &open())), &mut second, &reversed);
        r2.results.reverse();
        assert_eq!(r1.results, r2.results, "may_change={may_change}");

        let by = |op: &str| OpStatus::Superseded { by: op.into() };
        let expect = if may_change {
            // Latest cast wins; op-b and op-c tie at 3 s and op-c has the greater id.
            vec![
                OpStatus::Accepted,
                by("op-b"),
                by("op-c"),
                OpStatus::Accepted,
                OpStatus::Rejected(RejectReason::NotEligible),
            ]
        } else {
            // The earliest cast counts; later ones were already voted.
            vec![
                OpStatus::Rejected(RejectReason::AlreadyVoted),
                OpStatus::Accepted,
                OpStatus::Rejected(RejectReason::AlreadyVoted),
                OpStatus::Accepted,
                OpStatus::Rejected(RejectReason::NotEligible),
            ]
        };
        assert_eq!(r1.results, expect, "may_change={may_change}");
        let counting: Vec<_> = first
            .voters()
            .map(|(m, b)| (m.clone(), b.op_id.clone()))
            .collect();
        let winner = if may_change { "op-c" } else { "op-a" };
        assert_eq!(
            counting,
            vec![(member(0), winner.into()), (member(1), "op-d".into())]
        );
        let accepted: Vec<_> = r1
            .accepted
            .iter()
            .map(|(b, _)| b.op_id.as_str().to_owned())
            .collect();
        let mut accepted_sorted = accepted.clone();
        accepted_sorted.sort();
        assert_eq!(accepted_sorted, vec![winner.to_owned(), "op-d".to_owned()]);
    }
}

#[test]
fn retries_and_duplicates_return_the_original_result() {
    let motion = motion_with(|_| {});
    let mut ledger = Ledger::new("motion-1".into());
    let original = sub("op-a", 0, 0, 1_000);
    let r = reconcile(
        Some((&motion, &open())),
        &mut ledger,
        &[original.clone(), original.clone()],
    );
    assert_eq!(r.results, vec![OpStatus::Accepted, OpStatus::Accepted]);
    assert_eq!(r.changes, vec![("op-a".into(), OpStatus::Accepted)]);

    // After the close and past the grace period, and with a different payload,
    // a retry of op-a is not judged again: its result stands.
    let mut retry = original.clone();
    retry.ballot.choice = 1;
    retry.arrival = Arrival {
        received_at: CLOSED_AT + GRACE + 1,
        ..retry.arrival
    };
    let r = reconcile(Some((&motion, &closed())), &mut ledger, &[retry]);
    assert_eq!(r.results, vec![OpStatus::Accepted]);
    assert!(r.changes.is_empty() && r.accepted.is_empty());

    // A rejected op also keeps its rejection.
    let late = Submission {
        arrival: arrival(CLOSED_AT + GRACE),
        ..sub("op-b", 1, 0, 1_000)
    };
    let r = reconcile(
        Some((&motion, &closed())),
        &mut ledger,
        std::slice::from_ref(&late),
    );
    assert_eq!(r.results, vec![OpStatus::Rejected(RejectReason::Closed)]);
    let r = reconcile(Some((&motion, &closed())), &mut ledger, &[late]);
    assert_eq!(r.results, vec![OpStatus::Rejected(RejectReason::Closed)]);
    assert_eq!(ledger.len(), 2);
}

#[test]
fn a_superseded_op_is_reported_as_a_change_for_the_caller_to_persist() {
    let motion = motion_with(|s| s.may_change_vote = true);
    let mut ledger = Ledger::new("motion-1".into());
    reconcile(
        Some((&motion, &open())),
        &mut ledger,
        &[sub("op-a", 0, 0, 1_000)],
    );
    let r = reconcile(
        Some((&motion, &open())),
        &mut ledger,
        &[sub("op-b", 0, 1, 2_000)],
    );
    assert_eq!(
        r.changes,
        vec![
            ("op-a".into(), OpStatus::Superseded { by: "op-b".into() }),
            ("op-b".into(), OpStatus::Accepted)
        ]
    );
    assert_eq!(
        ledger.status(&"op-a".into()),
        Some(&OpStatus::Superseded { by: "op-b".into() })
    );

    // The same state restored from stored rows decides the same way.
    let mut restored = Ledger::restore(
        "motion-1".into(),
        [
            ("op-a".into(), OpStatus::Superseded { by: "op-b".into() }),
            ("op-b".into(), OpStatus::Accepted),
        ],
        [(member(0), "op-b".into(), OPENED_AT + 2_000)],
    );
    let late_old = sub("op-0", 0, 2, 500);
    let a = reconcile(
        Some((&motion, &open())),
        &mut ledger,
        std::slice::from_ref(&late_old),
    );
    let b = reconcile(Some((&motion, &open())), &mut restored, &[late_old]);
    assert_eq!(a, b);
    assert_eq!(a.results, vec![OpStatus::Superseded { by: "op-b".into() }]);
}

#[test]
fn ballots_for_an_unknown_or_other_motion_are_rejected() {
    let motion = motion_with(|_| {});
    let mut ledger = Ledger::new("motion-1".into());
    let r = reconcile(None, &mut ledger, &[sub("op-a", 0, 0, 1_000)]);
    assert_eq!(
        r.results,
        vec![OpStatus::Rejected(RejectReason::UnknownMotion)]
    );
    let mut other = sub("op-b", 1, 0, 1_000);
    other.ballot.motion_id = "motion-2".into();
    let r = reconcile(Some((&motion, &open())), &mut ledger, &[other]);
    assert_eq!(
        r.results,
        vec![OpStatus::Rejected(RejectReason::UnknownMotion)]
    );
}
