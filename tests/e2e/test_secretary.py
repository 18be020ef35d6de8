"""Scenario 1, through real windows against a real sync server: the
secretary's app creates a meeting with two agenda items (one moved with the
keyboard buttons) and attaches a PDF chosen in a file input, sees it as a
draft, publishes it after confirming, then withdraws the second item with a
reason; then a member's app (a second
instance with its own data directory) syncs the meeting and opens the PDF,
whose page image renders."""

import base64
import os
import time
import zlib
from pathlib import Path

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import by_testid, launch_app, shot

PIN = "8642"
MEETING = "Phiên họp chuyên đề về cải cách hành chính"
ITEM_1 = "Báo cáo tình hình triển khai"
ITEM_2 = "Thông qua kế hoạch năm 2027"
DOC = "Báo cáo chuyển đổi số"
REASON = "Chuyển sang phiên họp tháng sau"


def small_pdf(path: Path, text: str, pad_to: int = 0) -> Path:
    """A valid one-page A4 PDF with a heading and a filled rectangle, written
    by hand: header, objects, cross-reference table with real offsets, trailer.
    With `pad_to`, an unreferenced stream of random bytes makes the file about
    that big (a scan's weight, without its pages)."""
    content = (
        f"0.85 0.1 0.1 rg 60 700 475 60 re f 0 0 0 rg BT /F1 28 Tf 72 640 Td ({text}) Tj ET\n"
        "BT /F1 14 Tf 72 600 Td (Scenario 1: attached by the secretary, opened by a member.) Tj ET\n"
    ).encode()
    stream = zlib.compress(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    if pad_to:
        filler = os.urandom(pad_to)
        objects.append(b"<< /Length %d >>\nstream\n" % len(filler) + filler + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def choose_file(driver, scope, path: Path):
    """Puts a file into the `<input type=file>` of `scope`, as the file dialog would."""
    el = scope.find_element(*by_testid("sec-file"))
    try:
        el.send_keys(str(path))
    except Exception:  # noqa: BLE001 - a driver without file upload: fall through to the check below
        pass
    if driver.execute_script("return arguments[0].files.length", el) == 0:
        # WebKitWebDriver without file upload support: hand the same bytes to
        # the input through a DataTransfer, which is what a drop would do.
        driver.execute_script(
            """
            const [el, b64, name] = arguments;
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: "application/pdf" }));
            el.files = dt.files;
            el.dispatchEvent(new Event("change", { bubbles: true }));
            """,
            el, base64.b64encode(path.read_bytes()).decode(), path.name,
        )
    assert driver.execute_script("return arguments[0].files.length", el) == 1


def set_input(driver, el, value: str):
    """Sets an input the way typing would (datetime-local inputs take no keys reliably)."""
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
        el, value,
    )


def enrol(driver, server, account: dict):
    wait = WebDriverWait(driver, 30)
    wait.until(EC.visibility_of_element_located(by_testid("server-url")))
    driver.find_element(*by_testid("username")).send_keys(account["username"])
    driver.find_element(*by_testid("password")).send_keys(account["password"])
    driver.find_element(*by_testid("enrol-code")).send_keys(server.enrol_code(account["username"]))
    driver.find_element(*by_testid("pin")).send_keys(PIN)
    driver.find_element(*by_testid("pin-confirm")).send_keys(PIN)
    driver.find_element(*by_testid("enrol-submit")).click()
    wait.until(EC.visibility_of_element_located(by_testid("meeting-card")))


def put_off_open_votes(driver) -> int:
    """The demo committee has votes open; the secretary, a voter too, puts
    each one off ("Để sau") so the popup does not cover the workspace."""
    put_off = 0
    while True:
        try:
            later = WebDriverWait(driver, 4).until(EC.element_to_be_clickable(by_testid("vote-later")))
        except TimeoutException:
            return put_off
        later.click()
        put_off += 1


def item_titles(driver) -> list[str]:
    return [e.get_attribute("data-title") for e in driver.find_elements(*by_testid("sec-item"))]


def item_named(driver, title: str):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid="sec-item"][data-title="{title}"]')


def test_secretary_prepares_and_publishes_a_meeting_a_member_reads_it(app_binary, demo_server, tmp_path, out_dir):
    # 12 MB: it goes to the server in two parts, with a progress bar.
    pdf = small_pdf(tmp_path / "bao_cao_chuyen_doi_so.pdf", "E-Cabinet: bao cao chuyen doi so", pad_to=12_000_000)
    env = {"ECABINET_SERVER_URL": demo_server.url}

    sec_home = tmp_path / "secretary"
    with launch_app(app_binary, sec_home / "data", sec_home / "webview", sec_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol(driver, demo_server, demo_server.account("secretary"))
        assert put_off_open_votes(driver) >= 1
        # The workspace is offered because this user is a committee's secretary.
        wait.until(EC.element_to_be_clickable(by_testid("nav-secretary"))).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("screen-title"), "Chuẩn bị cuộc họp"))

        # A form with a missing time is refused with a sentence, nothing sent.
        driver.find_element(*by_testid("sec-title")).send_keys(MEETING)
        driver.find_element(*by_testid("sec-create")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-error"), "Vui lòng chọn ngày và giờ hợp lệ."))
        set_input(driver, driver.find_element(*by_testid("sec-starts")), "2026-12-21T08:30")
        driver.find_element(*by_testid("sec-location")).send_keys("Phòng họp tầng 3")
        shot(driver, out_dir, "sec-01-new-meeting-vi")
        driver.find_element(*by_testid("sec-create")).click()

        # The draft comes back through the sync.
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-meeting-title"), MEETING))
        assert driver.find_element(*by_testid("sec-status")).get_attribute("data-status") == "draft"
        assert "Bản nháp" in driver.find_element(*by_testid("sec-draft-note")).text

        for title in (ITEM_1, ITEM_2):
            driver.find_element(*by_testid("sec-item-input")).send_keys(title)
            driver.find_element(*by_testid("sec-add-item")).click()
            wait.until(lambda d, t=title: t in item_titles(d))
        assert item_titles(driver) == [ITEM_1, ITEM_2]

        # Keyboard users reorder with the buttons: item 2 up, then back down.
        item_named(driver, ITEM_2).find_element(*by_testid("sec-up")).click()
        wait.until(lambda d: item_titles(d) == [ITEM_2, ITEM_1])
        assert item_named(driver, ITEM_2).find_element(*by_testid("sec-up")).get_attribute("disabled") is not None
        item_named(driver, ITEM_2).find_element(*by_testid("sec-down")).click()
        wait.until(lambda d: item_titles(d) == [ITEM_1, ITEM_2])

        # The time planned for the first item and its speaking turns; a
        # nonsense figure is refused here, before anything is sent.
        item_named(driver, ITEM_1).find_element(*by_testid("sec-timing")).click()
        form = wait.until(lambda d: item_named(d, ITEM_1).find_element(*by_testid("sec-timing-form")))
        form.find_element(*by_testid("sec-timing-planned")).send_keys("abc")
        form.find_element(*by_testid("sec-timing-save")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-error"), "số phút nguyên"))
        planned = form.find_element(*by_testid("sec-timing-planned"))
        set_input(driver, planned, "15")
        form.find_element(*by_testid("sec-timing-limit")).send_keys("2,5")
        form.find_element(*by_testid("sec-timing-save")).click()
        wait.until(lambda d: "Dự kiến 15 phút" in item_named(d, ITEM_1).find_element(*by_testid("sec-item-timing")).text)
        assert "mỗi lượt phát biểu 2.5 phút" in item_named(driver, ITEM_1).find_element(*by_testid("sec-item-timing")).text

        # Attach the PDF to the first item; its title is proposed from the file name.
        item_named(driver, ITEM_1).find_element(*by_testid("sec-attach")).click()
        form = wait.until(lambda d: item_named(d, ITEM_1).find_element(*by_testid("sec-attach-form")))
        choose_file(driver, form, pdf)
        title = form.find_element(*by_testid("sec-doc-title"))
        assert title.get_attribute("value") == "bao cao chuyen doi so"
        title.clear()
        title.send_keys(DOC)
        # Every state of the progress bar is recorded as the page changes.
        driver.execute_script(
            """
            window.__progress = [];
            new MutationObserver(() => {
              const p = document.querySelector('[data-testid="sec-upload-progress"]');
              if (p) window.__progress.push([Number(p.value), Number(p.max)]);
            }).observe(document.body, { subtree: true, childList: true, attributes: true });
            """
        )
        form.find_element(*by_testid("sec-upload")).click()
        doc = f'[data-testid="sec-item"][data-title="{ITEM_1}"] [data-testid="sec-document"][data-title="{DOC}"]'
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{doc} [data-testid="sec-version"][data-status="draft"]'))
        # The bar showed the server's progress part by part, up to the whole file.
        progress = driver.execute_script("return window.__progress")
        size = pdf.stat().st_size
        values = [v for v, m in progress if m == size]
        assert values and values == sorted(values), progress
        assert values[-1] == size and len(set(values)) >= 2, progress
        assert not driver.find_elements(*by_testid("sec-upload-progress")), "the bar stayed after the upload"
        assert "1 phiên bản tài liệu chưa công bố" in driver.find_element(*by_testid("sec-pending")).text
        shot(driver, out_dir, "sec-02-draft-agenda-with-pdf-vi")

        # Publish, after a confirmation that says what will go out.
        driver.find_element(*by_testid("sec-publish")).click()
        dialog = wait.until(EC.visibility_of_element_located(by_testid("sec-confirm")))
        assert MEETING in dialog.text and "1 phiên bản" in dialog.text
        shot(driver, out_dir, "sec-03-confirm-publish-vi")
        driver.find_element(*by_testid("sec-confirm-yes")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-info"), "Đã công bố"))
        wait.until(lambda d: d.find_element(*by_testid("sec-status")).get_attribute("data-status") == "published")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{doc} [data-testid="sec-version"][data-status="published"]'))
        assert not driver.find_elements(*by_testid("sec-publish")), "nothing left to publish"
        shot(driver, out_dir, "sec-04-published-vi")

        # Once members can see the meeting, an item is withdrawn with a reason
        # instead of deleted; a withdrawal without a reason is refused here.
        assert not item_named(driver, ITEM_2).find_elements(*by_testid("sec-delete"))
        item_named(driver, ITEM_2).find_element(*by_testid("sec-withdraw")).click()
        form = wait.until(lambda d: item_named(d, ITEM_2).find_element(*by_testid("sec-withdraw-form")))
        form.find_element(*by_testid("sec-withdraw-submit")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-error"), "Hãy ghi lý do rút"))
        form.find_element(*by_testid("sec-withdraw-reason")).send_keys(REASON)
        form.find_element(*by_testid("sec-withdraw-submit")).click()
        wait.until(lambda d: item_named(d, ITEM_2).find_elements(*by_testid("sec-item-withdrawn")))
        assert REASON in item_named(driver, ITEM_2).text
        assert item_titles(driver) == [ITEM_1, ITEM_2], "a withdrawn item stays on the agenda"
        shot(driver, out_dir, "sec-04b-item-withdrawn-vi")

    member_home = tmp_path / "member"
    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol(driver, demo_server, demo_server.account("member"))
        # A member is offered no workspace.
        assert not driver.find_elements(*by_testid("nav-secretary"))
        wait.until(EC.text_to_be_present_in_element(by_testid("meetings-upcoming"), MEETING))
        card = next(c for c in driver.find_elements(*by_testid("meeting-card")) if MEETING in c.text)
        WebDriverWait(driver, 60).until(
            lambda d: next(c for c in d.find_elements(*by_testid("meeting-card")) if MEETING in c.text)
            .find_element(*by_testid("meeting-sync")).get_attribute("data-state") == "downloaded"
        )
        shot(driver, out_dir, "sec-05-member-meetings-vi")
        card = next(c for c in driver.find_elements(*by_testid("meeting-card")) if MEETING in c.text)
        card.click()
        wait.until(EC.text_to_be_present_in_element(by_testid("meeting-title"), MEETING))
        items = [e.find_element(By.CSS_SELECTOR, ".agenda-title").text for e in driver.find_elements(*by_testid("agenda-item"))]
        assert items == [ITEM_1, ITEM_2]
        assert DOC in driver.find_element(*by_testid("document")).text
        # The withdrawn item is still there, marked, with the secretary's reason.
        withdrawn = driver.find_elements(*by_testid("agenda-item"))[1]
        assert withdrawn.find_elements(*by_testid("agenda-withdrawn"))
        assert REASON in withdrawn.find_element(*by_testid("agenda-withdrawn-reason")).text
        assert not driver.find_elements(*by_testid("agenda-item"))[0].find_elements(*by_testid("agenda-withdrawn"))
        shot(driver, out_dir, "sec-06-member-meeting-vi")

        driver.find_element(*by_testid("version-open")).click()
        image = wait.until(EC.presence_of_element_located(by_testid("page-image")))
        wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0)
        assert image.get_attribute("src").startswith("ecabinet://localhost/page/")
        shot(driver, out_dir, "sec-07-member-opens-pdf-vi")
