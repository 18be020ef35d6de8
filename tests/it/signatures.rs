//! Signatures embedded in documents (issue 19), end to end: the secretary
//! publishes documents signed with a test CA (pyHanko, in the test), the
//! administrator installs the CA's root on the server, and a member's
//! device checks each signature against it offline: valid, changed after
//! signing, from an unknown CA. The roots reach the device signed; a list
//! changed on the server without the key is refused and the device keeps
//! the one it had.

use anyhow::{Context, Result};
use ecabinet_pades::{verdict, Integrity, Revocation, Trust, Verdict};
use ecabinet_protocol::{CreateAgendaItemRequest, CreateMeetingRequest};
use ecabinet_sync::{admin, secretary, signatures_of, trust_store, Api, Session, SyncError};
use ecabinet_tests::{syncer, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_checks_embedded_signatures_against_the_roots_the_administrator_set() -> Result<()>
{
    let fixtures = tempfile::tempdir()?;
    ecabinet_testca::signed_pdfs(fixtures.path())?;
    let read = |name: &str| std::fs::read(fixtures.path().join(name));
    let server = TestServer::start().await?;
    let (admin_dir, sec_dir, member_dir) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );
    let admin_store = server.enrol("admin", admin_dir.path()).await?;
    let sec_store = server.enrol("secretary", sec_dir.path()).await?;
    let member_store = server.enrol("member", member_dir.path()).await?;
    let admin_api = Api::new(&Session::load(&admin_store)?.context("session")?)?;
    let api = Api::new(&Session::load(&sec_store)?.context("session")?)?;
    let member = syncer(&member_store)?;

    let m = secretary::create_meeting(
        &api,
        &server.seed.committee_id,
        &CreateMeetingRequest {
            title: "Phiên họp thông qua văn bản đã ký số".into(),
            location: "Phòng họp số 2".into(),
            starts_at: 1_796_000_000_000,
        },
    )
    .await?;
    let item = secretary::add_item(
        &api,
        &m.id,
        &CreateAgendaItemRequest {
            title: "Quyết định đã ký".into(),
            parent_id: None,
            position: None,
            ..Default::default()
        },
    )
    .await?;
    let mut versions = Vec::new();
    for (title, file) in [
        ("Quyết định (ký hợp lệ)", "valid.pdf"),
        ("Quyết định (bị sửa sau khi ký)", "modified.pdf"),
        ("Công văn (CA lạ)", "untrusted.pdf"),
        ("Tờ trình (không ký)", "plain.pdf"),
        ("Quyết định (chứng thư bị thu hồi)", "revoked.pdf"),
    ] {
        let (_, v) = secretary::attach_pdf(&api, &item.id, title, read(file)?).await?;
        versions.push(v.id);
    }
    secretary::publish(&api, &m.id).await?;

    // Before the administrator trusts any root, a valid signature is intact
    // but not trusted.
    member.sync_once(&()).await?;
    assert!(trust_store(&member_store)?.is_empty());
    let before = signatures_of(&member_store, &versions[0])?;
    assert_eq!(
        (before[0].integrity, before[0].trust),
        (Integrity::Intact, Trust::Untrusted)
    );
    assert_eq!(verdict(&before), Verdict::Warning);

    // The root, with its CAs' revocation lists: they reach the device with
    // it, so revocation is known offline.
    let text = |f: &str| std::fs::read_to_string(fixtures.path().join(f));
    let root = [
        text("root.pem")?,
        text("intermediate.crl.pem")?,
        text("root.crl.pem")?,
    ]
    .concat();
    let view = admin::set_trusted_roots(&admin_api, &root).await?;
    assert_eq!(view.roots.len(), 1);
    assert_eq!(view.revocation_lists, 2);
    assert_eq!(
        view.roots[0].name.as_deref(),
        Some("E-Cabinet Test Root CA")
    );
    let report = member.sync_once(&()).await?;
    assert!(report.pull.trusted_roots_updated, "{report:?}");
    assert_eq!(trust_store(&member_store)?.der().len(), 1);
    assert_eq!(trust_store(&member_store)?.revocation_lists(), 2);

    // Offline from here: the checks use the device's own copy.
    let mut server = server;
    server.stop().await;
    let verdicts: Vec<Verdict> = versions
        .iter()
        .map(|v| signatures_of(&member_store, v).map(|r| verdict(&r)))
        .collect::<Result<_, _>>()?;
    assert_eq!(
        verdicts,
        [
            Verdict::Valid,
            Verdict::Broken,
            Verdict::Warning,
            Verdict::Unsigned,
            Verdict::Broken,
        ]
    );
    let valid = &signatures_of(&member_store, &versions[0])?[0];
    assert_eq!(valid.revocation, Revocation::Good);
    let revoked = &signatures_of(&member_store, &versions[4])?[0];
    assert_eq!(
        (revoked.integrity, revoked.revocation),
        (Integrity::Intact, Revocation::Revoked)
    );
    assert_eq!(valid.signer.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(
        valid.organisation.as_deref(),
        Some("Ủy ban nhân dân tỉnh Thử nghiệm")
    );
    let modified = &signatures_of(&member_store, &versions[1])?[0];
    assert_eq!(modified.integrity, Integrity::Modified);

    // A list changed in the server's database without its key (a restored
    // backup, a hand edit, an intruder) is refused; the device keeps its own.
    server.restart().await?;
    let other = std::fs::read_to_string(fixtures.path().join("other-root.pem"))?;
    let db = rusqlite::Connection::open(server.data_dir().join("ecabinet.sqlite3"))?;
    let changed = db.execute(
        "UPDATE trusted_roots SET pem = ?1, updated_at = updated_at + 1000",
        [&other],
    )?;
    assert_eq!(changed, 1);
    let refused = member.sync_once(&()).await;
    assert!(
        matches!(&refused, Err(SyncError::Protocol(m)) if m.contains("not signed by its key")),
        "{refused:?}"
    );
    assert_eq!(
        verdict(&signatures_of(&member_store, &versions[0])?),
        Verdict::Valid,
        "the device still trusts the list it checked"
    );

    // Set properly, the other CA's signature becomes trusted and ours not.
    admin::set_trusted_roots(&admin_api, &other).await?;
    member.sync_once(&()).await?;
    assert_eq!(
        verdict(&signatures_of(&member_store, &versions[2])?),
        Verdict::Valid
    );
    assert_eq!(
        verdict(&signatures_of(&member_store, &versions[0])?),
        Verdict::Warning
    );
    Ok(())
}
