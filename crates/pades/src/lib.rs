//! Embedded PDF signatures (PAdES, and the older `adbe.pkcs7.detached`):
//! found in the file, each checked for
//! - **integrity**: the digest of the bytes it covers (its `/ByteRange`)
//!   matches the one it signed, and the CMS signature over its signed
//!   attributes verifies with its signer's certificate;
//! - **coverage**: whether bytes were added after it (a later revision)
//!   that no later intact signature covers;
//! - **trust**: whether the signer's certificate chains, through the
//!   certificates in the signature, to a root the deployment trusts;
//! - **validity**: whether a certificate on that chain has expired.
//!
//! - **revocation**, as far as can be known offline: against the CAs'
//!   revocation lists (CRLs) the deployment keeps with its trusted roots
//!   and syncs to devices. Without a current list for the signer's
//!   certificate the report says it is not known; OCSP and the validation
//!   data a document may embed (LTV) are not read.
//!
//! Pure Rust over `ring`; no PDF engine. The file is read twice through
//! `Read + Seek`: once to find the signatures, once to digest the ranges
//! they cover, so a big scanned pack is never held in memory. A hostile
//! file meets limits on the number of signatures, the size of each, the
//! certificates in it and the chain's length.

mod algorithms;
mod cert;
mod crl;
mod der;
mod scan;
pub mod sign;
#[cfg(feature = "token")]
pub mod token;

use std::io::{Read, Seek, SeekFrom};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use cert::Certificate;

/// Most signatures checked in one document; more are reported as one problem.
pub const MAX_SIGNATURES: usize = 16;
/// Largest signature blob (`/Contents`, decoded).
pub const MAX_SIGNATURE_BYTES: usize = 512 * 1024;
/// Most certificates read from one signature.
const MAX_CERTIFICATES: usize = 32;
/// Longest chain followed from the signer to a root.
const MAX_CHAIN: usize = 6;
/// Most certificates tried as the issuer at each step of a chain.
const MAX_ISSUER_CANDIDATES: usize = 2;

const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const OID_CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const OID_SIGNING_TIME: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05];

/// Why a signature, or a certificate, could not be taken at its word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("uses {0}, which is too weak to rely on")]
    Weak(String),
    #[error("uses {0}, which E-Cabinet cannot check")]
    Unsupported(String),
    #[error("the signature does not match its signer's key")]
    BadSignature,
}

/// Errors reading the file itself (not a verdict on a signature).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading the document: {0}")]
    Io(#[from] std::io::Error),
    #[error("a trusted root is not a certificate E-Cabinet can read: {0}")]
    BadRoot(String),
    #[error("not a certificate E-Cabinet can read: {0}")]
    BadCertificate(String),
}

/// Why a ballot's token signature is refused ([`verify_qualified`]), in
/// English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QualifiedRefusal {
    /// The signature itself, its chain or its dates do not hold, or a list
    /// of the deployment revokes a certificate of the chain.
    #[error("{0}")]
    Invalid(String),
    /// The deployment keeps revocation lists of the signer's CA, but none
    /// of them is current: whether the certificate was revoked since is
    /// not known, and a ballot is not counted on a guess. (A CA whose
    /// lists the deployment does not keep at all is not checked.)
    #[error("{0}")]
    RevocationUnknown(String),
}

/// Whether the signed bytes are the ones the signer signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrity {
    /// The covered bytes digest to what was signed, and the signature verifies.
    Intact,
    /// The covered bytes were changed after signing.
    Modified,
    /// The signature itself is damaged or was not made by its certificate.
    Broken,
    /// It uses an algorithm that is too weak or unknown: no verdict.
    Unverifiable,
}

/// Whether the signer's certificate chains to a trusted root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    Trusted,
    Untrusted,
}

/// The certificates' validity now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    Valid,
    Expired,
    NotYetValid,
}

/// What is known about revocation, from the deployment's revocation lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    /// No current list of the signer's CA: not known offline.
    Unknown,
    /// A current list of the signer's CA does not name its certificate,
    /// and no list names another certificate of the chain.
    Good,
    /// A list of the CA names a certificate of the chain as revoked.
    Revoked,
}

/// One embedded signature, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureReport {
    /// The signer's name (certificate CN) and organisation (O).
    pub signer: Option<String>,
    pub organisation: Option<String>,
    /// Who issued the signer's certificate (CN).
    pub issuer: Option<String>,
    /// When the signer says it signed (signed `signingTime`, else the
    /// signature dictionary's `/M`), Unix seconds. A claim, not a timestamp.
    pub signed_at: Option<i64>,
    pub integrity: Integrity,
    /// Whether it covers the whole file.
    pub covers_whole_file: bool,
    /// Whether bytes follow it that no later intact signature covers:
    /// the document was changed after this signature, unsigned.
    pub unsigned_changes_after: bool,
    pub trust: Trust,
    pub validity: Validity,
    /// End of the signer's certificate's validity, Unix seconds.
    pub not_after: Option<i64>,
    pub revocation: Revocation,
    /// The reason when something is wrong, in English (the UI translates
    /// the fields above, and shows this as detail).
    pub problem: Option<String>,
    /// SHA-256 of the signer's certificate (DER), once it was found in the
    /// signature: to tell whether a known certificate signed (an opinion
    /// form signed with the ballot's token). Not part of the wire form.
    #[serde(skip)]
    pub certificate_sha256: Option<[u8; 32]>,
}

/// The overall state for a badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No embedded signature.
    Unsigned,
    /// Every signature intact, trusted and valid, and nothing unsigned after the last.
    Valid,
    /// Intact, but untrusted, expired, not checkable, or followed by unsigned changes.
    Warning,
    /// At least one signature does not match the document or is damaged,
    /// or its certificate was revoked.
    Broken,
}

/// The badge for a document's signatures.
pub fn verdict(reports: &[SignatureReport]) -> Verdict {
    if reports.is_empty() {
        Verdict::Unsigned
    } else if reports.iter().any(|r| {
        matches!(r.integrity, Integrity::Modified | Integrity::Broken)
            || r.revocation == Revocation::Revoked
    }) {
        Verdict::Broken
    } else if reports.iter().all(|r| {
        r.integrity == Integrity::Intact
            && r.trust == Trust::Trusted
            && r.validity == Validity::Valid
            && !r.unsigned_changes_after
    }) {
        Verdict::Valid
    } else {
        Verdict::Warning
    }
}

/// The root certificates a deployment trusts for document signatures (its
/// government CA's roots). Empty: nothing is trusted, every chain is
/// reported untrusted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    roots: Vec<Vec<u8>>,
    /// The CAs' revocation lists (DER), kept with the roots.
    crls: Vec<Vec<u8>>,
}

/// A trusted root, described for an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RootInfo {
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub not_after: i64,
    /// SHA-256 of the certificate, lower-case hex.
    pub sha256: String,
}

/// Most revocation lists kept with the roots: every signature check may
/// try each list of a CA, so their number is bounded as well as the text.
pub const MAX_REVOCATION_LISTS: usize = 64;

impl TrustStore {
    /// Reads every `CERTIFICATE` block of a PEM text as a root, and every
    /// `X509 CRL` block as a CA's revocation list. Refuses a block that does
    /// not parse, and a text with no certificate at all unless it is blank
    /// (an empty list clears the trust).
    pub fn from_pem(text: &str) -> Result<Self, Error> {
        const CERT: (&str, &str) = ("-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----");
        const CRL: (&str, &str) = ("-----BEGIN X509 CRL-----", "-----END X509 CRL-----");
        let (mut roots, mut crls) = (Vec::new(), Vec::new());
        let mut body: Option<(bool, String)> = None;
        for line in text.lines().map(str::trim) {
            match (&mut body, line) {
                (None, l) if l == CERT.0 => body = Some((false, String::new())),
                (None, l) if l == CRL.0 => body = Some((true, String::new())),
                (Some((is_crl, b)), l) if l == if *is_crl { CRL.1 } else { CERT.1 } => {
                    let what = if *is_crl {
                        format!("revocation list {}", crls.len() + 1)
                    } else {
                        format!("certificate {}", roots.len() + 1)
                    };
                    let der = base64::engine::general_purpose::STANDARD
                        .decode(b.as_bytes())
                        .map_err(|e| Error::BadRoot(format!("{what}: {e}")))?;
                    if *is_crl {
                        if crls.len() == MAX_REVOCATION_LISTS {
                            return Err(Error::BadRoot(format!(
                                "more than {MAX_REVOCATION_LISTS} revocation lists"
                            )));
                        }
                        crl::Crl::parse(&der)
                            .map_err(|e| Error::BadRoot(format!("{what}: {e}")))?;
                        crls.push(der);
                    } else {
                        roots.push(der);
                    }
                    body = None;
                }
                (Some(_), l) if l.starts_with("-----") => {
                    return Err(Error::BadRoot(format!(
                        "a PEM block is not closed before {l}"
                    )));
                }
                (Some((_, b)), l) => b.push_str(l),
                (None, _) => {}
            }
        }
        if body.is_some() {
            return Err(Error::BadRoot("a PEM block is not closed".into()));
        }
        if roots.is_empty() && !text.trim().is_empty() {
            return Err(Error::BadRoot("no PEM certificate in the text".into()));
        }
        let mut store = Self::from_der(roots)?;
        store.crls = crls;
        Ok(store)
    }

    /// Roots given as DER certificates; each must parse.
    pub fn from_der(roots: Vec<Vec<u8>>) -> Result<Self, Error> {
        for (i, der) in roots.iter().enumerate() {
            Certificate::parse(der)
                .map_err(|e| Error::BadRoot(format!("certificate {}: {e}", i + 1)))?;
        }
        Ok(TrustStore {
            roots,
            crls: Vec::new(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    pub fn der(&self) -> &[Vec<u8>] {
        &self.roots
    }

    /// The number of revocation lists kept with the roots.
    pub fn revocation_lists(&self) -> usize {
        self.crls.len()
    }

    /// The roots, then the revocation lists, as PEM, one block each.
    pub fn to_pem(&self) -> String {
        let mut out = String::new();
        let blocks = self.roots.iter().map(|d| ("CERTIFICATE", d));
        for (label, der) in blocks.chain(self.crls.iter().map(|d| ("X509 CRL", d))) {
            out.push_str(&format!("-----BEGIN {label}-----\n"));
            let b64 = base64::engine::general_purpose::STANDARD.encode(der);
            for line in b64.as_bytes().chunks(64) {
                out.push_str(&String::from_utf8_lossy(line));
                out.push('\n');
            }
            out.push_str(&format!("-----END {label}-----\n"));
        }
        out
    }

    /// Each root's name, organisation, end of validity and fingerprint.
    pub fn describe(&self) -> Vec<RootInfo> {
        self.roots
            .iter()
            .filter_map(|der| {
                let cert = Certificate::parse(der).ok()?;
                let digest = ring::digest::digest(&ring::digest::SHA256, der);
                Some(RootInfo {
                    name: cert.common_name(),
                    organisation: cert.organisation(),
                    not_after: cert.not_after,
                    sha256: digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
                })
            })
            .collect()
    }

    /// The roots and revocation lists parsed once, for checking many
    /// signatures against them (a push of signed ballots).
    pub fn parsed(&self) -> Anchors<'_> {
        Anchors {
            roots: self
                .roots
                .iter()
                .filter_map(|der| Certificate::parse(der).ok())
                .collect(),
            crls: self
                .crls
                .iter()
                .filter_map(|der| crl::Crl::parse(der).ok())
                .collect(),
        }
    }
}

/// The one certificate of a PEM text (a member's signing certificate, as an
/// administrator registers it): its DER and its description. Refuses a text
/// with none, more than one, or a revocation list.
pub fn single_certificate(pem: &str) -> Result<(Vec<u8>, RootInfo), Error> {
    if pem.contains("PRIVATE KEY-----") {
        return Err(Error::BadCertificate(
            "the text holds a private key: send only the certificate, and keep the key on the token"
                .into(),
        ));
    }
    let mut store = TrustStore::from_pem(pem).map_err(|e| match e {
        Error::BadRoot(m) => Error::BadCertificate(m),
        e => e,
    })?;
    if store.roots.len() != 1 || !store.crls.is_empty() {
        return Err(Error::BadCertificate(format!(
            "expected one CERTIFICATE block, found {} certificates and {} revocation lists",
            store.roots.len(),
            store.crls.len()
        )));
    }
    if Certificate::parse(&store.roots[0]).is_ok_and(|c| c.is_ca) {
        return Err(Error::BadCertificate(
            "this is a certificate authority's certificate, not a person's signing certificate"
                .into(),
        ));
    }
    let info = store
        .describe()
        .pop()
        .ok_or_else(|| Error::BadCertificate("its fields do not parse".into()))?;
    Ok((store.roots.swap_remove(0), info))
}

/// What a chain is checked against: the trusted roots and the CAs' lists,
/// parsed ([`TrustStore::parsed`]).
pub struct Anchors<'a> {
    roots: Vec<Certificate<'a>>,
    crls: Vec<crl::Crl<'a>>,
}

/// The subject's common name of a DER certificate (a signer's name).
pub fn subject_name(certificate: &[u8]) -> Option<String> {
    Certificate::parse(certificate).ok()?.common_name()
}

/// The raw DER subject name of a certificate (what a PKCS#11 token keeps
/// beside a certificate as `CKA_SUBJECT`).
pub fn subject_der(certificate: &[u8]) -> Option<Vec<u8>> {
    Some(Certificate::parse(certificate).ok()?.subject.to_vec())
}

/// Checks every embedded signature of the PDF in `file` against `trust`,
/// at time `now` (Unix seconds). A damaged signature is reported, never an
/// error; only reading the file can fail.
pub fn verify<R: Read + Seek>(
    file: &mut R,
    trust: &TrustStore,
    now: i64,
) -> Result<Vec<SignatureReport>, Error> {
    let len = file.seek(SeekFrom::End(0))?;
    let found = scan::signatures(file, len)?;
    let anchors = trust.parsed();

    // First every signature's CMS, then one pass over the file digesting
    // all the ranges at once.
    let mut checks: Vec<Check> = found.iter().map(|f| Check::new(f, &anchors, now)).collect();
    digest_ranges(file, len, &found, &mut checks)?;

    let mut reports: Vec<SignatureReport> = found
        .iter()
        .zip(checks)
        .map(|(f, check)| check.finish(f, len))
        .collect();
    // Changes after a signature count as signed only by a later signature
    // that is itself intact, trusted and valid: an untrusted key signing
    // the whole file says nothing about who made the changes.
    let whole_file_signed = reports.iter().any(|r| {
        r.integrity == Integrity::Intact
            && r.covers_whole_file
            && r.trust == Trust::Trusted
            && r.validity == Validity::Valid
    });
    for r in &mut reports {
        r.unsigned_changes_after = !r.covers_whole_file && !whole_file_signed;
    }
    Ok(reports)
}

/// Checks that `pdf` carries a signature made with the certificate whose
/// SHA-256 is `certificate_sha256`, intact, over the whole file (nothing
/// added after it): an opinion form signed with the ballot's token. Trust
/// in the certificate is not checked here (the ballot's own token
/// signature establishes it). The reason, in English, when it does not.
pub fn check_signed_whole_by(
    pdf: &[u8],
    certificate_sha256: &[u8; 32],
    now: i64,
) -> Result<(), String> {
    if !pdf.starts_with(b"%PDF-") {
        return Err("it is not a PDF".into());
    }
    let reports = verify_bytes(pdf, &TrustStore::default(), now);
    let by = |r: &&SignatureReport| r.certificate_sha256.as_ref() == Some(certificate_sha256);
    match reports.iter().find(by) {
        None if reports.is_empty() => Err("it carries no signature".into()),
        None => Err("no signature in it was made with the ballot's certificate".into()),
        Some(r) if r.integrity != Integrity::Intact => Err(format!(
            "its signature does not hold ({})",
            r.problem.as_deref().unwrap_or("changed after signing")
        )),
        Some(r) if !r.covers_whole_file || r.unsigned_changes_after => {
            Err("it was changed after it was signed".into())
        }
        Some(_) => Ok(()),
    }
}

/// [`verify`] over bytes in memory.
pub fn verify_bytes(pdf: &[u8], trust: &TrustStore, now: i64) -> Vec<SignatureReport> {
    // Reading a slice cannot fail.
    verify(&mut std::io::Cursor::new(pdf), trust, now).unwrap_or_default()
}

/// A signature over raw data made with a token's key (a ballot's ký số),
/// found good: who signed, and the certificate's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedSigner {
    pub signer: Option<String>,
    pub organisation: Option<String>,
    /// SHA-256 of the signer's certificate (DER).
    pub certificate_sha256: [u8; 32],
}

/// Checks `signature` over `data`, made with the key of `certificate` (DER;
/// SHA-256 with RSA PKCS#1 v1.5, or DER ECDSA P-256 / P-384 with SHA-256 as
/// the token's mechanism gives it), the certificate chaining through
/// `chain` to a root of `trust`, every certificate valid at `now` (Unix
/// seconds) and none revoked by the lists kept with the roots; when the
/// deployment keeps lists of the signer's CA, one of them must be current.
/// The error says what is wrong, in English.
pub fn verify_qualified(
    certificate: &[u8],
    chain: &[Vec<u8>],
    data: &[u8],
    signature: &[u8],
    trust: &TrustStore,
    now: i64,
) -> Result<QualifiedSigner, QualifiedRefusal> {
    verify_qualified_against(certificate, chain, data, signature, &trust.parsed(), now)
}

/// [`verify_qualified`] against roots parsed once for many signatures.
pub fn verify_qualified_against(
    certificate: &[u8],
    chain: &[Vec<u8>],
    data: &[u8],
    signature: &[u8],
    anchors: &Anchors<'_>,
    now: i64,
) -> Result<QualifiedSigner, QualifiedRefusal> {
    let invalid = |e: Problem| QualifiedRefusal::Invalid(e.to_string());
    let signer = Certificate::parse(certificate).map_err(invalid)?;
    let algorithm = algorithms::token_algorithm(&signer.key_algorithm).map_err(invalid)?;
    let (algorithm, _) = der::read(&algorithm).map_err(invalid)?;
    algorithms::verify(
        &algorithm,
        &signer.key_algorithm,
        signer.key,
        data,
        signature,
    )
    .map_err(invalid)?;
    let pool: Vec<Certificate<'_>> = chain
        .iter()
        .take(MAX_CERTIFICATES)
        .filter_map(|c| Certificate::parse(c).ok())
        .collect();
    let mut report = SignatureReport {
        signer: signer.common_name(),
        organisation: signer.organisation(),
        issuer: signer.issuer_name(),
        signed_at: None,
        integrity: Integrity::Intact,
        covers_whole_file: true,
        unsigned_changes_after: false,
        trust: Trust::Untrusted,
        validity: Validity::Valid,
        not_after: Some(signer.not_after),
        revocation: Revocation::Unknown,
        problem: None,
        certificate_sha256: None,
    };
    let gap = check_chain(&signer, &pool, anchors, now, &mut report);
    let refused = |why: &str| {
        Err(QualifiedRefusal::Invalid(
            report.problem.clone().unwrap_or_else(|| why.to_owned()),
        ))
    };
    if report.revocation == Revocation::Revoked {
        return refused("the certificate was revoked");
    }
    if report.trust != Trust::Trusted {
        return refused("the certificate does not chain to a trusted root");
    }
    if report.validity != Validity::Valid {
        return refused("a certificate of the chain is not valid now");
    }
    if let Some(gap) = gap {
        return Err(QualifiedRefusal::RevocationUnknown(gap));
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, certificate);
    let mut certificate_sha256 = [0u8; 32];
    certificate_sha256.copy_from_slice(digest.as_ref());
    Ok(QualifiedSigner {
        signer: report.signer,
        organisation: report.organisation,
        certificate_sha256,
    })
}

/// One signature on its way through the check.
struct Check {
    report: SignatureReport,
    /// The digest to compute over the byte range, and the one signed.
    digest: Option<(ring::digest::Context, Vec<u8>)>,
}

impl Check {
    fn new(found: &scan::Found, anchors: &Anchors<'_>, now: i64) -> Check {
        let mut report = SignatureReport {
            signer: None,
            organisation: None,
            issuer: None,
            signed_at: found.claimed_time,
            integrity: Integrity::Broken,
            covers_whole_file: false,
            unsigned_changes_after: false,
            trust: Trust::Untrusted,
            validity: Validity::Valid,
            not_after: None,
            revocation: Revocation::Unknown,
            problem: None,
            certificate_sha256: None,
        };
        let digest = match found.cms.as_deref() {
            Err(problem) => {
                if matches!(problem, Problem::Weak(_) | Problem::Unsupported(_)) {
                    report.integrity = Integrity::Unverifiable;
                }
                report.problem = Some(problem.to_string());
                None
            }
            Ok(cms) => match check_cms(cms, anchors, now, &mut report) {
                Ok(digest) => Some(digest),
                Err(problem) => {
                    if matches!(problem, Problem::Weak(_) | Problem::Unsupported(_)) {
                        report.integrity = Integrity::Unverifiable;
                    }
                    report.problem.get_or_insert_with(|| problem.to_string());
                    None
                }
            },
        };
        Check { report, digest }
    }

    fn finish(self, found: &scan::Found, len: u64) -> SignatureReport {
        let mut report = self.report;
        report.covers_whole_file = found.range[2] + found.range[3] == len;
        if let Some((context, signed)) = self.digest {
            if context.finish().as_ref() == signed.as_slice() {
                report.integrity = Integrity::Intact;
            } else {
                report.integrity = Integrity::Modified;
                report.problem = Some("the document was changed after it was signed".into());
            }
        }
        report
    }
}

/// Reads the file once, feeding each signature's digest the bytes it covers.
fn digest_ranges<R: Read + Seek>(
    file: &mut R,
    len: u64,
    found: &[scan::Found],
    checks: &mut [Check],
) -> std::io::Result<()> {
    if checks.iter().all(|c| c.digest.is_none()) {
        return Ok(());
    }
    file.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    while at < len {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let (start, end) = (at, at + n as u64);
        for (f, check) in found.iter().zip(checks.iter_mut()) {
            let Some((context, _)) = check.digest.as_mut() else {
                continue;
            };
            let [a, b, c, d] = f.range;
            for (from, to) in [(a, a + b), (c, c + d)] {
                let (lo, hi) = (from.max(start), to.min(end));
                if lo < hi {
                    context.update(&buf[(lo - start) as usize..(hi - start) as usize]);
                }
            }
        }
        at = end;
    }
    Ok(())
}

/// Checks a CMS `SignedData` up to the document digest: signer, signature
/// over the signed attributes, chain and validity (into `report`). Returns
/// a digest context for the byte range and the digest that was signed.
fn check_cms(
    cms: &[u8],
    anchors: &Anchors<'_>,
    now: i64,
    report: &mut SignatureReport,
) -> Result<(ring::digest::Context, Vec<u8>), Problem> {
    let malformed = |what: &str| Problem::Malformed(what.to_owned());
    let (content_info, _) = der::expect(cms, der::SEQUENCE, "CMS")?;
    let parts = der::children(content_info.value)?;
    let [kind, content] = parts[..] else {
        return Err(malformed("CMS content info"));
    };
    if kind.value != OID_SIGNED_DATA || content.tag != der::ctx(0) {
        return Err(malformed("not a CMS SignedData"));
    }
    let (signed_data, _) = der::expect(content.value, der::SEQUENCE, "SignedData")?;
    let fields = der::children(signed_data.value)?;
    let certificates: Vec<Certificate<'_>> = fields
        .iter()
        .find(|f| f.tag == der::ctx(0))
        .map(|set| der::children(set.value))
        .transpose()?
        .unwrap_or_default()
        .iter()
        .filter(|c| c.tag == der::SEQUENCE)
        .take(MAX_CERTIFICATES)
        .filter_map(|c| Certificate::parse(c.raw).ok())
        .collect();
    let signer_infos = fields
        .last()
        .filter(|f| f.tag == der::SET)
        .ok_or_else(|| malformed("no signer"))?;
    let signers = der::children(signer_infos.value)?;
    let signer_info = signers.first().ok_or_else(|| malformed("no signer"))?;
    if signers.len() > 1 {
        report.problem =
            Some("more than one signer in one signature: only the first is checked".into());
    }

    let info = der::children(signer_info.value)?;
    let mut info = info.iter();
    let mut next = |what: &str| info.next().copied().ok_or_else(|| malformed(what));
    let _version = next("signer version")?;
    let sid = next("signer identifier")?;
    let digest_algorithm = next("digest algorithm")?;
    let mut attrs_or_alg = next("signature algorithm")?;
    let signed_attrs = if attrs_or_alg.tag == der::ctx(0) {
        let attrs = attrs_or_alg;
        attrs_or_alg = next("signature algorithm")?;
        Some(attrs)
    } else {
        None
    };
    let signature_algorithm = attrs_or_alg;
    let signature = next("signature value")?;
    if signature.tag != der::OCTET_STRING {
        return Err(malformed("signature value"));
    }

    // The signer's certificate, by issuer and serial or by key identifier.
    let signer = certificates
        .iter()
        .find(|c| match sid.tag {
            der::SEQUENCE => der::children(sid.value)
                .ok()
                .is_some_and(|p| p.len() == 2 && p[0].raw == c.issuer && p[1].value == c.serial),
            t if t == der::ctx_prim(0) => c.subject_key_id == Some(sid.value),
            _ => false,
        })
        .ok_or_else(|| malformed("the signer's certificate is not in the signature"))?;
    report.signer = signer.common_name();
    report.organisation = signer.organisation();
    report.issuer = signer.issuer_name();
    report.not_after = Some(signer.not_after);
    let digest = ring::digest::digest(&ring::digest::SHA256, signer.raw);
    report.certificate_sha256 = digest.as_ref().try_into().ok();

    let Some(attrs) = signed_attrs else {
        return Err(Problem::Unsupported(
            "a signature without signed attributes".into(),
        ));
    };
    let mut message_digest = None;
    let mut content_type_ok = false;
    for attr in der::children(attrs.value)? {
        let parts = der::children(attr.value)?;
        let [oid, values] = parts[..] else {
            return Err(malformed("signed attribute"));
        };
        let value = der::children(values.value)?
            .first()
            .copied()
            .ok_or_else(|| malformed("signed attribute"))?;
        match oid.value {
            OID_MESSAGE_DIGEST if value.tag == der::OCTET_STRING => {
                message_digest = Some(value.value.to_vec())
            }
            OID_CONTENT_TYPE => content_type_ok = value.value == OID_DATA,
            OID_SIGNING_TIME => report.signed_at = der::time(&value).or(report.signed_at),
            _ => {}
        }
    }
    let message_digest = message_digest.ok_or_else(|| malformed("no signed document digest"))?;
    if !content_type_ok {
        return Err(malformed("the signed content is not plain data"));
    }
    // The signature covers the attributes as a SET (RFC 5652, 5.4), in the
    // bytes the signer sent.
    if attrs.raw.get(1) == Some(&0x80) {
        return Err(malformed("signed attributes of indefinite length"));
    }
    let mut signed = attrs.raw.to_vec();
    signed[0] = der::SET;
    let digest = algorithms::digest_of(&digest_algorithm)?;
    algorithms::verify_with_digest(
        &signature_algorithm,
        Some(&digest_algorithm),
        &signer.key_algorithm,
        signer.key,
        &signed,
        signature.value,
    )?;
    // The chain costs signature checks: only for a signature that holds.
    // A document's badge says why revocation is not known; it is not a
    // reason to refuse reading it.
    if let Some(gap) = check_chain(signer, &certificates, anchors, now, report) {
        report.problem.get_or_insert(gap);
    }
    Ok((ring::digest::Context::new(digest), message_digest))
}

/// Follows the signer's certificate to a trusted root through the
/// signature's certificates, and checks every certificate's dates and
/// revocation. Returns why revocation is not known although the deployment
/// keeps lists of the signer's CA (see [`check_revocation`]).
fn check_chain(
    signer: &Certificate<'_>,
    pool: &[Certificate<'_>],
    anchors: &Anchors<'_>,
    now: i64,
    report: &mut SignatureReport,
) -> Option<String> {
    let roots = &anchors.roots;
    let mut path = vec![signer.clone()];
    let mut why = None;
    while let Some(current) = path.last().cloned() {
        if roots.iter().any(|r| r.raw == current.raw) {
            report.trust = Trust::Trusted;
            break;
        }
        // A trusted root issues only if it is a CA allowed to sign
        // certificates (a signer's own certificate pasted into the list
        // by mistake is trusted for itself, never as an issuer).
        let root = roots
            .iter()
            .filter(|r| {
                r.subject == current.issuer
                    && r.is_ca
                    && r.key_usage.is_none_or(|bits| bits & 0x04 != 0)
            })
            .take(MAX_ISSUER_CANDIDATES)
            .find(|r| current.signed_by(r).is_ok());
        if let Some(root) = root {
            path.push(root.clone());
            report.trust = Trust::Trusted;
            break;
        }
        if current.is_self_issued() || path.len() >= MAX_CHAIN {
            why = Some(format!(
                "the certificate chains to “{}”, which this deployment does not trust",
                current.common_name().unwrap_or_else(|| "?".into())
            ));
            break;
        }
        // A few candidates per step at most, so a hostile signature with many
        // look-alike issuers costs a bounded number of signature checks.
        let issuer = pool
            .iter()
            .filter(|c| {
                c.subject == current.issuer
                    && c.raw != current.raw
                    && c.is_ca
                    && c.key_usage.is_none_or(|bits| bits & 0x04 != 0)
            })
            .take(MAX_ISSUER_CANDIDATES)
            .find(|c| current.signed_by(c).is_ok());
        match issuer {
            Some(issuer) => path.push(issuer.clone()),
            None => {
                why = Some(format!(
                    "the issuer “{}” is neither in the signature nor trusted",
                    current.issuer_name().unwrap_or_else(|| "?".into())
                ));
                break;
            }
        }
    }
    // keyUsage, when present, must allow digitalSignature or nonRepudiation.
    if signer.key_usage.is_some_and(|bits| bits & 0xc0 == 0) {
        report.trust = Trust::Untrusted;
        why = Some("the signer's certificate is not issued for signing".into());
    }
    if let Some(why) = why {
        report.problem.get_or_insert(why);
    }
    let gap = check_revocation(&path, &anchors.crls, now, report);
    if path.iter().any(|c| now > c.not_after) {
        report.validity = Validity::Expired;
        report
            .problem
            .get_or_insert_with(|| "a certificate of the signature has expired".into());
    } else if path.iter().any(|c| now < c.not_before) {
        report.validity = Validity::NotYetValid;
        report
            .problem
            .get_or_insert_with(|| "a certificate of the signature is not valid yet".into());
    }
    gap
}

/// Revocation of the certificates on `path` (signer first, each issued by
/// the next), as the CAs' lists say: a list counts only if the certificate
/// after it on the path (its issuer) signed it. Any list naming a
/// certificate of the path revokes it (or suspends it, on hold), however
/// old; "not revoked" needs a current, complete list of the signer's CA.
///
/// Returns why revocation stays unknown when the deployment does keep
/// genuine complete lists of the signer's CA but none is current (past its
/// next update, or without one): the deployment checks that CA, and its
/// word is out of date.
fn check_revocation(
    path: &[Certificate<'_>],
    crls: &[crl::Crl<'_>],
    now: i64,
    report: &mut SignatureReport,
) -> Option<String> {
    let mut signer_covered = false;
    let mut gap = None;
    for (i, pair) in path.windows(2).enumerate() {
        let (cert, issuer) = (&pair[0], &pair[1]);
        for list in crls.iter().filter(|l| l.issuer == cert.issuer) {
            if !list.signed_by(issuer) {
                continue;
            }
            if let Some(entry) = list.entry(cert.serial) {
                report.revocation = Revocation::Revoked;
                let whose = if i == 0 {
                    "the signer's certificate".to_owned()
                } else {
                    format!(
                        "the CA certificate “{}”",
                        cert.common_name().unwrap_or_else(|| "?".into())
                    )
                };
                let how = if entry.on_hold {
                    "suspended (on hold)"
                } else {
                    "revoked"
                };
                report.problem = Some(format!(
                    "{whose} was {how} by its CA on {} (UTC)",
                    sign::utc_date(entry.when)
                ));
                return None;
            }
            if i == 0 && !list.partial {
                if list.current_at(now) {
                    signer_covered = true;
                } else {
                    let ca = issuer.common_name().unwrap_or_else(|| "?".into());
                    gap = Some(match list.next_update {
                        Some(next) if next < now => format!(
                            "the revocation list of “{ca}” is out of date: its next update was due on {} (UTC)",
                            sign::utc_date(next)
                        ),
                        Some(_) => format!(
                            "the revocation list of “{ca}” is dated later than the time of the check"
                        ),
                        None => format!(
                            "the revocation list of “{ca}” names no next update, so it cannot say a certificate is not revoked"
                        ),
                    });
                }
            }
        }
    }
    if signer_covered {
        report.revocation = Revocation::Good;
        return None;
    }
    gap
}
