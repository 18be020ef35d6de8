//! Each operation's body read before the write transaction; a ballot's
//! signature checked against the caller's device key (on all cores for a
//! big offline batch).

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ecabinet_model as model;
use ecabinet_protocol::{AttendanceBody, BallotBody, OpKind, Operation, SpeakBody};
use ring::signature::{UnparsedPublicKey, ED25519};

use crate::auth::Caller;
use crate::db::Conn;
use crate::{params, AppError};

/// Longest accepted `op_id` (a UUIDv7 is 36 characters).
pub(super) const MAX_OP_ID_LEN: usize = 64;

/// An operation's body, checked as far as possible before the write transaction.
pub(super) enum Parsed {
    Malformed,
    Forbidden,
    Ballot {
        body: Box<BallotBody>,
        signature_valid: bool,
        /// The member's token signature, checked: `None` if the ballot
        /// carries none, the reason if it does not hold.
        qualified: Option<Result<Qualified, Refusal>>,
        device_revoked: bool,
        /// Secret motions file the choice under this token (derived from the
        /// signature, which the server does not keep, so only the member's
        /// client can find its own sealed record again).
        token: model::BallotToken,
    },
    Attendance(AttendanceBody),
    Speak(SpeakBody),
    Annotation(ecabinet_protocol::SealedAnnotation),
    Read(ecabinet_protocol::ReadBody),
    Comment(ecabinet_protocol::CommentBody),
}

/// A ballot's token signature that holds: the seal its audit record keeps,
/// and the certificate (kept once, for auditors).
#[derive(Debug, Clone)]
pub(super) struct Qualified {
    pub(super) seal: model::QualifiedSeal,
    pub(super) certificate: Vec<u8>,
    pub(super) signer: Option<String>,
    /// The opinion form signed with the same token (a written
    /// consultation's), checked: its hash is in the seal.
    pub(super) opinion_form: Option<Vec<u8>>,
}

/// Why a ballot's token signature does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// It does not hold: not matching the ballot, not from a trusted CA,
    /// expired or revoked (the reason, for the log).
    Invalid(String),
    /// It holds, but its certificate is not one an administrator
    /// registered to the member who cast the ballot.
    NotRegistered,
    /// It holds, but the deployment keeps revocation lists of its CA and
    /// none is current (the reason, for the log).
    RevocationUnknown(String),
    /// It holds, but the opinion form that came with it does not (the
    /// reason, for the log).
    OpinionForm(String),
}

/// What a ballot's token signature is checked against: the deployment's
/// trusted roots (with the CAs' revocation lists) at the server's time,
/// and the certificates registered to the caller.
pub(super) struct Anchors {
    pub(super) trust: ecabinet_pades::TrustStore,
    /// Unix seconds.
    pub(super) now: i64,
    /// SHA-256 (hex) of each signing certificate registered to the caller.
    pub(super) registered: std::collections::HashSet<String>,
}

/// [`Anchors`] with the roots and revocation lists parsed once per push.
pub(super) struct Checker<'a> {
    of: &'a Anchors,
    parsed: ecabinet_pades::Anchors<'a>,
}

/// Most certificates a ballot's token signature may bring along.
const MAX_QUALIFIED_CHAIN: usize = 8;

fn check_qualified(
    body: &BallotBody,
    q: &ecabinet_protocol::QualifiedSignatureBody,
    ballot: &model::Ballot,
    checker: Option<&Checker<'_>>,
) -> Result<Qualified, Refusal> {
    let checker = checker.ok_or_else(|| {
        Refusal::Invalid("the server has no trusted roots to check it against".into())
    })?;
    let qualified = check_signature(body, q, ballot, checker)?;
    let sha256 = ecabinet_protocol::hex::encode(&qualified.seal.certificate_sha256);
    if !checker.of.registered.contains(&sha256) {
        return Err(Refusal::NotRegistered);
    }
    Ok(qualified)
}

/// The token signature of `body` (over `ballot`'s bytes, and its opinion
/// form's hash if it carries one) checked against the roots; then the
/// form, which must be signed whole with the same certificate.
fn check_signature(
    body: &BallotBody,
    q: &ecabinet_protocol::QualifiedSignatureBody,
    ballot: &model::Ballot,
    checker: &Checker<'_>,
) -> Result<Qualified, Refusal> {
    let decode = |what: &str, b64: &str| {
        BASE64
            .decode(b64.trim())
            .map_err(|_| Refusal::Invalid(format!("the {what} is not base64")))
    };
    if q.chain.len() > MAX_QUALIFIED_CHAIN {
        return Err(Refusal::Invalid(format!(
            "more than {MAX_QUALIFIED_CHAIN} certificates in the chain"
        )));
    }
    let certificate = decode("certificate", &q.certificate)?;
    let chain = q
        .chain
        .iter()
        .map(|c| decode("chain", c))
        .collect::<Result<Vec<_>, _>>()?;
    let signature = decode("signature", &q.signature)?;
    let opinion_form = match &q.opinion_form {
        None => None,
        // Base64 is 4 characters for 3 bytes: refused unread when longer.
        Some(b64) if b64.len() > ecabinet_protocol::MAX_OPINION_FORM_BYTES.div_ceil(3) * 4 => {
            return Err(Refusal::OpinionForm(format!(
                "the opinion form is larger than {} bytes",
                ecabinet_protocol::MAX_OPINION_FORM_BYTES
            )))
        }
        Some(b64) => Some(
            BASE64
                .decode(b64.trim())
                .map_err(|_| Refusal::OpinionForm("the opinion form is not base64".into()))?,
        ),
    };
    let opinion_sha256: Option<[u8; 32]> = opinion_form.as_ref().and_then(|pdf| {
        ring::digest::digest(&ring::digest::SHA256, pdf)
            .as_ref()
            .try_into()
            .ok()
    });
    let data = ballot.qualified_bytes(opinion_sha256.as_ref());
    let signer = ecabinet_pades::verify_qualified_against(
        &certificate,
        &chain,
        &data,
        &signature,
        &checker.parsed,
        checker.of.now,
    )
    .map_err(|e| match e {
        ecabinet_pades::QualifiedRefusal::Invalid(why) => Refusal::Invalid(why),
        ecabinet_pades::QualifiedRefusal::RevocationUnknown(why) => Refusal::RevocationUnknown(why),
    })?;
    if let Some(pdf) = &opinion_form {
        ecabinet_pades::check_signed_whole_by(pdf, &signer.certificate_sha256, checker.of.now)
            .map_err(|why| Refusal::OpinionForm(format!("the opinion form: {why}")))?;
    }
    Ok(Qualified {
        seal: model::QualifiedSeal {
            certificate_sha256: signer.certificate_sha256,
            signature,
            device_id: model::DeviceId::new(body.device_id.as_str()),
            device_cast_at: body.cast_at,
            seen_seq: body.seen_seq,
            opinion_sha256,
        },
        certificate,
        signer: signer.signer,
        opinion_form,
    })
}

/// A device of the caller: its public key and whether it is revoked.
pub(super) struct DeviceKey {
    public_key: Vec<u8>,
    revoked: bool,
}

/// Below this many operations a push is verified on one thread.
pub(super) const PARALLEL_VERIFY_MIN: usize = 32;

/// [`parse`] of every operation, on all cores for a big offline batch.
pub(super) fn parse_all(
    ops: &[Operation],
    caller: &Caller,
    devices: &HashMap<String, DeviceKey>,
    anchors: Option<&Anchors>,
) -> Vec<Parsed> {
    let checker = anchors.map(|of| Checker {
        of,
        parsed: of.trust.parsed(),
    });
    let checker = checker.as_ref();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if ops.len() < PARALLEL_VERIFY_MIN || threads < 2 {
        return ops
            .iter()
            .map(|op| parse(op, caller, devices, checker))
            .collect();
    }
    let chunk = ops.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = ops
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|op| parse(op, caller, devices, checker))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                // A panicking verifier is a bug; answer its operations as malformed.
                h.join().unwrap_or_default()
            })
            .collect()
    })
}

pub(super) fn caller_devices(
    conn: &mut dyn Conn,
    user_id: &str,
) -> Result<HashMap<String, DeviceKey>, AppError> {
    let mut out = HashMap::new();
    for r in conn.query(
        "SELECT id, public_key, revoked_at FROM devices WHERE user_id = ?",
        params![user_id],
    )? {
        let public_key = BASE64
            .decode(r.text(1)?)
            .map_err(|_| AppError::internal("stored device key is not base64"))?;
        out.insert(
            r.text(0)?,
            DeviceKey {
                public_key,
                revoked: r.opt_int(2)?.is_some(),
            },
        );
    }
    Ok(out)
}

pub(super) fn parse(
    op: &Operation,
    caller: &Caller,
    devices: &HashMap<String, DeviceKey>,
    checker: Option<&Checker<'_>>,
) -> Parsed {
    let value = op.body.clone();
    match op.kind {
        OpKind::Speak => serde_json::from_value(value).map_or(Parsed::Malformed, Parsed::Speak),
        OpKind::Annotation => serde_json::from_value(value)
            .ok()
            .filter(crate::annotations::well_formed)
            .map_or(Parsed::Malformed, Parsed::Annotation),
        OpKind::Attendance => {
            serde_json::from_value(value).map_or(Parsed::Malformed, Parsed::Attendance)
        }
        OpKind::Read => serde_json::from_value(value).map_or(Parsed::Malformed, Parsed::Read),
        OpKind::Comment => serde_json::from_value(value)
            .ok()
            .filter(crate::comments::well_formed)
            .map_or(Parsed::Malformed, Parsed::Comment),
        OpKind::Ballot => {
            let Ok(body) = serde_json::from_value::<BallotBody>(value) else {
                return Parsed::Malformed;
            };
            // A member votes only for themself, with one of their own devices.
            let Some(device) = devices.get(&body.device_id) else {
                return Parsed::Forbidden;
            };
            if body.member_id != caller.user_id {
                return Parsed::Forbidden;
            }
            let signature = BASE64.decode(body.signature.trim()).unwrap_or_default();
            let ballot = model_ballot(&op.op_id, &body);
            let bytes = ballot.signing_bytes();
            let signature_valid = UnparsedPublicKey::new(&ED25519, &device.public_key)
                .verify(&bytes, &signature)
                .is_ok();
            // The token's signature is checked only for a ballot the device
            // key signed (else it is refused anyway, and the check costs).
            let qualified = body.qualified.as_ref().map(|q| {
                if signature_valid {
                    check_qualified(&body, q, &ballot, checker)
                } else {
                    Err(Refusal::Invalid(
                        "the device's signature does not hold".to_owned(),
                    ))
                }
            });
            Parsed::Ballot {
                signature_valid,
                qualified,
                device_revoked: device.revoked,
                token: model::BallotToken::from_signature(&signature),
                body: Box::new(body),
            }
        }
    }
}

pub(super) fn model_ballot(op_id: &str, b: &BallotBody) -> model::Ballot {
    model::Ballot {
        op_id: model::OpId::new(op_id),
        motion_id: model::MotionId::new(b.motion_id.as_str()),
        member_id: model::MemberId::new(b.member_id.as_str()),
        device_id: model::DeviceId::new(b.device_id.as_str()),
        choice: b.choice,
        cast_at: b.cast_at,
        seen_seq: b.seen_seq,
    }
}
