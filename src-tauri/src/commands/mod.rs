//! Tauri commands, one module per feature. Each is a thin adapter.

pub mod about;
pub mod admin;
pub mod annotations;
pub mod chair;
pub mod comments;
pub mod documents;
pub mod floor;
pub mod meetings;
pub mod presenting;
pub mod reading;
pub mod secretary;
pub mod session;
pub mod signing;
pub mod sync;
pub mod votes;
