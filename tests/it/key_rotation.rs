//! Replacing the server's signing key (issue 18): a device that was offline
//! through two rotations follows them at its next sync, keeps reading what
//! it cached meanwhile, and trusts only the new key from then on; a key
//! named by a rotation that the pinned key did not sign is refused and
//! nothing of that server's answer is taken.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{CreateAgendaItemRequest, CreateMeetingRequest, KeyRotation};
use ecabinet_sync::{current_version_to_open, secretary, version_to_open, Api, SyncError};
use ecabinet_tests::{api_of, pdf_of_size, syncer, TestServer};
use ring::signature::{Ed25519KeyPair, KeyPair};

/// A published meeting of the seeded committee with one document:
/// (meeting id, agenda item id, document id, version id).
async fn published_document(
    server: &TestServer,
    api: &Api,
    title: &str,
    seed: u64,
) -> Result<(String, String, String, String)> {
    let m = secretary::create_meeting(
        api,
        &server.seed.committee_id,
        &CreateMeetingRequest {
            title: format!("Phiên họp: {title}"),
            location: "Phòng họp số 2".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let item = secretary::add_item(
        api,
        &m.id,
        &CreateAgendaItemRequest {
            title: title.into(),
            parent_id: None,
            position: None,
            ..Default::default()
        },
    )
    .await?;
    let (doc, v) = secretary::attach_pdf(api, &item.id, title, pdf_of_size(200_000, seed)).await?;
    secretary::publish(api, &m.id).await?;
    Ok((m.id, item.id, doc.id, v.id))
}

/// Rotates the stopped server's key the way `ecabinet-server
/// rotate-signing-key` does; returns the new key (base64).
async fn rotate(data_dir: &Path) -> Result<String> {
    let state = ecabinet_server::open(
        data_dir,
        None,
        None,
        ecabinet_server::Config {
            ocr: ecabinet_server::ocr::OcrConfig::off(),
            ..ecabinet_server::Config::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("open: {e}"))?;
    let _lock =
        ecabinet_server::key_rotation::lock_data_dir(data_dir, true).map_err(anyhow::Error::msg)?;
    let report = ecabinet_server::key_rotation::rotate(&state, data_dir)
        .await
        .map_err(anyhow::Error::msg)?;
    assert_ne!(report.old_fingerprint, report.new_fingerprint);
    let key = ecabinet_server::signer::Signer::load(
        &data_dir.join(ecabinet_server::backup::SIGNING_KEY_FILE),
    )?;
    Ok(key.public_key_b64().to_owned())
}

fn b64(key: &[u8]) -> String {
    BASE64.encode(key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_offline_through_two_rotations_follows_them_and_keeps_its_documents() -> Result<()>
{
    let mut server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = api_of(&sec_store)?;
    let member = syncer(&member_store)?;
    let (_, _, doc, v1) = published_document(&server, &api, "Tờ trình ngân sách", 21).await?;
    member.sync_once(&()).await?;
    let first_key = member_store.manifest_key()?.context("pinned")?;
    assert_eq!(version_to_open(&member_store, &v1)?.version, 1);

    // Two rotations while the member's tablet is away.
    server.stop().await;
    let second = rotate(server.data_dir()).await?;
    let third = rotate(server.data_dir()).await?;
    assert_ne!(second, third);
    assert_ne!(b64(&first_key), second);
    server.restart().await?;

    // Still offline: the cached document opens.
    assert_eq!(version_to_open(&member_store, &v1)?.version, 1);

    // Back online: the pull follows both links and pins the newest key. The
    // cached document still opens before its re-signed record is fetched.
    let pulled = member.pull().await?;
    assert_eq!(pulled.key_rotations, 2);
    assert_eq!(b64(&member_store.manifest_key()?.context("pinned")?), third);
    assert_eq!(
        member_store
            .retired_manifest_keys()?
            .iter()
            .map(|k| b64(k))
            .collect::<Vec<_>>(),
        [b64(&first_key), second.clone()]
    );
    assert_eq!(current_version_to_open(&member_store, &doc)?.id, v1);

    // The re-signed record arrives, and is taken without downloading the
    // document again; its stored signature is now the new key's.
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(report.documents.bytes_downloaded(), 0);
    let stored = member_store.verified_version(&v1)?.context("verified")?;
    let manifest = ecabinet_protocol::SignedManifest {
        manifest: ecabinet_protocol::Manifest {
            doc_id: stored.document_id.clone(),
            version: stored.version,
            sha256: stored.sha256.clone(),
            size: stored.size,
            meeting_id: stored.meeting_id.clone(),
            published_at: stored.published_at,
            policy: ecabinet_sync::policy_of(&stored)?,
            signed_at: stored.signed_at,
        },
        signature: stored.signature.clone(),
    };
    assert!(manifest.verify(&third).is_ok(), "stored under the new key");
    assert!(manifest.verify(&b64(&first_key)).is_err());

    // What the secretary publishes now is signed with the new key and
    // verified by the member's device.
    let (_, _, doc2, v2) = published_document(&server, &api, "Báo cáo quý IV", 22).await?;
    let report = member.sync_once(&()).await?;
    assert_eq!(report.documents.stored(), 1, "{:?}", report.documents);
    assert_eq!(current_version_to_open(&member_store, &doc2)?.id, v2);

    // A device enrolled now pins the new key and reads the feed from its
    // start without meeting a single signature of a retired key.
    let fresh_dir = tempfile::tempdir()?;
    let (user, password) = server.account("member")?;
    let fresh = Arc::new(
        ecabinet_sync::enrol(ecabinet_sync::EnrolRequest {
            data_dir: fresh_dir.path(),
            server_url: &server.url(),
            ca_cert: None,
            username: &user,
            password: &password,
            pin: ecabinet_tests::TEST_PIN,
            device_name: "tablet mới",
            server_check: ecabinet_sync::ServerCheck::Fingerprint(&ecabinet_tests::fingerprint_of(
                &third,
            )),
            config: &ecabinet_store::testing::test_config(),
        })
        .await?,
    );
    let report = syncer(&fresh)?.sync_once(&()).await?;
    assert_eq!(report.documents.rejected(), 0, "{:?}", report.documents);
    assert_eq!(
        report.documents.stored(),
        report.documents.outcomes.len(),
        "{:?}",
        report.documents
    );
    for v in [&v1, &v2] {
        assert!(
            version_to_open(&fresh, v).is_ok(),
            "{v} opens on the new device"
        );
    }
    assert!(fresh.retired_manifest_keys()?.is_empty());
    Ok(())
}

/// A server (or whoever took its data directory) that replaces the key and
/// writes a rotation signed by the new key itself, not by the pinned one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_the_pinned_key_did_not_sign_is_refused_and_nothing_is_taken() -> Result<()> {
    let mut server = TestServer::start().await?;
    let (sec_dir, member_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let api = api_of(&sec_store)?;
    let member = syncer(&member_store)?;
    published_document(&server, &api, "Tờ trình", 31).await?;
    member.sync_once(&()).await?;
    let pinned = member_store.manifest_key()?.context("pinned")?;
    let cursor = member_store.cursor()?;

    server.stop().await;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow::anyhow!("keygen"))?;
    let attacker =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow::anyhow!("key"))?;
    let (from_key, to_key) = (b64(&pinned), b64(attacker.public_key().as_ref()));
    let at = 1_800_000_000_000;
    let forged = KeyRotation {
        signature: BASE64.encode(
            attacker
                .sign(&KeyRotation::canonical_bytes(&from_key, &to_key, at))
                .as_ref(),
        ),
        from_key,
        to_key,
        rotated_at: at,
    };
    let db = rusqlite::Connection::open(server.data_dir().join("ecabinet.sqlite3"))?;
    db.execute(
        "INSERT INTO key_rotations (seq, from_key, to_key, rotated_at, signature) VALUES (1, ?1, ?2, ?3, ?4)",
        rusqlite::params![forged.from_key, forged.to_key, forged.rotated_at, forged.signature],
    )?;
    drop(db);
    std::fs::write(
        server
            .data_dir()
            .join(ecabinet_server::backup::SIGNING_KEY_FILE),
        pkcs8.as_ref(),
    )?;
    server.restart().await?;
    // Something new in the feed, so a taken page would move the cursor.
    published_document(&server, &api, "Tài liệu giả mạo", 32).await?;

    match member.pull().await {
        Err(SyncError::ServerKeyChanged { pinned: p, now }) => {
            assert_eq!(p, ecabinet_tests::fingerprint_of(&b64(&pinned)));
            assert_eq!(now, ecabinet_tests::fingerprint_of(&forged.to_key));
        }
        other => panic!("a forged rotation was followed: {other:?}"),
    }
    assert_eq!(member_store.manifest_key()?.context("pinned")?, pinned);
    assert!(member_store.retired_manifest_keys()?.is_empty());
    assert_eq!(
        member_store.cursor()?,
        cursor,
        "nothing of the page was applied"
    );
    Ok(())
}
