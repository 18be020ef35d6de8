"""Signatures embedded in documents (issue 19), through real windows against
a real sync server, with PDFs pyHanko signs in the test
(tests/pades/make_signed.py: a throw-away root, intermediate and signer
"Nguyễn Văn An").

The administrator's app, an enrolled device as the server requires, sets
the deployment's trusted roots in "Quản trị" → "Chứng thư số gốc": a block
that is no certificate is refused with the server's reason, then root.pem
chosen in the file picker is saved and listed with its fingerprint (the
server's own CLI, `ecabinet-server trusted-roots` on the running server's
data directory, reads back the same root). The secretary attaches the
validly signed PDF and the one changed after signing, and publishes them.
A member's app, enrolled after the roots were set (so its first sync
fetches them), opens the valid document: a green badge (data-verdict
"valid") with the signer's name, whose details list the signature; then
the changed one: the red banner across the page area, while the page image
still renders (a broken signature never keeps a document from being read).

The chair signs a published document of the demo meeting with a USB token
(SoftHSM2, provisioned with softhsm2-util and OpenSC's pkcs11-tool as a CA's
operator would): a wrong PIN is refused by the token, said in the app and
nothing is uploaded; the right one signs, the signed file becomes the next
(draft) version, and the server's check at upload finds it valid."""

import base64
import hashlib
import json
import subprocess
import time
from pathlib import Path

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, by_testid, launch_app, shot
from test_admin import enrol_with
from test_secretary import choose_file, enrol, item_named, put_off_open_votes, set_input

MEETING = "Phiên họp thẩm định văn bản có chữ ký số"
ITEM_VALID = "Quyết định phê duyệt đề án (bản ký số)"
ITEM_MODIFIED = "Quyết định phê duyệt đề án (bản bị sửa sau khi ký)"
DOC_VALID = "Quyết định đã ký số"
DOC_MODIFIED = "Quyết định bị sửa sau khi ký"
SIGNER = "Nguyễn Văn An"
SIGNER_ORG = "Ủy ban nhân dân tỉnh Thử nghiệm"
ROOT_NAME = "E-Cabinet Test Root CA"
NOT_A_CERTIFICATE = (
    "-----BEGIN CERTIFICATE-----\n"
    + base64.b64encode("Đây không phải chứng thư số".encode()).decode()
    + "\n-----END CERTIFICATE-----\n"
)


def signed_pdfs(tmp: Path) -> Path:
    """valid.pdf, modified.pdf, root.pem, … from the fixture script, with
    keys made afresh for this run."""
    out = tmp / "pades"
    subprocess.run(
        [str(ROOT / ".tools" / "py" / "bin" / "python"), str(ROOT / "tests" / "pades" / "make_signed.py"), str(out)],
        check=True, capture_output=True, timeout=300,
    )
    for name in ("valid.pdf", "modified.pdf", "root.pem"):
        assert (out / name).is_file(), f"make_signed.py wrote no {name}"
    return out


def pem_sha256(pem: Path) -> str:
    """The SHA-256 of the certificate in a one-block PEM file (what the
    administrator's table and the server's view show)."""
    lines = pem.read_text().strip().splitlines()
    body = "".join(lines[lines.index("-----BEGIN CERTIFICATE-----") + 1:lines.index("-----END CERTIFICATE-----")])
    return hashlib.sha256(base64.b64decode(body)).hexdigest()


def server_roots(server) -> dict:
    """The trusted roots as the server holds them, through its own CLI on
    the running server's data directory (it shares it with `serve`, as
    `enrol-code` does)."""
    out = subprocess.run(
        [str(server.binary), "trusted-roots", "--data-dir", str(server.data)],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return json.loads(out.stdout)


def choose_certificate(driver, path: Path):
    """Puts a file into the trusted roots' file input, as the file dialog would."""
    el = driver.find_element(*by_testid("trusted-roots-file"))
    try:
        el.send_keys(str(path))
    except Exception:  # noqa: BLE001 - a driver without file upload: fall through to the check below
        pass
    if driver.execute_script("return arguments[0].files.length", el) == 0:
        driver.execute_script(
            """
            const [el, b64, name] = arguments;
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name));
            el.files = dt.files;
            el.dispatchEvent(new Event("change", { bubbles: true }));
            """,
            el, base64.b64encode(path.read_bytes()).decode(), path.name,
        )


def attach(driver, wait, item: str, pdf: Path, title: str, verdict: str):
    driver.find_element(*by_testid("sec-item-input")).send_keys(item)
    driver.find_element(*by_testid("sec-add-item")).click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid="sec-item"][data-title="{item}"]'))
    # The workspace may re-render under the form when a sync lands (the new
    # item's own): the form is opened again until its parts take input.
    for attempt in range(3):
        try:
            item_named(driver, item).find_element(*by_testid("sec-attach")).click()
            form = wait.until(lambda d: item_named(d, item).find_element(*by_testid("sec-attach-form")))
            choose_file(driver, form, pdf)
            name = wait.until(lambda d: next((e for e in item_named(d, item).find_elements(*by_testid("sec-doc-title"))
                                              if e.is_displayed() and e.is_enabled()), None))
            set_input(driver, name, title)
            wait.until(lambda d: item_named(d, item).find_element(*by_testid("sec-upload")).is_enabled())
            item_named(driver, item).find_element(*by_testid("sec-upload")).click()
            break
        except WebDriverException:
            if attempt == 2:
                raise
            time.sleep(1)
    # Accepted as a draft: a broken signature is no reason to refuse a file.
    doc = f'[data-testid="sec-item"][data-title="{item}"] [data-testid="sec-document"][data-title="{title}"]'
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{doc} [data-testid="sec-version"][data-status="draft"]'))
    # The server checked its signature at upload, and the secretary sees it.
    check = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{doc} [data-testid="sec-signature-check"]'))[0]
    assert check.get_attribute("data-verdict") == verdict, check.text
    if verdict == "valid":
        assert "Nguyễn Văn An" in check.text, check.text


def open_document(driver, wait, title: str):
    document = wait.until(lambda d: next(
        (x for x in d.find_elements(*by_testid("document")) if title in x.text
         and x.find_elements(*by_testid("version-open"))), None))
    document.find_element(*by_testid("version-open")).click()
    image = wait.until(EC.presence_of_element_located(by_testid("page-image")))
    wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0)
    return image


def test_the_member_sees_a_valid_signature_and_a_broken_one(app_binary, demo_server, tmp_path, out_dir):
    pades = signed_pdfs(tmp_path)
    root_sha = pem_sha256(pades / "root.pem")
    env = {"ECABINET_SERVER_URL": demo_server.url}

    admin = demo_server.account("admin")
    admin_home = tmp_path / "admin"
    with launch_app(app_binary, admin_home / "data", admin_home / "webview", admin_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol_with(driver, admin["username"], admin["password"], demo_server.enrol_code(admin["username"]), "lock-button")
        wait.until(EC.element_to_be_clickable(by_testid("nav-admin"))).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("screen-title"), "Quản trị hệ thống"))
        driver.find_element(*by_testid("admin-tab-roots")).click()
        # The demo deployment trusts no root yet, and says what that means.
        none = wait.until(EC.visibility_of_element_located(by_testid("trusted-roots-none")))
        assert "chưa xác thực" in none.text, none.text
        assert "lần đồng bộ tiếp theo" in driver.find_element(*by_testid("trusted-roots-sync-note")).text

        # A block that is no certificate: the server refuses it and says why.
        set_input(driver, driver.find_element(*by_testid("trusted-roots-pem")), NOT_A_CERTIFICATE)
        driver.find_element(*by_testid("trusted-roots-save")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("admin-error"), "Máy chủ không nhận danh sách"))
        reason = driver.find_element(*by_testid("trusted-roots-refusal")).text
        assert "not a certificate" in reason and "server refused" not in reason, reason
        assert server_roots(demo_server)["roots"] == []
        shot(driver, out_dir, "sig-01-admin-refused-not-a-certificate-vi")

        # root.pem from the file picker: its text goes into the box, then saved.
        set_input(driver, driver.find_element(*by_testid("trusted-roots-pem")), "")
        choose_certificate(driver, pades / "root.pem")
        wait.until(lambda d: "-----BEGIN CERTIFICATE-----" in d.find_element(*by_testid("trusted-roots-pem")).get_attribute("value"))
        driver.find_element(*by_testid("trusted-roots-save")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("admin-info"), "Đã lưu danh sách chứng thư số gốc tin cậy"))
        row = wait.until(EC.visibility_of_element_located(by_testid("trusted-root")))
        assert row.get_attribute("data-sha256") == root_sha
        assert ROOT_NAME in row.text and "Ban Cơ yếu Thử nghiệm" in row.text, row.text
        fingerprint = row.find_element(*by_testid("trusted-root-fingerprint")).text
        assert fingerprint.startswith(":".join(root_sha[i:i + 2] for i in range(0, 8, 2)).upper()), fingerprint
        assert driver.find_element(*by_testid("trusted-roots-pem")).get_attribute("value") == ""
        shot(driver, out_dir, "sig-02-admin-trusted-root-saved-vi")

        # Saving an empty box would trust no root: asked first, and cancelled here.
        driver.find_element(*by_testid("trusted-roots-save")).click()
        dialog = wait.until(EC.visibility_of_element_located(by_testid("admin-confirm")))
        assert "Lưu danh sách trống" in dialog.text, dialog.text
        driver.find_element(*by_testid("admin-confirm-no")).click()
        assert [r["sha256"] for r in server_roots(demo_server)["roots"]] == [root_sha]

    sec_home = tmp_path / "secretary"
    with launch_app(app_binary, sec_home / "data", sec_home / "webview", sec_home, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol(driver, demo_server, demo_server.account("secretary"))
        put_off_open_votes(driver)
        wait.until(EC.element_to_be_clickable(by_testid("nav-secretary"))).click()
        wait.until(EC.visibility_of_element_located(by_testid("sec-title"))).send_keys(MEETING)
        set_input(driver, driver.find_element(*by_testid("sec-starts")), "2026-12-23T08:30")
        driver.find_element(*by_testid("sec-location")).send_keys("Phòng họp tầng 5")
        driver.find_element(*by_testid("sec-create")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-meeting-title"), MEETING))
        attach(driver, wait, ITEM_VALID, pades / "valid.pdf", DOC_VALID, "valid")
        attach(driver, wait, ITEM_MODIFIED, pades / "modified.pdf", DOC_MODIFIED, "broken")
        driver.find_element(*by_testid("sec-publish")).click()
        wait.until(EC.visibility_of_element_located(by_testid("sec-confirm")))
        driver.find_element(*by_testid("sec-confirm-yes")).click()
        wait.until(lambda d: d.find_element(*by_testid("sec-status")).get_attribute("data-status") == "published")
        shot(driver, out_dir, "sig-03-secretary-published-signed-documents-vi")

    member_home = tmp_path / "member"
    with launch_app(app_binary, member_home / "data", member_home / "webview", member_home, env) as driver:
        wait = WebDriverWait(driver, 60)
        enrol(driver, demo_server, demo_server.account("member"))
        put_off_open_votes(driver)
        card = wait.until(lambda d: next((c for c in d.find_elements(*by_testid("meeting-card")) if MEETING in c.text), None))
        card.click()
        wait.until(EC.text_to_be_present_in_element(by_testid("meeting-title"), MEETING))

        # The validly signed document: green, with the signer's name.
        open_document(driver, wait, DOC_VALID)
        badge = wait.until(EC.visibility_of_element_located(by_testid("signature-badge")))
        assert badge.get_attribute("data-verdict") == "valid", badge.get_attribute("data-verdict")
        assert SIGNER in badge.text and "Đã ký số hợp lệ" in badge.text, badge.text
        assert not driver.find_elements(*by_testid("signature-broken"))
        assert badge.get_attribute("aria-expanded") == "false"
        badge.click()
        details = wait.until(EC.visibility_of_element_located(by_testid("signature-details")))
        assert badge.get_attribute("aria-expanded") == "true"
        items = details.find_elements(*by_testid("signature-item"))
        assert len(items) == 1 and items[0].get_attribute("data-tone") == "green", [i.text for i in items]
        text = items[0].text
        for expected in (f"Người ký: {SIGNER} — {SIGNER_ORG}", "Nội dung đã ký không bị thay đổi",
                         "Chứng thư số thuộc chứng thư số gốc tin cậy", "Tình trạng thu hồi chứng thư số: chưa biết"):
            assert expected in text, (expected, text)
        shot(driver, out_dir, "sig-04-member-valid-signature-details-vi")
        # Escape closes the details and gives the focus back to the badge.
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait.until(EC.invisibility_of_element_located(by_testid("signature-details")))
        assert driver.switch_to.active_element.get_attribute("data-testid") == "signature-badge"

        # The one changed after signing: red, across the page area, and still read.
        driver.find_element(*by_testid("back")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("meeting-title"), MEETING))
        image = open_document(driver, wait, DOC_MODIFIED)
        banner = wait.until(EC.visibility_of_element_located(by_testid("signature-broken")))
        assert banner.get_attribute("role") == "status"
        assert "Chữ ký số không hợp lệ: tài liệu đã bị thay đổi sau khi ký" in banner.text, banner.text
        assert driver.find_element(*by_testid("signature-badge")).get_attribute("data-verdict") == "broken"
        assert image.is_displayed()
        # The banner stays where it is while the pages scroll under it.
        driver.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", driver.find_element(*by_testid("pages")))
        assert driver.find_element(*by_testid("signature-broken")).is_displayed()
        driver.execute_script("arguments[0].scrollTop = 0", driver.find_element(*by_testid("pages")))
        shot(driver, out_dir, "sig-05-member-broken-signature-banner-vi")
        driver.find_element(*by_testid("signature-badge")).click()
        item = wait.until(EC.visibility_of_element_located(by_testid("signature-item")))
        assert item.get_attribute("data-tone") == "red" and "Tài liệu đã bị thay đổi sau khi ký" in item.text, item.text
        shot(driver, out_dir, "sig-06-member-broken-signature-details-vi")


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_PIN = "246810"


def provision_token(tmp: Path, pades: Path) -> Path:
    """A SoftHSM2 token holding signer A's key and certificate and the
    issuing CA's certificate, written with the tools a CA's operator uses
    (softhsm2-util, OpenSC's pkcs11-tool); returns its SOFTHSM2_CONF."""
    tokens = tmp / "tokens"
    tokens.mkdir(parents=True)
    conf = tmp / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    env = {"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"}

    def run(*args):
        subprocess.run(list(args), check=True, capture_output=True, env=env, timeout=60)

    run("softhsm2-util", "--init-token", "--free", "--label", "chu-tich", "--pin", TOKEN_PIN, "--so-pin", "13572468")
    run("softhsm2-util", "--import", str(pades / "signer-a.key.pem"), "--token", "chu-tich",
        "--label", "ky-so", "--id", "01", "--pin", TOKEN_PIN)
    for der, object_id, label in (("signer-a.der", "01", "ky-so"), ("intermediate.der", "02", "ca")):
        run("pkcs11-tool", "--module", SOFTHSM, "--token-label", "chu-tich", "--login", "--pin", TOKEN_PIN,
            "--write-object", str(pades / der), "--type", "cert", "--id", object_id, "--label", label)
    return conf


def test_the_chair_signs_the_minutes_with_a_usb_token(app_binary, demo_server, tmp_path, out_dir):
    pades = signed_pdfs(tmp_path)
    conf = provision_token(tmp_path, pades)
    # The operator installs the deployment's root on the running server.
    subprocess.run(
        [str(demo_server.binary), "trusted-roots", "--data-dir", str(demo_server.data), "--set", str(pades / "root.pem")],
        check=True, capture_output=True, timeout=60,
    )
    env = {"ECABINET_SERVER_URL": demo_server.url, "SOFTHSM2_CONF": str(conf)}
    home = tmp_path / "chair"
    with launch_app(app_binary, home / "data", home / "webview", home, env) as driver:
        wait = WebDriverWait(driver, 60)
        enrol(driver, demo_server, demo_server.account("chair"))
        put_off_open_votes(driver)
        # The published meeting's documents are on this device once synced.
        driver.find_element(*by_testid("meeting-card")).click()
        wait.until(EC.presence_of_element_located(by_testid("version-open")))
        wait.until(EC.element_to_be_clickable(by_testid("nav-secretary"))).click()
        card = wait.until(lambda d: next((c for c in d.find_elements(*by_testid("sec-meeting"))
                                          if c.get_attribute("data-status") != "draft"), None))
        card.click()
        version = wait.until(lambda d: next(
            (v for v in d.find_elements(*by_testid("sec-version")) if v.find_elements(*by_testid("sec-sign"))), None))
        document = version.find_element(By.XPATH, './ancestor::*[@data-testid="sec-document"]')
        title = document.get_attribute("data-title")
        version.find_element(*by_testid("sec-sign")).click()
        form = wait.until(EC.visibility_of_element_located(by_testid("sec-sign-form")))
        set_input(driver, form.find_element(*by_testid("sec-sign-module")), SOFTHSM)
        assert form.find_element(*by_testid("sec-sign-reason")).get_attribute("value") == "Ký ban hành"

        # A wrong PIN: the token refuses it, the app says so, nothing is uploaded.
        form.find_element(*by_testid("sec-sign-pin")).send_keys("000000")
        form.find_element(*by_testid("sec-sign-submit")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-error"), "Thiết bị ký số"))
        assert "refused the PIN" in driver.find_element(*by_testid("sec-sign-detail")).text
        assert driver.find_element(*by_testid("sec-sign-pin")).get_attribute("value") == "", "the PIN is not kept"
        shot(driver, out_dir, "sig-07-chair-token-refused-wrong-pin-vi")

        driver.find_element(*by_testid("sec-sign-pin")).send_keys(TOKEN_PIN)
        driver.find_element(*by_testid("sec-sign-submit")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-info"), "Đã ký số và tải lên thành phiên bản"))
        # The new version is a draft, and the server found the signature valid.
        doc_sel = f'[data-testid="sec-document"][data-title="{title}"]'
        check = wait.until(lambda d: next(
            (c for c in d.find_elements(By.CSS_SELECTOR, f'{doc_sel} [data-testid="sec-signature-check"]')
             if c.get_attribute("data-verdict") == "valid"), None))
        assert SIGNER in check.text, check.text
        assert driver.find_elements(By.CSS_SELECTOR, f'{doc_sel} [data-testid="sec-version"][data-status="draft"]')
        shot(driver, out_dir, "sig-08-chair-signed-with-token-vi")


def api(server, method: str, path: str, token: str | None = None, body=None):
    """One call to the running server's HTTP API, as a second device would."""
    import urllib.request

    req = urllib.request.Request(server.url + path, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data=data, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def test_a_member_signs_a_written_consultation_ballot_with_the_token(app_binary, demo_server, tmp_path, out_dir):
    """A written consultation that takes only ballots signed with the
    member's token: the vote dialog asks for the token's driver (once per
    device) and PIN, refuses to cast without the PIN, and the ballot signed
    with the token (SoftHSM2) is counted; its audit record on the server
    holds the certificate's hash and the signature."""
    import sqlite3

    pades = signed_pdfs(tmp_path)
    conf = provision_token(tmp_path, pades)
    subprocess.run(
        [str(demo_server.binary), "trusted-roots", "--data-dir", str(demo_server.data), "--set", str(pades / "root.pem")],
        check=True, capture_output=True, timeout=60,
    )
    # The operator registers the token's certificate to the member: a ballot
    # counts only when signed with a certificate registered to its caster.
    registered = subprocess.run(
        [str(demo_server.binary), "signing-certificates", "--data-dir", str(demo_server.data),
         "--user", demo_server.account("member")["username"], "--add", str(pades / "signer-a.pem")],
        check=True, capture_output=True, timeout=60,
    )
    signer_sha256 = hashlib.sha256((pades / "signer-a.der").read_bytes()).hexdigest()
    assert [c["sha256"] for c in json.loads(registered.stdout)] == [signer_sha256], registered.stdout
    sec = demo_server.account("secretary")
    token = api(demo_server, "POST", "/v1/login", body={"username": sec["username"], "password": sec["password"]})["token"]
    meeting = next(m for m in demo_server.summary["meetings"] if m["status"] != "draft")["id"]
    item = api(demo_server, "POST", f"/v1/meetings/{meeting}/agenda", token, {"title": "Lấy ý kiến về tờ trình (có ký số)"})
    question = "Thông qua tờ trình về danh mục dự án (phiếu lấy ý kiến có ký số)"
    motion = api(demo_server, "POST", f"/v1/agenda/{item['id']}/motions", token, {
        "question": question, "kind": "named", "majority": "simple", "quorum": 1, "mode": "written",
        "deadline": int(time.time() * 1000) + 86_400_000, "signed_ballots": True,
    })
    chair = demo_server.account("chair")
    chair_token = api(demo_server, "POST", "/v1/login", body={"username": chair["username"], "password": chair["password"]})["token"]
    api(demo_server, "POST", f"/v1/motions/{motion['id']}/open", chair_token)

    env = {"ECABINET_SERVER_URL": demo_server.url, "SOFTHSM2_CONF": str(conf)}
    home = tmp_path / "voter"
    with launch_app(app_binary, home / "data", home / "webview", home, env) as driver:
        wait = WebDriverWait(driver, 60)
        enrol(driver, demo_server, demo_server.account("member"))
        mine = f'[data-testid="vote-dialog"][data-motion="{motion["id"]}"]'
        # Other open votes of the demo are put off until ours shows.
        def ours(d):
            if d.find_elements(By.CSS_SELECTOR, mine):
                return True
            for later in d.find_elements(*by_testid("vote-later")):
                try:
                    later.click()
                except WebDriverException:
                    pass
            return False
        wait.until(ours)
        dialog = driver.find_element(By.CSS_SELECTOR, mine)
        assert "phải ký số" in dialog.find_element(*by_testid("vote-signed")).text
        # A written consultation: the dialog says an opinion form goes with it.
        assert "phiếu lấy ý kiến" in dialog.find_element(*by_testid("vote-opinion-form")).text
        set_input(driver, dialog.find_element(*by_testid("vote-token-module")), SOFTHSM)
        # No PIN yet: nothing is cast, the dialog says what is missing.
        dialog.find_element(By.CSS_SELECTOR, '[data-testid="vote-option"][data-choice="0"]').click()
        wait.until(EC.visibility_of_element_located(by_testid("vote-pin-needed")))
        assert not driver.find_elements(By.CSS_SELECTOR, f'{mine} [data-testid="ballot-state"]')
        shot(driver, out_dir, "sig-09-vote-needs-token-pin-vi")

        driver.find_element(*by_testid("vote-token-pin")).send_keys(TOKEN_PIN)
        driver.find_element(By.CSS_SELECTOR, f'{mine} [data-testid="vote-option"][data-choice="0"]').click()

        def state(d):
            try:
                els = d.find_elements(By.CSS_SELECTOR, f'{mine} [data-testid="ballot-state"]')
                return els[0].get_attribute("data-state") if els else None
            except WebDriverException:
                return None
        wait.until(lambda d: state(d) == "accepted")
        pins = driver.find_elements(*by_testid("vote-token-pin"))
        assert all(p.get_attribute("value") == "" for p in pins), "the PIN is not kept"
        shot(driver, out_dir, "sig-10-signed-ballot-accepted-vi")

    # The server kept the signature in the ballot's audit record.
    db = sqlite3.connect(demo_server.data / "ecabinet.sqlite3")
    records = [json.loads(r[0]) for r in db.execute("SELECT record FROM audit_log ORDER BY seq")]
    ballot = next(r for r in records if r.get("type") == "named_ballot" and r["motion_id"] == motion["id"])
    assert ballot["certificate_sha256"] == signer_sha256, ballot
    assert len(bytes.fromhex(ballot["qualified_signature"])) == 256

    # The app wrote the opinion form (phiếu lấy ý kiến) and signed it with
    # the token: the secretary reads it from the server, its hash is the one
    # in the audit record, pdfsig finds its signature valid, and it says
    # what the member chose.
    forms = api(demo_server, "GET", f"/v1/motions/{motion['id']}/opinions", token)["forms"]
    assert len(forms) == 1, forms
    assert forms[0]["choice"] == 0 and forms[0]["counting"], forms
    assert forms[0]["sha256"] == ballot["opinion_sha256"], (forms, ballot)
    import urllib.request

    req = urllib.request.Request(f"{demo_server.url}/v1/motions/{motion['id']}/opinions/{forms[0]['op_id']}")
    req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        pdf = resp.read()
    assert hashlib.sha256(pdf).hexdigest() == forms[0]["sha256"]
    path = tmp_path / "phieu-lay-y-kien.pdf"
    path.write_bytes(pdf)
    said = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert said.count("Signature Validation: Signature is Valid.") == 1, said
    text = " ".join(subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                                   timeout=60, check=True).stdout.split())
    for expected in ("PHIẾU LẤY Ý KIẾN", question, forms[0]["member_name"], "Đồng ý"):
        assert expected in text, (expected, text)

    # The chair's console lists the form under the motion and saves it,
    # checked on the chair's device, byte for byte what the member signed.
    title = next(m for m in demo_server.summary["meetings"] if m["id"] == meeting)["title"]
    home = tmp_path / "chair"
    # The chair's Downloads folder, where the app saves copies, is this
    # test's own (the XDG user-dirs file names it).
    downloads = home / "Downloads"
    downloads.mkdir(parents=True)
    (home / "config").mkdir()
    (home / "config" / "user-dirs.dirs").write_text(f'XDG_DOWNLOAD_DIR="{downloads}"\n')
    with launch_app(app_binary, home / "data", home / "webview", home,
                    {"ECABINET_SERVER_URL": demo_server.url, "XDG_CONFIG_HOME": str(home / "config")}) as driver:
        wait = WebDriverWait(driver, 60)
        enrol(driver, demo_server, chair)
        put_off_open_votes(driver)
        next(c for c in driver.find_elements(*by_testid("meeting-card")) if title in c.text).click()
        card = f'[data-testid="motion"][data-motion="{motion["id"]}"]'
        listed = wait.until(lambda d: d.find_elements(
            By.CSS_SELECTOR, f'{card} [data-testid="chair-opinion-forms"][data-count="1"]'))[0]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", listed)
        assert forms[0]["member_name"] in listed.text and "Đồng ý" in listed.text, listed.text
        listed.find_element(*by_testid("chair-save-opinion-forms")).click()
        saved = wait.until(lambda d: d.find_elements(
            By.CSS_SELECTOR, f'{card} [data-testid="chair-saved-opinion-forms"] li'))
        assert len(saved) == 1 and saved[0].get_attribute("data-verdict") == "valid", saved[0].text
        shot(driver, out_dir, "sig-11-chair-opinion-forms-vi")
        written = Path(saved[0].text.split("→", 1)[1].strip())
        assert written.parent == downloads and written.is_file(), written
        assert written.read_bytes() == pdf
