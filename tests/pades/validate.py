#!/usr/bin/env python3
"""Validate every signature in a PDF with pyHanko, as an independent
cross-check for E-Cabinet's own (Rust) PAdES verifier.

Usage: validate.py FILE.pdf ROOT.pem

Prints one JSON line per signature, in file order:
  {"field": ..., "intact": bool, "valid": bool, "trusted": bool,
   "coverage": "ENTIRE_FILE" | "ENTIRE_REVISION" | ..., "signer": CN,
   "trust_problem": ... | null, "modification": ... | null}

  intact        the digest matches the covered bytes AND the CMS signature
                verifies (pyHanko's `intact` and `valid` together; the same
                meaning as `intact` in make_signed.py's expected.json);
  valid         pyHanko's overall verdict (`bottom_line`): intact, trusted
                now, and no disallowed changes after signing;
  trusted       pyHanko's `trusted`: intact, and the signer's certificate
                chains to ROOT.pem and is valid now (so an expired signer is
                not trusted here, unlike in expected.json);
  coverage      pyHanko's SignatureCoverageLevel name;
  trust_problem why pyHanko did not trust an intact signature (its AdES
                indication, e.g. NO_CERTIFICATE_CHAIN_FOUND for a foreign
                root, OUT_OF_BOUNDS_NO_POE for a chain to ROOT.pem whose
                signer has expired), or null;
  modification  pyHanko's ModificationLevel for what was changed after the
                signature (NONE, FORM_FILLING for a later signature, OTHER
                for e.g. an added annotation), or null if unknown.

No network is used: fetching is off and revocation checking is soft-fail
(the test certificates name no CRL or OCSP responder). pyHanko's own log
output (tracebacks for expected failures) is silenced; the JSON carries the
verdicts. A signature that cannot be validated at all is reported with
everything false and an extra "error" entry, instead of crashing.
"""

import json
import logging
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext


def signed_end(sig_value) -> float:
    """Where a signature's covered bytes end (ByteRange b + c), to list the
    signatures in file order; unreadable ranges sort last."""
    try:
        byte_range = sig_value.get_object()["/ByteRange"]
        return int(byte_range[2]) + int(byte_range[3])
    except Exception:
        return float("inf")


def blank_result(field: str) -> dict:
    """The line printed for a signature, before anything is known."""
    return {
        "field": field,
        "intact": False,
        "valid": False,
        "trusted": False,
        "coverage": None,
        "signer": None,
        "trust_problem": None,
        "modification": None,
    }


def check(reader, field: str, sig_field, root) -> dict:
    """Validate one filled signature field and summarise the result."""
    result = blank_result(field)
    try:
        # Parses the /ByteRange and the CMS blob in /Contents; pyHanko's own
        # reader.embedded_signatures would raise for the whole file instead.
        sig = EmbeddedPdfSignature(reader, sig_field, field)
        result["signer"] = sig.signer_cert.subject.native.get("common_name")
        # A fresh context per signature, so one signature's certificates
        # cannot help another's chain.
        context = ValidationContext(
            trust_roots=[root],
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        status = validate_pdf_signature(sig, context)
    except Exception as exc:  # e.g. an unparseable CMS or ByteRange
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    result.update(
        intact=bool(status.intact and status.valid),
        valid=bool(status.bottom_line),
        trusted=bool(status.trusted),
        coverage=status.coverage.name if status.coverage else None,
        trust_problem=(status.trust_problem_indic.name
                       if status.trust_problem_indic else None),
        modification=(status.modification_level.name
                      if status.modification_level else None),
    )
    return result


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: validate.py FILE.pdf ROOT.pem")
    pdf_path, root_path = sys.argv[1], sys.argv[2]
    # pyHanko logs a traceback for every failed check (an untrusted chain, an
    # expired signer, a disallowed change); the JSON already says all that.
    logging.disable(logging.CRITICAL)
    root = load_cert_from_pemder(root_path)
    with open(pdf_path, "rb") as f:
        reader = PdfFileReader(f, strict=False)
        filled = sorted(
            enumerate_sig_fields(reader, filled_status=True),
            key=lambda entry: signed_end(entry[1]),
        )
        for field, _sig_value, sig_field in filled:
            line = check(reader, field, sig_field, root)
            print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
