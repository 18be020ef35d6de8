//! `POST /v1/ops`: the client's outbox (ballots, attendance, requests to
//! speak, sealed annotations — see `crate::annotations`, read reports — see
//! `crate::routes::reading`), and `POST /v1/ops/status`: the current outcome of pushed operations.
//!
//! Each operation is decided exactly once, inside the database's write
//! transaction (which serialises all writers, see [`crate::db::Conn::begin`]),
//! and its outcome is stored under its `op_id` in `ops`: a retry, even one
//! racing the first send, reads the stored outcome instead of deciding again.
//! Ballots go through the pure rules of `ecabinet-model` (`reconcile`), one
//! ledger per motion restored from the database.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::State;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_model as model;
use ecabinet_protocol::{
    AttendanceBody, AttendanceRecordBody, BallotBody, BallotReceipt, EntityKind, ErrorCode,
    MajorityRule, MeetingBody, MeetingStatus, MotionBody, MotionKind, MotionMode, MotionStatus,
    OpKind, OpOutcome, OpResult, Operation, OpsStatusRequest, PresenceWire, PushRequest,
    PushResponse, SpeakBody, MAX_OPS_PER_PUSH,
};
use ring::signature::{UnparsedPublicKey, ED25519};

use crate::access::{meeting_for, role_in, Need};
use crate::auth::Caller;
use crate::db::{placeholders, Conn, Tx, Value};
use crate::error::Json;
use crate::records::{self, emit_upsert};
use crate::routes::chair::insert_speaker;
use crate::{params, AppError, AppState};

/// Longest accepted `op_id` (a UUIDv7 is 36 characters).
const MAX_OP_ID_LEN: usize = 64;

/// An operation's body, checked as far as possible before the write transaction.
enum Parsed {
    Malformed,
    Forbidden,
    Ballot {
        body: BallotBody,
        signature_valid: bool,
        device_revoked: bool,
        /// Secret motions file the choice under this token (derived from the
        /// signature, which the server does not keep, so only the member's
        /// client can find its own sealed record again).
        token: model::BallotToken,
    },
    Attendance(AttendanceBody),
    Speak(SpeakBody),
    Annotation(ecabinet_protocol::SealedAnnotation),
    Read(ecabinet_protocol::ReadBody),
}

/// A device of the caller: its public key and whether it is revoked.
struct DeviceKey {
    public_key: Vec<u8>,
    revoked: bool,
}

pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<PushRequest>,
) -> Result<Json<PushResponse>, AppError> {
    if req.ops.len() > MAX_OPS_PER_PUSH {
        return Err(AppError::invalid(format!(
            "at most {MAX_OPS_PER_PUSH} operations per push"
        )));
    }
    if caller.device_id.is_none() {
        return Err(AppError::forbidden(
            "enrol a device before pushing operations",
        ));
    }
    let user_id = caller.user_id.clone();
    let devices = state
        .db
        .read(move |conn| caller_devices(conn, &user_id))
        .await?;
    // Signatures are checked outside the write lock: it is the costly part.
    let (ops, parsed) = tokio::task::spawn_blocking(move || {
        let parsed = parse_all(&req.ops, &caller, &devices);
        (req.ops, (parsed, caller))
    })
    .await
    .map_err(|e| AppError::internal(format!("verifying ballots: {e}")))?;
    let (parsed, caller) = parsed;
    let now = state.now();
    // Concurrent pushes share one transaction (see `Db::write_grouped`):
    // a crowd voting at once costs one lock and one commit per group.
    let results = state
        .db
        .write_grouped(move |tx| {
            touch_device(tx.conn, &caller, now)?;
            decide_all(tx, &caller, &ops, parsed, now)
        })
        .await?;
    Ok(Json(PushResponse { results }))
}

/// Below this many operations a push is verified on one thread.
const PARALLEL_VERIFY_MIN: usize = 32;

/// [`parse`] of every operation, on all cores for a big offline batch.
fn parse_all(
    ops: &[Operation],
    caller: &Caller,
    devices: &HashMap<String, DeviceKey>,
) -> Vec<Parsed> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if ops.len() < PARALLEL_VERIFY_MIN || threads < 2 {
        return ops.iter().map(|op| parse(op, caller, devices)).collect();
    }
    let chunk = ops.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = ops
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|op| parse(op, caller, devices))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                // A panicking verifier is a bug; answer its operations as malformed.
                h.join().unwrap_or_default()
            })
            .collect()
    })
}

/// Notes that the caller's device was heard from (the chair's count of
/// devices not heard from since a vote opened).
pub fn touch_device(conn: &mut dyn Conn, caller: &Caller, now: i64) -> Result<(), AppError> {
    if let Some(device) = &caller.device_id {
        conn.execute(
            "UPDATE devices SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
            params![now, device, now],
        )?;
    }
    Ok(())
}

/// Receipts of accepted (or since superseded) named ballots among
/// `results`, by op id: the hash of the ballot's audit record and its seq.
pub fn receipts_of(
    conn: &mut dyn Conn,
    op_ids: &[&str],
) -> Result<HashMap<String, BallotReceipt>, AppError> {
    let mut by_receipt: HashMap<String, String> = HashMap::new();
    for chunk in op_ids.chunks(500) {
        let values: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
        for r in conn.query(
            &format!(
                "SELECT op_id, motion_id, member_id, choice, cast_at FROM ballots WHERE op_id IN ({})",
                placeholders(chunk.len())
            ),
            &values,
        )? {
            let record = model::AuditRecord::NamedBallot {
                motion_id: model::MotionId::new(r.text(1)?),
                op_id: model::OpId::new(r.text(0)?),
                member_id: model::MemberId::new(r.text(2)?),
                choice: u32::try_from(r.int(3)?)
                    .map_err(|_| AppError::internal("stored choice"))?,
                cast_at: r.int(4)?,
            };
            by_receipt.insert(record.receipt().to_hex(), r.text(0)?);
        }
    }
    let hashes: Vec<&String> = by_receipt.keys().collect();
    let mut out = HashMap::new();
    for chunk in hashes.chunks(500) {
        let values: Vec<Value> = chunk.iter().map(|h| Value::from(*h)).collect();
        for r in conn.query(
            &format!(
                "SELECT receipt, seq FROM audit_log WHERE receipt IN ({})",
                placeholders(chunk.len())
            ),
            &values,
        )? {
            let hash = r.text(0)?;
            if let Some(op_id) = by_receipt.get(&hash) {
                out.insert(
                    op_id.clone(),
                    BallotReceipt {
                        hash,
                        seq: r.int(1)?,
                    },
                );
            }
        }
    }
    Ok(out)
}

/// Fills in the receipt of every named ballot that was accepted and has
/// none yet (decided earlier: a retry, or a status request).
fn add_receipts(conn: &mut dyn Conn, results: &mut [OpResult]) -> Result<(), AppError> {
    let ids: Vec<&str> = results
        .iter()
        .filter(|r| {
            r.receipt.is_none() && matches!(r.outcome, OpOutcome::Accepted | OpOutcome::Superseded)
        })
        .map(|r| r.op_id.as_str())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut receipts = receipts_of(conn, &ids)?;
    for r in results.iter_mut() {
        if r.receipt.is_none() {
            r.receipt = receipts.remove(&r.op_id);
        }
    }
    Ok(())
}

pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<OpsStatusRequest>,
) -> Result<Json<PushResponse>, AppError> {
    if req.op_ids.len() > MAX_OPS_PER_PUSH {
        return Err(AppError::invalid(format!(
            "at most {MAX_OPS_PER_PUSH} op_ids per request"
        )));
    }
    let results = state
        .db
        .read(move |conn| {
            let stored = stored_outcomes(conn, &req.op_ids)?;
            let mut results: Vec<OpResult> = req
                .op_ids
                .iter()
                .filter_map(|id| {
                    let (owner, outcome) = stored.get(id)?;
                    (owner == &caller.user_id).then(|| OpResult {
                        op_id: id.clone(),
                        outcome: outcome.clone(),
                        receipt: None,
                    })
                })
                .collect();
            add_receipts(conn, &mut results)?;
            Ok::<_, AppError>(results)
        })
        .await?;
    Ok(Json(PushResponse { results }))
}

fn caller_devices(
    conn: &mut dyn Conn,
    user_id: &str,
) -> Result<HashMap<String, DeviceKey>, AppError> {
    let mut out = HashMap::new();
    for r in conn.query(
        "SELECT id, public_key, revoked_at FROM devices WHERE user_id = ?",
        params![user_id],
    )? {
        let public_key = BASE64
            .decode(r.text(1)?)
            .map_err(|_| AppError::internal("stored device key is not base64"))?;
        out.insert(
            r.text(0)?,
            DeviceKey {
                public_key,
                revoked: r.opt_int(2)?.is_some(),
            },
        );
    }
    Ok(out)
}

fn parse(op: &Operation, caller: &Caller, devices: &HashMap<String, DeviceKey>) -> Parsed {
    let value = op.body.clone();
    match op.kind {
        OpKind::Speak => serde_json::from_value(value).map_or(Parsed::Malformed, Parsed::Speak),
        OpKind::Annotation => serde_json::from_value(value)
            .ok()
            .filter(crate::annotations::well_formed)
            .map_or(Parsed::Malformed, Parsed::Annotation),
        OpKind::Attendance => {
            serde_json::from_value(value).map_or(Parsed::Malformed, Parsed::Attendance)
        }
        OpKind::Read => serde_json::from_value(value).map_or(Parsed::Malformed, Parsed::Read),
        OpKind::Ballot => {
            let Ok(body) = serde_json::from_value::<BallotBody>(value) else {
                return Parsed::Malformed;
            };
            // A member votes only for themself, with one of their own devices.
            let Some(device) = devices.get(&body.device_id) else {
                return Parsed::Forbidden;
            };
            if body.member_id != caller.user_id {
                return Parsed::Forbidden;
            }
            let signature = BASE64.decode(body.signature.trim()).unwrap_or_default();
            let bytes = model_ballot(&op.op_id, &body).signing_bytes();
            let signature_valid = UnparsedPublicKey::new(&ED25519, &device.public_key)
                .verify(&bytes, &signature)
                .is_ok();
            Parsed::Ballot {
                signature_valid,
                device_revoked: device.revoked,
                token: model::BallotToken::from_signature(&signature),
                body,
            }
        }
    }
}

fn model_ballot(op_id: &str, b: &BallotBody) -> model::Ballot {
    model::Ballot {
        op_id: model::OpId::new(op_id),
        motion_id: model::MotionId::new(b.motion_id.as_str()),
        member_id: model::MemberId::new(b.member_id.as_str()),
        device_id: model::DeviceId::new(b.device_id.as_str()),
        choice: b.choice,
        cast_at: b.cast_at,
        seen_seq: b.seen_seq,
    }
}

fn rejected(reason: &str) -> OpOutcome {
    OpOutcome::Rejected {
        reason: reason.to_owned(),
    }
}

/// The outcome of an operation a rule of the server refused, or the error
/// when the failure is the server's own (the whole push then fails and the
/// client retries it).
fn reason_of(e: AppError) -> Result<OpOutcome, AppError> {
    let reason = match e.code {
        ErrorCode::NotFound => "not_found",
        ErrorCode::Forbidden => "forbidden",
        ErrorCode::Conflict => "conflict",
        ErrorCode::InvalidInput | ErrorCode::BadRequest => "malformed",
        _ => return Err(e),
    };
    Ok(rejected(reason))
}

/// The stored outcomes of `op_ids`, with the user who pushed each.
fn stored_outcomes(
    conn: &mut dyn Conn,
    op_ids: &[String],
) -> Result<HashMap<String, (String, OpOutcome)>, AppError> {
    let mut out = HashMap::new();
    for chunk in op_ids.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let values: Vec<Value> = chunk.iter().map(Value::from).collect();
        for r in conn.query(
            &format!(
                "SELECT op_id, user_id, status, reason FROM ops WHERE op_id IN ({})",
                placeholders(chunk.len())
            ),
            &values,
        )? {
            let outcome = match r.text(2)?.as_str() {
                "accepted" => OpOutcome::Accepted,
                "superseded" => OpOutcome::Superseded,
                _ => OpOutcome::Rejected {
                    reason: r.opt_text(3)?.unwrap_or_default(),
                },
            };
            out.insert(r.text(0)?, (r.text(1)?, outcome));
        }
    }
    Ok(out)
}

struct NewOp<'a> {
    op_id: &'a str,
    kind: OpKind,
    motion_id: Option<&'a str>,
}

/// Decided operations of one push, written together by [`OpRows::flush`]
/// (one multi-row INSERT per 100 instead of one per operation).
#[derive(Default)]
struct OpRows(Vec<Value>);

const OP_COLUMNS: usize = 9;
const OP_ROWS_PER_INSERT: usize = 100;

impl OpRows {
    fn flush(&mut self, conn: &mut dyn Conn) -> Result<(), AppError> {
        for chunk in self.0.chunks(OP_COLUMNS * OP_ROWS_PER_INSERT) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len() / OP_COLUMNS].join(", ");
            conn.execute(
                &format!("INSERT INTO ops (op_id, user_id, device_id, kind, motion_id, status, reason, superseded_by, created_at) VALUES {values}"),
                chunk,
            )?;
        }
        self.0.clear();
        Ok(())
    }
}

fn store_op(
    rows: &mut OpRows,
    caller: &Caller,
    op: &NewOp<'_>,
    outcome: &OpOutcome,
    superseded_by: Option<&str>,
    now: i64,
) {
    let (status, reason) = match outcome {
        OpOutcome::Accepted => ("accepted", None),
        OpOutcome::Superseded => ("superseded", None),
        OpOutcome::Rejected { reason } => ("rejected", Some(reason.as_str())),
    };
    rows.0.extend_from_slice(params![
        op.op_id,
        &caller.user_id,
        caller.device_id.as_deref(),
        op.kind.as_str(),
        op.motion_id,
        status,
        reason,
        superseded_by,
        now
    ]);
}

/// A ballot waiting for its motion's reconciliation: its index in the push.
struct Pending {
    index: usize,
    submission: model::Submission,
    token: model::BallotToken,
}

fn decide_all(
    tx: &mut Tx<'_>,
    caller: &Caller,
    ops: &[Operation],
    parsed: Vec<Parsed>,
    now: i64,
) -> Result<Vec<OpResult>, AppError> {
    let ids: Vec<String> = ops.iter().map(|o| o.op_id.clone()).collect();
    let stored = stored_outcomes(tx.conn, &ids)?;
    let mut outcomes: Vec<Option<OpOutcome>> = vec![None; ops.len()];
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut duplicates: Vec<(usize, usize)> = Vec::new();
    let mut ballots: HashMap<String, Vec<Pending>> = HashMap::new();
    let mut motion_order: Vec<String> = Vec::new();
    let mut rows = OpRows::default();
    let mut receipts: Vec<Option<BallotReceipt>> = vec![None; ops.len()];
    // Operations decided before this push: their receipts are looked up.
    let mut earlier = false;

    for (index, (op, parsed)) in ops.iter().zip(parsed).enumerate() {
        if op.op_id.is_empty() || op.op_id.len() > MAX_OP_ID_LEN {
            // No id to store it under: answered, not recorded.
            outcomes[index] = Some(rejected("malformed"));
            continue;
        }
        if let Some((owner, outcome)) = stored.get(&op.op_id) {
            outcomes[index] = Some(if owner == &caller.user_id {
                earlier = true;
                outcome.clone()
            } else {
                rejected("forbidden")
            });
            continue;
        }
        if let Some(&first) = first_of.get(op.op_id.as_str()) {
            duplicates.push((index, first));
            continue;
        }
        first_of.insert(&op.op_id, index);
        let new = NewOp {
            op_id: &op.op_id,
            kind: op.kind,
            motion_id: None,
        };
        let outcome = match parsed {
            Parsed::Malformed => rejected("malformed"),
            Parsed::Forbidden => rejected("forbidden"),
            Parsed::Speak(body) => match insert_speaker(tx, caller, &body.agenda_item_id, now) {
                Ok(_) => OpOutcome::Accepted,
                Err(e) => reason_of(e)?,
            },
            Parsed::Attendance(body) => mark_attendance(tx, caller, &op.op_id, &body, now)?,
            Parsed::Annotation(a) => crate::annotations::decide(tx, caller, &op.op_id, &a, now)?,
            Parsed::Read(body) => crate::routes::reading::decide(tx, caller, &body)?,
            Parsed::Ballot {
                body,
                signature_valid,
                device_revoked,
                token,
            } => {
                let submission = model::Submission {
                    ballot: model_ballot(&op.op_id, &body),
                    arrival: model::Arrival {
                        received_at: now,
                        clock_offset_ms: body.clock_offset_ms,
                        signature_valid,
                        device_revoked,
                    },
                };
                if !ballots.contains_key(&body.motion_id) {
                    motion_order.push(body.motion_id.clone());
                }
                ballots.entry(body.motion_id).or_default().push(Pending {
                    index,
                    submission,
                    token,
                });
                continue;
            }
        };
        store_op(&mut rows, caller, &new, &outcome, None, now);
        outcomes[index] = Some(outcome);
    }

    for motion_id in motion_order {
        let pending = ballots.remove(&motion_id).unwrap_or_default();
        for (index, outcome, receipt) in
            reconcile_motion(tx, &mut rows, caller, &motion_id, &pending, now)?
        {
            outcomes[index] = Some(outcome);
            receipts[index] = receipt;
        }
    }
    rows.flush(tx.conn)?;
    for (index, first) in duplicates {
        outcomes[index] = outcomes[first].clone();
        receipts[index] = receipts[first].clone();
    }
    let mut results = ops
        .iter()
        .zip(outcomes)
        .zip(receipts)
        .map(|((op, outcome), receipt)| {
            Ok(OpResult {
                op_id: op.op_id.clone(),
                outcome: outcome.ok_or_else(|| AppError::internal("operation left undecided"))?,
                receipt,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    if earlier {
        add_receipts(tx.conn, &mut results)?;
    }
    Ok(results)
}

/// A motion as reconciliation needs it, read once per transaction and
/// shared by the grouped pushes in it (nothing they do changes a motion).
struct LoadedMotion {
    body: MotionBody,
    motion: model::Motion,
    state: model::MotionState,
    meeting: MeetingBody,
}

/// The motion of a batch of ballots, or `None` if the caller may not see it
/// (the rule of `meeting_for(.., Need::See)`, with the meeting at hand).
fn motion_for_ballots(
    tx: &mut Tx<'_>,
    caller: &Caller,
    motion_id: &str,
) -> Result<Option<Arc<LoadedMotion>>, AppError> {
    let key = format!("motion:{motion_id}");
    let cached = tx
        .memo
        .get(&key)
        .cloned()
        .and_then(|m| m.downcast::<LoadedMotion>().ok());
    let loaded = match cached {
        Some(l) => l,
        None => {
            let Some((body, motion, state)) = load_motion_as(tx.conn, None, motion_id)? else {
                return Ok(None);
            };
            let Some(meeting) = records::meeting(tx.conn, &body.meeting_id)? else {
                return Ok(None);
            };
            let l = Arc::new(LoadedMotion {
                body,
                motion,
                state,
                meeting,
            });
            tx.memo.insert(key, l.clone());
            l
        }
    };
    match role_in(tx.conn, &caller.user_id, &loaded.meeting.committee_id)? {
        Some(role)
            if loaded.meeting.status != MeetingStatus::Draft || role.can_prepare_meetings() =>
        {
            Ok(Some(loaded))
        }
        _ => Ok(None),
    }
}

/// The model's view of a stored motion, or `None` if the caller may not see it.
pub fn load_motion(
    conn: &mut dyn Conn,
    caller: &Caller,
    motion_id: &str,
) -> Result<Option<(MotionBody, model::Motion, model::MotionState)>, AppError> {
    load_motion_as(conn, Some(caller), motion_id)
}

/// [`load_motion`] for `caller`, or for the server itself (`None`: no
/// access check, for the background finaliser).
pub fn load_motion_as(
    conn: &mut dyn Conn,
    caller: Option<&Caller>,
    motion_id: &str,
) -> Result<Option<(MotionBody, model::Motion, model::MotionState)>, AppError> {
    let Some(mo) = records::motion(conn, motion_id)? else {
        return Ok(None);
    };
    let m = match caller {
        Some(caller) => match meeting_for(conn, caller, &mo.meeting_id, Need::See) {
            Ok((m, _)) => m,
            Err(e) if e.code == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e),
        },
        None => match records::meeting(conn, &mo.meeting_id)? {
            Some(m) => m,
            None => return Ok(None),
        },
    };
    let opened_seq = conn
        .query(
            "SELECT opened_seq FROM motions WHERE id = ?",
            params![motion_id],
        )?
        .first()
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0);
    let eligible: BTreeSet<model::MemberId> = match &mo.eligible {
        Some(list) => list
            .iter()
            .map(|u| model::MemberId::new(u.as_str()))
            .collect(),
        None => conn
            .query(
                "SELECT user_id FROM memberships WHERE committee_id = ?",
                params![&m.committee_id],
            )?
            .iter()
            .map(|r| r.text(0).map(model::MemberId::new))
            .collect::<Result<_, _>>()?,
    };
    let motion = model_motion(&mo, eligible)?;
    let state = match (mo.status, mo.opened_at, mo.closed_at) {
        (MotionStatus::Open, Some(opened_at), _) => model::MotionState::Open {
            opened_at,
            opened_seq,
        },
        (MotionStatus::Closed, Some(opened_at), Some(closed_at)) => model::MotionState::Closed {
            opened_at,
            opened_seq,
            closed_at,
        },
        _ => model::MotionState::Draft,
    };
    Ok(Some((mo, motion, state)))
}

/// The model motion of a stored one. Options are positional: the first
/// approves, the second rejects, any others abstain.
pub fn model_motion(
    mo: &MotionBody,
    eligible: BTreeSet<model::MemberId>,
) -> Result<model::Motion, AppError> {
    let options = mo
        .options
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let stance = match i {
                0 => model::Stance::Approve,
                1 => model::Stance::Reject,
                _ => model::Stance::Abstain,
            };
            model::VoteOption::new(label.as_str(), stance)
        })
        .collect();
    let eligible_count = u32::try_from(eligible.len()).unwrap_or(u32::MAX);
    let spec = model::MotionSpec {
        id: model::MotionId::new(mo.id.as_str()),
        question: mo.question.clone(),
        options,
        kind: match mo.kind {
            MotionKind::Named => model::BallotKind::Named,
            MotionKind::Secret => model::BallotKind::Secret,
        },
        rule: match mo.majority {
            MajorityRule::Simple => model::MajorityRule::Simple,
            MajorityRule::Absolute => model::MajorityRule::Absolute,
            MajorityRule::TwoThirds => model::MajorityRule::TwoThirds,
        },
        // Members may have left since the quorum was set: it cannot exceed them.
        quorum: model::Quorum::AtLeast(mo.quorum.min(eligible_count)),
        eligible,
        may_change_vote: mo.may_change_vote && mo.kind == MotionKind::Named,
        mode: match (mo.mode, mo.deadline) {
            (MotionMode::Written, Some(deadline)) => model::MotionMode::Written { deadline },
            _ => model::MotionMode::Live {
                grace_ms: mo.grace_ms.max(0),
            },
        },
    };
    model::Motion::new(spec).map_err(|e| AppError::internal(format!("motion {}: {e}", mo.id)))
}

fn outcome_of(status: &model::OpStatus) -> OpOutcome {
    match status {
        model::OpStatus::Accepted => OpOutcome::Accepted,
        model::OpStatus::Superseded { .. } => OpOutcome::Superseded,
        model::OpStatus::Rejected(reason) => rejected(reason.as_str()),
    }
}

fn reconcile_motion(
    tx: &mut Tx<'_>,
    rows: &mut OpRows,
    caller: &Caller,
    motion_id: &str,
    pending: &[Pending],
    now: i64,
) -> Result<Vec<(usize, OpOutcome, Option<BallotReceipt>)>, AppError> {
    let batch: Vec<model::Submission> = pending.iter().map(|p| p.submission.clone()).collect();
    let loaded = motion_for_ballots(tx, caller, motion_id)?;
    let secret = loaded
        .as_ref()
        .is_some_and(|l| l.body.kind == MotionKind::Secret);
    // Only the members of this batch matter to the ledger: restoring just
    // them keeps a ballot's cost independent of how many have voted before.
    let members: BTreeSet<&str> = pending
        .iter()
        .map(|p| p.submission.ballot.member_id.as_str())
        .collect();
    let mut params_list: Vec<Value> = vec![Value::from(motion_id)];
    params_list.extend(members.iter().map(|m| Value::from(*m)));
    let counting: Vec<(model::MemberId, model::OpId, i64)> = if secret {
        tx.conn
            .query(
                &format!(
                    "SELECT member_id, op_id FROM voters WHERE motion_id = ? AND member_id IN ({})",
                    placeholders(members.len())
                ),
                &params_list,
            )?
            .iter()
            .map(|r| {
                Ok((
                    model::MemberId::new(r.text(0)?),
                    model::OpId::new(r.text(1)?),
                    // Secret votes cannot change, so the time never matters (and is not kept).
                    0,
                ))
            })
            .collect::<Result<_, AppError>>()?
    } else {
        tx.conn
            .query(
                &format!(
                    "SELECT member_id, op_id, cast_at FROM ballots WHERE motion_id = ? AND counting = 1 AND member_id IN ({})",
                    placeholders(members.len())
                ),
                &params_list,
            )?
            .iter()
            .map(|r| {
                Ok((
                    model::MemberId::new(r.text(0)?),
                    model::OpId::new(r.text(1)?),
                    r.int(2)?,
                ))
            })
            .collect::<Result<_, AppError>>()?
    };
    let mut ledger = model::Ledger::restore(
        model::MotionId::new(motion_id),
        std::iter::empty(),
        counting,
    );
    let reconciled = model::reconcile(
        loaded.as_ref().map(|l| (&l.motion, &l.state)),
        &mut ledger,
        &batch,
    );

    let new_ops: HashMap<&str, &Pending> = pending
        .iter()
        .map(|p| (p.submission.ballot.op_id.as_str(), p))
        .collect();
    let motion_ref = loaded.as_ref().map(|l| l.body.id.as_str());
    for (op_id, status) in &reconciled.changes {
        let by = match status {
            model::OpStatus::Superseded { by } => Some(by.as_str()),
            _ => None,
        };
        if new_ops.contains_key(op_id.as_str()) {
            let op = NewOp {
                op_id: op_id.as_str(),
                kind: OpKind::Ballot,
                motion_id: motion_ref,
            };
            store_op(rows, caller, &op, &outcome_of(status), by, now);
        } else {
            // An earlier ballot of the member, replaced by one of this push.
            tx.conn.execute(
                "UPDATE ops SET status = 'superseded', superseded_by = ? WHERE op_id = ?",
                params![by, op_id.as_str()],
            )?;
            tx.conn.execute(
                "UPDATE ballots SET counting = 0 WHERE op_id = ?",
                params![op_id.as_str()],
            )?;
        }
    }
    let tokens: HashMap<&str, model::BallotToken> = pending
        .iter()
        .map(|p| (p.submission.ballot.op_id.as_str(), p.token))
        .collect();
    let mut audit = Vec::new();
    for (ballot, cast_at) in &reconciled.accepted {
        if secret {
            let token = tokens
                .get(ballot.op_id.as_str())
                .copied()
                .ok_or_else(|| AppError::internal("accepted ballot not in the batch"))?;
            let (voter, sealed) = model::split_secret(ballot, token);
            tx.conn.execute(
                "INSERT INTO voters (motion_id, member_id, op_id) VALUES (?, ?, ?)",
                params![
                    voter.motion_id.as_str(),
                    voter.member_id.as_str(),
                    voter.op_id.as_str()
                ],
            )?;
            tx.conn.execute(
                "INSERT INTO secret_ballots (motion_id, token, choice) VALUES (?, ?, ?)",
                params![
                    sealed.motion_id.as_str(),
                    ecabinet_protocol::hex::encode(&sealed.token.0),
                    i64::from(sealed.choice)
                ],
            )?;
        } else {
            tx.conn.execute(
                "INSERT INTO ballots (op_id, motion_id, member_id, device_id, choice, cast_at, counting) VALUES (?, ?, ?, ?, ?, ?, 1)",
                params![
                    ballot.op_id.as_str(),
                    ballot.motion_id.as_str(),
                    ballot.member_id.as_str(),
                    ballot.device_id.as_str(),
                    i64::from(ballot.choice),
                    *cast_at
                ],
            )?;
            audit.push(model::AuditRecord::NamedBallot {
                motion_id: ballot.motion_id.clone(),
                op_id: ballot.op_id.clone(),
                member_id: ballot.member_id.clone(),
                choice: ballot.choice,
                cast_at: *cast_at,
            });
        }
    }
    // Secret ballots enter the chain only when the result is final, sealed
    // in token order (see `results.rs`), so the chain does not reveal who voted when.
    let hashes: Vec<(String, String)> = audit
        .iter()
        .filter_map(|r| match r {
            model::AuditRecord::NamedBallot { op_id, .. } => {
                Some((op_id.as_str().to_owned(), r.receipt().to_hex()))
            }
            _ => None,
        })
        .collect();
    let appended = crate::audit::append(tx, audit)?;
    let mut receipts: HashMap<String, BallotReceipt> = HashMap::new();
    for (i, (op_id, hash)) in hashes.into_iter().enumerate() {
        let seq = appended.first_seq + i64::try_from(i).unwrap_or(i64::MAX);
        receipts.insert(op_id, BallotReceipt { hash, seq });
    }
    Ok(pending
        .iter()
        .zip(&reconciled.results)
        .map(|(p, status)| {
            let receipt = match status {
                model::OpStatus::Accepted => receipts.remove(p.submission.ballot.op_id.as_str()),
                _ => None,
            };
            (p.index, outcome_of(status), receipt)
        })
        .collect())
}

fn presence_name(p: PresenceWire) -> &'static str {
    match p {
        PresenceWire::InRoom => "in_room",
        PresenceWire::Online => "online",
        PresenceWire::Absent => "absent",
    }
}

fn presence_of(name: &str) -> Option<PresenceWire> {
    [
        PresenceWire::InRoom,
        PresenceWire::Online,
        PresenceWire::Absent,
    ]
    .into_iter()
    .find(|p| presence_name(*p) == name)
}

fn model_presence(p: PresenceWire, reason: Option<&str>) -> model::Presence {
    match p {
        PresenceWire::InRoom => model::Presence::InRoom,
        PresenceWire::Online => model::Presence::Online,
        PresenceWire::Absent => model::Presence::Absent {
            reason: reason.unwrap_or_default().to_owned(),
        },
    }
}

/// Records a check-in or a chair's mark; per member the chair's latest mark,
/// else the latest check-in, wins (model `Attendance`), and a winning mark
/// goes out on the feed. The device's time is clamped to the arrival, like a
/// ballot's: a mark dated in the future would otherwise outrank every later
/// one and pin the member's presence, which feeds quorum.
fn mark_attendance(
    tx: &mut Tx<'_>,
    caller: &Caller,
    op_id: &str,
    b: &AttendanceBody,
    now: i64,
) -> Result<OpOutcome, AppError> {
    let (m, role) = match meeting_for(tx.conn, caller, &b.meeting_id, Need::See) {
        Ok(x) => x,
        Err(e) => return reason_of(e),
    };
    let by_chair = b.member_id != caller.user_id;
    if by_chair && !role.can_chair() {
        return Ok(rejected("forbidden"));
    }
    if m.status == MeetingStatus::Closed {
        return Ok(rejected("meeting_closed"));
    }
    let at = b.at.min(now);
    if role_in(tx.conn, &b.member_id, &m.committee_id)?.is_none() {
        return Ok(rejected("not_eligible"));
    }
    let member = model::MemberId::new(b.member_id.as_str());
    let mut attendance = model::Attendance::new();
    if let Some(r) = tx
        .conn
        .query(
            "SELECT op_id, presence, reason, at, marked_by FROM attendance WHERE meeting_id = ? AND member_id = ?",
            params![&m.id, &b.member_id],
        )?
        .first()
    {
        let presence = presence_of(&r.text(1)?)
            .ok_or_else(|| AppError::internal("stored presence"))?;
        let reason = r.opt_text(2)?;
        attendance.apply(model::AttendanceMark {
            op_id: model::OpId::new(r.text(0)?),
            member_id: member.clone(),
            presence: model_presence(presence, reason.as_deref()),
            at: r.int(3)?,
            by: if r.text(4)? == "chair" {
                model::MarkedBy::Chair
            } else {
                model::MarkedBy::Member
            },
        });
    }
    let newer = attendance.apply(model::AttendanceMark {
        op_id: model::OpId::new(op_id),
        member_id: member,
        presence: model_presence(b.presence, b.reason.as_deref()),
        at,
        by: if by_chair {
            model::MarkedBy::Chair
        } else {
            model::MarkedBy::Member
        },
    });
    if newer {
        let reason = match b.presence {
            PresenceWire::Absent => b.reason.clone(),
            _ => None,
        };
        tx.conn.execute(
            "DELETE FROM attendance WHERE meeting_id = ? AND member_id = ?",
            params![&m.id, &b.member_id],
        )?;
        tx.conn.execute(
            "INSERT INTO attendance (meeting_id, member_id, op_id, presence, reason, at, marked_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![&m.id, &b.member_id, op_id, presence_name(b.presence), reason.as_deref(), at, if by_chair { "chair" } else { "member" }],
        )?;
        let body = AttendanceRecordBody {
            id: format!("{}:{}", m.id, b.member_id),
            meeting_id: m.id.clone(),
            member_id: b.member_id.clone(),
            presence: b.presence,
            reason,
            at,
            by_chair,
            op_id: op_id.to_owned(),
        };
        emit_upsert(tx, &m, EntityKind::Attendance, &body.id, &body, now)?;
    }
    // An older mark arriving late is still a valid, decided operation.
    Ok(OpOutcome::Accepted)
}
