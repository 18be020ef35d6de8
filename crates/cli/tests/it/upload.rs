//! `ecabinet upload`: a secretary's script attaches a big PDF in resumable
//! parts; wrong files and wrong roles get one clear line and a failure code.

use anyhow::{Context, Result};
use ecabinet_protocol::MeetingStatus;
use ecabinet_tests::{pdf_of_size, TestServer};
use serde_json::json;

use crate::{ecabinet, enrol_as, text, PIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secretary_uploads_a_big_pdf_from_a_script() -> Result<()> {
    let server = TestServer::start().await?;
    let (sec_dir, member_dir, files) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );
    enrol_as(&server, "secretary", sec_dir.path()).await?;
    let api = server.client("secretary").await?;
    let meeting = server
        .seed
        .meetings
        .iter()
        .find(|m| m.status != MeetingStatus::Draft)
        .context("a published demo meeting")?;
    let item = api
        .post(
            &format!("/v1/meetings/{}/agenda", meeting.id),
            json!({"title": "Hồ sơ quy hoạch (bản scan)"}),
        )
        .await?;
    let doc = api
        .post(
            &format!(
                "/v1/agenda/{}/documents",
                item["id"].as_str().context("item id")?
            ),
            json!({"title": "Bộ hồ sơ scan"}),
        )
        .await?;
    let doc = doc["id"].as_str().context("document id")?.to_owned();

    // 20 MB: parts of 8 MiB, then larger while they go fast.
    let pdf = pdf_of_size(20_000_000, 3);
    let file = files.path().join("ho-so-scan.pdf");
    std::fs::write(&file, &pdf)?;
    let pin = [("ECABINET_PIN", PIN)];
    let out = ecabinet(
        sec_dir.path(),
        &["upload", &doc, file.to_str().context("path")?, "--json"],
        &pin,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["document_id"], json!(doc));
    assert_eq!(v["size"], json!(pdf.len()));
    assert_eq!(
        v["sha256"],
        json!(ecabinet_store::testing::sha256_hex(&pdf))
    );
    assert_eq!(
        v["published"],
        json!(false),
        "a new version waits for publication"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(100%)"), "no progress shown: {stderr}");

    // Not a PDF: one clear line, nothing sent.
    let png = files.path().join("anh-chup.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n0000")?;
    let out = ecabinet(
        sec_dir.path(),
        &["upload", &doc, png.to_str().context("path")?],
        &pin,
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a PDF"),
        "{}",
        text(&out)
    );

    // A member may not add versions.
    enrol_as(&server, "member", member_dir.path()).await?;
    let out = ecabinet(
        member_dir.path(),
        &["upload", &doc, file.to_str().context("path")?],
        &pin,
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("only the secretary or the chair"),
        "{}",
        text(&out)
    );
    Ok(())
}
