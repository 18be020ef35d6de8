//! `GET /v1/blobs/{sha256}`: document bytes with a strong ETag, single
//! `Range` requests (206) honouring `If-Range`, and access control: only a
//! caller who may see a document version with that hash gets the bytes.
//! The bytes are streamed from the blob store, never read whole.

use std::ops::Range;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ecabinet_protocol::{ErrorBody, ErrorCode};

use crate::auth::Caller;
use crate::error::Path;
use crate::{params, AppError, AppState};

/// What the `Range` header asks for, given the blob size.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeAsk {
    /// No usable range: send everything (200).
    Whole,
    /// One satisfiable range (206).
    Part(Range<u64>),
    /// Syntactically fine but outside the blob (416).
    Unsatisfiable,
}

/// Parses a `Range` header value for a blob of `size` bytes. Only single
/// byte ranges are served; anything else is ignored, as RFC 9110 allows.
pub fn parse_range(value: &str, size: u64) -> RangeAsk {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        // Suffix: the last N bytes.
        let Ok(n) = b.parse::<u64>() else {
            return RangeAsk::Whole;
        };
        if n == 0 || size == 0 {
            return RangeAsk::Unsatisfiable;
        }
        return RangeAsk::Part(size.saturating_sub(n)..size);
    }
    let Ok(start) = a.parse::<u64>() else {
        return RangeAsk::Whole;
    };
    let end = if b.is_empty() {
        size
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => e.saturating_add(1).min(size),
            _ => return RangeAsk::Whole,
        }
    };
    if start >= size {
        return RangeAsk::Unsatisfiable;
    }
    RangeAsk::Part(start..end)
}

pub async fn get_blob(
    State(state): State<AppState>,
    caller: Caller,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let valid = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Err(AppError::not_found("blob"));
    }
    let sha = sha256.clone();
    let who = caller.clone();
    let (size, classified) = state
        .db
        .read(move |conn| {
            // Editors see every version of their committees; members only
            // published versions of published meetings. A version's text
            // layer is seen by whoever sees the version.
            let rows = conn.query(
                "SELECT b.size FROM blobs b \
                 JOIN document_versions v ON v.sha256 = b.sha256 OR v.id IN \
                   (SELECT t.version_id FROM text_layers t WHERE t.layer_sha256 = b.sha256 AND t.status = 'ready') \
                 JOIN meetings m ON m.id = v.meeting_id \
                 JOIN memberships ms ON ms.committee_id = m.committee_id AND ms.user_id = ? \
                 WHERE b.sha256 = ? AND (ms.role <> 'member' OR (v.published_at IS NOT NULL AND m.status <> 'draft')) \
                 LIMIT 1",
                params![&caller.user_id, &sha],
            )?;
            // Unknown and not-yours look the same: no hint that a hash exists.
            let r = rows.first().ok_or_else(|| AppError::not_found("blob"))?;
            let size = u64::try_from(r.int(0)?).unwrap_or(0);
            let rows = conn.query(
                "SELECT v.id, v.document_id, d.classification FROM document_versions v \
                 JOIN documents d ON d.id = v.document_id \
                 WHERE d.classification <> 'normal' AND (v.sha256 = ? OR v.id IN \
                   (SELECT t.version_id FROM text_layers t WHERE t.layer_sha256 = ?)) \
                 ORDER BY v.id LIMIT 1",
                params![&sha, &sha],
            )?;
            let classified = rows
                .first()
                .map(|r| Ok::<_, AppError>((r.text(0)?, r.text(1)?, r.text(2)?)))
                .transpose()?;
            Ok::<_, AppError>((size, classified))
        })
        .await?;

    // A classified document's bytes: every fetch goes into the access
    // register (who, which version, when), and no cache may keep them.
    // Other blobs take no write: a download is one read transaction.
    let classified = match classified {
        None => false,
        Some((version_id, document_id, classification)) => {
            let now = state.now();
            state
                .db
                .write_grouped(move |tx| {
                    tx.conn.execute(
                        "INSERT INTO access_register (id, user_id, device_id, document_id, version_id, classification, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        params![
                            crate::records::new_id(),
                            &who.user_id,
                            who.device_id.as_deref(),
                            &document_id,
                            &version_id,
                            &classification,
                            now
                        ],
                    )?;
                    Ok::<_, AppError>(())
                })
                .await?;
            true
        }
    };
    let etag = format!("\"{sha256}\"");
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| AppError::internal(e.to_string()))?;
    let matches = |v: Option<&HeaderValue>| {
        v.and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    };
    let common = |status: StatusCode| {
        let mut r = Response::builder()
            .status(status)
            .header(header::ETAG, etag_value.clone())
            .header(header::ACCEPT_RANGES, "bytes")
            .header(
                header::CACHE_CONTROL,
                if classified {
                    "no-store"
                } else {
                    "private, max-age=31536000, immutable"
                },
            );
        if status != StatusCode::NOT_MODIFIED {
            r = r.header(header::CONTENT_TYPE, "application/pdf");
        }
        r
    };
    if matches(headers.get(header::IF_NONE_MATCH)) {
        return common(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(|e| AppError::internal(e.to_string()));
    }
    // If-Range with another validator means "the copy I have part of is
    // stale": send the whole current blob instead of a part.
    let if_range_ok = match headers.get(header::IF_RANGE) {
        None => true,
        Some(v) => v.to_str().is_ok_and(|v| v.trim() == etag),
    };
    let ask = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) if if_range_ok => parse_range(r, size),
        _ => RangeAsk::Whole,
    };
    match ask {
        // Streamed in chunks: a large document never sits whole in memory.
        RangeAsk::Whole => {
            let read = state.blobs.get(&sha256, None).await?;
            state.metrics.blob_bytes(read.len);
            common(StatusCode::OK)
                .header(header::CONTENT_LENGTH, read.len)
                .body(Body::from_stream(read.bytes))
                .map_err(AppError::internal)
        }
        RangeAsk::Part(r) => {
            let read = state.blobs.get(&sha256, Some(r.clone())).await?;
            state.metrics.blob_bytes(read.len);
            common(StatusCode::PARTIAL_CONTENT)
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{}", r.start, r.end - 1, size),
                )
                .header(header::CONTENT_LENGTH, read.len)
                .body(Body::from_stream(read.bytes))
                .map_err(AppError::internal)
        }
        RangeAsk::Unsatisfiable => {
            let body = ErrorBody {
                code: ErrorCode::RangeNotSatisfiable,
                message: format!("the blob has {size} bytes"),
            };
            Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [
                    (header::CONTENT_RANGE, format!("bytes */{size}")),
                    (header::ETAG, etag),
                ],
                axum::Json(body),
            )
                .into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_as_rfc_9110_says() {
        let check = |v: &str, want: RangeAsk| assert_eq!(parse_range(v, 100), want, "{v}");
        check("bytes=0-9", RangeAsk::Part(0..10));
        check("bytes=90-", RangeAsk::Part(90..100));
        check("bytes=95-200", RangeAsk::Part(95..100));
        check("bytes=-10", RangeAsk::Part(90..100));
        check("bytes=-500", RangeAsk::Part(0..100));
        check("bytes=100-", RangeAsk::Unsatisfiable);
        check("bytes=-0", RangeAsk::Unsatisfiable);
        check("bytes=5-2", RangeAsk::Whole);
        check("bytes=0-1,5-6", RangeAsk::Whole);
        check("items=0-1", RangeAsk::Whole);
        check("bytes=x-1", RangeAsk::Whole);
    }
}
