//! Deciding a push: each operation once, by kind, inside the write
//! transaction; outcomes stored under their `op_id`, so a retry reads the
//! stored outcome instead of deciding again.

use std::collections::HashMap;

use ecabinet_model as model;
use ecabinet_protocol::{
    BallotReceipt, ErrorCode, OpKind, OpOutcome, OpResult, Operation, RejectReason,
};

use super::attendance::mark_attendance;
use super::ballots::{reconcile_motion, Pending};
use super::parse::{model_ballot, Parsed, MAX_OP_ID_LEN};
use super::receipts::add_receipts;
use crate::auth::Caller;
use crate::db::{placeholders, Conn, Tx, Value};
use crate::metrics::BallotOutcome;
use crate::speakers::insert_speaker;
use crate::{params, AppError};

pub(super) fn rejected(reason: RejectReason) -> OpOutcome {
    OpOutcome::Rejected { reason }
}

/// The outcome of an operation a rule of the server refused, or the error
/// when the failure is the server's own (the whole push then fails and the
/// client retries it).
pub(super) fn reason_of(e: AppError) -> Result<OpOutcome, AppError> {
    let reason = match e.code {
        ErrorCode::NotFound => RejectReason::NotFound,
        ErrorCode::Forbidden => RejectReason::Forbidden,
        ErrorCode::Conflict => RejectReason::Conflict,
        ErrorCode::MeetingClosed => RejectReason::MeetingClosed,
        ErrorCode::InvalidInput | ErrorCode::BadRequest => RejectReason::Malformed,
        _ => return Err(e),
    };
    Ok(rejected(reason))
}

/// The stored outcomes of `op_ids`, with the user who pushed each.
pub(super) fn stored_outcomes(
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
                _ => rejected(RejectReason::parse(
                    r.opt_text(3)?.as_deref().unwrap_or_default(),
                )),
            };
            out.insert(r.text(0)?, (r.text(1)?, outcome));
        }
    }
    Ok(out)
}

pub(super) struct NewOp<'a> {
    pub(super) op_id: &'a str,
    pub(super) kind: OpKind,
    pub(super) motion_id: Option<&'a str>,
}

/// Decided operations of one push, written together by [`OpRows::flush`]
/// (one multi-row INSERT per 100 instead of one per operation).
#[derive(Default)]
pub(super) struct OpRows(Vec<Value>);

pub(super) const OP_COLUMNS: usize = 9;
pub(super) const OP_ROWS_PER_INSERT: usize = 100;

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

pub(super) fn store_op(
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

pub(super) fn decide_all(
    tx: &mut Tx<'_>,
    caller: &Caller,
    ops: &[Operation],
    parsed: Vec<Parsed>,
    now: i64,
) -> Result<(Vec<OpResult>, Vec<BallotOutcome>), AppError> {
    let ids: Vec<String> = ops.iter().map(|o| o.op_id.clone()).collect();
    // The ballots decided by this push (not answered from storage), for the metrics.
    let mut decided = Vec::new();
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
            outcomes[index] = Some(rejected(RejectReason::Malformed));
            continue;
        }
        if let Some((owner, outcome)) = stored.get(&op.op_id) {
            outcomes[index] = Some(if owner == &caller.user_id {
                earlier = true;
                outcome.clone()
            } else {
                rejected(RejectReason::Forbidden)
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
            Parsed::Malformed => rejected(RejectReason::Malformed),
            Parsed::Forbidden => rejected(RejectReason::Forbidden),
            Parsed::Speak(body) => match insert_speaker(tx, caller, &body.agenda_item_id, now) {
                Ok(_) => OpOutcome::Accepted,
                Err(e) => reason_of(e)?,
            },
            Parsed::Attendance(body) => mark_attendance(tx, caller, &op.op_id, &body, now)?,
            Parsed::Annotation(a) => crate::annotations::decide(tx, caller, &op.op_id, &a, now)?,
            Parsed::Read(body) => crate::reads::decide(tx, caller, &body)?,
            Parsed::Comment(body) => crate::comments::decide(tx, caller, &op.op_id, &body, now)?,
            Parsed::Ballot {
                body,
                signature_valid,
                qualified,
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
                    qualified,
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
            decided.push(match &outcome {
                OpOutcome::Accepted => BallotOutcome::Accepted,
                OpOutcome::Superseded => BallotOutcome::Superseded,
                OpOutcome::Rejected { .. } => BallotOutcome::Rejected,
            });
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
    Ok((results, decided))
}
