//! Integration tests of the desktop shell (no display needed: Tauri's mock runtime).

mod about;
mod bindings;
mod documents;
mod harness;
mod session;
