//! Test harness: a server state on a fresh database of either backend, an
//! in-process request helper, and a committee with one caller of each kind.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_model::{Ballot, DeviceId, MemberId, MotionId, OpId};
use ecabinet_protocol::{CreateUserRequest, DEVICE_ID_HEADER};
use ecabinet_server::clock::Clock;
use ecabinet_server::db::Db;
use ecabinet_server::signer::Signer;
use ecabinet_server::{app, AppState, Config};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use tower::ServiceExt;

/// Which metadata backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Runs a test body once per backend: `both!(name, |kind| async move { ... });`
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                ($body)($crate::common::Kind::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                ($body)($crate::common::Kind::Postgres).await;
            }
        }
    };
}

/// A clock the test moves by hand.
pub struct TestClock(pub AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub fn random_name() -> String {
    format!("t_{}", uuid::Uuid::new_v4().simple())
}

/// `ECABINET_TEST_DATABASE_URL`, required: the suite must run on PostgreSQL too.
pub fn pg_admin_url() -> String {
    std::env::var("ECABINET_TEST_DATABASE_URL").expect(
        "ECABINET_TEST_DATABASE_URL must point at a PostgreSQL server (see crates/server/tests/start-postgres.sh)",
    )
}

/// A fresh, empty PostgreSQL database; returns its URL.
pub async fn fresh_pg_database() -> String {
    let admin = pg_admin_url();
    let name = random_name();
    let n = name.clone();
    let a = admin.clone();
    tokio::task::spawn_blocking(move || {
        let mut c =
            postgres::Client::connect(&a, postgres::NoTls).expect("connect to the test PostgreSQL");
        c.batch_execute(&format!("CREATE DATABASE {n}"))
            .expect("create database");
    })
    .await
    .expect("join");
    // Replace the database name (the last path segment) of the admin URL.
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(b, _)| b)
        .to_owned();
    format!("{base}/{name}")
}

/// The metadata URL for a new test database of `kind` inside `dir`.
pub async fn database_url(kind: Kind, dir: &std::path::Path) -> String {
    match kind {
        Kind::Sqlite => dir.join("ecabinet.sqlite3").display().to_string(),
        Kind::Postgres => fresh_pg_database().await,
    }
}

pub struct Env {
    pub state: AppState,
    pub app: Router,
    pub clock: Arc<TestClock>,
    pub dir: tempfile::TempDir,
    /// The metadata database (a SQLite path or a PostgreSQL URL), for CLI runs.
    pub db_url: String,
}

pub const T0: i64 = 1_790_000_000_000;

/// The password [`Env::user`] gives every user.
pub const PASSWORD: &str = "mật-khẩu-đủ-dài";

impl Env {
    /// Every audit record as stored (its JSON wire form), oldest first.
    pub async fn audit_records(&self) -> Vec<String> {
        let rows = self
            .state
            .db
            .read(|conn| conn.query("SELECT record FROM audit_log ORDER BY seq", &[]))
            .await
            .expect("audit rows");
        rows.iter().map(|r| r.text(0).expect("record")).collect()
    }

    pub async fn new(kind: Kind) -> Env {
        Self::with_config(
            kind,
            Config {
                max_upload_bytes: 256 * 1024,
                ..Config::default()
            },
        )
        .await
    }

    /// An environment with `config`, OCR off (its background records would
    /// change what feed tests count); see [`Env::with_ocr`].
    pub async fn with_config(kind: Kind, config: Config) -> Env {
        Self::with_ocr(
            kind,
            Config {
                ocr: ecabinet_server::ocr::OcrConfig::off(),
                ..config
            },
        )
        .await
    }

    /// An environment with `config` as given, OCR included.
    pub async fn with_ocr(kind: Kind, config: Config) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = database_url(kind, dir.path()).await;
        let url = db_url.clone();
        let db = tokio::task::spawn_blocking(move || Db::open(&url))
            .await
            .expect("join")
            .expect("open database");
        let blobs = ecabinet_server::blobs::open(None, dir.path().join("blobs")).expect("blobs");
        // The key file of a real data directory, so a CLI run or a backup
        // of `dir` sees the key this server signs with.
        let signer = Signer::load_or_create(&dir.path().join("signing-key.pk8")).expect("key");
        let clock = Arc::new(TestClock(AtomicI64::new(T0)));
        let state = AppState::new(db, blobs, signer, clock.clone(), config);
        Env {
            app: app(state.clone()),
            state,
            clock,
            dir,
            db_url,
        }
    }

    /// Sends one request through the router in-process.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        who: Option<&Session>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(s) = who {
            req = s.headers(req);
        }
        let sent = body.clone();
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        let (status, _, bytes) = self.raw(req).await;
        // A request the server took must match the description too.
        if status.is_success() {
            if let Some(b) = &sent {
                contract::check_request(method, path, b);
            }
        }
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, json)
    }

    pub async fn raw(
        &self,
        req: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, bytes::Bytes) {
        let (method, path) = (req.method().to_string(), req.uri().to_string());
        let resp = self.app.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        // Every answer of every test is checked against the description.
        contract::check_answer(&method, &path, status, &headers, &bytes);
        (status, headers, bytes)
    }

    /// Creates a user directly (as `user add` does), logs in and enrols a device.
    pub async fn user(&self, username: &str, admin: bool) -> Session {
        let req = CreateUserRequest {
            username: username.to_owned(),
            display_name: format!("Người dùng {username}"),
            password: String::new(),
            is_admin: admin,
        };
        let phc = ecabinet_server::auth::hash_password(PASSWORD).expect("hash");
        let user = self
            .state
            .db
            .write(move |tx| {
                ecabinet_server::routes::accounts::insert_user(tx.conn, &req, &phc, T0)
            })
            .await
            .expect("insert user");
        let mut s = self.login(username, PASSWORD).await;
        s.user_id = user.id;
        self.enrol(&mut s).await;
        s
    }

    pub async fn login(&self, username: &str, password: &str) -> Session {
        let (status, body) = self
            .call(
                "POST",
                "/v1/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        Session {
            token: body["token"].as_str().expect("token").to_owned(),
            device_id: None,
            user_id: body["user_id"].as_str().expect("user id").to_owned(),
            server_key: String::new(),
        }
    }

    pub async fn enrol(&self, s: &mut Session) {
        self.enrol_key(s, &BASE64.encode([7u8; 32]), "Máy tính bảng")
            .await;
    }

    /// Enrols a device named `name` with `public_key` (base64) for `s`.
    pub async fn enrol_key(&self, s: &mut Session, public_key: &str, name: &str) {
        let (status, body) = self
            .call(
                "POST",
                "/v1/devices",
                Some(s),
                Some(json!({"public_key": public_key, "name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "enrol: {body}");
        s.device_id = Some(body["device_id"].as_str().expect("device").to_owned());
        s.server_key = body["server_signing_key"].as_str().expect("key").to_owned();
    }

    /// Logs `username` in on a new device with a fresh Ed25519 key.
    pub async fn voter(&self, username: &str) -> Voter {
        let mut session = self.login(username, PASSWORD).await;
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("keygen");
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
        let public_key = BASE64.encode(key.public_key().as_ref());
        self.enrol_key(&mut session, &public_key, "Máy bỏ phiếu")
            .await;
        Voter { session, key }
    }

    /// The feed head as `who` sees it: what a device would send as `seen_seq`.
    pub async fn head(&self, who: &Session) -> i64 {
        let (s, page) = self
            .call("GET", "/v1/changes?since=0&limit=5000", Some(who), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        page["next_since"].as_i64().expect("next_since")
    }

    /// Changes visible to `who` after `since`, following every page.
    pub async fn all_changes(&self, who: &Session, since: i64) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = since;
        loop {
            let (status, page) = self
                .call(
                    "GET",
                    &format!("/v1/changes?since={cursor}&limit=50"),
                    Some(who),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            out.extend(page["changes"].as_array().expect("changes").iter().cloned());
            cursor = page["next_since"].as_i64().expect("next_since");
            if !page["has_more"].as_bool().expect("has_more") {
                return out;
            }
        }
    }

    /// The body of the newest change of the record `id` that `who` sees.
    pub async fn last_body(&self, who: &Session, id: &str) -> Value {
        newest(&self.all_changes(who, 0).await, |c| c["id"] == id)["body"].clone()
    }
}

/// The newest of `changes` for which `is` holds; panics, listing what there
/// is, when none does.
pub fn newest(changes: &[Value], is: impl Fn(&Value) -> bool) -> &Value {
    changes.iter().rev().find(|c| is(c)).unwrap_or_else(|| {
        let seen: Vec<String> = changes
            .iter()
            .map(|c| format!("{} {}", c["entity"], c["id"]))
            .collect();
        panic!("no such change among {seen:?}")
    })
}

/// A logged-in (and usually enrolled) caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub device_id: Option<String>,
    pub user_id: String,
    pub server_key: String,
}

impl Session {
    pub fn headers(&self, mut req: axum::http::request::Builder) -> axum::http::request::Builder {
        req = req.header("authorization", format!("Bearer {}", self.token));
        if let Some(d) = &self.device_id {
            req = req.header(DEVICE_ID_HEADER, d);
        }
        req
    }
}

/// A session bound to a device with a real Ed25519 key, so it signs ballots.
pub struct Voter {
    pub session: Session,
    pub key: Ed25519KeyPair,
}

impl Voter {
    pub fn device(&self) -> String {
        self.session.device_id.clone().expect("enrolled")
    }

    /// A `ballot` operation for `motion`, signed by this voter's device.
    pub fn ballot(&self, op_id: &str, motion: &str, choice: u32, cast_at: i64, seen: i64) -> Value {
        self.ballot_signed_by(
            &self.key,
            &self.device(),
            op_id,
            motion,
            choice,
            cast_at,
            seen,
        )
    }

    /// A `ballot` operation of this voter that `key` signs for `device`.
    #[allow(clippy::too_many_arguments)]
    pub fn ballot_signed_by(
        &self,
        key: &Ed25519KeyPair,
        device: &str,
        op_id: &str,
        motion: &str,
        choice: u32,
        cast_at: i64,
        seen: i64,
    ) -> Value {
        let b = Ballot {
            op_id: OpId::new(op_id),
            motion_id: MotionId::new(motion),
            member_id: MemberId::new(self.session.user_id.as_str()),
            device_id: DeviceId::new(device),
            choice,
            cast_at,
            seen_seq: seen,
        };
        let sig = BASE64.encode(key.sign(&b.signing_bytes()).as_ref());
        json!({"op_id": op_id, "kind": "ballot", "body": {
            "motion_id": motion, "member_id": self.session.user_id, "device_id": device,
            "choice": choice, "cast_at": cast_at, "seen_seq": seen, "clock_offset_ms": 0,
            "signature": sig}})
    }
}

/// A committee with one caller of each kind, and a second committee.
pub struct World {
    pub env: Env,
    pub committee_id: String,
    pub other_committee_id: String,
    pub admin: Session,
    pub chair: Session,
    pub secretary: Session,
    pub member: Session,
    pub outsider: Session,
    pub revoked: Session,
}

impl World {
    pub async fn new(kind: Kind) -> World {
        Self::on(Env::new(kind).await).await
    }

    pub async fn on(env: Env) -> World {
        let admin = env.user("admin", true).await;
        let (s, c) = env
            .call(
                "POST",
                "/v1/admin/committees",
                Some(&admin),
                Some(json!({"name": "UBND tỉnh Thử nghiệm"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let committee_id = c["id"].as_str().expect("id").to_owned();
        let (_, o) = env
            .call(
                "POST",
                "/v1/admin/committees",
                Some(&admin),
                Some(json!({"name": "UBND huyện Khác"})),
            )
            .await;
        let other_committee_id = o["id"].as_str().expect("id").to_owned();
        let chair = env.user("chair", false).await;
        let secretary = env.user("secretary", false).await;
        let member = env.user("member", false).await;
        let outsider = env.user("outsider", false).await;
        let revoked = env.user("revoked", false).await;
        for (who, committee, role) in [
            (&chair, &committee_id, "chair"),
            (&secretary, &committee_id, "secretary"),
            (&member, &committee_id, "member"),
            (&revoked, &committee_id, "member"),
            (&outsider, &other_committee_id, "secretary"),
        ] {
            let (s, b) = env
                .call(
                    "PUT",
                    &format!("/v1/admin/committees/{committee}/members/{}", who.user_id),
                    Some(&admin),
                    Some(json!({"role": role})),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        let device = revoked.device_id.clone().expect("enrolled");
        let (s, b) = env
            .call(
                "POST",
                &format!("/v1/admin/devices/{device}/revoke"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        World {
            env,
            committee_id,
            other_committee_id,
            admin,
            chair,
            secretary,
            member,
            outsider,
            revoked,
        }
    }

    pub async fn meeting(&self, title: &str) -> String {
        let (s, m) = self
            .env
            .call("POST", &format!("/v1/committees/{}/meetings", self.committee_id), Some(&self.secretary), Some(json!({"title": title, "location": "Phòng họp 1", "starts_at": T0 + 86_400_000})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        m["id"].as_str().expect("id").to_owned()
    }

    pub async fn item(&self, meeting: &str, title: &str, parent: Option<&str>) -> String {
        let (s, i) = self
            .env
            .call(
                "POST",
                &format!("/v1/meetings/{meeting}/agenda"),
                Some(&self.secretary),
                Some(json!({"title": title, "parent_id": parent})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{i}");
        i["id"].as_str().expect("id").to_owned()
    }

    pub async fn document(&self, item: &str, title: &str) -> String {
        let (s, d) = self
            .env
            .call(
                "POST",
                &format!("/v1/agenda/{item}/documents"),
                Some(&self.secretary),
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        d["id"].as_str().expect("id").to_owned()
    }

    pub async fn upload(
        &self,
        who: &Session,
        document: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> (StatusCode, Value) {
        let req = who
            .headers(
                Request::builder()
                    .method("POST")
                    .uri(format!("/v1/documents/{document}/versions")),
            )
            .header("content-type", content_type)
            .body(Body::from(bytes))
            .expect("request");
        let (status, _, body) = self.env.raw(req).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// The chair starts `meeting` (published); the session must begin.
    pub async fn start(&self, meeting: &str) -> Value {
        let (s, b) = self
            .env
            .call(
                "POST",
                &format!("/v1/meetings/{meeting}/start"),
                Some(&self.chair),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    }

    /// A draft motion on `item` by the secretary: a named, simple-majority,
    /// live vote with quorum 1, changed by the fields of `extra`.
    pub async fn motion(&self, item: &str, extra: Value) -> String {
        let mut req = json!({"question": "Thông qua nghị quyết?", "kind": "named", "majority": "simple", "quorum": 1, "mode": "live"});
        for (k, v) in extra.as_object().expect("object") {
            req[k] = v.clone();
        }
        let (s, mo) = self
            .env
            .call(
                "POST",
                &format!("/v1/agenda/{item}/motions"),
                Some(&self.secretary),
                Some(req),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{mo}");
        mo["id"].as_str().expect("id").to_owned()
    }

    /// The chair opens (`"open"`) or closes (`"close"`) a motion; it must succeed.
    pub async fn motion_to(&self, motion: &str, action: &str) {
        let (s, b) = self
            .env
            .call(
                "POST",
                &format!("/v1/motions/{motion}/{action}"),
                Some(&self.chair),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{action} {motion}: {b}");
    }

    /// A published meeting in session with one agenda item: (meeting, item).
    pub async fn in_session(&self) -> (String, String) {
        let m = self.meeting("Phiên họp biểu quyết").await;
        let item = self.item(&m, "Nghị quyết", None).await;
        self.publish(&m).await;
        self.start(&m).await;
        (m, item)
    }

    /// [`World::in_session`] with an open [`World::motion`] on its item:
    /// (meeting, item, motion).
    pub async fn open_motion(&self, extra: Value) -> (String, String, String) {
        let (m, item) = self.in_session().await;
        let motion = self.motion(&item, extra).await;
        self.motion_to(&motion, "open").await;
        (m, item, motion)
    }

    /// Each (username, choice) of `votes` casts a ballot on `motion` from a
    /// new signing device, with op id `{prefix}-{username}`; every one must be
    /// accepted. Returns each voter with its op id.
    pub async fn cast_all(
        &self,
        motion: &str,
        prefix: &str,
        votes: &[(&str, u32)],
    ) -> Vec<(Voter, String)> {
        let mut out = Vec::new();
        for &(name, choice) in votes {
            let v = self.env.voter(name).await;
            let seen = self.env.head(&v.session).await;
            let op = format!("{prefix}-{name}");
            assert_eq!(
                outcomes(
                    &self.env,
                    &v.session,
                    vec![v.ballot(&op, motion, choice, T0, seen)]
                )
                .await,
                ["accepted"]
            );
            out.push((v, op));
        }
        out
    }

    /// A meeting (left a draft) with one agenda item holding one document,
    /// whose first version is a `pages`-page PDF the secretary uploaded:
    /// (meeting, version id).
    pub async fn meeting_with_pdf(
        &self,
        meeting: &str,
        item: &str,
        document: &str,
        pages: usize,
    ) -> (String, String) {
        let m = self.meeting(meeting).await;
        let item = self.item(&m, item, None).await;
        let doc = self.document(&item, document).await;
        let (s, v) = self
            .upload(
                &self.secretary,
                &doc,
                pdf(document, pages),
                "application/pdf",
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (m, v["id"].as_str().expect("version id").to_owned())
    }

    pub async fn publish(&self, meeting: &str) -> Value {
        let (s, p) = self
            .env
            .call(
                "POST",
                &format!("/v1/meetings/{meeting}/publish"),
                Some(&self.secretary),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        p
    }

    /// The administrator sets the trusted signature roots (and revocation
    /// lists) to `pem`; the list as the server answers it.
    pub async fn put_trusted_roots(&self, pem: &str) -> Value {
        let (s, body) = self
            .env
            .call(
                "PUT",
                "/v1/admin/trusted-roots",
                Some(&self.admin),
                Some(serde_json::json!({ "pem": pem })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        body
    }
}

/// `POST /v1/ops` as `who`; the per-operation results.
pub async fn push(env: &Env, who: &Session, ops: Vec<Value>) -> Vec<Value> {
    let (status, body) = env
        .call("POST", "/v1/ops", Some(who), Some(json!({ "ops": ops })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["results"].as_array().expect("results").clone()
}

/// `accepted`, `superseded` or `rejected:REASON`.
pub fn outcome(r: &Value) -> String {
    match r["status"].as_str().expect("status") {
        "rejected" => format!("rejected:{}", r["reason"].as_str().expect("reason")),
        s => s.to_owned(),
    }
}

/// Each operation's [`outcome`] after pushing `ops` as `who`.
pub async fn outcomes(env: &Env, who: &Session, ops: Vec<Value>) -> Vec<String> {
    push(env, who, ops).await.iter().map(outcome).collect()
}

/// A small but complete PDF with `pages` pages (the seed's writer).
pub fn pdf(title: &str, pages: usize) -> Vec<u8> {
    let pages: Vec<_> = (0..pages)
        .map(|i| ecabinet_server::seed::pdf::Page {
            heading: format!("Phần {}", i + 1),
            paragraphs: vec![format!("Nội dung trang {}", i + 1)],
        })
        .collect();
    ecabinet_server::seed::pdf::write_pdf(title, &pages)
}

/// Entities and ids of a list of changes, for compact assertions.
pub fn kinds(changes: &[Value]) -> Vec<(String, String, String)> {
    changes
        .iter()
        .map(|c| {
            (
                c["entity"].as_str().unwrap_or_default().to_owned(),
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["op"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The real `ecabinet-server` binary, started with `args`; killed on drop.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl ServerProcess {
    pub fn start(args: &[&str]) -> ServerProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start ecabinet-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        ServerProcess { child, base }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion: (exit ok, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"))
        .args(args)
        .output()
        .expect("run ecabinet-server");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Reads server-sent events from a streaming response: yields (event, data).
pub struct SseReader {
    stream:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

impl SseReader {
    pub async fn open(base: &str, token: &str, device: Option<&str>) -> SseReader {
        let mut req = reqwest::Client::new()
            .get(format!("{base}/v1/events"))
            .bearer_auth(token);
        if let Some(d) = device {
            req = req.header(DEVICE_ID_HEADER, d);
        }
        let resp = req.send().await.expect("connect to /v1/events");
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
        SseReader {
            stream: Box::pin(resp.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next event that has a name (keep-alive comments are skipped).
    pub async fn next(&mut self) -> (String, Value) {
        use futures_util::StreamExt;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if !event.is_empty() {
                    return (event, serde_json::from_str(&data).unwrap_or(Value::Null));
                }
                continue;
            }
            let chunk = self
                .stream
                .next()
                .await
                .expect("stream open")
                .expect("chunk");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Serves `env`'s router on 127.0.0.1:0 in this process; returns the base URL.
pub async fn serve_in_process(env: &Env) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = env.app.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A real one-page PDF of exactly `size` bytes (at least about 400): the
/// page objects after comment lines of filler, so the upload check opens it.
pub fn padded_pdf(size: usize) -> Vec<u8> {
    let build = |filler: usize| {
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut left = filler;
        let mut i = 0u8;
        while left > 0 {
            // A comment line of `line` bytes (a lone newline for one byte).
            let line = left.min(80);
            if line > 1 {
                out.push(b'%');
                for _ in 2..line {
                    out.push(b'a' + i % 26);
                    i = i.wrapping_add(1);
                }
            }
            out.push(b'\n');
            left -= line;
        }
        let mut offsets = Vec::new();
        for body in [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ] {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", offsets.len()).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
        for o in &offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        out
    };
    let mut filler = size.saturating_sub(build(0).len());
    loop {
        let pdf = build(filler);
        match pdf.len().cmp(&size) {
            std::cmp::Ordering::Equal => return pdf,
            std::cmp::Ordering::Less => filler += size - pdf.len(),
            std::cmp::Ordering::Greater if filler > 0 => filler -= 1,
            std::cmp::Ordering::Greater => return pdf,
        }
    }
}

/// Every file under `dir` (recursively), as paths relative to it.
pub fn leftover_files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
            }
        }
    }
    out
}

/// The served OpenAPI description as a contract: [`Env::raw`] checks every
/// answer the tests get (a success against its route's schema, an error
/// against the error body's), [`Env::call`] every JSON request the server
/// took, with a JSON Schema 2020-12 validator (OpenAPI 3.1's dialect).
pub mod contract {
    use std::collections::HashMap;
    use std::sync::OnceLock;

    use axum::http::{HeaderMap, StatusCode};
    use jsonschema::Validator;
    use serde_json::Value;

    struct Route {
        segments: Vec<String>,
        request: Option<Validator>,
        answer: Option<Validator>,
    }

    struct Contract {
        routes: HashMap<String, Vec<Route>>,
        error: Validator,
    }

    fn validator(spec: &Value, schema: &Value) -> Option<Validator> {
        if schema.is_null() {
            return None;
        }
        let mut root = schema.clone();
        root["components"] = spec["components"].clone();
        Some(jsonschema::draft202012::new(&root).expect("the description's schema compiles"))
    }

    fn contract() -> &'static Contract {
        static CONTRACT: OnceLock<Contract> = OnceLock::new();
        CONTRACT.get_or_init(|| {
            let spec = ecabinet_server::routes::openapi::spec();
            let mut routes: HashMap<String, Vec<Route>> = HashMap::new();
            for (path, ops) in spec["paths"].as_object().expect("paths") {
                for (method, op) in ops.as_object().expect("ops") {
                    routes
                        .entry(method.to_uppercase())
                        .or_default()
                        .push(Route {
                            segments: path.split('/').map(str::to_owned).collect(),
                            request: validator(
                                &spec,
                                &op["requestBody"]["content"]["application/json"]["schema"],
                            ),
                            answer: validator(
                                &spec,
                                &op["responses"]["2XX"]["content"]["application/json"]["schema"],
                            ),
                        });
                }
            }
            let error = validator(
                &spec,
                &serde_json::json!({"$ref": "#/components/schemas/ErrorBody"}),
            )
            .expect("error schema");
            Contract { routes, error }
        })
    }

    /// The route `path` (a concrete path, query and all) is served by: the
    /// template with the most fixed segments among those that fit.
    fn route(method: &str, path: &str) -> Option<&'static Route> {
        let path = path.split('?').next().unwrap_or(path);
        let given: Vec<&str> = path.split('/').collect();
        contract()
            .routes
            .get(method)?
            .iter()
            .filter(|r| {
                r.segments.len() == given.len()
                    && r.segments
                        .iter()
                        .zip(&given)
                        .all(|(t, g)| t == g || (t.starts_with('{') && !g.is_empty()))
            })
            .max_by_key(|r| r.segments.iter().filter(|t| !t.starts_with('{')).count())
    }

    fn errors(v: &Validator, instance: &Value) -> Vec<String> {
        v.iter_errors(instance)
            .map(|e| format!("{e} (at {})", e.instance_path))
            .collect()
    }

    pub fn check_request(method: &str, path: &str, body: &Value) {
        let Some(v) = route(method, path).and_then(|r| r.request.as_ref()) else {
            return;
        };
        let e = errors(v, body);
        assert!(
            e.is_empty(),
            "{method} {path}: the server took a request its description does not allow: {e:?}\n{body}"
        );
    }

    pub fn check_answer(
        method: &str,
        path: &str,
        status: StatusCode,
        headers: &HeaderMap,
        bytes: &[u8],
    ) {
        let json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        let validator = if status.is_success() {
            route(method, path).and_then(|r| r.answer.as_ref())
        } else if status.is_client_error() || status.is_server_error() {
            // Every error is `{code, message}` (404s of unknown paths too).
            assert!(json, "{method} {path}: a {status} answer that is not JSON");
            Some(&contract().error)
        } else {
            None
        };
        let Some(v) = validator else {
            return;
        };
        assert!(json, "{method} {path}: a {status} answer that is not JSON");
        let body: Value = serde_json::from_slice(bytes).expect("the answer is JSON");
        let e = errors(v, &body);
        assert!(
            e.is_empty(),
            "{method} {path}: a {status} answer its description does not allow: {e:?}\n{body}"
        );
    }
}
