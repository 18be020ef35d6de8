//! Document commands of `ecabinet`: list, search, render, annotate, export.

use anyhow::{Context, Result};
use ecabinet_tests::TestServer;
use serde_json::Value;

use crate::{ecabinet, text, PIN};

async fn enrolled_and_synced(server: &TestServer, dir: &std::path::Path) -> Result<()> {
    let (user, password) = server.account("member")?;
    let env = [
        ("ECABINET_PASSWORD", password.as_str()),
        ("ECABINET_PIN", PIN),
    ];
    let out = ecabinet(
        dir,
        &[
            "enrol",
            "--server",
            &server.url(),
            "--user",
            &user,
            "--server-fingerprint",
            &server.fingerprint(),
        ],
        &env,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = ecabinet(dir, &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    Ok(())
}

async fn json(dir: &std::path::Path, args: &[&str]) -> Result<Value> {
    let out = ecabinet(dir, args, &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_render_annotate_and_export_from_the_command_line() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    enrolled_and_synced(&server, dir.path()).await?;

    let docs = json(dir.path(), &["documents", "--json"]).await?;
    let docs = docs.as_array().context("array")?;
    assert!(docs.len() >= 3);
    assert!(docs
        .iter()
        .all(|d| d["versions"].as_array().is_some_and(|v| !v.is_empty())));

    // Offline search without diacritics finds the Vietnamese text.
    let hits = json(dir.path(), &["search", "ke hoach dau tu cong", "--json"]).await?;
    let hits = hits.as_array().context("hits")?;
    assert!(
        !hits.is_empty(),
        "no hit for a phrase of the demo documents"
    );
    let hit = &hits[0];
    assert!(
        hit["text"]
            .as_str()
            .context("text")?
            .to_lowercase()
            .contains("đầu tư công"),
        "{hit}"
    );
    assert!(hit["page"].as_u64().context("page")? >= 1);
    assert!(!hit["rects"].as_array().context("rects")?.is_empty());
    let doc_id = hit["document_id"].as_str().context("doc")?.to_owned();

    // Render page 1 at 150 dpi: an A4 page is 1240 × 1754 px.
    let png = dir.path().join("page1.png");
    let out = ecabinet(
        dir.path(),
        &[
            "render",
            &doc_id,
            "--page",
            "1",
            "--dpi",
            "150",
            "--out",
            png.to_str().context("path")?,
        ],
        &[("ECABINET_PIN", PIN)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let bytes = std::fs::read(&png)?;
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into()?),
        u32::from_be_bytes(bytes[20..24].try_into()?),
    );
    assert_eq!((w, h), (1240, 1754));

    // Annotate: a highlight, a note and an ink stroke, then export.
    let rect = "72,700,300,720";
    for (kind, extra) in [
        ("highlight", None),
        ("note", Some("Cần làm rõ nguồn vốn")),
        ("ink", None),
    ] {
        let mut args = vec![
            "annotate",
            doc_id.as_str(),
            "--page",
            "1",
            "--kind",
            kind,
            "--rect",
            rect,
        ];
        if let Some(t) = extra {
            args.extend(["--text", t]);
        }
        let out = ecabinet(dir.path(), &args, &[("ECABINET_PIN", PIN)]).await?;
        assert!(out.status.success(), "{}", text(&out));
    }
    let exported = dir.path().join("with-notes.pdf");
    let out = ecabinet(
        dir.path(),
        &["export", &doc_id, exported.to_str().context("path")?],
        &[("ECABINET_PIN", PIN)],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 annotations"),
        "{}",
        text(&out)
    );

    // Reopened by PDFium: each annotation with its type, page and place.
    let engine = ecabinet_pdf::PdfEngine::start(Default::default())?;
    let found = engine.read_annotations(std::fs::read(&exported)?)?;
    let mut subtypes: Vec<String> = found.iter().map(|a| a.subtype.clone()).collect();
    subtypes.sort();
    // The sticky note comes with its /Popup.
    assert_eq!(subtypes.len(), 4, "{subtypes:?}");
    let joined = subtypes.join(",");
    for want in ["Highlight", "Ink", "Text", "Popup"] {
        assert!(joined.contains(want), "{joined}");
    }
    assert!(found.iter().all(|a| a.page == 0));
    // And by an independent reader.
    let qpdf = std::process::Command::new("qpdf")
        .arg("--check")
        .arg(&exported)
        .output()?;
    assert!(
        qpdf.status.success(),
        "{}",
        String::from_utf8_lossy(&qpdf.stdout)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_commands_refuse_bad_input_clearly() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    enrolled_and_synced(&server, dir.path()).await?;
    let docs = json(dir.path(), &["documents", "--json"]).await?;
    let doc_id = docs[0]["id"].as_str().context("doc")?.to_owned();
    let pin = [("ECABINET_PIN", PIN)];

    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["render", &doc_id, "--page", "999", "--out", "/tmp/x.png"],
            "does not exist",
        ),
        // An A4 page at 1,100 dpi is 9,090 × 12,864 pixels: refused at once,
        // naming the render limit, instead of rendering for many seconds.
        (
            vec![
                "render",
                &doc_id,
                "--page",
                "1",
                "--dpi",
                "1100",
                "--out",
                "/tmp/x.png",
            ],
            "limit of 50000000 pixels",
        ),
        (
            vec![
                "render",
                "no-such-doc",
                "--page",
                "1",
                "--out",
                "/tmp/x.png",
            ],
            "no document",
        ),
        (
            vec![
                "annotate",
                &doc_id,
                "--page",
                "1",
                "--kind",
                "highlight",
                "--rect",
                "1,2,3",
            ],
            "four numbers",
        ),
        (
            vec![
                "annotate", &doc_id, "--page", "1", "--kind", "note", "--rect", "1,2,3,4",
            ],
            "--text",
        ),
    ];
    for (args, expect) in cases {
        let out = ecabinet(dir.path(), &args, &pin).await?;
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    Ok(())
}
