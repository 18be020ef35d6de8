//! A mock-runtime app with a real `AppState` over a temporary data directory,
//! and a way to call its commands as the UI does.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ecabinet_app_lib::state::{AppConfig, AppState, EventSink, UiEvent};
use ecabinet_store::{Entity, FeedChange, FeedOp, KdfParams, PinPolicy, StoreConfig};
use serde_json::Value;
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

pub const SERVER_HINT: &str = "http://127.0.0.1:9";

/// Records what the shell emits.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<UiEvent>>);

impl EventSink for Recorder {
    fn emit(&self, event: UiEvent) {
        self.0.lock().expect("recorder lock").push(event);
    }
}

/// Real Argon2id at its floor cost, and a short wrong-PIN delay so the tests
/// can wait it out.
pub fn store_config() -> StoreConfig {
    StoreConfig {
        kdf: KdfParams::FLOOR,
        pin: PinPolicy {
            min_len: 4,
            max_failed_attempts: 3,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(5),
            ..ecabinet_store::testing::test_config().pin
        },
        ..ecabinet_store::testing::test_config()
    }
}

/// A feed change that stores `body` under its own `id`.
pub fn upsert(entity: Entity, body: Value) -> FeedChange {
    FeedChange {
        entity,
        id: body["id"].as_str().expect("id").to_owned(),
        op: FeedOp::Upsert(body),
    }
}

/// Records the `document_version` upsert `change` as verified on this
/// device, as a sync round does once its signed manifest and its blob passed:
/// the manifest is signed with a test server key, which the store pins.
pub fn verified(store: &ecabinet_store::Store, change: &FeedChange) {
    verified_with_policy(store, change, None)
}

/// [`verified`], with the document policy the manifest signs.
pub fn verified_with_policy(
    store: &ecabinet_store::Store,
    change: &FeedChange,
    policy: Option<ecabinet_protocol::DocumentPolicy>,
) {
    use base64::Engine as _;
    let FeedOp::Upsert(v) = &change.op else {
        panic!("not an upsert: {change:?}");
    };
    let key = ring::signature::Ed25519KeyPair::from_seed_unchecked(&[9; 32]).expect("test key");
    store
        .set_manifest_key(ring::signature::KeyPair::public_key(&key).as_ref())
        .expect("pin the test key");
    let text = |f: &str| v[f].as_str().expect("text field").to_owned();
    let manifest = ecabinet_protocol::Manifest {
        doc_id: text("document_id"),
        version: v["version"].as_u64().expect("version") as u32,
        sha256: text("sha256"),
        size: v["size"].as_u64().expect("size"),
        meeting_id: text("meeting_id"),
        published_at: 1_790_000_000_000,
        policy,
        signed_at: policy.map(|_| 1_790_000_000_000),
    };
    let signature = base64::engine::general_purpose::STANDARD
        .encode(key.sign(&manifest.canonical_bytes()).as_ref());
    store
        .record_verified_version(&ecabinet_store::VerifiedVersion {
            id: text("id"),
            document_id: manifest.doc_id,
            meeting_id: manifest.meeting_id,
            version: manifest.version,
            sha256: manifest.sha256,
            size: manifest.size,
            published_at: manifest.published_at,
            signature,
            superseded: false,
            policy: policy.map(|p| serde_json::to_string(&p).expect("json")),
            signed_at: manifest.signed_at,
        })
        .expect("record verified");
}

/// The demo programme PDF and its SHA-256 (hex), to store as a version's blob.
pub fn demo_pdf() -> (Vec<u8>, String) {
    let pdf = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../assets/demo/chuong-trinh-phien-hop-thang-11.pdf"),
    )
    .expect("demo pdf");
    let sha = ecabinet_store::testing::sha256_hex(&pdf);
    (pdf, sha)
}

pub struct App {
    _app: tauri::App<MockRuntime>,
    pub webview: WebviewWindow<MockRuntime>,
    pub state: AppState,
    pub events: Arc<Recorder>,
}

/// An app over `data_dir`; with `pdf` it starts a real PDF engine.
pub fn app(data_dir: &Path, pdf: bool) -> App {
    let events = Arc::new(Recorder::default());
    let engine = if pdf {
        ecabinet_pdf::PdfEngine::start(Default::default())
    } else {
        Err(ecabinet_pdf::PdfError::EngineStopped)
    };
    let state = AppState::new(
        AppConfig {
            data_dir: data_dir.to_path_buf(),
            server_url_hint: Some(SERVER_HINT.into()),
            store: store_config(),
            outbox_retry: Duration::from_secs(3600),
        },
        engine,
        events.clone(),
    );
    let app = mock_builder()
        .manage(state.clone())
        .invoke_handler(ecabinet_app_lib::handlers())
        .build(mock_context(noop_assets()))
        .expect("mock app builds");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock webview");
    App {
        _app: app,
        webview,
        state,
        events,
    }
}

impl App {
    /// Calls a command with JSON arguments: `Ok(answer)` or `Err(IpcError as JSON)`.
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                // The mock webview's own URL is the app's local origin, whatever the build features.
                url: self.webview.url().expect("webview url"),
                body: tauri::ipc::InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("json answer"))
    }

    /// The error code of a call that must fail.
    pub fn error(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => panic!("{cmd} succeeded with {v}, expected an error"),
            Err(e) => e,
        }
    }
}

impl Drop for App {
    /// Ends the session before the test process exits. SQLCipher links the
    /// system libcrypto, whose exit-time cleanup crashes a thread still inside
    /// a store call; locking stops the background loop, and the pause lets a
    /// store call already running on the blocking pool return.
    fn drop(&mut self) {
        let _ = self.call("lock", serde_json::json!({}));
        std::thread::sleep(Duration::from_millis(300));
    }
}
