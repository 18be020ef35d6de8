//! Document commands of `ecabinet`: list, search, render, annotate, export.

use anyhow::{Context, Result};
use ecabinet_tests::TestServer;
use serde_json::Value;

use crate::{ecabinet, enrol_as, text, PIN};

async fn enrolled_and_synced(server: &TestServer, dir: &std::path::Path) -> Result<()> {
    enrol_as(server, "member", dir).await?;
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

/// Three PDFs members cannot open, as a server that did not check uploads
/// accepted them: no pages, a password, damaged between a good header and
/// end marker. Returns their titles.
async fn publish_unreadable_documents(server: &TestServer) -> Result<Vec<&'static str>> {
    let secretary = server.client("secretary").await?;
    let changes = secretary.get("/v1/changes?since=0&limit=1000").await?;
    let changes = changes["changes"].as_array().context("changes")?;
    let meeting = changes
        .iter()
        .find(|c| c["entity"] == "meeting" && c["body"]["status"] == "published")
        .and_then(|c| c["id"].as_str())
        .context("a published meeting")?
        .to_owned();
    let item = changes
        .iter()
        .find(|c| c["entity"] == "agenda_item" && c["body"]["meeting_id"] == meeting.as_str())
        .and_then(|c| c["id"].as_str())
        .context("an agenda item")?
        .to_owned();

    let no_pages = ecabinet_pdf::testing::zero_page_pdf();
    let mut damaged = b"%PDF-1.7\n".to_vec();
    damaged.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    damaged.extend_from_slice(b"\n%%EOF\n");
    let tmp = tempfile::tempdir()?;
    let plain = tmp.path().join("plain.pdf");
    let locked = tmp.path().join("locked.pdf");
    std::fs::write(&plain, ecabinet_tests::pdf_of_size(2_000, 7))?;
    let status = std::process::Command::new("qpdf")
        .args(["--encrypt", "mat-khau", "chu-so-huu", "256", "--"])
        .arg(&plain)
        .arg(&locked)
        .status()
        .context("qpdf (scripts/setup installs it)")?;
    assert!(status.success());
    let bad = [
        ("Tài liệu không có trang", no_pages),
        ("Tài liệu có mật khẩu", std::fs::read(&locked)?),
        ("Tài liệu bị hỏng", damaged),
    ];
    for (title, pdf) in &bad {
        let doc = secretary
            .post(
                &format!("/v1/agenda/{item}/documents"),
                serde_json::json!({ "title": title }),
            )
            .await?;
        secretary
            .upload_pdf(doc["id"].as_str().context("doc id")?, pdf.clone())
            .await?;
    }
    secretary
        .post(&format!("/v1/meetings/{meeting}/publish"), Value::Null)
        .await?;
    Ok(bad.iter().map(|(t, _)| *t).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unreadable_document_never_stops_search_list_or_export_of_the_others() -> Result<()> {
    // Documents a server published before it checked uploads (or that a
    // member's PDFium reads differently): that server's check says yes to
    // everything.
    let tmp = tempfile::tempdir()?;
    let accept_all = tmp.path().join("accept-all");
    std::fs::write(&accept_all, "#!/bin/sh\necho '{\"ok\":true,\"pages\":1}'\n")?;
    std::fs::set_permissions(
        &accept_all,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )?;
    let server = TestServer::start_with(ecabinet_server::Config {
        pdf_check: ecabinet_server::pdf_check::PdfCheck {
            checker: Some(accept_all),
            ..Default::default()
        },
        ..Default::default()
    })
    .await?;
    let bad = publish_unreadable_documents(&server).await?;
    let dir = tempfile::tempdir()?;
    enrolled_and_synced(&server, dir.path()).await?;
    let pin = [("ECABINET_PIN", PIN)];

    // Search finds the good documents' text and names each bad document.
    let out = ecabinet(
        dir.path(),
        &["search", "ke hoach dau tu cong", "--json"],
        &pin,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let hits: Value = serde_json::from_slice(&out.stdout)?;
    assert!(
        hits.as_array().is_some_and(|h| !h.is_empty()),
        "{}",
        text(&out)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    // Each by name, with its own reason.
    for (title, reason) in bad
        .iter()
        .zip(["no pages", "password", "not a readable PDF"])
    {
        assert!(
            err.lines()
                .any(|l| l.starts_with("not searched:") && l.contains(title) && l.contains(reason)),
            "{title} not reported with «{reason}»: {err}"
        );
    }
    assert_eq!(err.lines().count(), bad.len(), "only the bad ones: {err}");

    // The list shows every document, the bad ones too.
    let docs = json(dir.path(), &["documents", "--json"]).await?;
    let docs = docs.as_array().context("array")?;
    for title in &bad {
        assert!(docs.iter().any(|d| d["title"] == *title), "{title} listed");
    }
    // A good document still exports; a bad one fails alone, by its reason.
    let good = docs
        .iter()
        .find(|d| !bad.iter().any(|t| d["title"] == *t))
        .and_then(|d| d["id"].as_str())
        .context("a good document")?;
    let exported = dir.path().join("good.pdf");
    let out = ecabinet(
        dir.path(),
        &["export", good, exported.to_str().context("path")?],
        &pin,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(std::fs::read(&exported)?.starts_with(b"%PDF-"));
    let damaged = docs
        .iter()
        .find(|d| d["title"] == bad[2])
        .and_then(|d| d["id"].as_str())
        .context("the damaged document")?;
    let never = dir.path().join("never-written.pdf");
    let out = ecabinet(
        dir.path(),
        &["export", damaged, never.to_str().context("path")?],
        &pin,
    )
    .await?;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a readable PDF"),
        "{}",
        text(&out)
    );
    assert!(!never.exists(), "no file for a failed export");
    Ok(())
}

/// The document's signed policy (issue 19) holds on the command line too:
/// no copy while export is forbidden (export and a page render to a file
/// both refused, with the reason, nothing written), and a copy carrying the
/// reader's name and the time once it is allowed with a watermark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_render_follow_the_documents_signed_policy() -> Result<()> {
    let server = TestServer::start().await?;
    let dir = tempfile::tempdir()?;
    enrolled_and_synced(&server, dir.path()).await?;
    let docs = json(dir.path(), &["documents", "--json"]).await?;
    let doc = docs
        .as_array()
        .and_then(|d| d.first())
        .and_then(|d| d["id"].as_str())
        .context("a document")?
        .to_owned();
    let secretary = server.client("secretary").await?;
    let pin = [("ECABINET_PIN", PIN)];
    let pdf_out = dir.path().join("copy.pdf");
    let png_out = dir.path().join("page.png");
    let export = |out: std::path::PathBuf| {
        let d = doc.clone();
        let dir = dir.path().to_path_buf();
        async move {
            ecabinet(
                &dir,
                &["export", &d, out.to_str().unwrap_or_default()],
                &pin,
            )
            .await
        }
    };
    let render = |out: std::path::PathBuf| {
        let d = doc.clone();
        let dir = dir.path().to_path_buf();
        async move {
            ecabinet(
                &dir,
                &[
                    "render",
                    &d,
                    "--page",
                    "1",
                    "--dpi",
                    "72",
                    "--out",
                    out.to_str().unwrap_or_default(),
                ],
                &pin,
            )
            .await
        }
    };

    secretary
        .patch(
            &format!("/v1/documents/{doc}"),
            serde_json::json!({"reader_watermark": false, "export": "forbidden"}),
        )
        .await?;
    let out = ecabinet(dir.path(), &["sync"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    for out in [
        export(pdf_out.clone()).await?,
        render(png_out.clone()).await?,
    ] {
        assert!(!out.status.success(), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("không được xuất") && err.contains("may not be exported"),
            "{err}"
        );
    }
    assert!(!pdf_out.exists() && !png_out.exists(), "nothing written");

    secretary
        .patch(
            &format!("/v1/documents/{doc}"),
            serde_json::json!({"export": "watermarked"}),
        )
        .await?;
    let out = ecabinet(dir.path(), &["sync"], &pin).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = export(pdf_out.clone()).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = render(png_out.clone()).await?;
    assert!(out.status.success(), "{}", text(&out));
    // The copy names its reader: PDFium reads the watermark as page text.
    let engine = ecabinet_pdf::PdfEngine::start(Default::default())?;
    let opened = engine.open(std::fs::read(&pdf_out)?, "copy@1")?;
    let words = engine.page_text(opened.handle, 0)?.text();
    let member = server
        .seed
        .accounts
        .iter()
        .find(|a| a.role == "member")
        .context("member")?;
    assert!(words.contains(&member.display_name), "{words:.300}");
    assert!(words.contains(&server.seed.committee_name), "{words:.300}");
    assert!(words.contains("(GMT+7)"), "{words:.300}");
    // The page image has the mark's red in its pixels.
    let img = image::load_from_memory(&std::fs::read(&png_out)?)?.to_rgba8();
    let red = img
        .pixels()
        .filter(|p| {
            i32::from(p[0]) > i32::from(p[1]) + 25 && i32::from(p[0]) > i32::from(p[2]) + 25
        })
        .count();
    assert!(
        red as f64 > f64::from(img.width() * img.height()) * 0.01,
        "{red}"
    );
    Ok(())
}
