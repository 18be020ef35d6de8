//! `GET /v1/changes`: the caller's visible slice of the feed, in pages.

use axum::extract::State;
use ecabinet_protocol::{
    Change, ChangesPage, ChangesQuery, EntityKind, Op, SignedTrustedRoots, DEFAULT_PAGE, MAX_PAGE,
};

use crate::auth::Caller;
use crate::error::{Json, Query};
use crate::{params, AppError, AppState};

pub async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ChangesQuery>,
) -> Result<Json<ChangesPage>, AppError> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let since = q.since.max(0);
    let server_time = state.now();
    let offline_lease_hours = state.config.offline_lease_hours;
    let max_upload_bytes = state.config.max_upload_bytes as u64;
    let signing_key = state.signer.public_key_b64().to_owned();
    // A pull is contact: the chair counts devices not heard from since a vote opened.
    let contact = caller.clone();
    state
        .db
        .write_grouped(move |tx| crate::devices::touch_device(tx.conn, &contact, server_time))
        .await?;
    let user = caller.user_id.clone();
    let page = state
        .db
        .read(move |conn| {
            // Members see the committee's published records; secretaries and
            // chairs also the drafts; a user sees changes addressed to them
            // (their own membership, even once removed, and their private
            // `owner` records, which no membership reveals). One extra row
            // tells whether more follow.
            let rows = conn.query(
                "SELECT c.seq, c.entity, c.entity_id, c.op, c.body FROM changes c \
                 LEFT JOIN memberships m ON m.committee_id = c.committee_id AND m.user_id = ? \
                 WHERE c.seq > ? \
                 AND ((m.id IS NOT NULL AND (c.audience = 'all' OR (c.audience = 'editors' AND m.role <> 'member'))) OR c.user_id = ?) \
                 ORDER BY c.seq LIMIT ?",
                params![&caller.user_id, since, &caller.user_id, i64::from(limit) + 1],
            )?;
            let has_more = rows.len() > limit as usize;
            let mut changes = Vec::with_capacity(rows.len().min(limit as usize));
            for r in rows.iter().take(limit as usize) {
                let entity = r.text(1)?;
                let op = r.text(3)?;
                changes.push(Change {
                    seq: r.int(0)?,
                    entity: EntityKind::parse(&entity)
                        .ok_or_else(|| AppError::internal(format!("stored entity {entity:?}")))?,
                    id: r.text(2)?,
                    op: Op::parse(&op)
                        .ok_or_else(|| AppError::internal(format!("stored op {op:?}")))?,
                    body: r
                        .opt_text(4)?
                        .map(|b| serde_json::from_str(&b))
                        .transpose()?,
                });
            }
            let next_since = changes.last().map_or(since, |c| c.seq);
            let key_rotations = crate::key_rotation::rotations(conn)?;
            let trusted_roots_at = crate::trusted_roots::updated_at(conn)?;
            Ok::<_, AppError>(Json(ChangesPage {
                changes,
                next_since,
                has_more,
                server_time,
                offline_lease_hours,
                max_upload_bytes: Some(max_upload_bytes),
                signing_key,
                key_rotations,
                trusted_roots_at,
            }))
        })
        .await?;
    // How far this user has been sent the feed: a committee that adds them
    // later sends them what lies behind that point (`records::replay_history`).
    let sent = page.0.next_since;
    if sent > since {
        state
            .db
            .write_grouped(move |tx| {
                tx.conn.execute(
                    "UPDATE users SET feed_sent = ? WHERE id = ? AND feed_sent < ?",
                    params![sent, &user, sent],
                )?;
                Ok::<_, AppError>(())
            })
            .await?;
    }
    Ok(page)
}

/// `GET /v1/trusted-roots`: the signed list of roots trusted for signatures
/// embedded in documents, for a device whose copy is older than the date a
/// feed page gave. Not found until an administrator sets one.
pub async fn trusted_roots(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<SignedTrustedRoots>, AppError> {
    let current = state
        .db
        .read(|conn| crate::trusted_roots::current(conn))
        .await?;
    current
        .map(Json)
        .ok_or_else(|| AppError::not_found("trusted roots"))
}
