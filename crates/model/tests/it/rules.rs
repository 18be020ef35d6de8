//! `decide`: one ballot, every rejection reason and every timing edge.

use ecabinet_model::{
    decide, Arrival, Ballot, Decision, Motion, MotionMode, MotionState, PriorBallot, RejectReason,
    CLOCK_TOLERANCE_MS,
};

use crate::fixtures::*;

struct Case {
    name: &'static str,
    motion: Option<Motion>,
    state: MotionState,
    ballot: Ballot,
    arrival: Arrival,
    prior: Option<PriorBallot>,
    expect: Decision,
}

fn base() -> Case {
    Case {
        name: "",
        motion: Some(motion_with(|_| {})),
        state: open(),
        ballot: ballot(),
        arrival: arrival(OPENED_AT + 10_500),
        prior: None,
        expect: Decision::Accept {
            cast_at: OPENED_AT + 10_000,
        },
    }
}

fn check(cases: Vec<Case>) {
    for case in cases {
        let motion = case.motion.as_ref().map(|m| (m, &case.state));
        let got = decide(motion, &case.ballot, &case.arrival, case.prior.as_ref());
        assert_eq!(got, case.expect, "case: {}", case.name);
    }
}

fn rejected(reason: RejectReason) -> Decision {
    Decision::Rejected(reason)
}

fn prior(op: &str, cast_at: i64) -> Option<PriorBallot> {
    Some(PriorBallot {
        op_id: op.into(),
        cast_at,
    })
}

#[test]
fn every_rejection_reason() {
    use RejectReason::*;
    check(vec![
        Case {
            name: "accepted",
            ..base()
        },
        Case {
            name: "no such motion",
            motion: None,
            expect: rejected(UnknownMotion),
            ..base()
        },
        Case {
            name: "ballot names another motion",
            ballot: Ballot {
                motion_id: "motion-2".into(),
                ..ballot()
            },
            expect: rejected(UnknownMotion),
            ..base()
        },
        Case {
            name: "bad signature",
            arrival: Arrival {
                signature_valid: false,
                ..arrival(OPENED_AT + 10_500)
            },
            expect: rejected(BadSignature),
            ..base()
        },
        Case {
            name: "revoked device",
            arrival: Arrival {
                device_revoked: true,
                ..arrival(OPENED_AT + 10_500)
            },
            expect: rejected(DeviceRevoked),
            ..base()
        },
        Case {
            name: "bad signature takes precedence over revocation",
            arrival: Arrival {
                signature_valid: false,
                device_revoked: true,
                ..arrival(OPENED_AT + 10_500)
            },
            expect: rejected(BadSignature),
            ..base()
        },
        Case {
            name: "member not eligible",
            ballot: Ballot {
                member_id: member(9),
                ..ballot()
            },
            expect: rejected(NotEligible),
            ..base()
        },
        Case {
            name: "choice past the last option",
            ballot: Ballot {
                choice: 3,
                ..ballot()
            },
            expect: rejected(InvalidChoice),
            ..base()
        },
        Case {
            name: "draft motion",
            state: MotionState::Draft,
            expect: rejected(NotOpen),
            ..base()
        },
        Case {
            name: "closed motion, cast after close",
            state: closed(),
            ballot: Ballot {
                cast_at: CLOSED_AT + 1,
                ..ballot()
            },
            arrival: arrival(CLOSED_AT + 2),
            expect: rejected(Closed),
            ..base()
        },
        Case {
            name: "already voted, changes not allowed",
            prior: prior("op-0000", OPENED_AT + 5_000),
            expect: rejected(AlreadyVoted),
            ..base()
        },
    ]);
}

#[test]
fn seen_seq_must_reach_the_opening() {
    check(vec![
        Case {
            name: "device had not seen the opening",
            ballot: Ballot {
                seen_seq: OPENED_SEQ - 1,
                ..ballot()
            },
            expect: rejected(RejectReason::NotOpen),
            ..base()
        },
        Case {
            name: "seen exactly the opening",
            ballot: Ballot {
                seen_seq: OPENED_SEQ,
                ..ballot()
            },
            ..base()
        },
        Case {
            name: "seen later events",
            ballot: Ballot {
                seen_seq: OPENED_SEQ + 7,
                ..ballot()
            },
            ..base()
        },
    ]);
}

#[test]
fn live_close_and_grace_period_edges() {
    let grace_end = CLOSED_AT + GRACE;
    let late_arrival = |received_at| Case {
        state: closed(),
        ballot: Ballot {
            cast_at: CLOSED_AT - 1,
            ..ballot()
        },
        arrival: arrival(received_at),
        ..base()
    };
    check(vec![
        Case {
            name: "cast 1 ms before close, received 1 ms before grace ends",
            expect: Decision::Accept {
                cast_at: CLOSED_AT - 1,
            },
            ..late_arrival(grace_end - 1)
        },
        Case {
            name: "received exactly at close + grace",
            expect: rejected(RejectReason::Closed),
            ..late_arrival(grace_end)
        },
        Case {
            name: "cast exactly at close",
            state: closed(),
            ballot: Ballot {
                cast_at: CLOSED_AT,
                ..ballot()
            },
            arrival: arrival(CLOSED_AT + 10),
            expect: rejected(RejectReason::Closed),
            ..base()
        },
        Case {
            name: "open live motion has no end yet",
            ballot: Ballot {
                cast_at: OPENED_AT + 86_400_000,
                ..ballot()
            },
            arrival: arrival(OPENED_AT + 86_400_001),
            expect: Decision::Accept {
                cast_at: OPENED_AT + 86_400_000,
            },
            ..base()
        },
        Case {
            name: "zero grace: a ballot arriving at the close is late",
            motion: Some(motion_with(|s| s.mode = MotionMode::Live { grace_ms: 0 })),
            state: closed(),
            ballot: Ballot {
                cast_at: CLOSED_AT - 5,
                ..ballot()
            },
            arrival: arrival(CLOSED_AT),
            expect: rejected(RejectReason::Closed),
            ..base()
        },
    ]);
}

#[test]
fn written_deadline() {
    let deadline = OPENED_AT + 7 * 86_400_000;
    let written = || Some(motion_with(|s| s.mode = MotionMode::Written { deadline }));
    check(vec![
        Case {
            name: "cast offline days ago, received before the deadline",
            motion: written(),
            ballot: Ballot {
                cast_at: OPENED_AT + 86_400_000,
                ..ballot()
            },
            arrival: arrival(deadline - 1),
            expect: Decision::Accept {
                cast_at: OPENED_AT + 86_400_000,
            },
            ..base()
        },
        Case {
            name: "cast before the deadline, received at it: no grace for written motions",
            motion: written(),
            ballot: Ballot {
                cast_at: deadline - 1,
                ..ballot()
            },
            arrival: arrival(deadline),
            expect: rejected(RejectReason::Closed),
            ..base()
        },
        Case {
            name: "closed early by the chair: the close, not the deadline, ends voting",
            motion: written(),
            state: closed(),
            ballot: Ballot {
                cast_at: CLOSED_AT + 1,
                ..ballot()
            },
            arrival: arrival(CLOSED_AT + 2),
            expect: rejected(RejectReason::Closed),
            ..base()
        },
    ]);
}

#[test]
fn clock_offset_is_applied_and_bounded() {
    let ten_min = 600_000;
    check(vec![
        Case {
            name: "device clock 10 min behind: corrected into the window",
            state: closed(),
            ballot: Ballot {
                cast_at: CLOSED_AT - 1_000 - ten_min,
                ..ballot()
            },
            arrival: Arrival {
                clock_offset_ms: ten_min,
                ..arrival(CLOSED_AT + 30_000)
            },
            expect: Decision::Accept {
                cast_at: CLOSED_AT - 1_000,
            },
            ..base()
        },
        Case {
            name: "same device without its offset would look cast before opening",
            ballot: Ballot {
                cast_at: OPENED_AT + 10_000 - ten_min,
                ..ballot()
            },
            expect: rejected(RejectReason::NotOpen),
            ..base()
        },
        Case {
            name: "device clock 10 min ahead: its raw time is after close, corrected it is before",
            state: closed(),
            ballot: Ballot {
                cast_at: CLOSED_AT - 1_000 + ten_min,
                ..ballot()
            },
            arrival: Arrival {
                clock_offset_ms: -ten_min,
                ..arrival(CLOSED_AT + 30_000)
            },
            expect: Decision::Accept {
                cast_at: CLOSED_AT - 1_000,
            },
            ..base()
        },
        Case {
            name: "corrected time after arrival is not trusted: judged at arrival",
            ballot: Ballot {
                cast_at: OPENED_AT + 50_000,
                ..ballot()
            },
            arrival: arrival(OPENED_AT + 20_000),
            expect: Decision::Accept {
                cast_at: OPENED_AT + 20_000,
            },
            ..base()
        },
        Case {
            name: "a future-dated ballot arriving in the grace period is late, not on time",
            state: closed(),
            ballot: Ballot {
                cast_at: CLOSED_AT + 3_600_000,
                ..ballot()
            },
            arrival: arrival(CLOSED_AT + 1_000),
            expect: rejected(RejectReason::Closed),
            ..base()
        },
        Case {
            name: "cast a little before the opening (within tolerance): counted from the opening",
            ballot: Ballot {
                cast_at: OPENED_AT - CLOCK_TOLERANCE_MS,
                ..ballot()
            },
            expect: Decision::Accept { cast_at: OPENED_AT },
            ..base()
        },
        Case {
            name: "cast beyond the tolerance before the opening",
            ballot: Ballot {
                cast_at: OPENED_AT - CLOCK_TOLERANCE_MS - 1,
                ..ballot()
            },
            expect: rejected(RejectReason::NotOpen),
            ..base()
        },
    ]);
}

#[test]
fn changing_a_vote() {
    let may_change = || Some(motion_with(|s| s.may_change_vote = true));
    let t = OPENED_AT + 10_000;
    check(vec![
        Case {
            name: "later ballot replaces the earlier",
            motion: may_change(),
            prior: prior("op-0000", t - 1),
            expect: Decision::AcceptReplacing {
                cast_at: t,
                previous: "op-0000".into(),
            },
            ..base()
        },
        Case {
            name: "earlier ballot arriving after a later one is superseded",
            motion: may_change(),
            prior: prior("op-0000", t + 1),
            expect: Decision::Superseded {
                by: "op-0000".into(),
            },
            ..base()
        },
        Case {
            name: "same instant: the greater op id wins (new is greater)",
            motion: may_change(),
            prior: prior("op-0000", t),
            expect: Decision::AcceptReplacing {
                cast_at: t,
                previous: "op-0000".into(),
            },
            ..base()
        },
        Case {
            name: "same instant: the greater op id wins (prior is greater)",
            motion: may_change(),
            prior: prior("op-0002", t),
            expect: Decision::Superseded {
                by: "op-0002".into(),
            },
            ..base()
        },
        Case {
            name: "changes not allowed: later ballot refused",
            prior: prior("op-0000", t - 1),
            expect: rejected(RejectReason::AlreadyVoted),
            ..base()
        },
        Case {
            name: "a retry of the counting ballot is still accepted, at its stored time",
            prior: prior("op-0001", t - 7),
            expect: Decision::Accept { cast_at: t - 7 },
            ..base()
        },
        Case {
            name: "a late ballot never replaces a counting one",
            motion: may_change(),
            state: closed(),
            ballot: Ballot {
                cast_at: CLOSED_AT + 5,
                ..ballot()
            },
            arrival: arrival(CLOSED_AT + 6),
            prior: prior("op-0000", t),
            expect: rejected(RejectReason::Closed),
        },
    ]);
}

#[test]
fn signing_bytes_start_with_the_domain_and_cover_every_field() {
    let b = ballot();
    let bytes = b.signing_bytes();
    let domain = Ballot::SIGNING_DOMAIN.as_bytes();
    assert_eq!(&bytes[..8], &(domain.len() as u64).to_be_bytes());
    assert_eq!(&bytes[8..8 + domain.len()], domain);
    assert_eq!(bytes, ballot().signing_bytes(), "encoding is deterministic");
    let variants = [
        Ballot {
            op_id: "op-0002".into(),
            ..ballot()
        },
        Ballot {
            motion_id: "motion-2".into(),
            ..ballot()
        },
        Ballot {
            member_id: member(1),
            ..ballot()
        },
        Ballot {
            device_id: "device-1".into(),
            ..ballot()
        },
        Ballot {
            choice: 1,
            ..ballot()
        },
        Ballot {
            cast_at: b.cast_at + 1,
            ..ballot()
        },
        Ballot {
            seen_seq: b.seen_seq + 1,
            ..ballot()
        },
        // Shifting a character between neighbouring fields must not collide.
        Ballot {
            op_id: "op-0001m".into(),
            motion_id: "otion-1".into(),
            ..ballot()
        },
    ];
    for v in variants {
        assert_ne!(v.signing_bytes(), bytes, "{v:?}");
    }
}
