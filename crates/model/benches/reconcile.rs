//! Micro-check of the pure rules' share of the server path: reconciling one
//! batch of 10,000 offline ballots (goal for the whole server path: ≤ 1 s),
//! plus counting, tallying and hashing them into the audit chain.
//! Prints wall-clock figures; asserts nothing about speed.

use std::collections::BTreeSet;
use std::time::Instant;

use ecabinet_model::{
    append_all, reconcile, tally, Arrival, Attendance, AuditRecord, Ballot, BallotKind, ChainHead,
    Count, Ledger, MajorityRule, MemberId, Motion, MotionMode, MotionSpec, MotionState, OpStatus,
    Quorum, Submission, VoteOption,
};

const OPENED_AT: i64 = 1_800_000_000_000;

fn motion(members: usize, may_change: bool) -> Motion {
    let eligible: BTreeSet<MemberId> = (0..members)
        .map(|i| MemberId::new(format!("member-{i:05}")))
        .collect();
    Motion::new(MotionSpec {
        id: "motion".into(),
        question: "?".into(),
        options: VoteOption::defaults(),
        kind: BallotKind::Named,
        rule: MajorityRule::Simple,
        quorum: Quorum::MoreThanHalfOfEligible,
        eligible,
        may_change_vote: may_change,
        mode: MotionMode::live(),
    })
    .expect("valid motion")
}

fn batch(members: usize, ballots: usize) -> Vec<Submission> {
    (0..ballots)
        .map(|i| {
            // Spread casts over the minute the motion was open, in scrambled order.
            let k = (i * 7919) % ballots;
            Submission {
                ballot: Ballot {
                    op_id: format!("0190a5c4-{k:08}-7000-8000-000000000000").into(),
                    motion_id: "motion".into(),
                    member_id: MemberId::new(format!("member-{:05}", k % members)),
                    device_id: format!("device-{}", k % members).into(),
                    choice: (k % 3) as u32,
                    cast_at: OPENED_AT + (k as i64 * 6) % 60_000,
                    seen_seq: 10,
                },
                arrival: Arrival {
                    received_at: OPENED_AT + 90_000,
                    clock_offset_ms: 0,
                    signature_valid: true,
                    device_revoked: false,
                },
            }
        })
        .collect()
}

fn run(label: &str, members: usize, ballots: usize, may_change: bool) {
    let motion = motion(members, may_change);
    let state = MotionState::Closed {
        opened_at: OPENED_AT,
        opened_seq: 10,
        closed_at: OPENED_AT + 60_000,
    };
    let submissions = batch(members, ballots);
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..5 {
        let mut ledger = Ledger::new("motion".into());
        let start = Instant::now();
        let r = reconcile(Some((&motion, &state)), &mut ledger, &submissions);
        best = best.min(start.elapsed().as_secs_f64() * 1e3);
        out = Some((r, ledger));
    }
    let (r, ledger) = out.expect("ran");
    let accepted = r
        .results
        .iter()
        .filter(|s| **s == OpStatus::Accepted)
        .count();

    let start = Instant::now();
    let counting: Vec<(MemberId, u32)> = r
        .accepted
        .iter()
        .map(|(b, _)| (b.member_id.clone(), b.choice))
        .collect();
    let count =
        Count::named(&motion, counting.iter().map(|(m, c)| (m, *c))).expect("one per member");
    let t = tally(
        &motion,
        &state,
        &count,
        &Attendance::new(),
        OPENED_AT + 200_000,
    );
    let tally_ms = start.elapsed().as_secs_f64() * 1e3;

    let start = Instant::now();
    let records = r
        .accepted
        .iter()
        .map(|(b, cast_at)| AuditRecord::NamedBallot {
            motion_id: b.motion_id.clone(),
            op_id: b.op_id.clone(),
            member_id: b.member_id.clone(),
            choice: b.choice,
            cast_at: *cast_at,
            qualified: None,
        });
    let chain = append_all(&ChainHead::GENESIS, records);
    let audit_ms = start.elapsed().as_secs_f64() * 1e3;

    let start = Instant::now();
    let signed: usize = submissions
        .iter()
        .map(|s| s.ballot.signing_bytes().len())
        .sum();
    let sign_ms = start.elapsed().as_secs_f64() * 1e3;

    println!(
        "{label}: reconcile {ballots} ballots / {members} members: {best:.1} ms (best of 5); \
         {accepted} accepted, {} voters, outcome {:?}; count+tally {tally_ms:.1} ms; \
         audit chain of {} records {audit_ms:.1} ms; signing bytes {sign_ms:.1} ms ({signed} B)",
        ledger.voters().count(),
        t.outcome,
        chain.len(),
    );
}

fn main() {
    run("one ballot each", 10_000, 10_000, false);
    run("changes allowed", 1_300, 10_000, true);
    run("first vote counts", 1_300, 10_000, false);
}
