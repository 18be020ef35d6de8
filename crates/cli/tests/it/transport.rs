//! Transport and enrolment through the real binaries: `ecabinet-server`
//! (TLS with a test CA made in the test, enrol codes, its signing-key file) and
//! `ecabinet` (enrol, sync, status). Each attack has its own test.
//!
//! The server binary belongs to another package, so cargo does not hand its
//! path to this test: it is taken from `ECABINET_SERVER_BIN`, else from the
//! target folder, where a workspace test run has built it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rustls::pki_types::pem::PemObject as _;
use serde_json::Value;

use crate::{ecabinet, text, PIN};

fn server_bin() -> Result<PathBuf> {
    let path = std::env::var_os("ECABINET_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_BIN_EXE_ecabinet")).with_file_name("ecabinet-server")
        });
    if !path.is_file() {
        bail!(
            "no server binary at {} (cargo build -p ecabinet-server, or set ECABINET_SERVER_BIN)",
            path.display()
        );
    }
    Ok(path)
}

/// Runs `ecabinet-server ARGS` to completion: its stdout, or its stderr as the error.
fn server_cli(args: &[&str]) -> Result<String> {
    let out = Command::new(server_bin()?)
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!(
            "ecabinet-server {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A fresh test CA (a deployment's internal CA) with its certificate in
/// `dir/ca.pem`, and a server certificate for 127.0.0.1 and localhost signed
/// by it in `dir/server.pem` and `dir/server.key`: (CA, certificate, key).
fn deployment_ca(dir: &Path, name: &str) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let ca = ecabinet_testca::TestCa::new(name)?;
    let ca_pem = ca.write_ca(dir)?;
    let (cert, key) = ca
        .server_cert(&["127.0.0.1", "localhost"])?
        .write(dir, "server")?;
    Ok((ca_pem, cert, key))
}

/// A real `ecabinet-server` process with a seeded demo committee.
struct Server {
    data: tempfile::TempDir,
    summary: Value,
    child: Option<Child>,
    url: String,
    addr: SocketAddr,
}

impl Server {
    /// Seeds a data folder and serves it on 127.0.0.1 (with TLS when given).
    fn start(tls: Option<(&Path, &Path)>) -> Result<Server> {
        let data = tempfile::tempdir()?;
        let d = data.path().to_str().context("utf-8 path")?;
        let summary: Value = serde_json::from_str(&server_cli(&["seed-demo", "--data-dir", d])?)?;
        let mut server = Server {
            data,
            summary,
            child: None,
            url: String::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        server.serve(tls, "127.0.0.1:0")?;
        Ok(server)
    }

    fn serve(&mut self, tls: Option<(&Path, &Path)>, listen: &str) -> Result<()> {
        let mut cmd = Command::new(server_bin()?);
        cmd.args(["serve", "--data-dir"])
            .arg(self.data.path())
            .args(["--listen", listen]);
        if let Some((cert, key)) = tls {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut stdout = BufReader::new(child.stdout.take().context("stdout")?);
        let mut first = String::new();
        stdout.read_line(&mut first)?;
        // Keep draining, so the server never writes into a closed pipe.
        std::thread::spawn(move || for _ in stdout.lines() {});
        self.child = Some(child);
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("unexpected first line {first:?}"))?
            .to_owned();
        self.addr = url
            .rsplit("//")
            .next()
            .context("address")?
            .parse()
            .context("listen address")?;
        self.url = url;
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn account(&self, role: &str) -> Result<(String, String)> {
        let a = self.summary["accounts"]
            .as_array()
            .context("accounts")?
            .iter()
            .find(|a| a["role"] == role)
            .with_context(|| format!("no seeded {role}"))?;
        Ok((
            a["username"].as_str().context("username")?.to_owned(),
            a["password"].as_str().context("password")?.to_owned(),
        ))
    }

    /// A fresh enrol code for `username` from `ecabinet-server enrol-code`.
    fn enrol_code(&self, username: &str) -> Result<String> {
        let out = server_cli(&[
            "enrol-code",
            "--data-dir",
            self.data.path().to_str().context("utf-8 path")?,
            "--username",
            username,
        ])?;
        Ok(out.lines().next().context("code line")?.trim().to_owned())
    }

    fn fingerprint(&self) -> Result<String> {
        Ok(ecabinet_tests::fingerprint_of(
            self.summary["server_signing_key"]
                .as_str()
                .context("server_signing_key")?,
        ))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Nothing of a device in `dir`: absent or empty.
fn nothing_in(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(_) => true,
    }
}

async fn status(dir: &Path) -> Result<Value> {
    let out = ecabinet(dir, &["status", "--json"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_enrol_and_sync_trust_the_deployment_ca_given_with_ca_cert() -> Result<()> {
    let certs = tempfile::tempdir()?;
    let (ca_pem, cert, key) = deployment_ca(certs.path(), "So Noi vu test CA")?;
    let server = Server::start(Some((&cert, &key)))?;
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let (user, password) = server.account("member")?;
    let home = tempfile::tempdir()?;
    let dir = home.path().join("device");
    let code = server.enrol_code(&user)?;
    let env = [
        ("ECABINET_PASSWORD", password.as_str()),
        ("ECABINET_PIN", PIN),
        ("ECABINET_ENROL_CODE", code.as_str()),
    ];

    // The system's roots do not know the deployment's CA.
    let out = ecabinet(
        &dir,
        &["enrol", "--server", &server.url, "--user", &user],
        &env,
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("certificate is not trusted") && stderr(&out).contains("--ca-cert"),
        "{}",
        text(&out)
    );
    assert!(nothing_in(&dir));

    let ca_arg = ca_pem.to_str().context("utf-8 path")?;
    let out = ecabinet(
        &dir,
        &[
            "enrol",
            "--server",
            &server.url,
            "--user",
            &user,
            "--ca-cert",
            ca_arg,
        ],
        &env,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));

    // The CA is kept inside the encrypted store: the file is not needed again.
    std::fs::remove_file(&ca_pem)?;
    let out = ecabinet(&dir, &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("downloaded document"),
        "{}",
        text(&out)
    );
    let status = status(&dir).await?;
    let versions = status["document_versions"].as_u64().context("versions")?;
    assert!(versions >= 3, "{status}");
    assert_eq!(status["verified_blobs"].as_u64(), Some(versions));
    Ok(())
}

/// A TLS-terminating proxy on 127.0.0.1 that presents its own certificate
/// and relays to `upstream` (trusting `upstream_ca`): what an interceptor
/// with a certificate from another CA does. Counts completed handshakes.
struct Interceptor {
    addr: SocketAddr,
    handshakes: Arc<AtomicUsize>,
}

async fn interceptor(
    cert: &Path,
    key: &Path,
    upstream: SocketAddr,
    upstream_ca: &Path,
) -> Result<Interceptor> {
    let acceptor = tokio_rustls::TlsAcceptor::from(ecabinet_server::tls::server_config(cert, key)?);
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(upstream_ca)?;
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(c?)?;
    }
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, connector, counted) =
                (acceptor.clone(), connector.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(mut down) = acceptor.accept(tcp).await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let Ok(tcp) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let name = rustls::pki_types::ServerName::try_from("127.0.0.1")
                    .expect("server name")
                    .to_owned();
                if let Ok(mut up) = connector.connect(name, tcp).await {
                    let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                }
            });
        }
    });
    Ok(Interceptor { addr, handshakes })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_man_in_the_middle_with_another_certificate_is_refused_and_nothing_is_enrolled(
) -> Result<()> {
    let (certs, intercepting) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (ca_pem, cert, key) = deployment_ca(certs.path(), "So Noi vu test CA")?;
    let server = Server::start(Some((&cert, &key)))?;

    let (other_pem, mitm_cert, mitm_key) = deployment_ca(intercepting.path(), "Interceptor CA")?;
    let mitm = interceptor(&mitm_cert, &mitm_key, server.addr, &ca_pem).await?;

    // The interceptor works: a client that trusts its CA gets the real
    // server's answer through it.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(&other_pem)?;
        for c in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            roots.add(c?)?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(mitm.addr).await?;
        let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(
                rustls::pki_types::ServerName::try_from("127.0.0.1")?.to_owned(),
                tcp,
            )
            .await?;
        tls.write_all(
            b"GET /v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        )
        .await?;
        let mut answer = Vec::new();
        let _ = tls.read_to_end(&mut answer).await;
        assert!(
            answer.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        );
    }
    let relayed = mitm.handshakes.load(Ordering::SeqCst);

    let (user, password) = server.account("member")?;
    let code = server.enrol_code(&user)?;
    let home = tempfile::tempdir()?;
    let dir = home.path().join("device");
    let via_mitm = format!("https://{}", mitm.addr);
    let out = ecabinet(
        &dir,
        &[
            "enrol",
            "--server",
            &via_mitm,
            "--user",
            &user,
            "--ca-cert",
            ca_pem.to_str().context("utf-8 path")?,
        ],
        &[
            ("ECABINET_PASSWORD", password.as_str()),
            ("ECABINET_PIN", PIN),
            ("ECABINET_ENROL_CODE", code.as_str()),
        ],
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("certificate is not trusted"),
        "{}",
        text(&out)
    );
    assert!(nothing_in(&dir), "nothing enrolled on the device");
    assert_eq!(
        mitm.handshakes.load(Ordering::SeqCst),
        relayed,
        "the client never completed a handshake with the interceptor, so no request (and no password) reached it"
    );

    // The code was not spent: the real server still takes it.
    let out = ecabinet(
        &dir,
        &[
            "enrol",
            "--server",
            &server.url,
            "--user",
            &user,
            "--ca-cert",
            ca_pem.to_str().context("utf-8 path")?,
        ],
        &[
            ("ECABINET_PASSWORD", password.as_str()),
            ("ECABINET_PIN", PIN),
            ("ECABINET_ENROL_CODE", code.as_str()),
        ],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_signing_key_changed_after_enrolment_is_refused_and_nothing_is_accepted(
) -> Result<()> {
    let mut server = Server::start(None)?;
    let (user, password) = server.account("member")?;
    let home = tempfile::tempdir()?;
    let dir = home.path().join("device");
    let code = server.enrol_code(&user)?;
    let out = ecabinet(
        &dir,
        &["enrol", "--server", &server.url, "--user", &user],
        &[
            ("ECABINET_PASSWORD", password.as_str()),
            ("ECABINET_PIN", PIN),
            ("ECABINET_ENROL_CODE", code.as_str()),
        ],
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    let pinned = server.fingerprint()?;

    // The server's signing key is replaced (lost, stolen, or an impostor
    // with the same data): a new key is made at the next start.
    server.stop();
    std::fs::remove_file(server.data.path().join("signing-key.pk8"))?;
    let listen = server.addr.to_string();
    server.serve(None, &listen)?;
    let fresh = server_cli(&[
        "enrol-code",
        "--data-dir",
        server.data.path().to_str().context("utf-8 path")?,
        "--username",
        &user,
    ])?;
    let now = fresh
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .context("fingerprint line")?
        .trim()
        .to_owned();
    assert_ne!(now, pinned);

    let out = ecabinet(&dir, &["sync"], &[("ECABINET_PIN", PIN)]).await?;
    assert!(!out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("signing key is not the one pinned at enrolment")
            && err.contains(&pinned)
            && err.contains(&now)
            && err.contains("re-enrol with a new enrol code"),
        "{}",
        text(&out)
    );
    let status = status(&dir).await?;
    assert_eq!(status["cursor"].as_i64(), Some(0), "{status}");
    assert_eq!(status["meetings"].as_u64(), Some(0), "{status}");
    assert_eq!(status["document_versions"].as_u64(), Some(0), "{status}");
    assert_eq!(status["verified_blobs"].as_u64(), Some(0), "{status}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_non_loopback_name_is_refused_without_a_connection_attempt() -> Result<()> {
    // A proxy we own: any request for the name would come here.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let proxy = format!("http://{}", listener.local_addr()?);
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(tcp);
        }
    });
    let home = tempfile::tempdir()?;
    let dir = home.path().join("device");
    let out = ecabinet(
        &dir,
        &[
            "enrol",
            "--server",
            "http://ecabinet.example.gov.vn:8787",
            "--user",
            "member",
            "--server-fingerprint",
            "0000-0000-0000-0000",
        ],
        &[
            ("ECABINET_PASSWORD", "mật khẩu"),
            ("ECABINET_PIN", PIN),
            ("HTTP_PROXY", &proxy),
            ("http_proxy", &proxy),
            ("ALL_PROXY", &proxy),
            ("all_proxy", &proxy),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
        ],
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains(
            "refusing plain http:// to ecabinet.example.gov.vn: only https:// is allowed beyond this computer"
        ),
        "{}",
        text(&out)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no connection was made"
    );
    assert!(nothing_in(&dir));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrol_code_whose_fingerprint_does_not_match_the_server_is_refused_and_nothing_is_left_on_disk(
) -> Result<()> {
    // The member holds a code for the genuine server; the server on the
    // wire accepts the code's secret but signs with another key.
    let genuine = Server::start(None)?;
    let impostor = Server::start(None)?;
    let (user, password) = impostor.account("member")?;
    let accepted = impostor.enrol_code(&user)?;
    let secret: Vec<&str> = accepted.split('-').take(4).collect();
    let code = format!("{}-{}", secret.join("-"), genuine.fingerprint()?);
    let home = tempfile::tempdir()?;
    let dir = home.path().join("device");
    let out = ecabinet(
        &dir,
        &["enrol", "--server", &impostor.url, "--user", &user],
        &[
            ("ECABINET_PASSWORD", password.as_str()),
            ("ECABINET_PIN", PIN),
            ("ECABINET_ENROL_CODE", code.as_str()),
        ],
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("does not match the enrol code")
            && err.contains("possible interception")
            && err.contains("nothing was saved")
            && err.contains(&genuine.fingerprint()?)
            && err.contains(&impostor.fingerprint()?),
        "{}",
        text(&out)
    );
    assert!(nothing_in(&dir), "nothing left on disk");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_without_a_code_needs_the_fingerprint_the_administrator_gave() -> Result<()> {
    let server = Server::start(None)?;
    let other = Server::start(None)?;
    let (user, password) = server.account("member")?;
    let home = tempfile::tempdir()?;
    let dir = home.path().join("device");
    let env = [
        ("ECABINET_PASSWORD", password.as_str()),
        ("ECABINET_PIN", PIN),
    ];

    let out = ecabinet(
        &dir,
        &["enrol", "--server", &server.url, "--user", &user],
        &env,
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("--server-fingerprint")
            && stderr(&out).contains("ECABINET_ENROL_CODE"),
        "{}",
        text(&out)
    );
    assert!(nothing_in(&dir));

    let wrong = other.fingerprint()?;
    let out = ecabinet(
        &dir,
        &[
            "enrol",
            "--server",
            &server.url,
            "--user",
            &user,
            "--server-fingerprint",
            &wrong,
        ],
        &env,
    )
    .await?;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("possible interception"),
        "{}",
        text(&out)
    );
    assert!(nothing_in(&dir));

    let right = server.fingerprint()?.to_lowercase().replace('-', " ");
    let out = ecabinet(
        &dir,
        &[
            "enrol",
            "--server",
            &server.url,
            "--user",
            &user,
            "--server-fingerprint",
            &right,
        ],
        &env,
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out));
    Ok(())
}
