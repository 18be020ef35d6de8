//! Lower-case hex, the text form of hashes, receipts and ballot tokens on the
//! wire and in the server's tables.

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of `bytes` (blob names, upload part checksums).
pub fn sha256_hex(bytes: &[u8]) -> String {
    encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Exactly `N` bytes from `2 * N` hex digits; `None` otherwise.
pub fn decode_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Bytes of any length from an even number of hex digits; `None` otherwise.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_wrong_lengths_and_digits() {
        assert_eq!(encode(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(decode_array::<3>("00ab7f"), Some([0x00, 0xab, 0x7f]));
        assert_eq!(decode_array::<3>("00ab7"), None);
        assert_eq!(decode_array::<3>("00ab7g"), None);
        assert_eq!(decode_array::<2>("00ab7f"), None);
        assert_eq!(decode("00ab7f"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("0ab"), None);
        assert_eq!(decode("zz"), None);
    }
}
