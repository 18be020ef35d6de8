//! The HTTP side: one `reqwest::Client`, the session's credentials, and
//! error bodies turned into [`SyncError`]s.

use std::time::Duration;

use ecabinet_protocol::{
    ChangesPage, EnrolDeviceRequest, EnrolDeviceResponse, ErrorBody, ErrorCode, LoginRequest,
    LoginResponse, DEVICE_ID_HEADER,
};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::{Session, SyncError};

/// A client of one sync server.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    device_id: Option<String>,
}

pub(crate) fn http_client() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        // Reads time out per chunk, not per download: a large document on a
        // slow link may take minutes, a stalled one should not.
        .read_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| SyncError::Internal(format!("HTTP client: {e}")))
}

impl Api {
    /// An anonymous client (before login).
    pub fn anonymous(server_url: &str) -> Result<Api, SyncError> {
        Ok(Api {
            http: http_client()?,
            base: server_url.trim_end_matches('/').to_owned(),
            token: None,
            device_id: None,
        })
    }

    /// A client acting for an enrolled device.
    pub fn new(session: &Session) -> Result<Api, SyncError> {
        let mut api = Api::anonymous(&session.server_url)?;
        api.token = Some(session.token.clone());
        api.device_id = Some(session.device_id.clone());
        Ok(api)
    }

    pub(crate) fn with_token(mut self, token: &str) -> Api {
        self.token = Some(token.to_owned());
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn auth_headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(t) = &self.token {
            if let Ok(v) = HeaderValue::from_str(&format!("Bearer {t}")) {
                h.insert(AUTHORIZATION, v);
            }
        }
        if let Some(d) = &self.device_id {
            if let Ok(v) = HeaderValue::from_str(d) {
                h.insert(DEVICE_ID_HEADER, v);
            }
        }
        h
    }

    pub(crate) fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(self.url(path)).headers(self.auth_headers())
    }

    pub(crate) fn post(&self, path: &str) -> RequestBuilder {
        self.http.post(self.url(path)).headers(self.auth_headers())
    }

    pub(crate) fn put(&self, path: &str) -> RequestBuilder {
        self.http.put(self.url(path)).headers(self.auth_headers())
    }

    /// Sends and maps transport failures and error statuses.
    pub(crate) async fn send(req: RequestBuilder) -> Result<Response, SyncError> {
        let resp = req.send().await.map_err(SyncError::Offline)?;
        if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(resp);
        }
        Err(error_from(resp).await)
    }

    pub(crate) async fn json<T: DeserializeOwned>(req: RequestBuilder) -> Result<T, SyncError> {
        let resp = Self::send(req).await?;
        resp.json::<T>()
            .await
            .map_err(|e| SyncError::Protocol(format!("bad JSON: {e}")))
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<LoginResponse, SyncError> {
        let body = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        Self::json(self.post("/v1/login").json(&body)).await
    }

    pub async fn enrol_device(
        &self,
        public_key_b64: &str,
        name: &str,
    ) -> Result<EnrolDeviceResponse, SyncError> {
        let body = EnrolDeviceRequest {
            public_key: public_key_b64.to_owned(),
            name: name.to_owned(),
        };
        Self::json(self.post("/v1/devices").json(&body)).await
    }

    /// `POST /v1/ops`: one batch of outbox operations, one result each.
    pub async fn push_ops(
        &self,
        req: &ecabinet_protocol::PushRequest,
    ) -> Result<ecabinet_protocol::PushResponse, SyncError> {
        Self::json(self.post("/v1/ops").json(req)).await
    }

    pub async fn changes(&self, since: i64, limit: u32) -> Result<ChangesPage, SyncError> {
        Self::json(self.get(&format!("/v1/changes?since={since}&limit={limit}"))).await
    }
}

async fn error_from(resp: Response) -> SyncError {
    let status = resp.status();
    let body: Option<ErrorBody> = resp.json().await.ok();
    match body {
        Some(ErrorBody {
            code: ErrorCode::DeviceRevoked,
            ..
        }) => SyncError::DeviceRevoked,
        Some(ErrorBody {
            code: ErrorCode::Unauthenticated,
            ..
        }) if status == StatusCode::UNAUTHORIZED => SyncError::SessionExpired,
        Some(ErrorBody { code, message }) => SyncError::Server {
            status: status.as_u16(),
            code,
            message,
        },
        None => SyncError::Server {
            status: status.as_u16(),
            code: if status.is_server_error() {
                ErrorCode::Internal
            } else {
                ErrorCode::BadRequest
            },
            message: format!("HTTP {status} without an error body"),
        },
    }
}
