"""Votes through the real window against a real sync server.

Scenario 3: the chair (driven through the server's chair API, as a second
device would) opens a motion; the member's app pops the vote dialog up; the
member votes; the chair's count goes up; the published result shows as a chart.

Scenario 4: the server goes away, the member votes on the written
consultation (the ballot is signed and kept on the device as pending), the
server comes back, and the ballot turns accepted with nobody touching the app.
"""

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import by_testid, free_port, launch_app, new_enrol_code, shot

PIN = "1357"


class Server:
    """A seeded sync server that the test can stop and start again on the same
    address and data, as when the meeting room's network goes down."""

    def __init__(self, binary: Path, data: Path):
        self.binary, self.data = binary, data
        seeded = subprocess.run(
            [str(binary), "seed-demo", "--data-dir", str(data)],
            capture_output=True, text=True, check=True, timeout=120,
        )
        self.summary = json.loads(seeded.stdout)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        log = open(self.data / "server.log", "ab")
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", "--data-dir", str(self.data), "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE, stderr=log,
        )
        first = self.proc.stdout.readline().decode().strip()
        assert first == f"listening on {self.url}", f"unexpected first line: {first!r}"
        threading.Thread(target=lambda p=self.proc: [None for _ in p.stdout], daemon=True).start()

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None

    def account(self, role: str) -> dict:
        return next(a for a in self.summary["accounts"] if a["role"] == role)

    def enrol_code(self, username: str) -> str:
        return new_enrol_code(self.binary, self.data, username)

    def call(self, method: str, path: str, token: str | None = None, body=None):
        req = urllib.request.Request(self.url + path, method=method)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, data=data, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def login(self, role: str) -> str:
        a = self.account(role)
        return self.call("POST", "/v1/login", body={"username": a["username"], "password": a["password"]})["token"]


@pytest.fixture(scope="module")
def server(server_binary, tmp_path_factory):
    s = Server(server_binary, tmp_path_factory.mktemp("vote-server"))
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def member_home(tmp_path_factory):
    return tmp_path_factory.mktemp("voter")


def enrol(driver, server: Server, member: dict):
    wait = WebDriverWait(driver, 30)
    wait.until(EC.visibility_of_element_located(by_testid("server-url")))
    driver.find_element(*by_testid("username")).send_keys(member["username"])
    driver.find_element(*by_testid("password")).send_keys(member["password"])
    driver.find_element(*by_testid("enrol-code")).send_keys(server.enrol_code(member["username"]))
    driver.find_element(*by_testid("pin")).send_keys(PIN)
    driver.find_element(*by_testid("pin-confirm")).send_keys(PIN)
    driver.find_element(*by_testid("enrol-submit")).click()
    wait.until(EC.visibility_of_element_located(by_testid("meeting-card")))


def dialog_for(driver, motion_id: str):
    els = driver.find_elements(By.CSS_SELECTOR, f'[data-testid="vote-dialog"][data-motion="{motion_id}"]')
    return els[0] if els else None


def ballot_state(driver) -> str | None:
    els = driver.find_elements(By.CSS_SELECTOR, '[data-testid="vote-dialog"] [data-testid="ballot-state"]')
    return els[0].get_attribute("data-state") if els else None


def where_it_stands(driver, home: Path, server: Server) -> str:
    """What a failed wait saw: the ballot, the status bar, the app's and the server's last words."""
    def text(testid):
        els = driver.find_elements(*by_testid(testid))
        return els[0].text.strip() if els else None

    def tail(path: Path, n=15):
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
        except OSError as e:
            return f"({e})"

    logs = "\n".join(f"--- {p.name}\n{tail(p)}" for p in sorted(home.glob("tauri-driver-*.log")))
    return (
        f"{ballot_state(driver)!r}; online {text('status-online')!r}, pending {text('status-pending')!r}, "
        f"error {text('status-error')!r}\n{logs}\n--- server.log\n{tail(server.data / 'server.log')}"
    )


def test_chair_opens_a_motion_the_member_votes_and_the_count_and_result_follow(app_binary, server, member_home, out_dir):
    chair = server.login("chair")
    # The seeded live vote is closed first, so the dialog that pops up is the new one.
    seeded = server.call("POST", f"/v1/motions/{server.summary['live_motion_id']}/close", chair)
    # The seed put that motion's item on the floor; the new motion goes there too.
    current = seeded["agenda_item_id"]
    written = server.summary["written_consultation_id"]
    member = server.account("member")
    env = {"ECABINET_SERVER_URL": server.url}
    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol(driver, server, member)

        # The written consultation is open: it pops up at once; the member puts it off.
        wait.until(lambda d: dialog_for(d, written))
        assert "Lấy ý kiến bằng văn bản" in driver.find_element(*by_testid("vote-question")).text
        options = [o.text for o in driver.find_elements(*by_testid("vote-option"))]
        assert options == ["Đồng ý", "Không đồng ý", "Không biểu quyết"]
        shot(driver, out_dir, "votes-01-written-consultation-popup-vi")
        driver.find_element(*by_testid("vote-later")).click()
        wait.until(lambda d: dialog_for(d, written) is None)

        # The member reads the meeting while the chair prepares a motion on the current item.
        next(c for c in driver.find_elements(*by_testid("meeting-card")) if server.summary["meetings"][0]["title"] in c.text).click()
        wait.until(EC.visibility_of_element_located(by_testid("floor")))
        motion = server.call("POST", f"/v1/agenda/{current}/motions", chair, {
            "question": "Thông qua danh mục dự án đầu tư công khởi công mới năm 2027",
            "kind": "named", "majority": "simple", "quorum": 1, "mode": "live", "grace_ms": 0,
        })
        opened = time.monotonic()
        server.call("POST", f"/v1/motions/{motion['id']}/open", chair)
        wait.until(lambda d: dialog_for(d, motion["id"]))
        shown = time.monotonic() - opened
        print(f"motion opened by the chair -> vote dialog on the member's screen: {shown:.2f} s (goal <= 2 s)")
        (out_dir / "vote-popup-latency.txt").write_text(f"{shown:.3f} s from the chair's open call to the dialog (goal <= 2 s)\n")
        assert "khởi công mới năm 2027" in driver.find_element(*by_testid("vote-question")).text
        shot(driver, out_dir, "votes-02-motion-popup-vi")
        # The same sync round raised a notice (banner + desktop notification).
        notice = wait.until(lambda d: next((n for n in d.find_elements(By.CSS_SELECTOR, '[data-testid="notice"][data-kind="motion_opened"]')
                                            if "khởi công mới năm 2027" in n.text), None))
        assert notice.text.startswith("Biểu quyết mới:")

        before = server.call("GET", f"/v1/motions/{motion['id']}/result", chair)["chair"]
        assert before["received"] == 0
        assert member["user_id"] in before["not_voted"]

        # The member agrees; the ballot is recorded at once, then confirmed by the server.
        driver.find_element(By.CSS_SELECTOR, '[data-testid="vote-option"][data-choice="0"]').click()
        wait.until(lambda d: ballot_state(d) is not None)
        assert ballot_state(driver) in ("pending", "sent", "accepted")
        wait.until(lambda d: ballot_state(d) == "accepted")
        assert "Đã được ghi nhận" in driver.find_element(*by_testid("ballot-state")).text
        shot(driver, out_dir, "votes-03-ballot-accepted-vi")

        after = server.call("GET", f"/v1/motions/{motion['id']}/result", chair)["chair"]
        assert after["received"] == before["received"] + 1
        assert member["user_id"] not in after["not_voted"]
        assert after["not_voted_count"] == before["not_voted_count"] - 1

        # The chair closes the vote (no grace period); reading the final result publishes it.
        driver.find_element(*by_testid("vote-close")).click()
        server.call("POST", f"/v1/motions/{motion['id']}/close", chair)
        result = server.call("GET", f"/v1/motions/{motion['id']}/result", chair)
        assert result["finality"] == "final" and result["counts"][0] == 1
        card = f'[data-testid="motion"][data-motion="{motion["id"]}"]'
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{card} [data-testid="result"]'))
        chart = driver.find_element(By.CSS_SELECTOR, f'{card} [data-testid="result"]')
        assert chart.get_attribute("data-final") == "true"
        bars = chart.find_elements(*by_testid("result-bar"))
        assert [b.get_attribute("data-count") for b in bars] == [str(c) for c in result["counts"]]
        assert "Đồng ý" in bars[0].text and "100" in bars[0].text
        outcome = {"adopted": "Thông qua", "rejected": "Không thông qua", "no_quorum": "Không đủ túc số"}[result["outcome"]]
        assert chart.find_element(*by_testid("result-outcome")).text == outcome
        assert "Túc số" in chart.find_element(*by_testid("result-quorum")).text
        driver.execute_script("arguments[0].scrollIntoView()", chart)
        shot(driver, out_dir, "votes-04-result-chart-vi")

        # The same screen in English.
        driver.find_element(*by_testid("lang-switch")).click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, f'{card} [data-testid="result-quorum"]'), "Quorum"))
        assert "Counted" in driver.find_element(By.CSS_SELECTOR, f'{card} [data-testid="ballot-state"]').text
        shot(driver, out_dir, "votes-05-result-chart-en")
        driver.find_element(*by_testid("lang-switch")).click()


def test_a_ballot_cast_offline_turns_accepted_when_the_server_is_back(app_binary, server, member_home, out_dir):
    written = server.summary["written_consultation_id"]
    chair = server.login("chair")
    before = server.call("GET", f"/v1/motions/{written}/result", chair)["chair"]
    assert before["not_voted"] is None, "a secret ballot names nobody"
    env = {"ECABINET_SERVER_URL": server.url}
    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        pin = wait.until(EC.visibility_of_element_located(by_testid("unlock-pin")))
        pin.send_keys(PIN)
        driver.find_element(*by_testid("unlock-submit")).click()
        wait.until(EC.visibility_of_element_located(by_testid("meeting-card")))
        # Put off in the last run; after a restart it is offered again.
        wait.until(lambda d: dialog_for(d, written))
        wait.until(EC.text_to_be_present_in_element(by_testid("status-online"), "Trực tuyến"))

        server.stop()
        wait.until(EC.text_to_be_present_in_element(by_testid("status-online"), "Ngoại tuyến"))
        driver.find_element(By.CSS_SELECTOR, '[data-testid="vote-option"][data-choice="1"]').click()
        wait.until(lambda d: ballot_state(d) in ("pending", "sent"))
        wait.until(EC.visibility_of_element_located(by_testid("vote-offline")))
        assert "Không đồng ý" in driver.find_element(*by_testid("ballot-state")).text
        assert driver.find_element(*by_testid("status-pending")).text == "Chờ gửi: 1"
        shot(driver, out_dir, "votes-06-offline-ballot-pending-vi")

        # Nobody touches the app from here on.
        server.start()
        try:
            WebDriverWait(driver, 90).until(lambda d: ballot_state(d) == "accepted")
        except TimeoutException:
            shot(driver, out_dir, "votes-06b-offline-ballot-never-accepted")
            raise AssertionError(f"the ballot stayed {where_it_stands(driver, member_home, server)}") from None
        wait.until(EC.text_to_be_present_in_element(by_testid("status-pending"), "Chờ gửi: 0"))
        assert driver.find_element(*by_testid("status-online")).text.strip() == "Trực tuyến"
        shot(driver, out_dir, "votes-07-offline-ballot-accepted-vi")

    after = server.call("GET", f"/v1/motions/{written}/result", chair)["chair"]
    assert after["received"] == before["received"] + 1


def test_the_chair_runs_the_session_from_the_console(app_binary, server, tmp_path, out_dir):
    """The chair's own app: attendance, the floor, a motion from draft to the
    live count, and the speaker queue, all through the console."""
    chair = server.account("chair")
    written = server.summary["written_consultation_id"]
    # Only the written consultation stays open from the seed (when run alone too).
    try:
        server.call("POST", f"/v1/motions/{server.summary['live_motion_id']}/close", server.login("chair"))
    except urllib.error.HTTPError as e:
        assert e.code == 409, e
    members = [a["display_name"] for a in server.summary["accounts"] if a["role"] == "member"]
    title = server.summary["meetings"][0]["title"]
    env = {"ECABINET_SERVER_URL": server.url}
    with launch_app(app_binary, tmp_path / "data", tmp_path / "webview", tmp_path, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol(driver, server, chair)
        wait.until(lambda d: dialog_for(d, written))
        driver.find_element(*by_testid("vote-later")).click()
        wait.until(lambda d: dialog_for(d, written) is None)
        next(c for c in driver.find_elements(*by_testid("meeting-card")) if title in c.text).click()
        wait.until(EC.visibility_of_element_located(by_testid("chair-console")))

        # Attendance: the chair checks in; the panel counts who is present.
        driver.find_element(*by_testid("check-in-room")).click()
        wait.until(lambda d: d.find_element(*by_testid("attendance-me")).get_attribute("data-presence") == "in_room")
        assert "Có mặt" in driver.find_element(*by_testid("attendance-count")).text

        # The floor moves to the first agenda item.
        driver.find_element(*by_testid("chair-set-current")).click()
        wait.until(lambda d: "Khai mạc phiên họp" in d.find_element(
            By.CSS_SELECTOR, '[data-testid="agenda-item"][data-current="true"]').text)
        # The item on the floor shows its time against the 20 minutes the
        # secretary planned, ticking in the server's time.
        elapsed = '[data-testid="agenda-item"][data-current="true"] [data-testid="item-elapsed"]'
        wait.until(lambda d: "dự kiến 20 phút" in d.find_element(By.CSS_SELECTOR, elapsed).text)
        first_text = driver.find_element(By.CSS_SELECTOR, elapsed).text
        assert first_text.startswith("Đã thảo luận 0:0"), first_text
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, elapsed).text != first_text)
        assert driver.find_element(By.CSS_SELECTOR, elapsed).get_attribute("data-over") == "false"

        # Request to speak on it, then give the floor.
        driver.find_element(*by_testid("speak-request")).click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="speaker"][data-status="waiting"]'))
        driver.find_element(*by_testid("speaker-grant")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("speak-state"), "Bạn đang được mời phát biểu"))
        # The speaking timer: time spoken, then 3 minutes set and one added;
        # it counts down in the server's time.
        wait.until(EC.text_to_be_present_in_element(by_testid("speaker-clock"), "Đã phát biểu"))
        driver.find_element(*by_testid("speaker-limit-3")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("speaker-clock"), "Còn 2:5"))
        driver.find_element(*by_testid("speaker-add-minute")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("speaker-clock"), "Còn 3:5"))
        left = int(driver.find_element(*by_testid("speaker-clock")).get_attribute("data-remaining-ms"))
        assert 170_000 < left <= 240_000, left
        shot(driver, out_dir, "votes-08b-speaking-timer-vi")

        # A new motion on the item on the floor, opened from the console.
        driver.find_element(*by_testid("chair-question")).send_keys("Thông qua chương trình phiên họp")
        quorum = driver.find_element(*by_testid("chair-quorum"))
        quorum.clear()
        quorum.send_keys("6")
        driver.find_element(*by_testid("chair-create")).click()
        card = wait.until(lambda d: next((m for m in d.find_elements(*by_testid("motion"))
                                          if "Thông qua chương trình phiên họp" in m.text), None))
        selector = f'[data-testid="motion"][data-motion="{card.get_attribute("data-motion")}"]'

        def in_card(tid: str):
            return driver.find_element(By.CSS_SELECTOR, f'{selector} [data-testid="{tid}"]')

        wait.until(lambda d: in_card("chair-open-motion").is_enabled())
        in_card("chair-open-motion").click()
        received = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{selector} [data-testid="chair-received"]'))[0]
        eligible = int(received.get_attribute("data-eligible"))
        assert received.get_attribute("data-received") == "0" and eligible >= len(members)
        not_voted = in_card("chair-not-voted").text
        assert all(name in not_voted for name in members), not_voted

        # The chair is a voter too: the dialog pops up; the count follows the ballot.
        wait.until(EC.visibility_of_element_located(by_testid("vote-question")))
        assert driver.find_element(*by_testid("vote-question")).text == "Thông qua chương trình phiên họp"
        driver.find_element(By.CSS_SELECTOR, '[data-testid="vote-option"][data-choice="0"]').click()
        wait.until(lambda d: ballot_state(d) == "accepted")
        driver.find_element(*by_testid("vote-close")).click()
        wait.until(lambda d: in_card("chair-received").get_attribute("data-received") == "1")
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", driver.find_element(By.CSS_SELECTOR, selector))
        shot(driver, out_dir, "votes-08-chair-console-vi")

        # Closing starts the grace period for offline devices.
        in_card("chair-close-motion").click()
        wait.until(lambda d: "còn" in in_card("chair-grace").text)
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", driver.find_element(By.CSS_SELECTOR, selector))
        shot(driver, out_dir, "votes-09-chair-grace-vi")
        driver.find_element(*by_testid("lang-switch")).click()
        wait.until(lambda d: "Waiting for offline devices" in in_card("chair-grace").text)
        assert "ballots received" in in_card("chair-received").text
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", driver.find_element(By.CSS_SELECTOR, selector))
        shot(driver, out_dir, "votes-10-chair-console-en")
