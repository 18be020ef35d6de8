//! Deciding a batch of ballots for one motion, exactly once per operation.

use std::collections::{BTreeMap, HashMap};

use crate::ballot::{decide, Arrival, Ballot, Decision, PriorBallot, RejectReason};
use crate::ids::{MemberId, MotionId, OpId};
use crate::motion::{Motion, MotionState};

/// A ballot as it reached the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Submission {
    pub ballot: Ballot,
    pub arrival: Arrival,
}

/// The terminal result of an operation. It is decided once; the only later
/// change is `Accepted` → `Superseded` when a later ballot of the same member
/// is accepted (motions that allow changes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OpStatus {
    Accepted,
    Superseded { by: OpId },
    Rejected(RejectReason),
}

/// What the server has decided so far for one motion: the status of every
/// operation addressed to it and, per member, the ballot that counts.
/// It holds no choices, so it is as safe to keep for secret motions as the
/// "member has voted" records it mirrors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    motion_id: MotionId,
    statuses: HashMap<OpId, OpStatus>,
    counting: BTreeMap<MemberId, PriorBallot>,
}

impl Ledger {
    pub fn new(motion_id: MotionId) -> Self {
        Ledger {
            motion_id,
            statuses: HashMap::new(),
            counting: BTreeMap::new(),
        }
    }

    /// Rebuilds a ledger from stored rows: every decided operation's status,
    /// and each member's counting ballot `(member, op_id, effective cast_at)`.
    pub fn restore(
        motion_id: MotionId,
        statuses: impl IntoIterator<Item = (OpId, OpStatus)>,
        counting: impl IntoIterator<Item = (MemberId, OpId, i64)>,
    ) -> Self {
        Ledger {
            motion_id,
            statuses: statuses.into_iter().collect(),
            counting: counting
                .into_iter()
                .map(|(member, op_id, cast_at)| (member, PriorBallot { op_id, cast_at }))
                .collect(),
        }
    }

    pub fn motion_id(&self) -> &MotionId {
        &self.motion_id
    }

    pub fn status(&self, op_id: &OpId) -> Option<&OpStatus> {
        self.statuses.get(op_id)
    }

    /// Number of decided operations.
    pub fn len(&self) -> usize {
        self.statuses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty()
    }

    /// The member's ballot that counts, if any.
    pub fn counting(&self, member: &MemberId) -> Option<&PriorBallot> {
        self.counting.get(member)
    }

    /// Every member with a counting ballot, with that ballot; one per member.
    pub fn voters(&self) -> impl Iterator<Item = (&MemberId, &PriorBallot)> {
        self.counting.iter()
    }

    /// Records the decision for `ballot` and returns the operations whose status
    /// changed (this one, and a superseded predecessor). A ballot whose op id
    /// is already decided changes nothing.
    pub fn apply(&mut self, ballot: &Ballot, decision: &Decision) -> Vec<(OpId, OpStatus)> {
        if self.statuses.contains_key(&ballot.op_id) {
            return Vec::new();
        }
        let mut changed = Vec::with_capacity(2);
        let status = match decision {
            Decision::Accept { cast_at } => {
                self.count(ballot, *cast_at);
                OpStatus::Accepted
            }
            Decision::AcceptReplacing { cast_at, previous } => {
                let superseded = OpStatus::Superseded {
                    by: ballot.op_id.clone(),
                };
                self.statuses.insert(previous.clone(), superseded.clone());
                changed.push((previous.clone(), superseded));
                self.count(ballot, *cast_at);
                OpStatus::Accepted
            }
            Decision::Superseded { by } => OpStatus::Superseded { by: by.clone() },
            Decision::Rejected(reason) => OpStatus::Rejected(*reason),
        };
        self.statuses.insert(ballot.op_id.clone(), status.clone());
        changed.push((ballot.op_id.clone(), status));
        changed
    }

    fn count(&mut self, ballot: &Ballot, cast_at: i64) {
        let prior = PriorBallot {
            op_id: ballot.op_id.clone(),
            cast_at,
        };
        self.counting.insert(ballot.member_id.clone(), prior);
    }
}

/// The outcome of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// One status per submission, in input order: the op's status after the
    /// batch (duplicates in the batch and retries of earlier ops included).
    pub results: Vec<OpStatus>,
    /// Every operation whose stored status was set or changed by this batch,
    /// once each, with its status after the batch: what the caller persists.
    pub changes: Vec<(OpId, OpStatus)>,
    /// The accepted ballots of this batch that still count after it, in the
    /// order they were decided, with their effective cast time: what the
    /// caller stores as ballots (split, for secret motions).
    pub accepted: Vec<(Ballot, i64)>,
}

/// Decides a batch of submissions for `ledger`'s motion, updating the ledger.
///
/// Semantics:
/// - Exactly once per op id: an op already in the ledger (a retry) is not
///   decided again, whatever its payload; its stored status is returned.
///   Duplicates within the batch are decided once.
/// - Within the batch, submissions are decided in order of effective cast
///   time ([`Arrival::corrected_cast_at`], raised to the opening as in
///   [`decide`]), then op id, then the rest of the
///   submission, so the result does not depend on the batch's order: with
///   changes allowed the latest ballot of a member wins (ties by greater op
///   id), without them the earliest one does (ties by smaller op id).
/// - Across batches, earlier decisions stand: without changes, a member's
///   first accepted ballot stays even if an earlier-cast one arrives later
///   (it is `AlreadyVoted`); with changes, the latest by `(cast_at, op_id)`
///   counts whatever the arrival order.
/// - A ballot for another motion is rejected `UnknownMotion`, as is every
///   ballot when `motion` is `None` or is not the ledger's motion.
/// - The caller runs this under one lock or transaction per motion (with the
///   ledger loaded inside it), so that concurrent requests cannot both see
///   "no prior ballot" for the same member.
pub fn reconcile(
    motion: Option<(&Motion, &MotionState)>,
    ledger: &mut Ledger,
    batch: &[Submission],
) -> Reconciled {
    let motion = motion.filter(|(m, _)| m.id() == ledger.motion_id());
    // The same effective time `decide` compares, so that "earliest" and
    // "latest" mean the same thing within a batch and across batches.
    let opened_at = motion
        .and_then(|(_, state)| state.opening())
        .map_or(i64::MIN, |(at, _)| at);
    let mut order: Vec<(i64, usize)> = batch
        .iter()
        .enumerate()
        .map(|(i, s)| (s.arrival.corrected_cast_at(&s.ballot).max(opened_at), i))
        .collect();
    order.sort_by(|(ta, a), (tb, b)| {
        let (sa, sb) = (&batch[*a], &batch[*b]);
        (ta, &sa.ballot.op_id, sa).cmp(&(tb, &sb.ballot.op_id, sb))
    });

    let mut changed: HashMap<OpId, OpStatus> = HashMap::new();
    let mut changed_order: Vec<OpId> = Vec::new();
    let mut accepted_here: Vec<(usize, i64)> = Vec::new();
    for (_, index) in order {
        let Submission { ballot, arrival } = &batch[index];
        if ledger.status(&ballot.op_id).is_some() {
            continue;
        }
        let decision = if &ballot.motion_id == ledger.motion_id() {
            decide(motion, ballot, arrival, ledger.counting(&ballot.member_id))
        } else {
            Decision::Rejected(RejectReason::UnknownMotion)
        };
        match decision {
            Decision::Accept { cast_at } | Decision::AcceptReplacing { cast_at, .. } => {
                accepted_here.push((index, cast_at));
            }
            _ => {}
        }
        for (op_id, status) in ledger.apply(ballot, &decision) {
            if changed.insert(op_id.clone(), status).is_none() {
                changed_order.push(op_id);
            }
        }
    }

    let results = batch
        .iter()
        .map(|s| {
            ledger
                .status(&s.ballot.op_id)
                .cloned()
                .unwrap_or(OpStatus::Rejected(RejectReason::UnknownMotion))
        })
        .collect();
    let changes = changed_order
        .into_iter()
        .filter_map(|op| changed.remove(&op).map(|status| (op, status)))
        .collect();
    let accepted = accepted_here
        .into_iter()
        .filter(|(i, _)| ledger.status(&batch[*i].ballot.op_id) == Some(&OpStatus::Accepted))
        .map(|(i, t)| (batch[i].ballot.clone(), t))
        .collect();
    Reconciled {
        results,
        changes,
        accepted,
    }
}
