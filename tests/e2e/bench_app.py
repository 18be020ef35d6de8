"""App benchmark (run by scripts/bench; not a test): the release app in a real
window under Xvfb, driven through tauri-driver like the end-to-end tests.

- Start to the unlocked meetings list, first after dropping the page cache
  (cold) and then again at once (warm): from the app process's start (its
  start time in /proc) to the PIN screen being shown, plus from pressing
  "unlock" to the meetings list being shown. Typing the PIN is not counted.
  Each repetition is a new app process on a device pre-loaded with the
  headless client (`ecabinet enrol` + `ecabinet sync`), as a secretary would.
- Memory of all the app's processes together (the Rust process and WebKit's
  web and network processes: RSS summed, and PSS, which counts shared pages
  once) while a 500-page, ≥ 100 MB document is scrolled end to end.

Writes one JSON row per figure to the file named by --rows (the shape of
crates/benchkit's Row) and prints them.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import launch_app, new_enrol_code, pids_of, tree  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

PIN = "135790"
BIG_TITLE = "Tài liệu 500 trang (đo bộ nhớ)"


def tid(name: str):
    return (By.CSS_SELECTOR, f'[data-testid="{name}"]')


# ---- a 500-page, image-heavy PDF --------------------------------------------

def big_pdf(pages: int = 500, image_kib: int = 210) -> bytes:
    """Pages with a line of text, some vector strokes and an incompressible
    RGB image each, so the file is large the way scanned annexes are."""
    side = int((image_kib * 1024 / 3) ** 0.5)
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page_ids = []
    pages_id_placeholder = len(objs) + 1  # filled below: reserve the slot
    objs.append(b"")
    rng = random.Random(20261125)
    for p in range(pages):
        raw = rng.randbytes(side * side * 3)
        img = add(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (side, side, len(raw))
            + bytes(raw) + b"\nendstream"
        )
        content = (
            b"BT /F1 18 Tf 60 780 Td (Trang %d - phu luc ngan sach) Tj ET\n"
            b"0.2 0.3 0.8 RG 2 w 60 740 m 535 740 l S\n"
            b"q 475 0 0 475 60 220 cm /Im Do Q\n" % (p + 1)
        )
        packed = zlib.compress(content)
        stream = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream")
        page_ids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Im %d 0 R >> >> >>"
            % (pages_id_placeholder, stream, font, img)
        ))
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objs[pages_id_placeholder - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id_placeholder)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, xref)
    return bytes(out)


# ---- server and a pre-loaded device -------------------------------------------

def http(method: str, url: str, token: str | None = None, body=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", content_type)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=600) as r:
        text = r.read()
    return json.loads(text) if text else None


def start_server(server_bin: Path, data: Path, max_upload: int = 400 * 1024 * 1024):
    seeded = subprocess.run([str(server_bin), "seed-demo", "--data-dir", str(data)],
                            capture_output=True, text=True, check=True, timeout=300)
    summary = json.loads(seeded.stdout)
    log = open(data / "server.log", "wb")
    proc = subprocess.Popen(
        [str(server_bin), "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0",
         "--max-upload-bytes", str(max_upload)],
        stdout=subprocess.PIPE, stderr=log,
    )
    first = proc.stdout.readline().decode().strip()
    assert first.startswith("listening on "), first
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, first.removeprefix("listening on "), summary


def account(summary, role):
    return next(a for a in summary["accounts"] if a["role"] == role)


def add_big_document(url: str, summary, pdf: bytes) -> str:
    sec = account(summary, "secretary")
    token = http("POST", f"{url}/v1/login", body={"username": sec["username"], "password": sec["password"]})["token"]
    meeting = next(m for m in summary["meetings"] if m["status"] != "draft")
    item = http("POST", f"{url}/v1/meetings/{meeting['id']}/agenda", token, {"title": BIG_TITLE})["id"]
    doc = http("POST", f"{url}/v1/agenda/{item}/documents", token, {"title": BIG_TITLE})["id"]
    http("POST", f"{url}/v1/documents/{doc}/versions", token, pdf, "application/pdf")
    http("POST", f"{url}/v1/meetings/{meeting['id']}/publish", token)
    return meeting["title"]


def preload(cli_bin: Path, data: Path, url: str, summary, server_bin: Path, server_data: Path):
    """Enrols the demo member's device with the headless client (with a
    one-time enrol code, as an administrator hands out) and syncs it."""
    member = account(summary, "member")
    env = dict(os.environ, ECABINET_PASSWORD=member["password"], ECABINET_PIN=PIN,
               ECABINET_ENROL_CODE=new_enrol_code(server_bin, server_data, member["username"]))
    for args, timeout in ((["enrol", "--server", url, "--user", member["username"]], 300), (["sync"], 900)):
        out = subprocess.run([str(cli_bin), "--data-dir", str(data), *args], env=env, capture_output=True, text=True,
                             timeout=timeout)
        assert out.returncode == 0, f"ecabinet {args[0]}: {out.stderr.strip()}"


# ---- processes ------------------------------------------------------------------

def age_of(pid: int) -> float:
    """Seconds since the process started (clock-tick precision, 10 ms).

    /proc gives the start in clock ticks since boot (CLOCK_BOOTTIME), so the
    age is taken against that clock, not against /proc/stat's `btime`:
    `btime` is whole seconds, and adding the ticks to it put the start up to
    a second too early, by an amount fixed for each boot of the machine (it
    made every start figure of a run too long by the same 0 – 1 s)."""
    with open(f"/proc/{pid}/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")


def monotonic() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@dataclass
class Unlocked:
    """One launch's landmarks, in CLOCK_MONOTONIC seconds (perf's clock)."""
    pid: int
    started: float  # the app process started
    pin: float  # the PIN screen was found
    submitted: float  # the PIN was typed; just before unlock is pressed
    listed: float  # the meetings list was found

    @property
    def to_pin(self) -> float:
        return self.pin - self.started

    @property
    def unlock(self) -> float:
        return self.listed - self.submitted


def unlock_to_list(drv, app: Path) -> Unlocked:
    """Waits for the launched app's PIN screen, unlocks it and waits for the
    meetings list; typing the PIN is not inside any figure."""
    pin_input = wait_for(drv, tid("unlock-pin"))[0]
    pin = monotonic()
    pids = pids_of(app)
    assert len(pids) == 1, f"expected one app process, found {pids}"
    started = monotonic() - age_of(pids[0])
    pin_input.send_keys(PIN)
    submit = drv.find_element(*tid("unlock-submit"))
    submitted = monotonic()
    submit.click()
    wait_for(drv, tid("meeting-card"))
    return Unlocked(pids[0], started, pin, submitted, monotonic())


def memory_mb(pids: list[int]) -> tuple[float, float, dict[str, tuple[float, float]]]:
    """RSS sum, PSS sum (MB) and, per process name, its (RSS, PSS). PSS splits
    each shared page among the processes that map it, so the PSS sum is the
    memory the app's processes take together; the RSS sum counts the WebKit
    and GTK libraries once per process."""
    rss = pss = 0
    per: dict[str, tuple[float, float]] = {}
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            r = int(fields["VmRSS"].split()[0])
            with open(f"/proc/{p}/smaps_rollup") as f:
                q = next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, KeyError, StopIteration):
            continue
        rss, pss = rss + r, pss + q
        name = fields["Name"].strip()
        had = per.get(name, (0.0, 0.0))
        per[name] = (had[0] + r / 1024, had[1] + q / 1024)
    return rss / 1024, pss / 1024, per


def breakdown(per: dict[str, tuple[float, float]]) -> str:
    return ", ".join(f"{name} {r:.0f}/{q:.0f}" for name, (r, q) in sorted(per.items(), key=lambda kv: -kv[1][1]))


def wait_for(drv, locator, timeout=60.0, poll=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = drv.find_elements(*locator)
        if found:
            return found
        time.sleep(poll)
    raise TimeoutError(f"{locator} not shown within {timeout}s")


# ---- the benchmark ----------------------------------------------------------------

def gone_or_killed(exe: Path, timeout: float = 10.0):
    """Waits for every process of `exe` to end; kills what is left after `timeout`."""
    deadline = time.monotonic() + timeout
    while pids_of(exe) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids_of(exe):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    while pids_of(exe):
        time.sleep(0.1)


def drop_page_cache() -> bool:
    """Writes dirty pages out and drops the page cache; False when the
    kernel does not let us (not root)."""
    subprocess.run(["sync"], check=True)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def row(area, name, values, unit, goal, bound, detail):
    values = sorted(values)
    n = len(values)
    median = (values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2) if n else float("nan")
    met = (median <= bound) if goal == "at_most" else (median >= bound)
    return {
        "area": area, "name": name, "value": median, "unit": unit,
        "spread": {"median": median, "min": values[0], "max": values[-1], "n": n} if n else None,
        "detail": detail, "goal": goal, "bound": bound, "met": bool(n) and met,
    }


def profile_warm_start(args, data: Path, tmp: Path):
    """One more warm start, recorded by `perf record -a` (every process on
    both cores, with call chains) from just before the launch until the
    meetings list is shown. Prints the launch's landmarks in perf's clock
    (CLOCK_MONOTONIC) so `perf script` samples can be placed between them."""
    gone_or_killed(args.app)
    perf = subprocess.Popen(["perf", "record", "-a", "-g", "-F", "1999", "-k", "CLOCK_MONOTONIC",
                             "-o", str(args.profile)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # perf is recording before the app starts
    asked = monotonic()
    try:
        with launch_app(args.app, data, tmp / "webview-profile", tmp / "logs") as drv:
            at = unlock_to_list(drv, args.app)
    finally:
        perf.send_signal(2)
        perf.wait(timeout=60)
    print(f"profile {args.profile}: CLOCK_MONOTONIC landmarks (s): launch asked {asked:.3f}, "
          f"app process started {at.started:.3f}, PIN screen found {at.pin:.3f}, "
          f"unlock about to be pressed {at.submitted:.3f}, list found {at.listed:.3f}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", type=Path, required=True)
    ap.add_argument("--server-bin", type=Path, required=True)
    ap.add_argument("--cli-bin", type=Path, required=True)
    ap.add_argument("--rows", type=Path)
    ap.add_argument("--reps", type=int, default=int(os.environ.get("REPS", "3")))
    ap.add_argument("--profile", type=Path,
                    help="after the figures, one more warm start under `perf record -a` into this file "
                         "(not counted in any figure); prints its timeline")
    args = ap.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="ecabinet-bench-app-") as tmp:
        tmp = Path(tmp)
        (tmp / "server").mkdir()
        server, url, summary = start_server(args.server_bin, tmp / "server")
        try:
            pdf = big_pdf()
            print(f"big document: 500 pages, {len(pdf) / 1e6:.0f} MB", flush=True)
            meeting_title = add_big_document(url, summary, pdf)
            data = tmp / "device"
            preload(args.cli_bin, data, url, summary, args.server_bin, tmp / "server")

            # Each repetition launches twice: first after writing out and
            # dropping the page cache (as after a reboot: the binary, WebKit
            # and the cache come from disk), then again at once (warm).
            cold, warm, to_pin, to_list = [], [], [], []
            dropped = True
            idle = scrolled = peak = None
            for rep in range(args.reps):
                webview = tmp / f"webview-{rep}"
                for kind in ("cold", "warm"):
                    # The last launch's process is gone before the next starts.
                    gone_or_killed(args.app)
                    if kind == "cold":
                        dropped = drop_page_cache() and dropped
                    with launch_app(args.app, data, webview, tmp / "logs") as drv:
                        at = unlock_to_list(drv, args.app)
                        app_pid, launch, unlock = at.pid, at.to_pin, at.unlock
                        (cold if kind == "cold" else warm).append((launch + unlock) * 1000)
                        if kind == "warm":
                            to_pin.append(launch * 1000)
                            to_list.append(unlock * 1000)
                        print(f"launch {rep} ({kind}): PIN screen after {launch * 1000:.0f} ms, "
                              f"list {unlock * 1000:.0f} ms after unlock", flush=True)
                        if rep != args.reps - 1 or kind != "warm":
                            continue
                        # Memory: idle on the list, then the big document scrolled end to end.
                        time.sleep(2)
                        idle = memory_mb(tree(app_pid))
                        card = next(c for c in drv.find_elements(*tid("meeting-card")) if meeting_title in c.text)
                        card.click()
                        item = None
                        for _ in range(600):
                            item = next((i for i in drv.find_elements(*tid("agenda-item")) if BIG_TITLE in i.text), None)
                            if item:
                                break
                            time.sleep(0.05)
                        assert item, "the big document's agenda item is not shown"
                        item.find_elements(*tid("version-open"))[0].click()
                        scroller = wait_for(drv, tid("pages"))[0]
                        wait_for(drv, tid("page-image"))
                        peak_rss = peak_pss = 0.0
                        peak_per: dict[str, tuple[float, float]] = {}
                        pages = 0
                        while True:
                            at_end = drv.execute_script(
                                "const s = arguments[0]; s.scrollTop += s.clientHeight;"
                                "return s.scrollTop + s.clientHeight >= s.scrollHeight - 2;", scroller)
                            # Wait for the pages now in view to be rendered and shown.
                            deadline = time.monotonic() + 5
                            while time.monotonic() < deadline and not drv.execute_script(
                                    "return [...document.querySelectorAll('[data-testid=page-image]')]"
                                    ".every(i => i.complete && i.naturalWidth > 0)"):
                                time.sleep(0.02)
                            pages += 1
                            rss, pss, per = memory_mb(tree(app_pid))
                            peak_rss = max(peak_rss, rss)
                            if pss > peak_pss:
                                peak_pss, peak_per = pss, per
                            if at_end:
                                break
                        last = drv.execute_script(
                            "return document.querySelector('[data-testid=page-indicator]').textContent")
                        time.sleep(1)
                        scrolled = memory_mb(tree(app_pid))
                        peak = (peak_rss, peak_pss, peak_per)
                        print(f"scrolled {pages} screens to '{last}'", flush=True)
                        for label, per in (("idle", idle[2]), ("peak", peak_per), ("after", scrolled[2])):
                            print(f"  {label:5} RSS/PSS MB: {breakdown(per)}", flush=True)

            if args.profile:
                profile_warm_start(args, data, tmp)

            rows.append(row(
                "App", "First start after dropping the page cache, to the unlocked meetings list (release app, Xvfb)",
                cold, "ms", "at_most", 1500,
                ("page cache written out and dropped before each" if dropped
                 else "page cache NOT dropped (needs root): not a cold figure")
                + "; process start → PIN screen + unlock → list; typing not counted",
            ))
            rows.append(row(
                "App", "Warm start to the unlocked meetings list (release app, Xvfb)", warm, "ms", "at_most", 800,
                f"process start → PIN screen {sorted(to_pin)[len(to_pin) // 2]:.0f} ms + unlock → list "
                f"{sorted(to_list)[len(to_list) // 2]:.0f} ms (Argon2id 64 MiB included); typing not counted",
            ))
            if scrolled and idle and peak:
                rows.append(row(
                    "App", "Memory of all app processes together, 500-page document scrolled end to end (peak PSS sum)",
                    [peak[1]], "MB", "at_most", 450,
                    f"at the peak, RSS/PSS MB per process: {breakdown(peak[2])}; RSS sum {peak[0]:.0f} MB "
                    f"(counts shared libraries once per process); idle on the list {idle[1]:.0f} MB PSS "
                    f"({breakdown(idle[2])}); after the scroll {scrolled[1]:.0f} MB PSS",
                ))
        finally:
            server.terminate()
            server.wait(timeout=10)

    for r in rows:
        print("ROW", json.dumps(r, ensure_ascii=False), flush=True)
        if args.rows:
            with open(args.rows, "a") as f:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
