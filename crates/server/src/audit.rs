//! The vote audit log: every motion transition and accepted ballot, appended
//! to one SHA-256 hash chain (`ecabinet_model::chain_head`) in `audit_log`.
//!
//! A row keeps the record in a JSON form of our own (the model's canonical
//! bytes are one-way) and the chain head after it; [`verify`] re-derives every
//! head from the records, so changing any stored field breaks the chain at
//! that row.

use ecabinet_model::{
    chain_head, verify_chain, AuditRecord, BallotToken, ChainEntry, ChainHead, MemberId, MotionId,
    OpId,
};
use ecabinet_protocol::hex;
use serde_json::{json, Value as Json};

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

/// The stored form of a record.
pub fn encode(record: &AuditRecord) -> String {
    match record {
        AuditRecord::MotionCreated { motion_id, digest } => {
            json!({"type": "motion_created", "motion_id": motion_id.as_str(), "digest": hex::encode(digest)})
        }
        AuditRecord::MotionOpened { motion_id, at, seq } => {
            json!({"type": "motion_opened", "motion_id": motion_id.as_str(), "at": at, "seq": seq})
        }
        AuditRecord::MotionClosed { motion_id, at } => {
            json!({"type": "motion_closed", "motion_id": motion_id.as_str(), "at": at})
        }
        AuditRecord::NamedBallot {
            motion_id,
            op_id,
            member_id,
            choice,
            cast_at,
        } => json!({"type": "named_ballot", "motion_id": motion_id.as_str(), "op_id": op_id.as_str(),
            "member_id": member_id.as_str(), "choice": choice, "cast_at": cast_at}),
        AuditRecord::SecretBallot {
            motion_id,
            token,
            choice,
            closed_at,
        } => json!({"type": "secret_ballot", "motion_id": motion_id.as_str(), "token": hex::encode(&token.0),
            "choice": choice, "closed_at": closed_at}),
    }
    .to_string()
}

/// Reads back [`encode`]'s form.
pub fn decode(text: &str) -> Option<AuditRecord> {
    let v: Json = serde_json::from_str(text).ok()?;
    let s = |k: &str| v.get(k).and_then(Json::as_str);
    let i = |k: &str| v.get(k).and_then(Json::as_i64);
    let u = |k: &str| {
        v.get(k)
            .and_then(Json::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    let motion_id = MotionId::new(s("motion_id")?);
    Some(match s("type")? {
        "motion_created" => AuditRecord::MotionCreated {
            motion_id,
            digest: hex::decode_array(s("digest")?)?,
        },
        "motion_opened" => AuditRecord::MotionOpened {
            motion_id,
            at: i("at")?,
            seq: i("seq")?,
        },
        "motion_closed" => AuditRecord::MotionClosed {
            motion_id,
            at: i("at")?,
        },
        "named_ballot" => AuditRecord::NamedBallot {
            motion_id,
            op_id: OpId::new(s("op_id")?),
            member_id: MemberId::new(s("member_id")?),
            choice: u("choice")?,
            cast_at: i("cast_at")?,
        },
        "secret_ballot" => AuditRecord::SecretBallot {
            motion_id,
            token: BallotToken(hex::decode_array(s("token")?)?),
            choice: u("choice")?,
            closed_at: i("closed_at")?,
        },
        _ => return None,
    })
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
}
