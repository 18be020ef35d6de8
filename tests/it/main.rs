//! Cross-crate tests. One module per topic.

mod architecture;
mod sync;
