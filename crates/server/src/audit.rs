//! The vote audit log: every motion transition and accepted ballot, appended
//! to one SHA-256 hash chain (`ecabinet_model::chain_head`) in `audit_log`.
//!
//! A row keeps the record as the JSON of its wire form (the model's canonical
//! bytes are one-way; the stored text is never hashed) and the chain head
//! after it; [`verify`] re-derives every
//! head from the records, so changing any stored field breaks the chain at
//! that row.

use ecabinet_model::{chain_head, verify_chain, AuditRecord, ChainEntry, ChainHead, MotionId};
use ecabinet_protocol::AuditRecordWire;

use crate::db::{Conn, DbError, Tx, Value};

/// Why the audit log could not be read or does not verify.
#[derive(Debug, thiserror::Error)]
pub enum AuditLogError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The stored record or head cannot be read back.
    #[error("audit record seq {seq} is unreadable: {why}")]
    Unreadable { seq: i64, why: String },
    /// The record's recomputed head differs from the stored one: the record,
    /// or one before it, was changed.
    #[error("audit chain broken at record seq {seq}")]
    Broken { seq: i64 },
}

/// The stored form of a record: the JSON of its wire form
/// ([`AuditRecordWire`], byte strings in hex), so the record a client is
/// sent and the row it came from are one mapping.
pub fn encode(record: &AuditRecord) -> String {
    serde_json::to_string(&AuditRecordWire::from_model(record))
        .expect("an audit record's wire form always serialises")
}

/// Reads back [`encode`]'s form (rows written before it was the wire form
/// had the same fields in another order, which reads the same).
pub fn decode(text: &str) -> Option<AuditRecord> {
    serde_json::from_str::<AuditRecordWire>(text)
        .ok()?
        .to_model()
}

fn motion_of(record: &AuditRecord) -> &MotionId {
    match record {
        AuditRecord::MotionCreated { motion_id, .. }
        | AuditRecord::MotionOpened { motion_id, .. }
        | AuditRecord::MotionClosed { motion_id, .. }
        | AuditRecord::NamedBallot { motion_id, .. }
        | AuditRecord::SecretBallot { motion_id, .. } => motion_id,
    }
}

/// The head of the chain (genesis when empty).
pub fn head(conn: &mut dyn Conn) -> Result<ChainHead, AuditLogError> {
    let rows = conn.query(
        "SELECT seq, head FROM audit_log ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    match rows.first() {
        None => Ok(ChainHead::GENESIS),
        Some(r) => {
            let seq = r.int(0)?;
            ChainHead::from_hex(&r.text(1)?).ok_or(AuditLogError::Unreadable {
                seq,
                why: "head is not 64 hex digits".into(),
            })
        }
    }
}

/// Where appended records went: the chain's new head and the `seq` of the
/// first of them (the others follow one by one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub head: ChainHead,
    pub first_seq: i64,
}

/// Rows per multi-row INSERT: few statements for a big batch, and far
/// below either engine's limit on parameters per statement.
const INSERT_CHUNK: usize = 100;

/// Appends `records` in order under the write lock; returns the new head.
/// Each row also keeps the record's receipt (`AuditRecord::receipt`), the
/// hash a member's client holds and asks an inclusion proof for.
pub fn append(
    tx: &mut Tx<'_>,
    records: impl IntoIterator<Item = AuditRecord>,
) -> Result<Appended, AuditLogError> {
    let (mut seq, mut head) = match tx.audit_tip {
        Some(tip) => tip,
        None => {
            let rows = tx.conn.query(
                "SELECT seq, head FROM audit_log ORDER BY seq DESC LIMIT 1",
                &[],
            )?;
            match rows.first() {
                None => (0, ChainHead::GENESIS),
                Some(r) => {
                    let seq = r.int(0)?;
                    let head =
                        ChainHead::from_hex(&r.text(1)?).ok_or(AuditLogError::Unreadable {
                            seq,
                            why: "head is not 64 hex digits".into(),
                        })?;
                    (seq, head)
                }
            }
        }
    };
    let first_seq = seq + 1;
    let mut rows: Vec<Value> = Vec::new();
    let flush = |rows: &mut Vec<Value>, conn: &mut dyn Conn| -> Result<(), DbError> {
        let n = rows.len() / 5;
        if n > 0 {
            let values = vec!["(?, ?, ?, ?, ?)"; n].join(", ");
            conn.execute(
                &format!(
                    "INSERT INTO audit_log (seq, motion_id, record, head, receipt) VALUES {values}"
                ),
                rows,
            )?;
            rows.clear();
        }
        Ok(())
    };
    for record in records {
        head = chain_head(&head, &record);
        seq += 1;
        rows.extend([
            Value::Int(seq),
            Value::from(motion_of(&record).as_str()),
            Value::Text(encode(&record)),
            Value::Text(head.to_hex()),
            Value::Text(record.receipt().to_hex()),
        ]);
        if rows.len() >= INSERT_CHUNK * 5 {
            flush(&mut rows, tx.conn)?;
        }
    }
    flush(&mut rows, tx.conn)?;
    tx.audit_tip = Some((seq, head));
    Ok(Appended { head, first_seq })
}

/// Re-derives the whole chain from its records; returns how many records
/// it holds, or the first record whose head does not follow.
pub fn verify(conn: &mut dyn Conn) -> Result<usize, AuditLogError> {
    let rows = conn.query(
        "SELECT seq, record, head, receipt FROM audit_log ORDER BY seq",
        &[],
    )?;
    let mut seqs = Vec::with_capacity(rows.len());
    let mut entries = Vec::with_capacity(rows.len());
    for r in &rows {
        let seq = r.int(0)?;
        let record = decode(&r.text(1)?).ok_or(AuditLogError::Unreadable {
            seq,
            why: "record is not a known audit record".into(),
        })?;
        let head = ChainHead::from_hex(&r.text(2)?).ok_or(AuditLogError::Unreadable {
            seq,
            why: "head is not 64 hex digits".into(),
        })?;
        // The receipt column only indexes the record; a stale one would
        // send a member's inclusion check to the wrong row.
        if r.opt_text(3)?
            .is_some_and(|stored| stored != record.receipt().to_hex())
        {
            return Err(AuditLogError::Broken { seq });
        }
        seqs.push(seq);
        entries.push(ChainEntry { record, head });
    }
    let last = entries.last().map_or(ChainHead::GENESIS, |e| e.head);
    verify_chain(&ChainHead::GENESIS, &entries, &last).map_err(|e| AuditLogError::Broken {
        seq: seqs.get(e.index()).copied().unwrap_or(-1),
    })?;
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecabinet_model::{BallotToken, MemberId, OpId};

    #[test]
    fn every_record_kind_reads_back_as_written() {
        let m = MotionId::new("m1");
        for r in [
            AuditRecord::MotionCreated {
                motion_id: m.clone(),
                digest: [9; 32],
            },
            AuditRecord::MotionOpened {
                motion_id: m.clone(),
                at: 5,
                seq: 7,
            },
            AuditRecord::MotionClosed {
                motion_id: m.clone(),
                at: 6,
            },
            AuditRecord::NamedBallot {
                motion_id: m.clone(),
                op_id: OpId::new("op"),
                member_id: MemberId::new("u"),
                choice: 2,
                cast_at: -1,
                qualified: None,
            },
            AuditRecord::NamedBallot {
                motion_id: m.clone(),
                op_id: OpId::new("op2"),
                member_id: MemberId::new("u"),
                choice: 0,
                cast_at: 9,
                qualified: Some(ecabinet_model::QualifiedSeal {
                    certificate_sha256: [1; 32],
                    signature: vec![2, 3],
                    device_id: ecabinet_model::DeviceId::new("d"),
                    device_cast_at: 8,
                    seen_seq: 4,
                    opinion_sha256: Some([5; 32]),
                }),
            },
            AuditRecord::SecretBallot {
                motion_id: m.clone(),
                token: BallotToken([0xab; 16]),
                choice: 1,
                closed_at: 8,
            },
        ] {
            assert_eq!(decode(&encode(&r)), Some(r));
        }
        assert_eq!(decode(r#"{"type":"nope","motion_id":"m"}"#), None);
    }

    /// Rows written before the stored form was the wire form kept the same
    /// fields with their keys in alphabetical order; existing databases must
    /// still read and verify (the chain hashes the model's canonical bytes,
    /// not this text).
    #[test]
    fn rows_written_in_the_earlier_key_order_still_read() {
        let m = MotionId::new("m1");
        for (text, record) in [
            (
                r#"{"at":5,"motion_id":"m1","seq":7,"type":"motion_opened"}"#,
                AuditRecord::MotionOpened {
                    motion_id: m.clone(),
                    at: 5,
                    seq: 7,
                },
            ),
            (
                r#"{"cast_at":-1,"choice":2,"member_id":"u","motion_id":"m1","op_id":"op","type":"named_ballot"}"#,
                AuditRecord::NamedBallot {
                    motion_id: m.clone(),
                    op_id: OpId::new("op"),
                    member_id: MemberId::new("u"),
                    choice: 2,
                    cast_at: -1,
                    qualified: None,
                },
            ),
            (
                r#"{"choice":1,"closed_at":8,"motion_id":"m1","token":"abababababababababababababababab","type":"secret_ballot"}"#,
                AuditRecord::SecretBallot {
                    motion_id: m.clone(),
                    token: BallotToken([0xab; 16]),
                    choice: 1,
                    closed_at: 8,
                },
            ),
        ] {
            assert_eq!(decode(text), Some(record), "{text}");
        }
        // A malformed hex field or a negative choice is not a record.
        assert_eq!(
            decode(
                r#"{"choice":1,"closed_at":8,"motion_id":"m1","token":"zz","type":"secret_ballot"}"#
            ),
            None
        );
        assert_eq!(
            decode(
                r#"{"cast_at":1,"choice":-2,"member_id":"u","motion_id":"m1","op_id":"op","type":"named_ballot"}"#
            ),
            None
        );
    }
}
