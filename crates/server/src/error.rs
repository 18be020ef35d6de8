//! The one error type of every handler: answers JSON `{code, message}` with
//! the status that belongs to the code.
//!
//! What went wrong inside the server (database and object-store errors,
//! invariant breaks) is never sent to the client: it is written to the
//! server's standard error under a random reference, and the client gets a
//! generic sentence with that reference, which an operator can search for.
//! Driver text names tables, constraints, hosts and SQL, all of which help an
//! attacker map the server.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ecabinet_protocol::{ErrorBody, ErrorCode};

use crate::blobs::BlobError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
        }
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }
    /// A failure inside the server: `detail` goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::logged(ErrorCode::Internal, "internal server error", &detail)
    }

    /// Logs `detail` under a fresh reference and answers `code` with `said`
    /// and the reference, never the detail.
    pub fn logged(code: ErrorCode, said: &str, detail: &dyn std::fmt::Display) -> Self {
        let reference = uuid::Uuid::new_v4().simple().to_string();
        let reference = &reference[..12];
        tracing::error!(reference, "{detail}");
        Self::new(
            code,
            format!("{said} (reference {reference}; the server's log has the details)"),
        )
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(_) => AppError::logged(
                ErrorCode::Unavailable,
                "the database is unavailable; try again later",
                &e,
            ),
            DbError::Duplicate(_) => AppError::logged(ErrorCode::Conflict, "already exists", &e),
            other => AppError::internal(other),
        }
    }
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound => AppError::not_found("blob"),
            other => AppError::logged(
                ErrorCode::Unavailable,
                "the document store is unavailable; try again later",
                &other,
            ),
        }
    }
}

impl From<crate::audit::AuditLogError> for AppError {
    fn from(e: crate::audit::AuditLogError) -> Self {
        match e {
            crate::audit::AuditLogError::Db(d) => d.into(),
            other => AppError::internal(other),
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::internal(format_args!("json: {e}"))
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        let code = match &r {
            JsonRejection::MissingJsonContentType(_) => ErrorCode::UnsupportedMediaType,
            JsonRejection::JsonDataError(_) => ErrorCode::InvalidInput,
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ErrorCode::PayloadTooLarge
            }
            _ => ErrorCode::BadRequest,
        };
        AppError::new(code, r.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::new(ErrorCode::BadRequest, r.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::new(ErrorCode::BadRequest, r.body_text())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            code: self.code,
            message: self.message,
        };
        (status, axum::Json(body)).into_response()
    }
}

/// `axum::Json` whose rejections answer in our `{code, message}` shape.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` with our rejection.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` with our rejection.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);
