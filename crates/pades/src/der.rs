//! A small reader of DER (and the BER that signing tools still emit around
//! a CMS blob: indefinite lengths on constructed values). It hands out the
//! raw bytes of every element, which a verifier needs: a signature covers
//! the bytes as they were sent, not a re-encoding of what was parsed.

use crate::Problem;

/// Deepest nesting followed in an indefinite-length value.
const MAX_DEPTH: usize = 32;

/// One element: its tag byte, its content, and all of its bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;
pub(crate) const BOOLEAN: u8 = 0x01;
pub(crate) const UTC_TIME: u8 = 0x17;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;

/// Context-specific, constructed `[n]`.
pub(crate) const fn ctx(n: u8) -> u8 {
    0xa0 | n
}

/// Context-specific, primitive `[n]`.
pub(crate) const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

fn malformed(what: &str) -> Problem {
    Problem::Malformed(what.to_owned())
}

/// Reads the element at the start of `input`; returns it and what follows.
pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), Problem> {
    read_at_depth(input, 0)
}

fn read_at_depth(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), Problem> {
    if depth > MAX_DEPTH {
        return Err(malformed("the signature nests too deeply"));
    }
    let (&tag, rest) = input
        .split_first()
        .ok_or_else(|| malformed("truncated signature data"))?;
    if tag & 0x1f == 0x1f {
        return Err(malformed("multi-byte tags are not used in signatures"));
    }
    let (&first, mut rest) = rest
        .split_first()
        .ok_or_else(|| malformed("truncated signature data"))?;
    let header_len;
    let len = if first < 0x80 {
        header_len = 2;
        first as usize
    } else if first == 0x80 {
        // Indefinite length: only on constructed values, ended by 00 00.
        if tag & 0x20 == 0 {
            return Err(malformed("an indefinite length on a primitive value"));
        }
        let mut inner = rest;
        loop {
            if inner.len() >= 2 && inner[0] == 0 && inner[1] == 0 {
                let content_len = rest.len() - inner.len();
                let total = 2 + content_len + 2;
                return Ok((
                    Tlv {
                        tag,
                        value: &rest[..content_len],
                        raw: &input[..total],
                    },
                    &inner[2..],
                ));
            }
            let (_, next) = read_at_depth(inner, depth + 1)?;
            inner = next;
        }
    } else {
        let count = (first & 0x7f) as usize;
        if count > 4 || rest.len() < count {
            return Err(malformed("a length that does not fit"));
        }
        let mut len = 0usize;
        for &b in &rest[..count] {
            len = (len << 8) | b as usize;
        }
        rest = &rest[count..];
        header_len = 2 + count;
        len
    };
    if rest.len() < len {
        return Err(malformed("truncated signature data"));
    }
    Ok((
        Tlv {
            tag,
            value: &rest[..len],
            raw: &input[..header_len + len],
        },
        &rest[len..],
    ))
}

/// Reads an element that must carry `tag`.
pub(crate) fn expect<'a>(
    input: &'a [u8],
    tag: u8,
    what: &str,
) -> Result<(Tlv<'a>, &'a [u8]), Problem> {
    let (tlv, rest) = read(input)?;
    if tlv.tag != tag {
        return Err(malformed(&format!("{what}: unexpected element")));
    }
    Ok((tlv, rest))
}

/// The elements inside a constructed value, in order.
pub(crate) fn children(mut value: &[u8]) -> Result<Vec<Tlv<'_>>, Problem> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (tlv, rest) = read(value)?;
        out.push(tlv);
        value = rest;
    }
    Ok(out)
}

/// Seconds since the Unix epoch of a `UTCTime` or `GeneralizedTime`.
pub(crate) fn time(tlv: &Tlv<'_>) -> Option<i64> {
    let text = std::str::from_utf8(tlv.value).ok()?;
    let text = text.strip_suffix('Z')?;
    let (year, rest) = match tlv.tag {
        UTC_TIME => {
            let yy: i64 = text.get(..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, text.get(2..)?)
        }
        GENERALIZED_TIME => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    // Fractions of a second (GeneralizedTime only) are dropped.
    let rest = rest.split('.').next()?;
    if rest.len() != 10 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_short_long_and_indefinite() {
        let short = [0x04, 0x02, 0xaa, 0xbb, 0xff];
        let (tlv, rest) = read(&short).expect("short form");
        assert_eq!(
            (tlv.tag, tlv.value, rest),
            (0x04, &[0xaa, 0xbb][..], &[0xff][..])
        );

        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let (tlv, rest) = read(&long).expect("long form");
        assert_eq!(
            (tlv.value.len(), tlv.raw.len(), rest.len()),
            (0x80, 0x83, 0)
        );

        // SEQUENCE (indefinite) { OCTET STRING 01 } EOC, then one more byte.
        let indefinite = [0x30, 0x80, 0x04, 0x01, 0x01, 0x00, 0x00, 0x05];
        let (tlv, rest) = read(&indefinite).expect("indefinite form");
        assert_eq!(
            (tlv.value, tlv.raw.len(), rest),
            (&[0x04, 0x01, 0x01][..], 7, &[0x05][..])
        );
    }

    #[test]
    fn truncated_and_hostile_lengths_are_refused() {
        for bad in [
            &[0x04, 0x05, 0x01][..],
            &[0x04][..],
            &[0x04, 0x85, 1, 1, 1, 1, 1][..],
            &[0x04, 0x80, 0x00, 0x00][..],
            &[0x30, 0x80, 0x04, 0x01][..],
            &[0x1f, 0x01, 0x00][..],
        ] {
            assert!(read(bad).is_err(), "{bad:?} was read");
        }
        // A deep indefinite nesting stops at the limit instead of the stack.
        let mut deep = Vec::new();
        for _ in 0..10_000 {
            deep.extend([0x30, 0x80]);
        }
        assert!(read(&deep).is_err());
    }

    #[test]
    fn times_of_both_forms() {
        let utc = Tlv {
            tag: UTC_TIME,
            value: b"261204145500Z",
            raw: &[],
        };
        assert_eq!(time(&utc), Some(1_796_396_100));
        let gen = Tlv {
            tag: GENERALIZED_TIME,
            value: b"20261204145500.123Z",
            raw: &[],
        };
        assert_eq!(time(&gen), Some(1_796_396_100));
        let old = Tlv {
            tag: UTC_TIME,
            value: b"991231235959Z",
            raw: &[],
        };
        assert_eq!(time(&old), Some(946_684_799));
        let local = Tlv {
            tag: UTC_TIME,
            value: b"261204145500+0700",
            raw: &[],
        };
        assert_eq!(time(&local), None);
    }
}
