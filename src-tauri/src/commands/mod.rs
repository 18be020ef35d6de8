//! Tauri commands, one module per feature. Each is a thin adapter.

pub mod about;
