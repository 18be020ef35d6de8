use serde::{Deserialize, Serialize};

/// Stable error codes of the HTTP API. Clients branch on these, never on the
/// message text, and map each to a sentence a member understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    DeviceRevoked,
    Internal,
    /// 422: well-formed JSON whose values break a rule (empty title, unknown parent, ...).
    InvalidInput,
    /// 422: an upload declared as PDF whose bytes are not a PDF.
    NotPdf,
    /// 422: a PDF that members could not open (password-protected, no pages,
    /// damaged beyond repair, or not checkable within the server's limits);
    /// the message says which, in Vietnamese and English.
    UnreadablePdf,
    /// 416: a `Range` outside the blob.
    RangeNotSatisfiable,
    /// 503: the database or blob store cannot be reached.
    Unavailable,
    /// 409: a feature the committee has switched off (read status).
    NotEnabled,
    /// 403: device enrolment with an enrol code that is wrong, already used,
    /// expired, or another user's.
    InvalidEnrolCode,
    /// 409: the meeting is closed, and a closed meeting is read-only.
    MeetingClosed,
    /// 409: a record that cannot be deleted any more (its meeting has started,
    /// or a motion under it has ballots); supersede the document instead.
    NotDeletable,
    /// 401: the access token has expired; an enrolled device renews it with
    /// `POST /v1/session/refresh`.
    TokenExpired,
    /// 403: the account has been disabled by an administrator.
    AccountDisabled,
    /// 429: too many failed logins for a username or from an address; the
    /// response's `Retry-After` says how many seconds to wait.
    RateLimited,
}

impl ErrorCode {
    /// Every code, for tests that walk them all (a new code fails
    /// `all_lists_every_code` until it is added here).
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::BadRequest,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::DeviceRevoked,
        ErrorCode::Internal,
        ErrorCode::InvalidInput,
        ErrorCode::NotPdf,
        ErrorCode::UnreadablePdf,
        ErrorCode::RangeNotSatisfiable,
        ErrorCode::Unavailable,
        ErrorCode::NotEnabled,
        ErrorCode::InvalidEnrolCode,
        ErrorCode::MeetingClosed,
        ErrorCode::NotDeletable,
        ErrorCode::TokenExpired,
        ErrorCode::AccountDisabled,
        ErrorCode::RateLimited,
    ];

    /// The HTTP status that goes with this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthenticated | ErrorCode::TokenExpired => 401,
            ErrorCode::Forbidden
            | ErrorCode::DeviceRevoked
            | ErrorCode::InvalidEnrolCode
            | ErrorCode::AccountDisabled => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict
            | ErrorCode::NotEnabled
            | ErrorCode::MeetingClosed
            | ErrorCode::NotDeletable => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RangeNotSatisfiable => 416,
            ErrorCode::InvalidInput | ErrorCode::NotPdf | ErrorCode::UnreadablePdf => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }
}

/// The body of every error response: `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_code() {
        // No wildcard: a new variant does not compile until it has a place
        // here, and then fails below until `ALL` has it too.
        fn index(c: ErrorCode) -> usize {
            match c {
                ErrorCode::BadRequest => 0,
                ErrorCode::Unauthenticated => 1,
                ErrorCode::Forbidden => 2,
                ErrorCode::NotFound => 3,
                ErrorCode::Conflict => 4,
                ErrorCode::PayloadTooLarge => 5,
                ErrorCode::UnsupportedMediaType => 6,
                ErrorCode::DeviceRevoked => 7,
                ErrorCode::Internal => 8,
                ErrorCode::InvalidInput => 9,
                ErrorCode::NotPdf => 10,
                ErrorCode::UnreadablePdf => 11,
                ErrorCode::RangeNotSatisfiable => 12,
                ErrorCode::Unavailable => 13,
                ErrorCode::NotEnabled => 14,
                ErrorCode::InvalidEnrolCode => 15,
                ErrorCode::MeetingClosed => 16,
                ErrorCode::NotDeletable => 17,
                ErrorCode::TokenExpired => 18,
                ErrorCode::AccountDisabled => 19,
                ErrorCode::RateLimited => 20,
            }
        }
        for (i, c) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(index(*c), i, "{c:?}");
        }
    }

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ErrorBody {
            code: ErrorCode::DeviceRevoked,
            message: "device revoked".into(),
        };
        let json = serde_json::to_value(&body).expect("serialise");
        assert_eq!(
            json,
            serde_json::json!({"code": "device_revoked", "message": "device revoked"})
        );
        let back: ErrorBody = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, body);
    }
}
