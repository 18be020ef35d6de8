//! Domain types and rules of E-Cabinet.
//!
//! This crate is pure: no IO, no clocks read from the system, no serialisation.
//! Everything that touches the wire (`protocol`), the disk (`store`) or the
//! screen (`src-tauri`) converts to and from these types explicitly.
//!
//! Votes (DESIGN.md §5): [`Motion`] and [`MotionState`] describe a question and
//! where it is; [`decide`] judges one [`Ballot`] and [`reconcile`] a batch,
//! exactly once per operation; [`tally`] turns accepted ballots and
//! [`Attendance`] into a result; [`split_secret`] keeps secret ballots apart
//! from their voters; the audit chain ([`chain_head`], [`verify_chain`],
//! [`verify_inclusion`]) makes the record tamper-evident. Time is always
//! passed in (server unix ms), so every rule is deterministic.
//!
//! The server's path through the vote rules:
//! 1. create: [`Motion::new`], append [`AuditRecord::motion_created`];
//! 2. open / close: [`MotionState::open`] / [`MotionState::close`], append
//!    `MotionOpened` / `MotionClosed` (a written motion is closed at its deadline);
//! 3. ballots: check the Ed25519 signature over [`Ballot::signing_bytes`],
//!    build an [`Arrival`], then inside one transaction per motion restore the
//!    [`Ledger`], [`reconcile`] the batch (or [`decide`] + [`Ledger::apply`]
//!    for one), persist `changes`, store `accepted` (named: as is, plus a
//!    `NamedBallot` audit record; secret: [`split_secret`] into two tables);
//! 4. live view: [`chair_view`]; provisional results: [`Count`] + [`tally`];
//! 5. when [`Motion::finality`] is `Final`: append the secret ballots'
//!    [`seal_secret_ballots`] records, [`tally`], publish with the chain head;
//! 6. `audit verify`: [`verify_chain`], then [`recount`] against the published counts.

mod attendance;
mod audit;
mod ballot;
mod encoding;
mod ids;
mod motion;
mod reconcile;
mod role;
mod secret;
mod tally;

pub use attendance::{Attendance, AttendanceMark, MarkedBy, Presence};
pub use audit::{
    append_all, chain_head, recount, seal_secret_ballots, verify_chain, verify_inclusion,
    AuditError, AuditRecord, ChainEntry, ChainHead, InclusionError, QualifiedSeal, Receipt,
};
pub use ballot::{
    decide, Arrival, Ballot, Decision, PriorBallot, RejectReason, CLOCK_TOLERANCE_MS,
};
pub use ids::{DeviceId, MemberId, MotionId, OpId};
pub use motion::{
    BallotKind, Finality, MajorityRule, Motion, MotionError, MotionMode, MotionSpec, MotionState,
    Quorum, Stance, TransitionError, VoteOption, DEFAULT_GRACE_MS,
};
pub use reconcile::{reconcile, Ledger, OpStatus, Reconciled, Submission};
pub use role::Role;
pub use secret::{split_secret, BallotToken, SecretBallot, VoterRecord};
pub use tally::{
    chair_view, tally, ChairView, Count, DeviceContact, NotVoted, Outcome, Tally, TallyError,
};
