//! Helpers shared by the cross-crate tests in `it/`: a real sync server on
//! 127.0.0.1 (seeded with the demo committee) and clients for its API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ecabinet_server::seed::SeedSummary;
use serde_json::Value;
use tokio::sync::oneshot;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// A sync server serving HTTP on a loopback port, with its own data dir.
///
/// It runs on its own thread with its own tokio runtime, so `stop` is like
/// the server process dying: the runtime is dropped, every connection (the
/// live event streams included) is cut, and new ones are refused. `restart`
/// serves the same data on the same port again.
pub struct TestServer {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub seed: SeedSummary,
    config: ecabinet_server::Config,
    running: Option<Running>,
}

struct Running {
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl TestServer {
    /// Starts a server with the demo committee seeded.
    pub async fn start() -> Result<TestServer> {
        // OCR is off unless a test asks for it (`start_with`): its
        // background work would only slow the other tests.
        Self::start_with(ecabinet_server::Config {
            ocr: ecabinet_server::ocr::OcrConfig::off(),
            ..ecabinet_server::Config::default()
        })
        .await
    }

    /// Starts a seeded server with the given tunables (kept across restarts).
    pub async fn start_with(config: ecabinet_server::Config) -> Result<TestServer> {
        let dir = tempfile::tempdir()?;
        let (running, addr, seed) =
            spawn_server(dir.path().to_path_buf(), None, true, config.clone()).await?;
        Ok(TestServer {
            addr,
            dir,
            seed: seed.context("seed summary")?,
            config,
            running: Some(running),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's own data directory (blobs live under `blobs/`).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server: all connections cut, new ones refused.
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            let _ = tokio::task::spawn_blocking(move || r.thread.join()).await;
        }
    }

    /// Serves again on the same port and data.
    pub async fn restart(&mut self) -> Result<()> {
        self.stop().await;
        let (running, _, _) = spawn_server(
            self.dir.path().to_path_buf(),
            Some(self.addr),
            false,
            self.config.clone(),
        )
        .await?;
        self.running = Some(running);
        Ok(())
    }

    /// Username and password of the first seeded account with `role`.
    pub fn account(&self, role: &str) -> Result<(String, String)> {
        self.seed
            .accounts
            .iter()
            .find(|a| a.role == role)
            .map(|a| (a.username.clone(), a.password.clone()))
            .with_context(|| format!("no seeded {role}"))
    }

    /// A logged-in API client for the first seeded account with `role`.
    pub async fn client(&self, role: &str) -> Result<ApiClient> {
        let (user, password) = self.account(role)?;
        ApiClient::login(&self.url(), &user, &password).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            let _ = r.thread.join();
        }
    }
}

type Started = (Running, SocketAddr, Option<SeedSummary>);

async fn spawn_server(
    dir: PathBuf,
    addr: Option<SocketAddr>,
    seed: bool,
    config: ecabinet_server::Config,
) -> Result<Started> {
    let (ready_tx, ready_rx) = oneshot::channel::<Result<(SocketAddr, Option<SeedSummary>)>>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = ready_tx.send(Err(e.into()));
                return;
            }
        };
        rt.block_on(async move {
            let setup = async {
                let state = ecabinet_server::open(&dir, None, None, config)
                    .await
                    .map_err(|e| anyhow::anyhow!("open server: {e}"))?;
                let summary = if seed {
                    Some(
                        ecabinet_server::seed::seed_demo(&state)
                            .await
                            .map_err(|e| anyhow::anyhow!("seed: {e:?}"))?,
                    )
                } else {
                    None
                };
                let bind = addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
                let listener = tokio::net::TcpListener::bind(bind).await?;
                Ok::<_, anyhow::Error>((state, summary, listener))
            };
            match setup.await {
                Ok((state, summary, listener)) => {
                    let local = listener.local_addr().map_err(anyhow::Error::from);
                    let _ = ready_tx.send(local.map(|a| (a, summary)));
                    tokio::select! {
                        _ = axum::serve(listener, ecabinet_server::app(state).into_make_service_with_connect_info::<SocketAddr>()) => {}
                        _ = stop_rx => {}
                    }
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
        });
        // Dropping the runtime cancels every connection task.
        rt.shutdown_background();
    });
    let (addr, summary) = ready_rx.await.context("server thread ended early")??;
    Ok((
        Running {
            stop: stop_tx,
            thread,
        },
        addr,
        summary,
    ))
}

/// The PIN of devices enrolled by [`TestServer::enrol`].
pub const TEST_PIN: &str = "246810";

impl TestServer {
    /// The fingerprint of the server's signing key (`FFFF-FFFF-FFFF-FFFF`),
    /// as an administrator hands it to a member enrolling without a code.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.seed.server_signing_key)
    }

    /// Enrols a device for the first seeded account with `role` into `dir`
    /// (Argon2id at its floor, to keep tests quick), checking the server's
    /// key against [`TestServer::fingerprint`].
    pub async fn enrol(
        &self,
        role: &str,
        dir: &Path,
    ) -> Result<std::sync::Arc<ecabinet_store::Store>> {
        let (user, password) = self.account(role)?;
        let store = ecabinet_sync::enrol(ecabinet_sync::EnrolRequest {
            data_dir: dir,
            server_url: &self.url(),
            ca_cert: None,
            username: &user,
            password: &password,
            pin: TEST_PIN,
            device_name: "test tablet",
            server_check: ecabinet_sync::ServerCheck::Fingerprint(&self.fingerprint()),
            config: &ecabinet_store::testing::test_config(),
        })
        .await?;
        Ok(std::sync::Arc::new(store))
    }
}

/// The fingerprint people compare (`FFFF-FFFF-FFFF-FFFF`) of a server signing
/// key given as standard base64 (as the seed summary and the API carry it).
pub fn fingerprint_of(key_b64: &str) -> String {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD
        .decode(key_b64)
        .unwrap_or_default();
    let fp = ecabinet_protocol::enrol_code::fingerprint(&key);
    ecabinet_protocol::enrol_code::format_fingerprint(&fp)
}

/// A minimal HTTP client of the server's API, acting as one user (the
/// secretary or the admin in tests).
pub struct ApiClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl ApiClient {
    pub async fn login(base: &str, user: &str, password: &str) -> Result<ApiClient> {
        let http = reqwest::Client::new();
        let resp = http
            .post(format!("{base}/v1/login"))
            .json(&serde_json::json!({"username": user, "password": password}))
            .send()
            .await?;
        let body = check(resp).await?;
        Ok(ApiClient {
            base: base.to_owned(),
            token: body["token"].as_str().context("token")?.to_owned(),
            http,
        })
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        check(resp).await
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        check(resp).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Result<Value> {
        let resp = self
            .http
            .patch(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        check(resp).await
    }

    pub async fn delete(&self, path: &str) -> Result<()> {
        let resp = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        check(resp).await.map(drop)
    }

    pub async fn upload_pdf(&self, document_id: &str, pdf: Vec<u8>) -> Result<Value> {
        let resp = self
            .http
            .post(format!("{}/v1/documents/{document_id}/versions", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/pdf")
            .body(pdf)
            .send()
            .await?;
        check(resp).await
    }
}

async fn check(resp: reqwest::Response) -> Result<Value> {
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("HTTP {status}: {text}");
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    Ok(serde_json::from_str(&text)?)
}

/// A pack of documents as a secretary prepares it: a new agenda item
/// `item_title` on the seed's first published meeting, one document per
/// `(title, pdf)` uploaded to it, then the meeting published again. The
/// PDFs are made one at a time as the iterator yields them.
pub async fn publish_pack(
    server: &TestServer,
    item_title: &str,
    documents: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> Result<Pack> {
    let secretary = server.client("secretary").await?;
    let meeting = server
        .seed
        .meetings
        .iter()
        .find(|m| m.status.as_str() != "draft")
        .context("a published meeting")?
        .id
        .clone();
    let item = secretary
        .post(
            &format!("/v1/meetings/{meeting}/agenda"),
            serde_json::json!({ "title": item_title }),
        )
        .await?["id"]
        .as_str()
        .context("item")?
        .to_owned();
    let mut shas = Vec::new();
    for (title, pdf) in documents {
        let doc = secretary
            .post(
                &format!("/v1/agenda/{item}/documents"),
                serde_json::json!({ "title": title }),
            )
            .await?;
        let version = secretary
            .upload_pdf(doc["id"].as_str().context("doc id")?, pdf)
            .await?;
        shas.push(version["sha256"].as_str().context("sha")?.to_owned());
    }
    secretary
        .post(&format!("/v1/meetings/{meeting}/publish"), Value::Null)
        .await?;
    Ok(Pack {
        meeting,
        item,
        shas,
    })
}

/// What [`publish_pack`] made.
pub struct Pack {
    pub meeting: String,
    /// The new agenda item's id.
    pub item: String,
    /// Each upload's SHA-256 as the server names it, in order.
    pub shas: Vec<String>,
}

/// A valid PDF of about `size` bytes: one page, plus an unreferenced stream
/// object filled with incompressible bytes derived from `seed`.
pub fn pdf_of_size(size: usize, seed: u64) -> Vec<u8> {
    let mut filler = Vec::with_capacity(size);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while filler.len() < size {
        // xorshift64*: fast and reproducible.
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        filler.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    filler.truncate(size);
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let mut obj = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    obj(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    obj(&mut out, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    obj(
        &mut out,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    );
    let mut stream = format!("<< /Length {} >>\nstream\n", filler.len()).into_bytes();
    stream.extend_from_slice(&filler);
    stream.extend_from_slice(b"\nendstream");
    obj(&mut out, &stream);
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for o in &offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A device's sync client that retries at once (tests wait for no back-off).
pub fn syncer(store: &std::sync::Arc<ecabinet_store::Store>) -> Result<ecabinet_sync::Syncer> {
    Ok(
        ecabinet_sync::Syncer::new(store.clone())?.with_options(ecabinet_sync::SyncOptions {
            backoff_base: std::time::Duration::from_millis(1),
            ..ecabinet_sync::SyncOptions::default()
        }),
    )
}

/// The API client of an enrolled device (the secretary's and the
/// administrator's actions).
pub fn api_of(store: &ecabinet_store::Store) -> Result<ecabinet_sync::Api> {
    let session = ecabinet_sync::Session::load(store)?.context("enrolled session")?;
    Ok(ecabinet_sync::Api::new(&session)?)
}
