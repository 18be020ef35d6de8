//! What an operator watches: requests by route and status, request latency,
//! live-event subscribers, ballots accepted and refused, and document bytes
//! served, in Prometheus text format at `GET /metrics`.
//!
//! `/metrics` is off unless the server is given a scrape token
//! (`ECABINET_METRICS_TOKEN`, never a flag: argv is visible to every user);
//! then it answers only requests that bear it. The figures are counts: no
//! user, meeting or document is named in them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ring::digest::{digest, SHA256};

use crate::AppState;

/// Upper bounds of the latency histogram's buckets, seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    /// Requests at or under each bound of [`BUCKETS`] (cumulative when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Routes {
    /// (route template, method, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (route template, method) → latency.
    latency: BTreeMap<(String, String), Histogram>,
}

/// The process's counters.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<Routes>,
    subscribers: AtomicI64,
    ballots_accepted: AtomicU64,
    ballots_superseded: AtomicU64,
    ballots_rejected: AtomicU64,
    blob_bytes: AtomicU64,
}

/// Held by a live-event stream: one subscriber while it lives.
pub struct Subscriber(AppState);

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.0.metrics.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts one live-event subscriber of `state` until the guard is dropped.
pub fn subscriber(state: &AppState) -> Subscriber {
    state.metrics.subscribers.fetch_add(1, Ordering::Relaxed);
    Subscriber(state.clone())
}

/// A ballot's outcome, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotOutcome {
    Accepted,
    Superseded,
    Rejected,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut r = self.lock();
        *r.requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        let h = r
            .latency
            .entry((route.to_owned(), method.to_owned()))
            .or_default();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum += seconds;
    }

    pub fn ballot(&self, outcome: BallotOutcome) {
        let c = match outcome {
            BallotOutcome::Accepted => &self.ballots_accepted,
            BallotOutcome::Superseded => &self.ballots_superseded,
            BallotOutcome::Rejected => &self.ballots_rejected,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Document bytes a download response carries.
    pub fn blob_bytes(&self, n: u64) {
        self.blob_bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Everything, in Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let r = self.lock();
        out.push_str("# HELP ecabinet_http_requests_total HTTP requests by route, method and status.\n# TYPE ecabinet_http_requests_total counter\n");
        for ((route, method, status), n) in &r.requests {
            let _ = writeln!(
                out,
                "ecabinet_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP ecabinet_http_request_duration_seconds Time to the response's head, by route and method.\n# TYPE ecabinet_http_request_duration_seconds histogram\n");
        for ((route, method), h) in &r.latency {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "ecabinet_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "ecabinet_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 ecabinet_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 ecabinet_http_request_duration_seconds_count{{{labels}}} {}",
                h.count, h.sum, h.count
            );
        }
        drop(r);
        let _ = writeln!(
            out,
            "# HELP ecabinet_sse_subscribers Live-event streams open now.\n# TYPE ecabinet_sse_subscribers gauge\necabinet_sse_subscribers {}",
            self.subscribers.load(Ordering::Relaxed)
        );
        out.push_str("# HELP ecabinet_ballots_total Ballots decided, by outcome.\n# TYPE ecabinet_ballots_total counter\n");
        for (outcome, c) in [
            ("accepted", &self.ballots_accepted),
            ("superseded", &self.ballots_superseded),
            ("rejected", &self.ballots_rejected),
        ] {
            let _ = writeln!(
                out,
                "ecabinet_ballots_total{{outcome=\"{outcome}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP ecabinet_blob_bytes_sent_total Document bytes in download responses.\n# TYPE ecabinet_blob_bytes_sent_total counter\necabinet_blob_bytes_sent_total {}",
            self.blob_bytes.load(Ordering::Relaxed)
        );
        out
    }
}

/// Middleware on every matched route: counts the request and its latency.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "other".to_owned());
    if let Some(slot) = req.extensions().get::<crate::logging::MatchedRoute>() {
        slot.set(&route);
    }
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.request(
        &route,
        &method,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

/// `GET /metrics`: 404 when no scrape token is configured, 401 without it.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return crate::AppError::not_found("endpoint").into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as digests, so the time taken says nothing about the token.
    if digest(&SHA256, given.as_bytes()).as_ref() != digest(&SHA256, token.as_bytes()).as_ref() {
        return crate::AppError::new(
            ecabinet_protocol::ErrorCode::Unauthenticated,
            "the metrics scrape token is missing or wrong",
        )
        .into_response();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
