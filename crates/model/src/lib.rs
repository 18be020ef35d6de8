//! Domain types and rules of E-Cabinet.
//!
//! This crate is pure: no IO, no clocks read from the system, no serialisation.
//! Everything that touches the wire (`protocol`), the disk (`store`) or the
//! screen (`src-tauri`) converts to and from these types explicitly.

mod role;

pub use role::Role;
