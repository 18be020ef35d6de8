//! The outbox: operations queued offline and the outcome the server gave
//! each.

use rusqlite::{params, Transaction};

use crate::error::{Result, StoreError};
use crate::Store;

/// State of an outbox operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxState {
    /// Not sent yet.
    Pending,
    /// Sent, no answer recorded yet (resend with the same op id).
    Sent,
    /// The server applied it.
    Accepted,
    /// A later operation of the same member replaced it.
    Superseded,
    /// The server refused it.
    Rejected {
        /// The server's reason code.
        reason: String,
    },
}

/// The server's final answer for an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// Applied.
    Accepted,
    /// Replaced by a later one.
    Superseded,
    /// Refused, with the server's reason.
    Rejected {
        /// The reason code.
        reason: String,
    },
}

/// One outbox operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Client-made id (UUIDv7 text), unique.
    pub op_id: String,
    /// What it is (e.g. `vote`, `annotation`, `speak`).
    pub kind: String,
    /// The signed operation as sent.
    pub payload: Vec<u8>,
    /// Where it stands.
    pub state: OutboxState,
}

/// Queues an operation inside the caller's transaction; the same `op_id`
/// again is a no-op.
pub(super) fn insert_pending(
    tx: &Transaction<'_>,
    op_id: &str,
    kind: &str,
    payload: &[u8],
) -> Result<()> {
    tx.execute(
        "INSERT INTO outbox (op_id, kind, payload, state) VALUES (?1, ?2, ?3, 'pending')
         ON CONFLICT (op_id) DO NOTHING",
        params![op_id, kind, payload],
    )?;
    Ok(())
}

impl Store {
    /// Queues an operation. Enqueuing the same `op_id` again is a no-op.
    pub fn enqueue(&self, op_id: &str, kind: &str, payload: &[u8]) -> Result<()> {
        self.write(|tx| insert_pending(tx, op_id, kind, payload))?;
        self.refresh_unsent()
    }

    /// [`Store::enqueue`], and the named value `remember` set, in one
    /// transaction: an operation sent once per fact (a read report) and the
    /// note that it was sent are stored together or not at all.
    pub fn enqueue_remembering(
        &self,
        op_id: &str,
        kind: &str,
        payload: &[u8],
        remember: (&str, &str),
    ) -> Result<()> {
        self.write(|tx| {
            insert_pending(tx, op_id, kind, payload)?;
            crate::named::set_state(tx, remember.0, &remember.1)
        })?;
        self.refresh_unsent()
    }

    /// Operations still waiting for an answer (pending or sent), oldest first.
    pub fn unresolved_ops(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT op_id, kind, payload, state, reason FROM outbox
                 WHERE state IN ('pending', 'sent') ORDER BY seq LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], row_to_entry)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every operation with its state, oldest first (for "what happened to my vote").
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT op_id, kind, payload, state, reason FROM outbox ORDER BY seq",
            )?;
            let rows = stmt.query_map([], row_to_entry)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Marks operations as sent (still awaiting an answer).
    pub fn mark_sent(&self, op_ids: &[&str]) -> Result<()> {
        self.write(|tx| {
            for id in op_ids {
                tx.execute(
                    "UPDATE outbox SET state = 'sent' WHERE op_id = ?1 AND state = 'pending'",
                    [id],
                )?;
            }
            Ok(())
        })
    }

    /// Records the server's answers, all in one transaction.
    pub fn record_results(&self, results: &[(&str, OpResult)]) -> Result<()> {
        self.write(|tx| {
            for (op_id, result) in results {
                let (state, reason) = match result {
                    OpResult::Accepted => ("accepted", None),
                    OpResult::Superseded => ("superseded", None),
                    OpResult::Rejected { reason } => ("rejected", Some(reason.as_str())),
                };
                let n = tx.execute(
                    "UPDATE outbox SET state = ?2, reason = ?3 WHERE op_id = ?1",
                    params![op_id, state, reason],
                )?;
                if n == 0 {
                    return Err(StoreError::UnknownOperation((*op_id).to_owned()));
                }
            }
            Ok(())
        })?;
        self.refresh_unsent()
    }
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let state: String = r.get(3)?;
    let reason: Option<String> = r.get(4)?;
    let state = match state.as_str() {
        "pending" => OutboxState::Pending,
        "sent" => OutboxState::Sent,
        "accepted" => OutboxState::Accepted,
        "superseded" => OutboxState::Superseded,
        _ => OutboxState::Rejected {
            reason: reason.unwrap_or_default(),
        },
    };
    Ok(OutboxEntry {
        op_id: r.get(0)?,
        kind: r.get(1)?,
        payload: r.get(2)?,
        state,
    })
}
