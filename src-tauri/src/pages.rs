//! The `ecabinet:` URI scheme: page images of open documents, rendered by the
//! PDF engine off the main thread and handed to `<img>` elements directly,
//! so no page ever travels as base64 over IPC.
//!
//! - `ecabinet://localhost/page/<version id>/<page>?scale=<px per pt>`
//! - `ecabinet://localhost/thumb/<version id>/<page>?w=<px>`
//!
//! (`http://ecabinet.localhost/...` on Windows.) Responses say `no-store`:
//! a rendered page is document content and must not land in WebKit's disk cache.

use ecabinet_pdf::{ImageFormat, RenderRequest};
use tauri::http::{header, Response, StatusCode};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

/// The scheme's name, as registered and as the CSP allows it.
pub const SCHEME: &str = "ecabinet";

/// A parsed image request.
#[derive(Debug, Clone, PartialEq)]
pub enum PageRequest {
    Page {
        version_id: String,
        page: u32,
        scale: f32,
    },
    Thumb {
        version_id: String,
        page: u32,
        width: u32,
    },
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Parses a request path and query; `None` for anything malformed.
pub fn parse(path: &str, query: Option<&str>) -> Option<PageRequest> {
    let mut parts = path.trim_start_matches('/').split('/');
    let (kind, id, page) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let page: u32 = page.parse().ok()?;
    let version_id = id.to_owned();
    match kind {
        "page" => {
            let scale: f32 = query_param(query, "scale")?.parse().ok()?;
            (scale.is_finite() && (0.1..=8.0).contains(&scale)).then_some(PageRequest::Page {
                version_id,
                page,
                scale,
            })
        }
        "thumb" => {
            let width: u32 = query_param(query, "w")?.parse().ok()?;
            (16..=600).contains(&width).then_some(PageRequest::Thumb {
                version_id,
                page,
                width,
            })
        }
        _ => None,
    }
}

fn status(code: StatusCode, text: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(text.as_bytes().to_vec())
        .unwrap_or_default()
}

/// What the scheme answers for a parsed request (public for the app's tests).
pub fn render(state: Option<AppState>, request: Option<PageRequest>) -> Response<Vec<u8>> {
    let (Some(state), Some(request)) = (state, request) else {
        return status(StatusCode::BAD_REQUEST, "bad page request");
    };
    let (PageRequest::Page {
        version_id, page, ..
    }
    | PageRequest::Thumb {
        version_id, page, ..
    }) = &request;
    let Some(handle) = state.document(version_id) else {
        return status(StatusCode::NOT_FOUND, "document not open");
    };
    let Ok(pdf) = state.pdf() else {
        return status(StatusCode::SERVICE_UNAVAILABLE, "PDF engine unavailable");
    };
    // A document whose policy watermarks its pages for the reader gets the
    // mark written into the pixels of every image, with the time it is made.
    let watermark = match state.watermark(version_id) {
        Some(mut lines) => {
            lines.push(ecabinet_sync::vietnam_time(ecabinet_sync::now_ms()));
            match ecabinet_pdf::Watermark::new(lines) {
                Ok(w) => Some(w),
                Err(e) => return status(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        }
        None => None,
    };
    let req = |scale: f32| RenderRequest {
        page: *page,
        scale,
        rotation: 0,
        format: ImageFormat::Png,
    };
    let rendered = match (&request, &watermark) {
        (PageRequest::Page { scale, .. }, None) => pdf.render(handle, req(*scale)),
        (PageRequest::Thumb { width, .. }, None) => pdf.thumbnail(handle, *page, *width),
        (PageRequest::Page { scale, .. }, Some(w)) => pdf
            .render_watermarked(handle, req(*scale), w)
            .map(std::sync::Arc::new),
        (PageRequest::Thumb { width, .. }, Some(w)) => pdf
            .thumbnail_watermarked(handle, *page, *width, w)
            .map(std::sync::Arc::new),
    };
    match rendered {
        Ok(img) => Response::builder()
            .header(header::CONTENT_TYPE, img.mime())
            .header(header::CACHE_CONTROL, "no-store")
            .body(img.bytes.clone())
            .unwrap_or_default(),
        Err(e) => status(StatusCode::NOT_FOUND, &e.to_string()),
    }
}

/// The handler registered with `register_asynchronous_uri_scheme_protocol`.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let state = ctx
        .app_handle()
        .try_state::<AppState>()
        .map(|s| s.inner().clone());
    let parsed = parse(request.uri().path(), request.uri().query());
    // Rendering blocks on the PDF owner thread: keep it off the webview's thread.
    tauri::async_runtime::spawn_blocking(move || responder.respond(render(state, parsed)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, query: Option<&str>, expect: Option<PageRequest>) {
        assert_eq!(parse(path, query), expect, "{path}?{query:?}");
    }

    #[test]
    fn page_and_thumbnail_urls_parse_and_malformed_ones_are_refused() {
        check(
            "/page/0193-ab_c/3",
            Some("scale=1.5"),
            Some(PageRequest::Page {
                version_id: "0193-ab_c".into(),
                page: 3,
                scale: 1.5,
            }),
        );
        check(
            "/thumb/v1/0",
            Some("x=1&w=120"),
            Some(PageRequest::Thumb {
                version_id: "v1".into(),
                page: 0,
                width: 120,
            }),
        );
        check("/page/v1/3", None, None);
        check("/page/v1/3", Some("scale=100"), None);
        check("/page/v1/-1", Some("scale=1"), None);
        check("/page/../3", Some("scale=1"), None);
        check("/page/v1/3/x", Some("scale=1"), None);
        check("/other/v1/3", Some("scale=1"), None);
        check("/thumb/v1/0", Some("w=5000"), None);
    }
}
