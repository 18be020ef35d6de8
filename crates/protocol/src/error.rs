use serde::{Deserialize, Serialize};

/// Stable error codes of the HTTP API. Clients branch on these, never on the
/// message text, and map each to a sentence a member understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

/// The body of every error response: `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

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
