//! Integration tests of the desktop shell (no display needed: Tauri's mock runtime).

mod about;
mod annotations;
mod bad_documents;
mod bindings;
mod documents;
mod floor;
mod harness;
mod policy;
mod reading;
mod scans;
mod seed;
mod session;
mod withdrawn;
