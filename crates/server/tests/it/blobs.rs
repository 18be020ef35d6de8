//! `GET /v1/blobs/{sha256}`: ETag, Range, If-Range, access control; and
//! how uploads reach the blob store (authorised first, damaged blobs repaired).

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::both;
use crate::common::*;

both!(etag_range_and_if_range, |kind| async move {
    let w = World::new(kind).await;
    let m = w.meeting("Phiên họp").await;
    let item = w.item(&m, "Mục", None).await;
    let doc = w.document(&item, "Tài liệu").await;
    let bytes = pdf("Tài liệu nhiều trang", 5);
    let (_, v) = w
        .upload(&w.secretary, &doc, bytes.clone(), "application/pdf")
        .await;
    let sha = v["sha256"].as_str().expect("sha").to_owned();
    w.publish(&m).await;
    let get = |headers: &[(&str, &str)]| {
        let mut r = w
            .member
            .headers(Request::builder().uri(format!("/v1/blobs/{sha}")));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        w.env.raw(r.body(Body::empty()).expect("request"))
    };
    let etag = format!("\"{sha}\"");

    let (s, h, body) = get(&[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body.as_ref(), bytes.as_slice());
    assert_eq!(h["etag"], etag.as_str());
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["content-type"], "application/pdf");

    let (s, h, body) = get(&[("range", "bytes=10-19")]).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body.as_ref(), &bytes[10..20]);
    assert_eq!(
        h["content-range"],
        format!("bytes 10-19/{}", bytes.len()).as_str()
    );

    let (s, _, body) = get(&[("range", "bytes=-16")]).await;
    assert_eq!(
        (s, body.as_ref()),
        (StatusCode::PARTIAL_CONTENT, &bytes[bytes.len() - 16..])
    );

    // Resume: the rest from an offset, guarded by the ETag.
    let (s, _, body) = get(&[("range", "bytes=100-"), ("if-range", &etag)]).await;
    assert_eq!(
        (s, body.as_ref()),
        (StatusCode::PARTIAL_CONTENT, &bytes[100..])
    );
    // A stale validator gets the whole blob instead.
    let (s, _, body) = get(&[("range", "bytes=100-"), ("if-range", "\"0000\"")]).await;
    assert_eq!((s, body.len()), (StatusCode::OK, bytes.len()));

    let past = format!("bytes={}-", bytes.len());
    let (s, h, _) = get(&[("range", &past)]).await;
    assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        h["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );

    let (s, _, body) = get(&[("if-none-match", &etag)]).await;
    assert_eq!((s, body.len()), (StatusCode::NOT_MODIFIED, 0));
});

both!(
    only_those_who_may_see_the_document_get_its_bytes,
    |kind| async move {
        let w = World::new(kind).await;
        let m = w.meeting("Phiên họp").await;
        let item = w.item(&m, "Mục", None).await;
        let doc = w.document(&item, "Tài liệu").await;
        let (_, v) = w
            .upload(&w.secretary, &doc, pdf("Bí mật", 2), "application/pdf")
            .await;
        let sha = v["sha256"].as_str().expect("sha").to_owned();
        let path = format!("/v1/blobs/{sha}");
        let status = |who: Session| {
            let path = path.clone();
            let env = &w.env;
            async move { env.call("GET", &path, Some(&who), None).await.0 }
        };
        // Unpublished: editors only.
        assert_eq!(status(w.secretary.clone()).await, StatusCode::OK);
        assert_eq!(status(w.chair.clone()).await, StatusCode::OK);
        assert_eq!(status(w.member.clone()).await, StatusCode::NOT_FOUND);
        w.publish(&m).await;
        assert_eq!(status(w.member.clone()).await, StatusCode::OK);
        assert_eq!(status(w.outsider.clone()).await, StatusCode::NOT_FOUND);
        assert_eq!(
            status(w.admin.clone()).await,
            StatusCode::NOT_FOUND,
            "admins administer, they do not read board packs"
        );
        assert_eq!(
            w.env.call("GET", &path, None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        // Unknown hashes and malformed names.
        let unknown = format!("/v1/blobs/{}", "ab".repeat(32));
        let (s, b) = w.env.call("GET", &unknown, Some(&w.member), None).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        assert_eq!(
            w.env
                .call("GET", "/v1/blobs/..%2Fetc", Some(&w.member), None)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        // Deleting the document takes the access away.
        let (s, _) = w
            .env
            .call(
                "DELETE",
                &format!("/v1/documents/{doc}"),
                Some(&w.secretary),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(status(w.member.clone()).await, StatusCode::NOT_FOUND);
    }
);

both!(
    a_damaged_blob_is_repaired_when_the_same_pdf_is_uploaded_again,
    |kind| async move {
        let w = World::new(kind).await;
        let m = w.meeting("Phiên họp").await;
        let item = w.item(&m, "Mục", None).await;
        let doc = w.document(&item, "Tài liệu").await;
        let bytes = pdf("Tài liệu bị hỏng trên đĩa", 3);
        let (s, v) = w
            .upload(&w.secretary, &doc, bytes.clone(), "application/pdf")
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let sha = v["sha256"].as_str().expect("sha").to_owned();
        let file = w.env.dir.path().join("blobs").join(&sha[..2]).join(&sha);
        // The disk flips bytes in the middle: same size, other content.
        let mut damaged = std::fs::read(&file).expect("stored blob");
        assert_eq!(damaged, bytes);
        let mid = damaged.len() / 2;
        for b in &mut damaged[mid..mid + 64] {
            *b ^= 0xff;
        }
        std::fs::write(&file, &damaged).expect("damage");

        let (s, v2) = w
            .upload(&w.secretary, &doc, bytes.clone(), "application/pdf")
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v2}");
        assert_eq!(v2["sha256"].as_str(), Some(sha.as_str()));
        assert!(
            std::fs::read(&file).expect("blob") == bytes,
            "the damaged file was replaced by the fresh upload"
        );
        let (s, _, body) = w
            .env
            .raw(
                w.secretary
                    .headers(Request::builder().uri(format!("/v1/blobs/{sha}")))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert!(s == StatusCode::OK && body.as_ref() == bytes.as_slice());
        assert_eq!(
            leftover_files(&w.env.dir.path().join("blobs/incoming")),
            Vec::<String>::new()
        );
    }
);

/// A member (who may read the document but not upload) announces a 1 GiB
/// upload on a real socket and keeps sending. The server must answer 403
/// before reading the body: the client gets the answer having sent only what
/// the socket buffers hold, not the gigabyte.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_members_gigabyte_upload_is_refused_before_the_body_is_read() {
    use std::io::{Read as _, Write as _};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    const GIB: u64 = 1 << 30;
    let env = Env::with_config(
        Kind::Sqlite,
        ecabinet_server::Config {
            max_upload_bytes: 2 << 30,
            ..ecabinet_server::Config::default()
        },
    )
    .await;
    let w = World::on(env).await;
    let m = w.meeting("Phiên họp").await;
    let item = w.item(&m, "Mục", None).await;
    let doc = w.document(&item, "Tài liệu").await;
    w.publish(&m).await;
    let base = serve_in_process(&w.env).await;
    let addr = base.trim_start_matches("http://").to_owned();

    let mut sock = std::net::TcpStream::connect(&addr).expect("connect");
    let head = format!(
        "POST /v1/documents/{doc}/versions HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n{}: {}\r\nContent-Type: application/pdf\r\nContent-Length: {GIB}\r\n\r\n",
        w.member.token,
        ecabinet_protocol::DEVICE_ID_HEADER,
        w.member.device_id.as_deref().expect("enrolled"),
    );
    sock.write_all(head.as_bytes()).expect("head");
    let sent = Arc::new(AtomicU64::new(0));
    let mut writer = sock.try_clone().expect("clone");
    let counter = sent.clone();
    let pump = std::thread::spawn(move || {
        let chunk = vec![b'%'; 64 * 1024];
        while counter.load(Ordering::SeqCst) < GIB {
            if writer.write_all(&chunk).is_err() {
                break;
            }
            counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
    });
    let started = std::time::Instant::now();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut buf).expect("an answer");
        assert!(n > 0, "connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let sent_when_answered = sent.load(Ordering::SeqCst);
    let elapsed = started.elapsed();
    let _ = sock.shutdown(std::net::Shutdown::Both);
    pump.join().expect("pump");
    let status = String::from_utf8_lossy(&answer);
    assert!(
        status.starts_with("HTTP/1.1 403"),
        "{}",
        status.lines().next().unwrap_or_default()
    );
    assert!(
        sent_when_answered < 64 * 1024 * 1024,
        "refused after {sent_when_answered} of {GIB} bytes"
    );
    assert!(elapsed.as_secs() < 10, "answered in {elapsed:?}");
}
