//! Private annotations: the server keeps, per user, the latest sealed edit
//! of each annotation and the user's wrapped annotation key, and hands both
//! only to that user's devices. It never sees a plaintext annotation or an
//! unwrapped key (see `ecabinet_protocol::annotations`).
//!
//! Edits are ordered by their hybrid-logical-clock stamps, which travel in
//! the clear: a later stamp replaces the stored edit and goes out on the
//! owner's feed; an earlier one arriving late is answered `superseded`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{
    EntityKind, Hlc, Op, OpOutcome, SealedAnnotation, WrappedAnnotationKey, ANNOTATION_KDF,
    MAX_ANNOTATION_CIPHERTEXT, MAX_ANNOTATION_ID_LEN,
};

use crate::auth::Caller;
use crate::db::{Conn, Tx};
use crate::records::{emit, Audience, Scope};
use crate::{params, AppError};

/// The feed scope of a user's private records: no committee has this id,
/// so only the user named in the change sees it, and live nudges for it go
/// to that user's event streams.
pub fn user_scope(user_id: &str) -> String {
    format!("user:{user_id}")
}

fn is_base64_of_len(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    BASE64.decode(s).is_ok_and(|b| len.contains(&b.len()))
}

fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ANNOTATION_ID_LEN
}

/// Whether a sealed annotation is well formed as far as the server can tell
/// (it cannot read the content).
pub fn well_formed(a: &SealedAnnotation) -> bool {
    valid_id(&a.id)
        && valid_id(&a.hlc.node)
        && a.hlc.ms >= 0
        && is_base64_of_len(&a.nonce, 12..=12)
        && a.ciphertext.len() <= MAX_ANNOTATION_CIPHERTEXT
        // At least the 16-byte tag.
        && is_base64_of_len(&a.ciphertext, 16..=MAX_ANNOTATION_CIPHERTEXT)
}

/// Decides one annotation operation of `caller` inside the push's write
/// transaction. The stamp's node must be the pushing device: a device
/// cannot speak for another in the tie-break.
pub fn decide(
    tx: &mut Tx<'_>,
    caller: &Caller,
    op_id: &str,
    a: &SealedAnnotation,
    now: i64,
) -> Result<OpOutcome, AppError> {
    if caller.device_id.as_deref() != Some(a.hlc.node.as_str()) {
        return Ok(OpOutcome::Rejected {
            reason: ecabinet_protocol::RejectReason::Forbidden,
        });
    }
    let stored = tx
        .conn
        .query(
            "SELECT hlc_ms, hlc_counter, hlc_node FROM annotations WHERE user_id = ? AND id = ?",
            params![&caller.user_id, &a.id],
        )?
        .first()
        .map(|r| {
            Ok::<_, AppError>(Hlc {
                ms: r.int(0)?,
                counter: u32::try_from(r.int(1)?)
                    .map_err(|_| AppError::internal("stored hlc counter"))?,
                node: r.text(2)?,
            })
        })
        .transpose()?;
    match stored {
        Some(s) if s == a.hlc => return Ok(OpOutcome::Accepted),
        Some(s) if s > a.hlc => return Ok(OpOutcome::Superseded),
        Some(_) => {
            tx.conn.execute(
                "UPDATE annotations SET hlc_ms = ?, hlc_counter = ?, hlc_node = ?, deleted = ?, nonce = ?, ciphertext = ?, op_id = ?, updated_at = ? WHERE user_id = ? AND id = ?",
                params![a.hlc.ms, i64::from(a.hlc.counter), &a.hlc.node, a.deleted, &a.nonce, &a.ciphertext, op_id, now, &caller.user_id, &a.id],
            )?;
        }
        None => {
            tx.conn.execute(
                "INSERT INTO annotations (user_id, id, hlc_ms, hlc_counter, hlc_node, deleted, nonce, ciphertext, op_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![&caller.user_id, &a.id, a.hlc.ms, i64::from(a.hlc.counter), &a.hlc.node, a.deleted, &a.nonce, &a.ciphertext, op_id, now],
            )?;
        }
    }
    let scope_id = user_scope(&caller.user_id);
    let scope = Scope {
        committee_id: &scope_id,
        audience: Audience::Owner,
        also_user: Some(&caller.user_id),
    };
    emit(
        tx,
        scope,
        EntityKind::Annotation,
        &a.id,
        Op::Upsert,
        Some(a),
        now,
    )?;
    Ok(OpOutcome::Accepted)
}

/// The caller's wrapped annotation key, if one was stored.
pub fn wrapped_key(
    conn: &mut dyn Conn,
    user_id: &str,
) -> Result<Option<WrappedAnnotationKey>, AppError> {
    conn.query(
        "SELECT body FROM annotation_keys WHERE user_id = ?",
        params![user_id],
    )?
    .first()
    .map(|r| Ok(serde_json::from_str(&r.text(0)?)?))
    .transpose()
}

/// Checks the shape of a wrapped key (the server cannot check more).
pub fn check_wrapped_key(k: &WrappedAnnotationKey) -> Result<(), AppError> {
    let ok = valid_id(&k.key_id)
        && k.kdf == ANNOTATION_KDF
        && k.m_kib > 0
        && k.t > 0
        && k.p > 0
        && is_base64_of_len(&k.salt, 16..=64)
        && is_base64_of_len(&k.nonce, 12..=12)
        && is_base64_of_len(&k.wrapped_key, 48..=48);
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "a wrapped annotation key needs key_id, kdf argon2id-v19, cost, a 16-64 byte salt, a 12-byte nonce and a 48-byte wrapped key",
        ))
    }
}

/// Stores the caller's wrapped key: the first one, or a rewrap of the same
/// key (same `key_id`). A different key is a conflict: the caller must
/// unwrap the stored one instead, or two devices would seal under two keys.
pub fn put_wrapped_key(
    tx: &mut Tx<'_>,
    user_id: &str,
    k: &WrappedAnnotationKey,
    now: i64,
) -> Result<WrappedAnnotationKey, AppError> {
    let body = serde_json::to_string(k)?;
    match wrapped_key(tx.conn, user_id)? {
        Some(stored) if stored.key_id != k.key_id => Err(AppError::conflict(
            "this user already has an annotation key: fetch and unwrap it",
        )),
        Some(_) => {
            tx.conn.execute(
                "UPDATE annotation_keys SET body = ?, updated_at = ? WHERE user_id = ?",
                params![body, now, user_id],
            )?;
            Ok(k.clone())
        }
        None => {
            tx.conn.execute(
                "INSERT INTO annotation_keys (user_id, key_id, body, updated_at) VALUES (?, ?, ?, ?)",
                params![user_id, &k.key_id, body, now],
            )?;
            Ok(k.clone())
        }
    }
}
