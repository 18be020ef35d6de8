//! Operations lost to a wrong-PIN wipe: a member's newly enrolled device
//! reports the ids of the outbox operations the wipe erased on their earlier
//! device before the server answered (`POST /v1/devices/lost-ops`), and the
//! committee's chair and secretary, or an administrator, see them
//! (`GET /v1/committees/{committee_id}/lost-ops`), with the status the
//! server gave any of them that did arrive (only the answer was lost).
//!
//! A report records losses of the caller only, once per operation id: a
//! report sent again changes nothing.

use axum::extract::State;
use ecabinet_protocol::{
    LostOpBody, LostOpsBody, ReportLostOpsRequest, ReportLostOpsResponse, MAX_LOST_OPS_PER_REPORT,
};

use crate::access::role_in;
use crate::auth::Caller;
use crate::error::{Json, Path};
use crate::{params, records, AppError, AppState};

/// The longest operation id accepted (a UUID has 36 characters).
const MAX_OP_ID_LEN: usize = 64;

pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<ReportLostOpsRequest>,
) -> Result<Json<ReportLostOpsResponse>, AppError> {
    let Some(device_id) = caller.device_id.clone() else {
        return Err(AppError::forbidden(
            "lost operations are reported by an enrolled device: enrol this device first",
        ));
    };
    if req.op_ids.len() > MAX_LOST_OPS_PER_REPORT {
        return Err(AppError::invalid(format!(
            "at most {MAX_LOST_OPS_PER_REPORT} operation ids per report; send the rest in another"
        )));
    }
    // Outbox operation ids are UUIDs; anything else is not one.
    let well_formed = |id: &String| {
        (1..=MAX_OP_ID_LEN).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if let Some(bad) = req.op_ids.iter().find(|id| !well_formed(id)) {
        return Err(AppError::invalid(format!(
            "operation id {:?} is not an operation id (letters, digits and dashes, at most {MAX_OP_ID_LEN})",
            bad.chars().take(MAX_OP_ID_LEN).collect::<String>()
        )));
    }
    let now = state.now();
    let recorded = state
        .db
        .write(move |tx| {
            let mut recorded = 0u32;
            for op_id in &req.op_ids {
                let added = tx.conn.execute(
                    "INSERT INTO lost_ops (user_id, op_id, reported_by_device, reported_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id, op_id) DO NOTHING",
                    params![&caller.user_id, op_id, &device_id, now],
                )?;
                recorded += u32::from(added > 0);
            }
            Ok::<_, AppError>(recorded)
        })
        .await?;
    Ok(Json(ReportLostOpsResponse { recorded }))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(committee_id): Path<String>,
) -> Result<Json<LostOpsBody>, AppError> {
    let body = state
        .db
        .read(move |conn| {
            if !caller.is_admin {
                match role_in(conn, &caller.user_id, &committee_id)? {
                    None => return Err(AppError::not_found("committee")),
                    Some(role) if !role.can_prepare_meetings() => {
                        return Err(AppError::forbidden(
                            "only the chair and the secretary see their members' lost operations",
                        ))
                    }
                    Some(_) => {}
                }
            } else if records::committee(conn, &committee_id)?.is_none() {
                return Err(AppError::not_found("committee"));
            }
            let rows = conn.query(
                "SELECT l.op_id, l.user_id, u.display_name, l.reported_by_device, l.reported_at, o.status \
                 FROM lost_ops l JOIN memberships ms ON ms.user_id = l.user_id AND ms.committee_id = ? \
                 JOIN users u ON u.id = l.user_id \
                 LEFT JOIN ops o ON o.op_id = l.op_id AND o.user_id = l.user_id \
                 ORDER BY l.reported_at, l.user_id, l.op_id",
                params![&committee_id],
            )?;
            let lost = rows
                .iter()
                .map(|r| {
                    Ok(LostOpBody {
                        op_id: r.text(0)?,
                        member_id: r.text(1)?,
                        display_name: r.text(2)?,
                        reported_by_device: r.opt_text(3)?,
                        reported_at: r.int(4)?,
                        server_status: r.opt_text(5)?,
                    })
                })
                .collect::<Result<_, AppError>>()?;
            Ok(LostOpsBody { committee_id, lost })
        })
        .await?;
    Ok(Json(body))
}
