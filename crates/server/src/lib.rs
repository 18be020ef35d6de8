//! ecabinet-server (being built).
