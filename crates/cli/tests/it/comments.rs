//! Comments on a draft from the command line (góp ý dự thảo): a member
//! writes one offline, the next sync sends it; the secretary reads it with
//! the member's name, answers it and writes the summary table as a PDF;
//! the member reads the answer.

use anyhow::{Context, Result};
use ecabinet_tests::TestServer;
use serde_json::Value;

use crate::{ecabinet, enrol_as, text, PIN};

async fn run(dir: &std::path::Path, args: &[&str]) -> Result<std::process::Output> {
    ecabinet(dir, args, &[("ECABINET_PIN", PIN)]).await
}

async fn json(dir: &std::path::Path, args: &[&str]) -> Result<Value> {
    let out = run(dir, args).await?;
    assert!(out.status.success(), "{}", text(&out));
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_written_offline_reaches_the_secretary_who_answers_and_exports_the_summary(
) -> Result<()> {
    let mut server = TestServer::start().await?;
    let (member, secretary) = (tempfile::tempdir()?, tempfile::tempdir()?);
    for (dir, role) in [(&member, "member"), (&secretary, "secretary")] {
        enrol_as(&server, role, dir.path()).await?;
        let out = run(dir.path(), &["sync"]).await?;
        assert!(out.status.success(), "{}", text(&out));
    }
    let docs = json(member.path(), &["documents", "--json"]).await?;
    let doc = docs[0]["id"].as_str().context("a document")?.to_owned();
    let name = server
        .seed
        .accounts
        .iter()
        .find(|a| a.role == "member")
        .context("member")?
        .display_name
        .clone();

    // Offline: the comment is kept on the device and waits for the network.
    server.stop().await;
    let remark = "Đề nghị bổ sung chỉ tiêu về tỷ lệ hồ sơ trực tuyến toàn trình.";
    let out = run(
        member.path(),
        &[
            "comment",
            &doc,
            remark,
            "--page",
            "1",
            "--region",
            "0.1,0.2,0.6,0.1",
        ],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    // Nothing the server would refuse is queued.
    for bad in [
        vec!["comment", &doc, "   "],
        vec![
            "comment",
            &doc,
            "x",
            "--page",
            "1",
            "--region",
            "0.8,0.2,0.6,0.1",
        ],
    ] {
        let out = run(member.path(), &bad).await?;
        assert!(!out.status.success(), "{}", text(&out));
    }
    let offline = json(member.path(), &["comments", &doc, "--json"]).await?;
    let queued: Vec<&str> = offline["queued"]
        .as_array()
        .context("queued")?
        .iter()
        .filter_map(|q| q["state"].as_str())
        .collect();
    assert_eq!(queued, ["pending"], "{offline}");

    server.restart().await?;
    let out = run(member.path(), &["sync"]).await?;
    assert!(out.status.success(), "{}", text(&out));

    let seen = json(secretary.path(), &["comments", &doc, "--json"]).await?;
    assert_eq!(seen["can_respond"], true);
    let c = &seen["comments"][0];
    assert_eq!(
        (&c["author_name"], &c["text"], &c["page"]),
        (
            &Value::from(name.clone()),
            &Value::from(remark),
            &Value::from(1)
        ),
        "{seen}"
    );
    let id = c["id"].as_str().context("id")?.to_owned();
    let reply = "Tiếp thu, đã bổ sung tại Điều 3.";
    let out = run(
        secretary.path(),
        &["respond", &id, "--status", "accepted", "--reply", reply],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    // A member does not answer comments.
    let out = run(
        member.path(),
        &["respond", &id, "--status", "declined", "--reply", "không"],
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));

    let pdf = secretary.path().join("tong-hop.pdf");
    let out = run(
        secretary.path(),
        &[
            "comments",
            &doc,
            "--summary-pdf",
            pdf.to_str().context("path")?,
        ],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let extracted = std::process::Command::new("pdftotext")
        .arg("-raw")
        .args([pdf.as_os_str(), std::ffi::OsStr::new("-")])
        .output()?;
    assert!(extracted.status.success(), "pdftotext: {extracted:?}");
    let words = String::from_utf8(extracted.stdout)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "BẢNG TỔNG HỢP Ý KIẾN GÓP Ý",
        name.as_str(),
        "Đề nghị bổ sung",
        "Tiếp thu, đã bổ sung",
    ] {
        assert!(
            words.contains(expected),
            "{expected:?} not in the summary: {words}"
        );
    }

    // A document whose policy watermarks copies: so is its summary, with
    // the reader's name on every page.
    server
        .client("secretary")
        .await?
        .patch(
            &format!("/v1/documents/{doc}"),
            serde_json::json!({"export": "watermarked"}),
        )
        .await?;
    let out = run(secretary.path(), &["sync"]).await?;
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        secretary.path(),
        &[
            "comments",
            &doc,
            "--summary-pdf",
            pdf.to_str().context("path")?,
        ],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    // The watermark names the reader and their committee, which the summary
    // itself never prints.
    let committee = &server.seed.committee_name;
    assert!(!words.contains(committee.as_str()), "{words}");
    let extracted = std::process::Command::new("pdftotext")
        .arg("-raw")
        .args([pdf.as_os_str(), std::ffi::OsStr::new("-")])
        .output()?;
    // (Drawn across the page, its letters come out spaced: compared without.)
    let marked: String = String::from_utf8(extracted.stdout)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let wanted: String = committee.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        marked.contains(&wanted),
        "the reader's watermark ({committee}) is not on the summary: {marked}"
    );

    let mine = json(member.path(), &["comments", &doc, "--json"]).await?;
    assert_eq!(
        (
            &mine["comments"][0]["status"],
            &mine["comments"][0]["reply"]
        ),
        (&Value::from("accepted"), &Value::from(reply)),
        "{mine}"
    );
    assert!(
        mine["queued"].as_array().is_some_and(Vec::is_empty),
        "{mine}"
    );
    Ok(())
}
