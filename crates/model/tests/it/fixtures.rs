//! Shared builders: a five-member committee and a live motion opened at a
//! known instant, so each test states only what it changes.

use ecabinet_model::{
    Arrival, Ballot, BallotKind, MajorityRule, MemberId, Motion, MotionMode, MotionSpec,
    MotionState, Quorum, VoteOption,
};

pub const OPENED_AT: i64 = 1_700_000_000_000;
pub const OPENED_SEQ: i64 = 50;
pub const CLOSED_AT: i64 = OPENED_AT + 60_000;
pub const GRACE: i64 = 120_000;

pub fn member(i: usize) -> MemberId {
    MemberId::new(format!("member-{i}"))
}

pub fn members(n: usize) -> std::collections::BTreeSet<MemberId> {
    (0..n).map(member).collect()
}

pub fn spec() -> MotionSpec {
    MotionSpec {
        id: "motion-1".into(),
        question: "Thông qua dự toán ngân sách?".into(),
        options: VoteOption::defaults(),
        kind: BallotKind::Named,
        rule: MajorityRule::Simple,
        quorum: Quorum::AtLeast(1),
        eligible: members(5),
        may_change_vote: false,
        mode: MotionMode::Live { grace_ms: GRACE },
    }
}

pub fn motion_with(change: impl FnOnce(&mut MotionSpec)) -> Motion {
    let mut s = spec();
    change(&mut s);
    Motion::new(s).expect("fixture motion is valid")
}

pub fn open() -> MotionState {
    MotionState::Open {
        opened_at: OPENED_AT,
        opened_seq: OPENED_SEQ,
    }
}

pub fn closed() -> MotionState {
    MotionState::Closed {
        opened_at: OPENED_AT,
        opened_seq: OPENED_SEQ,
        closed_at: CLOSED_AT,
    }
}

/// Member 0's ballot for option 0, cast 10 s after opening on a device that
/// had seen the opening.
pub fn ballot() -> Ballot {
    Ballot {
        op_id: "op-0001".into(),
        motion_id: "motion-1".into(),
        member_id: member(0),
        device_id: "device-0".into(),
        choice: 0,
        cast_at: OPENED_AT + 10_000,
        seen_seq: OPENED_SEQ,
    }
}

/// A well-signed arrival from a device with an exact clock.
pub fn arrival(received_at: i64) -> Arrival {
    Arrival {
        received_at,
        clock_offset_ms: 0,
        signature_valid: true,
        device_revoked: false,
    }
}
