//! The signature algorithms a document signature or a certificate may use,
//! mapped to `ring`'s verifiers. SHA-1 and RSA keys under 2,048 bits are
//! refused as weak, not verified: a forger can meet them.

use ring::{digest, signature};

use crate::der::{self, Tlv};
use crate::Problem;

const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const RSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
const RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const EC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

fn weak(what: &str) -> Problem {
    Problem::Weak(what.to_owned())
}

fn unsupported(what: &str) -> Problem {
    Problem::Unsupported(what.to_owned())
}

/// The OID and parameters of an `AlgorithmIdentifier`.
fn parts<'a>(algorithm: &Tlv<'a>) -> Result<(&'a [u8], Option<Tlv<'a>>), Problem> {
    let items = der::children(algorithm.value)?;
    match items.first() {
        Some(oid) if oid.tag == der::OID => Ok((oid.value, items.get(1).copied())),
        _ => Err(Problem::Malformed(
            "an algorithm without its identifier".into(),
        )),
    }
}

fn hash_of(oid: &[u8]) -> Result<Hash, Problem> {
    match oid {
        SHA256 => Ok(Hash::Sha256),
        SHA384 => Ok(Hash::Sha384),
        SHA512 => Ok(Hash::Sha512),
        SHA1 => Err(weak("SHA-1")),
        _ => Err(unsupported("a digest algorithm other than SHA-2")),
    }
}

/// The signature algorithm a token's key signs raw data with here
/// (`AlgorithmIdentifier`, DER): SHA-256 with RSA PKCS#1 v1.5 for an RSA
/// key, ECDSA with SHA-256 for an EC one.
pub(crate) fn token_algorithm(key_algorithm: &Tlv<'_>) -> Result<Vec<u8>, Problem> {
    let (oid, _) = parts(key_algorithm)?;
    let (sig_oid, null_params): (&[u8], bool) = match oid {
        RSA => (RSA_SHA256, true),
        EC_KEY => (ECDSA_SHA256, false),
        _ => return Err(unsupported("a key that is neither RSA nor EC")),
    };
    let mut body = vec![der::OID, sig_oid.len() as u8];
    body.extend_from_slice(sig_oid);
    if null_params {
        body.extend_from_slice(&[0x05, 0x00]);
    }
    let mut out = vec![der::SEQUENCE, body.len() as u8];
    out.extend(body);
    Ok(out)
}

/// The digest a CMS signer computed over the document (`digestAlgorithm`).
pub(crate) fn digest_of(algorithm: &Tlv<'_>) -> Result<&'static digest::Algorithm, Problem> {
    let (oid, _) = parts(algorithm)?;
    Ok(match hash_of(oid)? {
        Hash::Sha256 => &digest::SHA256,
        Hash::Sha384 => &digest::SHA384,
        Hash::Sha512 => &digest::SHA512,
    })
}

/// Verifies `signature` over `message` made with `signature_algorithm` by
/// the key (`key_algorithm`, `key`) of a certificate.
pub(crate) fn verify(
    signature_algorithm: &Tlv<'_>,
    key_algorithm: &Tlv<'_>,
    key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), Problem> {
    verify_with_digest(
        signature_algorithm,
        None,
        key_algorithm,
        key,
        message,
        signature,
    )
}

/// As [`verify`]; for a CMS signer whose signature algorithm is plain
/// `rsaEncryption`, `digest` names the hash.
pub(crate) fn verify_with_digest(
    signature_algorithm: &Tlv<'_>,
    digest: Option<&Tlv<'_>>,
    key_algorithm: &Tlv<'_>,
    key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), Problem> {
    let (sig_oid, sig_params) = parts(signature_algorithm)?;
    let (key_oid, key_params) = parts(key_algorithm)?;
    let digest_hash = || -> Result<Hash, Problem> {
        let d = digest.ok_or_else(|| unsupported("an RSA signature without its digest"))?;
        hash_of(parts(d)?.0)
    };
    let verifier: &'static dyn signature::VerificationAlgorithm = match sig_oid {
        RSA | RSA_SHA256 | RSA_SHA384 | RSA_SHA512 | RSA_PSS => {
            if key_oid != RSA {
                return Err(Problem::Malformed(
                    "an RSA signature from a key that is not RSA".into(),
                ));
            }
            check_rsa_size(key)?;
            let hash = match sig_oid {
                RSA => digest_hash()?,
                RSA_SHA256 => Hash::Sha256,
                RSA_SHA384 => Hash::Sha384,
                RSA_SHA512 => Hash::Sha512,
                _ => pss_hash(sig_params)?,
            };
            match (sig_oid == RSA_PSS, hash) {
                (false, Hash::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
                (false, Hash::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
                (false, Hash::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
                (true, Hash::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
                (true, Hash::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
                (true, Hash::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
            }
        }
        ECDSA_SHA256 | ECDSA_SHA384 => {
            if key_oid != EC_KEY {
                return Err(Problem::Malformed(
                    "an ECDSA signature from a key that is not EC".into(),
                ));
            }
            let curve = key_params.filter(|p| p.tag == der::OID).map(|p| p.value);
            match (curve, sig_oid) {
                (Some(P256), ECDSA_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
                (Some(P256), _) => &signature::ECDSA_P256_SHA384_ASN1,
                (Some(P384), ECDSA_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
                (Some(P384), _) => &signature::ECDSA_P384_SHA384_ASN1,
                _ => return Err(unsupported("an elliptic curve other than P-256 and P-384")),
            }
        }
        RSA_SHA1 | ECDSA_SHA1 => return Err(weak("SHA-1")),
        _ => {
            return Err(unsupported(
                "a signature algorithm other than RSA and ECDSA",
            ))
        }
    };
    signature::UnparsedPublicKey::new(verifier, key)
        .verify(message, signature)
        .map_err(|_| Problem::BadSignature)
}

/// The hash of RSASSA-PSS parameters (`[0] hashAlgorithm`, SHA-1 when absent).
fn pss_hash(params: Option<Tlv<'_>>) -> Result<Hash, Problem> {
    let params = params
        .filter(|p| p.tag == der::SEQUENCE)
        .ok_or_else(|| weak("SHA-1"))?;
    for field in der::children(params.value)? {
        if field.tag == der::ctx(0) {
            let (algorithm, _) = der::expect(field.value, der::SEQUENCE, "PSS hash")?;
            return hash_of(parts(&algorithm)?.0);
        }
    }
    Err(weak("SHA-1"))
}

/// Refuses RSA keys under 2,048 bits with a reason rather than a failed check.
fn check_rsa_size(key: &[u8]) -> Result<(), Problem> {
    let (seq, _) = der::expect(key, der::SEQUENCE, "RSA key")?;
    let fields = der::children(seq.value)?;
    let modulus = fields
        .first()
        .filter(|m| m.tag == der::INTEGER)
        .ok_or_else(|| Problem::Malformed("RSA key".into()))?;
    let significant = modulus.value.iter().skip_while(|&&b| b == 0).count();
    if significant * 8 < 2048 {
        return Err(weak("an RSA key under 2,048 bits"));
    }
    Ok(())
}
