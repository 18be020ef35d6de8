//! Finds the signatures in a PDF without parsing it: every signature
//! dictionary carries `/ByteRange [0 a b c]`, and the bytes from `a` to
//! `b` are exactly its `/Contents` hex string, the one part of the file
//! its signature does not cover. That shape is checked, so a stray
//! `/ByteRange` in some text is ignored; what it does not prove (that the
//! bytes are the signer's) the cryptographic check does.

use std::io::{Read, Seek, SeekFrom};

use crate::{der, Problem, MAX_SIGNATURES, MAX_SIGNATURE_BYTES};

const NEEDLE: &[u8] = b"/ByteRange";
/// Bytes read after a `/ByteRange` to parse its array.
const ARRAY_WINDOW: usize = 128;
/// Bytes around a signature dictionary searched for its `/M` date.
const DATE_WINDOW: u64 = 2048;
/// Most `/ByteRange` occurrences looked at.
const MAX_HITS: usize = 256;

pub(crate) struct Found {
    /// `[0, a, b, c]`: covered are `0..a` and `b..b+c`.
    pub range: [u64; 4],
    /// The decoded CMS blob, or why there is none.
    pub cms: Result<Vec<u8>, Problem>,
    /// The dictionary's `/M`, Unix seconds.
    pub claimed_time: Option<i64>,
}

pub(crate) fn signatures<R: Read + Seek>(file: &mut R, len: u64) -> std::io::Result<Vec<Found>> {
    let (hits, cut_off) = find_all(file, len)?;
    let mut found: Vec<Found> = Vec::new();
    for at in hits {
        file.seek(SeekFrom::Start(at + NEEDLE.len() as u64))?;
        let mut window = Vec::with_capacity(ARRAY_WINDOW);
        file.by_ref()
            .take(ARRAY_WINDOW as u64)
            .read_to_end(&mut window)?;
        let Some(range) = parse_array(&window) else {
            continue;
        };
        let [zero, a, b, c] = range;
        // The shape of a signature dictionary: from the start, a gap of at
        // least "<>", and the dictionary itself inside what it covers.
        if zero != 0 || a == 0 || b < a + 2 || (at >= a && at < b) || at >= b.saturating_add(c) {
            continue;
        }
        // One signature per /Contents: another range over the same gap is
        // the same signature claimed twice (and twice the hashing).
        if found.iter().any(|f| f.range[1] == a && f.range[2] == b) {
            continue;
        }
        if found.len() == MAX_SIGNATURES {
            found.push(Found {
                range: [0, 0, 0, 0],
                cms: Err(Problem::Unsupported(format!(
                    "more than {MAX_SIGNATURES} signatures (the rest were not checked)"
                ))),
                claimed_time: None,
            });
            break;
        }
        let cms = if b.checked_add(c).is_none_or(|end| end > len) {
            Err(Problem::Malformed(
                "the signature covers bytes past the end of the file: it is truncated".into(),
            ))
        } else {
            read_contents(file, a, b)?
        };
        let claimed_time = claimed_time(file, at, len)?;
        found.push(Found {
            range,
            cms,
            claimed_time,
        });
    }
    // Said, not hidden: a file stuffed with decoys must not pass as having
    // only the signatures before them.
    if cut_off && found.len() <= MAX_SIGNATURES {
        found.push(Found {
            range: [0, 0, 0, 0],
            cms: Err(Problem::Unsupported(format!(
                "more than {MAX_HITS} signature ranges in the file (the rest were not checked)"
            ))),
            claimed_time: None,
        });
    }
    Ok(found)
}

/// Offsets of every `/ByteRange` in the file, read in 1 MiB pieces.
/// Where `/ByteRange` occurs, the first [`MAX_HITS`]; and whether there were more.
fn find_all<R: Read + Seek>(file: &mut R, len: u64) -> std::io::Result<(Vec<u64>, bool)> {
    const PIECE: usize = 1 << 20;
    let keep = NEEDLE.len() - 1;
    let mut hits = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(PIECE + keep);
    let mut buf_start = 0u64;
    file.seek(SeekFrom::Start(0))?;
    let mut piece = vec![0u8; PIECE];
    loop {
        let n = file.read(&mut piece)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&piece[..n]);
        let mut from = 0;
        while let Some(i) = find(&buf[from..], NEEDLE) {
            if hits.len() == MAX_HITS {
                return Ok((hits, true));
            }
            hits.push(buf_start + (from + i) as u64);
            from += i + NEEDLE.len();
        }
        // Keep a tail shorter than the needle, so no match is found twice
        // and none is split between pieces.
        let cut = buf.len().saturating_sub(keep);
        buf_start += cut as u64;
        buf.drain(..cut);
        if buf_start + buf.len() as u64 >= len {
            break;
        }
    }
    Ok((hits, false))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_pdf_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

/// `[n n n n]` after optional white space.
fn parse_array(text: &[u8]) -> Option<[u64; 4]> {
    let mut rest = text;
    let skip = |r: &mut &[u8]| {
        while r.first().is_some_and(|&b| is_pdf_space(b)) {
            *r = &r[1..];
        }
    };
    skip(&mut rest);
    rest = rest.strip_prefix(b"[")?;
    let mut out = [0u64; 4];
    for slot in &mut out {
        skip(&mut rest);
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 15 {
            return None;
        }
        *slot = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
        rest = &rest[digits..];
    }
    skip(&mut rest);
    rest.starts_with(b"]").then_some(out)
}

/// The `<hex>` string between `a` and `b`, decoded, trailing padding cut.
fn read_contents<R: Read + Seek>(
    file: &mut R,
    a: u64,
    b: u64,
) -> std::io::Result<Result<Vec<u8>, Problem>> {
    let hex_len = b - a - 2;
    if hex_len > 2 * MAX_SIGNATURE_BYTES as u64 {
        return Ok(Err(Problem::Unsupported(format!(
            "a signature over {} KiB",
            MAX_SIGNATURE_BYTES / 1024
        ))));
    }
    file.seek(SeekFrom::Start(a))?;
    let mut raw = vec![0u8; (b - a) as usize];
    file.read_exact(&mut raw)?;
    let (Some(b'<'), Some(b'>')) = (raw.first(), raw.last()) else {
        return Ok(Err(Problem::Malformed(
            "the signature is not where its byte range says".into(),
        )));
    };
    let hex: Vec<u8> = raw[1..raw.len() - 1]
        .iter()
        .copied()
        .filter(|&b| !is_pdf_space(b))
        .collect();
    if !hex.len().is_multiple_of(2) {
        return Ok(Err(Problem::Malformed(
            "the signature's hex string is cut".into(),
        )));
    }
    let mut bytes = Vec::with_capacity(hex.len() / 2);
    for pair in hex.chunks(2) {
        let digit = |c: u8| (c as char).to_digit(16);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(hi), Some(lo)) => bytes.push((hi * 16 + lo) as u8),
            _ => {
                return Ok(Err(Problem::Malformed(
                    "the signature is not a hex string".into(),
                )))
            }
        }
    }
    // The space reserved for the signature is padded with zeros after it.
    Ok(match der::read(&bytes) {
        Ok((tlv, _)) => Ok(tlv.raw.to_vec()),
        Err(problem) => Err(problem),
    })
}

/// The `/M (D:YYYYMMDDHHmmSS+07'00')` near a signature dictionary.
fn claimed_time<R: Read + Seek>(file: &mut R, at: u64, len: u64) -> std::io::Result<Option<i64>> {
    let from = at.saturating_sub(DATE_WINDOW);
    let to = (at + DATE_WINDOW).min(len);
    file.seek(SeekFrom::Start(from))?;
    let mut window = Vec::new();
    file.by_ref().take(to - from).read_to_end(&mut window)?;
    let mut start = 0;
    while let Some(i) = find(&window[start..], b"/M") {
        let mut rest = &window[start + i + 2..];
        while rest.first().is_some_and(|&b| is_pdf_space(b)) {
            rest = &rest[1..];
        }
        if let Some(text) = rest.strip_prefix(b"(").and_then(literal_string) {
            let date = text.strip_prefix(b"D:").unwrap_or(&text);
            if let Some(date) = parse_pdf_date(date) {
                return Ok(Some(date));
            }
        }
        start += i + 2;
    }
    Ok(None)
}

/// The bytes of a PDF literal string up to its closing parenthesis, with
/// its escapes (`\ddd` octal, `\(`, `\)`, `\\`) undone; short strings only.
fn literal_string(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b')' => return Some(out),
            b'\\' => {
                let digits = text[i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|c| (b'0'..=b'7').contains(c))
                    .count();
                if digits > 0 {
                    let value = text[i + 1..i + 1 + digits]
                        .iter()
                        .fold(0u32, |n, c| n * 8 + u32::from(c - b'0'));
                    out.push(value as u8);
                    i += 1 + digits;
                } else {
                    out.push(*text.get(i + 1)?);
                    i += 2;
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
        if out.len() > 64 {
            return None;
        }
    }
    None
}

/// A PDF date `YYYYMMDDHHmmSS` with an optional `Z` or `±HH'mm'`.
fn parse_pdf_date(text: &[u8]) -> Option<i64> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits < 14 {
        return None;
    }
    let num = |i: usize, n: usize| -> Option<i64> {
        std::str::from_utf8(&text[i..i + n]).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0, 4)?, num(4, 2)?, num(6, 2)?);
    let (hour, minute, second) = (num(8, 2)?, num(10, 2)?, num(12, 2)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let local =
        der::days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    let zone = &text[14..];
    let offset = match zone.first() {
        Some(&sign @ (b'+' | b'-')) if zone.len() >= 3 => {
            let h: i64 = std::str::from_utf8(&zone[1..3]).ok()?.parse().ok()?;
            let m: i64 = zone
                .get(4..6)
                .and_then(|m| std::str::from_utf8(m).ok()?.parse().ok())
                .unwrap_or(0);
            let secs = h * 3600 + m * 60;
            if sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => 0,
    };
    Some(local - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_dates() {
        assert_eq!(
            parse_array(b" [0 1200 3400 5000]/Contents"),
            Some([0, 1200, 3400, 5000])
        );
        assert_eq!(parse_array(b"[ 0\n10 20 30 ]"), Some([0, 10, 20, 30]));
        assert_eq!(parse_array(b"[0 10 20]"), None);
        assert_eq!(parse_array(b"[0 10 20 -30]"), None);
        assert_eq!(parse_array(b"0 10 20 30"), None);
        // 2026-12-04 21:55:00 in Hanoi is 14:55:00 UTC.
        assert_eq!(
            parse_pdf_date(b"20261204215500+07'00')"),
            Some(1_796_396_100)
        );
        assert_eq!(parse_pdf_date(b"20261204145500Z)"), Some(1_796_396_100));
        assert_eq!(parse_pdf_date(b"2026120414)"), None);
        assert_eq!(
            literal_string(b"D\\07220261204145500Z) >>").as_deref(),
            Some(&b"D:20261204145500Z"[..])
        );
        assert_eq!(
            literal_string(b"a\\)b\\\\c)").as_deref(),
            Some(&b"a)b\\c"[..])
        );
        assert_eq!(literal_string(b"never closed"), None);
    }

    #[test]
    fn a_needle_split_between_pieces_is_found_once() {
        // Put "/ByteRange" across the 1 MiB boundary, and one more right after.
        let mut file = vec![b'x'; (1 << 20) - 4];
        file.extend_from_slice(b"/ByteRange/ByteRange");
        file.extend_from_slice(&[b'y'; 100]);
        let hits =
            find_all(&mut std::io::Cursor::new(&file), file.len() as u64).expect("in memory");
        assert_eq!(hits, (vec![(1 << 20) - 4, (1 << 20) + 6], false));
    }

    #[test]
    fn a_file_stuffed_with_decoy_ranges_says_the_rest_were_not_checked() {
        let mut file = b"%PDF-1.7 ".to_vec();
        for _ in 0..MAX_HITS + 1 {
            file.extend_from_slice(b"/ByteRange [1 2 3 4] ");
        }
        let found =
            signatures(&mut std::io::Cursor::new(&file), file.len() as u64).expect("in memory");
        assert_eq!(found.len(), 1, "one entry says what was left unchecked");
        assert!(
            matches!(&found[0].cms, Err(Problem::Unsupported(m)) if m.contains("not checked")),
            "{:?}",
            found[0].cms
        );
        // Up to the limit, decoys are just not signatures.
        file.truncate(9 + 21 * MAX_HITS);
        let found =
            signatures(&mut std::io::Cursor::new(&file), file.len() as u64).expect("in memory");
        assert!(found.is_empty());
    }

    #[test]
    fn stray_byte_ranges_are_not_signatures_but_a_truncated_one_is_reported() {
        let text = b"%PDF-1.7 a manual about /ByteRange [1 2 3 4] and /ByteRange [0 5 3 1] ok";
        let found =
            signatures(&mut std::io::Cursor::new(&text[..]), text.len() as u64).expect("in memory");
        assert!(found.is_empty());

        let mut file = b"%PDF-1.7 /ByteRange [0 40 50 9000] /Contents ".to_vec();
        file.resize(40, b' ');
        file.extend_from_slice(b"<30020000>");
        file.extend_from_slice(b" endobj");
        let found =
            signatures(&mut std::io::Cursor::new(&file), file.len() as u64).expect("in memory");
        assert_eq!(found.len(), 1);
        assert!(matches!(&found[0].cms, Err(Problem::Malformed(m)) if m.contains("truncated")));
    }
}
