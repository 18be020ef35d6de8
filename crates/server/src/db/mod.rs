//! Metadata storage: one small SQL interface ([`Conn`]) with a SQLite and a
//! PostgreSQL implementation, a connection pool that runs every call on a
//! blocking thread, and the numbered migrations of each backend.
//!
//! The business logic is written once against [`Conn`] in a dialect both
//! engines accept (`?` placeholders, rewritten to `$n` for PostgreSQL; only
//! `BIGINT` and `TEXT` columns), so the two backends cannot drift apart in behaviour.

mod pg;
mod sqlite;

use std::any::Any;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, oneshot, Semaphore};

/// A parameter or column value. Only what the schema uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds a parameter list: `params![a, b, c]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::db::Value::from($v)),*] as &[$crate::db::Value] };
}

/// One result row.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.0.get(i) {
            Some(Value::Int(v)) => Ok(*v),
            other => Err(DbError::Type(format!(
                "column {i}: expected integer, got {other:?}"
            ))),
        }
    }
    pub fn text(&self, i: usize) -> Result<String, DbError> {
        match self.0.get(i) {
            Some(Value::Text(v)) => Ok(v.clone()),
            other => Err(DbError::Type(format!(
                "column {i}: expected text, got {other:?}"
            ))),
        }
    }
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.int(i).map(Some),
        }
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    pub fn bool(&self, i: usize) -> Result<bool, DbError> {
        self.int(i).map(|v| v != 0)
    }
}

/// A PostgreSQL error with the server's own message (`postgres::Error`
/// alone says "db error"), for the log.
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{e}: {} ({})", d.message(), d.code().code()),
        None => e.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// With the server's own message (`postgres::Error` alone says "db error").
    #[error("postgres: {}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    /// The database cannot be reached (connection refused, closed, ...).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A UNIQUE constraint was violated.
    #[error("duplicate: {0}")]
    Duplicate(String),
    #[error("unexpected column type: {0}")]
    Type(String),
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
    #[error("unsupported database url {0:?}: use a file path or postgres://")]
    BadUrl(String),
    /// The TLS set-up of a PostgreSQL connection (CA file, missing roots).
    #[error("database TLS: {0}")]
    Tls(String),
}

/// Which engine a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One database session. Implementations map engine errors onto [`DbError`]
/// (unique violations as [`DbError::Duplicate`]).
pub trait Conn: Send {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// Starts a transaction. A write transaction takes the database-wide
    /// write lock first, so feed sequence numbers are handed out in commit order.
    fn begin(&mut self, write: bool) -> Result<(), DbError>;
    fn commit(&mut self) -> Result<(), DbError>;
    fn rollback(&mut self) -> Result<(), DbError>;
    /// Announces, on commit, that a committee's feed advanced (PostgreSQL
    /// NOTIFY; nothing on SQLite, where the process broadcasts itself).
    fn notify_feed(&mut self, committee_id: &str, seq: i64) -> Result<(), DbError>;
    /// Whether the session is still usable after an error.
    fn is_broken(&self) -> bool;
}

type Connector = dyn Fn() -> Result<Box<dyn Conn>, DbError> + Send + Sync;

/// A feed advance, as fanned out to live-event subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedNudge {
    pub committee_id: String,
    pub seq: i64,
}

/// The connection pool. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

struct DbInner {
    backend: Backend,
    connect: Box<Connector>,
    idle: Mutex<Vec<Box<dyn Conn>>>,
    /// Bounds concurrent sessions (PostgreSQL has a connection limit; SQLite
    /// gains nothing from more writers than cores).
    permits: Semaphore,
    nudges: broadcast::Sender<FeedNudge>,
    /// SQLite has one writer at a time: writers queue here in arrival order
    /// instead of polling the file lock (its busy handler sleeps for up to
    /// 100 ms between tries, which is what made write latency spiky).
    /// PostgreSQL queues writers on its advisory lock instead.
    write_gate: tokio::sync::Mutex<()>,
    /// Writes waiting to run together in one transaction ([`Db::write_grouped`]).
    group: Mutex<GroupQueue>,
    /// Background threads (the LISTEN thread) stop once this is dropped.
    _alive: Arc<()>,
}

/// A grouped write: runs inside the shared transaction and says whether it
/// succeeded (else its savepoint is rolled back) plus how to hand over its
/// result once the transaction's fate is known.
type GroupJob = Box<dyn FnOnce(&mut Tx<'_>) -> (bool, Deliver) + Send>;
type Deliver = Box<dyn FnOnce(Result<(), &DbError>) + Send>;

#[derive(Default)]
struct GroupQueue {
    jobs: Vec<GroupJob>,
    /// Whether a task is draining the queue.
    running: bool,
}

/// At most this many grouped writes share one transaction, so one group
/// cannot hold the write lock for long.
const MAX_GROUP: usize = 256;

impl Drop for DbInner {
    fn drop(&mut self) {
        // The blocking PostgreSQL client runs its own runtime to close the
        // session and panics if dropped on an async worker: close elsewhere.
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if !idle.is_empty() {
            let _ = std::thread::Builder::new()
                .name("db-close".into())
                .spawn(move || drop(idle));
        }
    }
}

/// A write transaction in progress: the session plus the feed advances to
/// announce once it commits.
pub struct Tx<'a> {
    pub conn: &'a mut dyn Conn,
    pub nudges: Vec<FeedNudge>,
    /// The audit chain's last `(seq, head)` once read in this transaction,
    /// so that appends after the first need no query (see `crate::audit`).
    pub audit_tip: Option<(i64, ecabinet_model::ChainHead)>,
    /// Values read once and shared by the grouped writes of this
    /// transaction (motions being voted on), keyed by the reader. Cleared
    /// when a grouped write is rolled back.
    pub memo: HashMap<String, Arc<dyn Any + Send + Sync>>,
}

impl Db {
    /// Opens `url` (`postgres://...` or a SQLite file path), runs the
    /// migrations, and for PostgreSQL starts the LISTEN thread.
    pub fn open(url: &str) -> Result<Db, DbError> {
        Db::open_with_ca(url, None)
    }

    /// Like [`Db::open`]; a PostgreSQL URL with `sslmode=require` connects
    /// over TLS trusting the system's roots plus the PEM certificates of
    /// `database_ca_cert`.
    pub fn open_with_ca(url: &str, database_ca_cert: Option<&Path>) -> Result<Db, DbError> {
        let (nudges, _) = broadcast::channel(4096);
        let mut pg_target = None;
        let (backend, connect): (Backend, Box<Connector>) =
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                let target = pg::PgTarget::new(url, database_ca_cert)?;
                pg_target = Some(target.clone());
                (
                    Backend::Postgres,
                    Box::new(move || pg::connect(&target).map(|c| Box::new(c) as Box<dyn Conn>)),
                )
            } else if database_ca_cert.is_some() {
                return Err(DbError::Tls(
                    "a database CA certificate only applies to a postgres:// database URL".into(),
                ));
            } else if url.contains("://") {
                return Err(DbError::BadUrl(url.to_owned()));
            } else {
                let path = url.to_owned();
                (
                    Backend::Sqlite,
                    Box::new(move || sqlite::connect(&path).map(|c| Box::new(c) as Box<dyn Conn>)),
                )
            };
        let mut first = connect()?;
        migrate(backend, first.as_mut())?;
        let alive = Arc::new(());
        if let Some(target) = pg_target {
            pg::spawn_listener(target, nudges.clone(), Arc::downgrade(&alive))?;
        }
        let permits = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        Ok(Db {
            inner: Arc::new(DbInner {
                backend,
                connect,
                idle: Mutex::new(vec![first]),
                permits: Semaphore::new(permits),
                nudges,
                write_gate: tokio::sync::Mutex::new(()),
                group: Mutex::new(GroupQueue::default()),
                _alive: alive,
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Live feed advances of every committee, from this process and (on
    /// PostgreSQL) every other server process on the same database.
    pub fn subscribe(&self) -> broadcast::Receiver<FeedNudge> {
        self.inner.nudges.subscribe()
    }

    /// Runs `f` in a read transaction on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        self.run(move |conn| {
            conn.begin(false)?;
            let out = f(conn);
            // A read transaction has nothing to keep; ending it either way is fine.
            let end = if out.is_ok() {
                conn.commit()
            } else {
                conn.rollback()
            };
            let out = out?;
            end?;
            Ok((out, Vec::new()))
        })
        .await
    }

    /// Runs `f` in a write transaction on a blocking thread; commits when it
    /// returns `Ok`, then announces the feed advances it recorded.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    {
        let _gate = self.write_gate().await;
        self.run(move |conn| {
            conn.begin(true)?;
            let mut tx = Tx {
                conn,
                nudges: Vec::new(),
                audit_tip: None,
                memo: HashMap::new(),
            };
            match f(&mut tx) {
                Ok(v) => {
                    let nudges = std::mem::take(&mut tx.nudges);
                    for n in &nudges {
                        tx.conn.notify_feed(&n.committee_id, n.seq)?;
                    }
                    tx.conn.commit()?;
                    Ok((v, nudges))
                }
                Err(e) => {
                    // The original error matters more than a failed rollback.
                    let _ = tx.conn.rollback();
                    Err(e)
                }
            }
        })
        .await
    }

    /// Like [`Db::write`], but `f` may share its transaction with other
    /// grouped writes that arrive meanwhile: one lock, one commit for many
    /// small writes (pushed ballots). Each runs under its own savepoint, so a
    /// failing `f` undoes only its own changes; every `f` sees the writes of
    /// those before it, exactly as if they had run one after another. The
    /// result is handed over only after the commit (an `Err` if it failed).
    pub async fn write_grouped<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    {
        let (send, receive) = oneshot::channel::<Result<T, E>>();
        let job: GroupJob = Box::new(move |tx: &mut Tx<'_>| {
            let out = f(tx);
            let ok = out.is_ok();
            let deliver: Deliver = Box::new(move |committed: Result<(), &DbError>| {
                let out = match committed {
                    Ok(()) => out,
                    Err(e) => Err(E::from(DbError::Unavailable(format!(
                        "the grouped write was not committed: {e}"
                    )))),
                };
                // The requester may have gone away; its outcome is stored anyway.
                let _ = send.send(out);
            });
            (ok, deliver)
        });
        let start = {
            let mut queue = self
                .inner
                .group
                .lock()
                .map_err(|_| E::from(DbError::Unavailable("write queue poisoned".into())))?;
            queue.jobs.push(job);
            !std::mem::replace(&mut queue.running, true)
        };
        if start {
            let db = self.clone();
            tokio::spawn(async move { db.drain_group().await });
        }
        receive.await.unwrap_or_else(|_| {
            Err(E::from(DbError::Unavailable(
                "the grouped write was abandoned".into(),
            )))
        })
    }

    /// Runs queued grouped writes, a transaction per group, until none is left.
    async fn drain_group(self) {
        loop {
            let jobs: Vec<GroupJob> = {
                let Ok(mut queue) = self.inner.group.lock() else {
                    return;
                };
                if queue.jobs.is_empty() {
                    queue.running = false;
                    return;
                }
                let n = queue.jobs.len().min(MAX_GROUP);
                queue.jobs.drain(..n).collect()
            };
            let _gate = self.write_gate().await;
            // Dropping the jobs of a failed run drops their senders: each
            // waiting request then gets an "abandoned" error.
            let _ = self
                .run(move |conn| -> Result<((), Vec<FeedNudge>), DbError> {
                    let mut delivers = Vec::with_capacity(jobs.len());
                    conn.begin(true)?;
                    let mut tx = Tx {
                        conn,
                        nudges: Vec::new(),
                        audit_tip: None,
                        memo: HashMap::new(),
                    };
                    let mut failed: Option<DbError> = None;
                    for job in jobs {
                        if failed.is_some() {
                            // The transaction is lost: this job is abandoned unrun.
                            continue;
                        }
                        if let Err(e) = tx.conn.batch("SAVEPOINT grouped") {
                            failed = Some(e);
                            continue;
                        }
                        let (nudges, tip) = (tx.nudges.clone(), tx.audit_tip);
                        let (ok, deliver) = job(&mut tx);
                        let ended = if ok {
                            tx.conn.batch("RELEASE SAVEPOINT grouped")
                        } else {
                            tx.nudges = nudges;
                            tx.audit_tip = tip;
                            tx.memo.clear();
                            tx.conn
                                .batch("ROLLBACK TO SAVEPOINT grouped; RELEASE SAVEPOINT grouped")
                        };
                        if let Err(e) = ended {
                            failed = Some(e);
                        }
                        delivers.push(deliver);
                    }
                    let mut committed = match failed {
                        Some(e) => Err(e),
                        None => Ok(()),
                    };
                    if committed.is_ok() {
                        let nudges = tx.nudges.clone();
                        committed = nudges
                            .iter()
                            .try_for_each(|n| tx.conn.notify_feed(&n.committee_id, n.seq))
                            .and_then(|()| tx.conn.commit());
                    }
                    match committed {
                        Ok(()) => {
                            for deliver in delivers {
                                deliver(Ok(()));
                            }
                            Ok(((), std::mem::take(&mut tx.nudges)))
                        }
                        Err(e) => {
                            let _ = tx.conn.rollback();
                            for deliver in delivers {
                                deliver(Err(&e));
                            }
                            Err(e)
                        }
                    }
                })
                .await;
        }
    }

    /// The SQLite writers' queue (nothing to wait for on PostgreSQL).
    async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.inner.backend {
            Backend::Sqlite => Some(self.inner.write_gate.lock().await),
            Backend::Postgres => None,
        }
    }

    async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<(T, Vec<FeedNudge>), E> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| E::from(DbError::Unavailable("pool closed".into())))?;
        let inner = self.inner.clone();
        let joined = tokio::task::spawn_blocking(move || -> Result<T, E> {
            let taken = inner.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
            let mut conn = match taken {
                Some(c) => c,
                None => (inner.connect)()?,
            };
            let out = f(conn.as_mut());
            if !conn.is_broken() {
                if let Ok(mut idle) = inner.idle.lock() {
                    idle.push(conn);
                }
            }
            let (v, nudges) = out?;
            // On PostgreSQL the LISTEN thread delivers the nudges (ours
            // included), so every process sees the same stream.
            if inner.backend == Backend::Sqlite {
                for n in nudges {
                    let _ = inner.nudges.send(n);
                }
            }
            Ok(v)
        })
        .await;
        match joined {
            Ok(r) => r,
            Err(e) => Err(E::from(DbError::Unavailable(format!(
                "database task failed: {e}"
            )))),
        }
    }
}

const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/sqlite/0002_ops_votes.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_receipts_contact.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_annotations.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_read_status.sql"),
    ),
    (
        6,
        include_str!("../../migrations/sqlite/0006_enrol_codes.sql"),
    ),
    (7, include_str!("../../migrations/sqlite/0007_sessions.sql")),
    (8, include_str!("../../migrations/sqlite/0008_lost_ops.sql")),
    (
        9,
        include_str!("../../migrations/sqlite/0009_withdrawals.sql"),
    ),
    (
        10,
        include_str!("../../migrations/sqlite/0010_feed_sent.sql"),
    ),
    (11, include_str!("../../migrations/sqlite/0011_uploads.sql")),
    (
        12,
        include_str!("../../migrations/sqlite/0012_text_layers.sql"),
    ),
    (
        13,
        include_str!("../../migrations/sqlite/0013_text_layer_attempts.sql"),
    ),
    (
        14,
        include_str!("../../migrations/sqlite/0014_key_rotations.sql"),
    ),
    (
        15,
        include_str!("../../migrations/sqlite/0015_document_policy.sql"),
    ),
    (
        16,
        include_str!("../../migrations/sqlite/0016_trusted_roots.sql"),
    ),
    (
        17,
        include_str!("../../migrations/sqlite/0017_signature_check.sql"),
    ),
    (
        18,
        include_str!("../../migrations/sqlite/0018_meeting_watermark.sql"),
    ),
    (
        19,
        include_str!("../../migrations/sqlite/0019_presentations.sql"),
    ),
    (
        20,
        include_str!("../../migrations/sqlite/0020_signed_ballots.sql"),
    ),
    (
        21,
        include_str!("../../migrations/sqlite/0021_speaking_time.sql"),
    ),
    (
        22,
        include_str!("../../migrations/sqlite/0022_member_certificates.sql"),
    ),
    (
        23,
        include_str!("../../migrations/sqlite/0023_draft_comments.sql"),
    ),
    (
        24,
        include_str!("../../migrations/sqlite/0024_item_timers.sql"),
    ),
    (
        25,
        include_str!("../../migrations/sqlite/0025_version_pages.sql"),
    ),
    (
        26,
        include_str!("../../migrations/sqlite/0026_opinion_forms.sql"),
    ),
    (
        27,
        include_str!("../../migrations/sqlite/0027_member_lookups.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/postgres/0002_ops_votes.sql"),
    ),
    (
        3,
        include_str!("../../migrations/postgres/0003_receipts_contact.sql"),
    ),
    (
        4,
        include_str!("../../migrations/postgres/0004_annotations.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_read_status.sql"),
    ),
    (
        6,
        include_str!("../../migrations/postgres/0006_enrol_codes.sql"),
    ),
    (
        7,
        include_str!("../../migrations/postgres/0007_sessions.sql"),
    ),
    (
        8,
        include_str!("../../migrations/postgres/0008_lost_ops.sql"),
    ),
    (
        9,
        include_str!("../../migrations/postgres/0009_withdrawals.sql"),
    ),
    (
        10,
        include_str!("../../migrations/postgres/0010_feed_sent.sql"),
    ),
    (
        11,
        include_str!("../../migrations/postgres/0011_uploads.sql"),
    ),
    (
        12,
        include_str!("../../migrations/postgres/0012_text_layers.sql"),
    ),
    (
        13,
        include_str!("../../migrations/postgres/0013_text_layer_attempts.sql"),
    ),
    (
        14,
        include_str!("../../migrations/postgres/0014_key_rotations.sql"),
    ),
    (
        15,
        include_str!("../../migrations/postgres/0015_document_policy.sql"),
    ),
    (
        16,
        include_str!("../../migrations/postgres/0016_trusted_roots.sql"),
    ),
    (
        17,
        include_str!("../../migrations/postgres/0017_signature_check.sql"),
    ),
    (
        18,
        include_str!("../../migrations/postgres/0018_meeting_watermark.sql"),
    ),
    (
        19,
        include_str!("../../migrations/postgres/0019_presentations.sql"),
    ),
    (
        20,
        include_str!("../../migrations/postgres/0020_signed_ballots.sql"),
    ),
    (
        21,
        include_str!("../../migrations/postgres/0021_speaking_time.sql"),
    ),
    (
        22,
        include_str!("../../migrations/postgres/0022_member_certificates.sql"),
    ),
    (
        23,
        include_str!("../../migrations/postgres/0023_draft_comments.sql"),
    ),
    (
        24,
        include_str!("../../migrations/postgres/0024_item_timers.sql"),
    ),
    (
        25,
        include_str!("../../migrations/postgres/0025_version_pages.sql"),
    ),
    (
        26,
        include_str!("../../migrations/postgres/0026_opinion_forms.sql"),
    ),
    (
        27,
        include_str!("../../migrations/postgres/0027_member_lookups.sql"),
    ),
];

/// Applies the pending numbered migrations of `backend`, each in its own
/// transaction, recording them in `schema_migrations`.
fn migrate(backend: Backend, conn: &mut dyn Conn) -> Result<(), DbError> {
    let list = match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    };
    conn.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    for &(version, sql) in list {
        // The write lock serialises concurrent starts of several server processes.
        conn.begin(true)?;
        let done = conn.query(
            "SELECT version FROM schema_migrations WHERE version = ?",
            params![version],
        )?;
        if done.is_empty() {
            let applied = conn.batch(sql).and_then(|_| {
                conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    params![version, crate::clock::unix_ms_now()],
                )
            });
            if let Err(e) = applied {
                let _ = conn.rollback();
                return Err(DbError::Migration {
                    version,
                    message: e.to_string(),
                });
            }
        }
        conn.commit()?;
    }
    Ok(())
}

/// Builds `?, ?, ?` for an `IN (...)` list of `n` values.
pub fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
