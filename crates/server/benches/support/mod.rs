//! Set-up shared by the server benchmarks.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ecabinet_protocol::{CreateAgendaItemRequest, CreateMeetingRequest, MeetingStatus};
use ecabinet_server::clock::SystemClock;
use ecabinet_server::db::{Db, Tx};
use ecabinet_server::routes::{documents, meetings};
use ecabinet_server::signer::Signer;
use ecabinet_server::{AppError, AppState, Config};

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

/// A meeting of `committee_id` titled `title`, published and in session, with
/// one agenda item: (meeting id, item id).
#[allow(dead_code)] // not every bench holds a session
pub fn session_meeting(
    tx: &mut Tx<'_>,
    signer: &Signer,
    committee_id: &str,
    title: &str,
    now: i64,
) -> Result<(String, String), AppError> {
    let m = meetings::insert_meeting(
        tx,
        committee_id,
        &CreateMeetingRequest {
            title: title.into(),
            location: String::new(),
            starts_at: now,
        },
        now,
    )?;
    let item = meetings::insert_item(
        tx,
        &m,
        &CreateAgendaItemRequest {
            title: "Nghị quyết".into(),
            ..Default::default()
        },
        now,
    )?;
    let mut m = documents::publish_meeting(tx, signer, m, now)?.meeting;
    m.status = MeetingStatus::InSession;
    ecabinet_server::agenda::save_meeting(tx, &m, now)?;
    Ok((m.id, item.id))
}
