//! Ballot receipts: the member's own check that each accepted ballot is in
//! the audit chain a motion's published result ends at.
//!
//! A named ballot's receipt (the hash of its audit record) comes back with
//! its `accepted` answer. A secret ballot gets none: its record is sealed
//! only when the result is final, under a token derived from the ballot's
//! signature, which only this device keeps — so the client rebuilds the
//! record itself from the result's `ballots_sealed_at`. When the final
//! `motion_result` (carrying the chain head) is in the cache, the client
//! fetches an inclusion proof for the receipt and re-hashes it with the
//! model's code up to that head. A proof that does not check is recorded as
//! a failure, shown with the ballot; an unreachable server leaves the check
//! for the next sync.
//!
//! Receipts live in the store's named values (`ballot_receipt.<op_id>`), so
//! no schema change is needed.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_model::{verify_inclusion, AuditRecord, ChainHead, Receipt};
use ecabinet_protocol::{secret_ballot_record, BallotBody, InclusionProofBody, OpKind};
use ecabinet_store::{Entity, OutboxState, Store};
use serde::{Deserialize, Serialize};

use crate::{SyncError, Syncer};

const PREFIX: &str = "ballot_receipt.";

/// A ballot's receipt and where its inclusion check stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptState {
    /// Hex SHA-256 of the ballot's audit record.
    pub hash: String,
    /// `None` until the motion's final result has been checked; then whether
    /// the record is in the chain ending at the published head.
    pub verified: Option<bool>,
    /// Why the check failed (when `verified` is `Some(false)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What one [`Syncer::check_receipts`] pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceiptReport {
    pub verified: usize,
    pub failed: usize,
}

/// The stored receipt of a ballot, if it has one yet.
pub fn receipt_of(store: &Store, op_id: &str) -> Result<Option<ReceiptState>, SyncError> {
    let Some(text) = store
        .setting(&format!("{PREFIX}{op_id}"))
        .map_err(SyncError::Store)?
    else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| SyncError::Internal(format!("stored receipt of {op_id}: {e}")))
}

fn save(store: &Store, op_id: &str, r: &ReceiptState) -> Result<(), SyncError> {
    let text = serde_json::to_string(r).map_err(|e| SyncError::Internal(e.to_string()))?;
    store
        .set_setting(&format!("{PREFIX}{op_id}"), &text)
        .map_err(SyncError::Store)
}

/// Keeps the receipts the server returned with its answers (before the
/// answers themselves are recorded: a crash in between resends the
/// operations, and the server answers with the same receipts).
pub(crate) fn keep(store: &Store, receipts: &[(String, String)]) -> Result<(), SyncError> {
    let mut values = Vec::with_capacity(receipts.len());
    for (op_id, hash) in receipts {
        if let Some(old) = receipt_of(store, op_id)? {
            if &old.hash == hash {
                continue;
            }
        }
        let r = ReceiptState {
            hash: hash.clone(),
            verified: None,
            error: None,
        };
        let text = serde_json::to_string(&r).map_err(|e| SyncError::Internal(e.to_string()))?;
        values.push((format!("{PREFIX}{op_id}"), text));
    }
    let refs: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    store.set_settings(&refs).map_err(SyncError::Store)
}

/// A ballot whose receipt can be checked now: its final result is cached.
struct Due {
    op_id: String,
    receipt: Receipt,
    head: ChainHead,
}

/// The accepted ballots whose motion's final result is in the cache and
/// whose receipt is not checked yet; secret ballots get their receipt here.
fn due(store: &Store) -> Result<Vec<Due>, SyncError> {
    let mut out = Vec::new();
    for e in store.outbox().map_err(SyncError::Store)? {
        if e.kind != OpKind::Ballot.as_str()
            || !matches!(e.state, OutboxState::Accepted | OutboxState::Superseded)
        {
            continue;
        }
        let Ok(body) = serde_json::from_slice::<BallotBody>(&e.payload) else {
            continue;
        };
        let Some(result) = store
            .entity(Entity::MotionResult, &body.motion_id)
            .map_err(SyncError::Store)?
        else {
            continue;
        };
        let Some(head) = result
            .get("audit_head")
            .and_then(|h| h.as_str())
            .and_then(ChainHead::from_hex)
        else {
            continue;
        };
        let stored = receipt_of(store, &e.op_id)?;
        if stored.as_ref().is_some_and(|r| r.verified.is_some()) {
            continue;
        }
        let hash = match (
            stored,
            result.get("ballots_sealed_at").and_then(|v| v.as_i64()),
        ) {
            (Some(r), _) => r.hash,
            // A secret ballot: rebuild the sealed record from our own ballot.
            (None, Some(sealed_at)) => {
                let Ok(signature) = BASE64.decode(body.signature.trim()) else {
                    continue;
                };
                let record: AuditRecord =
                    secret_ballot_record(&body.motion_id, &signature, body.choice, sealed_at);
                let r = ReceiptState {
                    hash: record.receipt().to_hex(),
                    verified: None,
                    error: None,
                };
                save(store, &e.op_id, &r)?;
                r.hash
            }
            // A named ballot answered before receipts existed, or one
            // superseded in the same push (never entered the chain).
            (None, None) => continue,
        };
        let Some(receipt) = Receipt::from_hex(&hash) else {
            continue;
        };
        out.push(Due {
            op_id: e.op_id,
            receipt,
            head,
        });
    }
    Ok(out)
}

/// Checks `proof` for `receipt` against the head published in the feed.
fn check(receipt: &Receipt, head: &ChainHead, proof: &InclusionProofBody) -> Result<(), String> {
    let start = ChainHead::from_hex(&proof.start_head)
        .ok_or_else(|| "the proof's start head is not 64 hex digits".to_owned())?;
    let records: Vec<AuditRecord> = proof
        .records
        .iter()
        .map(|r| {
            r.to_model()
                .ok_or_else(|| "the proof holds an unreadable record".to_owned())
        })
        .collect::<Result<_, _>>()?;
    verify_inclusion(receipt, &start, &records, head)
        .map(drop)
        .map_err(|e| e.to_string())
}

impl Syncer {
    /// Checks the receipt of every accepted ballot whose motion's final
    /// result has arrived and that is not checked yet. A receipt the server
    /// cannot prove against the published head is marked failed (for good);
    /// if the server cannot be reached the check waits for the next pass.
    pub async fn check_receipts(&self) -> Result<ReceiptReport, SyncError> {
        let due = self.blocking(due).await?;
        let mut report = ReceiptReport::default();
        for d in due {
            let path = format!("/v1/audit/inclusion/{}", d.receipt.to_hex());
            let outcome = match self
                .api
                .json::<InclusionProofBody>(self.api.get(&path))
                .await
            {
                Ok(proof) => check(&d.receipt, &d.head, &proof),
                Err(SyncError::Server { status: 404, .. }) => {
                    Err("the server has no record with this receipt in the published chain".into())
                }
                Err(e) => return Err(e),
            };
            let state = ReceiptState {
                hash: d.receipt.to_hex(),
                verified: Some(outcome.is_ok()),
                error: outcome.err(),
            };
            match state.verified {
                Some(true) => report.verified += 1,
                _ => report.failed += 1,
            }
            let op_id = d.op_id;
            self.blocking(move |s| save(s, &op_id, &state)).await?;
        }
        Ok(report)
    }

    /// Runs `f` on the store off the async runtime.
    async fn blocking<T, F>(&self, f: F) -> Result<T, SyncError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, SyncError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))?
    }
}
