//! Wire types shared by the sync server and the client, versioned under `/v1`.
//!
//! Domain types from `ecabinet-model` never cross the wire directly: each has a
//! wire form here and an explicit conversion, so a change of representation on
//! one side is a compile error on the other instead of a silent protocol break.

mod error;

pub use error::{ErrorBody, ErrorCode};

/// The path prefix of every endpoint of this protocol version.
pub const API_PREFIX: &str = "/v1";
