//! Devices as the rest of the server sees them: when each was last heard from.

use crate::auth::Caller;
use crate::db::Conn;
use crate::{params, AppError};

/// Notes that the caller's device was heard from (the chair's count of
/// devices not heard from since a vote opened).
pub fn touch_device(conn: &mut dyn Conn, caller: &Caller, now: i64) -> Result<(), AppError> {
    if let Some(device) = &caller.device_id {
        conn.execute(
            "UPDATE devices SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
            params![now, device, now],
        )?;
    }
    Ok(())
}
