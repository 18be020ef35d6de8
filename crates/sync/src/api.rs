//! The HTTP side: one `reqwest::Client`, the session's credentials, and
//! error bodies turned into [`SyncError`]s.
//!
//! Transport rules, checked here and nowhere else: `https://` is verified
//! against the system's roots plus the deployment's own CA when the device
//! was enrolled with one (rustls, ring provider); plain `http://` is allowed
//! only to this computer (`localhost`, 127.0.0.0/8, ::1) and any other
//! `http://` address is refused before a connection is made; redirects are
//! never followed, so a server cannot send the client to a plain address.

use std::time::Duration;

use ecabinet_protocol::{
    ChangesPage, EnrolDeviceRequest, EnrolDeviceResponse, ErrorBody, ErrorCode, LoginRequest,
    LoginResponse, RefreshRequest, DEVICE_ID_HEADER,
};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use std::sync::Arc;

use ecabinet_store::Store;

use crate::renew::Renewal;
use crate::{Session, SyncError};

/// A client of one sync server.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    device_id: Option<String>,
    /// The deployment CA the client trusts, for [`Api::patient`].
    ca_cert: Option<String>,
    /// Renews the token with the device key on a 401 (see `renew`).
    renewal: Option<Arc<Renewal>>,
}

/// Builds the one HTTP client of a server address, trusting `ca_cert` (PEM,
/// one or more certificates) besides the system's roots.
fn http_client(base: &str, ca_cert: Option<&str>) -> Result<reqwest::Client, SyncError> {
    http_client_waiting(base, ca_cert, Duration::from_secs(30))
}

/// [`http_client`] whose reads wait up to `read_wait` for the next bytes.
fn http_client_waiting(
    base: &str,
    ca_cert: Option<&str>,
    read_wait: Duration,
) -> Result<reqwest::Client, SyncError> {
    check_transport(base)?;
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        // Reads time out per chunk, not per download: a large document on a
        // slow link may take minutes, a stalled one should not.
        .read_timeout(read_wait)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = ca_cert {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| SyncError::BadCaCertificate(e.to_string()))?;
        if certs.is_empty() {
            return Err(SyncError::BadCaCertificate(
                "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| {
        if ca_cert.is_some() {
            SyncError::BadCaCertificate(e.to_string())
        } else {
            SyncError::Internal(format!("HTTP client: {e}"))
        }
    })
}

/// Refuses any address but `https://`, or `http://` to this computer.
pub(crate) fn check_transport(base: &str) -> Result<(), SyncError> {
    let url = reqwest::Url::parse(base).map_err(|e| {
        SyncError::BadServerAddress(format!(
            "{base:?} is not a server address ({e}); it looks like https://server.example"
        ))
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or_default();
            let ip = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || ip
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err(SyncError::InsecureUrl {
                    host: host.to_owned(),
                })
            }
        }
        other => Err(SyncError::BadServerAddress(format!(
            "{other}:// is not a server address: use https://"
        ))),
    }
}

impl Api {
    /// An anonymous client (before login) of the server at `server_url`,
    /// trusting the deployment CA `ca_cert` (PEM) besides the system's roots.
    /// Refuses `http://` beyond this computer before any connection.
    pub fn anonymous(server_url: &str, ca_cert: Option<&str>) -> Result<Api, SyncError> {
        let base = server_url.trim().trim_end_matches('/').to_owned();
        Ok(Api {
            http: http_client(&base, ca_cert)?,
            base,
            token: None,
            device_id: None,
            ca_cert: ca_cert.map(str::to_owned),
            renewal: None,
        })
    }

    /// The same client, waiting up to `read_wait` for an answer: for calls
    /// the server may take minutes to answer (checking and storing a
    /// gigabyte upload), where the usual 30 s would give up too early.
    pub(crate) fn patient(&self, read_wait: Duration) -> Result<Api, SyncError> {
        Ok(Api {
            http: http_client_waiting(&self.base, self.ca_cert.as_deref(), read_wait)?,
            base: self.base.clone(),
            token: self.token.clone(),
            device_id: self.device_id.clone(),
            ca_cert: self.ca_cert.clone(),
            renewal: self.renewal.clone(),
        })
    }

    /// A client acting for an enrolled device (with the CA it was enrolled with).
    pub fn new(session: &Session) -> Result<Api, SyncError> {
        let mut api = Api::anonymous(&session.server_url, session.ca_cert.as_deref())?;
        api.token = Some(session.token.clone());
        api.device_id = Some(session.device_id.clone());
        Ok(api)
    }

    /// This client renews its short-lived token with the device key in
    /// `store` whenever the server answers 401, and sends the request again.
    pub fn renewing(mut self, store: Arc<Store>, session: &Session) -> Api {
        self.renewal = Some(Arc::new(Renewal::new(store, session)));
        self
    }

    /// The enrolled device this client signs for, if any.
    pub fn device_id(&self) -> Option<String> {
        self.device_id.clone()
    }

    fn current_token(&self) -> Option<String> {
        match &self.renewal {
            Some(r) => Some(r.token()),
            None => self.token.clone(),
        }
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
        if let Some(t) = self.current_token() {
            if let Some(v) = bearer(&t) {
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
        self.request(Method::PUT, path)
    }

    pub(crate) fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    pub(crate) fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// A request with the session's credentials; the typed calls of the
    /// chair, the secretary and the reading report are all built here and
    /// answered through [`Api::json`] or [`Api::send`], so their errors have
    /// one shape.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .headers(self.auth_headers())
    }

    /// `POST path` without a body, its JSON answer.
    pub(crate) async fn post_for<T: DeserializeOwned>(&self, path: &str) -> Result<T, SyncError> {
        self.json(self.post(path)).await
    }

    /// Sends and maps transport failures and error statuses. A 401 on a
    /// renewing client renews the token and sends the request once more.
    pub(crate) async fn send(&self, req: RequestBuilder) -> Result<Response, SyncError> {
        let again = self.renewal.as_ref().and_then(|_| req.try_clone());
        let used = self.current_token();
        let resp = req.send().await.map_err(transport_error)?;
        if let (StatusCode::UNAUTHORIZED, Some(renewal), Some(again), Some(used)) =
            (resp.status(), &self.renewal, again, used)
        {
            let fresh = renewal.renew(self, &used).await?;
            let (client, req) = again.build_split();
            let mut req = req.map_err(SyncError::Offline)?;
            if let Some(v) = bearer(&fresh) {
                req.headers_mut().insert(AUTHORIZATION, v);
            }
            let resp = client.execute(req).await.map_err(transport_error)?;
            return Self::checked(resp).await;
        }
        Self::checked(resp).await
    }

    async fn checked(resp: Response) -> Result<Response, SyncError> {
        if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(resp);
        }
        Err(error_from(resp).await)
    }

    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        req: RequestBuilder,
    ) -> Result<T, SyncError> {
        self.json_capped(req, MAX_JSON_BYTES, "JSON answer").await
    }

    /// [`Api::json`] with its own size limit: the body is read up to `limit`
    /// bytes and refused beyond, so a server cannot make the client buffer
    /// without end.
    pub(crate) async fn json_capped<T: DeserializeOwned>(
        &self,
        req: RequestBuilder,
        limit: usize,
        what: &'static str,
    ) -> Result<T, SyncError> {
        let resp = self.send(req).await?;
        let body = read_capped(resp, limit, what).await?;
        serde_json::from_slice(&body).map_err(|e| SyncError::Protocol(format!("bad JSON: {e}")))
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<LoginResponse, SyncError> {
        self.login_with(&LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            device: None,
        })
        .await
    }

    /// `POST /v1/login` with the whole request (an enrolled device signing
    /// in again sends its proof).
    pub(crate) async fn login_with(&self, body: &LoginRequest) -> Result<LoginResponse, SyncError> {
        self.json(self.http.post(self.url("/v1/login")).json(body))
            .await
    }

    /// `POST /v1/session/refresh`: signed by the device, no bearer token.
    pub(crate) async fn refresh(&self, body: &RefreshRequest) -> Result<LoginResponse, SyncError> {
        let resp = self
            .http
            .post(self.url("/v1/session/refresh"))
            .json(body)
            .send()
            .await
            .map_err(transport_error)?;
        let resp = Self::checked(resp).await?;
        let body = read_capped(resp, MAX_JSON_BYTES, "JSON answer").await?;
        serde_json::from_slice(&body).map_err(|e| SyncError::Protocol(format!("bad JSON: {e}")))
    }

    /// `POST /v1/devices`; `enrol_code` is the secret half of an enrol code
    /// (16 symbols), when the person has one.
    pub async fn enrol_device(
        &self,
        public_key_b64: &str,
        name: &str,
        enrol_code: Option<String>,
    ) -> Result<EnrolDeviceResponse, SyncError> {
        let body = EnrolDeviceRequest {
            public_key: public_key_b64.to_owned(),
            name: name.to_owned(),
            enrol_code,
        };
        self.json(self.post("/v1/devices").json(&body)).await
    }

    /// `POST /v1/devices/lost-ops`: the caller's operations a wrong-PIN wipe
    /// erased on their earlier device (at most
    /// [`ecabinet_protocol::MAX_LOST_OPS_PER_REPORT`] ids).
    pub async fn report_lost_ops(
        &self,
        op_ids: &[String],
    ) -> Result<ecabinet_protocol::ReportLostOpsResponse, SyncError> {
        let body = ecabinet_protocol::ReportLostOpsRequest {
            op_ids: op_ids.to_vec(),
        };
        self.json(self.post("/v1/devices/lost-ops").json(&body))
            .await
    }

    /// `POST /v1/ops`: one batch of outbox operations, one result each.
    pub async fn push_ops(
        &self,
        req: &ecabinet_protocol::PushRequest,
    ) -> Result<ecabinet_protocol::PushResponse, SyncError> {
        self.json(self.post("/v1/ops").json(req)).await
    }

    /// The signed list of roots trusted for embedded document signatures.
    pub async fn trusted_roots(&self) -> Result<ecabinet_protocol::SignedTrustedRoots, SyncError> {
        self.json(self.get("/v1/trusted-roots")).await
    }

    pub async fn changes(&self, since: i64, limit: u32) -> Result<ChangesPage, SyncError> {
        self.json_capped(
            self.get(&format!("/v1/changes?since={since}&limit={limit}")),
            MAX_FEED_PAGE_BYTES,
            "feed page",
        )
        .await
    }
}

/// A path segment from a server-made id; anything that could change the
/// path (a slash, `..`, a query) is refused before a request is built.
pub(crate) fn path_id(s: &str) -> Result<&str, SyncError> {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(s)
    } else {
        Err(SyncError::BadRecordId(s.to_owned()))
    }
}

fn bearer(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("Bearer {token}")).ok()
}

/// A failed request: an untrusted certificate is named as such (it is not
/// a network outage to retry); anything else is [`SyncError::Offline`].
pub(crate) fn transport_error(e: reqwest::Error) -> SyncError {
    match certificate_error(&e).map(|reason| format!("{reason:?}")) {
        Some(reason) => SyncError::UntrustedServer(reason),
        None => SyncError::Offline(e),
    }
}

/// The certificate error somewhere in `err`'s chain. An io::Error hides the
/// error it carries from `source()`, and TLS errors arrive nested in two.
fn certificate_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::CertificateError> {
    if let Some(rustls::Error::InvalidCertificate(reason)) = err.downcast_ref::<rustls::Error>() {
        return Some(reason);
    }
    if let Some(inner) = err
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        if let Some(reason) = certificate_error(inner) {
            return Some(reason);
        }
    }
    err.source().and_then(certificate_error)
}

/// Largest JSON answer accepted other than a feed page (real ones are a few KiB).
pub(crate) const MAX_JSON_BYTES: usize = 4 << 20;
/// Largest feed page accepted (500 changes; the demo committee's whole feed
/// is far below this).
pub(crate) const MAX_FEED_PAGE_BYTES: usize = 32 << 20;
/// Largest error body read; a longer one is treated as no body.
const MAX_ERROR_BYTES: usize = 64 << 10;

/// Reads a whole body, refusing it as soon as it passes `limit` bytes
/// (announced or streamed), so a server cannot make the client buffer
/// without end.
pub(crate) async fn read_capped(
    resp: Response,
    limit: usize,
    what: &'static str,
) -> Result<Vec<u8>, SyncError> {
    let too_large = SyncError::ResponseTooLarge { what, limit };
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large);
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        let chunk = chunk.map_err(transport_error)?;
        if out.len() + chunk.len() > limit {
            return Err(too_large);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn error_from(resp: Response) -> SyncError {
    let status = resp.status();
    let body: Option<ErrorBody> = read_capped(resp, MAX_ERROR_BYTES, "error body")
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    match body {
        Some(ErrorBody {
            code: ErrorCode::DeviceRevoked,
            ..
        }) => SyncError::DeviceRevoked,
        Some(ErrorBody {
            code: ErrorCode::Unauthenticated | ErrorCode::TokenExpired,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_allowed_only_to_this_computer() {
        for ok in [
            "https://cabinet.example.gov.vn",
            "https://10.0.0.5:8443/",
            "http://127.0.0.1:8787",
            "http://127.8.9.10",
            "http://localhost:8787",
            "http://LocalHost",
            "http://[::1]:8787",
        ] {
            assert!(check_transport(ok).is_ok(), "{ok}");
        }
        for (refused, host) in [
            ("http://cabinet.example.gov.vn", "cabinet.example.gov.vn"),
            ("http://10.0.0.5:8787", "10.0.0.5"),
            ("http://localhost.example.com", "localhost.example.com"),
            ("http://[::2]", "[::2]"),
        ] {
            match check_transport(refused) {
                Err(SyncError::InsecureUrl { host: h }) => assert_eq!(h, host),
                other => panic!("{refused}: {other:?}"),
            }
        }
        let message = check_transport("http://cabinet.example")
            .expect_err("refused")
            .to_string();
        assert_eq!(
            message,
            "refusing plain http:// to cabinet.example: only https:// is allowed beyond this computer (loopback)"
        );
        assert!(matches!(
            check_transport("ftp://cabinet.example"),
            Err(SyncError::BadServerAddress(_))
        ));
        assert!(matches!(
            check_transport("cabinet.example"),
            Err(SyncError::BadServerAddress(_))
        ));
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused_with_what_to_do() {
        let err = Api::anonymous("https://cabinet.example", Some("not a certificate"))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("CA certificate"), "{err}");
    }
}
