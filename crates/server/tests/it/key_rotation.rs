//! `rotate-signing-key` (issue 18): the new key is chained to the old one,
//! everything published is signed again and sent again, old enrol codes
//! stop working, a rotation cut off by a crash is finished at the next
//! start, a key file that does not go with the database is refused, and
//! no rotation runs under a serving server.

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_protocol::{follow_rotations, ChangesPage, DocumentVersionBody};
use ecabinet_server::backup::SIGNING_KEY_FILE;
use ecabinet_server::db::Db;
use ecabinet_server::key_rotation::{self, NEXT_KEY_FILE};
use ecabinet_server::signer::Signer;
use ecabinet_server::{app, AppState, Config};

use crate::both;
use crate::common::*;

/// The server of `env`'s data directory and database as a restart would
/// open it (the key file settled and checked), on the same test clock.
async fn reopen(env: &Env) -> Result<Env, String> {
    let url = env.db_url.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&url))
        .await
        .expect("join")
        .expect("open database");
    let signer = key_rotation::settle_key_file(env.dir.path(), &db)
        .await
        .map_err(|e| e.to_string())?;
    let blobs = ecabinet_server::blobs::open(None, env.dir.path().join("blobs")).expect("blobs");
    let state = AppState::new(
        db,
        blobs,
        signer,
        env.clock.clone(),
        Config {
            ocr: ecabinet_server::ocr::OcrConfig::off(),
            ..Config::default()
        },
    );
    Ok(Env {
        app: app(state.clone()),
        state,
        clock: env.clock.clone(),
        dir: tempfile::tempdir().expect("placeholder"),
        db_url: env.db_url.clone(),
    })
}

async fn page(env: &Env, who: &Session, since: i64) -> ChangesPage {
    let (s, body) = env
        .call(
            "GET",
            &format!("/v1/changes?since={since}&limit=5000"),
            Some(who),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    serde_json::from_value(body).expect("a feed page")
}

/// A fresh device public key.
fn ring_key() -> Vec<u8> {
    use ring::signature::KeyPair as _;
    let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .expect("keygen");
    ring::signature::Ed25519KeyPair::from_pkcs8(doc.as_ref())
        .expect("key")
        .public_key()
        .as_ref()
        .to_vec()
}

fn raw(key_b64: &str) -> Vec<u8> {
    BASE64.decode(key_b64).expect("base64")
}

/// The document-version records of a page: (version id, body).
fn versions(p: &ChangesPage) -> Vec<(String, DocumentVersionBody)> {
    p.changes
        .iter()
        .filter(|c| c.entity == ecabinet_protocol::EntityKind::DocumentVersion)
        .filter_map(|c| Some((c.id.clone(), c.decode().ok()??)))
        .collect()
}

both!(
    a_rotation_signs_everything_again_and_chains_the_new_key_to_the_old,
    |kind| async move {
        let w = World::new(kind).await;
        let (m, version) = w
            .meeting_with_pdf("Phiên họp thường kỳ", "Ngân sách", "Tờ trình", 2)
            .await;
        w.publish(&m).await;
        let first_key = w.env.state.signer.public_key_b64().to_owned();
        let before = page(&w.env, &w.member, 0).await;
        assert_eq!(before.signing_key, first_key);
        assert!(before.key_rotations.is_empty());
        // An enrol code handed out before the rotation names the old key.
        let key = w.env.state.signer.public_key().to_vec();
        let now = w.env.state.now();
        let issued = w
            .env
            .state
            .db
            .write(move |tx| ecabinet_server::enrol_codes::issue(tx.conn, "member", &key, 60, now))
            .await
            .expect("enrol code");

        // Trusted signature roots set before the rotation are signed again.
        let ca = ecabinet_testca::TestCa::new("Root before the rotation").expect("ca");
        let body = w.put_trusted_roots(&ca.ca_pem()).await;
        let roots_before = body["updated_at"].as_i64().expect("dated");

        let report = key_rotation::rotate(&w.env.state, w.env.dir.path())
            .await
            .expect("rotate");
        assert_eq!(report.versions_resigned, 1);
        assert_eq!(report.enrol_codes_voided, 1);
        assert!(!w.env.dir.path().join(NEXT_KEY_FILE).exists());
        let second = reopen(&w.env).await.expect("reopen");
        let second_key = second.state.signer.public_key_b64().to_owned();
        assert_ne!(second_key, first_key);
        assert_eq!(
            report.new_fingerprint,
            ecabinet_protocol::enrol_code::format_fingerprint(
                &ecabinet_protocol::enrol_code::fingerprint(&raw(&second_key))
            )
        );

        let (s, body) = second
            .call("GET", "/v1/trusted-roots", Some(&w.member), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let roots: ecabinet_protocol::SignedTrustedRoots =
            serde_json::from_value(body).expect("roots");
        roots
            .verify(&raw(&second_key))
            .expect("signed with the new key");
        assert!(
            roots.updated_at > roots_before,
            "dated anew so devices fetch it"
        );
        assert_eq!(
            page(&second, &w.member, 0).await.trusted_roots_at,
            Some(roots.updated_at)
        );

        // From the start of the feed: the new key, a chain from the old one,
        // and the version once, signed with the new key only.
        let all = page(&second, &w.member, 0).await;
        assert_eq!(all.signing_key, second_key);
        assert_eq!(
            follow_rotations(&raw(&first_key), &all.key_rotations, &raw(&second_key)),
            Ok(vec![raw(&second_key)])
        );
        let found = versions(&all);
        assert_eq!(found.len(), 1, "{found:?}");
        let signed = found[0].1.signed.clone().expect("signed");
        assert_eq!(found[0].0, version);
        assert!(signed.verify(&second_key).is_ok());
        assert!(signed.verify(&first_key).is_err());
        // A device already past the version gets it again.
        let after = page(&second, &w.member, before.next_since).await;
        assert!(
            versions(&after).iter().any(|(id, _)| *id == version),
            "re-sent"
        );
        // The voided code no longer enrols anyone; one issued now does.
        let enrol = |session: Session, code: String| {
            let env = &second;
            async move {
                env.call(
                    "POST",
                    "/v1/devices",
                    Some(&session),
                    Some(serde_json::json!({
                        "public_key": BASE64.encode(ring_key()),
                        "name": "máy tính bảng",
                        "enrol_code": code,
                    })),
                )
                .await
            }
        };
        let fresh = second.login("member", PASSWORD).await;
        let (s, body) = enrol(fresh.clone(), issued.code.secret_symbols()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        let key = second.state.signer.public_key().to_vec();
        let now = second.state.now();
        let reissued = second
            .state
            .db
            .write(move |tx| ecabinet_server::enrol_codes::issue(tx.conn, "member", &key, 60, now))
            .await
            .expect("enrol code");
        let (s, body) = enrol(fresh, reissued.code.secret_symbols()).await;
        assert!(s.is_success(), "{s} {body}");

        // A second rotation: the chain has two links, walked from either key.
        key_rotation::rotate(&second.state, w.env.dir.path())
            .await
            .expect("rotate again");
        let third = reopen(&w.env).await.expect("reopen");
        let third_key = third.state.signer.public_key_b64().to_owned();
        let all = page(&third, &w.member, 0).await;
        assert_eq!(all.key_rotations.len(), 2);
        assert_eq!(
            follow_rotations(&raw(&first_key), &all.key_rotations, &raw(&third_key)),
            Ok(vec![raw(&second_key), raw(&third_key)])
        );
        assert!(versions(&all)[0]
            .1
            .signed
            .as_ref()
            .expect("signed")
            .verify(&third_key)
            .is_ok());
    }
);

both!(
    a_cut_off_rotation_is_finished_at_the_next_start_and_a_stale_key_file_is_refused,
    |kind| async move {
        let env = Env::new(kind).await;
        let dir = env.dir.path().to_path_buf();
        let old_file = std::fs::read(dir.join(SIGNING_KEY_FILE)).expect("key file");
        let old_key = env.state.signer.public_key_b64().to_owned();
        key_rotation::rotate(&env.state, &dir)
            .await
            .expect("rotate");
        let new_file = std::fs::read(dir.join(SIGNING_KEY_FILE)).expect("key file");

        // Committed, then the crash came before the new file took the old
        // one's place: the next start finishes the rotation.
        std::fs::write(dir.join(NEXT_KEY_FILE), &new_file).expect("write");
        std::fs::write(dir.join(SIGNING_KEY_FILE), &old_file).expect("write");
        let reopened = reopen(&env).await.expect("the rotation is finished");
        assert_ne!(reopened.state.signer.public_key_b64(), old_key);
        assert!(!dir.join(NEXT_KEY_FILE).exists());
        assert_eq!(
            std::fs::read(dir.join(SIGNING_KEY_FILE)).expect("read"),
            new_file
        );

        // A new key written, then the crash came before the database took the
        // rotation: the waiting file goes and the current key stays.
        let stray = Signer::generate_pkcs8().expect("key");
        std::fs::write(dir.join(NEXT_KEY_FILE), &stray).expect("write");
        let reopened = reopen(&env).await.expect("the stray key is dropped");
        assert_eq!(
            std::fs::read(dir.join(SIGNING_KEY_FILE)).expect("read"),
            new_file
        );
        assert!(!dir.join(NEXT_KEY_FILE).exists());
        drop(reopened);

        // An old key file put back next to the rotated database (a restore
        // that mixed two ages): refused, naming both fingerprints, and the
        // file is left as it is.
        std::fs::write(dir.join(SIGNING_KEY_FILE), &old_file).expect("write");
        let err = reopen(&env).await.err().expect("refused");
        let fp = |k: &str| {
            ecabinet_protocol::enrol_code::format_fingerprint(
                &ecabinet_protocol::enrol_code::fingerprint(&raw(k)),
            )
        };
        assert!(err.contains(&fp(&old_key)), "{err}");
        assert!(err.contains("last rotated to"), "{err}");
        assert_eq!(
            std::fs::read(dir.join(SIGNING_KEY_FILE)).expect("read"),
            old_file
        );
        // Nor does a missing key file get replaced by a fresh one.
        std::fs::remove_file(dir.join(SIGNING_KEY_FILE)).expect("remove");
        assert!(reopen(&env).await.is_err());
        assert!(!dir.join(SIGNING_KEY_FILE).exists());
    }
);

/// The real binary: no rotation while `serve` runs on the data directory;
/// once it stopped, the rotation runs and prints both fingerprints, and the
/// server starts again on the new key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_is_refused_while_the_server_runs_then_rotates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().display().to_string();
    let serve = ["serve", "--data-dir", &data, "--listen", "127.0.0.1:0"];
    let server = ServerProcess::start(&serve);
    let (ok, _, err) = run_cli(&["rotate-signing-key", "--data-dir", &data]);
    assert!(!ok);
    assert!(err.contains("a server is running"), "{err}");
    drop(server);
    let (ok, out, err) = run_cli(&["rotate-signing-key", "--data-dir", &data]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json report");
    let (old, new) = (
        report["old_fingerprint"].as_str().expect("old"),
        report["new_fingerprint"].as_str().expect("new"),
    );
    assert_ne!(old, new);
    assert_eq!(old.len(), "FFFF-FFFF-FFFF-FFFF".len());
    let server = ServerProcess::start(&serve);
    let health: serde_json::Value = reqwest::get(format!("{}/v1/health", server.base))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
}
