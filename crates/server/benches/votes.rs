//! Vote benchmark (prints figures; asserts nothing about speed):
//! - 1,300 eligible members each push one signed ballot, spread evenly over
//!   2 s, against the real server on loopback HTTP: accept latency p50/p99;
//! - one member's 10,000 offline ballots (changes allowed) pushed back to back
//!   in batches of `MAX_OPS_PER_PUSH`: total time to reconcile them all
//!   (median of 3 runs, each on a new motion).
//!
//! SQLite by default; `ECABINET_BENCH_DATABASE_URL=postgres://...` (an empty
//! database) to measure PostgreSQL. Run: `cargo bench -p ecabinet-server --bench votes`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_benchkit::{Goal, Row};
use ecabinet_model::{Ballot, DeviceId, MemberId, MotionId, OpId};
use ecabinet_protocol::{
    CreateMotionRequest, CreateUserRequest, MajorityRule, MotionKind, MotionMode, WireRole,
    DEVICE_ID_HEADER, MAX_OPS_PER_PUSH,
};
use ecabinet_server::clock::{Clock as _, SystemClock};
use ecabinet_server::routes::{accounts, chair};
use ecabinet_server::{app, params, AppError, AppState};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use support::ms;

const VOTERS: usize = 1_300;
const SPREAD: Duration = Duration::from_secs(2);
const OFFLINE: usize = 10_000;
/// Runs of the offline reconcile (each on a motion of its own).
const RECONCILE_REPS: usize = 3;

struct Voter {
    user_id: String,
    device_id: String,
    token: String,
    key: Ed25519KeyPair,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ballot_op(v: &Voter, op_id: &str, motion: &str, choice: u32, cast_at: i64, seen: i64) -> Value {
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

/// Opens a fresh live motion on the item; returns its id and the feed head.
async fn open_motion(
    state: &AppState,
    meeting_id: &str,
    item_id: &str,
    may_change_vote: bool,
) -> anyhow::Result<(String, i64)> {
    let now = state.now();
    let (mid, iid) = (meeting_id.to_owned(), item_id.to_owned());
    state
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
                may_change_vote,
                grace_ms: ecabinet_protocol::default_grace_ms(),
                signed_ballots: false,
            };
            let mo = chair::insert_motion(tx, &m, &iid, &req, now)?;
            let mo = chair::open_motion_tx(tx, &m, mo, now)?;
            let seq = tx
                .conn
                .query("SELECT MAX(seq) FROM changes", &[])?
                .first()
                .ok_or_else(|| AppError::internal("no head"))?
                .int(0)?;
            Ok::<_, AppError>((mo.id, seq))
        })
        .await
        .map_err(|e| anyhow!("{}", e.message))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (state, backend) = support::bench_state(dir.path()).await?;

    // A committee of VOTERS members, each with an enrolled device and a
    // token (written directly: logging in 1,300 times would time Argon2).
    let rng = SystemRandom::new();
    let mut voters = Vec::with_capacity(VOTERS);
    let mut rows = Vec::with_capacity(VOTERS);
    for i in 0..VOTERS {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow!("keygen"))?;
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow!("key"))?;
        let token = format!("bench-token-{i}-{}", uuid::Uuid::new_v4());
        rows.push((
            format!("member{i}"),
            token.clone(),
            BASE64.encode(key.public_key().as_ref()),
        ));
        voters.push(Voter {
            user_id: String::new(),
            device_id: uuid::Uuid::now_v7().to_string(),
            token,
            key,
        });
    }
    let devices: Vec<String> = voters.iter().map(|v| v.device_id.clone()).collect();
    let now = state.now();
    let st = state.clone();
    let (meeting_id, item_id, user_ids) = state
        .db
        .write(move |tx| {
            let c = accounts::insert_committee(tx, "UBND tỉnh Đo đạc", now)?;
            let mut ids = Vec::new();
            for ((username, token, public_key), device) in rows.iter().zip(&devices) {
                let req = CreateUserRequest {
                    username: username.clone(),
                    display_name: username.clone(),
                    password: String::new(),
                    is_admin: false,
                };
                let u = accounts::insert_user(tx.conn, &req, "unused", now)?;
                accounts::upsert_membership(tx, &c.id, &u.id, WireRole::Member, now)?;
                tx.conn.execute(
                    "INSERT INTO devices (id, user_id, name, public_key, revoked_at, created_at) VALUES (?, ?, ?, ?, NULL, ?)",
                    params![device, &u.id, "bench", public_key, now],
                )?;
                tx.conn.execute(
                    "INSERT INTO tokens (hash, user_id, device_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                    params![ecabinet_server::auth::sha256_hex(token.as_bytes()), &u.id, device, now + 86_400_000, now],
                )?;
                ids.push(u.id);
            }
            let (meeting_id, item_id) =
                support::session_meeting(tx, &st.signer, &c.id, "Phiên họp", now)?;
            Ok::<_, AppError>((meeting_id, item_id, ids))
        })
        .await
        .map_err(|e| anyhow!("{}", e.message))?;
    for (v, id) in voters.iter_mut().zip(user_ids) {
        v.user_id = id;
    }
    let voters: Vec<Arc<Voter>> = voters.into_iter().map(Arc::new).collect();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = app(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let http = reqwest::Client::new();
    println!("backend: {backend}");

    // 1. Every member votes once, within 2 s.
    let (motion, seen) = open_motion(&state, &meeting_id, &item_id, false).await?;
    // Each voter's device signs its ballot: done here before the clock
    // starts, so the load generator does not take the server's cores for
    // work that happens on 1,300 other machines in a real meeting.
    let ops: Vec<_> = voters
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let id = uuid::Uuid::now_v7().to_string();
            ballot_op(v, &id, &motion, (i % 3) as u32, SystemClock.now_ms(), seen)
        })
        .collect();
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(VOTERS);
    for (i, (v, op)) in voters.iter().zip(ops).enumerate() {
        let (v, http, base) = (v.clone(), http.clone(), base.clone());
        let start = t0 + SPREAD.mul_f64(i as f64 / VOTERS as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            let t = Instant::now();
            let resp: Value = http
                .post(format!("{base}/v1/ops"))
                .bearer_auth(&v.token)
                .header(DEVICE_ID_HEADER, &v.device_id)
                .json(&json!({ "ops": [op] }))
                .send()
                .await?
                .json()
                .await?;
            let elapsed = t.elapsed();
            let accepted = resp["results"][0]["status"] == "accepted";
            Ok::<_, anyhow::Error>((elapsed, accepted))
        }));
    }
    let mut times = Vec::with_capacity(VOTERS);
    let mut accepted = 0;
    for t in tasks {
        let (elapsed, ok) = t.await??;
        times.push(elapsed);
        accepted += usize::from(ok);
    }
    let wall = t0.elapsed();
    times.sort();
    println!(
        "{VOTERS} members voting within {:.0} s over loopback: {accepted} accepted in {:.2} s; accept latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        SPREAD.as_secs_f64(),
        wall.as_secs_f64(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().context("times")?),
    );
    Row::new(
        "Votes",
        &format!("{VOTERS} eligible voters casting within 2 s: accept latency p99 ({backend})"),
        ms(percentile(&times, 0.99)),
        "ms",
        Goal::AtMost,
        50.0,
    )
    .detail(format!(
        "p50 {:.1} ms; {accepted} of {VOTERS} accepted, all answered in {:.2} s",
        ms(percentile(&times, 0.5)),
        wall.as_secs_f64()
    ))
    .emit();

    // 2. One member's offline queue of 10,000 ballots, three times (each on
    // a motion of its own), for a median and a range.
    let v = voters[0].clone();
    let mut times = Vec::new();
    let mut decided = 0;
    for _ in 0..RECONCILE_REPS {
        let (motion, seen) = open_motion(&state, &meeting_id, &item_id, true).await?;
        let cast0 = SystemClock.now_ms();
        let ops: Vec<Value> = (0..OFFLINE)
            .map(|i| {
                ballot_op(
                    &v,
                    &uuid::Uuid::now_v7().to_string(),
                    &motion,
                    (i % 3) as u32,
                    cast0 + i as i64,
                    seen,
                )
            })
            .collect();
        let t = Instant::now();
        decided = 0;
        for batch in ops.chunks(MAX_OPS_PER_PUSH) {
            let resp: Value = http
                .post(format!("{base}/v1/ops"))
                .bearer_auth(&v.token)
                .header(DEVICE_ID_HEADER, &v.device_id)
                .json(&json!({ "ops": batch }))
                .send()
                .await?
                .json()
                .await?;
            decided += resp["results"].as_array().map_or(0, Vec::len);
        }
        let elapsed = t.elapsed();
        println!(
            "{OFFLINE} offline ballots of one member pushed in batches of {MAX_OPS_PER_PUSH}: {decided} decided in {:.0} ms ({:.1} ms per batch)",
            ms(elapsed),
            ms(elapsed) / (OFFLINE / MAX_OPS_PER_PUSH) as f64,
        );
        times.push(ms(elapsed));
    }
    Row::repeated(
        "Votes",
        &format!("Reconcile one batch of {OFFLINE} offline ballots ({backend})"),
        &times,
        "ms",
        Goal::AtMost,
        1000.0,
    )
    .detail(format!(
        "{} pushes of {MAX_OPS_PER_PUSH} over loopback HTTP, {decided} decided in the last run; a new motion each run",
        OFFLINE / MAX_OPS_PER_PUSH
    ))
    .emit();
    Ok(())
}
