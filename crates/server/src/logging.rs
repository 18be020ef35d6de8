//! What the server writes to its log (stderr, for journald or a file):
//! one line per request — method, path, status, time taken — and the
//! errors it logs under a reference, each inside its request's span, so
//! every line of a request carries the same request id. The id is the
//! client's `X-Request-Id` when it is a plain token of at most 64
//! characters, else a fresh one; it is sent back in the answer, so an
//! operator finds a user's failed request from the reference or the id.
//!
//! JSON lines when stderr is not a terminal (journald, files, collectors),
//! plain text on a terminal; `ECABINET_LOG` filters (`info` by default,
//! e.g. `warn` or `ecabinet_server=debug`). Secrets never reach the log: no
//! header, no body and no query string is written, only the path.

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

/// The header carrying the request id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Starts the log for `serve` (once per process; later calls do nothing).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ECABINET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = if std::io::stderr().is_terminal() {
        builder.try_init()
    } else {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    };
}

/// The client's request id when it is a plain token, else a fresh one.
fn request_id(given: Option<&HeaderValue>) -> String {
    let plain = |s: &str| {
        (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    match given.and_then(|v| v.to_str().ok()) {
        Some(id) if plain(id) => id.to_owned(),
        _ => uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
    }
}

/// Where the route a request matched is written (by the route layer that
/// sees it, `metrics::track`) for this outer layer to log.
#[derive(Clone, Default)]
pub struct MatchedRoute(Arc<Mutex<Option<String>>>);

impl MatchedRoute {
    pub fn set(&self, route: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(route.to_owned());
        }
    }

    fn get(&self) -> String {
        self.0
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .unwrap_or_else(|| "unrouted".to_owned())
    }
}

/// The middleware: a span per request, its line when it ends, its id back.
pub async fn requests(mut req: Request, next: Next) -> Response {
    let id = request_id(req.headers().get(REQUEST_ID));
    let route = MatchedRoute::default();
    req.extensions_mut().insert(route.clone());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = tracing::field::Empty,
    );
    let start = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    span.record("route", route.get());
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    let status = resp.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, ms, "request");
        } else {
            tracing::info!(status, ms, "request");
        }
    });
    resp
}

#[cfg(test)]
mod tests {
    use super::request_id;
    use axum::http::HeaderValue;

    #[test]
    fn a_clients_id_is_kept_only_when_it_is_a_plain_token() {
        let id = |s: &str| request_id(Some(&HeaderValue::from_str(s).expect("header")));
        assert_eq!(id("req-42.a_b"), "req-42.a_b");
        for bad in ["", "a b", "x\u{7f}", &"a".repeat(65), "tok=\"secret\""] {
            let got = HeaderValue::from_str(bad).map(|v| request_id(Some(&v)));
            if let Ok(got) = got {
                assert_ne!(got, bad, "{bad:?} kept");
                assert_eq!(got.len(), 16);
            }
        }
        assert_eq!(request_id(None).len(), 16);
    }
}
