//! The device clock, read in one place.
//!
//! Every time the sync client records itself (a ballot cast, a document
//! opened, an annotation edited, the last successful sync, the offline lease)
//! is milliseconds since the Unix epoch by this device's clock. The device
//! clock is not trusted for anything the server decides: each pull measures
//! its offset from the server's time, and ballots carry that offset.

/// Milliseconds since the Unix epoch by the device clock; 0 if the clock is
/// set before 1970. The one reading of the device clock for the client side:
/// the headless client and the app's shell call it too.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
