//! Private annotations synced across one member's devices, end to end
//! encrypted, against a real server: offline edits on two devices converge,
//! nobody else receives them, the server's database holds ciphertext only,
//! a device enrolled later gets the key and the annotations, and a wrong
//! password unwraps nothing.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use ecabinet_protocol::WrappedAnnotationKey;
use ecabinet_store::{Annotation, OutboxState, Store};
use ecabinet_sync::annotations::unwrap_key;
use ecabinet_sync::{
    delete_annotation, record_annotation, AnnotationCryptoError, AnnotationEdit, Session, Syncer,
};
use ecabinet_tests::{ApiClient, TestServer, TEST_PIN};
use serde_json::json;

/// Planted in a note; must never reach the server in the clear.
const CANARY: &str = "CANARY-ghi-chu-mat-7f3a9c";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A document (id, current version) from a synced cache.
fn some_document(store: &Store) -> Result<(String, u32)> {
    for m in store.meetings(None)? {
        for (doc_id, _) in store.documents(&m.id)? {
            if let Some(v) = store.document_versions(&doc_id)?.last() {
                return Ok((doc_id, v.version));
            }
        }
    }
    bail!("no document in the cache")
}

fn note(doc: &(String, u32), id: Option<&str>, text: &str) -> AnnotationEdit {
    AnnotationEdit {
        id: id.map(str::to_owned),
        doc_id: doc.0.clone(),
        version: doc.1,
        page: 0,
        kind: "note".into(),
        data: json!({"x": 72.0, "y": 700.0, "text": text, "color": [255, 230, 0, 255]}),
    }
}

/// What a device shows: (id, text, deleted) of every annotation, tombstones included.
fn view(store: &Store) -> Result<Vec<(String, String, bool)>> {
    Ok(store
        .all_annotations()?
        .into_iter()
        .map(|a| {
            let text = a.data["text"].as_str().unwrap_or_default().to_owned();
            (a.id, text, a.deleted)
        })
        .collect())
}

fn text_of(store: &Store, id: &str) -> Result<(String, bool)> {
    let a: Annotation = store.annotation(id)?.context("annotation present")?;
    Ok((
        a.data["text"].as_str().unwrap_or_default().to_owned(),
        a.deleted,
    ))
}

fn outbox_state(store: &Store, op_id: &str) -> Result<OutboxState> {
    Ok(store
        .outbox()?
        .into_iter()
        .find(|e| e.op_id == op_id)
        .context("op in the outbox")?
        .state)
}

/// Every byte of every file under `dir`.
fn all_bytes_under(dir: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.extend(std::fs::read(&p)?);
            }
        }
    }
    Ok(out)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_edit_offline_and_converge_with_ciphertext_only_on_the_server() -> Result<()> {
    let mut server = TestServer::start().await?;
    let (dir_a, dir_b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let a = server.enrol("member", dir_a.path()).await?;
    let b = server.enrol("member", dir_b.path()).await?;
    // The second device unwrapped the key the first one made.
    let key_a = a.annotation_key()?.context("A has the key")?;
    let key_b = b.annotation_key()?.context("B has the key")?;
    assert_eq!(key_a.as_slice(), key_b.as_slice());
    let (sa, sb) = (Syncer::new(a.clone())?, Syncer::new(b.clone())?);
    sa.sync_once(&()).await?;
    sb.sync_once(&()).await?;
    let doc = some_document(&a)?;

    // Shared starting point: two annotations both devices have.
    let t0 = now_ms();
    let shared = record_annotation(&a, note(&doc, None, "first version"), t0)?;
    let doomed = record_annotation(&a, note(&doc, None, "to be deleted"), t0)?;
    let revived = record_annotation(&a, note(&doc, None, "deleted, then edited"), t0)?;
    let (shared, doomed, revived) = (
        shared.annotation.id,
        doomed.annotation.id,
        revived.annotation.id,
    );
    sa.sync_once(&()).await?;
    sb.sync_once(&()).await?;
    assert_eq!(view(&a)?, view(&b)?);
    assert_eq!(text_of(&b, &shared)?, ("first version".into(), false));

    // Offline, both devices edit; B's edits are the later ones.
    server.stop().await;
    let a_shared = record_annotation(&a, note(&doc, Some(&shared), "A's edit"), t0 + 1_000)?;
    let a_doomed = record_annotation(&a, note(&doc, Some(&doomed), "A's older edit"), t0 + 1_005)?;
    delete_annotation(&a, &revived, t0 + 1_001)?;
    let a_new = record_annotation(
        &a,
        note(&doc, None, &format!("A's note {CANARY}")),
        t0 + 1_002,
    )?;
    record_annotation(&b, note(&doc, Some(&shared), "B's edit"), t0 + 1_010)?;
    delete_annotation(&b, &doomed, t0 + 1_020)?;
    record_annotation(&b, note(&doc, Some(&revived), "B's later edit"), t0 + 1_030)?;
    let b_new = record_annotation(&b, note(&doc, None, "B's note"), t0 + 1_003)?;
    assert!(sa.sync_once(&()).await.is_err(), "offline");

    // Back online: B first, so A's older edits arrive after B's newer ones.
    server.restart().await?;
    sb.sync_once(&()).await?;
    sa.sync_once(&()).await?;
    sb.sync_once(&()).await?;

    assert_eq!(view(&a)?, view(&b)?, "both devices hold the same set");
    assert_eq!(text_of(&a, &shared)?, ("B's edit".into(), false));
    assert!(text_of(&a, &doomed)?.1, "the delete beats the older edit");
    assert_eq!(
        text_of(&a, &revived)?,
        ("B's later edit".into(), false),
        "an edit later than the delete revives it"
    );
    assert_eq!(
        text_of(&b, &a_new.annotation.id)?,
        (format!("A's note {CANARY}"), false)
    );
    assert_eq!(
        text_of(&a, &b_new.annotation.id)?,
        ("B's note".into(), false)
    );
    assert_eq!(view(&a)?.len(), 5);
    // A's edits that lost are answered as replaced, not lost silently.
    for op in [a_shared.op_id, a_doomed.op_id] {
        let op = op.context("queued")?;
        assert_eq!(outbox_state(&a, &op)?, OutboxState::Superseded);
    }
    assert_eq!(
        outbox_state(&a, &a_new.op_id.context("queued")?)?,
        OutboxState::Accepted
    );
    assert!(a.sealed_annotations()?.is_empty());
    assert!(b.sealed_annotations()?.is_empty());

    // The server's files (SQLite database, WAL, blobs) hold no annotation
    // text; they do hold plaintext the server needs, so the search works.
    let bytes = all_bytes_under(server.data_dir())?;
    let (member, _) = server.account("member")?;
    assert!(contains(&bytes, &member), "control: the username is found");
    assert!(!contains(&bytes, CANARY), "annotation text on the server");
    assert!(!contains(&bytes, "B's later edit"));

    // Another user receives none of them, and has a key of their own.
    let dir_c = tempfile::tempdir()?;
    let chair = server.enrol("chair", dir_c.path()).await?;
    Syncer::new(chair.clone())?.sync_once(&()).await?;
    assert!(chair.all_annotations()?.is_empty());
    assert_ne!(
        chair.annotation_key()?.context("chair key")?.as_slice(),
        key_a.as_slice()
    );
    let chair_api = server.client("chair").await?;
    let feed = chair_api.get("/v1/changes?since=0&limit=5000").await?;
    let entities: Vec<&str> = feed["changes"]
        .as_array()
        .context("changes")?
        .iter()
        .filter_map(|c| c["entity"].as_str())
        .collect();
    assert!(!entities.is_empty());
    assert!(!entities.contains(&"annotation"), "{entities:?}");

    // A device of the member enrolled later gets the key and everything.
    let dir_d = tempfile::tempdir()?;
    let d = server.enrol("member", dir_d.path()).await?;
    assert_eq!(
        d.annotation_key()?.context("D key")?.as_slice(),
        key_a.as_slice()
    );
    Syncer::new(d.clone())?.sync_once(&()).await?;
    assert_eq!(view(&d)?, view(&a)?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_does_not_unwrap_the_annotation_key() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    let store = server.enrol("member", dir.path()).await?;
    let user_id = Session::load(&store)?.context("session")?.user_id;
    let (user, password) = server.account("member")?;
    let api = ApiClient::login(&server.url(), &user, &password).await?;
    let wrapped: WrappedAnnotationKey =
        serde_json::from_value(api.get("/v1/annotation-key").await?)?;
    let right = unwrap_key(&user_id, &password, &wrapped)?;
    assert_eq!(
        right.as_slice(),
        store.annotation_key()?.context("key")?.as_slice()
    );
    let wrong = unwrap_key(&user_id, &format!("{password}x"), &wrapped).map(|_| ());
    assert_eq!(wrong, Err(AnnotationCryptoError::WrongPassword));
    // Nor does the server's copy carry the key in the clear.
    let raw = all_bytes_under(server.data_dir())?;
    let hex: String = right.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!contains(&raw, &hex));
    assert!(!raw.windows(32).any(|w| w == right.as_slice()));
    // A different key for the same user is refused; the first one stays.
    let (_, other) = ecabinet_sync::annotations::new_wrapped_key(
        &user_id,
        &password,
        ecabinet_store::KdfParams::FLOOR,
    )?;
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{}/v1/login", server.url()))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().context("token")?;
    let put = |body: &WrappedAnnotationKey| {
        http.put(format!("{}/v1/annotation-key", server.url()))
            .bearer_auth(token)
            .json(body)
            .send()
    };
    assert_eq!(put(&other).await?.status(), reqwest::StatusCode::CONFLICT);
    // A rewrap of the same key (a password change) is accepted.
    assert_eq!(put(&wrapped).await?.status(), reqwest::StatusCode::OK);
    let still: WrappedAnnotationKey = serde_json::from_value(api.get("/v1/annotation-key").await?)?;
    assert_eq!(still.key_id, wrapped.key_id);
    Ok(())
}

/// The same on PostgreSQL, read back with `pg_dump` (runs when
/// `ECABINET_TEST_DATABASE_URL` names a PostgreSQL server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgresql_database_holds_no_annotation_text() -> Result<()> {
    let Ok(admin) = std::env::var("ECABINET_TEST_DATABASE_URL") else {
        eprintln!("ECABINET_TEST_DATABASE_URL not set: PostgreSQL part not run");
        return Ok(());
    };
    let name = format!("annot_{}", now_ms());
    psql(&admin, &format!("CREATE DATABASE {name}")).await?;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let dir = tempfile::tempdir()?;
    let state = ecabinet_server::open(
        dir.path(),
        Some(&url),
        None,
        ecabinet_server::Config::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("open: {e}"))?;
    let seed = ecabinet_server::seed::seed_demo(&state)
        .await
        .map_err(|e| anyhow::anyhow!("seed: {e:?}"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let server_url = format!("http://{}", listener.local_addr()?);
    let serving = tokio::spawn(async move {
        let _ = axum::serve(listener, ecabinet_server::app(state)).await;
    });
    let member = seed
        .accounts
        .iter()
        .find(|a| a.role == "member")
        .context("member")?;
    let fingerprint = ecabinet_tests::fingerprint_of(&seed.server_signing_key);
    let enrol = |dir: std::path::PathBuf| {
        let (server_url, user, pass, fingerprint) = (
            server_url.clone(),
            member.username.clone(),
            member.password.clone(),
            fingerprint.clone(),
        );
        async move {
            let store = ecabinet_sync::enrol(ecabinet_sync::EnrolRequest {
                data_dir: &dir,
                server_url: &server_url,
                ca_cert: None,
                username: &user,
                password: &pass,
                pin: TEST_PIN,
                device_name: "pg tablet",
                server_check: ecabinet_sync::ServerCheck::Fingerprint(&fingerprint),
                config: &ecabinet_store::testing::test_config(),
            })
            .await?;
            Ok::<_, anyhow::Error>(Arc::new(store))
        }
    };
    let (dir_a, dir_b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let a = enrol(dir_a.path().to_path_buf()).await?;
    let b = enrol(dir_b.path().to_path_buf()).await?;
    let (sa, sb) = (Syncer::new(a.clone())?, Syncer::new(b.clone())?);
    sa.sync_once(&()).await?;
    let doc = some_document(&a)?;
    let made = record_annotation(&a, note(&doc, None, CANARY), now_ms())?;
    sa.sync_once(&()).await?;
    sb.sync_once(&()).await?;
    assert_eq!(text_of(&b, &made.annotation.id)?, (CANARY.into(), false));

    let dump = tokio::process::Command::new("pg_dump")
        .arg(&url)
        .output()
        .await?;
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(contains(&dump.stdout, &member.username), "control");
    assert!(
        contains(&dump.stdout, &made.annotation.id),
        "control: the row is there"
    );
    assert!(
        !contains(&dump.stdout, CANARY),
        "annotation text in PostgreSQL"
    );
    serving.abort();
    Ok(())
}

async fn psql(url: &str, sql: &str) -> Result<()> {
    let out = tokio::process::Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .await?;
    if !out.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}
