//! Signing a PDF (PAdES baseline B, `ETSI.CAdES.detached`) with a key held
//! elsewhere (a PKCS#11 token): this module writes the incremental update
//! with a signature field and room for the signature, says what to sign,
//! builds the CMS from the token's signature, and puts it in its place.
//!
//! ```text
//! let prepared = prepare(pdf, &request)?;           // update + placeholder
//! let attrs = signed_attributes(&prepared.digest(), &certificate)?;
//! let signature = token.sign(&attrs)?;              // over the DER SET
//! let cms = signed_data(&attrs, &signature, &certificate, &chain)?;
//! let signed_pdf = prepared.finish(&cms)?;
//! ```
//!
//! The earlier revisions stay byte for byte as they were, so signatures
//! already in the document stay intact.

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use ring::digest;

use crate::cert::Certificate;
use crate::der;

/// Room reserved for the CMS (bytes; twice that in hex in the file).
pub const SIGNATURE_CAPACITY: usize = 16 * 1024;
/// Largest document signed (it is parsed whole in memory).
pub const MAX_SIGN_BYTES: usize = 256 * 1024 * 1024;

const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const OID_SIGNING_CERTIFICATE_V2: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f,
];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_RSA_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// Why a document could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the document is over {} MiB, too large to sign here", MAX_SIGN_BYTES >> 20)]
    TooLarge,
    #[error("the document cannot be signed: {0}")]
    Pdf(String),
    #[error("the signing certificate: {0}")]
    Certificate(String),
    #[error("the signature ({0} bytes) does not fit the room reserved for it")]
    TooBig(usize),
}

/// What the signature dictionary says besides the signature.
#[derive(Debug, Clone, Default)]
pub struct SignRequest {
    /// The signer's name (`/Name`), as on the certificate.
    pub name: Option<String>,
    /// Why (`/Reason`), e.g. "Ký ban hành biên bản".
    pub reason: Option<String>,
    /// Where (`/Location`).
    pub location: Option<String>,
    /// When, Unix seconds (`/M`, written in Vietnam's time zone).
    pub signed_at: i64,
}

/// A document with its signature field written and the signature's place
/// reserved; [`Prepared::digest`] is what the signature covers.
pub struct Prepared {
    bytes: Vec<u8>,
    /// Offsets of `<` and just past `>` of the reserved `/Contents`.
    gap: (usize, usize),
}

impl Prepared {
    /// SHA-256 of every byte but the reserved `/Contents`.
    pub fn digest(&self) -> Vec<u8> {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&self.bytes[..self.gap.0]);
        ctx.update(&self.bytes[self.gap.1..]);
        ctx.finish().as_ref().to_vec()
    }

    /// The signed document: `cms` written, hex, into its place.
    pub fn finish(mut self, cms: &[u8]) -> Result<Vec<u8>, SignError> {
        if cms.len() > SIGNATURE_CAPACITY {
            return Err(SignError::TooBig(cms.len()));
        }
        let hex: String = cms.iter().map(|b| format!("{b:02x}")).collect();
        let start = self.gap.0 + 1;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

/// Appends a signature field (invisible, on the first page) and its
/// signature dictionary to `pdf` as an incremental update, with the
/// `/ByteRange` filled in and room for the signature.
pub fn prepare(pdf: Vec<u8>, request: &SignRequest) -> Result<Prepared, SignError> {
    if pdf.len() > MAX_SIGN_BYTES {
        return Err(SignError::TooLarge);
    }
    let fail = |what: &str, e: lopdf::Error| SignError::Pdf(format!("{what}: {e}"));
    let prev = lopdf::Document::load_mem(&pdf).map_err(|e| fail("read", e))?;
    if prev.is_encrypted() {
        return Err(SignError::Pdf("it is encrypted".into()));
    }
    let root = prev
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| fail("catalog", e))?;
    let first_page = *prev
        .get_pages()
        .get(&1)
        .ok_or_else(|| SignError::Pdf("it has no pages".into()))?;
    let existing_fields = field_names(&prev);
    let mut inc = lopdf::IncrementalDocument::create_from(pdf, prev);

    // Placeholders no document can predict, so the places found in the
    // written update are ours (a hostile document could carry fixed ones
    // in an object we copy into the update).
    let rng = ring::rand::SystemRandom::new();
    let mut seed = [0u8; 8];
    ring::rand::SecureRandom::fill(&rng, &mut seed)
        .map_err(|_| SignError::Pdf("no randomness".into()))?;
    let mark = 1_000_000_000 + (u64::from_le_bytes(seed) % 8_999_999_999) as i64;
    let mut filler = vec![0u8; SIGNATURE_CAPACITY];
    ring::rand::SecureRandom::fill(&rng, &mut filler)
        .map_err(|_| SignError::Pdf("no randomness".into()))?;
    let mut sig = Dictionary::new();
    sig.set("Type", Object::Name(b"Sig".to_vec()));
    sig.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    sig.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    sig.set(
        "ByteRange",
        Object::Array(
            [0i64, mark, mark, mark]
                .into_iter()
                .map(Object::Integer)
                .collect(),
        ),
    );
    sig.set(
        "Contents",
        Object::String(filler.clone(), StringFormat::Hexadecimal),
    );
    sig.set(
        "M",
        Object::String(
            pdf_date(request.signed_at).into_bytes(),
            StringFormat::Literal,
        ),
    );
    for (key, value) in [
        ("Name", &request.name),
        ("Reason", &request.reason),
        ("Location", &request.location),
    ] {
        if let Some(text) = value {
            sig.set(key, text_string(text));
        }
    }
    let sig_id = inc.new_document.add_object(sig);

    let name = (1..)
        .map(|n| format!("Signature{n}"))
        .find(|n| !existing_fields.contains(n))
        .unwrap_or_default();
    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set(
        "T",
        Object::String(name.into_bytes(), StringFormat::Literal),
    );
    widget.set("V", Object::Reference(sig_id));
    widget.set("Rect", Object::Array(vec![Object::Integer(0); 4]));
    // Print, locked: an invisible signature that cannot be moved.
    widget.set("F", Object::Integer(132));
    widget.set("P", Object::Reference(first_page));
    let widget_id = inc.new_document.add_object(widget);

    add_to_page(&mut inc, first_page, widget_id).map_err(|e| fail("page", e))?;
    add_to_form(&mut inc, root, widget_id).map_err(|e| fail("form", e))?;

    let mut out =
        Vec::with_capacity(inc.get_prev_documents_bytes().len() + 2 * SIGNATURE_CAPACITY + 4096);
    inc.save_to(&mut out)
        .map_err(|e| SignError::Pdf(format!("write: {e}")))?;
    place_range(out, mark, &filler)
}

/// Finds the reserved places in the written update (each exactly once)
/// and fills in the range.
fn place_range(mut out: Vec<u8>, mark: i64, filler: &[u8]) -> Result<Prepared, SignError> {
    let placeholder = format!("0 {mark} {mark} {mark}");
    let mut hex = vec![b'<'];
    for b in filler {
        hex.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    hex.push(b'>');
    let range_at = only(&out, placeholder.as_bytes())?;
    let start = match only(&out, &hex) {
        Ok(at) => at,
        // lopdf may write hex digits in capitals.
        Err(_) => only(&out, &hex.to_ascii_uppercase())?,
    };
    let end = start + hex.len();
    let range = format!("0 {start} {end} {}", out.len() - end);
    if range.len() > placeholder.len() {
        return Err(SignError::TooLarge);
    }
    let padded = format!("{range:<width$}", width = placeholder.len());
    out[range_at..range_at + padded.len()].copy_from_slice(padded.as_bytes());
    // The reserved /Contents is zeros until the signature goes in.
    out[start + 1..end - 1].fill(b'0');
    Ok(Prepared {
        bytes: out,
        gap: (start, end),
    })
}

/// The one place `needle` is in `hay`.
fn only(hay: &[u8], needle: &[u8]) -> Result<usize, SignError> {
    let mut found = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i);
    match (found.next(), found.next()) {
        (Some(at), None) => Ok(at),
        _ => Err(SignError::Pdf(
            "the signature's place was not written once where expected".into(),
        )),
    }
}

/// The `/T` of every form field, so the new one gets a name of its own.
fn field_names(doc: &lopdf::Document) -> Vec<String> {
    let fields = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|f| match f {
            Object::Reference(id) => doc.get_dictionary(*id).ok(),
            Object::Dictionary(d) => Some(d),
            _ => None,
        })
        .and_then(|f| f.get(b"Fields").ok())
        .and_then(|f| match f {
            Object::Reference(id) => doc.get_object(*id).and_then(Object::as_array).ok(),
            other => other.as_array().ok(),
        })
        .cloned()
        .unwrap_or_default();
    fields
        .iter()
        .filter_map(|f| f.as_reference().ok())
        .filter_map(|id| doc.get_dictionary(id).ok())
        .filter_map(|d| d.get(b"T").and_then(Object::as_str).ok())
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect()
}

/// Adds `widget` to the page's `/Annots`, wherever that array lives.
fn add_to_page(
    inc: &mut lopdf::IncrementalDocument,
    page: ObjectId,
    widget: ObjectId,
) -> lopdf::Result<()> {
    let annots = inc
        .get_prev_documents()
        .get_dictionary(page)?
        .get(b"Annots")
        .ok()
        .cloned();
    match annots {
        Some(Object::Reference(array_id)) => {
            inc.opt_clone_object_to_new_document(array_id)?;
            if let Object::Array(a) = inc.new_document.get_object_mut(array_id)? {
                a.push(Object::Reference(widget));
            }
        }
        other => {
            let mut list = other
                .and_then(|o| o.as_array().ok().cloned())
                .unwrap_or_default();
            list.push(Object::Reference(widget));
            inc.opt_clone_object_to_new_document(page)?;
            inc.new_document
                .get_object_mut(page)?
                .as_dict_mut()?
                .set("Annots", Object::Array(list));
        }
    }
    Ok(())
}

/// Adds `widget` to the catalog's `/AcroForm` `/Fields` (made if absent),
/// with `/SigFlags 3` (signatures exist; append only).
fn add_to_form(
    inc: &mut lopdf::IncrementalDocument,
    root: ObjectId,
    widget: ObjectId,
) -> lopdf::Result<()> {
    let prev = inc.get_prev_documents();
    let form = prev.get_dictionary(root)?.get(b"AcroForm").ok().cloned();
    let form_dict = match &form {
        Some(Object::Reference(id)) => prev.get_dictionary(*id)?.clone(),
        Some(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    let mut fields = match form_dict.get(b"Fields") {
        Ok(Object::Reference(id)) => prev
            .get_object(*id)
            .and_then(Object::as_array)
            .cloned()
            .unwrap_or_default(),
        Ok(other) => other.as_array().cloned().unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    fields.push(Object::Reference(widget));
    let mut updated = form_dict;
    updated.set("Fields", Object::Array(fields));
    updated.set("SigFlags", Object::Integer(3));
    match form {
        Some(Object::Reference(form_id)) => inc
            .new_document
            .set_object(form_id, Object::Dictionary(updated)),
        _ => {
            inc.opt_clone_object_to_new_document(root)?;
            inc.new_document
                .get_object_mut(root)?
                .as_dict_mut()?
                .set("AcroForm", Object::Dictionary(updated));
        }
    }
    Ok(())
}

/// A PDF text string: ASCII as is, anything else as UTF-16BE with its mark.
fn text_string(text: &str) -> Object {
    if text.is_ascii() {
        Object::String(text.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xfe, 0xff];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// `D:YYYYMMDDHHmmSS+07'00'`: the time in Vietnam.
fn pdf_date(unix: i64) -> String {
    let local = unix + 7 * 3600;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "D:{y:04}{m:02}{d:02}{:02}{:02}{:02}+07'00'",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `YYYY-MM-DD HH:MM` in UTC, for messages.
pub(crate) fn utc_date(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// The date of a day count from 1970-01-01 (inverse of [`der::days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A DER element.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(der::SEQUENCE, &parts.concat())
}

/// A positive DER `INTEGER` from big-endian bytes (an ECDSA signature's r or
/// s from a token): leading zeros dropped, one put back if the top bit is set.
#[cfg_attr(not(feature = "token"), allow(dead_code))]
pub(crate) fn positive_integer(bytes: &[u8]) -> Vec<u8> {
    let mut value: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    if value.first().is_none_or(|&b| b & 0x80 != 0) {
        value.insert(0, 0);
    }
    tlv(der::INTEGER, &value)
}

/// A DER `SET OF`: its elements in the order of their encodings.
fn set_of(mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort_by(|a, b| {
        let n = a.len().max(b.len());
        let pad = |v: &Vec<u8>| {
            let mut p = v.clone();
            p.resize(n, 0);
            p
        };
        pad(a).cmp(&pad(b))
    });
    tlv(der::SET, &parts.concat())
}

fn oid(value: &[u8]) -> Vec<u8> {
    tlv(der::OID, value)
}

fn attribute(kind: &[u8], value: Vec<u8>) -> Vec<u8> {
    seq(&[&oid(kind), &set_of(vec![value])])
}

/// The signer's issuer (raw name) and serial (`INTEGER` element).
fn issuer_and_serial(certificate: &[u8]) -> Result<(Vec<u8>, Vec<u8>), SignError> {
    let cert =
        Certificate::parse(certificate).map_err(|e| SignError::Certificate(e.to_string()))?;
    Ok((cert.issuer.to_vec(), tlv(der::INTEGER, cert.serial)))
}

/// The signed attributes (PAdES baseline: content type, the document's
/// digest, and which certificate signs), DER `SET`: the bytes the token
/// signs. No `signingTime`: PAdES takes the time from `/M`.
pub fn signed_attributes(document_digest: &[u8], certificate: &[u8]) -> Result<Vec<u8>, SignError> {
    let (issuer, serial) = issuer_and_serial(certificate)?;
    let cert_hash = digest::digest(&digest::SHA256, certificate);
    // ESSCertIDv2 { certHash, issuerSerial { GeneralNames { [4] Name }, serial } },
    // hashAlgorithm left out (its default is SHA-256).
    let general_names = seq(&[&tlv(der::ctx(4), &issuer)]);
    let cert_id = seq(&[
        &tlv(der::OCTET_STRING, cert_hash.as_ref()),
        &seq(&[&general_names, &serial]),
    ]);
    let signing_certificate = seq(&[&seq(&[&cert_id])]);
    Ok(set_of(vec![
        attribute(OID_CONTENT_TYPE, oid(OID_DATA)),
        attribute(OID_MESSAGE_DIGEST, tlv(der::OCTET_STRING, document_digest)),
        attribute(OID_SIGNING_CERTIFICATE_V2, signing_certificate),
    ]))
}

/// The CMS `ContentInfo` of a detached `SignedData`: `signed_attributes`
/// (as [`signed_attributes`] made them), the token's `signature` over them
/// (RSA PKCS#1 v1.5 or ECDSA, DER, with SHA-256, by the certificate's key),
/// the signer's certificate and the others of its chain.
pub fn signed_data(
    signed_attributes: &[u8],
    signature: &[u8],
    certificate: &[u8],
    chain: &[Vec<u8>],
) -> Result<Vec<u8>, SignError> {
    let cert =
        Certificate::parse(certificate).map_err(|e| SignError::Certificate(e.to_string()))?;
    let key_oid = der::children(cert.key_algorithm.value)
        .ok()
        .and_then(|p| p.first().map(|o| o.value.to_vec()))
        .unwrap_or_default();
    let signature_algorithm = match key_oid.as_slice() {
        OID_RSA_KEY => seq(&[&oid(OID_RSA_SHA256), &[0x05, 0x00]]),
        OID_EC_KEY => seq(&[&oid(OID_ECDSA_SHA256)]),
        _ => {
            return Err(SignError::Certificate(
                "its key is neither RSA nor EC".into(),
            ))
        }
    };
    let (issuer, serial) = issuer_and_serial(certificate)?;
    let sha256 = seq(&[&oid(OID_SHA256)]);
    let mut attrs = signed_attributes.to_vec();
    // The signed SET goes in as `[0] IMPLICIT`.
    attrs[0] = der::ctx(0);
    let signer_info = seq(&[
        &tlv(der::INTEGER, &[1]),
        &seq(&[&issuer, &serial]),
        &sha256,
        &attrs,
        &signature_algorithm,
        &tlv(der::OCTET_STRING, signature),
    ]);
    let mut certificates = certificate.to_vec();
    for other in chain.iter().filter(|c| c.as_slice() != certificate) {
        certificates.extend_from_slice(other);
    }
    let signed = seq(&[
        &tlv(der::INTEGER, &[1]),
        &tlv(der::SET, &sha256),
        &seq(&[&oid(OID_DATA)]),
        &tlv(der::ctx(0), &certificates),
        &tlv(der::SET, &signer_info),
    ]);
    Ok(seq(&[&oid(OID_SIGNED_DATA), &tlv(der::ctx(0), &signed)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_vietnam() {
        // 2026-12-04 14:55:00 UTC is 21:55 in Hanoi.
        assert_eq!(pdf_date(1_796_396_100), "D:20261204215500+07'00'");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        for days in [-1000, 0, 11_016, 20_000, 20_426] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(der::days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn token_integers_are_positive_and_minimal() {
        assert_eq!(
            positive_integer(&[0x00, 0x00, 0x7f]),
            vec![0x02, 0x01, 0x7f]
        );
        assert_eq!(
            positive_integer(&[0x80, 0x01]),
            vec![0x02, 0x03, 0x00, 0x80, 0x01]
        );
        assert_eq!(positive_integer(&[0x00]), vec![0x02, 0x01, 0x00]);
        assert_eq!(seq(&[&[1], &[2]]), vec![0x30, 2, 1, 2]);
    }

    #[test]
    fn set_of_sorts_and_lengths_are_der() {
        assert_eq!(
            set_of(vec![vec![0x04, 0x01, 0x02], vec![0x04, 0x01, 0x01]]),
            vec![0x31, 6, 4, 1, 1, 4, 1, 2]
        );
        let long = tlv(0x04, &[7; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
    }
}
