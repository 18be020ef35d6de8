//! Resumable uploads: a big PDF arrives in checked parts; a dropped
//! connection costs only the part it cut, and what becomes the version is
//! exactly the file the secretary chose.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecabinet_protocol::hex::sha256_hex;
use serde_json::{json, Value};

use crate::both;
use crate::common::*;

/// A meeting's document the secretary can upload to: (meeting, document).
async fn document(w: &World) -> (String, String) {
    let m = w.meeting("Phiên họp chuyên đề tháng 12").await;
    let item = w.item(&m, "Hồ sơ quy hoạch", None).await;
    (
        m.clone(),
        w.document(&item, "Bộ hồ sơ scan 300 trang").await,
    )
}

async fn start(w: &World, who: &Session, doc: &str, size: usize) -> (StatusCode, Value) {
    w.env
        .call(
            "POST",
            &format!("/v1/documents/{doc}/uploads"),
            Some(who),
            Some(json!({ "size": size })),
        )
        .await
}

async fn send_part(
    w: &World,
    who: &Session,
    upload: &str,
    offset: usize,
    checksum: &str,
    body: Body,
) -> (StatusCode, Value) {
    let req = who
        .headers(
            Request::builder()
                .method("PATCH")
                .uri(format!("/v1/uploads/{upload}")),
        )
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string())
        .header("upload-checksum", format!("sha256 {checksum}"))
        .body(body)
        .expect("request");
    let (s, _, b) = w.env.raw(req).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

async fn part(
    w: &World,
    who: &Session,
    upload: &str,
    offset: usize,
    bytes: &[u8],
) -> (StatusCode, Value) {
    send_part(
        w,
        who,
        upload,
        offset,
        &sha256_hex(bytes),
        Body::from(bytes.to_vec()),
    )
    .await
}

/// A part whose connection drops after `sent` of its bytes.
fn cut_body(bytes: &[u8], sent: usize) -> Body {
    let first = bytes::Bytes::copy_from_slice(&bytes[..sent]);
    let stream = futures_util::stream::iter(vec![
        Ok(first),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        )),
    ]);
    Body::from_stream(stream)
}

async fn status(w: &World, who: &Session, upload: &str) -> (StatusCode, Value) {
    w.env
        .call("GET", &format!("/v1/uploads/{upload}"), Some(who), None)
        .await
}

async fn finish(w: &World, who: &Session, upload: &str) -> (StatusCode, Value) {
    w.env
        .call(
            "POST",
            &format!("/v1/uploads/{upload}/finish"),
            Some(who),
            None,
        )
        .await
}

fn incoming(w: &World) -> Vec<String> {
    leftover_files(&w.env.dir.path().join("blobs").join("incoming"))
}

both!(
    a_cut_part_is_resumed_and_the_version_is_exactly_the_file,
    |kind| async move {
        let w = World::new(kind).await;
        let (_, doc) = document(&w).await;
        let pdf = padded_pdf(200 * 1024);
        let (s, up) = start(&w, &w.secretary, &doc, pdf.len()).await;
        assert_eq!(s, StatusCode::CREATED, "{up}");
        assert_eq!(
            (up["offset"].as_u64(), up["size"].as_u64()),
            (Some(0), Some(pdf.len() as u64))
        );
        let id = up["id"].as_str().expect("id").to_owned();
        let k = 64 * 1024;

        let (s, b) = part(&w, &w.secretary, &id, 0, &pdf[..k]).await;
        assert_eq!(
            (s, b["offset"].as_u64()),
            (StatusCode::OK, Some(k as u64)),
            "{b}"
        );

        // The connection drops halfway through the second part: nothing of it is kept.
        let second = &pdf[k..2 * k];
        let (s, b) = send_part(
            &w,
            &w.secretary,
            &id,
            k,
            &sha256_hex(second),
            cut_body(second, k / 2),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        let (s, b) = status(&w, &w.secretary, &id).await;
        assert_eq!(
            (s, b["offset"].as_u64()),
            (StatusCode::OK, Some(k as u64)),
            "{b}"
        );

        // A part at the wrong offset, or whose bytes do not match, moves nothing.
        let (s, b) = part(&w, &w.secretary, &id, 2 * k, &pdf[2 * k..3 * k]).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert!(
            b["message"].as_str().unwrap_or("").contains(&k.to_string()),
            "{b}"
        );
        let mut damaged = second.to_vec();
        damaged[100] ^= 0x20;
        let (s, b) = send_part(
            &w,
            &w.secretary,
            &id,
            k,
            &sha256_hex(second),
            Body::from(damaged),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert_eq!(
            status(&w, &w.secretary, &id).await.1["offset"].as_u64(),
            Some(k as u64)
        );

        // Finishing early is refused; then the rest, and the finish.
        let (s, b) = finish(&w, &w.secretary, &id).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        let mut at = k;
        while at < pdf.len() {
            let end = (at + k).min(pdf.len());
            let (s, b) = part(&w, &w.secretary, &id, at, &pdf[at..end]).await;
            assert_eq!(
                (s, b["offset"].as_u64()),
                (StatusCode::OK, Some(end as u64)),
                "{b}"
            );
            at = end;
        }
        let (s, v) = finish(&w, &w.secretary, &id).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["document_id"].as_str(), Some(doc.as_str()));
        assert_eq!(v["sha256"].as_str(), Some(sha256_hex(&pdf).as_str()));
        assert_eq!(v["size"].as_u64(), Some(pdf.len() as u64));
        assert_eq!(v["version"].as_u64(), Some(1));

        // The stored blob is the file, byte for byte.
        let req = w
            .secretary
            .headers(Request::builder().uri(format!("/v1/blobs/{}", sha256_hex(&pdf))))
            .body(Body::empty())
            .expect("request");
        let (s, _, bytes) = w.env.raw(req).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            bytes[..] == pdf[..],
            "the stored blob differs from the uploaded file"
        );

        // The upload is over: it cannot be resumed or finished twice, and no
        // part of it is left on the server's disk.
        assert_eq!(status(&w, &w.secretary, &id).await.0, StatusCode::NOT_FOUND);
        let (s, _) = finish(&w, &w.secretary, &id).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(incoming(&w), Vec::<String>::new());
    }
);

both!(
    an_upload_is_its_uploaders_alone_and_every_limit_holds,
    |kind| async move {
        let w = World::new(kind).await;
        let (m, doc) = document(&w).await;
        // Published, so members see the document (and may not upload to it).
        w.publish(&m).await;
        let max = 256 * 1024; // Env::new's upload limit

        // Who may start one, and how big.
        let (s, b) = start(&w, &w.member, &doc, 1000).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        let (s, b) = start(&w, &w.outsider, &doc, 1000).await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{s} {b}"
        );
        let (s, b) = start(&w, &w.secretary, &doc, max + 1).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
            "{b}"
        );
        let (s, b) = start(&w, &w.secretary, &doc, 0).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_pdf")),
            "{b}"
        );

        let (s, up) = start(&w, &w.secretary, &doc, 1000).await;
        assert_eq!(s, StatusCode::CREATED, "{up}");
        let id = up["id"].as_str().expect("id").to_owned();

        // Another user learns nothing of it and cannot add to it or drop it.
        assert_eq!(status(&w, &w.chair, &id).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            part(&w, &w.chair, &id, 0, &[b'%'; 10]).await.0,
            StatusCode::NOT_FOUND
        );
        let (s, _) = w
            .env
            .call("DELETE", &format!("/v1/uploads/{id}"), Some(&w.chair), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Names that are not upload ids never reach the file system.
        for bad in ["..%2F..%2Fsigning-key.pk8", "ABCDEF", "x"] {
            assert_eq!(
                status(&w, &w.secretary, bad).await.0,
                StatusCode::NOT_FOUND,
                "{bad}"
            );
        }

        // A part larger than what is left of the upload.
        let (s, b) = part(&w, &w.secretary, &id, 0, &[b'%'; 1001]).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
            "{b}"
        );
        // Parts need their offset and checksum.
        let req = w
            .secretary
            .headers(
                Request::builder()
                    .method("PATCH")
                    .uri(format!("/v1/uploads/{id}")),
            )
            .body(Body::from(vec![b'%'; 10]))
            .expect("request");
        assert_eq!(w.env.raw(req).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            status(&w, &w.secretary, &id).await.1["offset"].as_u64(),
            Some(0)
        );

        // At most four unfinished uploads per user.
        let mut open = vec![id.clone()];
        for _ in 0..3 {
            let (s, b) = start(&w, &w.secretary, &doc, 1000).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            open.push(b["id"].as_str().expect("id").to_owned());
        }
        let (s, b) = start(&w, &w.secretary, &doc, 1000).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert_eq!(incoming(&w).len(), 4);

        // Cancelling drops it and its file.
        let (s, _) = w
            .env
            .call(
                "DELETE",
                &format!("/v1/uploads/{}", open[0]),
                Some(&w.secretary),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            status(&w, &w.secretary, &open[0]).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(incoming(&w).len(), 3);

        // Left alone for more than a day, uploads expire; the next start sweeps their files.
        w.env
            .clock
            .0
            .fetch_add(25 * 3_600_000, std::sync::atomic::Ordering::SeqCst);
        // (The secretary's session has expired meanwhile too.)
        let again = w.env.login("secretary", PASSWORD).await;
        assert_eq!(status(&w, &again, &open[1]).await.0, StatusCode::NOT_FOUND);
        let (s, b) = start(&w, &again, &doc, 1000).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(
            incoming(&w),
            vec![format!("{}.upload", b["id"].as_str().expect("id"))]
        );
    }
);

both!(
    a_pdf_members_could_not_open_is_refused_at_finish_and_nothing_is_kept,
    |kind| async move {
        let w = World::new(kind).await;
        let (_, doc) = document(&w).await;
        // A file that starts like a PDF but is cut short (no %%EOF), then one
        // that has the shape of a PDF but no pages PDFium can open.
        let whole = padded_pdf(100 * 1024);
        let truncated = whole[..90 * 1024].to_vec();
        let mut broken = b"%PDF-1.7\n".to_vec();
        broken.extend(std::iter::repeat_n(b'x', 20_000));
        broken.extend_from_slice(b"\n%%EOF\n");
        for (file, code) in [(truncated, "not_pdf"), (broken, "unreadable_pdf")] {
            let (s, up) = start(&w, &w.secretary, &doc, file.len()).await;
            assert_eq!(s, StatusCode::CREATED, "{up}");
            let id = up["id"].as_str().expect("id").to_owned();
            let (s, b) = part(&w, &w.secretary, &id, 0, &file).await;
            assert_eq!(s, StatusCode::OK, "{b}");
            let (s, b) = finish(&w, &w.secretary, &id).await;
            assert_eq!(
                (s, b["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
                "{b}"
            );
            assert_eq!(status(&w, &w.secretary, &id).await.0, StatusCode::NOT_FOUND);
            assert_eq!(incoming(&w), Vec::<String>::new());
        }
        // The document has no version: the refusals left nothing behind.
        let changes = w.env.all_changes(&w.secretary, 0).await;
        let versions: Vec<_> = kinds(&changes)
            .into_iter()
            .filter(|(entity, _, _)| entity == "document_version")
            .collect();
        assert_eq!(versions, Vec::new());
        // And the same document takes a good file afterwards.
        let good = padded_pdf(10 * 1024);
        let (_, up) = start(&w, &w.secretary, &doc, good.len()).await;
        let id = up["id"].as_str().expect("id").to_owned();
        assert_eq!(
            part(&w, &w.secretary, &id, 0, &good).await.0,
            StatusCode::OK
        );
        let (s, v) = finish(&w, &w.secretary, &id).await;
        assert_eq!(
            (s, v["version"].as_u64()),
            (StatusCode::CREATED, Some(1)),
            "{v}"
        );
    }
);

both!(
    uploads_cannot_hold_the_disk_for_ever_nor_all_of_it,
    |kind| async move {
        let w = World::new(kind).await;
        let (_, doc) = document(&w).await;
        let max = w.env.state.config.max_upload_bytes;

        // A trickle of one-byte parts keeps an upload alive a day at a time,
        // but not past two days from its start.
        let (s, up) = start(&w, &w.secretary, &doc, 1000).await;
        assert_eq!(s, StatusCode::CREATED, "{up}");
        let id = up["id"].as_str().expect("id").to_owned();
        let created = w.env.state.now();
        let week = ecabinet_server::routes::uploads::MAX_LIFETIME_MS;
        let mut offset = 0;
        let mut refused_at = None;
        for day in 1..=8 {
            w.env
                .clock
                .0
                .fetch_add(22 * 3_600_000, std::sync::atomic::Ordering::SeqCst);
            let me = w.env.login("secretary", PASSWORD).await;
            let (s, b) = part(&w, &me, &id, offset, b"%").await;
            if s == StatusCode::OK {
                offset += 1;
                assert!(
                    b["expires_at"].as_i64().expect("a number") <= created + week,
                    "{b}"
                );
            } else {
                assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
                refused_at = Some(day);
                break;
            }
        }
        // 22 h × 3 = 66 h: past the two days (48 h) on the third day.
        assert_eq!(refused_at, Some(3));

        // All users together reserve at most MAX_RESERVED_UPLOADS uploads of
        // the largest size: five secretaries with four each ask for twenty.
        let mut secretaries = Vec::new();
        for n in 0..5 {
            let s = w.env.user(&format!("thu-ky-{n}"), false).await;
            let (code, b) = w
                .env
                .call(
                    "PUT",
                    &format!(
                        "/v1/admin/committees/{}/members/{}",
                        w.committee_id, s.user_id
                    ),
                    Some(&w.env.login("admin", PASSWORD).await),
                    Some(json!({"role": "secretary"})),
                )
                .await;
            assert_eq!(code, StatusCode::OK, "{b}");
            secretaries.push(w.env.login(&format!("thu-ky-{n}"), PASSWORD).await);
        }
        let mut started = Vec::new();
        let mut refused = None;
        'all: for s in &secretaries {
            for _ in 0..4 {
                let (code, b) = start(&w, s, &doc, max).await;
                if code == StatusCode::CREATED {
                    started.push((s, b["id"].as_str().expect("id").to_owned()));
                } else {
                    refused = Some((code, b));
                    break 'all;
                }
            }
        }
        let reserved = ecabinet_server::routes::uploads::MAX_RESERVED_UPLOADS as usize;
        assert_eq!(started.len(), reserved);
        let (code, b) = refused.expect("the next one is refused");
        assert_eq!(code, StatusCode::CONFLICT, "{b}");
        let message = b["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("thử lại sau") && message.contains("try again"),
            "{b}"
        );
        // One cancelled makes room for one.
        let (who, first) = &started[0];
        let (s, _) = w
            .env
            .call("DELETE", &format!("/v1/uploads/{first}"), Some(who), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, b) = start(&w, secretaries.last().expect("five secretaries"), &doc, max).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
);

both!(
    the_sweep_removes_expired_uploads_and_a_crashs_leftovers_only,
    |kind| async move {
        let w = World::new(kind).await;
        let (_, doc) = document(&w).await;
        let (_, old) = start(&w, &w.secretary, &doc, 1000).await;
        let old = old["id"].as_str().expect("id").to_owned();
        // Started 20 h later (the first one still live then), and 5 h on the
        // first one has been idle for more than a day, this one not.
        let later = |hours: i64| {
            w.env
                .clock
                .0
                .fetch_add(hours * 3_600_000, std::sync::atomic::Ordering::SeqCst)
        };
        later(20);
        let me = w.env.login("secretary", PASSWORD).await;
        let (_, live) = start(&w, &me, &doc, 1000).await;
        let live = live["id"].as_str().expect("id").to_owned();
        later(5);
        let me = w.env.login("secretary", PASSWORD).await;
        // What a crash leaves: an upload file whose row is gone, a one-piece
        // upload's temporary file from two days ago, and one being written now.
        let dir = w.env.dir.path().join("blobs").join("incoming");
        let orphan = "0123456789abcdef0123456789abcdef";
        std::fs::write(dir.join(format!("{orphan}.upload")), b"half")
            .expect("the incoming folder is writable");
        let stale =
            std::fs::File::create(dir.join("stale.part")).expect("the incoming folder is writable");
        stale
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(48 * 3600))
            .expect("mtime set");
        std::fs::write(dir.join("writing.part"), b"now").expect("the incoming folder is writable");
        // Not ours to touch.
        std::fs::write(dir.join("README"), b"operator's note")
            .expect("the incoming folder is writable");

        let removed = ecabinet_server::routes::uploads::sweep(&w.env.state)
            .await
            .expect("sweep");
        let mut left = incoming(&w);
        left.sort();
        let mut want = vec![
            "README".to_owned(),
            format!("{live}.upload"),
            "writing.part".to_owned(),
        ];
        want.sort();
        assert_eq!(left, want, "removed {removed}");
        assert_eq!(
            removed, 3,
            "the expired upload's, the orphan's and the stale part's files"
        );
        assert_eq!(status(&w, &me, &old).await.0, StatusCode::NOT_FOUND);
        assert_eq!(status(&w, &me, &live).await.0, StatusCode::OK);
    }
);
