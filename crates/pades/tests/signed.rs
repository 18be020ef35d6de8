//! Real PAdES signatures made by pyHanko with a test CA
//! (`tests/pades/make_signed.py`): each document's signatures checked by
//! this crate agree with what the generator made (the ground truth) and
//! with pyHanko's own validator (`tests/pades/validate.py`), an
//! independent implementation.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};
use ecabinet_pades::{
    verdict, verify_bytes, Integrity, Revocation, Trust, TrustStore, Validity, Verdict,
};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The signed documents, made once per test run.
fn fixtures() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    ecabinet_testca::signed_pdfs(dir.path())?;
    Ok(dir)
}

fn trust(dir: &Path) -> Result<TrustStore> {
    Ok(TrustStore::from_pem(&std::fs::read_to_string(
        dir.join("root.pem"),
    )?)?)
}

#[test]
fn every_signed_document_is_judged_as_it_was_made() -> Result<()> {
    let dir = fixtures()?;
    let trust = trust(dir.path())?;
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("expected.json"))?)?;
    ensure!(
        expected.len() >= 7,
        "the generator made {} documents",
        expected.len()
    );
    for (file, sigs) in &expected {
        let pdf = std::fs::read(dir.path().join(file))?;
        let reports = verify_bytes(&pdf, &trust, now());
        let sigs = sigs.as_array().context("list")?;
        assert_eq!(reports.len(), sigs.len(), "{file}: {reports:#?}");
        for (report, want) in reports.iter().zip(sigs) {
            let flag = |k: &str| want[k].as_bool().unwrap_or_default();
            assert_eq!(report.signer.as_deref(), want["signer"].as_str(), "{file}");
            assert_eq!(
                report.organisation.as_deref(),
                want["organisation"].as_str(),
                "{file}"
            );
            assert_eq!(
                report.integrity == Integrity::Intact,
                flag("intact"),
                "{file}: {report:#?}"
            );
            assert_eq!(
                report.covers_whole_file,
                flag("covers_whole_file"),
                "{file}: {report:#?}"
            );
            // A signature that does not verify is not followed to a root
            // (its chain would cost checks and mean nothing).
            if report.integrity != Integrity::Broken {
                assert_eq!(
                    report.trust == Trust::Trusted,
                    flag("trusted"),
                    "{file}: {report:#?}"
                );
                assert_eq!(
                    report.validity == Validity::Expired,
                    flag("expired"),
                    "{file}: {report:#?}"
                );
            } else {
                assert_eq!(report.trust, Trust::Untrusted, "{file}");
            }
            assert!(
                report.signed_at.is_some_and(|t| (t - now()).abs() < 3600),
                "{file}: {report:#?}"
            );
        }
    }
    Ok(())
}

#[test]
fn the_badge_says_what_a_reader_must_know() -> Result<()> {
    let dir = fixtures()?;
    let trust = trust(dir.path())?;
    let badge = |file: &str| -> Result<Verdict> {
        Ok(verdict(&verify_bytes(
            &std::fs::read(dir.path().join(file))?,
            &trust,
            now(),
        )))
    };
    assert_eq!(badge("plain.pdf")?, Verdict::Unsigned);
    assert_eq!(badge("valid.pdf")?, Verdict::Valid);
    // The second signer signed the first one's document as it stood: valid.
    assert_eq!(badge("two.pdf")?, Verdict::Valid);
    assert_eq!(badge("modified.pdf")?, Verdict::Broken);
    assert_eq!(badge("cms-tampered.pdf")?, Verdict::Broken);
    assert_eq!(badge("untrusted.pdf")?, Verdict::Warning);
    assert_eq!(badge("expired.pdf")?, Verdict::Warning);
    assert_eq!(badge("appended.pdf")?, Verdict::Warning);

    let appended = verify_bytes(
        &std::fs::read(dir.path().join("appended.pdf"))?,
        &trust,
        now(),
    );
    assert!(appended[0].unsigned_changes_after, "{appended:#?}");
    let two = verify_bytes(&std::fs::read(dir.path().join("two.pdf"))?, &trust, now());
    assert!(
        !two[0].covers_whole_file && !two[0].unsigned_changes_after,
        "{two:#?}"
    );
    // A later signature from a key no one trusts does not vouch for the
    // changes after the first one.
    let untrusted = verify_bytes(
        &std::fs::read(dir.path().join("two.pdf"))?,
        &TrustStore::default(),
        now(),
    );
    assert!(untrusted[0].unsigned_changes_after, "{untrusted:#?}");
    assert_eq!(verdict(&untrusted), Verdict::Warning);

    // Checked at a time before the certificates were issued: not valid yet.
    let early = verify_bytes(
        &std::fs::read(dir.path().join("valid.pdf"))?,
        &trust,
        now() - 10 * 86_400,
    );
    assert_eq!(early[0].validity, Validity::NotYetValid, "{early:#?}");
    assert_eq!(verdict(&early), Verdict::Warning);

    // With no root trusted, the same valid document is intact but untrusted.
    let none = verify_bytes(
        &std::fs::read(dir.path().join("valid.pdf"))?,
        &TrustStore::default(),
        now(),
    );
    assert_eq!(
        (none[0].integrity, none[0].trust),
        (Integrity::Intact, Trust::Untrusted)
    );
    assert!(
        none[0]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("E-Cabinet Test Root CA")),
        "{none:#?}"
    );
    Ok(())
}

#[test]
fn pyhanko_agrees_on_every_signature() -> Result<()> {
    let dir = fixtures()?;
    let trust = trust(dir.path())?;
    let mut compared = 0;
    for file in [
        "valid.pdf",
        "modified.pdf",
        "untrusted.pdf",
        "expired.pdf",
        "two.pdf",
        "appended.pdf",
        "cms-tampered.pdf",
    ] {
        let path = dir.path().join(file);
        let out = Command::new(ecabinet_testca::python())
            .arg(ecabinet_testca::pades_script("validate.py"))
            .arg(&path)
            .arg(dir.path().join("root.pem"))
            .output()?;
        ensure!(
            out.status.success(),
            "validate.py {file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<serde_json::Value> = String::from_utf8(out.stdout)?
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        let ours = verify_bytes(&std::fs::read(&path)?, &trust, now());
        assert_eq!(ours.len(), theirs.len(), "{file}");
        for (o, t) in ours.iter().zip(&theirs) {
            assert_eq!(o.signer.as_deref(), t["signer"].as_str(), "{file}");
            assert_eq!(
                o.integrity == Integrity::Intact,
                t["intact"] == true,
                "{file}: {o:#?} vs {t}"
            );
            assert_eq!(
                o.covers_whole_file,
                t["coverage"] == "ENTIRE_FILE",
                "{file}: {o:#?} vs {t}"
            );
            // pyHanko's `trusted` is "a valid chain now": an expired chain is not.
            let trusted_now = o.trust == Trust::Trusted && o.validity == Validity::Valid;
            if o.integrity == Integrity::Intact {
                assert_eq!(trusted_now, t["trusted"] == true, "{file}: {o:#?} vs {t}");
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 8);
    Ok(())
}

/// The CAs' revocation lists kept with the roots (`X509 CRL` blocks in the
/// same PEM text): a certificate a genuine list names is revoked, a
/// current list that does not name it vouches for it, and a stale or
/// forged list vouches for nothing.
#[test]
fn revocation_is_known_offline_from_the_cas_genuine_current_lists() -> Result<()> {
    let dir = fixtures()?;
    let pdf = |f: &str| std::fs::read(dir.path().join(f));
    let store = |parts: &[&str]| -> Result<TrustStore> {
        let mut pem = String::new();
        for part in parts {
            pem.push_str(&std::fs::read_to_string(dir.path().join(part))?);
        }
        Ok(TrustStore::from_pem(&pem)?)
    };
    let check = |trust: &TrustStore, file: &str| -> Result<_> {
        let reports = verify_bytes(&pdf(file)?, trust, now());
        ensure!(!reports.is_empty(), "{file}: no signature found");
        Ok(reports)
    };

    // Roots alone: nothing is known, and the badge does not pretend.
    let roots = store(&["root.pem"])?;
    let r = check(&roots, "revoked.pdf")?;
    assert_eq!(r[0].revocation, Revocation::Unknown);
    assert_eq!(r[0].signer.as_deref(), Some("Hoàng Văn Thu"));
    assert_eq!(verdict(&r), Verdict::Valid);

    let lists = store(&["root.pem", "intermediate.crl.pem", "root.crl.pem"])?;
    assert_eq!(lists.revocation_lists(), 2);
    let r = check(&lists, "revoked.pdf")?;
    assert_eq!(r[0].revocation, Revocation::Revoked);
    assert_eq!(r[0].integrity, Integrity::Intact, "revoked, not altered");
    assert_eq!(verdict(&r), Verdict::Broken);
    let problem = r[0].problem.as_deref().unwrap_or_default();
    assert!(problem.contains("revoked by its CA"), "{problem}");
    for file in ["valid.pdf", "two.pdf"] {
        let r = check(&lists, file)?;
        assert!(
            r.iter().all(|s| s.revocation == Revocation::Good),
            "{file}: {r:?}"
        );
        assert_eq!(verdict(&r), Verdict::Valid, "{file}");
    }
    // No list of the stranger's CA: still unknown.
    let r = check(&lists, "untrusted.pdf")?;
    assert_eq!(r[0].revocation, Revocation::Unknown);

    // A list past its next update cannot vouch; a list in the CA's name
    // signed by another key is ignored, even when it "revokes".
    let stale = store(&["root.pem", "stale.crl.pem"])?;
    assert_eq!(
        check(&stale, "valid.pdf")?[0].revocation,
        Revocation::Unknown
    );
    // The badge says why: the CA's list is out of date.
    let r = check(&stale, "valid.pdf")?;
    let problem = r[0].problem.as_deref().unwrap_or_default();
    assert!(problem.contains("out of date"), "{problem}");
    // A certificate on hold (suspended) counts as revoked while it is.
    let held = store(&["root.pem", "held.crl.pem"])?;
    let r = check(&held, "valid.pdf")?;
    assert_eq!(r[0].revocation, Revocation::Revoked);
    assert_eq!(verdict(&r), Verdict::Broken);
    let problem = r[0].problem.as_deref().unwrap_or_default();
    assert!(problem.contains("suspended (on hold)"), "{problem}");
    let forged = store(&["root.pem", "forged.crl.pem"])?;
    let r = check(&forged, "valid.pdf")?;
    assert_eq!(r[0].revocation, Revocation::Unknown);
    assert_eq!(verdict(&r), Verdict::Valid);

    // The lists travel with the roots and come back the same.
    assert_eq!(TrustStore::from_pem(&lists.to_pem())?, lists);
    // A damaged list is refused with the roots, saying which block.
    let mut text = std::fs::read_to_string(dir.path().join("root.pem"))?;
    let crl = std::fs::read_to_string(dir.path().join("intermediate.crl.pem"))?;
    let cut = crl.find("\n-----END").unwrap_or(crl.len());
    text.push_str(&crl[..cut - 20]);
    text.push_str(&crl[cut..]);
    let e = TrustStore::from_pem(&text).expect_err("a damaged list");
    assert!(e.to_string().contains("revocation list 1"), "{e}");
    // Their number is bounded, with a clear error past it.
    let root_pem = std::fs::read_to_string(dir.path().join("root.pem"))?;
    let one = std::fs::read_to_string(dir.path().join("root.crl.pem"))?;
    let most = ecabinet_pades::MAX_REVOCATION_LISTS;
    let full = TrustStore::from_pem(&format!("{root_pem}{}", one.repeat(most)))?;
    assert_eq!(full.revocation_lists(), most);
    let e = TrustStore::from_pem(&format!("{root_pem}{}", one.repeat(most + 1)))
        .expect_err("too many lists");
    assert!(e.to_string().contains(&format!("more than {most}")), "{e}");
    Ok(())
}

/// A ballot's token signature (raw data, no PDF): good only from a key whose
/// certificate chains to a trusted root and is neither expired nor revoked.
#[test]
fn a_token_signature_over_raw_data_is_checked_like_a_document_signature() -> Result<()> {
    let dir = fixtures()?;
    let file = |f: &str| std::fs::read(dir.path().join(f));
    let key = ring::signature::RsaKeyPair::from_pkcs8(&file("signer-a.key.der")?)
        .map_err(|e| anyhow::anyhow!("key: {e}"))?;
    let sign = |data: &[u8]| -> Result<Vec<u8>> {
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            data,
            &mut signature,
        )
        .map_err(|e| anyhow::anyhow!("sign: {e}"))?;
        Ok(signature)
    };
    let (cert, chain) = (file("signer-a.der")?, vec![file("intermediate.der")?]);
    let ballot = "phiếu biểu quyết: tán thành".as_bytes();
    let signature = sign(ballot)?;
    let roots = trust(dir.path())?;

    let ok = ecabinet_pades::verify_qualified(&cert, &chain, ballot, &signature, &roots, now())
        .map_err(|e| anyhow::anyhow!(e))?;
    assert_eq!(ok.signer.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(
        ok.certificate_sha256.to_vec(),
        ring::digest::digest(&ring::digest::SHA256, &cert).as_ref()
    );

    let other = "phiếu biểu quyết: không tán thành".as_bytes();
    let e = ecabinet_pades::verify_qualified(&cert, &chain, other, &signature, &roots, now())
        .expect_err("another ballot");
    assert!(e.to_string().contains("does not match"), "{e}");
    // Without the issuing CA's certificate, or against roots that do not
    // include ours, there is no chain.
    assert!(
        ecabinet_pades::verify_qualified(&cert, &[], ballot, &signature, &roots, now()).is_err()
    );
    let strangers =
        TrustStore::from_pem(&std::fs::read_to_string(dir.path().join("other-root.pem"))?)?;
    let e = ecabinet_pades::verify_qualified(&cert, &chain, ballot, &signature, &strangers, now())
        .expect_err("untrusted");
    assert!(e.to_string().contains("trust"), "{e}");
    // Years later, the certificate has expired.
    let later = now() + 3 * 365 * 86_400;
    let e = ecabinet_pades::verify_qualified(&cert, &chain, ballot, &signature, &roots, later)
        .expect_err("expired");
    assert!(e.to_string().contains("expired"), "{e}");
    // The deployment keeps the issuing CA's lists: one must be current. A
    // stale one leaves revocation unknown, and the ballot is not counted
    // on a guess; a current one that does not name the signer vouches.
    let with = |lists: &[&str]| -> Result<TrustStore> {
        let mut pem = std::fs::read_to_string(dir.path().join("root.pem"))?;
        for l in lists {
            pem.push_str(&std::fs::read_to_string(dir.path().join(l))?);
        }
        Ok(TrustStore::from_pem(&pem)?)
    };
    let e = ecabinet_pades::verify_qualified(
        &cert,
        &chain,
        ballot,
        &signature,
        &with(&["stale.crl.pem"])?,
        now(),
    )
    .expect_err("stale list");
    assert!(
        matches!(&e, ecabinet_pades::QualifiedRefusal::RevocationUnknown(why) if why.contains("out of date")),
        "{e:?}"
    );
    for current in [
        &["intermediate.crl.pem"][..],
        &["stale.crl.pem", "intermediate.crl.pem"],
    ] {
        ecabinet_pades::verify_qualified(&cert, &chain, ballot, &signature, &with(current)?, now())
            .map_err(|e| anyhow::anyhow!("{current:?}: {e}"))?;
    }
    let e = ecabinet_pades::verify_qualified(
        &cert,
        &chain,
        ballot,
        &signature,
        &with(&["held.crl.pem"])?,
        now(),
    )
    .expect_err("on hold");
    assert!(
        matches!(&e, ecabinet_pades::QualifiedRefusal::Invalid(why) if why.contains("on hold")),
        "{e:?}"
    );
    // A certificate of the chain revoked by a list kept with the roots.
    let revoking = TrustStore::from_pem(&format!(
        "{}{}",
        std::fs::read_to_string(dir.path().join("root.pem"))?,
        std::fs::read_to_string(dir.path().join("forged.crl.pem"))?
    ))?;
    // (A forged list revokes nothing.)
    assert!(
        ecabinet_pades::verify_qualified(&cert, &chain, ballot, &signature, &revoking, now())
            .is_ok()
    );
    // Roots parsed once give the same answers as the store itself.
    let parsed = roots.parsed();
    let again =
        ecabinet_pades::verify_qualified_against(&cert, &chain, ballot, &signature, &parsed, now())
            .map_err(|e| anyhow::anyhow!(e))?;
    assert_eq!(again.certificate_sha256, ok.certificate_sha256);
    assert!(ecabinet_pades::verify_qualified_against(
        &cert,
        &chain,
        other,
        &signature,
        &parsed,
        now()
    )
    .is_err());
    Ok(())
}

/// An administrator registers a member's signing certificate from its PEM
/// export: exactly one certificate, described as the roots are.
#[test]
fn a_signing_certificate_is_read_from_one_pem_block() -> Result<()> {
    let dir = fixtures()?;
    let pem = std::fs::read_to_string(dir.path().join("signer-a.pem"))?;
    let (der, info) = ecabinet_pades::single_certificate(&pem)?;
    assert_eq!(der, std::fs::read(dir.path().join("signer-a.der"))?);
    assert_eq!(info.name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(
        info.sha256,
        hex(ring::digest::digest(&ring::digest::SHA256, &der).as_ref())
    );
    let root = std::fs::read_to_string(dir.path().join("root.pem"))?;
    let crl = std::fs::read_to_string(dir.path().join("root.crl.pem"))?;
    for (text, why) in [
        (format!("{pem}{root}"), "two certificates"),
        (format!("{pem}{crl}"), "a revocation list with it"),
        (String::new(), "nothing"),
        ("not a certificate".to_owned(), "no PEM block"),
        (pem.replace('M', "!"), "damaged base64"),
        (root.clone(), "a CA's certificate"),
        (
            format!("{pem}-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"),
            "a private key with it",
        ),
    ] {
        let e = ecabinet_pades::single_certificate(&text).expect_err(why);
        assert!(e.to_string().contains("certificate"), "{why}: {e}");
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn damage_to_a_signed_file_is_reported_and_never_panics() -> Result<()> {
    let dir = fixtures()?;
    let trust = trust(dir.path())?;
    let pdf = std::fs::read(dir.path().join("valid.pdf"))?;
    // Cut short: the signature now reaches past the end.
    let cut = verify_bytes(&pdf[..pdf.len() - 100], &trust, now());
    assert_eq!(cut.len(), 1);
    assert_eq!(cut[0].integrity, Integrity::Broken);
    assert!(
        cut[0]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("truncated")),
        "{cut:#?}"
    );
    // A change anywhere in the signature's hex string (its certificates,
    // attributes, signature, padding) never panics, and never makes a
    // trusted signature in another name: a changed certificate no longer
    // chains to the root.
    let start = find(&pdf, b"/Contents <").context("contents")? + 11;
    let mut trusted = 0;
    for offset in (start..start + 4000).step_by(7) {
        let mut bad = pdf.clone();
        bad[offset] = if bad[offset] == b'0' { b'f' } else { b'0' };
        for r in verify_bytes(&bad, &trust, now()) {
            if r.integrity == Integrity::Intact && r.trust == Trust::Trusted {
                assert_eq!(r.signer.as_deref(), Some("Nguyễn Văn An"), "{r:#?}");
                trusted += 1;
            }
        }
    }
    // Some changes land where nothing is checked (unsigned parts such as
    // the certificate of the issuer's issuer), most do not.
    assert!(
        trusted < 400,
        "{trusted} of 572 changes left a trusted signature"
    );
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Signs `pdf` as `ecabinet sign` does, with signer A's key in software
/// (the token tests use the same key inside SoftHSM2).
fn sign_with_software_key(dir: &Path, pdf: Vec<u8>, reason: &str) -> Result<Vec<u8>> {
    use ecabinet_pades::sign::{prepare, signed_attributes, signed_data, SignRequest};
    let key =
        ring::signature::RsaKeyPair::from_pkcs8(&std::fs::read(dir.join("signer-a.key.der"))?)
            .map_err(|e| anyhow::anyhow!("key: {e}"))?;
    let cert = std::fs::read(dir.join("signer-a.der"))?;
    let chain = vec![std::fs::read(dir.join("intermediate.der"))?];
    let prepared = prepare(
        pdf,
        &SignRequest {
            name: Some("Nguyễn Văn An".into()),
            reason: Some(reason.into()),
            location: Some("Thành phố Huế".into()),
            signed_at: now(),
        },
    )?;
    let attrs = signed_attributes(&prepared.digest(), &cert)?;
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        &attrs,
        &mut signature,
    )
    .map_err(|e| anyhow::anyhow!("sign: {e}"))?;
    let cms = signed_data(&attrs, &signature, &cert, &chain)?;
    Ok(prepared.finish(&cms)?)
}

#[test]
fn what_we_sign_verifies_here_in_pyhanko_and_in_poppler() -> Result<()> {
    let dir = fixtures()?;
    let trust = trust(dir.path())?;
    let signed = sign_with_software_key(
        dir.path(),
        std::fs::read(dir.path().join("plain.pdf"))?,
        "Ký ban hành biên bản",
    )?;
    let ours = verify_bytes(&signed, &trust, now());
    assert_eq!(verdict(&ours), Verdict::Valid, "{ours:#?}");
    assert_eq!(ours[0].signer.as_deref(), Some("Nguyễn Văn An"));
    assert!(ours[0].covers_whole_file);

    // Signed again on top of pyHanko's signature: both stay intact.
    let countersigned = sign_with_software_key(
        dir.path(),
        std::fs::read(dir.path().join("valid.pdf"))?,
        "Đồng ý",
    )?;
    let both = verify_bytes(&countersigned, &trust, now());
    assert_eq!(both.len(), 2);
    assert_eq!(verdict(&both), Verdict::Valid, "{both:#?}");

    for (name, bytes, count) in [
        ("ours.pdf", &signed, 1),
        ("countersigned.pdf", &countersigned, 2),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes)?;
        // pyHanko: every signature intact, valid and trusted.
        let out = Command::new(ecabinet_testca::python())
            .arg(ecabinet_testca::pades_script("validate.py"))
            .arg(&path)
            .arg(dir.path().join("root.pem"))
            .output()?;
        ensure!(
            out.status.success(),
            "validate.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)?
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        assert_eq!(lines.len(), count, "{lines:?}");
        for l in &lines {
            assert!(
                l["intact"] == true && l["valid"] == true && l["trusted"] == true,
                "{name}: {l}"
            );
        }
        // Poppler (no trust store here: only the signature itself is judged).
        let out = Command::new("pdfsig")
            .arg(&path)
            .output()
            .context("pdfsig (poppler-utils)")?;
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.matches("Signature Validation: Signature is Valid.")
                .count(),
            count,
            "{name}: {text}"
        );
    }
    Ok(())
}
