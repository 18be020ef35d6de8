//! The served OpenAPI description matches the router.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::common::*;

#[tokio::test]
async fn the_served_spec_lists_exactly_the_routes_the_router_serves() {
    let env = Env::new(Kind::Sqlite).await;
    let (s, spec) = env.call("GET", "/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(spec["openapi"], "3.1.0");
    let mut in_spec = BTreeSet::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("ops") {
            assert!(
                !op["summary"].as_str().unwrap_or_default().is_empty(),
                "{method} {path} has no summary"
            );
            // Errors are documented as the error body, successes apart.
            let r = &op["responses"];
            for class in ["4XX", "5XX"] {
                assert_eq!(
                    r[class]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {class}"
                );
            }
            assert!(
                r.get("2XX").is_some() && r.get("default").is_none(),
                "{method} {path}"
            );
            in_spec.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routes: BTreeSet<(String, String)> = ecabinet_server::ROUTES
        .iter()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    assert_eq!(in_spec, routes);

    // Every listed route is really routed: neither the 404 fallback nor 405.
    for (method, path) in &routes {
        let concrete = path.replace(['{', '}'], "");
        let req = Request::builder()
            .method(method.as_str())
            .uri(&concrete)
            .body(Body::empty())
            .expect("request");
        let (status, _, body) = env.raw(req).await;
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(
            body["message"], "endpoint not found",
            "{method} {path} is in the spec but not routed"
        );
    }
    // And something that is not listed is not routed.
    let (status, body) = env.call("GET", "/v1/meetings", None, None).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("endpoint not found"))
    );
}

/// The check every test's answers go through (`common::contract`) does
/// catch an answer or a request its description does not allow.
#[test]
#[should_panic(expected = "description does not allow")]
fn the_contract_catches_an_answer_that_breaks_its_schema() {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().expect("value"));
    // A meeting whose title is a number and which lacks its other fields.
    contract::check_answer(
        "PATCH",
        "/v1/meetings/0190aaaa",
        StatusCode::OK,
        &headers,
        br#"{"id": "0190aaaa", "title": 5}"#,
    );
}

#[test]
#[should_panic(expected = "description does not allow")]
fn the_contract_catches_an_error_without_its_code() {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().expect("value"));
    contract::check_answer(
        "GET",
        "/v1/me",
        StatusCode::UNAUTHORIZED,
        &headers,
        br#"{"message": "no"}"#,
    );
}

#[test]
#[should_panic(expected = "description does not allow")]
fn the_contract_catches_a_request_that_breaks_its_schema() {
    contract::check_request(
        "POST",
        "/v1/committees/c1/meetings?x=1",
        &serde_json::json!({"title": "Họp", "starts_at": "tomorrow"}),
    );
}
