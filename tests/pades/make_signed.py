#!/usr/bin/env python3
"""Generate signed-PDF fixtures for testing E-Cabinet's PAdES verifier.

Usage: make_signed.py OUT_DIR

Writes into OUT_DIR:
  * a throw-away test PKI (keys are random on every run, the structure is
    fixed): root.pem (the trusted root), intermediate.pem and other-root.pem
    (an unrelated, untrusted root), and signer A's certificate and key
    (signer-a.pem / .der, signer-a.key.pem / .der, PKCS#8) for the tests that
    sign themselves, and intermediate.der;
  * plain.pdf, a two-page A4 document with a line of text on each page;
  * signed variants of plain.pdf, each showing one case the verifier must
    tell apart: valid.pdf, modified.pdf, untrusted.pdf, expired.pdf, two.pdf,
    appended.pdf and cms-tampered.pdf;
  * revoked.pdf, signed by a certificate its CA revoked, and the CAs'
    revocation lists (CRLs, PEM): intermediate.crl.pem (current, revokes
    the signer of revoked.pdf), root.crl.pem (current, revokes nothing),
    stale.crl.pem (the issuing CA's, past its next update, revokes nothing),
    held.crl.pem (the issuing CA's, current, puts signer A on hold)
    and forged.crl.pem (claims the issuing CA's name, signed by another key,
    "revokes" signer A);
  * expected.json, the ground truth for every signature in every signed PDF,
    stated from how the files were built here (not from any validator).

validate.py, next to this script, cross-checks these files with pyHanko's
own validator.
"""

import datetime
import io
import json
import sys
from pathlib import Path

from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject

# One clock for the whole run, so every validity period is consistent.
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)

SIGNER_ORG = "Ủy ban nhân dân tỉnh Thử nghiệm"

# The text drawn on each page of plain.pdf; modified.pdf alters one letter of
# the first page's line.
PAGE_TEXT = "E-Cabinet PAdES test document - page {}"

# A4 in PDF points.
A4_WIDTH, A4_HEIGHT = 595.28, 841.89


# ---------------------------------------------------------------------------
# Test PKI
# ---------------------------------------------------------------------------


class Identity:
    """A certificate together with its private key (cryptography objects)."""

    def __init__(self, cert: x509.Certificate, key: rsa.RSAPrivateKey):
        self.cert = cert
        self.key = key

    @property
    def common_name(self) -> str:
        return _name_attr(self.cert, NameOID.COMMON_NAME)

    @property
    def organisation(self) -> str | None:
        return _name_attr(self.cert, NameOID.ORGANIZATION_NAME)

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def asn1_cert(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(
            self.cert.public_bytes(serialization.Encoding.DER)
        )

    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        return asn1_keys.PrivateKeyInfo.load(
            self.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def _name_attr(cert: x509.Certificate, oid) -> str | None:
    attrs = cert.subject.get_attributes_for_oid(oid)
    return attrs[0].value if attrs else None


def _name(common_name: str, organisation: str | None) -> x509.Name:
    # cryptography encodes CN and O as UTF8String, so diacritics survive as is.
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def make_cert(
    common_name: str,
    organisation: str | None,
    issuer: Identity | None,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    ca_path_length: int | None = None,
    is_ca: bool = False,
) -> Identity:
    """Issue an RSA-2048/SHA-256 certificate.

    With issuer None the certificate is self-signed. A CA certificate gets
    keyCertSign+cRLSign; an end-entity one gets digitalSignature +
    nonRepudiation, both critical.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = _name(common_name, organisation)
    issuer_name = issuer.cert.subject if issuer else subject
    issuer_key = issuer.key if issuer else key

    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=is_ca, path_length=ca_path_length),
            critical=True,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not is_ca,
                content_commitment=not is_ca,  # a.k.a. nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()
            ),
            critical=False,
        )
    )
    cert = builder.sign(issuer_key, hashes.SHA256())
    return Identity(cert, key)


class Pki:
    """Every certificate the fixtures use."""

    def __init__(self):
        self.root = make_cert(
            "E-Cabinet Test Root CA", "Ban Cơ yếu Thử nghiệm", None,
            NOW - DAY, NOW + 3652 * DAY, is_ca=True,
        )
        self.intermediate = make_cert(
            "E-Cabinet Test Issuing CA", "Ban Cơ yếu Thử nghiệm", self.root,
            NOW - DAY, NOW + 3650 * DAY, is_ca=True, ca_path_length=0,
        )
        self.signer_a = make_cert(
            "Nguyễn Văn An", SIGNER_ORG, self.intermediate,
            NOW - DAY, NOW + 730 * DAY,
        )
        self.signer_b = make_cert(
            "Trần Thị Bình", SIGNER_ORG, self.intermediate,
            NOW - DAY, NOW + 730 * DAY,
        )
        # Expired ten days ago. Note that it predates its CAs (which start a
        # day ago), so there was no moment when its whole chain was valid.
        self.expired = make_cert(
            "Lê Văn Cũ", SIGNER_ORG, self.intermediate,
            NOW - 400 * DAY, NOW - 10 * DAY,
        )
        self.other_root = make_cert(
            "Untrusted Root", None, None,
            NOW - DAY, NOW + 3652 * DAY, is_ca=True,
        )
        # Revoked by the issuing CA in intermediate.crl.pem.
        self.revoked = make_cert(
            "Hoàng Văn Thu", SIGNER_ORG, self.intermediate,
            NOW - DAY, NOW + 730 * DAY,
        )
        # Deliberately without an O, so the fixtures also cover that case.
        self.stranger = make_cert(
            "Phạm Văn Lạ", None, self.other_root,
            NOW - DAY, NOW + 730 * DAY,
        )


def make_crl(issuer: Identity, revoked: list[Identity],
             this_update: datetime.datetime, next_update: datetime.datetime,
             signing_key=None, reason=None) -> bytes:
    """A CRL in issuer's name (signed with signing_key, default issuer's),
    each entry with the CRLReason `reason` when one is given."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    for who in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(who.cert.serial_number)
            .revocation_date(this_update)
        )
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(signing_key or issuer.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM)


# ---------------------------------------------------------------------------
# PDFs
# ---------------------------------------------------------------------------


def make_plain_pdf() -> bytes:
    """A two-page A4 document, each page showing one line of Helvetica text."""
    writer = PdfWriter()
    for number in (1, 2):
        page = writer.add_blank_page(width=A4_WIDTH, height=A4_HEIGHT)
        helvetica = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        })
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): helvetica})
        })
        # Left uncompressed, so the text is findable in the file's bytes.
        content = ContentStream(None, writer)
        content.set_data(
            f"BT /F1 18 Tf 72 770 Td ({PAGE_TEXT.format(number)}) Tj ET".encode()
        )
        page.replace_contents(content)
    writer.add_metadata({"/Title": "E-Cabinet PAdES test document"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sign(pdf: bytes, signer: Identity, field_name: str, chain: list[Identity]) -> bytes:
    """Append a PAdES (ETSI.CAdES.detached) SHA-256 signature in a new field.

    `chain` lists the CA certificates to embed in the CMS next to the
    signer's own (the intermediate; never a root).
    """
    registry = SimpleCertificateStore.from_certs([c.asn1_cert() for c in chain])
    simple_signer = signers.SimpleSigner(
        signing_cert=signer.asn1_cert(),
        signing_key=signer.asn1_key(),
        cert_registry=registry,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, meta, signer=simple_signer)
    return out.getvalue()


def append_annotation(pdf: bytes) -> bytes:
    """Append an unsigned incremental update that draws a red box on page 1.

    The box is a Square annotation with its own appearance stream, so every
    viewer shows it; the note says what an attacker might have added.
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    rect = [72, 640, 372, 700]
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    appearance = generic.StreamObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
            generic.pdf_name("/BBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, width, height)]
            ),
        },
        stream_data=f"1 0 0 RG 3 w 2 2 {width - 4} {height - 4} re S".encode(),
    )
    annot = generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Square"),
        generic.pdf_name("/Rect"): generic.ArrayObject(
            [generic.NumberObject(v) for v in rect]
        ),
        generic.pdf_name("/F"): generic.NumberObject(4),  # print
        generic.pdf_name("/C"): generic.ArrayObject(
            [generic.FloatObject(1), generic.FloatObject(0), generic.FloatObject(0)]
        ),
        generic.pdf_name("/Contents"): generic.TextStringObject(
            "Đã sửa sau khi ký"
        ),
        generic.pdf_name("/AP"): generic.DictionaryObject(
            {generic.pdf_name("/N"): writer.add_object(appearance)}
        ),
    })
    annot_ref = writer.add_object(annot)

    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    if "/Annots" in page:
        page["/Annots"].append(annot_ref)
        writer.update_container(page["/Annots"])
    else:
        page["/Annots"] = generic.ArrayObject([annot_ref])
    writer.mark_update(page_ref)

    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------------------
# Byte-level helpers for the tampered copies
# ---------------------------------------------------------------------------


def last_byte_range(pdf: bytes) -> list[int]:
    """The /ByteRange [a b c d] of the last signature in the file."""
    reader = PdfFileReader(io.BytesIO(pdf))
    sig = reader.embedded_signatures[-1]
    return [int(v) for v in sig.sig_object["/ByteRange"]]


def flip_text_letter(pdf: bytes) -> bytes:
    """Change one letter of page 1's text, inside the signed bytes.

    The content stream is uncompressed and the replacement has the same
    length, so the file still parses; only the signed digest breaks.
    """
    start, first_len, _, _ = last_byte_range(pdf)
    marker = f"({PAGE_TEXT.format(1)})".encode()
    pos = pdf.index(marker) + marker.index(b"test")  # the 't' of "test"
    # The covered bytes are [start, start+first_len) and [gap_start, EOF);
    # the hole between them is the /Contents hex string.
    assert start == 0 and pos < first_len, "text not in the signed range"
    assert pdf.count(marker) == 1
    data = bytearray(pdf)
    data[pos:pos + 1] = b"b"  # "test" -> "best"
    return bytes(data)


def flip_signature_digit(pdf: bytes) -> bytes:
    """Change one hex digit of the RSA signature value inside /Contents.

    The covered bytes (and so the message digest) are untouched and the CMS
    still parses, but the signature over the signed attributes no longer
    verifies.
    """
    _, first_len, gap_start, _ = last_byte_range(pdf)
    # The gap is "<hex...>"; the hex is zero-padded after the DER blob.
    hex_start, hex_end = first_len + 1, gap_start - 1
    contents_hex = pdf[hex_start:hex_end].decode("ascii").lower()
    content_info = asn1_cms.ContentInfo.load(
        bytes.fromhex(contents_hex), strict=False
    )
    sig_value = content_info["content"]["signer_infos"][0]["signature"].native
    sig_hex = sig_value.hex()
    offset = contents_hex.index(sig_hex)
    assert contents_hex.count(sig_hex) == 1
    # A digit in the middle of the signature value, well inside the blob.
    target = hex_start + offset + len(sig_hex) // 2
    old = chr(pdf[target])
    new = "1" if old.lower() != "1" else "2"
    data = bytearray(pdf)
    data[target] = ord(new)
    return bytes(data)


# ---------------------------------------------------------------------------
# Sanity checks on what we wrote (structure only, not validation)
# ---------------------------------------------------------------------------


def check_structure(name: str, pdf: bytes, expected_sigs: list[dict]) -> None:
    """Assert that the file has the signatures, certificates and coverage we
    claim in expected.json, reading only the file's own structure."""
    reader = PdfFileReader(io.BytesIO(pdf))
    sigs = reader.embedded_signatures
    assert len(sigs) == len(expected_sigs), name
    for sig, exp in zip(sigs, expected_sigs):
        byte_range = [int(v) for v in sig.sig_object["/ByteRange"]]
        covers_whole = byte_range[2] + byte_range[3] == len(pdf)
        assert covers_whole == exp["covers_whole_file"], (name, byte_range)
        assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached", name
        subject = sig.signer_cert.subject.native
        assert subject["common_name"] == exp["signer"], name
        assert subject.get("organization_name") == exp["organisation"], name


def check_embedded_chain(pdf: bytes, pki: Pki) -> None:
    """Assert that the CMS carries the signer's and the intermediate's
    certificates (and not the root)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    sig = reader.embedded_signatures[0]
    others = [c.subject.native["common_name"] for c in sig.other_embedded_certs]
    assert sig.signer_cert.subject.native["common_name"] == pki.signer_a.common_name
    assert others == [pki.intermediate.common_name], others


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def expectation(signer: Identity, *, intact: bool, covers_whole_file: bool,
                trusted: bool) -> dict:
    """One signature's ground truth, as expected.json states it."""
    return {
        "signer": signer.common_name,
        "organisation": signer.organisation,
        "intact": intact,
        "covers_whole_file": covers_whole_file,
        "trusted": trusted,
        "expired": signer.cert.not_valid_after_utc < NOW,
    }


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: make_signed.py OUT_DIR")
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)

    pki = Pki()
    (out_dir / "root.pem").write_bytes(pki.root.pem())
    (out_dir / "intermediate.pem").write_bytes(pki.intermediate.pem())
    (out_dir / "other-root.pem").write_bytes(pki.other_root.pem())
    # Signer A's certificate and key, for the tests that sign with a token
    # (SoftHSM2) or a software key: the key as PKCS#8, PEM and DER.
    (out_dir / "signer-a.pem").write_bytes(pki.signer_a.pem())
    (out_dir / "signer-a.der").write_bytes(
        pki.signer_a.cert.public_bytes(serialization.Encoding.DER))
    (out_dir / "intermediate.der").write_bytes(
        pki.intermediate.cert.public_bytes(serialization.Encoding.DER))
    for suffix, encoding in (("pem", serialization.Encoding.PEM),
                             ("der", serialization.Encoding.DER)):
        (out_dir / f"signer-a.key.{suffix}").write_bytes(pki.signer_a.key.private_bytes(
            encoding, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    (out_dir / "intermediate.crl.pem").write_bytes(
        make_crl(pki.intermediate, [pki.revoked], NOW - DAY / 12, NOW + 7 * DAY))
    (out_dir / "root.crl.pem").write_bytes(
        make_crl(pki.root, [], NOW - DAY / 12, NOW + 7 * DAY))
    (out_dir / "stale.crl.pem").write_bytes(
        make_crl(pki.intermediate, [], NOW - 10 * DAY, NOW - 3 * DAY))
    (out_dir / "held.crl.pem").write_bytes(
        make_crl(pki.intermediate, [pki.signer_a], NOW - DAY / 12, NOW + 7 * DAY,
                 reason=x509.ReasonFlags.certificate_hold))
    (out_dir / "forged.crl.pem").write_bytes(
        make_crl(pki.intermediate, [pki.signer_a], NOW - DAY / 12, NOW + 7 * DAY,
                 signing_key=pki.other_root.key))

    plain = make_plain_pdf()
    ca = [pki.intermediate]
    valid = sign(plain, pki.signer_a, "Signature1", ca)
    files = {
        "plain.pdf": plain,
        "valid.pdf": valid,
        "modified.pdf": flip_text_letter(valid),
        "untrusted.pdf": sign(plain, pki.stranger, "Signature1", []),
        "expired.pdf": sign(plain, pki.expired, "Signature1", ca),
        "two.pdf": sign(valid, pki.signer_b, "Signature2", ca),
        "appended.pdf": append_annotation(valid),
        "cms-tampered.pdf": flip_signature_digit(valid),
        "revoked.pdf": sign(plain, pki.revoked, "Signature1", ca),
    }

    # Ground truth, from how each file was made above.
    expected = {
        "valid.pdf": [
            expectation(pki.signer_a, intact=True, covers_whole_file=True,
                        trusted=True),
        ],
        "modified.pdf": [
            expectation(pki.signer_a, intact=False, covers_whole_file=True,
                        trusted=True),
        ],
        "untrusted.pdf": [
            expectation(pki.stranger, intact=True, covers_whole_file=True,
                        trusted=False),
        ],
        # The chain to root.pem is sound; only the signer's validity ended.
        "expired.pdf": [
            expectation(pki.expired, intact=True, covers_whole_file=True,
                        trusted=True),
        ],
        "two.pdf": [
            expectation(pki.signer_a, intact=True, covers_whole_file=False,
                        trusted=True),
            expectation(pki.signer_b, intact=True, covers_whole_file=True,
                        trusted=True),
        ],
        "appended.pdf": [
            expectation(pki.signer_a, intact=True, covers_whole_file=False,
                        trusted=True),
        ],
        "cms-tampered.pdf": [
            expectation(pki.signer_a, intact=False, covers_whole_file=True,
                        trusted=True),
        ],
    }

    for name, sigs in expected.items():
        check_structure(name, files[name], sigs)
    check_embedded_chain(valid, pki)
    assert files["two.pdf"].startswith(valid)
    assert files["appended.pdf"].startswith(valid)

    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    (out_dir / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(files)} PDFs, 3 certificates and expected.json "
          f"to {out_dir}")


if __name__ == "__main__":
    main()
