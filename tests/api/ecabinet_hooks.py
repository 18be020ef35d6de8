"""Schemathesis hooks for the API fuzz (loaded through SCHEMATHESIS_HOOKS).

The description names two binary request bodies by their real media types:
a whole PDF (`application/pdf`) and a resumable upload's part
(`application/offset+octet-stream`). Schemathesis generates bytes for them
but has no serializer for those types: this sends the bytes as they are.
"""

import json

import schemathesis


@schemathesis.serializer("application/pdf", "application/offset+octet-stream")
def raw_bytes(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    if isinstance(value, str):
        return {"data": value.encode("utf-8")}
    return {"data": json.dumps(value).encode("utf-8")}
