//! ecabinet-store (being built).
