//! The roots trusted for signatures embedded in documents (issue 19): set
//! by an administrator only, checked before they are kept, signed with the
//! server's key and dated (strictly later each time), announced on every
//! feed page, and fetched by any enrolled member.

use axum::http::StatusCode;
use ecabinet_pades::TrustStore;
use ecabinet_protocol::{ChangesPage, SignedTrustedRoots, TrustedRootsView};
use ecabinet_testca::TestCa;
use serde_json::json;

use crate::both;
use crate::common::*;

async fn feed_roots_at(w: &World) -> Option<i64> {
    let (s, body) = w
        .env
        .call("GET", "/v1/changes?since=0", Some(&w.member), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let page: ChangesPage = serde_json::from_value(body).expect("a feed page");
    page.trusted_roots_at
}

both!(
    an_administrator_sets_the_trusted_roots_and_members_fetch_them_signed,
    |kind| async move {
        let w = World::new(kind).await;
        // Nothing is trusted until an administrator says so.
        let (s, _) = w
            .env
            .call("GET", "/v1/trusted-roots", Some(&w.member), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(feed_roots_at(&w).await, None);

        let ca = TestCa::new("Ban Cơ yếu Chính phủ (thử)").expect("ca");
        let other = TestCa::new("CA chuyên dùng thử").expect("ca");
        let pem = format!("{}{}", ca.ca_pem(), other.ca_pem());

        // Only an administrator may set them.
        for who in [&w.member, &w.secretary, &w.chair] {
            let (s, body) = w
                .env
                .call(
                    "PUT",
                    "/v1/admin/trusted-roots",
                    Some(who),
                    Some(json!({"pem": pem})),
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        }
        // Text that is not certificates is refused, with the reason.
        for bad in [
            "not a certificate".to_owned(),
            "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
                .to_owned(),
            "-----BEGIN CERTIFICATE-----\nAAAA\n".to_owned(),
        ] {
            let (s, body) = w
                .env
                .call(
                    "PUT",
                    "/v1/admin/trusted-roots",
                    Some(&w.admin),
                    Some(json!({"pem": bad})),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(
                body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("trusted root")),
                "{body}"
            );
        }
        assert_eq!(feed_roots_at(&w).await, None, "a refused list is not kept");

        let body = w.put_trusted_roots(&pem).await;
        let view: TrustedRootsView = serde_json::from_value(body).expect("view");
        let names: Vec<_> = view
            .roots
            .iter()
            .map(|r| r.name.clone().unwrap_or_default())
            .collect();
        assert_eq!(names.len(), 2, "{view:?}");
        assert!(names[0].contains("Ban Cơ yếu Chính phủ (thử)"), "{names:?}");
        assert!(view.roots.iter().all(|r| r.sha256.len() == 64));
        let at = view.updated_at.expect("dated");
        assert_eq!(feed_roots_at(&w).await, Some(at));

        // Any member fetches the list, signed with the server's key.
        let (s, body) = w
            .env
            .call("GET", "/v1/trusted-roots", Some(&w.member), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let signed: SignedTrustedRoots = serde_json::from_value(body).expect("signed list");
        signed
            .verify(w.env.state.signer.public_key())
            .expect("signed by the server");
        assert_eq!(signed.updated_at, at);
        assert_eq!(
            TrustStore::from_pem(&signed.pem)
                .expect("roots")
                .der()
                .len(),
            2
        );
        let forged = SignedTrustedRoots {
            pem: other.ca_pem(),
            ..signed.clone()
        };
        assert!(forged.verify(w.env.state.signer.public_key()).is_err());

        // Set again at the same instant: still strictly later, so a device
        // can refuse an older list replayed over a newer one.
        let body = w.put_trusted_roots(&ca.ca_pem()).await;
        let later: TrustedRootsView = serde_json::from_value(body).expect("view");
        assert!(later.updated_at.expect("dated") > at);
        let (s, body) = w
            .env
            .call("GET", "/v1/admin/trusted-roots", Some(&w.admin), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            serde_json::from_value::<TrustedRootsView>(body).expect("view"),
            later
        );
        let (s, _) = w
            .env
            .call("GET", "/v1/admin/trusted-roots", Some(&w.member), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // An empty list clears the trust (and is still a dated, signed list).
        let body = w.put_trusted_roots("").await;
        assert!(serde_json::from_value::<TrustedRootsView>(body)
            .expect("view")
            .roots
            .is_empty());
    }
);

/// pyHanko's signed documents and their test CA (`tests/pades/make_signed.py`).
fn signed_fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    ecabinet_testca::signed_pdfs(dir.path()).expect("signed fixtures");
    dir
}

both!(
    an_upload_reports_its_embedded_signatures_and_a_broken_one_is_still_accepted,
    |kind| async move {
        let fixtures = signed_fixtures();
        let read = |f: &str| std::fs::read(fixtures.path().join(f)).expect("fixture");
        // Checked at the server's time: today, when the test CA's
        // certificates are valid (the test clock's usual day is before).
        let env = Env::new(kind).await;
        env.clock.0.store(
            ecabinet_server::clock::unix_ms_now(),
            std::sync::atomic::Ordering::SeqCst,
        );
        let w = World::on(env).await;
        // The root, and the CAs' revocation lists beside it.
        let text = |f: &str| std::fs::read_to_string(fixtures.path().join(f)).expect(f);
        let pem = [
            text("root.pem"),
            text("intermediate.crl.pem"),
            text("root.crl.pem"),
        ]
        .concat();
        let body = w.put_trusted_roots(&pem).await;
        assert_eq!(body["revocation_lists"], 2, "{body}");
        let m = w.meeting("Phiên họp").await;
        let item = w.item(&m, "Văn bản đã ký", None).await;
        let mut checks = Vec::new();
        for file in [
            "valid.pdf",
            "modified.pdf",
            "untrusted.pdf",
            "two.pdf",
            "plain.pdf",
            "revoked.pdf",
        ] {
            let doc = w.document(&item, file).await;
            let (s, v) = w
                .upload(&w.secretary, &doc, read(file), "application/pdf")
                .await;
            assert_eq!(s, StatusCode::CREATED, "{file}: {v}");
            let check: ecabinet_protocol::EmbeddedSignatureCheck =
                serde_json::from_value(v["signature_check"].clone()).expect("checked at upload");
            checks.push((check.verdict, check.signers));
        }
        let signer = |n: &str| vec![n.to_owned()];
        assert_eq!(
            checks,
            vec![
                ("valid".to_owned(), signer("Nguyễn Văn An")),
                ("broken".to_owned(), signer("Nguyễn Văn An")),
                ("warning".to_owned(), signer("Phạm Văn Lạ")),
                (
                    "valid".to_owned(),
                    vec!["Nguyễn Văn An".to_owned(), "Trần Thị Bình".to_owned()]
                ),
                ("unsigned".to_owned(), vec![]),
                // Intact, but its CA's list revokes the certificate.
                ("broken".to_owned(), signer("Hoàng Văn Thu")),
            ]
        );
        // The secretary's feed shows the same check with the version.
        let changes = w.env.all_changes(&w.secretary, 0).await;
        let broken = changes
            .iter()
            .filter(|c| c["entity"] == "document_version")
            .filter(|c| c["body"]["signature_check"]["verdict"] == "broken")
            .count();
        assert_eq!(broken, 2);
    }
);

/// The operator's command on a data directory: set from a PEM file, shown,
/// refused with the reason for a file that is not certificates, cleared.
#[test]
fn the_operator_sets_and_clears_the_trusted_roots_from_the_command_line() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().to_str().expect("path");
    let ca = TestCa::new("Root CA của tỉnh (thử)").expect("ca");
    let pem = data.path().join("roots.pem");
    std::fs::write(&pem, ca.ca_pem()).expect("write");
    let (ok, out, err) = run_cli(&[
        "trusted-roots",
        "--data-dir",
        dir,
        "--set",
        pem.to_str().expect("path"),
    ]);
    assert!(ok, "{err}");
    let view: TrustedRootsView = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(view.roots.len(), 1);
    assert!(
        view.roots[0]
            .name
            .as_deref()
            .is_some_and(|n| n.contains("Root CA của tỉnh")),
        "{view:?}"
    );

    let (ok, out, err) = run_cli(&["trusted-roots", "--data-dir", dir]);
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<TrustedRootsView>(out.trim()).expect("JSON"),
        view
    );

    let bad = data.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let (ok, _, err) = run_cli(&[
        "trusted-roots",
        "--data-dir",
        dir,
        "--set",
        bad.to_str().expect("path"),
    ]);
    assert!(!ok);
    assert!(err.contains("trusted root"), "{err}");
    let (_, out, _) = run_cli(&["trusted-roots", "--data-dir", dir]);
    assert_eq!(
        serde_json::from_str::<TrustedRootsView>(out.trim()).expect("JSON"),
        view,
        "unchanged"
    );

    let (ok, out, err) = run_cli(&["trusted-roots", "--data-dir", dir, "--clear"]);
    assert!(ok, "{err}");
    let cleared: TrustedRootsView = serde_json::from_str(out.trim()).expect("JSON");
    assert!(cleared.roots.is_empty());
    assert!(cleared.updated_at > view.updated_at);
}
