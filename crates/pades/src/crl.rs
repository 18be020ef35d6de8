//! Certificate revocation lists (RFC 5280, section 5), read as far as an
//! offline check needs: who issued the list, when it was made and when the
//! next one is due, the serial numbers it revokes, and the raw
//! `tbsCertList` its issuer signed.
//!
//! A deployment puts its CAs' lists next to its trusted roots (the same PEM
//! text, `X509 CRL` blocks), so a device that is offline in the meeting room
//! still knows, as of the list's date, whether a signer's certificate was
//! revoked. A list counts only once its signature verifies with the key of
//! the certificate it names as issuer.

use crate::cert::Certificate;
use crate::der::{self, Tlv};
use crate::{algorithms, Problem};

/// Most serial numbers kept from one list; a larger list is refused whole
/// (a provincial CA's lists are far smaller; a hostile one must not cost
/// unbounded memory on every device).
pub(crate) const MAX_REVOKED: usize = 200_000;

#[derive(Clone, Debug)]
pub(crate) struct Crl<'a> {
    pub tbs: &'a [u8],
    pub signature_algorithm: Tlv<'a>,
    pub signature: &'a [u8],
    /// Raw DER of the issuer's name (compared byte for byte with a
    /// certificate's issuer).
    pub issuer: &'a [u8],
    pub this_update: i64,
    pub next_update: Option<i64>,
    /// The certificates it names (serial: the INTEGER's content bytes).
    pub revoked: Vec<Entry<'a>>,
    /// A critical extension this reader does not know (an issuing
    /// distribution point narrowing its scope, a delta list): its entries
    /// still revoke, but it cannot vouch that a certificate is not revoked.
    pub partial: bool,
}

/// A certificate a list names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'a> {
    pub serial: &'a [u8],
    /// When the CA revoked it (Unix seconds).
    pub when: i64,
    /// Reason code certificateHold: suspended, which may be lifted by a
    /// later list; until then it counts as revoked.
    pub on_hold: bool,
}

/// The DER content of the OID 2.5.29.21 (id-ce-cRLReasons).
const REASON_CODE: &[u8] = &[0x55, 0x1d, 0x15];
/// CRLReason values this reader acts on.
const CERTIFICATE_HOLD: u8 = 6;
const REMOVE_FROM_CRL: u8 = 8;
/// The ENUMERATED tag.
const ENUMERATED: u8 = 0x0a;

/// The reason code of an entry's extensions (`crlEntryExtensions`), if
/// it has one.
fn reason_code(extensions: &Tlv<'_>) -> Result<Option<u8>, Problem> {
    for extension in der::children(extensions.value)? {
        let parts = der::children(extension.value)?;
        let (Some(oid), Some(value)) = (parts.first(), parts.last()) else {
            return Err(bad("entry extension"));
        };
        if oid.tag == der::OID && oid.value == REASON_CODE && value.tag == der::OCTET_STRING {
            let (code, _) = der::read(value.value)?;
            return match (code.tag, code.value) {
                (ENUMERATED, [c]) => Ok(Some(*c)),
                _ => Err(bad("reason code")),
            };
        }
    }
    Ok(None)
}

fn bad(what: &str) -> Problem {
    Problem::Malformed(format!("revocation list: {what}"))
}

impl<'a> Crl<'a> {
    pub(crate) fn parse(raw: &'a [u8]) -> Result<Self, Problem> {
        let (outer, rest) = der::expect(raw, der::SEQUENCE, "revocation list")?;
        if !rest.is_empty() {
            return Err(bad("bytes after the list"));
        }
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
        let signature = match signature.value.split_first() {
            Some((0, bits)) => bits,
            _ => return Err(bad("signature bits")),
        };
        let mut fields = der::children(tbs.value)?.into_iter().peekable();
        // version v2, when present
        if fields.peek().is_some_and(|f| f.tag == der::INTEGER) {
            fields.next();
        }
        let mut next = |what: &str| fields.next().ok_or_else(|| bad(what));
        let _inner_algorithm = next("algorithm")?;
        let issuer = next("issuer")?;
        let this_update = next("this update")?;
        let this_update = der::time(&this_update).ok_or_else(|| bad("this update"))?;
        let mut crl = Crl {
            tbs: tbs.raw,
            signature_algorithm,
            signature,
            issuer: issuer.raw,
            this_update,
            next_update: None,
            revoked: Vec::new(),
            partial: false,
        };
        for field in fields {
            match field.tag {
                der::UTC_TIME | der::GENERALIZED_TIME if crl.next_update.is_none() => {
                    crl.next_update = Some(der::time(&field).ok_or_else(|| bad("next update"))?);
                }
                der::SEQUENCE => {
                    for entry in der::children(field.value)? {
                        if crl.revoked.len() == MAX_REVOKED {
                            return Err(Problem::Unsupported(format!(
                                "a revocation list of more than {MAX_REVOKED} certificates"
                            )));
                        }
                        let parts = der::children(entry.value)?;
                        let (Some(serial), Some(when)) = (parts.first(), parts.get(1)) else {
                            return Err(bad("entry"));
                        };
                        if serial.tag != der::INTEGER {
                            return Err(bad("entry serial"));
                        }
                        let when = der::time(when).ok_or_else(|| bad("revocation date"))?;
                        let reason = match parts.get(2) {
                            Some(ext) if ext.tag == der::SEQUENCE => reason_code(ext)?,
                            Some(_) => return Err(bad("entry extensions")),
                            None => None,
                        };
                        // removeFromCRL (in a delta list) takes a hold back:
                        // the entry revokes nothing.
                        if reason == Some(REMOVE_FROM_CRL) {
                            continue;
                        }
                        crl.revoked.push(Entry {
                            serial: serial.value,
                            when,
                            on_hold: reason == Some(CERTIFICATE_HOLD),
                        });
                    }
                }
                t if t == der::ctx(0) => {
                    let (list, _) = der::expect(field.value, der::SEQUENCE, "extensions")?;
                    for extension in der::children(list.value)? {
                        let parts = der::children(extension.value)?;
                        // [oid, critical?, value]; a known extension here
                        // (the list's number, the key identifier) only informs.
                        let critical = parts.len() == 3
                            && parts[1].tag == der::BOOLEAN
                            && parts[1].value.first().is_some_and(|&v| v != 0);
                        if critical {
                            crl.partial = true;
                        }
                    }
                }
                _ => return Err(bad("unexpected field")),
            }
        }
        Ok(crl)
    }

    /// Whether `issuer`'s key signed this list, and `issuer` may sign lists
    /// (a CA; keyUsage, when present, with cRLSign).
    pub(crate) fn signed_by(&self, issuer: &Certificate<'_>) -> bool {
        issuer.subject == self.issuer
            && issuer.is_ca
            && issuer.key_usage.is_none_or(|bits| bits & 0x02 != 0)
            && algorithms::verify(
                &self.signature_algorithm,
                &issuer.key_algorithm,
                issuer.key,
                self.tbs,
                self.signature,
            )
            .is_ok()
    }

    /// The list's entry for `serial`, if it names it. Serials are compared
    /// as numbers: a leading zero byte written by a lax encoder on either
    /// side does not hide a revocation.
    pub(crate) fn entry(&self, serial: &[u8]) -> Option<Entry<'a>> {
        let serial = significant(serial);
        self.revoked
            .iter()
            .find(|e| significant(e.serial) == serial)
            .copied()
    }

    /// Whether the list is the current word at `now`: made before it and
    /// not past its next update. A list without a next update (RFC 5280
    /// requires one) never is: it cannot say how long it holds.
    pub(crate) fn current_at(&self, now: i64) -> bool {
        self.this_update <= now && self.next_update.is_some_and(|next| now <= next)
    }
}

/// An INTEGER's content without its leading zero bytes.
fn significant(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(this_update: i64, next_update: Option<i64>) -> Crl<'static> {
        let algorithm = Tlv {
            tag: der::SEQUENCE,
            value: &[],
            raw: &[0x30, 0],
        };
        Crl {
            tbs: &[],
            signature_algorithm: algorithm,
            signature: &[],
            issuer: &[],
            this_update,
            next_update,
            revoked: Vec::new(),
            partial: false,
        }
    }

    #[test]
    fn a_list_is_current_only_between_its_dates_and_never_without_a_next_update() {
        let day = 86_400;
        assert!(list(0, Some(7 * day)).current_at(day));
        assert!(
            !list(0, Some(7 * day)).current_at(8 * day),
            "past its next update"
        );
        assert!(
            !list(2 * day, Some(7 * day)).current_at(day),
            "not made yet"
        );
        assert!(!list(0, None).current_at(day), "no next update");
    }

    #[test]
    fn serials_compare_as_numbers() {
        assert_eq!(super::significant(&[0, 0, 0x81, 2]), &[0x81, 2]);
        assert_eq!(super::significant(&[0x01]), &[0x01]);
        assert_eq!(super::significant(&[0, 0]), &[] as &[u8]);
    }
}
