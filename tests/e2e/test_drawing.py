"""How the app draws: WebKitGTK without accelerated compositing, which with
software GL kept ~160 MB of GL tiles in the web process
(docs/benchmark-notes.md), unless whoever starts the app chose compositing;
either way the page reaches the screen, not a blank or black window."""

import os
import subprocess
import time

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import by_testid, pids_of, settle_frame, tree

SWITCH = "WEBKIT_DISABLE_COMPOSITING_MODE"


@pytest.fixture()
def app_env(request):
    return getattr(request, "param", {})


def app_pid(app_binary) -> int:
    apps = pids_of(app_binary)
    assert len(apps) == 1, f"expected one app process, found {apps}"
    return apps[0]


def web_process_environment(app_binary) -> dict[str, str]:
    web = []
    for pid in tree(app_pid(app_binary)):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().startswith("WebKitWebProces"):
                    web.append(pid)
        except OSError:
            pass
    assert len(web) == 1, f"expected one WebKit web process under the app, found {web}"
    with open(f"/proc/{web[0]}/environ", "rb") as f:
        pairs = [item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def screen_colours() -> int:
    """Distinct colours on the whole X screen, as a person at it would see it
    (ImageMagick's count, as packaging/appimage/check-clean-root takes it)."""
    out = subprocess.run(["import", "-window", "root", "-format", "%k", "info:"],
                         capture_output=True, text=True, check=True).stdout
    return int(out)


@pytest.mark.parametrize(
    "app_env, compositing_off",
    [({}, True), ({SWITCH: "0"}, False)],
    indirect=["app_env"],
    ids=["by-default", "compositing-asked-for"],
)
def test_the_app_draws_without_compositing_unless_asked_and_the_page_shows(driver, app_binary, app_env,
                                                                           compositing_off):
    assert SWITCH not in os.environ, f"run the end-to-end tests without {SWITCH}: this test checks who sets it"
    WebDriverWait(driver, 20).until(EC.visibility_of_element_located(by_testid("app-version")))

    # The app sets the switch for WebKit, and keeps a value it was given.
    assert web_process_environment(app_binary).get(SWITCH) == ("1" if compositing_off else "0")

    # The drawn page is on the screen: text, buttons and their edges give
    # hundreds of colours; a window that failed to draw gives one or two.
    settle_frame(driver)
    time.sleep(0.5)
    colours = screen_colours()
    assert colours > 100, f"only {colours} colours on the screen: the page was not drawn"
