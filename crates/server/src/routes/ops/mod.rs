//! `POST /v1/ops`: the client's outbox (ballots, attendance, requests to
//! speak, sealed annotations — see `crate::annotations`, read reports — see
//! `crate::reads`), and `POST /v1/ops/status`: the current outcome of pushed operations.
//!
//! Each operation is decided exactly once, inside the database's write
//! transaction (which serialises all writers, see [`crate::db::Conn::begin`]),
//! and its outcome is stored under its `op_id` in `ops`: a retry, even one
//! racing the first send, reads the stored outcome instead of deciding again.
//! Ballots go through the pure rules of `ecabinet-model` (`reconcile`), one
//! ledger per motion restored from the database.
//!
//! - [`parse`]: each operation's body read and a ballot's signature checked,
//!   outside the write lock;
//! - [`decide`]: every operation decided once, its outcome stored under its id;
//! - [`ballots`]: a motion's ballots reconciled through the model's ledger;
//! - [`attendance`]: check-ins and the chair's marks;
//! - [`receipts`]: the audit receipts of accepted named ballots.

mod attendance;
mod ballots;
mod decide;
mod parse;
mod receipts;

use axum::extract::State;
use ecabinet_protocol::{OpResult, OpsStatusRequest, PushRequest, PushResponse, MAX_OPS_PER_PUSH};

use crate::auth::Caller;
use crate::devices::touch_device;
use crate::error::Json;
use crate::{AppError, AppState};

use decide::{decide_all, stored_outcomes};
use parse::{caller_devices, parse_all};
use receipts::add_receipts;

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
    // Ballots signed with a token are checked against the trusted roots
    // (read only when a push holds one).
    let signed = req.ops.iter().any(|o| {
        o.kind == ecabinet_protocol::OpKind::Ballot
            && o.body.get("qualified").is_some_and(|q| !q.is_null())
    });
    let anchors = if signed {
        let user_id = caller.user_id.clone();
        let (roots, registered) = state
            .db
            .read(move |conn| {
                Ok::<_, AppError>((
                    crate::trusted_roots::current(conn)?,
                    crate::member_certificates::of_user(conn, &user_id)?,
                ))
            })
            .await?;
        roots
            .and_then(|r| ecabinet_pades::TrustStore::from_pem(&r.pem).ok())
            .map(|trust| parse::Anchors {
                trust,
                now: state.now() / 1000,
                registered,
            })
    } else {
        None
    };
    // Signatures are checked outside the write lock: it is the costly part.
    let (ops, parsed) = tokio::task::spawn_blocking(move || {
        let parsed = parse_all(&req.ops, &caller, &devices, anchors.as_ref());
        (req.ops, (parsed, caller))
    })
    .await
    .map_err(|e| AppError::internal(format!("verifying ballots: {e}")))?;
    let (parsed, caller) = parsed;
    let now = state.now();
    // Concurrent pushes share one transaction (see `Db::write_grouped`):
    // a crowd voting at once costs one lock and one commit per group.
    let (results, decided) = state
        .db
        .write_grouped(move |tx| {
            touch_device(tx.conn, &caller, now)?;
            decide_all(tx, &caller, &ops, parsed, now)
        })
        .await?;
    for outcome in decided {
        state.metrics.ballot(outcome);
    }
    Ok(Json(PushResponse { results }))
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
