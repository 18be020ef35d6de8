"""Comments on drafts before the meeting (góp ý dự thảo), through real
windows against a real sync server, one app after the other, each with its
own data.

A member opens the published draft resolution of the demo's second meeting,
writes a comment in Vietnamese on the page shown and sends it: it goes
through the outbox and shows as the server's, not yet answered. The
secretary's app sees it under its page with the member's name, refuses to
send "giải trình" without a reply, accepts it with a reply, and exports the
summary table (bảng tổng hợp ý kiến) into Downloads: pdftotext finds the
member's name and the comment in the PDF. The member's app, started again,
shows the secretary's answer, and the member comments on a region of the
page, chosen by dragging over it."""

import subprocess
import unicodedata
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from conftest import by_testid, launch_app, shot
from test_secretary import PIN, enrol, put_off_open_votes
from test_signatures import open_document

MEETING = "Phiên họp chuyên đề về chuyển đổi số"
DOC = "Dự thảo Nghị quyết về chương trình chuyển đổi số 2026–2030"
COMMENT = "Đề nghị bổ sung chỉ tiêu về tỷ lệ hồ sơ dịch vụ công trực tuyến toàn trình vào mục tiêu năm 2027."
REPLY = "Tiếp thu, đã bổ sung vào Điều 2 của dự thảo."
REGION_COMMENT = "Bảng số liệu ở vùng này cần ghi rõ nguồn."


def open_comments(driver, wait):
    """From the meetings list: the meeting, the draft, then its comment panel."""
    card = wait.until(lambda d: next((c for c in d.find_elements(*by_testid("meeting-card")) if MEETING in c.text), None))
    card.click()
    wait.until(EC.text_to_be_present_in_element(by_testid("meeting-title"), MEETING))
    open_document(driver, wait, DOC)
    driver.find_element(*by_testid("comments-open")).click()
    wait.until(EC.visibility_of_element_located(by_testid("comments-panel")))


def comments(driver) -> list[dict]:
    """The server's comments as the panel shows them (read in one script: the panel reloads under a wait)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=comment]')].map(e => ({"
        " id: e.dataset.id, status: e.dataset.status, page: e.dataset.page,"
        " author: e.querySelector('[data-testid=comment-author]').textContent.trim(),"
        " text: e.querySelector('[data-testid=comment-body]').textContent,"
        " reply: e.querySelector('[data-testid=comment-reply-text]')?.textContent ?? null }))")


def queued(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=comment-queued]')].map(e => e.dataset.state)")


def drag_over_page(driver, page: int, frm: tuple[float, float], to: tuple[float, float]):
    """A mouse drag over page `page` (0-based) between two points given as
    fractions of the page."""
    box = driver.execute_script(
        f"const r = document.querySelector('[data-page=\"{page}\"].page').getBoundingClientRect();"
        "return {left: r.left, top: r.top, width: r.width, height: r.height};")
    at = lambda f: (int(box["left"] + f[0] * box["width"]), int(box["top"] + f[1] * box["height"]))
    actions = ActionBuilder(driver, mouse=PointerInput(interaction.POINTER_MOUSE, "mouse"), duration=30)
    actions.pointer_action.move_to_location(*at(frm)).pointer_down()
    for k in range(1, 5):
        actions.pointer_action.move_to_location(*at((frm[0] + (to[0] - frm[0]) * k / 4, frm[1] + (to[1] - frm[1]) * k / 4)))
    actions.pointer_action.pointer_up()
    actions.perform()


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", " ".join(s.split()))


def test_a_member_comments_on_a_draft_and_the_secretary_answers_it(app_binary, demo_server, tmp_path, out_dir):
    member, sec = demo_server.account("member"), demo_server.account("secretary")
    env = {"ECABINET_SERVER_URL": demo_server.url}

    member_home = tmp_path / "member"
    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 60)
        enrol(driver, demo_server, member)
        put_off_open_votes(driver)
        open_comments(driver, wait)
        wait.until(EC.visibility_of_element_located(by_testid("comments-none")))
        driver.find_element(*by_testid("comment-text")).send_keys(COMMENT)
        scope = Select(driver.find_element(*by_testid("comment-scope")))
        scope.select_by_value("page")
        assert "trang 1" in scope.first_selected_option.text
        driver.find_element(*by_testid("comment-send")).click()
        # Kept on the device, then taken by the server: the queued item gives way to the server's comment.
        wait.until(lambda d: [c["text"] for c in comments(d)] == [COMMENT] and not queued(d))
        mine = comments(driver)[0]
        assert (mine["status"], mine["page"], mine["author"]) == ("open", "1", member["display_name"]), mine
        assert driver.find_element(*by_testid("comment-text")).get_attribute("value") == ""
        assert driver.find_element(*by_testid("comment-status")).text == "Chưa xử lý"
        assert not driver.find_elements(*by_testid("comment-respond-accepted"))
        shot(driver, out_dir, "comments-01-member-sent-vi")

    sec_home = tmp_path / "secretary"
    downloads = sec_home / "Downloads"
    downloads.mkdir(parents=True)
    (sec_home / "config").mkdir()
    # Where the desktop says Downloads is (xdg-user-dirs): the summary goes there.
    (sec_home / "config" / "user-dirs.dirs").write_text(f'XDG_DOWNLOAD_DIR="{downloads}"\n')
    sec_env = {**env, "XDG_CONFIG_HOME": str(sec_home / "config")}
    with launch_app(app_binary, sec_home / "data", sec_home / "webview", sec_home, sec_env) as driver:
        wait = WebDriverWait(driver, 60)
        enrol(driver, demo_server, sec)
        put_off_open_votes(driver)
        open_comments(driver, wait)
        wait.until(lambda d: len(comments(d)) == 1)
        assert comments(driver) == [mine], comments(driver)
        group = driver.find_element(By.CSS_SELECTOR, '[data-testid="comment-group"][data-page="1"]')
        assert "Trang 1" in group.text
        assert "chưa xử lý 1" in driver.find_element(*by_testid("comments-counts")).text
        # "Giải trình" needs a reply: said here, nothing is sent.
        driver.find_element(*by_testid("comment-respond-answered")).click()
        wait.until(EC.visibility_of_element_located(by_testid("comment-respond-error")))
        assert comments(driver)[0]["status"] == "open"
        driver.find_element(*by_testid("comment-reply-input")).send_keys(REPLY)
        driver.find_element(*by_testid("comment-respond-accepted")).click()
        wait.until(lambda d: [(c["status"], c["reply"]) for c in comments(d)] == [("accepted", REPLY)])
        assert sec["display_name"] in driver.find_element(*by_testid("comment")).text
        assert "tiếp thu 1" in driver.find_element(*by_testid("comments-counts")).text
        shot(driver, out_dir, "comments-02-secretary-accepted-vi")

        driver.find_element(*by_testid("comments-export")).click()
        path = wait.until(EC.visibility_of_element_located(by_testid("comments-export-path"))).text.strip()
        shot(driver, out_dir, "comments-03-summary-exported-vi")
        summary = Path(path)
        assert summary.parent == downloads and summary.suffix == ".pdf" and summary.is_file(), path

    # In content order (-raw) each cell's lines follow each other.
    text = nfc(subprocess.run(["pdftotext", "-raw", str(summary), "-"], capture_output=True, text=True,
                              check=True, timeout=60).stdout)
    for expected in ("BẢNG TỔNG HỢP Ý KIẾN GÓP Ý", member["display_name"], COMMENT, "Tiếp thu"):
        assert nfc(expected) in text, (expected, text)

    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 60)
        wait.until(EC.visibility_of_element_located(by_testid("unlock-pin"))).send_keys(PIN)
        driver.find_element(*by_testid("unlock-submit")).click()
        wait.until(EC.visibility_of_element_located(by_testid("meeting-card")))
        put_off_open_votes(driver)
        open_comments(driver, wait)
        wait.until(lambda d: [(c["status"], c["reply"]) for c in comments(d)] == [("accepted", REPLY)])
        assert driver.find_element(*by_testid("comment-status")).text == "Tiếp thu"
        assert sec["display_name"] in driver.find_element(*by_testid("comment")).text
        shot(driver, out_dir, "comments-04-member-sees-the-answer-vi")
        driver.find_element(*by_testid("lang-switch")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("comment-status"), "Accepted"))
        shot(driver, out_dir, "comments-05-member-sees-the-answer-en")

        # A comment on a region of the page, chosen by dragging over it.
        driver.find_element(*by_testid("comment-pick-region")).click()
        wait.until(EC.visibility_of_element_located(by_testid("region-hint")))
        drag_over_page(driver, 0, (0.2, 0.15), (0.6, 0.35))
        chosen = wait.until(EC.visibility_of_element_located(by_testid("comment-region-chosen")))
        assert "page 1" in chosen.text, chosen.text
        assert driver.find_elements(*by_testid("comment-region-box"))
        assert not driver.find_elements(*by_testid("region-hint"))
        shot(driver, out_dir, "comments-06-region-chosen-en")
        driver.find_element(*by_testid("comment-text")).send_keys(REGION_COMMENT)
        driver.find_element(*by_testid("comment-send")).click()
        wait.until(lambda d: any(c["text"] == REGION_COMMENT for c in comments(d)) and not queued(d))
        region = driver.execute_script(
            "return [...document.querySelectorAll('[data-testid=comment]')]"
            ".find(e => e.querySelector('[data-testid=comment-body]').textContent === arguments[0]).dataset.region",
            REGION_COMMENT)
        x, y, w, h = (float(v) for v in region.split(","))
        for got, want in ((x, 0.2), (y, 0.15), (w, 0.4), (h, 0.2)):
            assert abs(got - want) < 0.02, (region, (0.2, 0.15, 0.4, 0.2))
        assert not driver.find_elements(*by_testid("comment-region-chosen")), "the region goes with the comment sent"
