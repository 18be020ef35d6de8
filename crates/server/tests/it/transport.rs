//! Transport security of the real `ecabinet-server` binary: HTTPS with a
//! certificate from a test CA, plain HTTP only on loopback or behind a TLS
//! proxy, clear errors for bad certificate files, and PostgreSQL that must
//! use TLS when the URL says so.
//!
//! The test CA comes from `ecabinet-testca` (also used by the workspace
//! transport tests in `tests/it`).

use std::path::Path;

use ecabinet_testca::TestCa;

use crate::common::*;

/// Runs the binary to completion: (status code, stdout, stderr). A command
/// expected to fail that serves instead is killed after 20 s and reported.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecabinet-server"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ecabinet-server");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "still running after 20 s (serving?): {args:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// A client trusting only `ca_pem` (no system roots).
fn client_trusting(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("ca pem"))
        .build()
        .expect("client")
}

// Anyone on the network path reads and rewrites plain HTTP: passwords,
// tokens, the signing key pinned at enrolment. The server must not offer it
// beyond loopback by accident.
#[test]
fn plain_http_on_a_non_loopback_address_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let (code, out, err) = run(&["serve", "--data-dir", s(&data), "--listen", listen]);
        assert_eq!(code, Some(1), "{listen}: {err}");
        assert!(out.is_empty(), "nothing served: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        for flag in ["--tls-cert", "--tls-key", "--behind-tls-proxy"] {
            assert!(err.contains(flag), "the error names {flag}: {err}");
        }
    }
    assert!(
        !data.exists(),
        "a refused start touches nothing on disk: {:?}",
        leftover_files(&data)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_is_served_on_loopback_and_behind_a_tls_proxy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = s(dir.path());
    let local = ServerProcess::start(&["serve", "--data-dir", d, "--listen", "localhost:0"]);
    assert!(
        local.base.starts_with("http://127.0.0.1:") || local.base.starts_with("http://[::1]:"),
        "{}",
        local.base
    );
    let health = reqwest::get(format!("{}/v1/health", local.base))
        .await
        .expect("health");
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    drop(local);

    let proxied = ServerProcess::start(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "0.0.0.0:0",
        "--behind-tls-proxy",
    ]);
    let port = proxied
        .base
        .strip_prefix("http://0.0.0.0:")
        .unwrap_or_else(|| panic!("{}", proxied.base));
    let health = reqwest::get(format!("http://127.0.0.1:{port}/v1/health"))
        .await
        .expect("health");
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    let (code, _, err) = run(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--behind-tls-proxy",
        "--tls-cert",
        "x.pem",
        "--tls-key",
        "x.key",
    ]);
    assert_eq!(
        code,
        Some(2),
        "TLS and proxy mode exclude each other: {err}"
    );
    let (code, _, err) = run(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "x.pem",
    ]);
    assert_eq!(code, Some(2), "--tls-cert needs --tls-key: {err}");
    assert!(err.contains("--tls-key"), "{err}");
}

// The server terminates TLS itself: a client that trusts the deployment's
// CA reaches it over HTTPS by name and by address; a client that does not
// trust that CA (what a man in the middle would need) gets no answer, and
// nothing is served in the clear on the TLS port.
#[tokio::test(flavor = "multi_thread")]
async fn serves_https_with_a_certificate_from_the_deployment_ca() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = TestCa::new("Sở Thông tin test CA").expect("ca");
    let (cert, key) = ca
        .server_cert(&["localhost", "127.0.0.1"])
        .expect("server cert")
        .write(dir.path(), "server")
        .expect("write");
    let data = dir.path().join("data");
    let server = ServerProcess::start(&[
        "serve",
        "--data-dir",
        s(&data),
        "--listen",
        "0.0.0.0:0",
        "--tls-cert",
        s(&cert),
        "--tls-key",
        s(&key),
    ]);
    let port = server
        .base
        .strip_prefix("https://0.0.0.0:")
        .unwrap_or_else(|| panic!("prints https: {}", server.base))
        .to_owned();

    let client = client_trusting(&ca.ca_pem());
    for host in ["localhost", "127.0.0.1"] {
        let resp = client
            .get(format!("https://{host}:{port}/v1/health"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("https to {host}: {e:?}"));
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
    }

    let other = TestCa::new("Kẻ giả mạo CA").expect("other ca");
    let refused = client_trusting(&other.ca_pem())
        .get(format!("https://localhost:{port}/v1/health"))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a client not trusting the CA gets no answer"
    );

    let cleartext = reqwest::get(format!("http://127.0.0.1:{port}/v1/health")).await;
    assert!(
        cleartext.is_err(),
        "no plain HTTP on the TLS port: {cleartext:?}"
    );
}

// An operator's typo must not start a server without TLS or with an error
// that hides which file is wrong.
#[test]
fn bad_certificate_or_key_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = TestCa::new("test CA").expect("ca");
    let (cert, key) = ca
        .server_cert(&["localhost"])
        .expect("cert")
        .write(dir.path(), "server")
        .expect("write");
    let (_, other_key) = ca
        .server_cert(&["localhost"])
        .expect("cert")
        .write(dir.path(), "other")
        .expect("write");
    let missing = dir.path().join("missing.pem");
    let data = dir.path().join("data");
    let serve = |c: &Path, k: &Path| {
        run(&[
            "serve",
            "--data-dir",
            s(&data),
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            s(c),
            "--tls-key",
            s(k),
        ])
    };
    for (c, k, named, says) in [
        (
            &missing,
            &key,
            &missing,
            "cannot read the TLS certificate file",
        ),
        (&cert, &missing, &missing, "cannot read the TLS key file"),
        (&cert, &cert, &cert, "holds no PEM private key"),
        (&key, &key, &key, "holds no PEM certificate"),
        (&cert, &other_key, &other_key, "cannot use the certificate"),
    ] {
        let (code, out, err) = serve(c, k);
        assert_eq!(code, Some(1), "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(s(named)), "names {}: {err}", named.display());
        assert!(err.contains(says), "{says}: {err}");
    }
    assert!(!data.exists(), "nothing opened");
}

// `sslmode=require` asks for an encrypted database connection; a server (or
// a man in the middle) that answers without TLS must not get the
// credentials and data in the clear.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_sslmode_require_never_falls_back_to_plain_text() {
    let url = fresh_pg_database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = s(dir.path());
    let required = format!("{url}?sslmode=require");
    let (code, out, err) = run(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &required,
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("server does not support TLS") && err.contains("sslmode=require"),
        "says TLS was required and not offered: {err}"
    );
    // Without sslmode the test server (no TLS) serves as before.
    let plain = ServerProcess::start(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &url,
    ]);
    drop(plain);

    // A CA file that cannot apply is an error, not silently ignored.
    let ca = dir.path().join("db-ca.pem");
    std::fs::write(&ca, TestCa::new("db CA").expect("ca").ca_pem()).expect("write");
    let (code, _, err) = run(&[
        "enrol-code",
        "--data-dir",
        d,
        "--database-url",
        &url,
        "--database-ca-cert",
        s(&ca),
        "--username",
        "x",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("sslmode=require"), "{err}");
    let (code, _, err) = run(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &required,
        "--database-ca-cert",
        s(&dir.path().join("nope.pem")),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("nope.pem"), "names the CA file: {err}");
}

/// A TLS-terminating proxy in front of the test PostgreSQL (which has no
/// TLS): answers the client's SSLRequest with 'S', completes a handshake
/// with `cert`/`key`, then relays the decrypted bytes. Counts handshakes.
async fn pg_tls_proxy(
    upstream: String,
    cert: &Path,
    key: &Path,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let config = ecabinet_server::tls::server_config(cert, key).expect("proxy TLS config");
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let handshakes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            let count = count.clone();
            tokio::spawn(async move {
                // SSLRequest: length 8, code 80877103.
                let mut request = [0u8; 8];
                client.read_exact(&mut request).await?;
                assert_eq!(
                    request,
                    [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f],
                    "an SSLRequest first"
                );
                client.write_all(b"S").await?;
                let mut tls = acceptor.accept(client).await?;
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut server = tokio::net::TcpStream::connect(upstream).await?;
                tokio::io::copy_bidirectional(&mut tls, &mut server).await?;
                Ok::<_, std::io::Error>(())
            });
        }
    });
    (addr, handshakes)
}

// With `sslmode=require` the server speaks TLS to the database and checks
// its certificate against the deployment CA: a database (or interceptor)
// with a certificate from another CA is refused.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_over_tls_trusts_the_database_ca_and_refuses_others() {
    let url = fresh_pg_database().await;
    let (upstream, name) = url
        .strip_prefix("postgres://postgres@")
        .and_then(|rest| rest.split_once('/'))
        .expect("the test URL's shape");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = TestCa::new("Cơ sở dữ liệu test CA").expect("ca");
    let ca_file = ca.write_ca(dir.path()).expect("write ca");
    let (cert, key) = ca
        .server_cert(&["127.0.0.1"])
        .expect("cert")
        .write(dir.path(), "db")
        .expect("write");
    let (proxy, handshakes) = pg_tls_proxy(upstream.to_owned(), &cert, &key).await;
    let tls_url = format!("postgres://postgres@{proxy}/{name}?sslmode=require");
    let d = s(dir.path());

    // Not trusted: the system roots do not know the test CA.
    let (code, out, err) = run(&[
        "audit",
        "verify",
        "--data-dir",
        d,
        "--database-url",
        &tls_url,
    ]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("certificate"), "a certificate error: {err}");

    let (code, out, err) = run(&[
        "audit",
        "verify",
        "--data-dir",
        d,
        "--database-url",
        &tls_url,
        "--database-ca-cert",
        s(&ca_file),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("audit chain intact"), "{out}");
    let before = handshakes.load(std::sync::atomic::Ordering::SeqCst);
    assert!(before >= 1, "went through TLS");

    let server = ServerProcess::start(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &tls_url,
        "--database-ca-cert",
        s(&ca_file),
    ]);
    let health = reqwest::get(format!("{}/v1/health", server.base))
        .await
        .expect("health");
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    assert!(handshakes.load(std::sync::atomic::Ordering::SeqCst) > before);
}
