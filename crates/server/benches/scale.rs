//! Scale-out benchmark (issue 22): two server processes, one database.
//!
//! Prints figures and report rows; fails only when a ballot is not counted
//! exactly once. Two real `ecabinet-server` processes (A and B) serve one
//! PostgreSQL database and one S3-API bucket on loopback ports (plain HTTP,
//! which the server allows on loopback), with a committee seeded directly in
//! the database: members with enrolled devices and tokens (no login, so the
//! login throttle never applies), a meeting in session and an open motion.
//!
//! 1. `SCALE_SUBSCRIBERS` (5,000) SSE subscribers, one member each,
//!    alternating between A and B. The chair changes the item on the floor
//!    through A; the time from sending that request to each subscriber's
//!    `feed` event is measured over `SCALE_ROUNDS` (5) rounds after a
//!    warm-up, with B's subscribers (reached through PostgreSQL's NOTIFY)
//!    shown apart.
//! 2. `SCALE_VOTERS` (10,000) members casting one signed ballot each within
//!    `SCALE_VOTE_WINDOW_S` (10) s, alternating between A and B, while the
//!    subscribers stay connected: accept latency p50/p99; then the ballots
//!    counted in the database and by the results route.
//!
//! Needs `ECABINET_BENCH_DATABASE_URL=postgres://...` (an empty database)
//! and `ECABINET_BENCH_S3_URL` (or `ECABINET_TEST_S3_URL`), an S3-API
//! endpoint such as moto (without one, blobs stay in the shared data
//! folder). The server is `$ECABINET_SERVER_BIN`, else the release binary
//! cargo builds with this bench. Also: `SCALE_CONNECT_CONCURRENCY` (100
//! subscribers connecting at once), `SCALE_EVENT_TIMEOUT_S` (10 s to wait
//! for a round's event). Run: `cargo bench -p ecabinet-server --bench scale`.

#[allow(dead_code)] // only `ms`: the state here is opened on the shared data folder
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_benchkit::{Goal, Row, Spread};
use ecabinet_model::{Ballot, DeviceId, MemberId, MotionId, OpId};
use ecabinet_protocol::{
    CreateMotionRequest, CreateUserRequest, MajorityRule, MotionKind, MotionMode, WireRole,
    DEVICE_ID_HEADER, FEED_EVENT, RESYNC_EVENT,
};
use ecabinet_server::clock::{Clock as _, SystemClock};
use ecabinet_server::db::{Conn, DbError, Tx, Value as DbValue};
use ecabinet_server::routes::{accounts, chair};
use ecabinet_server::{params, AppError, AppState, Config};
use futures_util::StreamExt as _;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{json, Value};
use support::ms;
use tokio::sync::{mpsc, Semaphore};

/// Members written per seeding transaction.
const SEED_CHUNK: usize = 500;
/// Lifetime of the seeded tokens: longer than any run.
const TOKEN_TTL_MS: i64 = 86_400_000;
/// How long one subscriber may take to connect and get its first event.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long all subscribers may take to connect; those still trying then are given up.
const CONNECT_DEADLINE: Duration = Duration::from_secs(300);
/// Sends of one ballot at most (same op id: a retry is never counted twice).
const MAX_TRIES: u32 = 3;
/// Issue 22: an event reaches the last subscriber within 1 s of the commit.
const EVENT_GOAL_MS: f64 = 1000.0;
/// Issue 22: accept latency p99 while 10,000 vote within 10 s.
const ACCEPT_GOAL_MS: f64 = 100.0;

/// The run's sizes, from the environment.
struct Settings {
    subscribers: usize,
    voters: usize,
    window: Duration,
    rounds: usize,
    connect_concurrency: usize,
    event_timeout: Duration,
}

fn env_count(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse::<usize>()
            .with_context(|| format!("{name}={v:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> anyhow::Result<Settings> {
        Ok(Settings {
            subscribers: env_count("SCALE_SUBSCRIBERS", 5_000)?,
            voters: env_count("SCALE_VOTERS", 10_000)?,
            window: Duration::from_secs(env_count("SCALE_VOTE_WINDOW_S", 10)? as u64),
            rounds: env_count("SCALE_ROUNDS", 5)?.max(1),
            connect_concurrency: env_count("SCALE_CONNECT_CONCURRENCY", 100)?.max(1),
            event_timeout: Duration::from_secs(
                env_count("SCALE_EVENT_TIMEOUT_S", 10)?.max(1) as u64
            ),
        })
    }
}

/// The open-files limit of this process, which the servers inherit.
struct FileLimit {
    before: Option<u64>,
    now: Option<u64>,
    hard: Option<u64>,
    error: Option<String>,
}

/// Raises the soft open-files limit to the hard one: each subscriber is a
/// socket here and one in a server, and the servers start with this limit.
#[cfg(unix)]
fn raise_open_files_limit() -> FileLimit {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let old = getrlimit(Resource::Nofile);
    let want = old.maximum.unwrap_or(1 << 20);
    let mut error = None;
    if old.current.is_some_and(|c| c < want) {
        let raised = Rlimit {
            current: Some(want),
            maximum: old.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            error = Some(e.to_string());
        }
    }
    let new = getrlimit(Resource::Nofile);
    FileLimit {
        before: old.current,
        now: new.current,
        hard: new.maximum,
        error,
    }
}

#[cfg(not(unix))]
fn raise_open_files_limit() -> FileLimit {
    FileLimit {
        before: None,
        now: None,
        hard: None,
        error: Some("no rlimit on this system".into()),
    }
}

fn limit_text(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_owned(), |n| n.to_string())
}

/// An error with its causes (a socket error names the limit it hit).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    ms(percentile(sorted, p))
}

/// Repeated figures as "median [min – max]".
fn range_text(v: &[f64]) -> String {
    Spread::of(v).map_or_else(
        || "n/a".to_owned(),
        |s| format!("{:.0} ms median [{:.0} – {:.0}]", s.median, s.min, s.max),
    )
}

/// A member with an enrolled device and a token, as the seed writes them.
struct Member {
    username: String,
    user_id: String,
    device_id: String,
    token: String,
    key: Ed25519KeyPair,
}

impl Member {
    fn new(rng: &SystemRandom, username: String) -> anyhow::Result<Member> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(rng).map_err(|_| anyhow!("keygen"))?;
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow!("key"))?;
        Ok(Member {
            token: format!("scale-{username}-{}", uuid::Uuid::new_v4()),
            username,
            user_id: String::new(),
            device_id: uuid::Uuid::now_v7().to_string(),
            key,
        })
    }
}

/// What the database gets of a member.
struct MemberRow {
    username: String,
    device_id: String,
    token_hash: String,
    public_key: String,
}

impl MemberRow {
    fn of(m: &Member) -> MemberRow {
        MemberRow {
            username: m.username.clone(),
            device_id: m.device_id.clone(),
            token_hash: ecabinet_server::auth::sha256_hex(m.token.as_bytes()),
            public_key: BASE64.encode(m.key.public_key().as_ref()),
        }
    }
}

/// A user in the committee with `role`, an enrolled device and a token
/// (written directly: 10,000 logins would time Argon2); the user's id.
fn insert_member(
    tx: &mut Tx<'_>,
    committee_id: &str,
    r: &MemberRow,
    role: WireRole,
    now: i64,
) -> Result<String, AppError> {
    let req = CreateUserRequest {
        username: r.username.clone(),
        display_name: r.username.clone(),
        password: String::new(),
        is_admin: false,
    };
    let u = accounts::insert_user(tx.conn, &req, "unused", now)?;
    accounts::upsert_membership(tx, committee_id, &u.id, role, now)?;
    tx.conn.execute(
        "INSERT INTO devices (id, user_id, name, public_key, revoked_at, created_at) VALUES (?, ?, ?, ?, NULL, ?)",
        params![&r.device_id, &u.id, "scale bench", &r.public_key, now],
    )?;
    tx.conn.execute(
        "INSERT INTO tokens (hash, user_id, device_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
        params![&r.token_hash, &u.id, &r.device_id, now + TOKEN_TTL_MS, now],
    )?;
    Ok(u.id)
}

/// The first column of the first row, as an integer.
fn first_int(conn: &mut dyn Conn, sql: &str, params: &[DbValue]) -> Result<i64, AppError> {
    let rows = conn.query(sql, params)?;
    let row = rows.first().ok_or_else(|| AppError::internal("no row"))?;
    row.int(0).map_err(AppError::from)
}

struct Seeded {
    meeting_id: String,
    item_id: String,
    motion_id: String,
    /// The feed head once the motion opened: every ballot has seen it.
    seen_seq: i64,
}

/// The committee (the chair and every member), a meeting in session with
/// one agenda item, and an open named motion on it.
async fn seed(
    state: &AppState,
    chair_member: &mut Member,
    members: &mut [Member],
) -> anyhow::Result<Seeded> {
    let now = state.now();
    let st = state.clone();
    let chair_row = MemberRow::of(chair_member);
    let (committee_id, meeting_id, item_id, chair_id) = state
        .db
        .write(move |tx| {
            let c = accounts::insert_committee(tx, "UBND tỉnh Quy mô", now)?;
            let chair_id = insert_member(tx, &c.id, &chair_row, WireRole::Chair, now)?;
            let (meeting_id, item_id) =
                support::session_meeting(tx, &st.signer, &c.id, "Phiên họp toàn thể", now)?;
            Ok::<_, AppError>((c.id, meeting_id, item_id, chair_id))
        })
        .await
        .map_err(|e| anyhow!("{}", e.message))?;
    chair_member.user_id = chair_id;
    for chunk in members.chunks_mut(SEED_CHUNK) {
        let rows: Vec<MemberRow> = chunk.iter().map(MemberRow::of).collect();
        let cid = committee_id.clone();
        let ids = state
            .db
            .write(move |tx| {
                rows.iter()
                    .map(|r| insert_member(tx, &cid, r, WireRole::Member, now))
                    .collect::<Result<Vec<String>, AppError>>()
            })
            .await
            .map_err(|e| anyhow!("{}", e.message))?;
        for (m, id) in chunk.iter_mut().zip(ids) {
            m.user_id = id;
        }
    }
    // Opened last: its eligible members are the committee as it is now.
    let (mid, iid) = (meeting_id.clone(), item_id.clone());
    let (motion_id, seen_seq) = state
        .db
        .write(move |tx| {
            let m = ecabinet_server::records::meeting(tx.conn, &mid)?
                .ok_or_else(|| AppError::not_found("meeting"))?;
            let req = CreateMotionRequest {
                question: "Thông qua nghị quyết?".into(),
                options: ecabinet_protocol::default_motion_options(),
                kind: MotionKind::Named,
                majority: MajorityRule::Simple,
                quorum: 1,
                mode: MotionMode::Live,
                deadline: None,
                eligible: None,
                may_change_vote: false,
                grace_ms: ecabinet_protocol::default_grace_ms(),
                signed_ballots: false,
            };
            let mo = chair::insert_motion(tx, &m, &iid, &req, now)?;
            let mo = chair::open_motion_tx(tx, &m, mo, now)?;
            let seq = first_int(tx.conn, "SELECT MAX(seq) FROM changes", &[])?;
            Ok::<_, AppError>((mo.id, seq))
        })
        .await
        .map_err(|e| anyhow!("{}", e.message))?;
    Ok(Seeded {
        meeting_id,
        item_id,
        motion_id,
        seen_seq,
    })
}

/// One running `ecabinet-server serve`; killed on drop.
struct Server {
    name: &'static str,
    base: String,
    log: PathBuf,
    child: std::process::Child,
    /// Its stdout, kept open (it prints only the first line).
    _stdout: Option<std::io::BufReader<std::process::ChildStdout>>,
}

impl Server {
    /// Starts the server (blocking until it says where it listens); its log
    /// goes to `log`.
    fn start(
        bin: &Path,
        name: &'static str,
        args: &[String],
        log: PathBuf,
        metrics_token: &str,
    ) -> anyhow::Result<Server> {
        use std::io::BufRead as _;
        let log_file =
            std::fs::File::create(&log).with_context(|| format!("create {}", log.display()))?;
        let child = std::process::Command::new(bin)
            .args(args)
            .env("ECABINET_METRICS_TOKEN", metrics_token)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::from(log_file))
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        let mut server = Server {
            name,
            base: String::new(),
            log,
            child,
            _stdout: None,
        };
        let stdout = server.child.stdout.take().context("the server's stdout")?;
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .with_context(|| format!("read the first line of server {name}"))?;
        server._stdout = Some(reader);
        match line.trim().strip_prefix("listening on ") {
            Some(base) => {
                server.base = base.to_owned();
                Ok(server)
            }
            None => Err(anyhow!(
                "server {name} did not start (first line {line:?}); the end of its log {}:\n{}",
                server.log.display(),
                log_tail(&server.log)
            )),
        }
    }

    /// Why the server is no longer running, if it is not.
    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!(
                "server {} exited ({status}); the end of its log {}:\n{}",
                self.name,
                self.log.display(),
                log_tail(&self.log)
            )),
            Ok(None) => None,
            Err(e) => Some(format!("server {}: {e}", self.name)),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

async fn spawn_server(
    bin: &Path,
    name: &'static str,
    args: &[String],
    log: PathBuf,
    metrics_token: &str,
) -> anyhow::Result<Server> {
    let (bin, args, token) = (bin.to_owned(), args.to_vec(), metrics_token.to_owned());
    tokio::task::spawn_blocking(move || Server::start(&bin, name, &args, log, &token)).await?
}

/// `$ECABINET_SERVER_BIN`, else the binary cargo built with this bench
/// (`target/release/ecabinet-server` under `cargo bench`).
fn server_binary() -> PathBuf {
    std::env::var_os("ECABINET_SERVER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_ecabinet-server")),
        PathBuf::from,
    )
}

/// A fresh bucket on the S3-API endpoint; its `--blob-store` URL.
async fn fresh_bucket(http: &reqwest::Client, endpoint: &str) -> anyhow::Result<String> {
    let endpoint = endpoint.trim_end_matches('/');
    let bucket = format!("scale-{}", uuid::Uuid::new_v4().simple());
    let resp = http
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .with_context(|| format!("create a bucket on {endpoint}"))?;
    if !resp.status().is_success() {
        bail!(
            "create bucket {bucket} on {endpoint}: HTTP {}",
            resp.status()
        );
    }
    Ok(format!(
        "s3://{bucket}?endpoint={endpoint}&region=us-east-1"
    ))
}

/// What a server's `/metrics` says.
struct Scraped {
    subscribers: f64,
    accepted: f64,
}

async fn metrics_text(http: &reqwest::Client, base: &str, token: &str) -> reqwest::Result<String> {
    http.get(format!("{base}/metrics"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await
}

async fn scrape(http: &reqwest::Client, server: &Server, token: &str) -> Scraped {
    match metrics_text(http, &server.base, token).await {
        Ok(text) => {
            let value = |prefix: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(prefix))
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .unwrap_or(f64::NAN)
            };
            Scraped {
                subscribers: value("ecabinet_sse_subscribers "),
                accepted: value("ecabinet_ballots_total{outcome=\"accepted\"} "),
            }
        }
        Err(e) => {
            println!(
                "  cannot read the metrics of server {}: {}",
                server.name,
                error_chain(&e)
            );
            Scraped {
                subscribers: f64::NAN,
                accepted: f64::NAN,
            }
        }
    }
}

// ---- SSE subscribers ----------------------------------------------------------

/// Server-sent events split into named events (keep-alive comments skipped).
#[derive(Default)]
struct SseParser {
    buf: String,
}

struct SseEvent {
    seq: i64,
    resync: bool,
}

impl SseParser {
    fn push(&mut self, chunk: &[u8]) {
        self.buf.push_str(&String::from_utf8_lossy(chunk));
    }

    /// The next complete `feed` (with its seq) or `resync` event.
    fn next_event(&mut self) -> Option<SseEvent> {
        while let Some(end) = self.buf.find("\n\n") {
            let block: String = self.buf.drain(..end + 2).collect();
            let mut name = "";
            let mut seq = 0;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim();
                } else if let Some(v) = line.strip_prefix("data:") {
                    seq = serde_json::from_str::<Value>(v.trim())
                        .ok()
                        .and_then(|d| d["seq"].as_i64())
                        .unwrap_or(0);
                }
            }
            if name == FEED_EVENT {
                return Some(SseEvent { seq, resync: false });
            }
            if name == RESYNC_EVENT {
                return Some(SseEvent { seq, resync: true });
            }
        }
        None
    }
}

/// An event as one subscriber received it.
struct Arrival {
    idx: usize,
    seq: i64,
    at: Instant,
    resync: bool,
}

/// How a subscriber's connection went: once per subscriber.
enum Opened {
    Ready { idx: usize, head: i64 },
    Failed { idx: usize, why: String },
}

#[derive(Clone)]
struct SubscriberCtx {
    client: reqwest::Client,
    /// Bounds the subscribers connecting at once (the listen backlog).
    gate: Arc<Semaphore>,
    opened: mpsc::UnboundedSender<Opened>,
    arrivals: mpsc::UnboundedSender<Arrival>,
    /// Streams that ended after they were connected.
    lost: Arc<AtomicUsize>,
}

struct Subscription {
    idx: usize,
    url: String,
    token: String,
    device_id: String,
}

/// One member's `GET /v1/events`, read until it ends: reports its first
/// event (the head) on `opened`, every later one on `arrivals`.
async fn subscribe(ctx: SubscriberCtx, sub: Subscription) {
    let idx = sub.idx;
    let Ok(permit) = ctx.gate.clone().acquire_owned().await else {
        let _ = ctx.opened.send(Opened::Failed {
            idx,
            why: "the connection gate closed".to_owned(),
        });
        return;
    };
    let opening = async {
        let sent = ctx
            .client
            .get(sub.url.as_str())
            .bearer_auth(&sub.token)
            .header(DEVICE_ID_HEADER, sub.device_id.as_str())
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(error_chain(&e)),
        };
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        let mut stream = resp.bytes_stream();
        let mut parser = SseParser::default();
        loop {
            let next = stream.next().await;
            match next {
                Some(Ok(chunk)) => {
                    parser.push(&chunk);
                    if let Some(first) = parser.next_event() {
                        return Ok((stream, parser, first.seq));
                    }
                }
                Some(Err(e)) => return Err(error_chain(&e)),
                None => return Err("the stream ended before its first event".to_owned()),
            }
        }
    };
    let opened = tokio::time::timeout(CONNECT_TIMEOUT, opening).await;
    drop(permit);
    let (mut stream, mut parser) = match opened {
        Ok(Ok((stream, parser, head))) => {
            let _ = ctx.opened.send(Opened::Ready { idx, head });
            (stream, parser)
        }
        Ok(Err(why)) => {
            let _ = ctx.opened.send(Opened::Failed { idx, why });
            return;
        }
        Err(_) => {
            let _ = ctx.opened.send(Opened::Failed {
                idx,
                why: format!("no first event within {} s", CONNECT_TIMEOUT.as_secs()),
            });
            return;
        }
    };
    let mut at = Instant::now();
    loop {
        while let Some(event) = parser.next_event() {
            let _ = ctx.arrivals.send(Arrival {
                idx,
                seq: event.seq,
                at,
                resync: event.resync,
            });
        }
        match stream.next().await {
            Some(Ok(chunk)) => {
                at = Instant::now();
                parser.push(&chunk);
            }
            _ => break,
        }
    }
    ctx.lost.fetch_add(1, Ordering::Relaxed);
}

/// The subscribers once connected.
struct Subscribers {
    /// Subscribers started (connected or not); their indices are below it.
    started: usize,
    connected: usize,
    /// Whether each subscriber connected in time (only those are timed).
    ready: Vec<bool>,
    /// Still connecting at [`CONNECT_DEADLINE`], and given up.
    gave_up: usize,
    /// Connected on A and on B.
    per_server: [usize; 2],
    /// The newest seq every subscriber has been told of.
    seen: i64,
    /// (index, why) of those that could not connect, by index.
    failures: Vec<(usize, String)>,
    arrivals: mpsc::UnboundedReceiver<Arrival>,
    lost: Arc<AtomicUsize>,
    took: Duration,
}

/// Opens one subscription per member, alternating A and B, at most
/// `connect_concurrency` connecting at once; waits until each has its
/// first event or has failed.
async fn connect_subscribers(
    servers: &[Server; 2],
    members: &[Arc<Member>],
    s: &Settings,
) -> anyhow::Result<Subscribers> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .build()?;
    let (opened_tx, mut opened) = mpsc::unbounded_channel();
    let (arrivals_tx, arrivals) = mpsc::unbounded_channel();
    let lost = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(s.connect_concurrency));
    let ctx = SubscriberCtx {
        client,
        gate: gate.clone(),
        opened: opened_tx,
        arrivals: arrivals_tx,
        lost: lost.clone(),
    };
    let t = Instant::now();
    let started = members.len().min(s.subscribers);
    for (idx, m) in members.iter().take(started).enumerate() {
        let sub = Subscription {
            idx,
            url: format!("{}/v1/events", servers[idx % 2].base),
            token: m.token.clone(),
            device_id: m.device_id.clone(),
        };
        tokio::spawn(subscribe(ctx.clone(), sub));
    }
    drop(ctx);
    let mut out = Subscribers {
        started,
        connected: 0,
        ready: vec![false; started],
        gave_up: 0,
        per_server: [0, 0],
        seen: 0,
        failures: Vec::new(),
        arrivals,
        lost,
        took: Duration::ZERO,
    };
    let mut next_report = 1_000;
    let deadline = t + CONNECT_DEADLINE;
    let mut waiting = started;
    while waiting > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(o)) = tokio::time::timeout(left, opened.recv()).await else {
            break;
        };
        waiting -= 1;
        match o {
            Opened::Ready { idx, head } => {
                out.ready[idx] = true;
                out.connected += 1;
                out.per_server[idx % 2] += 1;
                out.seen = out.seen.max(head);
                if out.connected >= next_report {
                    println!(
                        "  {} subscribers connected ({:.1} s)",
                        out.connected,
                        t.elapsed().as_secs_f64()
                    );
                    next_report += 1_000;
                }
            }
            Opened::Failed { idx, why } => out.failures.push((idx, why)),
        }
    }
    out.took = t.elapsed();
    if waiting > 0 {
        // Those queued stop; any that connects later is not counted.
        gate.close();
        out.gave_up = waiting;
    }
    out.failures.sort();
    Ok(out)
}

/// One round's figures (ms from sending the chair's change).
struct Round {
    /// The last subscriber's arrival; infinite if one never got it.
    last: f64,
    /// First to last arrival among those that got it.
    spread: f64,
    last_a: f64,
    last_b: f64,
    /// The chair's request answered (the commit is inside it).
    answered: f64,
    missing: usize,
    resyncs: usize,
}

/// The chair puts `body` (the item on the floor) through A; collects each
/// connected subscriber's first event past `subs.seen`.
async fn event_round(
    http: &reqwest::Client,
    url: &str,
    chair_member: &Member,
    body: &Value,
    subs: &mut Subscribers,
    timeout: Duration,
) -> anyhow::Result<Round> {
    // Quiet first, and nothing left over from the round before.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while subs.arrivals.try_recv().is_ok() {}
    let t0 = Instant::now();
    let resp = http
        .put(url)
        .bearer_auth(&chair_member.token)
        .header(DEVICE_ID_HEADER, chair_member.device_id.as_str())
        .json(body)
        .send()
        .await
        .context("the chair's change through A")?;
    let answered = t0.elapsed();
    let status = resp.status();
    if !status.is_success() {
        bail!(
            "the chair's change through A: HTTP {status}: {}",
            resp.text().await.unwrap_or_default()
        );
    }
    let mut got: Vec<Option<Duration>> = vec![None; subs.started];
    let (mut count, mut resyncs, mut newest) = (0, 0, subs.seen);
    let deadline = t0 + timeout;
    while count < subs.connected {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(a)) = tokio::time::timeout(left, subs.arrivals.recv()).await else {
            break;
        };
        if !subs.ready[a.idx] || (!a.resync && a.seq <= subs.seen) || got[a.idx].is_some() {
            continue;
        }
        got[a.idx] = Some(a.at.saturating_duration_since(t0));
        count += 1;
        resyncs += usize::from(a.resync);
        newest = newest.max(a.seq);
    }
    subs.seen = newest;
    let mut all = Vec::with_capacity(count);
    let mut side: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for (idx, t) in got.iter().enumerate() {
        let Some(t) = *t else {
            continue;
        };
        all.push(t);
        side[idx % 2].push(t);
    }
    all.sort();
    for v in &mut side {
        v.sort();
    }
    let missing = subs.connected.saturating_sub(count);
    let first = all.first().map_or(f64::NAN, |d| ms(*d));
    let last_got = all.last().map_or(f64::NAN, |d| ms(*d));
    let side_last = |k: usize| {
        if side[k].len() < subs.per_server[k] {
            f64::INFINITY
        } else {
            side[k].last().map_or(f64::NAN, |d| ms(*d))
        }
    };
    let (last_a, last_b) = (side_last(0), side_last(1));
    println!(
        "  {count} of {} got it: first {first:.1} ms, p50 {:.1} ms, p99 {:.1} ms, last {last_got:.1} ms (spread {:.1} ms); last on A {last_a:.1} ms, on B {last_b:.1} ms; A answered the chair in {:.1} ms{}",
        subs.connected,
        pct(&all, 0.5),
        pct(&all, 0.99),
        last_got - first,
        ms(answered),
        if missing + resyncs > 0 {
            format!("; {missing} missing, {resyncs} resync events")
        } else {
            String::new()
        },
    );
    Ok(Round {
        last: if missing == 0 {
            last_got
        } else {
            f64::INFINITY
        },
        spread: last_got - first,
        last_a,
        last_b,
        answered: ms(answered),
        missing,
        resyncs,
    })
}

// ---- voters -------------------------------------------------------------------

fn ballot_op(v: &Member, op_id: &str, motion: &str, choice: u32, cast_at: i64, seen: i64) -> Value {
    let b = Ballot {
        op_id: OpId::new(op_id),
        motion_id: MotionId::new(motion),
        member_id: MemberId::new(v.user_id.as_str()),
        device_id: DeviceId::new(v.device_id.as_str()),
        choice,
        cast_at,
        seen_seq: seen,
    };
    let sig = BASE64.encode(v.key.sign(&b.signing_bytes()).as_ref());
    json!({"op_id": op_id, "kind": "ballot", "body": {
        "motion_id": motion, "member_id": v.user_id, "device_id": v.device_id, "choice": choice,
        "cast_at": cast_at, "seen_seq": seen, "clock_offset_ms": 0, "signature": sig}})
}

/// `accepted`, `superseded` or `rejected:REASON`.
fn outcome_of(r: &Value) -> String {
    match r["status"].as_str() {
        Some("rejected") => format!("rejected:{}", r["reason"].as_str().unwrap_or("?")),
        Some(s) => s.to_owned(),
        None => format!("no status in {r}"),
    }
}

/// Pushes one ballot, sent again (same op id) after a transport error or a
/// 5xx: (sends, the outcome or the failure).
async fn push_ballot(
    http: &reqwest::Client,
    url: &str,
    v: &Member,
    body: bytes::Bytes,
) -> (u32, String) {
    let mut tries = 0;
    loop {
        tries += 1;
        let sent = http
            .post(url)
            .bearer_auth(&v.token)
            .header(DEVICE_ID_HEADER, v.device_id.as_str())
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        let failure = match sent {
            Ok(resp) if resp.status().is_success() => match resp.json::<Value>().await {
                Ok(answer) => return (tries, outcome_of(&answer["results"][0])),
                Err(e) => format!("unreadable answer: {}", error_chain(&e)),
            },
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                if !status.is_server_error() {
                    return (tries, format!("HTTP {status}: {text}"));
                }
                format!("HTTP {status}: {text}")
            }
            Err(e) => error_chain(&e),
        };
        if tries >= MAX_TRIES {
            return (tries, failure);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct VoteOutcome {
    /// 0 for A, 1 for B.
    server: usize,
    /// Sent to answered (retries included).
    latency: Duration,
    /// Scheduled to answered: also counts a client that started late.
    from_schedule: Duration,
    /// Scheduled to sent: the load generator's own lag.
    late: Duration,
    tries: u32,
    status: String,
}

/// Every voter pushes one ballot, spread evenly over `window`, alternating
/// A and B. Ballots are signed beforehand, as each voter's own device would.
async fn cast_votes(
    http: &reqwest::Client,
    servers: &[Server; 2],
    voters: &[Arc<Member>],
    motion_id: &str,
    seen: i64,
    window: Duration,
) -> anyhow::Result<(Vec<VoteOutcome>, Duration)> {
    let cast_at = SystemClock.now_ms();
    let bodies = voters
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let op_id = uuid::Uuid::now_v7().to_string();
            let op = ballot_op(v, &op_id, motion_id, (i % 3) as u32, cast_at, seen);
            serde_json::to_vec(&json!({ "ops": [op] })).map(bytes::Bytes::from)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let n = voters.len();
    let t0 = Instant::now() + Duration::from_millis(500);
    let mut tasks = Vec::with_capacity(n);
    for (i, (v, body)) in voters.iter().zip(bodies).enumerate() {
        let server = i % 2;
        let url = format!("{}/v1/ops", servers[server].base);
        let (http, v) = (http.clone(), v.clone());
        let start = t0 + window.mul_f64(i as f64 / n as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            let sent = Instant::now();
            let (tries, status) = push_ballot(&http, &url, &v, body).await;
            let done = Instant::now();
            VoteOutcome {
                server,
                latency: done.duration_since(sent),
                from_schedule: done.saturating_duration_since(start),
                late: sent.saturating_duration_since(start),
                tries,
                status,
            }
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await?);
    }
    Ok((out, t0.elapsed()))
}

/// The motion's ballots as the database holds them.
struct Tally {
    rows: i64,
    counting: i64,
    members: i64,
    ops_accepted: i64,
    /// (choice, counting ballots).
    by_choice: Vec<(i64, i64)>,
}

async fn tally(state: &AppState, motion_id: &str) -> anyhow::Result<Tally> {
    let id = motion_id.to_owned();
    state
        .db
        .read(move |conn| {
            let rows = first_int(
                conn,
                "SELECT COUNT(*) FROM ballots WHERE motion_id = ?",
                params![&id],
            )?;
            let counting = first_int(
                conn,
                "SELECT COUNT(*) FROM ballots WHERE motion_id = ? AND counting = 1",
                params![&id],
            )?;
            let members = first_int(
                conn,
                "SELECT COUNT(DISTINCT member_id) FROM ballots WHERE motion_id = ? AND counting = 1",
                params![&id],
            )?;
            let ops_accepted = first_int(
                conn,
                "SELECT COUNT(*) FROM ops WHERE motion_id = ? AND status = 'accepted'",
                params![&id],
            )?;
            let by_choice = conn
                .query(
                    "SELECT choice, COUNT(*) FROM ballots WHERE motion_id = ? AND counting = 1 GROUP BY choice ORDER BY choice",
                    params![&id],
                )?
                .iter()
                .map(|r| -> Result<(i64, i64), DbError> { Ok((r.int(0)?, r.int(1)?)) })
                .collect::<Result<Vec<_>, DbError>>()?;
            Ok::<_, AppError>(Tally {
                rows,
                counting,
                members,
                ops_accepted,
                by_choice,
            })
        })
        .await
        .map_err(|e| anyhow!("{}", e.message))
}

fn main() -> anyhow::Result<()> {
    // Before any thread starts: the limits and environment the servers inherit.
    let files = raise_open_files_limit();
    // moto takes any credentials; object_store reads them from the environment.
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        if std::env::var_os(k).is_none() {
            std::env::set_var(k, v);
        }
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(files))
}

async fn run(files: FileLimit) -> anyhow::Result<()> {
    let s = Settings::from_env()?;
    let db_url = std::env::var("ECABINET_BENCH_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
        .context("ECABINET_BENCH_DATABASE_URL must name an empty PostgreSQL database (postgres://...): the two server processes share it")?;
    let s3 = std::env::var("ECABINET_BENCH_S3_URL")
        .or_else(|_| std::env::var("ECABINET_TEST_S3_URL"))
        .ok()
        .filter(|u| !u.trim().is_empty());
    let bin = server_binary();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    println!(
        "scale-out: 2 × {} on {cores} cores, shared with this client, PostgreSQL and the object store",
        bin.display()
    );
    println!(
        "sizes: {} SSE subscribers, {} voters within {} s, {} event rounds (SCALE_SUBSCRIBERS, SCALE_VOTERS, SCALE_VOTE_WINDOW_S, SCALE_ROUNDS)",
        s.subscribers,
        s.voters,
        s.window.as_secs(),
        s.rounds
    );
    println!(
        "open files: soft limit {} (was {}), hard {}; the servers inherit it{}",
        limit_text(files.now),
        limit_text(files.before),
        limit_text(files.hard),
        files
            .error
            .as_deref()
            .map(|e| format!("; raising it failed: {e}"))
            .unwrap_or_default()
    );
    let http = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .build()?;
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().join("data");
    let blob_store = match &s3 {
        Some(endpoint) => Some(fresh_bucket(&http, endpoint).await?),
        None => {
            println!("no ECABINET_BENCH_S3_URL: blobs in the shared data folder instead of an S3-API store");
            None
        }
    };
    let backend = if blob_store.is_some() {
        "PostgreSQL + S3"
    } else {
        "PostgreSQL + local blobs"
    };
    // Opened on the data folder the servers share: its signing key is theirs.
    let state = ecabinet_server::open(
        &data_dir,
        Some(db_url.as_str()),
        blob_store.as_deref(),
        Config {
            ocr: ecabinet_server::ocr::OcrConfig::off(),
            ..Config::default()
        },
    )
    .await
    .map_err(|e| anyhow!("open the database: {e}"))?;
    let users = state
        .db
        .read(|conn| first_int(conn, "SELECT COUNT(*) FROM users", &[]))
        .await
        .map_err(|e| anyhow!("{}", e.message))?;
    if users > 0 {
        bail!("the database already holds {users} users: give the bench an empty one");
    }

    // The committee: every member with an enrolled device and a token.
    let t = Instant::now();
    let rng = SystemRandom::new();
    let n_members = s.subscribers.max(s.voters);
    let mut chair_member = Member::new(&rng, "chair".to_owned())?;
    let mut members = (0..n_members)
        .map(|i| Member::new(&rng, format!("member{i}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let seeded = seed(&state, &mut chair_member, &mut members).await?;
    println!(
        "seeded {n_members} members with devices and tokens, a meeting in session and an open motion in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let members: Vec<Arc<Member>> = members.into_iter().map(Arc::new).collect();

    // Two server processes on the same data folder, database and bucket.
    let metrics_token = format!("scale-{}", uuid::Uuid::new_v4().simple());
    let mut args = vec![
        "serve".to_owned(),
        "--data-dir".to_owned(),
        data_dir.display().to_string(),
        "--database-url".to_owned(),
        db_url.clone(),
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
    ];
    if let Some(b) = &blob_store {
        args.extend(["--blob-store".to_owned(), b.clone()]);
    }
    if std::env::var_os("ECABINET_PDF_CHECKER").is_none()
        && !bin.with_file_name("ecabinet-pdfcheck").is_file()
    {
        // The server refuses to start without its upload checker; no PDF
        // is uploaded here, so any existing file stands in for it.
        println!("no ecabinet-pdfcheck beside the server: --pdf-checker names the server itself (nothing is uploaded)");
        args.extend(["--pdf-checker".to_owned(), bin.display().to_string()]);
    }
    let a = spawn_server(
        &bin,
        "A",
        &args,
        dir.path().join("server-A.log"),
        &metrics_token,
    )
    .await?;
    let b = spawn_server(
        &bin,
        "B",
        &args,
        dir.path().join("server-B.log"),
        &metrics_token,
    )
    .await?;
    let mut servers = [a, b];
    for sv in &servers {
        let resp = http.get(format!("{}/v1/ready", sv.base)).send().await?;
        let status = resp.status();
        if !status.is_success() {
            bail!(
                "server {} is not ready: HTTP {status}: {}",
                sv.name,
                resp.text().await.unwrap_or_default()
            );
        }
        println!("server {} ready at {} ({backend})", sv.name, sv.base);
    }

    // 1. SSE subscribers alternating A and B; the chair's change through A.
    println!(
        "connecting {} SSE subscribers (at most {} at once)…",
        s.subscribers.min(members.len()),
        s.connect_concurrency
    );
    let mut subs = connect_subscribers(&servers, &members, &s).await?;
    let held = [
        scrape(&http, &servers[0], &metrics_token).await,
        scrape(&http, &servers[1], &metrics_token).await,
    ];
    println!(
        "{} of {} SSE subscribers connected in {:.1} s: {} on A, {} on B (their /metrics: {} and {} open streams)",
        subs.connected,
        subs.started,
        subs.took.as_secs_f64(),
        subs.per_server[0],
        subs.per_server[1],
        held[0].subscribers,
        held[1].subscribers,
    );
    let mut failure_text = String::new();
    if subs.gave_up > 0 {
        let why = format!(
            "{} still connecting after {} s, given up",
            subs.gave_up,
            CONNECT_DEADLINE.as_secs()
        );
        println!("  {why}");
        failure_text = format!("; {why}");
    }
    if let Some((idx, why)) = subs.failures.first() {
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, why) in &subs.failures {
            *reasons.entry(why.as_str()).or_default() += 1;
        }
        failure_text += &format!(
            "; {} could not connect, the first #{idx} (on {}): {why}",
            subs.failures.len(),
            servers[idx % 2].name
        );
        println!(
            "  {} subscribers could not connect; the first was #{idx} (on {}): {why}",
            subs.failures.len(),
            servers[idx % 2].name
        );
        for (why, n) in &reasons {
            println!("    {n} × {why}");
        }
    }
    Row::new(
        "Scale",
        &format!(
            "SSE subscribers held open across 2 server processes (of {} wanted)",
            s.subscribers
        ),
        subs.connected as f64,
        "subscribers",
        Goal::AtLeast,
        s.subscribers as f64,
    )
    .detail(format!(
        "A holds {}, B holds {} by their /metrics; connected in {:.1} s; open files soft limit {} (hard {}){failure_text}",
        held[0].subscribers,
        held[1].subscribers,
        subs.took.as_secs_f64(),
        limit_text(files.now),
        limit_text(files.hard),
    ))
    .emit();

    let mut rounds = Vec::with_capacity(s.rounds);
    if subs.connected > 0 {
        let url = format!(
            "{}/v1/meetings/{}/current-item",
            servers[0].base, seeded.meeting_id
        );
        let mut on_floor = true;
        for round in 0..=s.rounds {
            let item = if on_floor {
                Value::String(seeded.item_id.clone())
            } else {
                Value::Null
            };
            on_floor = !on_floor;
            if round == 0 {
                println!("warm-up round: the chair changes the item on the floor through A");
            } else {
                println!("round {round}: the chair changes the item on the floor through A");
            }
            let r = event_round(
                &http,
                &url,
                &chair_member,
                &json!({ "agenda_item_id": item }),
                &mut subs,
                s.event_timeout,
            )
            .await?;
            if round > 0 {
                rounds.push(r);
            }
        }
    }
    if !rounds.is_empty() {
        let lasts: Vec<f64> = rounds.iter().map(|r| r.last).collect();
        let spreads: Vec<f64> = rounds.iter().map(|r| r.spread).collect();
        let lasts_a: Vec<f64> = rounds.iter().map(|r| r.last_a).collect();
        let lasts_b: Vec<f64> = rounds.iter().map(|r| r.last_b).collect();
        let answered: Vec<f64> = rounds.iter().map(|r| r.answered).collect();
        let missing: usize = rounds.iter().map(|r| r.missing).sum();
        let resyncs: usize = rounds.iter().map(|r| r.resyncs).sum();
        println!(
            "commit → last subscriber over {} rounds: {} (spread first → last {}); on A {}, on B {}; A answered the chair in {}; {missing} events missed, {resyncs} resyncs",
            rounds.len(),
            range_text(&lasts),
            range_text(&spreads),
            range_text(&lasts_a),
            range_text(&lasts_b),
            range_text(&answered),
        );
        Row::repeated(
            "Scale",
            &format!(
                "{} SSE subscribers on 2 processes: commit → last subscriber",
                subs.connected
            ),
            &lasts,
            "ms",
            Goal::AtMost,
            EVENT_GOAL_MS,
        )
        .detail(format!(
            "spread first → last {}; last on A {}, on B {}; timed from sending the chair's change to A (the commit comes later; A answered in {}); {} rounds, {missing} events missed ({backend})",
            range_text(&spreads),
            range_text(&lasts_a),
            range_text(&lasts_b),
            range_text(&answered),
            rounds.len(),
        ))
        .emit();
        Row::repeated(
            "Scale",
            &format!(
                "{} SSE subscribers of process B: commit through A → last (cross-process, PostgreSQL NOTIFY)",
                subs.per_server[1]
            ),
            &lasts_b,
            "ms",
            Goal::AtMost,
            EVENT_GOAL_MS,
        )
        .detail(format!(
            "A's own {} subscribers: last {}",
            subs.per_server[0],
            range_text(&lasts_a)
        ))
        .emit();
    }

    // 2. Every voter casts one ballot within the window, alternating A and B.
    let voters = &members[..s.voters.min(members.len())];
    let mut wrong = 0;
    if !voters.is_empty() {
        println!(
            "{} voters casting within {} s, alternating A and B (the subscribers stay connected)…",
            voters.len(),
            s.window.as_secs()
        );
        let (outcomes, wall) = cast_votes(
            &http,
            &servers,
            voters,
            &seeded.motion_id,
            seeded.seen_seq,
            s.window,
        )
        .await?;
        let n = outcomes.len();
        let mut times: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
        let mut late: Vec<Duration> = outcomes.iter().map(|o| o.late).collect();
        let mut scheduled: Vec<Duration> = outcomes.iter().map(|o| o.from_schedule).collect();
        for v in [&mut times, &mut late, &mut scheduled] {
            v.sort();
        }
        let mut by_server: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
        for o in &outcomes {
            by_server[o.server].push(o.latency);
        }
        for v in &mut by_server {
            v.sort();
        }
        let retries: u32 = outcomes.iter().map(|o| o.tries.saturating_sub(1)).sum();
        let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
        for o in &outcomes {
            *statuses
                .entry(o.status.chars().take(120).collect())
                .or_default() += 1;
        }
        let accepted = statuses.get("accepted").copied().unwrap_or(0);
        let others = statuses
            .iter()
            .filter(|(k, _)| k.as_str() != "accepted")
            .map(|(k, c)| format!("{c} × {k}"))
            .collect::<Vec<_>>()
            .join("; ");
        println!(
            "{n} voters within {} s over 2 processes: {accepted} accepted, all answered in {:.2} s ({:.0} ballots/s); accept latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            s.window.as_secs(),
            wall.as_secs_f64(),
            n as f64 / wall.as_secs_f64().max(0.001),
            pct(&times, 0.5),
            pct(&times, 0.99),
            pct(&times, 1.0),
        );
        println!(
            "  A: p50 {:.1} ms, p99 {:.1} ms ({} ballots); B: p50 {:.1} ms, p99 {:.1} ms ({} ballots)",
            pct(&by_server[0], 0.5),
            pct(&by_server[0], 0.99),
            by_server[0].len(),
            pct(&by_server[1], 0.5),
            pct(&by_server[1], 0.99),
            by_server[1].len(),
        );
        println!(
            "  client: sent late by p99 {:.1} ms, max {:.1} ms; scheduled → answered p99 {:.1} ms; {retries} sends repeated{}",
            pct(&late, 0.99),
            pct(&late, 1.0),
            pct(&scheduled, 0.99),
            if others.is_empty() {
                String::new()
            } else {
                format!("; not accepted: {others}")
            }
        );
        Row::new(
            "Scale",
            &format!(
                "{n} voters casting within {} s across 2 server processes: accept latency p99",
                s.window.as_secs()
            ),
            pct(&times, 0.99),
            "ms",
            Goal::AtMost,
            ACCEPT_GOAL_MS,
        )
        .detail(format!(
            "p50 {:.1} ms, max {:.1} ms; A p99 {:.1} ms, B p99 {:.1} ms; {accepted} of {n} accepted, all answered in {:.2} s; client late p99 {:.1} ms, {retries} sends repeated; {} SSE subscribers connected ({backend})",
            pct(&times, 0.5),
            pct(&times, 1.0),
            pct(&by_server[0], 0.99),
            pct(&by_server[1], 0.99),
            wall.as_secs_f64(),
            pct(&late, 0.99),
            subs.connected,
        ))
        .emit();

        // Counted exactly once: the database, the results route through B,
        // and each process's own count.
        let t = tally(&state, &seeded.motion_id).await?;
        let result: Value = http
            .get(format!(
                "{}/v1/motions/{}/result",
                servers[1].base, seeded.motion_id
            ))
            .bearer_auth(&chair_member.token)
            .header(DEVICE_ID_HEADER, chair_member.device_id.as_str())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let participating = result["participating"].as_i64().unwrap_or(-1);
        let route: Vec<i64> = result["counts"]
            .as_array()
            .map(|a| a.iter().map(|c| c.as_i64().unwrap_or(-1)).collect())
            .unwrap_or_default();
        let counted = [
            scrape(&http, &servers[0], &metrics_token).await,
            scrape(&http, &servers[1], &metrics_token).await,
        ];
        let mut expected = [0i64; 3];
        for i in 0..n {
            expected[i % 3] += 1;
        }
        let mut in_db = [0i64; 3];
        let mut stray = 0u64;
        for &(c, k) in &t.by_choice {
            match usize::try_from(c) {
                Ok(c) if c < 3 => in_db[c] = k,
                _ => stray += k.unsigned_abs(),
            }
        }
        let v = n as i64;
        wrong = v.abs_diff(t.counting)
            + t.counting.abs_diff(t.members)
            + t.rows.abs_diff(t.counting)
            + v.abs_diff(t.ops_accepted)
            + v.abs_diff(participating)
            + stray;
        for (c, (e, d)) in expected.iter().zip(&in_db).enumerate() {
            wrong += e.abs_diff(*d) + e.abs_diff(route.get(c).copied().unwrap_or(0));
        }
        let detail = format!(
            "database: {} counting ballots from {} members, {} ballot rows, {} ops accepted, by choice {in_db:?}; results route on B: {participating} participating, counts {route:?}; expected {n}, by choice {expected:?}; the servers said accepted {accepted} times (A {}, B {} by /metrics)",
            t.counting, t.members, t.rows, t.ops_accepted, counted[0].accepted, counted[1].accepted,
        );
        println!(
            "{}: {detail}",
            if wrong == 0 {
                "every ballot counted exactly once"
            } else {
                "BALLOTS MISCOUNTED"
            }
        );
        Row::new(
            "Scale",
            &format!("{n} ballots through 2 processes counted exactly once: ballots miscounted"),
            wrong as f64,
            "ballots",
            Goal::AtMost,
            0.0,
        )
        .detail(detail)
        .emit();
    }

    let lost = subs.lost.load(Ordering::Relaxed);
    if lost > 0 {
        println!("{lost} SSE subscribers lost their stream during the run");
    }
    for sv in &mut servers {
        if let Some(why) = sv.exited() {
            println!("{why}");
        }
    }
    if wrong > 0 {
        bail!("{wrong} ballots not counted exactly once");
    }
    Ok(())
}
