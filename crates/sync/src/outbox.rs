//! The outbox: what the member did offline (ballots, check-ins, requests to
//! speak), recorded at once in the encrypted store and pushed in batches.
//! Every operation ends in a state the member can see: pending, sent,
//! accepted, superseded or rejected with the server's reason.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_model::{Ballot, DeviceId, MemberId, MotionId, OpId};
use ecabinet_protocol::{
    AttendanceBody, BallotBody, OpKind, OpOutcome, Operation, PresenceWire, PushRequest,
    PushResponse, QualifiedSignatureBody, SpeakBody, MAX_OPS_PER_PUSH,
};
use ecabinet_store::{OpResult, OutboxState, Store};
use ring::signature::Ed25519KeyPair;
use serde::Serialize;

use crate::clock::now_ms;
use crate::reader::{reader_identity, text_field as text};
use crate::{Session, SyncError, Syncer};

/// Most payload bytes sent in one push: the server takes a request body of
/// at most 2 MiB, and a batch of 500 operations with opinion forms (up to
/// 700 KB of base64 each) or long ink strokes could pass it and be refused
/// whole, every time. A batch is cut here, the rest goes in the next push.
const PUSH_PAYLOAD_BYTES: usize = 1024 * 1024;

/// How many of the operations whose payloads have `sizes` go in one push:
/// as many as fit in `cap` bytes, and always at least one (a single
/// operation is bounded on its own: a form by `MAX_OPINION_FORM_BYTES`).
fn fitting(sizes: impl IntoIterator<Item = usize>, cap: usize) -> usize {
    let mut total = 0usize;
    let n = sizes
        .into_iter()
        .take_while(|s| {
            total = total.saturating_add(*s);
            total <= cap
        })
        .count();
    n.max(1)
}

/// What one push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushReport {
    pub sent: usize,
    pub accepted: usize,
    pub superseded: usize,
    pub rejected: usize,
}

/// A ballot as the member sees it in "my votes".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BallotState {
    pub op_id: String,
    pub motion_id: String,
    pub choice: u32,
    pub cast_at: i64,
    /// pending | sent | accepted | superseded | rejected
    pub state: String,
    pub reason: Option<String>,
    /// Its audit receipt and inclusion check, once it has one
    /// (see [`crate::Syncer::check_receipts`]).
    pub receipt: Option<crate::ReceiptState>,
}

fn new_op_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn state_name(s: &OutboxState) -> (&'static str, Option<String>) {
    match s {
        OutboxState::Pending => ("pending", None),
        OutboxState::Sent => ("sent", None),
        OutboxState::Accepted => ("accepted", None),
        OutboxState::Superseded => ("superseded", None),
        OutboxState::Rejected { reason } => ("rejected", Some(reason.clone())),
    }
}

fn enqueue(store: &Store, op: &Operation) -> Result<(), SyncError> {
    let payload = serde_json::to_vec(&op.body).map_err(|e| SyncError::Internal(e.to_string()))?;
    store
        .enqueue(&op.op_id, op.kind.as_str(), &payload)
        .map_err(SyncError::Store)
}

/// A ballot's signature made with the member's token (ký số): the
/// certificate, the CA certificates the token holds with it, and the
/// signature over the ballot's signing bytes (all DER / raw).
pub struct TokenSignature {
    pub certificate: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
    pub signature: Vec<u8>,
}

/// Signs a ballot's bytes with the member's token.
pub type TokenSigner<'a> = &'a mut dyn FnMut(&[u8]) -> Result<TokenSignature, String>;

/// Records a ballot in the outbox at once, online or not, signed with this
/// device's key. It is sent on the next push. Returns its operation id.
///
/// `choice` must be an index into the motion's options, which must be in the
/// cache; `now_ms` is the device clock. A motion that takes only ballots
/// signed with the member's token is refused here
/// ([`SyncError::TokenSignatureRequired`]): use [`cast_signed_ballot`].
pub fn cast_ballot(
    store: &Store,
    motion_id: &str,
    choice: u32,
    now_ms: i64,
) -> Result<String, SyncError> {
    cast(store, motion_id, choice, now_ms, None)
}

/// [`cast_ballot`], the ballot also signed with the member's token: the
/// token is needed at the moment of voting (offline too), and the signature
/// travels with the ballot into its audit record.
///
/// A written consultation's ballot goes with `opinion_form`: the PDF of
/// [`opinion_form_text`] signed with the same token (PAdES); the token's
/// ballot signature then covers its SHA-256 too. Without it such a ballot
/// is refused here ([`SyncError::OpinionFormRequired`]).
pub fn cast_signed_ballot(
    store: &Store,
    motion_id: &str,
    choice: u32,
    now_ms: i64,
    sign: TokenSigner<'_>,
    opinion_form: Option<Vec<u8>>,
) -> Result<String, SyncError> {
    cast(store, motion_id, choice, now_ms, Some((sign, opinion_form)))
}

/// Cached motion `motion_id`'s record, or [`SyncError::NotInCache`].
pub fn cached_motion(store: &Store, motion_id: &str) -> Result<serde_json::Value, SyncError> {
    store
        .entity(ecabinet_store::Entity::Motion, motion_id)
        .map_err(SyncError::Store)?
        .ok_or_else(|| SyncError::NotInCache {
            what: "motion",
            id: motion_id.to_owned(),
        })
}

/// The option names of a cached motion's record, in ballot order (empty
/// when it has none).
pub fn motion_options(motion: &serde_json::Value) -> Vec<String> {
    motion
        .get("options")
        .and_then(|o| o.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether cached motion `motion` is a written consultation that takes
/// ballots signed with the token, and so an opinion form with each.
fn takes_opinion_form(motion: &serde_json::Value) -> bool {
    let flag = |f: &str| motion.get(f).and_then(|v| v.as_bool()).unwrap_or(false);
    flag("signed_ballots") && motion.get("mode").and_then(|m| m.as_str()) == Some("written")
}

/// What the opinion form (phiếu lấy ý kiến) of a ballot for `choice` on
/// motion `motion_id` says, signed at `now_ms`; `None` when the motion
/// takes no form (not a written consultation with signed ballots).
pub fn opinion_form_text(
    store: &Store,
    motion_id: &str,
    choice: u32,
    now_ms: i64,
) -> Result<Option<ecabinet_protocol::OpinionFormText>, SyncError> {
    let motion = cached_motion(store, motion_id)?;
    if !takes_opinion_form(&motion) {
        return Ok(None);
    }
    let options = motion_options(&motion);
    if choice as usize >= options.len() {
        return Err(SyncError::NotAnOption {
            choice,
            options: options.len(),
        });
    }
    let meeting = store
        .entity(
            ecabinet_store::Entity::Meeting,
            &text(&motion, "meeting_id"),
        )
        .map_err(SyncError::Store)?
        .unwrap_or_default();
    let reader = reader_identity(store, &text(&meeting, "committee_id"))?;
    Ok(Some(ecabinet_protocol::OpinionFormText {
        committee: reader.committee,
        meeting: text(&meeting, "title"),
        question: text(&motion, "question"),
        options,
        choice,
        member: reader.name,
        signed_at: crate::vietnam_time(now_ms),
        deadline: motion
            .get("deadline")
            .and_then(|d| d.as_i64())
            .map(crate::vietnam_time),
        motion_id: motion_id.to_owned(),
    }))
}

fn cast(
    store: &Store,
    motion_id: &str,
    choice: u32,
    now_ms: i64,
    sign: Option<(TokenSigner<'_>, Option<Vec<u8>>)>,
) -> Result<String, SyncError> {
    let session = Session::load(store)?.ok_or(SyncError::NotEnrolled)?;
    let motion = cached_motion(store, motion_id)?;
    let options = motion_options(&motion).len();
    if choice as usize >= options {
        return Err(SyncError::NotAnOption { choice, options });
    }
    let needs_token = motion
        .get("signed_ballots")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if needs_token && sign.is_none() {
        return Err(SyncError::TokenSignatureRequired);
    }
    if takes_opinion_form(&motion) && sign.as_ref().is_some_and(|(_, form)| form.is_none()) {
        return Err(SyncError::OpinionFormRequired);
    }
    let pkcs8 = store
        .device_key()
        .map_err(SyncError::Store)?
        .ok_or(SyncError::NotEnrolled)?;
    let key = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| SyncError::Internal("the device key does not parse".into()))?;
    let op_id = new_op_id();
    let seen_seq = store.cursor().map_err(SyncError::Store)?;
    let clock_offset_ms = store.clock_offset_ms().map_err(SyncError::Store)?;
    let ballot = Ballot {
        op_id: OpId::from(op_id.as_str()),
        motion_id: MotionId::from(motion_id),
        member_id: MemberId::from(session.user_id.as_str()),
        device_id: DeviceId::from(session.device_id.as_str()),
        choice,
        cast_at: now_ms,
        seen_seq,
    };
    let bytes = ballot.signing_bytes();
    let signature = BASE64.encode(key.sign(&bytes).as_ref());
    let qualified = match sign {
        Some((sign, form)) => {
            if form
                .as_ref()
                .is_some_and(|f| f.len() > ecabinet_protocol::MAX_OPINION_FORM_BYTES)
            {
                return Err(SyncError::TokenFailed(format!(
                    "the opinion form is larger than {} bytes",
                    ecabinet_protocol::MAX_OPINION_FORM_BYTES
                )));
            }
            let form_sha256: Option<[u8; 32]> = form.as_ref().and_then(|f| {
                ring::digest::digest(&ring::digest::SHA256, f)
                    .as_ref()
                    .try_into()
                    .ok()
            });
            let t = sign(&ballot.qualified_bytes(form_sha256.as_ref()))
                .map_err(SyncError::TokenFailed)?;
            Some(QualifiedSignatureBody {
                certificate: BASE64.encode(&t.certificate),
                chain: t.chain.iter().map(|c| BASE64.encode(c)).collect(),
                signature: BASE64.encode(&t.signature),
                opinion_form: form.map(|f| BASE64.encode(f)),
            })
        }
        None => None,
    };
    let body = BallotBody {
        motion_id: motion_id.to_owned(),
        member_id: session.user_id,
        device_id: session.device_id,
        choice,
        cast_at: now_ms,
        seen_seq,
        clock_offset_ms,
        signature,
        qualified,
    };
    let op = Operation {
        op_id: op_id.clone(),
        kind: OpKind::Ballot,
        body: serde_json::to_value(&body).map_err(|e| SyncError::Internal(e.to_string()))?,
    };
    enqueue(store, &op)?;
    Ok(op_id)
}

/// Records a check-in at a meeting (the member's own presence).
pub fn check_in(
    store: &Store,
    meeting_id: &str,
    presence: PresenceWire,
    now_ms: i64,
) -> Result<String, SyncError> {
    let session = Session::load(store)?.ok_or(SyncError::NotEnrolled)?;
    let body = AttendanceBody {
        meeting_id: meeting_id.to_owned(),
        member_id: session.user_id,
        presence,
        reason: None,
        at: now_ms,
    };
    let op = Operation {
        op_id: new_op_id(),
        kind: OpKind::Attendance,
        body: serde_json::to_value(&body).map_err(|e| SyncError::Internal(e.to_string()))?,
    };
    enqueue(store, &op)?;
    Ok(op.op_id)
}

/// Records a request to speak on an agenda item.
pub fn request_to_speak(
    store: &Store,
    agenda_item_id: &str,
    now_ms: i64,
) -> Result<String, SyncError> {
    let body = SpeakBody {
        agenda_item_id: agenda_item_id.to_owned(),
        requested_at: now_ms,
    };
    let op = Operation {
        op_id: new_op_id(),
        kind: OpKind::Speak,
        body: serde_json::to_value(&body).map_err(|e| SyncError::Internal(e.to_string()))?,
    };
    enqueue(store, &op)?;
    Ok(op.op_id)
}

/// Every ballot in the outbox with its state, oldest first.
pub fn ballots(store: &Store) -> Result<Vec<BallotState>, SyncError> {
    let mut out = Vec::new();
    for e in store.outbox().map_err(SyncError::Store)? {
        if e.kind != OpKind::Ballot.as_str() {
            continue;
        }
        let Ok(body) = serde_json::from_slice::<BallotBody>(&e.payload) else {
            continue;
        };
        let (state, reason) = state_name(&e.state);
        let receipt = crate::receipt_of(store, &e.op_id)?;
        out.push(BallotState {
            op_id: e.op_id,
            motion_id: body.motion_id,
            choice: body.choice,
            cast_at: body.cast_at,
            state: state.to_owned(),
            reason,
            receipt,
        });
    }
    Ok(out)
}

impl Syncer {
    /// Sends every unresolved operation, in batches, and records each
    /// answer. Operations stay `sent` until answered, and are sent again with
    /// the same ids after a failure, so the server applies each exactly once.
    pub async fn push(&self) -> Result<PushReport, SyncError> {
        let mut report = PushReport::default();
        loop {
            let mut batch = self
                .with_store(|s| s.unresolved_ops(MAX_OPS_PER_PUSH))
                .await?;
            if batch.is_empty() {
                return Ok(report);
            }
            batch.truncate(fitting(
                batch.iter().map(|e| e.payload.len()),
                PUSH_PAYLOAD_BYTES,
            ));
            let mut ops = Vec::with_capacity(batch.len());
            let mut unreadable = Vec::new();
            for e in &batch {
                match (OpKind::parse(&e.kind), serde_json::from_slice(&e.payload)) {
                    (Some(kind), Ok(body)) => ops.push(Operation {
                        op_id: e.op_id.clone(),
                        kind,
                        body,
                    }),
                    // Cannot be sent as it is: say so on the operation itself.
                    _ => unreadable.push(e.op_id.clone()),
                }
            }
            if !unreadable.is_empty() {
                self.with_store(move |s| {
                    let results: Vec<(&str, OpResult)> = unreadable
                        .iter()
                        .map(|id| {
                            (
                                id.as_str(),
                                OpResult::Rejected {
                                    reason: "unreadable".into(),
                                },
                            )
                        })
                        .collect();
                    s.record_results(&results)
                })
                .await?;
            }
            if ops.is_empty() {
                continue;
            }
            let ids: Vec<String> = ops.iter().map(|o| o.op_id.clone()).collect();
            self.with_store(move |s| {
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                s.mark_sent(&refs)
            })
            .await?;
            let sent = ops.len();
            let resp: PushResponse = self
                .api
                .json(self.api.post("/v1/ops").json(&PushRequest { ops }))
                .await?;
            let mut answered = Vec::new();
            let receipts: Vec<(String, String)> = resp
                .results
                .iter()
                .filter_map(|r| Some((r.op_id.clone(), r.receipt.as_ref()?.hash.clone())))
                .collect();
            if !receipts.is_empty() {
                let store = self.store.clone();
                tokio::task::spawn_blocking(move || crate::receipts::keep(&store, &receipts))
                    .await
                    .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))??;
            }
            for r in resp.results {
                let result = match r.outcome {
                    OpOutcome::Accepted => {
                        report.accepted += 1;
                        OpResult::Accepted
                    }
                    OpOutcome::Superseded => {
                        report.superseded += 1;
                        OpResult::Superseded
                    }
                    OpOutcome::Rejected { reason } => {
                        report.rejected += 1;
                        OpResult::Rejected {
                            reason: reason.as_str().to_owned(),
                        }
                    }
                };
                answered.push((r.op_id, result));
            }
            if answered.len() < sent {
                return Err(SyncError::Protocol(format!(
                    "the server answered {} of {sent} operations",
                    answered.len()
                )));
            }
            report.sent += sent;
            self.with_store(move |s| {
                let refs: Vec<(&str, OpResult)> = answered
                    .iter()
                    .map(|(id, r)| (id.as_str(), r.clone()))
                    .collect();
                s.record_results(&refs)
            })
            .await?;
        }
    }

    /// Casts a ballot now (recorded offline-first); see [`cast_ballot`].
    pub async fn cast_ballot(&self, motion_id: &str, choice: u32) -> Result<String, SyncError> {
        let motion_id = motion_id.to_owned();
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || cast_ballot(&store, &motion_id, choice, now_ms()))
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::fitting;

    #[test]
    fn a_push_takes_what_fits_and_at_least_one_operation() {
        // 700 KB forms: one per push under a 1 MiB cap, two under 2 MiB.
        assert_eq!(fitting([700_000; 5], 1 << 20), 1);
        assert_eq!(fitting([700_000; 5], 2 << 20), 2);
        // Small ballots: all of them.
        assert_eq!(fitting([300; 500], 1 << 20), 500);
        // A first operation over the cap still goes (alone).
        assert_eq!(fitting([3 << 20, 10], 1 << 20), 1);
    }
}
