//! State-machine property test of reconciliation: many members and devices
//! voting online and offline, retries, duplicate sends, reordered and pooled
//! batches, skewed clocks, the motion opening and closing, all checked against
//! a reference model written independently here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;

use ecabinet_model::{
    reconcile, tally, Arrival, Attendance, Ballot, BallotKind, Count, Ledger, MajorityRule,
    MemberId, Motion, MotionMode, MotionSpec, MotionState, OpId, OpStatus, Outcome, Quorum,
    RejectReason, Submission, VoteOption, CLOCK_TOLERANCE_MS,
};

const MEMBERS: usize = 6; // member 5 is not eligible
const DEVICES: usize = 8; // device i belongs to member i for i < 6; 6 → member 0; 7 → member 1 (revoked)
const START: i64 = 1_800_000_000_000;

fn owner(device: usize) -> usize {
    match device {
        6 => 0,
        7 => 1,
        d => d,
    }
}

#[derive(Debug, Clone)]
enum Step {
    Advance(i64),
    Open,
    Close,
    /// The member votes on this device. Online, the device is up to date and
    /// sends the ballot at once; offline, the ballot waits in its outbox.
    Cast {
        device: usize,
        choice: u32,
        bad_signature: bool,
        online: bool,
    },
    /// The device pulls the feed (learns the current seq).
    Pull {
        device: usize,
    },
    /// The device pushes its outbox, shuffled, maybe with a duplicate send.
    Push {
        device: usize,
        seed: u64,
        duplicate: bool,
    },
    /// Several devices' outboxes arrive in one pooled batch.
    Pool {
        devices: Vec<usize>,
        seed: u64,
    },
    /// The device resends ops it already sent (it lost the responses).
    Retry {
        device: usize,
    },
}

/// Mostly eligible members on valid devices; sometimes the ineligible member
/// (device 5) or the revoked device (7).
fn device() -> impl Strategy<Value = usize> {
    prop_oneof![8 => 0..5usize, 1 => 5..DEVICES]
}

/// Mostly a real option; sometimes one past the last.
fn choice() -> impl Strategy<Value = u32> {
    prop_oneof![12 => 0..3u32, 1 => Just(3u32)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0i64..40_000).prop_map(Step::Advance),
        2 => Just(Step::Open),
        1 => Just(Step::Close),
        8 => (device(), choice(), prop::bool::weighted(0.05), prop::bool::weighted(0.5))
            .prop_map(|(device, choice, bad_signature, online)| Step::Cast { device, choice, bad_signature, online }),
        3 => device().prop_map(|device| Step::Pull { device }),
        4 => (device(), any::<u64>(), any::<bool>())
            .prop_map(|(device, seed, duplicate)| Step::Push { device, seed, duplicate }),
        2 => (prop::collection::vec(device(), 2..5), any::<u64>())
            .prop_map(|(devices, seed)| Step::Pool { devices, seed }),
        2 => device().prop_map(|device| Step::Retry { device }),
    ]
}

#[derive(Debug, Clone)]
struct Setup {
    may_change: bool,
    secret: bool,
    mode: MotionMode,
    /// Per device: true clock skew, and the error of its measured offset.
    clocks: Vec<(i64, i64)>,
    steps: Vec<Step>,
}

fn setup() -> impl Strategy<Value = Setup> {
    let mode = prop_oneof![
        (0i64..90_000).prop_map(|grace_ms| MotionMode::Live { grace_ms }),
        (60_000i64..600_000).prop_map(|d| MotionMode::Written {
            deadline: START + d
        }),
    ];
    (
        any::<bool>(),
        any::<bool>(),
        mode,
        prop::collection::vec((-900_000i64..900_000, -4_000i64..4_000), DEVICES),
        prop::collection::vec(step(), 1..70),
    )
        .prop_map(|(may_change, secret, mode, clocks, steps)| Setup {
            may_change: may_change && !secret,
            secret,
            mode,
            clocks,
            steps,
        })
}

/// Small deterministic shuffle, so batches arrive in arbitrary order.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = usize::try_from((seed >> 33) % (i as u64 + 1)).expect("fits");
        items.swap(i, j);
    }
}

/// What the reference model needs about an op's first arrival.
#[derive(Debug, Clone)]
struct FirstArrival {
    batch: usize,
    submission: Submission,
    state: MotionState,
}

/// The reference verdict on one op from the rules as written in the issue,
/// ignoring the member's other ballots: `Ok(effective cast time)` if valid and
/// on time, or the reason it is not.
fn reference_verdict(motion: &Motion, a: &FirstArrival) -> Result<i64, RejectReason> {
    let (b, arr) = (&a.submission.ballot, &a.submission.arrival);
    if !arr.signature_valid {
        return Err(RejectReason::BadSignature);
    }
    if arr.device_revoked {
        return Err(RejectReason::DeviceRevoked);
    }
    if !motion.eligible().contains(&b.member_id) {
        return Err(RejectReason::NotEligible);
    }
    if b.choice as usize >= motion.options().len() {
        return Err(RejectReason::InvalidChoice);
    }
    let (opened_at, opened_seq, closed_at) = match a.state {
        MotionState::Draft => return Err(RejectReason::NotOpen),
        MotionState::Open {
            opened_at,
            opened_seq,
        } => (opened_at, opened_seq, None),
        MotionState::Closed {
            opened_at,
            opened_seq,
            closed_at,
        } => (opened_at, opened_seq, Some(closed_at)),
    };
    let mut t = b.cast_at + arr.clock_offset_ms;
    if t > arr.received_at {
        t = arr.received_at;
    }
    if b.seen_seq < opened_seq || t < opened_at - CLOCK_TOLERANCE_MS {
        return Err(RejectReason::NotOpen);
    }
    if t < opened_at {
        t = opened_at;
    }
    let (vote_end, receive_end) = match motion.mode() {
        MotionMode::Live { grace_ms } => match closed_at {
            Some(c) => (Some(c), Some(c + grace_ms)),
            None => (None, None),
        },
        MotionMode::Written { deadline } => {
            let end = closed_at.map_or(deadline, |c| c.min(deadline));
            (Some(end), Some(end))
        }
    };
    if vote_end.is_some_and(|e| t >= e) || receive_end.is_some_and(|e| arr.received_at >= e) {
        return Err(RejectReason::Closed);
    }
    Ok(t)
}

fn run(s: Setup) -> Result<(), TestCaseError> {
    let eligible: BTreeSet<MemberId> = (0..MEMBERS - 1)
        .map(|i| MemberId::new(format!("m{i}")))
        .collect();
    let motion = Motion::new(MotionSpec {
        id: "motion".into(),
        question: "?".into(),
        options: VoteOption::defaults(),
        kind: if s.secret {
            BallotKind::Secret
        } else {
            BallotKind::Named
        },
        rule: MajorityRule::Simple,
        quorum: Quorum::AtLeast(1),
        eligible,
        may_change_vote: s.may_change,
        mode: s.mode,
    })
    .expect("valid motion");

    let mut now = START;
    let mut seq = 10i64;
    let mut state = MotionState::Draft;
    let mut ledger = Ledger::new("motion".into());
    let mut seen = [seq; DEVICES];
    let mut outbox: Vec<Vec<Ballot>> = vec![Vec::new(); DEVICES];
    let mut sent: Vec<Vec<Ballot>> = vec![Vec::new(); DEVICES];
    let mut bad_sig: BTreeSet<OpId> = BTreeSet::new();
    let mut next_op = 0u32;
    let mut ballots: HashMap<OpId, Ballot> = HashMap::new();
    let mut first_result: HashMap<OpId, OpStatus> = HashMap::new();
    let mut first_arrival: BTreeMap<OpId, FirstArrival> = BTreeMap::new();
    let mut batches = 0usize;

    let arrival_for = |device: usize, ballot: &Ballot, now: i64, bad: &BTreeSet<OpId>| {
        let (skew, err) = s.clocks[device];
        Submission {
            ballot: ballot.clone(),
            arrival: Arrival {
                received_at: now,
                clock_offset_ms: -skew + err,
                signature_valid: !bad.contains(&ballot.op_id),
                device_revoked: device == 7,
            },
        }
    };

    for step in &s.steps {
        let mut batch: Vec<(usize, Submission)> = Vec::new();
        match step {
            Step::Advance(ms) => now += ms,
            Step::Open => {
                if let Ok(next) = state.open(&motion, now, seq + 1) {
                    seq += 1;
                    state = next;
                }
            }
            Step::Close => {
                if let Ok(next) = state.close(now) {
                    seq += 1;
                    state = next;
                }
            }
            Step::Cast {
                device,
                choice,
                bad_signature,
                online,
            } => {
                if *online {
                    seen[*device] = seq;
                }
                next_op += 1;
                let op_id = OpId::new(format!("op-{next_op:05}"));
                let ballot = Ballot {
                    op_id: op_id.clone(),
                    motion_id: "motion".into(),
                    member_id: MemberId::new(format!("m{}", owner(*device))),
                    device_id: format!("d{device}").as_str().into(),
                    choice: *choice,
                    cast_at: now + s.clocks[*device].0,
                    seen_seq: seen[*device],
                };
                if *bad_signature {
                    bad_sig.insert(op_id.clone());
                }
                ballots.insert(op_id, ballot.clone());
                outbox[*device].push(ballot);
                if *online {
                    let ops = std::mem::take(&mut outbox[*device]);
                    for b in &ops {
                        batch.push((*device, arrival_for(*device, b, now, &bad_sig)));
                    }
                    sent[*device].extend(ops);
                }
            }
            Step::Pull { device } => seen[*device] = seq,
            Step::Push {
                device,
                seed,
                duplicate,
            } => {
                let mut ops = std::mem::take(&mut outbox[*device]);
                shuffle(&mut ops, *seed);
                if *duplicate {
                    if let Some(first) = ops.first().cloned() {
                        ops.push(first);
                    }
                }
                for b in &ops {
                    batch.push((*device, arrival_for(*device, b, now, &bad_sig)));
                }
                sent[*device].extend(ops);
                seen[*device] = seq;
            }
            Step::Pool { devices, seed } => {
                let mut unique: Vec<usize> = devices.clone();
                unique.sort_unstable();
                unique.dedup();
                for d in unique {
                    let ops = std::mem::take(&mut outbox[d]);
                    for b in &ops {
                        batch.push((d, arrival_for(d, b, now, &bad_sig)));
                    }
                    sent[d].extend(ops);
                    seen[d] = seq;
                }
                shuffle(&mut batch, *seed);
            }
            Step::Retry { device } => {
                for b in &sent[*device] {
                    batch.push((*device, arrival_for(*device, b, now, &bad_sig)));
                }
            }
        }
        if batch.is_empty() {
            continue;
        }
        batches += 1;
        let submissions: Vec<Submission> = batch.iter().map(|(_, sub)| sub.clone()).collect();
        let before: HashMap<OpId, OpStatus> = submissions
            .iter()
            .filter_map(|x| {
                ledger
                    .status(&x.ballot.op_id)
                    .map(|st| (x.ballot.op_id.clone(), st.clone()))
            })
            .collect();
        let out = reconcile(Some((&motion, &state)), &mut ledger, &submissions);

        // Exactly one terminal result per submission, the same for every copy of an op.
        prop_assert_eq!(out.results.len(), submissions.len());
        let mut in_batch: HashMap<&OpId, &OpStatus> = HashMap::new();
        for (sub, result) in submissions.iter().zip(&out.results) {
            let id = &sub.ballot.op_id;
            prop_assert_eq!(Some(result), ledger.status(id));
            if let Some(other) = in_batch.insert(id, result) {
                prop_assert_eq!(other, result, "copies of {} differ", id);
            }
            first_arrival
                .entry(id.clone())
                .or_insert_with(|| FirstArrival {
                    batch: batches,
                    submission: sub.clone(),
                    state,
                });
            // A retried op returns its original result; the only change ever
            // is from accepted to superseded.
            match first_result.get(id) {
                None => {
                    first_result.insert(id.clone(), result.clone());
                }
                Some(original) => {
                    let ok = original == result
                        || (*original == OpStatus::Accepted
                            && matches!(result, OpStatus::Superseded { .. }));
                    prop_assert!(ok, "op {} was {:?}, now {:?}", id, original, result);
                }
            }
            if let Some(prev) = before.get(id) {
                let unchanged = prev == result || matches!(result, OpStatus::Superseded { .. });
                prop_assert!(
                    unchanged,
                    "retry of {} re-decided: {:?} -> {:?}",
                    id,
                    prev,
                    result
                );
            }
        }
        prop_assert_eq!(
            ledger.len(),
            first_arrival.len(),
            "one status per op ever sent"
        );

        // No member counted twice: at most one accepted op per member.
        let mut accepted_per_member: BTreeMap<MemberId, Vec<OpId>> = BTreeMap::new();
        for id in first_arrival.keys() {
            if ledger.status(id) == Some(&OpStatus::Accepted) {
                accepted_per_member
                    .entry(ballots[id].member_id.clone())
                    .or_default()
                    .push(id.clone());
            }
        }
        for (member, ops) in &accepted_per_member {
            prop_assert_eq!(ops.len(), 1, "member {} counted for {:?}", member, ops);
            prop_assert_eq!(ledger.counting(member).map(|p| &p.op_id), Some(&ops[0]));
        }
        prop_assert_eq!(ledger.voters().count(), accepted_per_member.len());
    }

    // Reference model: each op's verdict from its first arrival alone, then
    // per member the winner among the valid ones.
    let mut valid: BTreeMap<MemberId, Vec<(usize, i64, OpId)>> = BTreeMap::new();
    for (id, a) in &first_arrival {
        match reference_verdict(&motion, a) {
            Ok(t) => valid
                .entry(a.submission.ballot.member_id.clone())
                .or_default()
                .push((a.batch, t, id.clone())),
            Err(reason) => prop_assert_eq!(
                ledger.status(id),
                Some(&OpStatus::Rejected(reason)),
                "op {}",
                id
            ),
        }
    }
    let mut expected_counts = vec![0u32; motion.options().len()];
    let mut expected_voters = BTreeSet::new();
    for (member, ops) in &valid {
        let winner = if s.may_change {
            ops.iter().max_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)))
        } else {
            let first_batch = ops.iter().map(|o| o.0).min().expect("non-empty");
            ops.iter()
                .filter(|o| o.0 == first_batch)
                .min_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)))
        }
        .expect("non-empty");
        for (_, _, id) in ops {
            let status = ledger.status(id).expect("decided");
            if *id == winner.2 {
                prop_assert_eq!(status, &OpStatus::Accepted, "winner {} of {}", id, member);
            } else if s.may_change {
                prop_assert!(
                    matches!(status, OpStatus::Superseded { .. }),
                    "{} is {:?}",
                    id,
                    status
                );
            } else {
                prop_assert_eq!(
                    status,
                    &OpStatus::Rejected(RejectReason::AlreadyVoted),
                    "op {}",
                    id
                );
            }
        }
        expected_counts[ballots[&winner.2].choice as usize] += 1;
        expected_voters.insert(member.clone());
    }

    // The tally from the ledger's counting ballots equals the reference.
    let counting: Vec<(MemberId, u32)> = ledger
        .voters()
        .map(|(m, p)| (m.clone(), ballots[&p.op_id].choice))
        .collect();
    let count = if s.secret {
        let choices: Vec<u32> = counting.iter().map(|(_, c)| *c).collect();
        Count::secret(&motion, choices, ledger.voters().map(|(m, _)| m))
    } else {
        Count::named(&motion, counting.iter().map(|(m, c)| (m, *c)))
    }
    .expect("ledger never counts a member twice");
    let t = tally(&motion, &state, &count, &Attendance::new(), now);
    prop_assert_eq!(&t.counts, &expected_counts);
    prop_assert_eq!(t.participating as usize, expected_voters.len());
    prop_assert_eq!(count.voters(), &expected_voters);
    // Simple majority, quorum of one, no attendance marks: present = voters.
    let expected_outcome = if expected_voters.is_empty() {
        Outcome::NoQuorum
    } else if expected_counts[0] > expected_counts[1] {
        Outcome::Adopted
    } else {
        Outcome::Rejected
    };
    prop_assert_eq!(t.outcome, expected_outcome);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn reconciliation_matches_the_reference_model(s in setup()) {
        run(s)?;
    }
}
