//! Test certificate authorities for TLS tests, made fresh inside each test
//! so no key or certificate is ever checked in.
//!
//! ```no_run
//! let ca = ecabinet_testca::TestCa::new("E-Cabinet test CA").expect("ca");
//! let dir = std::env::temp_dir();
//! let ca_pem = ca.write_ca(&dir).expect("write CA");          // trust this
//! let server = ca.server_cert(&["localhost", "127.0.0.1"]).expect("cert");
//! let (cert, key) = server.write(&dir, "server").expect("write"); // serve with these
//! ```
//!
//! Keys are ECDSA P-256 (rcgen's ring backend); certificates keep rcgen's
//! default validity (1975 to 4096), so no test clock can make them expire.

use std::io;
use std::path::{Path, PathBuf};

pub use rcgen::Error;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// A certificate authority that exists only for one test.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate with its private key, both PEM.
pub struct IssuedCert {
    /// The certificate followed by its CA's: the chain a server presents.
    pub chain_pem: String,
    /// PKCS#8 private key.
    pub key_pem: String,
}

impl TestCa {
    /// A fresh CA whose certificate's common name is `name`.
    pub fn new(name: &str) -> Result<TestCa, Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        Ok(TestCa { issuer })
    }

    /// The CA certificate, PEM: what a client trusts.
    pub fn ca_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names` (DNS names, or IP addresses such as
    /// `127.0.0.1`) signed by this CA.
    pub fn server_cert(&self, names: &[&str]) -> Result<IssuedCert, Error> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(IssuedCert {
            chain_pem: format!("{}{}", cert.pem(), self.issuer.pem()),
            key_pem: key.serialize_pem(),
        })
    }

    /// Writes the CA certificate to `dir/ca.pem` and returns its path.
    pub fn write_ca(&self, dir: &Path) -> io::Result<PathBuf> {
        let path = dir.join("ca.pem");
        std::fs::write(&path, self.ca_pem())?;
        Ok(path)
    }
}

impl IssuedCert {
    /// Writes `dir/<stem>.pem` (the chain) and `dir/<stem>.key` (the key);
    /// returns (certificate path, key path).
    pub fn write(&self, dir: &Path, stem: &str) -> io::Result<(PathBuf, PathBuf)> {
        let cert = dir.join(format!("{stem}.pem"));
        let key = dir.join(format!("{stem}.key"));
        std::fs::write(&cert, &self.chain_pem)?;
        std::fs::write(&key, &self.key_pem)?;
        Ok((cert, key))
    }
}

/// The Python of the virtual environment `scripts/setup` fills (pyHanko is
/// in it); `ECABINET_PYTHON` names another.
pub fn python() -> PathBuf {
    std::env::var_os("ECABINET_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools/py/bin/python"))
}

/// A script of the PAdES fixtures, `tests/pades/NAME`.
pub fn pades_script(name: &str) -> PathBuf {
    workspace_root().join("tests/pades").join(name)
}

/// Writes into `dir` the PDFs that pyHanko signs with a test CA made for
/// this run (`tests/pades/make_signed.py`: valid, changed after signing,
/// untrusted root, expired, two signatures, ...), with that CA's root as
/// `root.pem`. An error names what failed and what sets it up.
pub fn signed_pdfs(dir: &Path) -> io::Result<()> {
    let out = std::process::Command::new(python())
        .arg(pades_script("make_signed.py"))
        .arg(dir)
        .output()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "run {} (scripts/setup installs pyHanko into .tools/py; ECABINET_PYTHON overrides): {e}",
                    python().display()
                ),
            )
        })?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "make_signed.py: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
