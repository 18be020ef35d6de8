//! `ecabinet sign` (issue 19): the chair signs a document with the key on a
//! PKCS#11 token (SoftHSM2 here, provisioned in the test like a CA's USB
//! token: key, certificate, CA certificate) and the signed file becomes
//! the document's next version; the server and the members' devices find
//! the signature valid against the deployment's trusted root. A wrong PIN
//! is refused by the token with one clear line, and nothing is uploaded.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{ensure, Context, Result};
use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::object::{Attribute, CertificateType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use ecabinet_protocol::MeetingStatus;
use ecabinet_tests::{api_of, TestServer};
use serde_json::{json, Value};

use crate::{ecabinet, enrol_as, text, PIN};

const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN_PIN: &str = "246810";

/// A SoftHSM2 token in `dir` holding signer A's key, its certificate and
/// the issuing CA's certificate; returns the SOFTHSM2_CONF file.
fn provision_token(dir: &Path, fixtures: &Path) -> Result<PathBuf> {
    ensure!(
        Path::new(SOFTHSM).exists(),
        "{SOFTHSM} is missing: scripts/setup installs softhsm2"
    );
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens)?;
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )?;
    let util = |args: &[&str]| -> Result<()> {
        let out = Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", &conf)
            .output()?;
        ensure!(
            out.status.success(),
            "softhsm2-util {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    };
    util(&[
        "--init-token",
        "--free",
        "--label",
        "chu-tich",
        "--pin",
        TOKEN_PIN,
        "--so-pin",
        "13572468",
    ])?;
    let key = fixtures.join("signer-a.key.pem");
    util(&[
        "--import",
        key.to_str().context("path")?,
        "--token",
        "chu-tich",
        "--label",
        "ky-so",
        "--id",
        "01",
        "--pin",
        TOKEN_PIN,
    ])?;
    // The certificates, as a CA's issuing tool writes them.
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let pkcs11 = Pkcs11::new(SOFTHSM)?;
    pkcs11.initialize(CInitializeArgs::OsThreads)?;
    let slot = *pkcs11
        .get_slots_with_token()?
        .first()
        .context("the token")?;
    let session = pkcs11.open_rw_session(slot)?;
    session.login(UserType::User, Some(&AuthPin::new(TOKEN_PIN.into())))?;
    for (file, id, label) in [
        ("signer-a.der", 1u8, "ky-so"),
        ("intermediate.der", 2, "ca"),
    ] {
        let der = std::fs::read(fixtures.join(file))?;
        session.create_object(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Id(vec![id]),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Subject(ecabinet_pades::subject_der(&der).context("subject")?),
            Attribute::Value(der),
        ])?;
    }
    Ok(conf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chair_signs_with_a_token_and_everyone_sees_a_valid_signature() -> Result<()> {
    let (fixture_dir, token_dir, chair_dir, member_dir, admin_dir) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );
    ecabinet_testca::signed_pdfs(fixture_dir.path())?;
    let conf = provision_token(token_dir.path(), fixture_dir.path())?;
    let server = TestServer::start().await?;
    // The deployment trusts the test CA's root.
    let admin = server.enrol("admin", admin_dir.path()).await?;
    let root = std::fs::read_to_string(fixture_dir.path().join("root.pem"))?;
    ecabinet_sync::admin::set_trusted_roots(&api_of(&admin)?, &root).await?;

    enrol_as(&server, "chair", chair_dir.path()).await?;
    enrol_as(&server, "member", member_dir.path()).await?;
    let pin = [("ECABINET_PIN", PIN)];
    let out = ecabinet(chair_dir.path(), &["sync"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let meeting = server
        .seed
        .meetings
        .iter()
        .find(|m| m.status != MeetingStatus::Draft)
        .context("a published demo meeting")?;
    let out = ecabinet(chair_dir.path(), &["documents", "--json"], &pin).await?;
    let docs: Value = serde_json::from_slice(&out.stdout)?;
    let doc = docs
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| {
            d["meeting_id"] == json!(meeting.id)
                || d["versions"][0]["meeting_id"] == json!(meeting.id)
        })
        .and_then(|d| d["id"].as_str())
        .context("a document of the published meeting")?
        .to_owned();

    let conf = conf.to_str().context("path")?;
    let sign = |token_pin: &'static str| {
        let (dir, doc) = (chair_dir.path().to_owned(), doc.clone());
        async move {
            ecabinet(
                &dir,
                &[
                    "sign",
                    &doc,
                    "--token-module",
                    SOFTHSM,
                    "--pin-env",
                    "CHU_TICH_TOKEN_PIN",
                    "--reason",
                    "Ký ban hành biên bản",
                    "--json",
                ],
                &[
                    ("ECABINET_PIN", PIN),
                    ("CHU_TICH_TOKEN_PIN", token_pin),
                    ("SOFTHSM2_CONF", conf),
                ],
            )
            .await
        }
    };
    // A wrong PIN: the token says no, one clear line, nothing uploaded.
    let out = sign("000000").await?;
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused the PIN"), "{stderr}");
    assert!(!stderr.contains("000000") && !String::from_utf8_lossy(&out.stdout).contains("000000"));

    let out = sign(TOKEN_PIN).await?;
    assert!(out.status.success(), "{}", text(&out));
    let version: Value = serde_json::from_slice(&out.stdout)?;
    // The server checked it at upload against the trusted root.
    assert_eq!(
        version["signature_check"]["verdict"],
        json!("valid"),
        "{version}"
    );
    assert_eq!(
        version["signature_check"]["signers"],
        json!(["Nguyễn Văn An"])
    );

    // Published, a member's device finds it valid offline.
    let secretary = server.client("secretary").await?;
    secretary
        .post(&format!("/v1/meetings/{}/publish", meeting.id), json!({}))
        .await?;
    let out = ecabinet(member_dir.path(), &["sync"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(member_dir.path(), &["signatures", &doc, "--json"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let checked: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(checked["verdict"], json!("valid"), "{checked}");
    assert_eq!(checked["version"], version["version"]);
    assert_eq!(checked["signatures"][0]["signer"], json!("Nguyễn Văn An"));
    assert_eq!(checked["signatures"][0]["trust"], json!("trusted"));
    Ok(())
}

/// A written consultation (lấy ý kiến bằng văn bản) that takes only ballots
/// signed with the member's token: without the token the CLI refuses at
/// once and records nothing; signed with it (SoftHSM2 here), the ballot is
/// counted and its audit record carries the certificate's hash and the
/// signature, which verifies with the certificate's key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_a_written_consultation_ballot_with_the_token() -> Result<()> {
    let (fixture_dir, token_dir, member_dir, admin_dir) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );
    ecabinet_testca::signed_pdfs(fixture_dir.path())?;
    let conf = provision_token(token_dir.path(), fixture_dir.path())?;
    let conf = conf.to_str().context("path")?;
    let server = TestServer::start().await?;
    let admin = server.enrol("admin", admin_dir.path()).await?;
    let root = std::fs::read_to_string(fixture_dir.path().join("root.pem"))?;
    ecabinet_sync::admin::set_trusted_roots(&api_of(&admin)?, &root).await?;
    // The token's certificate, registered to the member by the administrator.
    let member_id = &server
        .seed
        .accounts
        .iter()
        .find(|a| a.role == "member")
        .context("a seeded member")?
        .user_id;
    let cert_pem = std::fs::read_to_string(fixture_dir.path().join("signer-a.pem"))?;
    ecabinet_sync::admin::register_signing_certificate(&api_of(&admin)?, member_id, &cert_pem)
        .await?;

    let meeting = server
        .seed
        .meetings
        .iter()
        .find(|m| m.status != MeetingStatus::Draft)
        .context("a published demo meeting")?
        .id
        .clone();
    let secretary = server.client("secretary").await?;
    let item = secretary
        .post(
            &format!("/v1/meetings/{meeting}/agenda"),
            json!({"title": "Lấy ý kiến về tờ trình"}),
        )
        .await?["id"]
        .as_str()
        .context("item")?
        .to_owned();
    let motion = secretary
        .post(
            &format!("/v1/agenda/{item}/motions"),
            json!({
                "question": "Thông qua tờ trình (phiếu lấy ý kiến có ký số)?",
                "kind": "named", "majority": "simple", "quorum": 1, "mode": "written",
                "deadline": ecabinet_sync::now_ms() + 86_400_000, "signed_ballots": true,
            }),
        )
        .await?["id"]
        .as_str()
        .context("motion")?
        .to_owned();
    server
        .client("chair")
        .await?
        .post(&format!("/v1/motions/{motion}/open"), json!({}))
        .await?;

    enrol_as(&server, "member", member_dir.path()).await?;
    let pin = [("ECABINET_PIN", PIN)];
    let out = ecabinet(member_dir.path(), &["sync"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));

    // Without the token: refused on the device, nothing queued.
    let out = ecabinet(member_dir.path(), &["vote", &motion, "Đồng ý"], &pin).await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("signed with your token"),
        "{}",
        text(&out)
    );
    let out = ecabinet(
        member_dir.path(),
        &[
            "vote",
            &motion,
            "Đồng ý",
            "--token-module",
            SOFTHSM,
            "--pin-env",
            "DAI_BIEU_TOKEN_PIN",
        ],
        &[
            ("ECABINET_PIN", PIN),
            ("DAI_BIEU_TOKEN_PIN", TOKEN_PIN),
            ("SOFTHSM2_CONF", conf),
        ],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("signed with the token"),
        "{}",
        text(&out)
    );
    let out = ecabinet(member_dir.path(), &["sync"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(member_dir.path(), &["status", "--json"], &pin).await?;
    let status: Value = serde_json::from_slice(&out.stdout)?;
    assert!(
        status.to_string().contains("accepted"),
        "the signed ballot is counted: {status}"
    );

    // The audit record holds the certificate's hash and the signature.
    let db = rusqlite::Connection::open(server.data_dir().join("ecabinet.sqlite3"))?;
    let record: String = db.query_row(
        "SELECT record FROM audit_log WHERE record LIKE '%named_ballot%' AND record LIKE ?1",
        [format!("%{motion}%")],
        |r| r.get(0),
    )?;
    let record: Value = serde_json::from_str(&record)?;
    let cert = std::fs::read(fixture_dir.path().join("signer-a.der"))?;
    assert_eq!(
        record["certificate_sha256"],
        json!(ecabinet_protocol::hex::sha256_hex(&cert)),
        "{record}"
    );
    let signature = ecabinet_protocol::hex::decode(
        record["qualified_signature"]
            .as_str()
            .context("the token's signature")?,
    )
    .context("hex")?;
    assert_eq!(signature.len(), 256, "an RSA-2048 signature");

    // The opinion form (phiếu lấy ý kiến) went with the ballot: the audit
    // record holds its hash, and the committee reads it back, its signature
    // checked on the device against the synced roots.
    let saved = tempfile::tempdir()?;
    let out = ecabinet(
        member_dir.path(),
        &[
            "opinions",
            &motion,
            "--json",
            "--save",
            saved.path().to_str().context("path")?,
        ],
        &pin,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let forms: Value = serde_json::from_slice(&out.stdout)?;
    let forms = forms.as_array().context("a list")?;
    assert_eq!(forms.len(), 1, "{forms:?}");
    let form = &forms[0];
    assert_eq!(form["option"], json!("Đồng ý"), "{form}");
    assert_eq!(form["verdict"], json!("valid"), "{form}");
    assert_eq!(form["signatures"][0]["signer"], json!("Nguyễn Văn An"));
    assert_eq!(form["form"]["sha256"], record["opinion_sha256"], "{record}");
    let path = std::path::PathBuf::from(form["saved"].as_str().context("saved")?);
    // Cross-checked with poppler's pdfsig and pyHanko's validator.
    let pdfsig = std::process::Command::new("pdfsig").arg(&path).output()?;
    let said = String::from_utf8_lossy(&pdfsig.stdout);
    assert_eq!(
        said.matches("Signature Validation: Signature is Valid.")
            .count(),
        1,
        "{said}"
    );
    let validated = std::process::Command::new(ecabinet_testca::python())
        .arg(ecabinet_testca::pades_script("validate.py"))
        .arg(&path)
        .arg(fixture_dir.path().join("root.pem"))
        .output()?;
    assert!(validated.status.success(), "validate.py: {validated:?}");
    let line: Value = serde_json::from_slice(
        validated
            .stdout
            .split(|b| *b == b'\n')
            .next()
            .context("a line")?,
    )?;
    assert_eq!(
        (&line["intact"], &line["trusted"], &line["coverage"]),
        (&json!(true), &json!(true), &json!("ENTIRE_FILE")),
        "{line}"
    );
    // What the member signed: the question, their name, the options.
    let extracted = std::process::Command::new("pdftotext")
        .arg("-raw")
        .args([path.as_os_str(), std::ffi::OsStr::new("-")])
        .output()?;
    assert!(extracted.status.success(), "pdftotext: {extracted:?}");
    let words = String::from_utf8(extracted.stdout)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let member_name = form["form"]["member_name"].as_str().context("name")?;
    for expected in [
        "PHIẾU LẤY Ý KIẾN",
        member_name,
        "Thông qua tờ trình (phiếu lấy ý kiến có ký số)?",
        "Đồng ý",
        "Không đồng ý",
        &motion,
    ] {
        assert!(words.contains(expected), "{expected:?} in {words}");
    }
    Ok(())
}
