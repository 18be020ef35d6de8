//! Cross-crate tests. One module per topic.

mod architecture;
mod outbox;
mod sync;
