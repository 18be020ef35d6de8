//! `GET /v1/blobs/{sha256}`: ETag, Range, If-Range, access control.

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
