"""A document's readers' policy (issue 19), through real windows against a
real sync server: the secretary's app sets a demo document to "reader's
watermark, no export" in the workspace; a member's app syncs, opens it and
shows the watermark notice and a disabled export, and the page image it
shows carries the watermark's red in its pixels (drawn by the Rust side,
not by the page's DOM)."""

import struct
import zlib

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import by_testid, launch_app, repainting, shot
from test_secretary import enrol, put_off_open_votes

MEETING = "Phiên họp chuyên đề về chuyển đổi số"


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what WebKit's
    element screenshots are): (width, height, RGB pixels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, kind = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and kind in (2, 6) and interlace == 0, (depth, kind, interlace)
        elif tag == b"IDAT":
            idat += body
    bpp = 4 if kind == 6 else 3
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    pixels = [(r[x], r[x + 1], r[x + 2]) for r in rows for x in range(0, stride, bpp)]
    return width, height, pixels


def red_share(png: bytes) -> float:
    """Share of pixels in the watermark's red (red well above green and blue)."""
    w, h, px = png_pixels(png)
    return sum(1 for r, g, b in px if r > g + 25 and r > b + 25) / (w * h)


def test_a_watermarked_document_with_export_forbidden_reaches_the_member(app_binary, demo_server, tmp_path, out_dir):
    env = {"ECABINET_SERVER_URL": demo_server.url}
    sec_home = tmp_path / "secretary"
    with launch_app(app_binary, sec_home / "data", sec_home / "webview", sec_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol(driver, demo_server, demo_server.account("secretary"))
        put_off_open_votes(driver)
        wait.until(EC.element_to_be_clickable(by_testid("nav-secretary"))).click()
        meeting = wait.until(lambda d: next(
            (m for m in d.find_elements(*by_testid("sec-meeting")) if MEETING in m.text), None))
        meeting.click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-meeting-title"), MEETING))
        doc = wait.until(lambda d: d.find_elements(*by_testid("sec-document")))[0]
        title = doc.get_attribute("data-title")
        doc.find_element(By.CSS_SELECTOR, "details.policy summary").click()
        box = doc.find_element(By.CSS_SELECTOR, '[data-testid^="policy-watermark-"]')
        doc_id = box.get_attribute("data-testid").removeprefix("policy-watermark-")
        box.click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-info"), "Đã lưu chính sách"))
        # The controls are disabled while the workspace reloads after the first change.
        select = wait.until(EC.element_to_be_clickable(by_testid(f"policy-export-{doc_id}")))
        driver.execute_script(
            "arguments[0].value = 'forbidden'; arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
            select,
        )

        def synced(d):
            # The choice shows at once (pending); it counts once the synced
            # document has it: both badges and no pending marker left.
            badges = d.execute_script(
                "return [...document.querySelectorAll(arguments[0])].map((b) => b.textContent.trim())",
                f'[data-testid="policy-{doc_id}"] .policy-badge',
            )
            return ("Hình mờ" in badges and "Không xuất" in badges
                    and not d.find_elements(*by_testid(f"policy-pending-{doc_id}")))

        wait.until(synced)
        assert driver.find_element(*by_testid(f"policy-watermark-{doc_id}")).is_selected()
        assert driver.find_element(*by_testid(f"policy-export-{doc_id}")).get_attribute("value") == "forbidden"
        shot(driver, out_dir, "policy-01-secretary-sets-watermark-no-export-vi")

    member_home = tmp_path / "member"
    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 60)
        enrol(driver, demo_server, demo_server.account("member"))
        put_off_open_votes(driver)
        wait.until(EC.text_to_be_present_in_element(by_testid("meetings-upcoming"), MEETING))
        next(c for c in driver.find_elements(*by_testid("meeting-card")) if MEETING in c.text).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("meeting-title"), MEETING))
        document = wait.until(lambda d: next(
            (x for x in d.find_elements(*by_testid("document")) if title in x.text
             and x.find_elements(*by_testid("version-open"))), None))
        assert "Hình mờ" in document.text and "Không xuất" in document.text, document.text
        document.find_element(*by_testid("version-open")).click()
        notice = wait.until(EC.visibility_of_element_located(by_testid("viewer-watermark")))
        assert demo_server.account("member")["display_name"] in notice.text, notice.text
        export = driver.find_element(*by_testid("annot-export"))
        assert export.get_attribute("disabled") is not None
        assert export.get_attribute("data-export") == "forbidden"
        assert "không được xuất" in export.text
        image = wait.until(EC.presence_of_element_located(by_testid("page-image")))
        wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0)
        shot(driver, out_dir, "policy-02-member-viewer-watermarked-vi")
        with repainting(driver):
            share = red_share(image.screenshot_as_png)
        assert share > 0.01, f"only {share:.4f} of the page image carries the watermark"

        # Another document of the meeting, without a policy: no notice, export
        # allowed, and its page has next to none of that red (so the share
        # above is the watermark's, not the page's).
        driver.find_element(*by_testid("back")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("meeting-title"), MEETING))
        other = wait.until(lambda d: next(
            (x for x in d.find_elements(*by_testid("document")) if title not in x.text
             and x.find_elements(*by_testid("version-open"))), None))
        assert "Hình mờ" not in other.text and "Không xuất" not in other.text, other.text
        other.find_element(*by_testid("version-open")).click()
        wait.until(lambda d: d.execute_script(
            "return document.querySelector('[data-testid=\"annot-export\"]')?.dataset.export") == "allowed")
        assert not driver.find_elements(*by_testid("viewer-watermark"))
        assert driver.find_element(*by_testid("annot-export")).is_enabled()
        image = wait.until(EC.presence_of_element_located(by_testid("page-image")))
        wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0)
        with repainting(driver):
            plain = red_share(image.screenshot_as_png)
        assert plain < 0.002 and plain * 5 < share, (plain, share)
