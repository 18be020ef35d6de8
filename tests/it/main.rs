//! Cross-crate tests. One module per topic.

mod annotations;
mod architecture;
mod outbox;
mod reading;
mod secretary;
mod sync;
mod votes;
