//! Receipts of named ballots: the hash of the ballot's audit record and its
//! place in the chain, so a member can check their vote was counted as cast.

use std::collections::HashMap;

use ecabinet_model as model;
use ecabinet_protocol::{BallotReceipt, OpOutcome, OpResult};

use crate::db::{placeholders, Conn, Value};
use crate::AppError;

/// Receipts of accepted (or since superseded) named ballots among
/// `results`, by op id: the hash of the ballot's audit record and its seq.
pub(super) fn receipts_of(
    conn: &mut dyn Conn,
    op_ids: &[&str],
) -> Result<HashMap<String, BallotReceipt>, AppError> {
    let mut by_receipt: HashMap<String, String> = HashMap::new();
    for chunk in op_ids.chunks(500) {
        let values: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
        for r in conn.query(
            &format!(
                "SELECT op_id, motion_id, member_id, choice, cast_at, certificate_sha256, qualified_signature, device_id, device_cast_at, seen_seq, opinion_sha256 FROM ballots WHERE op_id IN ({})",
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
                qualified: match (r.opt_text(5)?, r.opt_text(6)?) {
                    (Some(c), Some(s)) => Some(model::QualifiedSeal {
                        certificate_sha256: ecabinet_protocol::hex::decode_array(&c)
                            .ok_or_else(|| AppError::internal("stored certificate hash"))?,
                        signature: ecabinet_protocol::hex::decode(&s)
                            .ok_or_else(|| AppError::internal("stored signature"))?,
                        device_id: model::DeviceId::new(r.text(7)?),
                        device_cast_at: r
                            .opt_int(8)?
                            .ok_or_else(|| AppError::internal("stored device time"))?,
                        seen_seq: r
                            .opt_int(9)?
                            .ok_or_else(|| AppError::internal("stored feed position"))?,
                        opinion_sha256: match r.opt_text(10)? {
                            Some(h) => Some(
                                ecabinet_protocol::hex::decode_array(&h)
                                    .ok_or_else(|| AppError::internal("stored opinion form hash"))?,
                            ),
                            None => None,
                        },
                    }),
                    _ => None,
                },
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
pub(super) fn add_receipts(conn: &mut dyn Conn, results: &mut [OpResult]) -> Result<(), AppError> {
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
