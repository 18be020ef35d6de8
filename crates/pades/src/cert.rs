//! X.509 certificates, read as far as a signature check needs: names,
//! validity, public key, the CA and key-usage extensions, and the raw
//! `tbsCertificate` the issuer signed.

use crate::der::{self, Tlv};
use crate::{algorithms, Problem};

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const OID_SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];

/// Longest name kept from a certificate (characters).
const MAX_NAME_CHARS: usize = 200;

#[derive(Clone, Debug)]
pub(crate) struct Certificate<'a> {
    pub raw: &'a [u8],
    pub tbs: &'a [u8],
    /// `AlgorithmIdentifier` the issuer signed with, and the signature.
    pub signature_algorithm: Tlv<'a>,
    pub signature: &'a [u8],
    pub serial: &'a [u8],
    /// Raw DER of the issuer and subject names (compared byte for byte).
    pub issuer: &'a [u8],
    pub subject: &'a [u8],
    pub not_before: i64,
    pub not_after: i64,
    /// `SubjectPublicKeyInfo`: its algorithm and the key bits.
    pub key_algorithm: Tlv<'a>,
    pub key: &'a [u8],
    pub is_ca: bool,
    /// keyUsage bits (byte 0: digitalSignature 0x80, nonRepudiation 0x40,
    /// keyCertSign 0x04), when the extension is present.
    pub key_usage: Option<u8>,
    pub subject_key_id: Option<&'a [u8]>,
}

fn bad(what: &str) -> Problem {
    Problem::Malformed(format!("certificate: {what}"))
}

impl<'a> Certificate<'a> {
    pub(crate) fn parse(raw: &'a [u8]) -> Result<Self, Problem> {
        let (outer, _) = der::expect(raw, der::SEQUENCE, "certificate")?;
        let parts = der::children(outer.value)?;
        let [tbs, signature_algorithm, signature] = parts[..] else {
            return Err(bad("not three parts"));
        };
        if tbs.tag != der::SEQUENCE
            || signature_algorithm.tag != der::SEQUENCE
            || signature.tag != der::BIT_STRING
        {
            return Err(bad("unexpected parts"));
        }
        let mut fields = der::children(tbs.value)?.into_iter().peekable();
        if fields.peek().is_some_and(|f| f.tag == der::ctx(0)) {
            fields.next();
        }
        let mut next = |what: &str| fields.next().ok_or_else(|| bad(what));
        let serial = next("serial")?;
        let _inner_algorithm = next("algorithm")?;
        let issuer = next("issuer")?;
        let validity = next("validity")?;
        let subject = next("subject")?;
        let spki = next("public key")?;
        let rest: Vec<Tlv<'a>> = fields.collect();
        let times = der::children(validity.value)?;
        let [from, until] = times[..] else {
            return Err(bad("validity"));
        };
        let spki_parts = der::children(spki.value)?;
        let [key_algorithm, key_bits] = spki_parts[..] else {
            return Err(bad("public key"));
        };
        let mut cert = Certificate {
            raw: outer.raw,
            tbs: tbs.raw,
            signature_algorithm,
            signature: bit_string(&signature)?,
            serial: serial.value,
            issuer: issuer.raw,
            subject: subject.raw,
            not_before: der::time(&from).ok_or_else(|| bad("validity start"))?,
            not_after: der::time(&until).ok_or_else(|| bad("validity end"))?,
            key_algorithm,
            key: bit_string(&key_bits)?,
            is_ca: false,
            key_usage: None,
            subject_key_id: None,
        };
        if let Some(extensions) = rest.iter().find(|f| f.tag == der::ctx(3)) {
            let (list, _) = der::expect(extensions.value, der::SEQUENCE, "extensions")?;
            for extension in der::children(list.value)? {
                let parts = der::children(extension.value)?;
                let (Some(oid), Some(value)) = (parts.first(), parts.last()) else {
                    return Err(bad("extension"));
                };
                if value.tag != der::OCTET_STRING {
                    return Err(bad("extension value"));
                }
                match oid.value {
                    OID_BASIC_CONSTRAINTS => {
                        let (seq, _) =
                            der::expect(value.value, der::SEQUENCE, "basic constraints")?;
                        cert.is_ca = der::children(seq.value)?.first().is_some_and(|b| {
                            b.tag == der::BOOLEAN && b.value.first().is_some_and(|&v| v != 0)
                        });
                    }
                    OID_KEY_USAGE => {
                        let (bits, _) = der::expect(value.value, der::BIT_STRING, "key usage")?;
                        cert.key_usage = Some(bit_string(&bits)?.first().copied().unwrap_or(0));
                    }
                    OID_SUBJECT_KEY_ID => {
                        let (id, _) =
                            der::expect(value.value, der::OCTET_STRING, "key identifier")?;
                        cert.subject_key_id = Some(id.value);
                    }
                    _ => {}
                }
            }
        }
        Ok(cert)
    }

    /// The subject's common name (CN).
    pub(crate) fn common_name(&self) -> Option<String> {
        name_attribute(self.subject, OID_CN)
    }

    /// The subject's organisation (O).
    pub(crate) fn organisation(&self) -> Option<String> {
        name_attribute(self.subject, OID_O)
    }

    /// The issuer's common name, for messages.
    pub(crate) fn issuer_name(&self) -> Option<String> {
        name_attribute(self.issuer, OID_CN).or_else(|| name_attribute(self.issuer, OID_O))
    }

    pub(crate) fn is_self_issued(&self) -> bool {
        self.issuer == self.subject
    }

    /// Whether `issuer`'s key made this certificate's signature.
    pub(crate) fn signed_by(&self, issuer: &Certificate<'_>) -> Result<(), Problem> {
        algorithms::verify(
            &self.signature_algorithm,
            &issuer.key_algorithm,
            issuer.key,
            self.tbs,
            self.signature,
        )
    }
}

/// The content of a `BIT STRING` with no unused bits.
fn bit_string<'a>(tlv: &Tlv<'a>) -> Result<&'a [u8], Problem> {
    match tlv.value.split_first() {
        Some((0, bits)) => Ok(bits),
        // keyUsage is the one BIT STRING here that may leave bits unused.
        Some((unused, bits)) if *unused < 8 => Ok(bits),
        _ => Err(bad("bit string")),
    }
}

/// The first value of attribute `oid` in a raw `Name`.
fn name_attribute(name: &[u8], oid: &[u8]) -> Option<String> {
    let (seq, _) = der::expect(name, der::SEQUENCE, "name").ok()?;
    for rdn in der::children(seq.value).ok()? {
        for atv in der::children(rdn.value).ok()? {
            let parts = der::children(atv.value).ok()?;
            if let [key, value] = parts[..] {
                if key.value == oid {
                    return directory_string(&value)
                        .map(|s| s.chars().take(MAX_NAME_CHARS).collect());
                }
            }
        }
    }
    None
}

/// A `DirectoryString` (and the older string types CAs still use) as text.
fn directory_string(tlv: &Tlv<'_>) -> Option<String> {
    let text = match tlv.tag {
        // UTF8String, PrintableString, IA5String, VisibleString
        0x0c | 0x13 | 0x16 | 0x1a => String::from_utf8(tlv.value.to_vec()).ok()?,
        // TeletexString, read as Latin-1 as most readers do
        0x14 => tlv.value.iter().map(|&b| b as char).collect(),
        // BMPString: UTF-16BE
        0x1e => {
            if !tlv.value.len().is_multiple_of(2) {
                return None;
            }
            let units = tlv
                .value
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()?
        }
        // UniversalString: UTF-32BE
        0x1c => {
            if !tlv.value.len().is_multiple_of(4) {
                return None;
            }
            tlv.value
                .chunks(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect::<Option<String>>()?
        }
        _ => return None,
    };
    // Control and bidirectional-formatting characters could make a shown
    // name read as another (U+202E turns the rest of a line around).
    let text: String = text
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_format(c))
        .collect();
    (!text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// Unicode's explicit directional formatting characters, and the zero-width
/// ones that change nothing but what a name compares equal to.
fn is_bidi_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_bidi_overrides_and_controls() {
        let spoof = "Nguy\u{202e}nAn vă\u{200b}n\u{0007}";
        let tlv = Tlv {
            tag: 0x0c,
            value: spoof.as_bytes(),
            raw: &[],
        };
        assert_eq!(directory_string(&tlv).as_deref(), Some("NguynAn văn"));
        let bmp: Vec<u8> = "Lê".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(
            directory_string(&Tlv {
                tag: 0x1e,
                value: &bmp,
                raw: &[]
            })
            .as_deref(),
            Some("Lê")
        );
    }
}
