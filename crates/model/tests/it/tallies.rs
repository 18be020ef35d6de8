//! Tally: majority rules with ties, quorum, presence, counting invariants, chair view.

use ecabinet_model::{
    chair_view, tally, Attendance, AttendanceMark, BallotKind, Count, DeviceContact, Finality,
    MajorityRule, MarkedBy, MemberId, Motion, MotionMode, MotionState, NotVoted, Outcome, Presence,
    Quorum, TallyError,
};

use crate::fixtures::*;

struct Case {
    rule: MajorityRule,
    eligible: usize,
    quorum: Quorum,
    /// Approve, reject, abstain ballots, cast by members 0, 1, 2, … in that order.
    votes: (usize, usize, usize),
    /// Members 0..in_room are marked in the room (voters count as present anyway).
    in_room: usize,
    expect: (Outcome, u32),
}

fn marks(n: usize) -> Attendance {
    let mut a = Attendance::new();
    for i in 0..n {
        a.apply(AttendanceMark {
            op_id: format!("att-{i}").as_str().into(),
            member_id: member(i),
            presence: Presence::InRoom,
            at: OPENED_AT - 1,
            by: MarkedBy::Member,
        });
    }
    a
}

fn ballots(votes: (usize, usize, usize)) -> Vec<(MemberId, u32)> {
    let (a, r, x) = votes;
    (0..a + r + x)
        .map(|i| {
            (
                member(i),
                if i < a {
                    0
                } else if i < a + r {
                    1
                } else {
                    2
                },
            )
        })
        .collect()
}

fn check(cases: Vec<Case>) {
    for (i, c) in cases.into_iter().enumerate() {
        let motion = motion_with(|s| {
            s.rule = c.rule;
            s.eligible = members(c.eligible);
            s.quorum = c.quorum;
        });
        let ballots = ballots(c.votes);
        let count =
            Count::named(&motion, ballots.iter().map(|(m, ch)| (m, *ch))).expect("valid ballots");
        let t = tally(
            &motion,
            &closed(),
            &count,
            &marks(c.in_room),
            CLOSED_AT + GRACE,
        );
        assert_eq!(
            (t.outcome, t.present),
            c.expect,
            "case {i}: {:?} {:?}",
            c.rule,
            c.votes
        );
        assert_eq!(
            (t.approve, t.reject, t.abstain),
            (c.votes.0 as u32, c.votes.1 as u32, c.votes.2 as u32)
        );
        assert_eq!(t.participating as usize, c.votes.0 + c.votes.1 + c.votes.2);
        assert_eq!(t.finality, Finality::Final);
    }
}

fn case(rule: MajorityRule, eligible: usize, votes: (usize, usize, usize), in_room: usize) -> Case {
    Case {
        rule,
        eligible,
        quorum: Quorum::AtLeast(1),
        votes,
        in_room,
        expect: (Outcome::Adopted, 0),
    }
}

#[test]
fn simple_majority_counts_votes_cast_and_a_tie_is_not_adopted() {
    use MajorityRule::Simple;
    check(vec![
        Case {
            expect: (Outcome::Adopted, 9),
            ..case(Simple, 9, (3, 2, 4), 0)
        },
        Case {
            expect: (Outcome::Rejected, 4),
            ..case(Simple, 9, (2, 2, 0), 0)
        },
        Case {
            expect: (Outcome::Rejected, 3),
            ..case(Simple, 9, (0, 0, 3), 0)
        },
        // Absentees do not matter: 1 for, 0 against, 8 in the room silent.
        Case {
            expect: (Outcome::Adopted, 9),
            ..case(Simple, 9, (1, 0, 0), 9)
        },
    ]);
}

#[test]
fn absolute_majority_counts_members_present() {
    use MajorityRule::Absolute;
    check(vec![
        Case {
            expect: (Outcome::Adopted, 9),
            ..case(Absolute, 12, (5, 0, 0), 9)
        },
        // 4 of 8 present is exactly half: a tie, not adopted.
        Case {
            expect: (Outcome::Rejected, 8),
            ..case(Absolute, 12, (4, 0, 0), 8)
        },
        // Abstentions lower nothing: still 5 of 10 present.
        Case {
            expect: (Outcome::Rejected, 10),
            ..case(Absolute, 12, (5, 1, 4), 0)
        },
    ]);
}

#[test]
fn two_thirds_counts_eligible_members() {
    use MajorityRule::TwoThirds;
    check(vec![
        Case {
            expect: (Outcome::Adopted, 6),
            ..case(TwoThirds, 9, (6, 0, 0), 0)
        },
        Case {
            expect: (Outcome::Rejected, 9),
            ..case(TwoThirds, 9, (5, 0, 0), 9)
        },
        Case {
            expect: (Outcome::Adopted, 7),
            ..case(TwoThirds, 10, (7, 0, 0), 0)
        },
        // 2/3 of 10 is 6.67: 6 is short even with nobody against.
        Case {
            expect: (Outcome::Rejected, 10),
            ..case(TwoThirds, 10, (6, 0, 0), 10)
        },
    ]);
}

#[test]
fn quorum_not_met_overrides_any_majority() {
    check(vec![
        Case {
            quorum: Quorum::AtLeast(6),
            expect: (Outcome::NoQuorum, 5),
            ..case(MajorityRule::Simple, 9, (5, 0, 0), 0)
        },
        Case {
            quorum: Quorum::AtLeast(6),
            expect: (Outcome::Adopted, 6),
            ..case(MajorityRule::Simple, 9, (5, 0, 0), 6)
        },
        Case {
            quorum: Quorum::MoreThanHalfOfEligible,
            expect: (Outcome::NoQuorum, 5),
            ..case(MajorityRule::Simple, 10, (5, 0, 0), 5)
        },
        Case {
            quorum: Quorum::MoreThanHalfOfEligible,
            expect: (Outcome::Adopted, 6),
            ..case(MajorityRule::Simple, 10, (5, 0, 0), 6)
        },
    ]);
}

#[test]
fn attendance_is_the_chairs_mark_first_then_the_latest_and_absent_is_not_present() {
    let mark = |op: &str, presence: Presence, at: i64, by: MarkedBy| AttendanceMark {
        op_id: op.into(),
        member_id: member(0),
        presence,
        at,
        by,
    };
    let absent = || Presence::Absent {
        reason: "công tác".into(),
    };
    let in_room = mark("att-2", Presence::InRoom, 20, MarkedBy::Member);
    let chair_absent = mark("att-1", absent(), 10, MarkedBy::Chair);
    let online = mark("att-3", Presence::Online, 20, MarkedBy::Member);

    let mut forward = Attendance::new();
    let mut backward = Attendance::new();
    for m in [&chair_absent, &in_room, &online] {
        forward.apply(m.clone());
    }
    for m in [&online, &in_room, &chair_absent] {
        backward.apply(m.clone());
    }
    assert_eq!(forward, backward, "order of arrival does not matter");
    assert_eq!(
        forward.presence(&member(0)),
        Some(&absent()),
        "the chair's mark stands over the member's later check-ins"
    );
    assert!(!forward.apply(online.clone()), "re-applying is a no-op");

    let mut own = Attendance::new();
    for m in [&online, &in_room] {
        own.apply(m.clone());
    }
    assert_eq!(
        own.presence(&member(0)),
        Some(&Presence::Online),
        "same instant: greater op id wins"
    );

    let mut a = Attendance::new();
    a.apply(in_room);
    assert!(a.is_present(&member(0)));
    assert!(
        a.apply(mark("att-9", absent(), 30, MarkedBy::Chair)),
        "the chair's later mark wins"
    );
    assert!(!a.is_present(&member(0)));
    assert!(!a.is_present(&member(1)), "no mark is not present");
}

#[test]
fn written_consultation_presence_is_participation() {
    let motion = motion_with(|s| {
        s.mode = MotionMode::Written {
            deadline: CLOSED_AT,
        };
        s.quorum = Quorum::AtLeast(3);
    });
    let b = ballots((2, 0, 0));
    let count = Count::named(&motion, b.iter().map(|(m, c)| (m, *c))).expect("valid");
    // Marks in a room mean nothing for a written consultation.
    let t = tally(&motion, &open(), &count, &marks(5), CLOSED_AT - 1);
    assert_eq!(
        (t.present, t.quorum_met, t.outcome, t.finality),
        (2, false, Outcome::NoQuorum, Finality::Provisional)
    );
}

#[test]
fn no_member_is_counted_twice_and_bad_rows_are_refused() {
    let motion = motion_with(|_| {});
    let (m0, m1, m9) = (member(0), member(1), member(9));
    assert_eq!(
        Count::named(&motion, [(&m0, 0), (&m1, 1), (&m0, 1)]),
        Err(TallyError::DuplicateVoter(m0.clone()))
    );
    assert_eq!(
        Count::named(&motion, [(&m9, 0)]),
        Err(TallyError::NotEligible(m9.clone()))
    );
    assert_eq!(
        Count::named(&motion, [(&m0, 3)]),
        Err(TallyError::InvalidChoice(3))
    );

    let secret = motion_with(|s| s.kind = BallotKind::Secret);
    assert_eq!(
        Count::secret(&secret, [0, 1, 1], [&m0, &m1]),
        Err(TallyError::VoterCountMismatch {
            ballots: 3,
            voters: 2
        })
    );
    assert_eq!(
        Count::secret(&secret, [0, 1], [&m0, &m0]),
        Err(TallyError::DuplicateVoter(m0.clone()))
    );
    let ok = Count::secret(&secret, [0, 1, 1], [&m0, &m1, &member(2)]).expect("consistent");
    assert_eq!(ok.per_option(), &[1, 2, 0]);
}

#[test]
fn chair_sees_who_has_not_voted_by_name_or_by_number() {
    let contact = |m: usize, d: &str, at: Option<i64>| DeviceContact {
        member_id: member(m),
        device_id: d.into(),
        last_contact_at: at,
    };
    let devices = vec![
        contact(0, "d0", Some(OPENED_AT + 3)),
        // Voted from another device, this one silent since before the opening.
        contact(1, "d1", None),
        contact(2, "d2", Some(OPENED_AT - 1)),
        // Heard from at the very instant of the opening: synced.
        contact(3, "d3", Some(OPENED_AT)),
        contact(4, "d4a", Some(3)),
        contact(4, "d4b", Some(OPENED_AT + 1)),
        // Not eligible: never counted.
        contact(7, "d7", None),
    ];
    let voted = [member(0), member(1)];
    let named = motion_with(|_| {});
    let view = chair_view(&named, &open(), voted.iter(), &devices);
    assert_eq!(
        (view.received, view.eligible, view.unsynced_devices),
        (2, 5, 3)
    );
    assert_eq!(
        view.not_voted,
        NotVoted::Members(vec![member(2), member(3), member(4)])
    );

    let secret = motion_with(|s| s.kind = BallotKind::Secret);
    let view = chair_view(&secret, &open(), voted.iter(), &devices);
    assert_eq!(view.not_voted, NotVoted::Count(3));

    let draft = chair_view(&named, &MotionState::Draft, std::iter::empty(), &devices);
    assert_eq!(draft.unsynced_devices, 6);
}

#[test]
fn provisional_result_can_flip_until_grace_ends() {
    // A closed live motion in its grace period is provisional even when it
    // already has a majority: offline ballots may still arrive.
    let motion: Motion = motion_with(|_| {});
    let b = ballots((3, 0, 0));
    let count = Count::named(&motion, b.iter().map(|(m, c)| (m, *c))).expect("valid");
    let t = tally(
        &motion,
        &closed(),
        &count,
        &Attendance::new(),
        CLOSED_AT + 1,
    );
    assert_eq!(
        (t.outcome, t.finality),
        (Outcome::Adopted, Finality::Provisional)
    );
}
