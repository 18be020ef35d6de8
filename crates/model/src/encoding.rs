//! Canonical byte encoding shared by ballot signatures and audit records.
//!
//! Every field, including the leading domain string, is written as an 8-byte
//! big-endian length followed by its bytes, so no two different field lists
//! encode to the same bytes (no ambiguity from concatenation), and the domain
//! string keeps a ballot signature from ever verifying as anything else.

pub(crate) struct Canonical {
    buf: Vec<u8>,
}

impl Canonical {
    pub(crate) fn new(domain: &str) -> Self {
        let mut c = Canonical {
            buf: Vec::with_capacity(256),
        };
        c.bytes(domain.as_bytes());
        c
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        // usize -> u64 never truncates on the platforms Rust supports.
        self.buf
            .extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        self.buf.extend_from_slice(bytes);
        self
    }

    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    pub(crate) fn i64(&mut self, v: i64) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_be_bytes())
    }

    pub(crate) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_a_byte_between_fields_changes_the_encoding() {
        let a = Canonical::new("d").str("ab").str("c").finish();
        let b = Canonical::new("d").str("a").str("bc").finish();
        assert_ne!(a, b);
        let c = Canonical::new("d").str("ab").str("c").finish();
        assert_eq!(a, c);
    }
}
