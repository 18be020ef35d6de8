//! Tamper-evident audit log: a SHA-256 hash chain over canonical records.
//!
//! `head_n = SHA-256(head_{n-1} || canonical(record_n))`, starting from
//! [`ChainHead::GENESIS`] (or from any stored head, to check a segment).
//! A published result carries the head; changing, dropping or reordering any
//! earlier record changes every later head.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::encoding::Canonical;
use crate::ids::{DeviceId, MemberId, MotionId, OpId};
use crate::motion::Motion;
use crate::secret::{BallotToken, SecretBallot};
use crate::tally::TallyError;

/// A named ballot's second signature, made with the member's token (ký số)
/// under a certificate of the deployment's trusted CAs, over the ballot's
/// signing bytes: it goes into the audit record, so the chain holds the
/// legal signature of each vote as well as the device's. The fields of the
/// signed bytes that the record does not otherwise hold (the device, its
/// own clock's cast time, the feed position) come with it, so anyone can
/// rebuild the bytes from the record and check the signature later.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedSeal {
    /// SHA-256 of the signer's certificate (DER).
    pub certificate_sha256: [u8; 32],
    /// The signature (RSA PKCS#1 v1.5 or DER ECDSA, over SHA-256).
    pub signature: Vec<u8>,
    pub device_id: DeviceId,
    /// `cast_at` as the device signed it (the record's is the server's
    /// corrected time).
    pub device_cast_at: i64,
    pub seen_seq: i64,
    /// SHA-256 of the opinion form (phiếu lấy ý kiến, a PDF signed with the
    /// same token) that went with the ballot of a written consultation:
    /// the token's signature covers it too ([`crate::Ballot::qualified_bytes`]).
    pub opinion_sha256: Option<[u8; 32]>,
}

impl QualifiedSeal {
    /// The bytes the token signed, rebuilt from the record's fields.
    pub fn signed_bytes(
        &self,
        op_id: &OpId,
        motion_id: &MotionId,
        member_id: &MemberId,
        choice: u32,
    ) -> Vec<u8> {
        crate::Ballot {
            op_id: op_id.clone(),
            motion_id: motion_id.clone(),
            member_id: member_id.clone(),
            device_id: self.device_id.clone(),
            choice,
            cast_at: self.device_cast_at,
            seen_seq: self.seen_seq,
        }
        .qualified_bytes(self.opinion_sha256.as_ref())
    }
}

/// One audited event: a motion transition or an accepted ballot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuditRecord {
    /// The motion as created: its id and [`Motion::digest`] (rules, options,
    /// eligible members), so none of them can change unnoticed.
    MotionCreated {
        motion_id: MotionId,
        digest: [u8; 32],
    },
    MotionOpened {
        motion_id: MotionId,
        at: i64,
        seq: i64,
    },
    MotionClosed {
        motion_id: MotionId,
        at: i64,
    },
    /// An accepted ballot of a named motion, with its effective cast time. A
    /// later record of the same member and motion with a greater
    /// `(cast_at, op_id)` supersedes it.
    NamedBallot {
        motion_id: MotionId,
        op_id: OpId,
        member_id: MemberId,
        choice: u32,
        cast_at: i64,
        /// The token signature it carried, if any.
        qualified: Option<QualifiedSeal>,
    },
    /// An accepted ballot of a secret motion. Appended only when the result is
    /// final, all of a motion's together in token order (see
    /// [`seal_secret_ballots`]), so neither its content nor its place in the
    /// chain says when it was cast.
    SecretBallot {
        motion_id: MotionId,
        token: BallotToken,
        choice: u32,
        closed_at: i64,
    },
}

impl AuditRecord {
    /// Domain string that starts every canonical record; bump on any change.
    pub const DOMAIN: &'static str = "ecabinet.audit.v1";

    /// The record's canonical bytes: the domain, then a kind tag, then the
    /// fields in declaration order, each as an 8-byte big-endian length
    /// followed by the bytes (strings UTF-8, integers big-endian).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut c = Canonical::new(Self::DOMAIN);
        match self {
            AuditRecord::MotionCreated { motion_id, digest } => c
                .str("motion_created")
                .str(motion_id.as_str())
                .bytes(digest),
            AuditRecord::MotionOpened { motion_id, at, seq } => c
                .str("motion_opened")
                .str(motion_id.as_str())
                .i64(*at)
                .i64(*seq),
            AuditRecord::MotionClosed { motion_id, at } => {
                c.str("motion_closed").str(motion_id.as_str()).i64(*at)
            }
            AuditRecord::NamedBallot {
                motion_id,
                op_id,
                member_id,
                choice,
                cast_at,
                qualified,
            } => {
                let c = c
                    .str("named_ballot")
                    .str(motion_id.as_str())
                    .str(op_id.as_str())
                    .str(member_id.as_str())
                    .u32(*choice)
                    .i64(*cast_at);
                // Appended only when present: records without one keep
                // the bytes (and receipts) they always had.
                let c = match qualified {
                    Some(seal) => c
                        .str("qualified")
                        .bytes(&seal.certificate_sha256)
                        .bytes(&seal.signature)
                        .str(seal.device_id.as_str())
                        .i64(seal.device_cast_at)
                        .i64(seal.seen_seq),
                    None => c,
                };
                // Likewise the opinion form's hash, only when there is one.
                match qualified.as_ref().and_then(|q| q.opinion_sha256.as_ref()) {
                    Some(hash) => c.str("opinion_form").bytes(hash),
                    None => c,
                }
            }
            AuditRecord::SecretBallot {
                motion_id,
                token,
                choice,
                closed_at,
            } => c
                .str("secret_ballot")
                .str(motion_id.as_str())
                .bytes(&token.0)
                .u32(*choice)
                .i64(*closed_at),
        };
        c.finish()
    }

    /// The record of a motion's creation.
    pub fn motion_created(motion: &Motion) -> AuditRecord {
        AuditRecord::MotionCreated {
            motion_id: motion.id().clone(),
            digest: motion.digest(),
        }
    }

    /// The receipt a member keeps for this record: SHA-256 of its canonical bytes.
    pub fn receipt(&self) -> Receipt {
        Receipt(Sha256::digest(self.canonical_bytes()).into())
    }
}

/// A hash chain head (32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainHead(pub [u8; 32]);

impl ChainHead {
    /// The head before the first record.
    pub const GENESIS: ChainHead = ChainHead([0; 32]);

    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    pub fn from_hex(s: &str) -> Option<ChainHead> {
        from_hex(s).map(ChainHead)
    }
}

/// Hash of one audit record, kept by the member's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Receipt(pub [u8; 32]);

impl Receipt {
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    pub fn from_hex(s: &str) -> Option<Receipt> {
        from_hex(s).map(Receipt)
    }
}

/// The head after appending `record` to a chain whose head is `prev`.
pub fn chain_head(prev: &ChainHead, record: &AuditRecord) -> ChainHead {
    let mut hasher = Sha256::new();
    hasher.update(prev.0);
    hasher.update(record.canonical_bytes());
    ChainHead(hasher.finalize().into())
}

/// A stored audit row: the record and the head after it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChainEntry {
    pub record: AuditRecord,
    pub head: ChainHead,
}

/// Appends `records` after `prev`, giving each its head.
pub fn append_all(
    prev: &ChainHead,
    records: impl IntoIterator<Item = AuditRecord>,
) -> Vec<ChainEntry> {
    let mut head = *prev;
    records
        .into_iter()
        .map(|record| {
            head = chain_head(&head, &record);
            ChainEntry { record, head }
        })
        .collect()
}

/// Where a chain stops being what it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// Entry `index`'s stored head is not the hash of the previous head and
    /// its record: that record, or one before it, was changed, dropped,
    /// inserted or moved, or the stored head itself was changed.
    #[error("audit chain broken at entry {index}")]
    Broken { index: usize },
    /// Every entry is consistent but the last head is not the expected one:
    /// entries were removed from the end, or the expected head is wrong.
    /// `index` is the number of entries.
    #[error("audit chain ends after {index} entries at a head other than the expected one")]
    WrongHead { index: usize },
}

impl AuditError {
    /// The first entry found wrong (the entry count for [`AuditError::WrongHead`]).
    pub fn index(&self) -> usize {
        match *self {
            AuditError::Broken { index } | AuditError::WrongHead { index } => index,
        }
    }
}

/// Re-checks stored entries from `start` and that they end at `expected_head`.
pub fn verify_chain(
    start: &ChainHead,
    entries: &[ChainEntry],
    expected_head: &ChainHead,
) -> Result<(), AuditError> {
    let mut head = *start;
    for (index, entry) in entries.iter().enumerate() {
        head = chain_head(&head, &entry.record);
        if head != entry.head {
            return Err(AuditError::Broken { index });
        }
    }
    if head != *expected_head {
        return Err(AuditError::WrongHead {
            index: entries.len(),
        });
    }
    Ok(())
}

/// Why a receipt is not shown to be in the published chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InclusionError {
    #[error("the records do not produce the published head")]
    HeadMismatch,
    #[error("no record in the chain has this receipt")]
    NotIncluded,
}

/// Checks that the record with `receipt` is in the chain that runs from
/// `start` over `records` to `published_head`, and returns its index.
/// `start` may be any earlier head (the head just before the member's
/// record suffices): by SHA-256's collision resistance, records that hash
/// from it to the published head are the published chain's records.
pub fn verify_inclusion(
    receipt: &Receipt,
    start: &ChainHead,
    records: &[AuditRecord],
    published_head: &ChainHead,
) -> Result<usize, InclusionError> {
    let mut head = *start;
    let mut found = None;
    for (index, record) in records.iter().enumerate() {
        if found.is_none() && record.receipt() == *receipt {
            found = Some(index);
        }
        head = chain_head(&head, record);
    }
    if head != *published_head {
        return Err(InclusionError::HeadMismatch);
    }
    found.ok_or(InclusionError::NotIncluded)
}

/// The audit records of a secret motion's ballots, to append when its result
/// is final: in token order (random, so unrelated to casting order), each
/// stamped only with the motion's close.
pub fn seal_secret_ballots(closed_at: i64, ballots: &[SecretBallot]) -> Vec<AuditRecord> {
    let mut sorted: Vec<&SecretBallot> = ballots.iter().collect();
    sorted.sort_by(|a, b| (&a.motion_id, a.token).cmp(&(&b.motion_id, b.token)));
    sorted
        .into_iter()
        .map(|b| AuditRecord::SecretBallot {
            motion_id: b.motion_id.clone(),
            token: b.token,
            choice: b.choice,
            closed_at,
        })
        .collect()
}

/// Recounts `motion`'s ballots per option from audit records alone (records
/// of other motions are skipped), for `audit verify` to compare with the
/// published result. Named: per member, the ballot record with the greatest
/// `(cast_at, op_id)` counts (the others were superseded). Secret: every
/// sealed ballot record counts once.
pub fn recount(motion: &Motion, records: &[AuditRecord]) -> Result<Vec<u32>, TallyError> {
    let mut latest: BTreeMap<&MemberId, (i64, &OpId, u32)> = BTreeMap::new();
    let mut counts = vec![0u32; motion.options().len()];
    let mut add = |choice: u32| -> Result<(), TallyError> {
        let slot = usize::try_from(choice)
            .ok()
            .and_then(|i| counts.get_mut(i))
            .ok_or(TallyError::InvalidChoice(choice))?;
        *slot += 1;
        Ok(())
    };
    for record in records {
        match record {
            AuditRecord::NamedBallot {
                motion_id,
                op_id,
                member_id,
                choice,
                cast_at,
                ..
            } if motion_id == motion.id() => {
                if !motion.is_eligible(member_id) {
                    return Err(TallyError::NotEligible(member_id.clone()));
                }
                let candidate = (*cast_at, op_id, *choice);
                let entry = latest.entry(member_id).or_insert(candidate);
                if (candidate.0, candidate.1) > (entry.0, entry.1) {
                    *entry = candidate;
                }
            }
            AuditRecord::SecretBallot {
                motion_id, choice, ..
            } if motion_id == motion.id() => add(*choice)?,
            _ => {}
        }
    }
    for (_, _, choice) in latest.into_values() {
        add(choice)?;
    }
    Ok(counts)
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

fn from_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = s.as_bytes();
    if bytes.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_bad_input() {
        let head = chain_head(
            &ChainHead::GENESIS,
            &AuditRecord::MotionClosed {
                motion_id: "m".into(),
                at: 1,
            },
        );
        assert_eq!(ChainHead::from_hex(&head.to_hex()), Some(head));
        assert_eq!(ChainHead::from_hex("zz"), None);
        assert_eq!(ChainHead::from_hex(&"g".repeat(64)), None);
    }
}
