"""Upload benchmark: a 1 GiB meeting pack sent to the real server on loopback.

- Ours: `ecabinet upload DOC FILE`, the headless client over the same code as
  the app: 8 MiB parts, each with its SHA-256, resumable, then the server's
  PDF check; the server streams each part to disk.
- Side by side: curl sending the same file as one POST to the whole-file
  endpoint (`curl -T`, streamed from the file), the same server and check.

Reported: the throughput ratio ours / curl, and the server's peak memory
(VmHWM, reset with clear_refs before each run) during our upload, next to
its peak during curl's and at rest. Each run uploads the same bytes, after
an unmeasured warm-up, so every measured run pays the same work on the
server (a blob already stored is re-checked before it is replaced).

    python tests/e2e/bench_upload.py --server-bin target/release/ecabinet-server \\
        --cli-bin target/release/ecabinet [--rows FILE] [--size-mib 1024]

REPS (default 3) sets the repetitions of each side.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_app import PIN, account, http, row, start_server
from conftest import fingerprint_of


def write_pack(path: Path, size: int) -> None:
    """A valid one-page PDF made `size` bytes by an unreferenced stream of
    random (incompressible) bytes: a scan's weight, written in 16 MiB steps."""
    page = b"BT /F1 24 Tf 72 720 Td (Ho so quy hoach - ban scan) Tj ET"
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream",
    ]
    with open(path, "wb") as f:
        f.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(head, 1):
            offsets.append(f.tell())
            f.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
        tail_room = 400
        filler = max(0, size - f.tell() - 60 - tail_room)
        offsets.append(f.tell())
        f.write(b"6 0 obj\n<< /Length %d >>\nstream\n" % filler)
        left = filler
        while left:
            n = min(left, 16 << 20)
            f.write(os.urandom(n))
            left -= n
        f.write(b"\nendstream\nendobj\n")
        xref = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        for o in offsets:
            f.write(b"%010d 00000 n \n" % o)
        f.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))


def status_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    """VmHWM back to the current RSS (Linux: write 5 to clear_refs)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


class Sampler:
    """The highest VmRSS of `pid` seen every 20 ms while running."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.stop = pid, 0.0, False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop:
            try:
                self.peak = max(self.peak, status_mb(self.pid, "VmRSS:"))
            except OSError:
                return
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-bin", type=Path, required=True)
    ap.add_argument("--cli-bin", type=Path, required=True)
    ap.add_argument("--rows", type=Path)
    ap.add_argument("--size-mib", type=int, default=1024)
    args = ap.parse_args()
    reps = int(os.environ.get("REPS", "3"))
    size = args.size_mib << 20

    with tempfile.TemporaryDirectory(prefix="ecabinet-bench-upload-") as tmp:
        tmp = Path(tmp)
        (tmp / "server").mkdir()
        proc, url, summary = start_server(args.server_bin, tmp / "server", max_upload=size + (64 << 20))
        try:
            pack = tmp / "ho-so-scan.pdf"
            t = time.perf_counter()
            write_pack(pack, size)
            size = pack.stat().st_size
            print(f"pack: {pack.stat().st_size / 1e6:.0f} MB written in {time.perf_counter() - t:.1f} s", flush=True)

            sec = account(summary, "secretary")
            token = http("POST", f"{url}/v1/login", body={"username": sec["username"], "password": sec["password"]})["token"]
            meeting = next(m for m in summary["meetings"] if m["status"] != "draft")
            item = http("POST", f"{url}/v1/meetings/{meeting['id']}/agenda", token, {"title": "Hồ sơ scan"})["id"]
            doc = http("POST", f"{url}/v1/agenda/{item}/documents", token, {"title": "Hồ sơ scan 1 GB"})["id"]
            # curl reads the token from a file, never from its argv.
            header = tmp / "auth-header"
            header.touch(mode=0o600)
            header.write_text(f"Authorization: Bearer {token}\n")

            cli_dir = tmp / "cli"
            env = dict(os.environ, ECABINET_PASSWORD=sec["password"], ECABINET_PIN=PIN)
            enrolled = subprocess.run([str(args.cli_bin), "--data-dir", str(cli_dir), "enrol", "--server", url, "--user",
                            sec["username"], "--server-fingerprint", fingerprint_of(summary["server_signing_key"])],
                           env=env, capture_output=True, timeout=300)
            if enrolled.returncode != 0:
                raise SystemExit(f"ecabinet enrol failed: {enrolled.stderr.decode().strip()}")

            def ours() -> tuple[float, float, float]:
                reset_peak(proc.pid)
                t = time.perf_counter()
                cli = subprocess.Popen([str(args.cli_bin), "--data-dir", str(cli_dir), "upload", doc, str(pack), "--json"],
                                       env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                with Sampler(cli.pid) as client:
                    out, _ = cli.communicate(timeout=1800)
                dt = time.perf_counter() - t
                assert cli.returncode == 0, "ecabinet upload failed"
                v = json.loads(out)
                assert v["size"] == size, v
                return dt, status_mb(proc.pid, "VmHWM:"), client.peak

            def curl() -> tuple[float, float]:
                reset_peak(proc.pid)
                t = time.perf_counter()
                subprocess.run(["curl", "-sS", "--fail", "-X", "POST", "-H", f"@{header}", "-H",
                                "Content-Type: application/pdf", "-T", str(pack), "-o", "/dev/null",
                                f"{url}/v1/documents/{doc}/versions"], check=True, timeout=1800)
                return time.perf_counter() - t, status_mb(proc.pid, "VmHWM:")

            reset_peak(proc.pid)
            at_rest = status_mb(proc.pid, "VmHWM:")
            ours()  # warm-up: from here on the blob exists and every run re-checks it
            o_times, o_peaks, c_times, c_peaks, client_peaks = [], [], [], [], []
            for rep in range(reps):
                dt, peak, client = ours()
                o_times.append(dt)
                o_peaks.append(peak)
                client_peaks.append(client)
                ct, cpeak = curl()
                c_times.append(ct)
                c_peaks.append(cpeak)
                print(f"rep {rep + 1}: ours {size / dt / 1e6:.0f} MB/s (server peak {peak:.0f} MB, client {client:.0f} MB) · "
                      f"curl {size / ct / 1e6:.0f} MB/s (server peak {cpeak:.0f} MB)", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    ratios = [c / o for o, c in zip(o_times, c_times)]
    mb = size / 1e6
    rows = [
        row("Sync", f"Upload of a {args.size_mib} MiB pack in checked, resumable parts vs curl one POST",
            ratios, "× curl", "at_least", 0.8,
            f"ours {mb / med(o_times):.0f} MB/s · curl -T {mb / med(c_times):.0f} MB/s (same server, same PDF check)"),
        row("Sync", f"Server peak memory while receiving a {args.size_mib} MiB upload in parts", o_peaks, "MB",
            "at_most", 128,
            f"server at rest {at_rest:.0f} MB · during curl's one POST {med(c_peaks):.0f} MB · "
            f"ecabinet upload client peak {med(client_peaks):.0f} MB"),
    ]
    for r in rows:
        print(f"ROW {r['area']} | {r['name']}: {r['value']:.3g} {r['unit']} (goal "
              f"{'≥' if r['goal'] == 'at_least' else '≤'} {r['bound']} {r['unit']}) "
              f"{'met' if r['met'] else 'MISSED'} — {r['detail']}")
        if args.rows:
            with open(args.rows, "a") as f:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
