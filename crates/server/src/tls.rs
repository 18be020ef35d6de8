//! Transport security of `ecabinet-server serve`: HTTPS with rustls (ring
//! provider), and the rule that plain HTTP is served only where nobody else
//! can listen in.
//!
//! - With `--tls-cert` and `--tls-key` the server terminates TLS itself
//!   ([`server_config`], [`TlsListener`]).
//! - Without them it serves plain HTTP only on loopback addresses
//!   ([`plain_http_allowed`]), or behind a TLS-terminating proxy that the
//!   operator vouches for with `--behind-tls-proxy`.
//!
//! Handshakes run on their own tasks with a deadline, so a client that opens
//! a connection and never finishes its handshake holds up nobody else.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A client has this long to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the certificate or key could not be used. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS {what} file {path}: {error}")]
    Read {
        what: &'static str,
        path: String,
        error: io::Error,
    },
    #[error("the TLS certificate file {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give --tls-cert the server's certificate chain in PEM")]
    NoCertificate { path: String },
    #[error("the TLS key file {path} holds no PEM private key: give --tls-key the certificate's private key in PEM (PKCS#8, RSA or SEC1)")]
    NoKey { path: String },
    #[error("the TLS {what} file {path} is not valid PEM: {detail}")]
    BadPem {
        what: &'static str,
        path: String,
        detail: String,
    },
    #[error("cannot use the certificate {cert} with the key {key}: {detail} (is the key the certificate's own?)")]
    Mismatch {
        cert: String,
        key: String,
        detail: String,
    },
}

/// The rustls server configuration for a PEM certificate chain (server
/// certificate first) and its PEM private key.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_name = cert.display().to_string();
    let key_name = key.display().to_string();
    let read = |what, path: &Path, name: &String| {
        std::fs::read(path).map_err(|error| TlsError::Read {
            what,
            path: name.clone(),
            error,
        })
    };
    let cert_pem = read("certificate", cert, &cert_name)?;
    let key_pem = read("key", key, &key_name)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem {
            what: "certificate",
            path: cert_name.clone(),
            detail: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: cert_name });
    }
    let private_key = match PrivateKeyDer::from_pem_slice(&key_pem) {
        Ok(k) => k,
        Err(pem::Error::NoItemsFound) => return Err(TlsError::NoKey { path: key_name }),
        Err(e) => {
            return Err(TlsError::BadPem {
                what: "key",
                path: key_name,
                detail: e.to_string(),
            })
        }
    };
    let mismatch = |e: rustls::Error| TlsError::Mismatch {
        cert: cert_name.clone(),
        key: key_name.clone(),
        detail: e.to_string(),
    };
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(mismatch)?
    .with_no_client_auth()
    .with_single_cert(chain, private_key)
    .map_err(mismatch)?;
    // The router speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Whether plain HTTP may be served on `listen` (as given to `--listen`):
/// only when every address it resolves to is a loopback address.
pub async fn plain_http_allowed(listen: &str) -> io::Result<bool> {
    let mut any = false;
    for addr in tokio::net::lookup_host(listen).await? {
        if !addr.ip().is_loopback() {
            return Ok(false);
        }
        any = true;
    }
    Ok(any)
}

/// The error for plain HTTP on a non-loopback address.
pub fn plain_http_refused(listen: &str) -> String {
    format!(
        "refusing to serve plain HTTP on {listen}: beyond this computer (loopback) \
         the server needs TLS. Give --tls-cert FILE --tls-key FILE (PEM), or \
         --behind-tls-proxy if a TLS-terminating proxy in front of this server \
         is the only way to reach it"
    )
}

/// A TCP listener that hands axum only connections whose TLS handshake
/// completed.
pub struct TlsListener {
    local_addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> io::Result<TlsListener> {
        let local_addr = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let accept_task = tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off
                        // instead of spinning (what axum does for plain TCP).
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    // A failed or abandoned handshake leaves nothing to serve.
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener {
            local_addr,
            ready,
            accept_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accept task holds a sender for as long as this listener
            // lives, so this is unreachable; never hand out a connection.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}
