//! [`Conn`] on PostgreSQL (the blocking `postgres` client, run on the pool's
//! blocking threads like SQLite), and the LISTEN thread that fans feed
//! advances out across server processes.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::BytesMut;
use postgres::config::SslMode;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio::sync::broadcast;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Conn, DbError, FeedNudge, Row, Value};

/// The NOTIFY channel carrying `"<seq> <committee_id>"`.
const CHANNEL: &str = "ecabinet_feed";
/// Key of the advisory lock every write transaction takes (see [`Conn::begin`]).
const WRITE_LOCK_KEY: i64 = 0x0ec4_b1e7;

pub struct PgConn {
    client: Client,
    /// Prepared statements by their `?` SQL: preparing costs a round trip,
    /// and the same few statements run for every ballot.
    statements: HashMap<String, Statement>,
}

/// Beyond this many distinct statements (`IN (?, ?, ...)` lists of every
/// length), the cache starts afresh rather than grow without bound.
const MAX_CACHED_STATEMENTS: usize = 512;

/// How to reach the database: the parsed URL and, when the URL says
/// `sslmode=require`, the TLS connector (rustls with the ring provider, the
/// system's root certificates plus an optional deployment CA). The
/// certificate chain and the host name are both verified, as libpq's
/// `verify-full` does. `sslmode=disable`, `prefer` or no `sslmode` connect
/// without TLS.
#[derive(Clone)]
pub struct PgTarget {
    config: postgres::Config,
    tls: Option<MakeRustlsConnect>,
}

impl PgTarget {
    pub fn new(url: &str, ca_cert: Option<&Path>) -> Result<PgTarget, DbError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| DbError::Unavailable(format!("invalid database URL: {e}")))?;
        let tls = match config.get_ssl_mode() {
            SslMode::Disable | SslMode::Prefer => {
                if let Some(ca) = ca_cert {
                    return Err(DbError::Tls(format!(
                        "a database CA certificate ({}) was given but the database URL does not ask for TLS: add sslmode=require to it",
                        ca.display()
                    )));
                }
                None
            }
            _ => Some(MakeRustlsConnect::new(client_config(ca_cert)?)),
        };
        Ok(PgTarget { config, tls })
    }

    fn connect(&self) -> Result<Client, DbError> {
        let connected = match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        };
        connected.map_err(|e| {
            // The driver's text names only the kind ("error performing TLS
            // handshake"); the reason is in its source chain.
            let mut text = e.to_string();
            let mut cause = StdError::source(&e);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            if self.tls.is_some() {
                text.push_str(" (the database URL asks for TLS with sslmode=require)");
            }
            DbError::Unavailable(text)
        })
    }
}

/// The TLS client configuration: system roots plus the certificates of `ca_cert`.
fn client_config(ca_cert: Option<&Path>) -> Result<rustls::ClientConfig, DbError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            DbError::Tls(format!(
                "cannot read the database CA certificate file {}: {e}",
                path.display()
            ))
        })?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                DbError::Tls(format!(
                    "the database CA certificate file {} is not valid PEM: {e}",
                    path.display()
                ))
            })?;
        if certs.is_empty() {
            return Err(DbError::Tls(format!(
                "the database CA certificate file {} holds no PEM certificate",
                path.display()
            )));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                DbError::Tls(format!(
                    "the database CA certificate file {}: {e}",
                    path.display()
                ))
            })?;
        }
    }
    if roots.is_empty() {
        return Err(DbError::Tls(
            "the system has no trusted CA certificates to check the database's certificate: give --database-ca-cert FILE".into(),
        ));
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| DbError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

pub fn connect(target: &PgTarget) -> Result<PgConn, DbError> {
    let client = target.connect()?;
    Ok(PgConn {
        client,
        statements: HashMap::new(),
    })
}

impl PgConn {
    fn prepare(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(&rewrite(sql)).map_err(map_err)?;
        if self.statements.len() >= MAX_CACHED_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::BOOL => (*v != 0).to_sql(ty, out),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// `?` → `$1, $2, ...` (our SQL never has `?` inside literals).
fn rewrite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

fn map_err(e: postgres::Error) -> DbError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        DbError::Duplicate(e.to_string())
    } else if e.is_closed() {
        DbError::Unavailable(e.to_string())
    } else {
        DbError::Postgres(e)
    }
}

fn params_of(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Conn for PgConn {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let stmt = self.prepare(sql)?;
        let rows = self
            .client
            .query(&stmt, &params_of(params))
            .map_err(map_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut vals = Vec::with_capacity(row.len());
            for (i, col) in row.columns().iter().enumerate() {
                let ty = col.type_();
                let v = if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i)
                        .map_err(map_err)?
                        .map(Value::Int)
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)
                        .map_err(map_err)?
                        .map(|v| Value::Int(v.into()))
                } else if *ty == Type::BOOL {
                    row.try_get::<_, Option<bool>>(i)
                        .map_err(map_err)?
                        .map(|v| Value::Int(v.into()))
                } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
                    row.try_get::<_, Option<String>>(i)
                        .map_err(map_err)?
                        .map(Value::Text)
                } else if *ty == Type::VOID {
                    None
                } else {
                    return Err(DbError::Type(format!("column {i}: unsupported type {ty}")));
                };
                vals.push(v.unwrap_or(Value::Null));
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let stmt = self.prepare(sql)?;
        self.client
            .execute(&stmt, &params_of(params))
            .map_err(map_err)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.client.batch_execute(sql).map_err(map_err)
    }

    fn begin(&mut self, write: bool) -> Result<(), DbError> {
        if write {
            // One writer at a time across all server processes: feed seqs are
            // max+1 under this lock, so they become visible in order, never with
            // a gap that a reader could skip over.
            self.batch(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"
            ))
        } else {
            self.batch("BEGIN ISOLATION LEVEL REPEATABLE READ")
        }
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.batch("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        self.batch("ROLLBACK")
    }

    fn notify_feed(&mut self, committee_id: &str, seq: i64) -> Result<(), DbError> {
        self.query(
            "SELECT pg_notify(?, ?)",
            &[CHANNEL.into(), format!("{seq} {committee_id}").into()],
        )
        .map(drop)
    }

    fn is_broken(&self) -> bool {
        self.client.is_closed()
    }
}

/// Starts the thread that LISTENs for feed advances (from every process on
/// this database) and forwards them to `tx`. The first LISTEN happens before
/// this returns, so nothing committed afterwards is missed. The thread ends
/// once `alive` can no longer be upgraded (its [`super::Db`] was dropped).
pub fn spawn_listener(
    target: PgTarget,
    tx: broadcast::Sender<FeedNudge>,
    alive: Weak<()>,
) -> Result<(), DbError> {
    let mut client = listen(&target)?;
    std::thread::Builder::new()
        .name("pg-listen".into())
        .spawn(move || loop {
            if !pump(&mut client, &tx, &alive) {
                return;
            }
            // The connection dropped: reconnect until the database is back.
            loop {
                std::thread::sleep(Duration::from_millis(500));
                if alive.upgrade().is_none() {
                    return;
                }
                if let Ok(c) = listen(&target) {
                    client = c;
                    break;
                }
            }
        })
        .map_err(|e| DbError::Unavailable(format!("cannot start the LISTEN thread: {e}")))?;
    Ok(())
}

fn listen(target: &PgTarget) -> Result<Client, DbError> {
    let mut client = target.connect()?;
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(map_err)?;
    Ok(client)
}

/// Forwards notifications until the connection fails (returns `true`: retry)
/// or the owner is gone (returns `false`: stop).
fn pump(client: &mut Client, tx: &broadcast::Sender<FeedNudge>, alive: &Weak<()>) -> bool {
    loop {
        let next = client
            .notifications()
            .timeout_iter(Duration::from_millis(500))
            .next();
        match next {
            Ok(Some(n)) => {
                if let Some((seq, committee)) = n.payload().split_once(' ') {
                    if let Ok(seq) = seq.parse() {
                        let _ = tx.send(FeedNudge {
                            committee_id: committee.to_owned(),
                            seq,
                        });
                    }
                }
            }
            Ok(None) => {
                if alive.upgrade().is_none() {
                    return false;
                }
                if client.is_closed() {
                    return true;
                }
            }
            Err(_) => return alive.upgrade().is_some(),
        }
    }
}
