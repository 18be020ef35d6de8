//! Cross-crate tests. One module per topic.

mod annotations;
mod architecture;
mod outbox;
mod sync;
mod votes;
