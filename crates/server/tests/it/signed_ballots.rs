//! Ballots signed with the member's token (ký số, issue 19): a named motion
//! may take only ballots that also carry a signature from a certificate of
//! the deployment's trusted CAs; the signature goes into the ballot's audit
//! record (and so into its receipt), and the certificate is kept once for
//! auditors. A ballot without one, or with one that does not hold, is
//! refused with its own reason, visible to the member.

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_model::{Ballot, DeviceId, MemberId, MotionId, OpId};
use ecabinet_protocol::AuditRecordWire;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

/// The test CA's fixtures (`ecabinet_testca::signed_pdfs`), read by name.
struct Fixtures(tempfile::TempDir);

impl Fixtures {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        ecabinet_testca::signed_pdfs(dir.path()).expect("fixtures");
        Fixtures(dir)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.0.path().join(name)).expect(name)
    }

    fn root_pem(&self) -> String {
        String::from_utf8(self.read("root.pem")).expect("pem")
    }
}

/// A world whose server trusts the test CA's root, on today's clock (the
/// test CA's certificates are valid today, not on the test clock's usual
/// day); answers it with that time.
async fn world_trusting_the_test_ca(kind: Kind, fixtures: &Fixtures) -> (World, i64) {
    let env = Env::new(kind).await;
    let now = ecabinet_server::clock::unix_ms_now();
    env.clock.0.store(now, std::sync::atomic::Ordering::SeqCst);
    let w = World::on(env).await;
    w.put_trusted_roots(&fixtures.root_pem()).await;
    (w, now)
}

/// Signer A's token: the fixtures' RSA key, its certificate and the
/// intermediate CA that issued it.
struct TokenA {
    key: ring::signature::RsaKeyPair,
    cert: Vec<u8>,
    intermediate: Vec<u8>,
}

impl TokenA {
    fn new(fixtures: &Fixtures) -> Self {
        TokenA {
            key: ring::signature::RsaKeyPair::from_pkcs8(&fixtures.read("signer-a.key.der"))
                .expect("key"),
            cert: fixtures.read("signer-a.der"),
            intermediate: fixtures.read("intermediate.der"),
        }
    }

    /// Gives ballot operation `op` a `qualified` body: this token's
    /// signature over `bytes`, its certificate, and the intermediate CA
    /// when `with_chain`.
    fn qualify(&self, op: &mut Value, bytes: &[u8], with_chain: bool) {
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                bytes,
                &mut signature,
            )
            .expect("sign");
        let chain: Vec<String> = if with_chain {
            vec![BASE64.encode(&self.intermediate)]
        } else {
            vec![]
        };
        op["body"]["qualified"] = json!({
            "certificate": BASE64.encode(&self.cert),
            "chain": chain,
            "signature": BASE64.encode(&signature),
        });
    }
}

/// The ballot voter `v`'s operation `op` stands for, with `choice`: what
/// the token's signature covers.
fn ballot_of(v: &Voter, op: &str, motion: &str, choice: u32, now: i64, seen: i64) -> Ballot {
    Ballot {
        op_id: OpId::new(op),
        motion_id: MotionId::new(motion),
        member_id: MemberId::new(v.session.user_id.as_str()),
        device_id: DeviceId::new(v.device()),
        choice,
        cast_at: now,
        seen_seq: seen,
    }
}

both!(
    a_motion_that_takes_signed_ballots_counts_only_ballots_signed_with_a_trusted_token,
    |kind| async move {
        let fixtures = Fixtures::new();
        let file = |f: &str| fixtures.read(f);
        let (w, now) = world_trusting_the_test_ca(kind, &fixtures).await;
        let root = fixtures.root_pem();

        let (_, item, motion) = w.open_motion(json!({"signed_ballots": true})).await;
        let v = w.env.voter("member").await;
        let seen = w.env.head(&v.session).await;
        let token = TokenA::new(&fixtures);
        let (cert, intermediate) = (&token.cert, &token.intermediate);
        // A ballot of choice `choice` whose token signature covers `signed_choice`.
        let signed = |op: &str, choice: u32, signed_choice: u32, with_chain: bool| -> Value {
            let mut op_value = v.ballot(op, &motion, choice, now, seen);
            let bytes = ballot_of(&v, op, &motion, signed_choice, now, seen).signing_bytes();
            token.qualify(&mut op_value, &bytes, with_chain);
            op_value
        };

        // Not signed with the token, signed for another choice, or without
        // the certificates up to a trusted root: refused, each visibly.
        let refused = outcomes(
            &w.env,
            &v.session,
            vec![
                v.ballot("unsigned", &motion, 0, now, seen),
                signed("other-choice", 0, 1, true),
                signed("no-chain", 0, 0, false),
            ],
        )
        .await;
        assert_eq!(refused, ["rejected:qualified_signature"; 3]);

        // Signed with a valid token whose certificate an administrator
        // registered to someone else (a colleague's token): refused with
        // its own reason. A certificate belongs to one person at a time.
        let cert_pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            BASE64.encode(cert)
        );
        let certificates = |user: &str| format!("/v1/admin/users/{user}/signing-certificates");
        let register = async |user: &str, by: &Session, pem: &str| {
            w.env
                .call(
                    "POST",
                    &certificates(user),
                    Some(by),
                    Some(json!({ "pem": pem })),
                )
                .await
        };
        let (s, body) = register(&w.chair.user_id, &w.admin, &cert_pem).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert_eq!(body["name"], "Nguyễn Văn An");
        assert_eq!(body["sha256"], ecabinet_protocol::hex::sha256_hex(cert));
        assert_eq!(
            outcomes(&w.env, &v.session, vec![signed("colleague", 0, 0, true)]).await,
            ["rejected:certificate_not_registered"]
        );
        let member = v.session.user_id.clone();
        let (s, body) = register(&member, &w.admin, &cert_pem).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        // Only the administrator registers, and only one certificate.
        let (s, _) = register(&member, &v.session, &cert_pem).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, body) = register(&member, &w.admin, &format!("{cert_pem}{cert_pem}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // Nor one that has expired (as it will have, years from now).
        let (der, info) = ecabinet_server::member_certificates::parse(&cert_pem).expect("parse");
        let later = now + 10 * 365 * 86_400_000;
        let who = member.clone();
        let e = w
            .env
            .state
            .db
            .write(move |tx| {
                ecabinet_server::member_certificates::register(
                    tx.conn, &who, &der, &info, "admin", later,
                )
            })
            .await
            .expect_err("expired");
        assert!(e.message.contains("expired"), "{}", e.message);
        // Moved to the member it belongs to: their ballot counts (below).
        let (s, _) = w
            .env
            .call(
                "DELETE",
                &format!(
                    "{}/{}",
                    certificates(&w.chair.user_id),
                    ecabinet_protocol::hex::sha256_hex(cert)
                ),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, body) = register(&member, &w.admin, &cert_pem).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let (_, directory) = w
            .env
            .call("GET", "/v1/admin/directory", Some(&w.admin), None)
            .await;
        let listed: Vec<(String, usize)> = directory["users"]
            .as_array()
            .expect("users")
            .iter()
            .map(|u| {
                (
                    u["username"].as_str().unwrap_or_default().to_owned(),
                    u["signing_certificates"].as_array().map_or(0, Vec::len),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(listed, [("member".to_owned(), 1)]);

        // The deployment keeps the issuing CA's revocation lists: while the
        // only one is out of date, revocation is not known and the ballot
        // is not counted, with its own reason; a current list lets it count.
        let put_roots = async |pem: String| {
            w.put_trusted_roots(&pem).await;
        };
        let list = |f: &str| String::from_utf8(file(f)).expect("pem");
        put_roots(format!("{root}{}", list("stale.crl.pem"))).await;
        assert_eq!(
            outcomes(&w.env, &v.session, vec![signed("stale-list", 0, 0, true)]).await,
            ["rejected:revocation_unknown"]
        );
        put_roots(format!(
            "{root}{}{}",
            list("stale.crl.pem"),
            list("intermediate.crl.pem")
        ))
        .await;

        // Signed: counted, and its receipt covers the signature.
        let r = push(&w.env, &v.session, vec![signed("signed", 0, 0, true)]).await;
        assert_eq!(outcome(&r[0]), "accepted", "{:?}", r[0]);
        let receipt = r[0]["receipt"]["hash"]
            .as_str()
            .expect("receipt")
            .to_owned();
        let wire: AuditRecordWire = w
            .env
            .audit_records()
            .await
            .iter()
            .map(|r| serde_json::from_str(r).expect("wire"))
            .find(|w: &AuditRecordWire| {
                matches!(w, AuditRecordWire::NamedBallot { op_id, .. } if op_id == "signed")
            })
            .expect("the ballot's record");
        let cert_hash = ecabinet_protocol::hex::sha256_hex(cert);
        let AuditRecordWire::NamedBallot {
            certificate_sha256,
            qualified_signature,
            ..
        } = &wire
        else {
            unreachable!()
        };
        assert_eq!(certificate_sha256.as_deref(), Some(cert_hash.as_str()));
        assert!(qualified_signature.as_ref().is_some_and(|s| s.len() == 512));
        // An auditor checks the signature with nothing but the record and
        // the kept certificate: the record holds every byte that was signed.
        let model = wire.to_model().expect("model");
        let ecabinet_model::AuditRecord::NamedBallot {
            op_id,
            motion_id,
            member_id,
            choice,
            qualified: Some(seal),
            ..
        } = &model
        else {
            panic!("a sealed named ballot: {model:?}")
        };
        let kept_der = w
            .env
            .state
            .db
            .read({
                let h = cert_hash.clone();
                move |conn| {
                    conn.query(
                        "SELECT der FROM signer_certificates WHERE sha256 = ?",
                        ecabinet_server::params![&h],
                    )
                }
            })
            .await
            .expect("certificate")[0]
            .text(0)
            .expect("der");
        let kept_der = BASE64.decode(kept_der).expect("base64");
        let signed_bytes = seal.signed_bytes(op_id, motion_id, member_id, *choice);
        let roots = ecabinet_pades::TrustStore::from_pem(&root).expect("roots");
        ecabinet_pades::verify_qualified(
            &kept_der,
            std::slice::from_ref(intermediate),
            &signed_bytes,
            &seal.signature,
            &roots,
            now / 1000,
        )
        .expect("the stored signature verifies over the bytes rebuilt from the record");
        assert_eq!(
            wire.to_model().expect("model").receipt().to_hex(),
            receipt,
            "the receipt is the hash of the record with the signature"
        );
        // Asked again later, the receipt is rebuilt from the stored ballot.
        let (s, status) = w
            .env
            .call(
                "POST",
                "/v1/ops/status",
                Some(&v.session),
                Some(json!({"op_ids": ["signed", "unsigned"]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{status}");
        assert_eq!(status["results"][0]["receipt"]["hash"], json!(receipt));
        assert_eq!(status["results"][1]["reason"], "qualified_signature");
        // The certificate is kept once, with the signer's name, for auditors.
        let kept = w
            .env
            .state
            .db
            .read(move |conn| {
                conn.query(
                    "SELECT der, subject FROM signer_certificates WHERE sha256 = ?",
                    ecabinet_server::params![&cert_hash],
                )
            })
            .await
            .expect("certificates");
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].text(0).expect("der"), BASE64.encode(cert));
        assert_eq!(kept[0].text(1).expect("subject"), "Nguyễn Văn An");

        // The token is lost: its certificate removed (the fingerprint typed
        // in upper case from a screen), a ballot it signs no longer counts.
        let (s, _) = w
            .env
            .call(
                "DELETE",
                &format!(
                    "{}/{}",
                    certificates(&member),
                    ecabinet_protocol::hex::sha256_hex(cert).to_uppercase()
                ),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            outcomes(&w.env, &v.session, vec![signed("after-loss", 1, 1, true)]).await,
            ["rejected:certificate_not_registered"]
        );

        // A motion that does not ask for it still takes an unsigned ballot,
        // but never one whose signature does not hold.
        let plain = w.motion(&item, json!({})).await;
        w.motion_to(&plain, "open").await;
        let later = now + 60_000;
        w.env
            .clock
            .0
            .store(later, std::sync::atomic::Ordering::SeqCst);
        let seen = w.env.head(&v.session).await;
        let mut forged = v.ballot("forged", &plain, 0, later, seen);
        forged["body"]["qualified"] = signed("x", 0, 0, true)["body"]["qualified"].clone();
        let unsigned = v.ballot("plain", &plain, 1, later, seen);
        assert_eq!(
            outcomes(&w.env, &v.session, vec![forged]).await,
            ["rejected:qualified_signature"]
        );
        assert_eq!(
            outcomes(&w.env, &v.session, vec![unsigned]).await,
            ["accepted"]
        );

        // A secret vote cannot carry the voter's signature.
        let (s, body) = w
            .env
            .call(
                "POST",
                &format!("/v1/agenda/{item}/motions"),
                Some(&w.secretary),
                Some(json!({"question": "Bầu?", "kind": "secret", "majority": "simple", "quorum": 1, "mode": "live", "signed_ballots": true})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("secret ballot")),
            "{body}"
        );
    }
);

both!(
    a_stored_certificate_that_no_longer_reads_is_listed_for_removal_and_fails_nothing,
    |kind| async move {
        let w = World::on(Env::new(kind).await).await;
        // An older server's parser let it in; this one cannot read it.
        let user = w.member.user_id.clone();
        let sha256 = "ab".repeat(32);
        let row = (user.clone(), sha256.clone());
        w.env
            .state
            .db
            .write(move |tx| {
                tx.conn.execute(
                    "INSERT INTO member_certificates (user_id, sha256, der, subject, not_after, registered_at, registered_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ecabinet_server::params![&row.0, &row.1, BASE64.encode(b"not a certificate"), "?", 4_000_000_000i64, 1i64, "admin"],
                )?;
                Ok::<_, ecabinet_server::AppError>(())
            })
            .await
            .expect("insert");
        let (s, directory) = w
            .env
            .call("GET", "/v1/admin/directory", Some(&w.admin), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{directory}");
        let listed = directory["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["id"] == json!(user))
            .map(|u| u["signing_certificates"].clone())
            .expect("the member");
        assert_eq!(
            listed,
            json!([{ "sha256": sha256, "name": null, "organisation": null, "not_after": 0, "registered_at": 1 }])
        );
        let (s, _) = w
            .env
            .call(
                "DELETE",
                &format!("/v1/admin/users/{user}/signing-certificates/{sha256}"),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
);

both!(
    a_written_consultation_takes_each_signed_ballot_with_its_opinion_form,
    |kind| async move {
        let fixtures = Fixtures::new();
        let file = |f: &str| fixtures.read(f);
        let (w, now) = world_trusting_the_test_ca(kind, &fixtures).await;
        let v = w.env.voter("member").await;
        let token = TokenA::new(&fixtures);
        let (s, body) = w
            .env
            .call(
                "POST",
                &format!("/v1/admin/users/{}/signing-certificates", v.session.user_id),
                Some(&w.admin),
                Some(json!({ "pem": String::from_utf8(file("signer-a.pem")).expect("pem") })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let (_, _, motion) = w
            .open_motion(json!({
                "signed_ballots": true, "mode": "written", "deadline": now + 86_400_000,
            }))
            .await;
        let seen = w.env.head(&v.session).await;
        // A ballot whose token signature covers the hash of `signed_form`
        // and which carries `form` (either may be absent).
        let ballot = |op: &str, form: Option<&[u8]>, signed_form: Option<&[u8]>| -> Value {
            let mut op_value = v.ballot(op, &motion, 0, now, seen);
            let hash: Option<[u8; 32]> = signed_form.map(|f| {
                ring::digest::digest(&ring::digest::SHA256, f)
                    .as_ref()
                    .try_into()
                    .expect("32 bytes")
            });
            let bytes = ballot_of(&v, op, &motion, 0, now, seen).qualified_bytes(hash.as_ref());
            token.qualify(&mut op_value, &bytes, true);
            if let Some(f) = form {
                op_value["body"]["qualified"]["opinion_form"] = json!(BASE64.encode(f));
            }
            op_value
        };
        // valid.pdf: signed whole by signer A (the member's token), as the
        // app signs the form it writes.
        let form = file("valid.pdf");
        let refused = outcomes(
            &w.env,
            &v.session,
            vec![
                // No form at all.
                ballot("no-form", None, None),
                // A form the token's ballot signature does not cover.
                ballot("swapped-form", Some(&form), Some(&file("two.pdf"))),
                // Changed after signing, not a PDF, or signed by another
                // certificate on top (signer B's second signature).
                ballot(
                    "modified",
                    Some(&file("modified.pdf")),
                    Some(&file("modified.pdf")),
                ),
                ballot("not-pdf", Some(b"not a pdf"), Some(b"not a pdf")),
                ballot("plain", Some(&file("plain.pdf")), Some(&file("plain.pdf"))),
                ballot("two", Some(&file("two.pdf")), Some(&file("two.pdf"))),
            ],
        )
        .await;
        assert_eq!(
            refused,
            [
                "rejected:opinion_form",
                "rejected:qualified_signature",
                "rejected:opinion_form",
                "rejected:opinion_form",
                "rejected:opinion_form",
                "rejected:opinion_form",
            ]
        );
        let huge = vec![b'%'; ecabinet_protocol::MAX_OPINION_FORM_BYTES + 1];
        assert_eq!(
            outcomes(
                &w.env,
                &v.session,
                vec![ballot("huge", Some(&huge), Some(&huge))]
            )
            .await,
            ["rejected:opinion_form"]
        );
        let nothing = w
            .env
            .call(
                "GET",
                &format!("/v1/motions/{motion}/opinions"),
                Some(&w.chair),
                None,
            )
            .await
            .1;
        assert_eq!(nothing["forms"], json!([]), "a refused form is not kept");

        // The form signed whole by the ballot's token, covered by it: counted.
        assert_eq!(
            outcomes(
                &w.env,
                &v.session,
                vec![ballot("with-form", Some(&form), Some(&form))]
            )
            .await,
            ["accepted"]
        );
        let form_sha = ecabinet_protocol::hex::sha256_hex(&form);
        // The secretary and the chair (and any member of the committee) see
        // it listed and read it as the member signed it.
        for who in [&w.secretary, &w.chair] {
            let (s, list) = w
                .env
                .call(
                    "GET",
                    &format!("/v1/motions/{motion}/opinions"),
                    Some(who),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{list}");
            let forms = list["forms"].as_array().expect("forms");
            assert_eq!(forms.len(), 1, "{list}");
            assert_eq!(forms[0]["op_id"], "with-form");
            assert_eq!(forms[0]["member_id"], json!(v.session.user_id));
            assert_eq!(forms[0]["sha256"], json!(form_sha));
            assert_eq!(forms[0]["size"], json!(form.len()));
            assert_eq!(forms[0]["counting"], true);
        }
        let get_form = |op: &str| {
            let req = w
                .secretary
                .headers(
                    axum::http::Request::builder()
                        .uri(format!("/v1/motions/{motion}/opinions/{op}")),
                )
                .body(axum::body::Body::empty())
                .expect("request");
            w.env.raw(req)
        };
        let (s, headers, bytes) = get_form("with-form").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(&bytes[..], &form[..], "the form as signed, byte for byte");
        // Another committee's people learn nothing.
        let (s, _) = w
            .env
            .call(
                "GET",
                &format!("/v1/motions/{motion}/opinions"),
                Some(&w.outsider),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(get_form("no-form").await.0, StatusCode::NOT_FOUND);

        // The audit record holds the form's hash, and the token's signature
        // checks over the bytes rebuilt from the record.
        let stored: Vec<String> = w
            .env
            .audit_records()
            .await
            .into_iter()
            .filter(|r| r.contains("opinion_sha256"))
            .collect();
        assert_eq!(stored.len(), 1, "{stored:?}");
        let wire: AuditRecordWire = serde_json::from_str(&stored[0]).expect("wire");
        let Some(ecabinet_model::AuditRecord::NamedBallot {
            op_id,
            motion_id,
            member_id,
            choice,
            qualified: Some(seal),
            ..
        }) = wire.to_model()
        else {
            panic!("a signed named ballot: {}", stored[0]);
        };
        assert_eq!(
            seal.opinion_sha256
                .map(|h| ecabinet_protocol::hex::encode(&h)),
            Some(form_sha.clone())
        );
        let signed = seal.signed_bytes(&op_id, &motion_id, &member_id, choice);
        let spki = token.key.public().as_ref().to_vec();
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, spki)
            .verify(&signed, &seal.signature)
            .expect("the token's signature holds over the rebuilt bytes");
    }
);
