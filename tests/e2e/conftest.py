"""End-to-end fixtures: the built desktop app in a real window, driven through
tauri-driver + WebKitWebDriver. The caller (scripts/test) provides an X display
(Xvfb) and builds the app with the UI embedded."""

import contextlib
import json
import os
import shutil
import socket
import base64
import hashlib
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "e2e" / "out"


def by_testid(tid: str):
    return (By.CSS_SELECTOR, f'[data-testid="{tid}"]')


# ---- the app's processes ---------------------------------------------------------

def pids_of(exe: Path) -> list[int]:
    """Every running process of the executable `exe`."""
    target = str(exe.resolve())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/exe") == target:
                    found.append(int(entry))
            except OSError:
                pass
    return found


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                if ppid == pid:
                    out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants (WebKit's web and network processes)."""
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(children(p))
    return seen


def settle_frame(driver):
    """Wait until the webview has painted the current state (see NOTES-MACHINE)."""
    driver.execute_async_script(
        "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));"
    )


# A 1-pixel element in the view's corner whose alpha flips between 0 and
# 1/255 every 10 ms: no one can see it, but the view keeps painting.
PULSE_START = """
const el = document.createElement('div');
el.dataset.e2ePulse = '';
el.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647';
document.body.appendChild(el);
let odd = false;
el.dataset.timer = setInterval(() => {
  odd = !odd;
  el.style.background = odd ? 'rgba(0,0,0,0.004)' : 'transparent';
}, 10);
"""
PULSE_STOP = """
for (const el of document.querySelectorAll('[data-e2e-pulse]')) {
  clearInterval(Number(el.dataset.timer));
  el.remove();
}
"""


@contextlib.contextmanager
def repainting(driver):
    """Keeps the web view painting while WebKit takes a screenshot.

    WebKitWebDriver's screenshot waits for the view's next paint. The app draws
    without accelerated compositing (src-tauri/src/lib.rs), and then a page
    that changes nothing never paints again: the shot of a still meetings list
    waited forever. Every WebKit screenshot is taken inside this block."""
    driver.execute_script(PULSE_START)
    try:
        yield
    finally:
        driver.execute_script(PULSE_STOP)


def shot(driver, out_dir, name: str):
    """A screenshot of the current state, once it is painted."""
    settle_frame(driver)
    time.sleep(0.2)
    with repainting(driver):
        driver.save_screenshot(str(out_dir / f"{name}.png"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture(scope="session")
def app_binary() -> Path:
    path = Path(os.environ.get("ECABINET_APP", ROOT / "target" / "debug" / "ecabinet-app"))
    assert path.is_file(), f"built app not found at {path} (scripts/test builds it)"
    return path


@pytest.fixture(scope="session")
def out_dir() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT


@contextlib.contextmanager
def launch_app(app_binary: Path, data_dir: Path, webview_home: Path, log_dir: Path, extra_env=None):
    """Starts tauri-driver and the app in a WebDriver session.

    `data_dir` is the app's store (ECABINET_DATA_DIR); `webview_home` becomes
    XDG_DATA_HOME, where WebKit keeps the webview's localStorage (the language
    choice), so tests do not leak state into each other while a restart with
    the same folders behaves like a real restart."""
    assert os.environ.get("DISPLAY"), "no X display: run under Xvfb (scripts/test does)"
    tauri_driver = shutil.which("tauri-driver") or str(Path.home() / ".cargo" / "bin" / "tauri-driver")
    port, native_port = free_port(), free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"tauri-driver-{port}.log", "wb")
    env = dict(os.environ)
    env["ECABINET_DATA_DIR"] = str(data_dir)
    env["XDG_DATA_HOME"] = str(webview_home)
    env.update(extra_env or {})
    proc = subprocess.Popen(
        [tauri_driver, "--port", str(port), "--native-port", str(native_port)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    try:
        wait_for_port(port)
        # tauri-driver starts WebKitWebDriver itself; a session requested before
        # that one listens fails with "connection refused" (seen under load).
        wait_for_port(native_port)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(app_binary)})
        drv = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
        try:
            yield drv
        finally:
            drv.quit()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture()
def app_env() -> dict:
    """Extra environment for the app; test modules override this fixture."""
    return {}


@pytest.fixture()
def driver(app_binary, tmp_path, app_env):
    # Each app instance keeps its data apart, so tests never share state.
    with launch_app(app_binary, tmp_path / "data", tmp_path / "webview", tmp_path, app_env) as drv:
        yield drv


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def fingerprint_of(key_b64: str) -> str:
    """The server-key fingerprint people compare: the first 10 bytes of
    SHA-256 of the raw key, Crockford base32, grouped 4-4-4-4."""
    digest = hashlib.sha256(base64.b64decode(key_b64)).digest()[:10]
    bits = int.from_bytes(digest, "big")
    symbols = "".join(CROCKFORD[(bits >> (75 - 5 * i)) & 31] for i in range(16))
    return "-".join(symbols[i:i + 4] for i in range(0, 16, 4))


def new_enrol_code(server_binary: Path, data: Path, username: str) -> str:
    """A one-time enrol code from the real `ecabinet-server enrol-code`."""
    out = subprocess.run(
        [str(server_binary), "enrol-code", "--data-dir", str(data), "--username", username],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return out.stdout.splitlines()[0].strip()


@dataclass
class DemoServer:
    url: str
    summary: dict
    binary: Path
    data: Path

    def account(self, role: str) -> dict:
        return next(a for a in self.summary["accounts"] if a["role"] == role)

    def enrol_code(self, username: str) -> str:
        return new_enrol_code(self.binary, self.data, username)

    def fingerprint(self) -> str:
        return fingerprint_of(self.summary["server_signing_key"])


@pytest.fixture(scope="session")
def server_binary() -> Path:
    path = Path(os.environ.get("ECABINET_SERVER_BIN", ROOT / "target" / "debug" / "ecabinet-server"))
    assert path.is_file(), f"server not found at {path} (cargo build -p ecabinet-server)"
    return path


@pytest.fixture(scope="module")
def demo_server(server_binary, tmp_path_factory):
    """A real sync server on 127.0.0.1 with the seeded demo committee."""
    data = tmp_path_factory.mktemp("server")
    seeded = subprocess.run(
        [str(server_binary), "seed-demo", "--data-dir", str(data)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    summary = json.loads(seeded.stdout)
    log = open(data / "server.log", "wb")
    proc = subprocess.Popen(
        [str(server_binary), "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=log,
    )
    try:
        first = proc.stdout.readline().decode().strip()
        assert first.startswith("listening on "), f"unexpected first line: {first!r}"
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        yield DemoServer(url=first.removeprefix("listening on "), summary=summary, binary=server_binary, data=data)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
