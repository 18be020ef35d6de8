"""Fuzzes the sync API from its own description: schemathesis reads
/v1/openapi.json from a real server (the debug build, seeded with the demo
committee) and sends generated requests to every operation, as an anonymous
caller, as a secretary and as the administrator. Fails on any 5xx, on an
error answer that is not `{code, message}` JSON, and on an answer whose
content type the description does not allow.

    python tests/api/fuzz.py [--server-bin target/debug/ecabinet-server] [--examples 30]

Bounded: about a thousand requests per caller, a few seconds each.
Logging out is left out (it would end the caller's session mid-run).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = ROOT / ".tools" / "py" / "bin" / "schemathesis"


def login(base: str, account: dict) -> str:
    req = urllib.request.Request(
        f"{base}/v1/login",
        data=json.dumps({"username": account["username"], "password": account["password"]}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["token"]


def fuzz(base: str, token: str | None, who: str, examples: int, tmp: Path) -> tuple[int, bool, str]:
    """Runs schemathesis as `who`; answers (requests made, passed, output)."""
    cmd = [
        str(SCHEMATHESIS), "run", f"{base}/v1/openapi.json",
        "--checks", "not_a_server_error,content_type_conformance,response_schema_conformance",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(examples),
        "--exclude-path", "/v1/logout",
        "--seed", "20261204",
        "--no-color",
    ]
    env = dict(os.environ)
    # Serializers for the PDF and upload-part bodies (ecabinet_hooks.py).
    env["PYTHONPATH"] = str(ROOT / "tests" / "api")
    env["SCHEMATHESIS_HOOKS"] = "ecabinet_hooks"
    if token:
        # The token goes through the environment into schemathesis's config,
        # never onto a command line or into a file.
        cfg = tmp / "schemathesis.toml"
        cfg.write_text('headers = { Authorization = "Bearer ${ECABINET_FUZZ_TOKEN}" }\n')
        cmd.insert(1, f"--config-file={cfg}")
        env["ECABINET_FUZZ_TOKEN"] = token
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp)
    text = out.stdout + out.stderr
    m = re.search(r"(\d+) generated", text)
    return (int(m.group(1)) if m else 0), out.returncode == 0, text


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-bin", type=Path, default=ROOT / "target" / "debug" / "ecabinet-server")
    ap.add_argument("--examples", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecabinet-fuzz-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        seeded = subprocess.run([str(args.server_bin), "seed-demo", "--data-dir", str(data)],
                                capture_output=True, text=True, check=True, timeout=300)
        accounts = {a["role"]: a for a in json.loads(seeded.stdout)["accounts"]}
        log = open(tmp / "server.log", "wb")
        server = subprocess.Popen([str(args.server_bin), "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=log)
        try:
            first = server.stdout.readline().decode().strip()
            assert first.startswith("listening on "), first
            base = first.removeprefix("listening on ")
            total, failed = 0, []
            for who in ["anonymous", "secretary", "admin"]:
                token = None if who == "anonymous" else login(base, accounts[who])
                n, ok, text = fuzz(base, token, who, args.examples, tmp)
                total += n
                print(f"{who}: {n} requests, {'no failure' if ok else 'FAILURES'}")
                for line in text.splitlines():
                    if "⚠" in line:
                        print(f"  {line.strip()}")
                if not ok:
                    failed.append(who)
                    print(text[-6000:])
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        print(f"API fuzz: {total} requests in all")
        if failed:
            print(f"FAILED for: {', '.join(failed)}")
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
