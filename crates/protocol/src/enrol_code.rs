//! Enrol codes: the text an administrator hands a member out of band so the
//! member's device can check, at enrolment, that it talks to the right server.
//!
//! A code is 32 Crockford base32 symbols shown in 8 groups of 4,
//! `SSSS-SSSS-SSSS-SSSS-FFFF-FFFF-FFFF-FFFF`:
//! - `S` (80 bits): a random one-time secret; the server stores only its
//!   SHA-256 and accepts it once, for one user, before it expires;
//! - `F` (80 bits): the server key's [`fingerprint`], the first 10 bytes of
//!   SHA-256 of the raw 32-byte Ed25519 manifest-signing key.
//!
//! A man in the middle of the enrolment cannot forge a server key with the
//! fingerprint the administrator printed, and cannot learn the secret before
//! the member types it. Parsing forgives what people do when they copy a
//! code (case, dashes, spaces, O for 0, I or L for 1) and refuses anything
//! else with an error that says which symbol is wrong.

use std::fmt;

/// Crockford's base32 alphabet: digits and upper-case letters without I, L, O, U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Bytes in the secret half and in the fingerprint half.
pub const PART_BYTES: usize = 10;

/// Symbols in one half (80 bits).
pub const PART_SYMBOLS: usize = 16;

/// Symbols in a whole code.
pub const CODE_SYMBOLS: usize = 2 * PART_SYMBOLS;

/// Why a typed code, secret or fingerprint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolCodeError {
    #[error("'{symbol}' cannot be part of an enrol code: use only the digits 0-9 and the letters A-Z except U (dashes and spaces are ignored)")]
    BadSymbol { symbol: char },
    #[error("expected {expected} symbols (not counting dashes and spaces) but found {found}: check that nothing is missing or repeated")]
    WrongLength { expected: usize, found: usize },
}

/// A parsed enrol code.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrolCode {
    /// The one-time secret; sent to the server as [`EnrolCode::secret_symbols`].
    pub secret: [u8; PART_BYTES],
    /// The expected [`fingerprint`] of the server's signing key.
    pub fingerprint: [u8; PART_BYTES],
}

impl EnrolCode {
    /// The secret as the 16 symbols the device-enrol request carries
    /// (upper case, no dashes).
    pub fn secret_symbols(&self) -> String {
        encode(&self.secret)
    }

    /// The whole code in its display form, 8 groups of 4.
    pub fn display(&self) -> String {
        let mut symbols = encode(&self.secret);
        symbols.push_str(&encode(&self.fingerprint));
        group(&symbols)
    }
}

/// The secret stays out of logs and panics.
impl fmt::Debug for EnrolCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrolCode")
            .field("secret", &"<redacted>")
            .field("fingerprint", &format_fingerprint(&self.fingerprint))
            .finish()
    }
}

/// The fingerprint of a server's manifest-signing key: the first 10 bytes of
/// SHA-256 of the raw public key.
pub fn fingerprint(server_public_key: &[u8]) -> [u8; PART_BYTES] {
    let digest = ring::digest::digest(&ring::digest::SHA256, server_public_key);
    let mut out = [0u8; PART_BYTES];
    out.copy_from_slice(&digest.as_ref()[..PART_BYTES]);
    out
}

/// A fingerprint as people see and compare it: `FFFF-FFFF-FFFF-FFFF`.
pub fn format_fingerprint(fingerprint: &[u8; PART_BYTES]) -> String {
    group(&encode(fingerprint))
}

/// Crockford base32 of `bytes`, most significant bit first, without padding
/// (a last partial group of bits is padded with zero bits).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// `symbols` in groups of 4 joined by '-'.
pub fn group(symbols: &str) -> String {
    let chars: Vec<char> = symbols.chars().collect();
    chars
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical symbols of `text`: dashes and white space dropped, upper
/// case, O read as 0 and I or L as 1; any other non-alphabet character is an
/// error.
pub fn normalize(text: &str) -> Result<String, EnrolCodeError> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '-' || c.is_whitespace() {
            continue;
        }
        let symbol = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            upper if upper.is_ascii() && ALPHABET.contains(&(upper as u8)) => upper,
            _ => return Err(EnrolCodeError::BadSymbol { symbol: c }),
        };
        out.push(symbol);
    }
    Ok(out)
}

/// Exactly 10 bytes from text holding 16 symbols (dashes, spaces, case and
/// look-alike letters forgiven).
fn decode_part(text: &str) -> Result<[u8; PART_BYTES], EnrolCodeError> {
    let symbols = normalize(text)?;
    if symbols.len() != PART_SYMBOLS {
        return Err(EnrolCodeError::WrongLength {
            expected: PART_SYMBOLS,
            found: symbols.len(),
        });
    }
    decode_symbols(&symbols)
}

/// 16 normalized symbols (80 bits, no padding) to 10 bytes.
fn decode_symbols(symbols: &str) -> Result<[u8; PART_BYTES], EnrolCodeError> {
    let mut out = [0u8; PART_BYTES];
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    let mut at = 0usize;
    for c in symbols.chars() {
        let value = ALPHABET
            .iter()
            .position(|&a| char::from(a) == c)
            .ok_or(EnrolCodeError::BadSymbol { symbol: c })?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out[at] = ((buffer >> bits) & 0xff) as u8;
            at += 1;
        }
    }
    Ok(out)
}

/// Parses a whole enrol code as a person typed it.
pub fn parse(text: &str) -> Result<EnrolCode, EnrolCodeError> {
    let symbols = normalize(text)?;
    if symbols.len() != CODE_SYMBOLS {
        return Err(EnrolCodeError::WrongLength {
            expected: CODE_SYMBOLS,
            found: symbols.len(),
        });
    }
    let (secret, fingerprint) = symbols.split_at(PART_SYMBOLS);
    Ok(EnrolCode {
        secret: decode_symbols(secret)?,
        fingerprint: decode_symbols(fingerprint)?,
    })
}

/// Parses the secret half alone, as the device-enrol request carries it.
pub fn parse_secret(text: &str) -> Result<[u8; PART_BYTES], EnrolCodeError> {
    decode_part(text)
}

/// Parses a fingerprint as a person typed it (`FFFF-FFFF-FFFF-FFFF`).
pub fn parse_fingerprint(text: &str) -> Result<[u8; PART_BYTES], EnrolCodeError> {
    decode_part(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 10] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xff];

    fn code() -> EnrolCode {
        EnrolCode {
            secret: SECRET,
            fingerprint: fingerprint(&[7u8; 32]),
        }
    }

    #[test]
    fn encodes_known_vectors() {
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0u8; 5]), "00000000");
        assert_eq!(encode(&[0xffu8; 5]), "ZZZZZZZZ");
        // 0x0842108421 = 00001 00001 ... : every symbol is '1'.
        assert_eq!(encode(&[0x08, 0x42, 0x10, 0x84, 0x21]), "11111111");
        assert_eq!(encode(&SECRET).len(), PART_SYMBOLS);
    }

    #[test]
    fn round_trips_a_code_through_its_display_form() {
        let code = code();
        let shown = code.display();
        assert_eq!(shown.len(), CODE_SYMBOLS + 7);
        assert_eq!(shown.matches('-').count(), 7);
        assert!(shown.split('-').all(|g| g.len() == 4));
        assert_eq!(parse(&shown), Ok(code.clone()));
        assert_eq!(parse_secret(&code.secret_symbols()), Ok(SECRET));
        let fp = format_fingerprint(&code.fingerprint);
        assert!(shown.ends_with(&fp));
        assert_eq!(parse_fingerprint(&fp), Ok(code.fingerprint));
    }

    #[test]
    fn round_trips_every_byte_value() {
        for b in 0..=255u8 {
            let bytes = [b; 10];
            assert_eq!(parse_secret(&encode(&bytes)), Ok(bytes));
        }
    }

    #[test]
    fn forgives_case_dashes_spaces_and_look_alike_letters() {
        let code = code();
        let shown = code.display();
        let sloppy = shown.to_lowercase().replace('-', " ");
        assert_eq!(parse(&sloppy), Ok(code.clone()));
        assert_eq!(parse(&shown.replace('-', "")), Ok(code.clone()));
        assert_eq!(parse(&format!("  {shown}\n")), Ok(code));
        assert_eq!(normalize("oO-iI-lL"), Ok("001111".to_string()));
        assert_eq!(parse_secret("OOOO-OOOO-OOOO-OOOO"), Ok([0u8; 10]));
        assert_eq!(
            parse_secret("ilIL-0000-0000-0000"),
            parse_secret("1111-0000-0000-0000")
        );
    }

    #[test]
    fn refuses_wrong_lengths() {
        let shown = code().display();
        assert_eq!(
            parse(&shown[..shown.len() - 1]),
            Err(EnrolCodeError::WrongLength {
                expected: 32,
                found: 31
            })
        );
        assert_eq!(
            parse(&format!("{shown}0")),
            Err(EnrolCodeError::WrongLength {
                expected: 32,
                found: 33
            })
        );
        assert_eq!(
            parse_secret(&shown),
            Err(EnrolCodeError::WrongLength {
                expected: 16,
                found: 32
            })
        );
        assert!(matches!(
            parse_fingerprint(""),
            Err(EnrolCodeError::WrongLength { found: 0, .. })
        ));
    }

    #[test]
    fn refuses_symbols_outside_the_alphabet() {
        for bad in ['U', 'u', '*', '_', 'é', '+'] {
            let text = format!("{bad}000-0000-0000-0000");
            assert_eq!(
                parse_secret(&text),
                Err(EnrolCodeError::BadSymbol { symbol: bad }),
                "{text}"
            );
        }
        let message = parse_secret("U").expect_err("U is refused").to_string();
        assert!(message.contains("'U'"), "{message}");
    }

    #[test]
    fn fingerprint_is_the_sha256_prefix_of_the_key() {
        let key = [42u8; 32];
        let digest = ring::digest::digest(&ring::digest::SHA256, &key);
        assert_eq!(fingerprint(&key)[..], digest.as_ref()[..10]);
        assert_ne!(fingerprint(&key), fingerprint(&[43u8; 32]));
        let shown = format_fingerprint(&fingerprint(&key));
        assert_eq!(shown.len(), 19);
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let debug = format!("{:?}", code());
        assert!(!debug.contains(&code().secret_symbols()), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
    }
}
