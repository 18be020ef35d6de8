//! The offline lease: a deployment may require devices to sync at least every
//! N hours. A device past its lease keeps its data but refuses to show any of
//! it until a sync succeeds — a lost or stolen tablet that never comes back
//! online stops opening its meeting papers on its own, even before anyone
//! revokes it.
//!
//! The server states the policy in every feed page; the client keeps the last
//! value it was told together with the time of its last successful sync.
//! Content readers (the app's screens, the headless client's document
//! commands) call [`ensure_open`]; syncing itself is always allowed, since it
//! is the way out.
//!
//! The device clock can be set back to stretch a lease. To make that harder,
//! every check records the latest time it has seen and never reasons with an
//! earlier one, so setting the clock back gains at most the time the device
//! spent switched off.

use ecabinet_store::{Store, StoreError};
use serde::Serialize;

use crate::SyncError;

/// The last successful sync, unix ms: the lease runs from it, and the
/// status bar shows it.
pub(crate) const LAST_SYNC: &str = "sync.last_success_ms";
/// The policy as last received from the server (hours; absent = no lease).
pub(crate) const POLICY: &str = "lease.offline_hours";
/// When the device was enrolled: the lease runs from there until the first sync.
pub(crate) const ENROLLED: &str = "lease.enrolled_ms";
/// The latest device time any lease check has seen.
const HIGH_WATER: &str = "lease.high_water_ms";

const HOUR_MS: i64 = 3_600_000;

/// Where this device stands with its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeaseState {
    /// The policy, hours; `None` when the server sets no lease.
    pub hours: Option<u32>,
    /// The last successful sync (or the enrolment, before any), unix ms.
    pub since_ms: Option<i64>,
    /// When the cache stops opening, unix ms; `None` without a lease.
    pub expires_at_ms: Option<i64>,
    /// Whether it has stopped opening.
    pub expired: bool,
}

/// Reads the lease as of `now_ms` (device clock) without recording anything.
pub fn lease_state(store: &Store, now_ms: i64) -> Result<LeaseState, StoreError> {
    let number = |name: &str| -> Result<Option<i64>, StoreError> {
        Ok(store.setting(name)?.and_then(|v| v.parse().ok()))
    };
    let hours = number(POLICY)?
        .and_then(|h| u32::try_from(h).ok())
        .filter(|h| *h > 0);
    let since_ms = match (number(LAST_SYNC)?, number(ENROLLED)?) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let now = now_ms.max(number(HIGH_WATER)?.unwrap_or(i64::MIN));
    let expires_at_ms = match (hours, since_ms) {
        (Some(h), Some(since)) => Some(since.saturating_add(i64::from(h) * HOUR_MS)),
        // A lease but no record of any sync or enrolment: treat as expired
        // rather than as unlimited.
        (Some(_), None) => Some(i64::MIN),
        (None, _) => None,
    };
    Ok(LeaseState {
        hours,
        since_ms,
        expires_at_ms,
        expired: expires_at_ms.is_some_and(|at| now >= at),
    })
}

/// Refuses with [`SyncError::LeaseExpired`] when the device is past its
/// lease. Records `now_ms` as seen either way, so that once refused, setting
/// the clock back does not reopen the cache.
pub fn ensure_open(store: &Store, now_ms: i64) -> Result<LeaseState, SyncError> {
    let seen = store
        .setting(HIGH_WATER)
        .map_err(SyncError::Store)?
        .and_then(|v| v.parse::<i64>().ok());
    if seen.is_none_or(|s| now_ms > s) {
        store
            .set_setting(HIGH_WATER, &now_ms.to_string())
            .map_err(SyncError::Store)?;
    }
    let state = lease_state(store, now_ms).map_err(SyncError::Store)?;
    if state.expired {
        return Err(SyncError::LeaseExpired {
            hours: state.hours.unwrap_or(0),
            last_sync_ms: state.since_ms,
        });
    }
    Ok(state)
}

/// Records a successful sync: the lease starts again from `now_ms`, and the
/// clock high-water mark is reset, since talking to the server is what the
/// lease asks for.
pub(crate) fn record_sync(store: &Store, now_ms: i64) -> Result<(), StoreError> {
    store.set_settings(&[
        (LAST_SYNC, &now_ms.to_string()),
        (HIGH_WATER, &now_ms.to_string()),
    ])
}

/// Records the policy of the latest feed page.
pub(crate) fn record_policy(store: &Store, hours: Option<u32>) -> Result<(), StoreError> {
    match hours.filter(|h| *h > 0) {
        Some(h) => store.set_setting(POLICY, &h.to_string()),
        None => store.clear_setting(POLICY),
    }
}
