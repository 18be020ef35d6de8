//! Cross-crate tests. One module per topic.

mod annotations;
mod architecture;
mod classified;
mod hostile;
mod key_rotation;
mod losses;
mod outbox;
mod policy;
mod reading;
mod scans;
mod secretary;
mod signatures;
mod sync;
mod trust;
mod votes;
