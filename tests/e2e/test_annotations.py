"""Scenario 2: a member annotates a PDF and the annotations outlive a restart.

Through the real window against a real sync server: the member enrols, opens
the meeting programme, draws an ink stroke with the pen (a pointer drag) and
highlights a line of text (a drag that snaps to the line), closes the app,
starts it again on the same data, unlocks with the PIN, reopens the document
and finds both where they were drawn, in PDF page coordinates. Then "export
with my annotations" writes a PDF that an independent reader (pypdf) finds the
/Ink and /Highlight annotations in, on the right page and at the right place.
"""

import json
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import by_testid, launch_app, shot

PIN = "8642"
# CSS pixels per PDF point at 100 % zoom (src/lib/zoom.ts: 96 dpi screen).
PX = 96 / 72
# A line of the programme's first page ("…" under the heading), top-down points
# as pdftotext reports it: x 88–537, y 188.8–201.6 (PDF y 640.4–653.2).
LINE_Y_TOPDOWN = 195.0
PAGE_H = 842.0


@pytest.fixture(scope="module")
def member_home(tmp_path_factory):
    """The member's data dir, webview storage and desktop folders, kept for the restart."""
    home = tmp_path_factory.mktemp("annotating-member")
    downloads = home / "Downloads"
    downloads.mkdir()
    config = home / "config"
    config.mkdir()
    # Where the desktop says Downloads is (xdg-user-dirs), as on a member's laptop.
    (config / "user-dirs.dirs").write_text(f'XDG_DOWNLOAD_DIR="{downloads}"\n')
    return home


def app_env(demo_server, home: Path) -> dict:
    return {"ECABINET_SERVER_URL": demo_server.url, "XDG_CONFIG_HOME": str(home / "config")}


def open_programme(driver, wait, title: str):
    """From the meetings list: the meeting, then its first document; waits for page 1."""
    card = next(c for c in driver.find_elements(*by_testid("meeting-card")) if title in c.text)
    card.click()
    wait.until(EC.text_to_be_present_in_element(by_testid("meeting-title"), title))
    driver.find_elements(*by_testid("version-open"))[0].click()
    image = wait.until(EC.presence_of_element_located(by_testid("page-image")))
    wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0)
    # The overlay appears once the page's rotation and text lines are known.
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '[data-testid="annot-layer"][data-page="0"]')))


def page_box(driver) -> dict:
    return driver.execute_script(
        "const r = document.querySelector('[data-page=\"0\"].page').getBoundingClientRect();"
        "return {left: r.left, top: r.top, width: r.width, height: r.height};"
    )


def drag(driver, points):
    """A mouse drag through viewport points, as W3C pointer actions (pointerdown, moves, pointerup)."""
    mouse = PointerInput(interaction.POINTER_MOUSE, "mouse")
    actions = ActionBuilder(driver, mouse=mouse, duration=30)
    (x0, y0), rest = points[0], points[1:]
    actions.pointer_action.move_to_location(int(x0), int(y0)).pointer_down()
    for x, y in rest:
        actions.pointer_action.move_to_location(int(x), int(y))
    actions.pointer_action.pointer_up()
    actions.perform()


def at_points(box: dict, x_pt: float, y_topdown_pt: float):
    return (box["left"] + x_pt * PX, box["top"] + y_topdown_pt * PX)


def annotations(driver) -> dict:
    """The overlay's annotations: kind → list of shapes (PDF page coordinates)."""
    # Read in one script: the overlay re-renders while a wait polls it.
    found = driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=annotation]')]"
        ".map(e => [e.getAttribute('data-kind'), e.getAttribute('data-shape')])")
    out: dict = {}
    for kind, shape in found:
        out.setdefault(kind, []).append(json.loads(shape))
    return out


def overlay_rect_of(driver, kind: str) -> dict:
    """Where the first drawn shape of `kind` sits on the page element, in CSS pixels."""
    return driver.execute_script(
        "const page = document.querySelector('[data-page=\"0\"].page').getBoundingClientRect();"
        "const el = document.querySelector(`[data-testid=annotation][data-kind=${arguments[0]}]`).firstElementChild;"
        "const r = el.getBoundingClientRect();"
        "return {left: r.left - page.left, top: r.top - page.top, width: r.width, height: r.height};",
        kind,
    )


def test_ink_and_highlight_survive_a_restart_and_export(app_binary, demo_server, member_home, out_dir):
    member = demo_server.account("member")
    title = demo_server.summary["meetings"][0]["title"]
    env = app_env(demo_server, member_home)

    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        wait.until(EC.visibility_of_element_located(by_testid("server-url")))
        driver.find_element(*by_testid("username")).send_keys(member["username"])
        driver.find_element(*by_testid("password")).send_keys(member["password"])
        driver.find_element(*by_testid("enrol-code")).send_keys(demo_server.enrol_code(member["username"]))
        driver.find_element(*by_testid("pin")).send_keys(PIN)
        driver.find_element(*by_testid("pin-confirm")).send_keys(PIN)
        driver.find_element(*by_testid("enrol-submit")).click()
        wait.until(EC.visibility_of_element_located(by_testid("meeting-card")))
        WebDriverWait(driver, 90).until(
            lambda d: all(
                s.get_attribute("data-state") == "downloaded" for s in d.find_elements(*by_testid("meeting-sync"))
            )
        )
        open_programme(driver, wait, title)
        assert annotations(driver) == {}

        # The pen: a stroke across the empty part of the page, below the text.
        driver.find_element(*by_testid("tool-pen")).click()
        assert driver.find_element(*by_testid("tool-pen")).get_attribute("aria-pressed") == "true"
        box = page_box(driver)
        stroke = [at_points(box, 100 + 10 * k, 420 + (k % 3) * 6) for k in range(16)]
        drag(driver, stroke)
        wait.until(lambda d: "ink" in annotations(d))

        # The highlighter: a flat drag along one text line snaps to the line's height.
        driver.find_element(*by_testid("tool-highlight")).click()
        drag(driver, [at_points(box, 130, LINE_Y_TOPDOWN), at_points(box, 220, LINE_Y_TOPDOWN),
                      at_points(box, 300, LINE_Y_TOPDOWN)])
        wait.until(lambda d: "highlight" in annotations(d))
        driver.find_element(*by_testid("tool-select")).click()
        shot(driver, out_dir, "annot-01-drawn-vi")

        drawn = annotations(driver)
        assert set(drawn) == {"ink", "highlight"} and len(drawn["ink"]) == 1 and len(drawn["highlight"]) == 1
        ink = drawn["ink"][0]
        points = ink["strokes"][0]
        assert len(points) >= 2
        # Stored in PDF page coordinates: origin bottom-left, points (not pixels).
        assert abs(points[0]["x"] - 100) < 2 and abs(points[0]["y"] - (PAGE_H - 420)) < 2, points[0]
        assert abs(points[-1]["x"] - 250) < 2, points[-1]
        rects = drawn["highlight"][0]["rects"]
        assert len(rects) == 1, rects
        left, bottom, right, top = rects[0]
        line_y = PAGE_H - LINE_Y_TOPDOWN
        assert bottom < line_y < top and 8 < top - bottom < 20, rects  # the line's height, not the drag's (zero)
        assert 120 <= left <= 131 and 290 <= right <= 310, rects  # from the character under the start to the end
        before_restart = overlay_rect_of(driver, "highlight")
        assert abs(before_restart["left"] - left * PX) < 2 and abs(before_restart["top"] - (PAGE_H - top) * PX) < 2

        # This viewing session's two drawings can be undone.
        assert driver.find_element(*by_testid("annot-undo")).is_enabled()

    # A real restart on the same data: unlock with the PIN, reopen, and they are there.
    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        pin = wait.until(EC.visibility_of_element_located(by_testid("unlock-pin")))
        pin.send_keys(PIN)
        driver.find_element(*by_testid("unlock-submit")).click()
        wait.until(EC.visibility_of_element_located(by_testid("meeting-card")))
        open_programme(driver, wait, title)
        wait.until(lambda d: len(d.find_elements(*by_testid("annotation"))) == 2)
        assert annotations(driver) == drawn
        after_restart = overlay_rect_of(driver, "highlight")
        for k in ("left", "top", "width", "height"):
            assert abs(after_restart[k] - before_restart[k]) < 1, (k, before_restart, after_restart)
        shot(driver, out_dir, "annot-02-after-restart-vi")

        # Zoom in: the overlay scales with the page; the stored coordinates do not change.
        driver.find_element(*by_testid("zoom-in")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("zoom-level"), "125%"))
        zoomed = overlay_rect_of(driver, "highlight")
        assert abs(zoomed["left"] - before_restart["left"] * 1.25) < 2, zoomed
        assert abs(zoomed["width"] - before_restart["width"] * 1.25) < 2, zoomed
        assert annotations(driver) == drawn

        # Eraser then undo: the highlight goes and comes back (same place, same id).
        hl_id = driver.find_element(By.CSS_SELECTOR, '[data-testid="annotation"][data-kind="highlight"]').get_attribute("data-id")
        driver.find_element(*by_testid("tool-eraser")).click()
        driver.find_element(By.CSS_SELECTOR, '[data-testid="annotation"][data-kind="highlight"] rect').click()
        wait.until(lambda d: "highlight" not in annotations(d))
        driver.find_element(*by_testid("annot-undo")).click()
        wait.until(lambda d: "highlight" in annotations(d))
        assert annotations(driver) == drawn
        assert driver.find_element(
            By.CSS_SELECTOR, '[data-testid="annotation"][data-kind="highlight"]').get_attribute("data-id") == hl_id

        # Export with my annotations: into Downloads, named after the document.
        driver.find_element(*by_testid("annot-export")).click()
        notice = wait.until(EC.visibility_of_element_located(by_testid("annot-notice")))
        assert notice.get_attribute("data-kind") == "ok", notice.text
        assert "Đã lưu tệp PDF kèm 2 ghi chú tại:" in notice.text
        shot(driver, out_dir, "annot-03-exported-vi")
        exported = sorted((member_home / "Downloads").glob("*.pdf"))
        assert len(exported) == 1 and str(exported[0]) in notice.text, (exported, notice.text)

        # English labels on the tools.
        driver.find_element(*by_testid("lang-switch")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("annot-export"), "Export with my annotations"))
        assert driver.find_element(*by_testid("tool-highlight")).text == "Highlight"
        shot(driver, out_dir, "annot-04-tools-en")

    # An independent reader finds real annotation objects on page 1, where they were drawn.
    reader = PdfReader(str(exported[0]))
    annots = [a.get_object() for a in reader.pages[0].get("/Annots", [])]
    by_type = {a["/Subtype"]: a for a in annots}
    assert {"/Ink", "/Highlight"} <= set(by_type), [a["/Subtype"] for a in annots]
    for page in reader.pages[1:]:
        assert not page.get("/Annots"), "annotations only on the page they were drawn on"
    ink_list = by_type["/Ink"]["/InkList"][0]
    assert abs(float(ink_list[0]) - points[0]["x"]) < 0.5 and abs(float(ink_list[1]) - points[0]["y"]) < 0.5
    hl = [float(v) for v in by_type["/Highlight"]["/Rect"]]
    assert abs(hl[0] - left) < 0.5 and abs(hl[3] - top) < 0.5, hl
