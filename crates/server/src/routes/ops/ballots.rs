//! A motion's ballots of one push reconciled through the pure rules of
//! `ecabinet-model` (`reconcile`), with the motion's ledger restored from the
//! database for the members of the batch only.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use ecabinet_model as model;
use ecabinet_protocol::{
    BallotReceipt, MeetingBody, MeetingStatus, MotionBody, MotionKind, OpKind, OpOutcome,
    RejectReason,
};

use base64::Engine as _;

use super::decide::{rejected, store_op, NewOp, OpRows};
use crate::access::role_in;
use crate::auth::Caller;
use crate::db::{placeholders, Tx, Value};
use crate::motions::load_motion_as;
use crate::records::{self};
use crate::{params, AppError};

/// A ballot waiting for its motion's reconciliation: its index in the push.
pub(super) struct Pending {
    pub(super) index: usize,
    pub(super) submission: model::Submission,
    pub(super) token: model::BallotToken,
    /// Its token signature, checked (see [`super::parse::Qualified`]).
    pub(super) qualified: Option<Result<super::parse::Qualified, super::parse::Refusal>>,
}

/// A motion as reconciliation needs it, read once per transaction and
/// shared by the grouped pushes in it (nothing they do changes a motion).
pub(super) struct LoadedMotion {
    body: MotionBody,
    motion: model::Motion,
    state: model::MotionState,
    meeting: MeetingBody,
}

/// The motion of a batch of ballots, or `None` if the caller may not see it
/// (the rule of `meeting_for(.., Need::See)`, with the meeting at hand).
pub(super) fn motion_for_ballots(
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

pub(super) fn outcome_of(status: &model::OpStatus) -> OpOutcome {
    match status {
        model::OpStatus::Accepted => OpOutcome::Accepted,
        model::OpStatus::Superseded { .. } => OpOutcome::Superseded,
        model::OpStatus::Rejected(reason) => rejected(match reason {
            model::RejectReason::UnknownMotion => RejectReason::UnknownMotion,
            model::RejectReason::BadSignature => RejectReason::BadSignature,
            model::RejectReason::DeviceRevoked => RejectReason::DeviceRevoked,
            model::RejectReason::NotEligible => RejectReason::NotEligible,
            model::RejectReason::InvalidChoice => RejectReason::InvalidChoice,
            model::RejectReason::NotOpen => RejectReason::NotOpen,
            model::RejectReason::Closed => RejectReason::Closed,
            model::RejectReason::AlreadyVoted => RejectReason::AlreadyVoted,
        }),
    }
}

pub(super) fn reconcile_motion(
    tx: &mut Tx<'_>,
    rows: &mut OpRows,
    caller: &Caller,
    motion_id: &str,
    pending: &[Pending],
    now: i64,
) -> Result<Vec<(usize, OpOutcome, Option<BallotReceipt>)>, AppError> {
    let loaded = motion_for_ballots(tx, caller, motion_id)?;
    // Token signatures first (of a motion the member can see): a motion
    // that takes signed ballots refuses one without a valid signature, and
    // no motion takes a ballot whose signature does not hold. Refused so,
    // a ballot never reaches the ledger, as if it had not been cast.
    let requires = loaded.as_ref().map(|l| l.body.signed_ballots);
    // A written consultation that takes signed ballots takes each with its
    // opinion form (phiếu lấy ý kiến), signed with the same token.
    let form_required = loaded.as_ref().is_some_and(|l| {
        l.body.signed_ballots && l.body.mode == ecabinet_protocol::MotionMode::Written
    });
    // The certificates registered to the caller, read again inside this
    // transaction: one removed (a lost token) since the push was checked
    // no longer counts.
    let registered = if pending.iter().any(|p| matches!(p.qualified, Some(Ok(_)))) {
        crate::member_certificates::of_user(tx.conn, &caller.user_id)?
    } else {
        Default::default()
    };
    let still_registered = |q: &super::parse::Qualified| {
        registered.contains(&ecabinet_protocol::hex::encode(&q.seal.certificate_sha256))
    };
    let (pending, refused): (Vec<&Pending>, Vec<&Pending>) =
        pending
            .iter()
            .partition(|p| match (&p.qualified, requires) {
                (Some(Ok(q)), _) => {
                    still_registered(q) && (q.opinion_form.is_some() || !form_required)
                }
                (_, None) | (None, Some(false)) => true,
                (Some(Err(_)), _) | (None, Some(true)) => false,
            });
    let mut refusals = Vec::with_capacity(refused.len());
    for p in refused {
        let op = NewOp {
            op_id: p.submission.ballot.op_id.as_str(),
            kind: OpKind::Ballot,
            motion_id: Some(motion_id),
        };
        let outcome = rejected(match &p.qualified {
            Some(Ok(q)) if still_registered(q) => RejectReason::OpinionForm,
            Some(Err(super::parse::Refusal::NotRegistered)) | Some(Ok(_)) => {
                RejectReason::CertificateNotRegistered
            }
            Some(Err(super::parse::Refusal::OpinionForm(why))) => {
                tracing::info!(
                    op_id = %p.submission.ballot.op_id.as_str(),
                    why = %why,
                    "opinion form refused"
                );
                RejectReason::OpinionForm
            }
            Some(Err(super::parse::Refusal::Invalid(why))) => {
                tracing::info!(
                    op_id = %p.submission.ballot.op_id.as_str(),
                    why = %why,
                    "token signature refused"
                );
                RejectReason::QualifiedSignature
            }
            Some(Err(super::parse::Refusal::RevocationUnknown(why))) => {
                tracing::info!(
                    op_id = %p.submission.ballot.op_id.as_str(),
                    why = %why,
                    "token signature refused: revocation not known"
                );
                RejectReason::RevocationUnknown
            }
            None => RejectReason::QualifiedSignature,
        });
        store_op(rows, caller, &op, &outcome, None, now);
        refusals.push((p.index, outcome, None));
    }
    if pending.is_empty() {
        return Ok(refusals);
    }
    let batch: Vec<model::Submission> = pending.iter().map(|p| p.submission.clone()).collect();
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
        .map(|p| (p.submission.ballot.op_id.as_str(), *p))
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
            let qualified = new_ops
                .get(ballot.op_id.as_str())
                .and_then(|p| p.qualified.as_ref())
                .and_then(|q| q.as_ref().ok());
            if let Some(form) = qualified.and_then(|q| q.opinion_form.as_ref()) {
                // The opinion form, kept with the ballot for the secretary,
                // the chair and auditors (its hash is in the audit record).
                tx.conn.execute(
                    "INSERT INTO opinion_forms (op_id, motion_id, member_id, sha256, size, pdf, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    params![
                        ballot.op_id.as_str(),
                        ballot.motion_id.as_str(),
                        ballot.member_id.as_str(),
                        ecabinet_protocol::hex::encode(
                            ring::digest::digest(&ring::digest::SHA256, form).as_ref()
                        ),
                        i64::try_from(form.len()).unwrap_or(i64::MAX),
                        base64::engine::general_purpose::STANDARD.encode(form),
                        now
                    ],
                )?;
            }
            if let Some(q) = qualified {
                // The certificate once, for an auditor to check the signature.
                tx.conn.execute(
                    "INSERT INTO signer_certificates (sha256, der, subject, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                    params![
                        ecabinet_protocol::hex::encode(&q.seal.certificate_sha256),
                        base64::engine::general_purpose::STANDARD.encode(&q.certificate),
                        q.signer.clone(),
                        now
                    ],
                )?;
            }
            tx.conn.execute(
                "INSERT INTO ballots (op_id, motion_id, member_id, device_id, choice, cast_at, counting, certificate_sha256, qualified_signature, device_cast_at, seen_seq, opinion_sha256) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                params![
                    ballot.op_id.as_str(),
                    ballot.motion_id.as_str(),
                    ballot.member_id.as_str(),
                    ballot.device_id.as_str(),
                    i64::from(ballot.choice),
                    *cast_at,
                    qualified.map(|q| ecabinet_protocol::hex::encode(&q.seal.certificate_sha256)),
                    qualified.map(|q| ecabinet_protocol::hex::encode(&q.seal.signature)),
                    qualified.map(|q| q.seal.device_cast_at),
                    qualified.map(|q| q.seal.seen_seq),
                    qualified
                        .and_then(|q| q.seal.opinion_sha256.as_ref())
                        .map(|h| ecabinet_protocol::hex::encode(h))
                ],
            )?;
            audit.push(model::AuditRecord::NamedBallot {
                motion_id: ballot.motion_id.clone(),
                op_id: ballot.op_id.clone(),
                member_id: ballot.member_id.clone(),
                choice: ballot.choice,
                cast_at: *cast_at,
                qualified: qualified.map(|q| q.seal.clone()),
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
        .chain(refusals)
        .collect())
}
