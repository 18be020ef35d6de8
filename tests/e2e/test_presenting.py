"""Presenter follow mode (issue 20) in a real window against a real server:
the chair presents from a second real client (the headless `ecabinet`,
over the same core crates as the app: `present` pages of the demo meeting
in session), and a member's app follows. The member is offered the
presentation on the meeting screen, follows it into the viewer at the
presenter's page, sees each page turn, reads on their own (a turn does not
move them), comes back to the presenter's page, follows the presenter into
another document, and sees the end of the presentation."""

import json
import os
import subprocess
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, by_testid, launch_app, shot
from test_comments import drag_over_page
from test_secretary import PIN, enrol, put_off_open_votes

CLI = Path(os.environ.get("ECABINET_CLI_BIN", ROOT / "target" / "debug" / "ecabinet"))


class Chair:
    """The chair's headless client, enrolled in `home`."""

    def __init__(self, server, home: Path):
        assert CLI.is_file(), f"ecabinet not found at {CLI} (cargo build -p ecabinet-cli)"
        self.dir = home
        account = server.account("chair")
        self.env = {**os.environ, "ECABINET_PIN": PIN, "ECABINET_PASSWORD": account["password"],
                    "ECABINET_ENROL_CODE": server.enrol_code(account["username"])}
        self.run("enrol", "--server", server.url, "--user", account["username"])
        self.run("sync")

    def run(self, *args: str) -> str:
        out = subprocess.run([str(CLI), "--data-dir", str(self.dir), *args], env=self.env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"ecabinet {args}: {out.stderr}"
        return out.stdout

    def present(self, meeting: str, version: str, page: int):
        self.run("present", meeting, "--version-id", version, "--page", str(page))


def two_page_versions(chair: Chair, meeting: str) -> list[tuple[str, str]]:
    """(document title, version id) of the meeting's documents with at least two pages."""
    found = []
    for doc in json.loads(chair.run("documents", "--json")):
        versions = [v for v in doc["versions"] if v.get("verified") and v.get("meeting_id") == meeting]
        if not versions:
            continue
        probe = chair.dir / "probe.png"
        ok = subprocess.run([str(CLI), "--data-dir", str(chair.dir), "render", doc["id"], "--page", "2",
                             "--out", str(probe)], env=chair.env, capture_output=True, timeout=120).returncode == 0
        if ok:
            found.append((doc["title"], versions[-1]["version_id"]))
    return found


def texts(driver, testid: str) -> list[str]:
    """The text of each element with `testid`, as the DOM holds it; none
    while the viewer is being replaced (following into another document)."""
    try:
        return [e.get_attribute("textContent") or "" for e in driver.find_elements(*by_testid(testid))]
    except StaleElementReferenceException:
        return []


def title_is(driver, title: str) -> bool:
    return any(title in t for t in texts(driver, "viewer-title"))


def page_is(driver, n: int) -> bool:
    return any(t.startswith(f"Trang {n}/") for t in texts(driver, "page-indicator"))


def test_a_member_follows_the_chairs_presentation(app_binary, demo_server, tmp_path, out_dir):
    meeting = next(m["id"] for m in demo_server.summary["meetings"] if m["status"] == "in_session")
    chair = Chair(demo_server, tmp_path / "chair")
    docs = two_page_versions(chair, meeting)
    assert len(docs) >= 2, docs
    (first_title, first), (second_title, second) = docs[0], docs[1]

    env = {"ECABINET_SERVER_URL": demo_server.url}
    home = tmp_path / "member"
    with launch_app(app_binary, home / "data", home / "webview", home, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol(driver, demo_server, demo_server.account("member"))
        put_off_open_votes(driver)
        driver.find_element(*by_testid("meeting-card")).click()
        wait.until(EC.presence_of_element_located(by_testid("version-open")))

        # The chair shows page 2 of the first document: offered, then followed.
        chair.present(meeting, first, 2)
        join = wait.until(EC.element_to_be_clickable(by_testid("follow-join")))
        assert "đang trình chiếu" in driver.find_element(*by_testid("follow-offer")).text
        join.click()
        wait.until(lambda d: title_is(d, first_title))
        wait.until(lambda d: page_is(d, 2))
        banner = wait.until(EC.visibility_of_element_located(by_testid("follow-banner")))
        assert "Đang theo dõi" in banner.text, banner.text
        shot(driver, out_dir, "present-01-member-follows-page-2-vi")

        # Turns follow.
        chair.present(meeting, first, 1)
        wait.until(lambda d: page_is(d, 1))

        # Reading on my own: a turn does not move me; back brings me there.
        driver.find_element(*by_testid("follow-leave")).click()
        wait.until(lambda d: d.find_element(*by_testid("follow-banner")).get_attribute("data-following") == "false")
        chair.present(meeting, first, 2)
        time.sleep(3)
        assert page_is(driver, 1), texts(driver, "page-indicator")
        shot(driver, out_dir, "present-02-member-reads-on-own-vi")
        driver.find_element(*by_testid("follow-back")).click()
        wait.until(lambda d: page_is(d, 2))

        # The presenter moves to another document: the viewer follows.
        chair.present(meeting, second, 2)
        wait.until(lambda d: title_is(d, second_title))
        wait.until(lambda d: page_is(d, 2))
        shot(driver, out_dir, "present-03-member-follows-into-another-document-vi")

        # The end of the presentation: the banner goes, reading stays.
        chair.run("present", meeting, "--stop")
        wait.until(lambda d: not d.find_elements(*by_testid("follow-banner")))
        assert page_is(driver, 2)


def open_two_page_document(driver) -> str:
    """Opens, in the chair's app, the first document of the meeting with at
    least two pages; its title as the viewer shows it."""
    wait = WebDriverWait(driver, 30)
    count = len(wait.until(lambda d: d.find_elements(*by_testid("version-open"))))
    for i in range(count):
        driver.find_elements(*by_testid("version-open"))[i].click()
        wait.until(lambda d: any(t.startswith("Trang 1/") for t in texts(d, "page-indicator")))
        total = int(texts(driver, "page-indicator")[0].split("/")[1].strip())
        if total >= 2:
            return texts(driver, "viewer-title")[0]
        driver.find_element(*by_testid("back")).click()
        wait.until(EC.presence_of_element_located(by_testid("version-open")))
    raise AssertionError("the meeting has no document of two pages or more")


def turn_to(driver, page: int):
    """Turns the viewer to `page` (1-based) through the page strip."""
    if not driver.find_element(*by_testid("thumb")).is_displayed():
        driver.find_element(*by_testid("pages-toggle")).click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(*by_testid("thumb"))[page - 1].is_displayed())
    driver.find_elements(*by_testid("thumb"))[page - 1].click()
    WebDriverWait(driver, 10).until(lambda d: page_is(d, page))


def test_two_apps_the_chair_presents_and_a_member_follows(app_binary, demo_server, tmp_path, out_dir):
    """Issue 20's 'done when': two real app instances on one server, the
    chair presenting from the viewer and a member following, each reading
    pages from its own cache."""
    env = {"ECABINET_SERVER_URL": demo_server.url}
    chair_home, member_home = tmp_path / "chair-app", tmp_path / "member-app"
    with launch_app(app_binary, chair_home / "data", chair_home / "webview", chair_home, env) as chair, \
            launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as member:
        enrol(chair, demo_server, demo_server.account("chair"))
        put_off_open_votes(chair)
        enrol(member, demo_server, demo_server.account("member"))
        put_off_open_votes(member)
        member.find_element(*by_testid("meeting-card")).click()
        WebDriverWait(member, 30).until(EC.presence_of_element_located(by_testid("version-open")))

        # The chair opens a document and presents it from page 1.
        chair.find_element(*by_testid("meeting-card")).click()
        title = open_two_page_document(chair)
        WebDriverWait(chair, 30).until(EC.element_to_be_clickable(by_testid("present-start"))).click()
        WebDriverWait(chair, 30).until(EC.visibility_of_element_located(by_testid("presenting-banner")))
        shot(chair, out_dir, "present-two-apps-01-chair-presents-vi")

        # The member, already in the meeting, is offered it and follows.
        wait = WebDriverWait(member, 30)
        wait.until(EC.element_to_be_clickable(by_testid("follow-join"))).click()
        wait.until(lambda d: title_is(d, title))
        wait.until(lambda d: page_is(d, 1))

        # The chair turns to page 2: the member's viewer follows, with the
        # page drawn from the member's own cache.
        started = time.monotonic()
        turn_to(chair, 2)
        wait.until(lambda d: page_is(d, 2))
        print(f"chair's turn to the member's page indicator: {time.monotonic() - started:.2f} s "
              "(two apps under Xvfb, WebDriver polling included)")
        wait.until(lambda d: any(e.is_displayed() for e in d.find_elements(*by_testid("page-image"))))
        shot(member, out_dir, "present-two-apps-02-member-follows-page-2-vi")

        # The chair points at a region of page 2: the member sees it marked
        # at the same place of the page; the chair clears it.
        chair.find_element(*by_testid("present-region")).click()
        WebDriverWait(chair, 10).until(EC.visibility_of_element_located(by_testid("region-hint")))
        drag_over_page(chair, 1, (0.1, 0.2), (0.7, 0.45))
        marked = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-page="1"] [data-testid="presenter-region"]'))
        style = marked[0].get_attribute("style")
        placed = {k.strip(): float(v.strip().rstrip("%")) for k, v in (p.split(":") for p in style.split(";") if ":" in p)}
        for side, want in (("left", 10), ("top", 20), ("width", 60), ("height", 25)):
            assert abs(placed[side] - want) < 1, (style, side, want)
        shot(member, out_dir, "present-two-apps-03-member-sees-the-region-vi")
        WebDriverWait(chair, 10).until(EC.element_to_be_clickable(by_testid("present-region-clear"))).click()
        wait.until(lambda d: not d.find_elements(*by_testid("presenter-region")))

        # The member reads on their own; the chair's next turn does not move
        # them, and "back to the presenter" does.
        member.find_element(*by_testid("follow-leave")).click()
        wait.until(lambda d: d.find_element(*by_testid("follow-banner")).get_attribute("data-following") == "false")
        turn_to(chair, 1)
        time.sleep(3)
        assert page_is(member, 2), texts(member, "page-indicator")
        member.find_element(*by_testid("follow-back")).click()
        wait.until(lambda d: page_is(d, 1))

        # The chair stops: the member's banner goes and the page stays.
        chair.find_element(*by_testid("present-stop")).click()
        wait.until(lambda d: not d.find_elements(*by_testid("follow-banner")))
        assert page_is(member, 1)
        shot(member, out_dir, "present-two-apps-04-presentation-ended-vi")
