//! Motion validation, transitions and finality.

use ecabinet_model::{
    BallotKind, Finality, Motion, MotionError, MotionMode, MotionSpec, MotionState, Quorum, Stance,
    TransitionError, VoteOption, DEFAULT_GRACE_MS,
};

use crate::fixtures::*;

fn check_invalid(change: impl FnOnce(&mut MotionSpec), expect: MotionError) {
    let mut s = spec();
    change(&mut s);
    assert_eq!(Motion::new(s), Err(expect.clone()), "{expect}");
}

#[test]
fn defaults_are_the_three_vietnamese_options_and_two_minutes_grace() {
    let labels: Vec<_> = VoteOption::defaults()
        .into_iter()
        .map(|o| (o.label, o.stance))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("Đồng ý".to_string(), Stance::Approve),
            ("Không đồng ý".to_string(), Stance::Reject),
            ("Không biểu quyết".to_string(), Stance::Abstain),
        ]
    );
    assert_eq!(MotionMode::live(), MotionMode::Live { grace_ms: 120_000 });
    assert_eq!(DEFAULT_GRACE_MS, 120_000);
}

#[test]
fn invalid_motions_are_refused() {
    check_invalid(
        |s| {
            s.options = vec![
                VoteOption::new("Có", Stance::Approve),
                VoteOption::new("Bỏ qua", Stance::Abstain),
            ]
        },
        MotionError::MissingApproveOrReject,
    );
    check_invalid(
        |s| s.options[2].label = "  ".into(),
        MotionError::EmptyLabel { index: 2 },
    );
    check_invalid(
        |s| s.options[2].label = "Đồng ý".into(),
        MotionError::DuplicateLabel { index: 2 },
    );
    check_invalid(|s| s.eligible.clear(), MotionError::NoEligibleMembers);
    check_invalid(
        |s| s.quorum = Quorum::AtLeast(6),
        MotionError::QuorumAboveEligible {
            quorum: 6,
            eligible: 5,
        },
    );
    check_invalid(
        |s| s.mode = MotionMode::Live { grace_ms: -1 },
        MotionError::NegativeGrace,
    );
    check_invalid(
        |s| {
            s.kind = BallotKind::Secret;
            s.may_change_vote = true;
        },
        MotionError::SecretVoteCannotChange,
    );
}

#[test]
fn custom_options_are_allowed() {
    let m = motion_with(|s| {
        s.options = vec![
            VoteOption::new("Phương án A", Stance::Approve),
            VoteOption::new("Phương án B", Stance::Reject),
            VoteOption::new("Xin ý kiến thêm", Stance::Abstain),
            VoteOption::new("Vắng", Stance::Abstain),
        ]
    });
    assert_eq!(m.stance(3), Some(Stance::Abstain));
    assert_eq!(m.stance(4), None);
}

#[test]
fn transitions_go_draft_open_closed_only() {
    let m = motion_with(|_| {});
    let open = MotionState::Draft
        .open(&m, OPENED_AT, OPENED_SEQ)
        .expect("draft opens");
    assert_eq!(
        open,
        MotionState::Open {
            opened_at: OPENED_AT,
            opened_seq: OPENED_SEQ
        }
    );
    assert_eq!(open.open(&m, OPENED_AT, 51), Err(TransitionError::NotDraft));
    assert_eq!(
        MotionState::Draft.close(OPENED_AT),
        Err(TransitionError::NotOpen)
    );
    assert_eq!(
        open.close(OPENED_AT - 1),
        Err(TransitionError::CloseBeforeOpen)
    );
    let closed = open.close(CLOSED_AT).expect("open closes");
    assert_eq!(
        closed,
        MotionState::Closed {
            opened_at: OPENED_AT,
            opened_seq: OPENED_SEQ,
            closed_at: CLOSED_AT
        }
    );
    assert_eq!(closed.close(CLOSED_AT + 1), Err(TransitionError::NotOpen));
    assert_eq!(
        closed.open(&m, CLOSED_AT + 1, 60),
        Err(TransitionError::NotDraft)
    );

    let written = motion_with(|s| {
        s.mode = MotionMode::Written {
            deadline: OPENED_AT,
        }
    });
    assert_eq!(
        MotionState::Draft.open(&written, OPENED_AT, 1),
        Err(TransitionError::AfterDeadline)
    );
}

#[test]
fn results_are_provisional_until_grace_or_deadline_ends() {
    let live = motion_with(|_| {});
    let cases = [
        (MotionState::Draft, OPENED_AT, Finality::Provisional),
        (open(), OPENED_AT + 999_999_999, Finality::Provisional),
        (closed(), CLOSED_AT + GRACE - 1, Finality::Provisional),
        (closed(), CLOSED_AT + GRACE, Finality::Final),
    ];
    for (state, now, expect) in cases {
        assert_eq!(
            live.finality(&state, now),
            expect,
            "live {state:?} at {now}"
        );
    }
    let deadline = OPENED_AT + 3_600_000;
    let written = motion_with(|s| s.mode = MotionMode::Written { deadline });
    let cases = [
        (open(), deadline - 1, Finality::Provisional),
        (open(), deadline, Finality::Final),
        (closed(), CLOSED_AT, Finality::Final),
    ];
    for (state, now, expect) in cases {
        assert_eq!(
            written.finality(&state, now),
            expect,
            "written {state:?} at {now}"
        );
    }
}
