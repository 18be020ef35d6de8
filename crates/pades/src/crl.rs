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
    /// Revoked serial numbers (the INTEGER's content bytes) and when.
    pub revoked: Vec<(&'a [u8], i64)>,
    /// A critical extension this reader does not know (an issuing
    /// distribution point narrowing its scope, a delta list): its entries
    /// still revoke, but it cannot vouch that a certificate is not revoked.
    pub partial: bool,
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
                        crl.revoked.push((serial.value, when));
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

    /// When the list revoked `serial`, if it did. Serials are compared as
    /// numbers: a leading zero byte written by a lax encoder on either side
    /// does not hide a revocation.
    pub(crate) fn revoked_at(&self, serial: &[u8]) -> Option<i64> {
        let serial = significant(serial);
        self.revoked
            .iter()
            .find(|(s, _)| significant(s) == serial)
            .map(|&(_, when)| when)
    }

    /// Whether the list is the current word at `now`: made before it and
    /// not past its next update.
    pub(crate) fn current_at(&self, now: i64) -> bool {
        self.this_update <= now && self.next_update.is_none_or(|next| now <= next)
    }
}

/// An INTEGER's content without its leading zero bytes.
fn significant(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    #[test]
    fn serials_compare_as_numbers() {
        assert_eq!(super::significant(&[0, 0, 0x81, 2]), &[0x81, 2]);
        assert_eq!(super::significant(&[0x01]), &[0x01]);
        assert_eq!(super::significant(&[0, 0]), &[] as &[u8]);
    }
}
