//! Set-up shared by the server benchmarks.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ecabinet_server::clock::SystemClock;
use ecabinet_server::db::Db;
use ecabinet_server::signer::Signer;
use ecabinet_server::{AppState, Config};

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A server state on `$ECABINET_BENCH_DATABASE_URL` (PostgreSQL) or a SQLite
/// file in `dir`, with its backend's name.
pub async fn bench_state(dir: &Path) -> anyhow::Result<(AppState, &'static str)> {
    let url = std::env::var("ECABINET_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| dir.join("bench.sqlite3").display().to_string());
    let backend = if url.starts_with("postgres") {
        "postgresql"
    } else {
        "sqlite"
    };
    let db = tokio::task::spawn_blocking(move || Db::open(&url)).await??;
    let blobs = ecabinet_server::blobs::open(None, dir.join("blobs"))?;
    let state = AppState::new(
        db,
        blobs,
        Signer::generate()?,
        Arc::new(SystemClock),
        Config::default(),
    );
    Ok((state, backend))
}
