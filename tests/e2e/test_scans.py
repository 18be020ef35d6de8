"""Searchable scans in the real app against the real server: the secretary
attaches a scanned page (a real Vietnamese page rendered by pdftoppm into an
image-only PDF) and sees, under its version, the server's OCR reach "read"."""

import subprocess
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, by_testid, launch_app, shot
from test_secretary import choose_file, enrol, item_named, put_off_open_votes, set_input

MEETING = "Phiên họp xem xét hồ sơ scan"
ITEM = "Tờ trình đầu tư công (bản có chữ ký)"


def scanned_pdf(tmp: Path) -> Path:
    """Page 1 of a demo document as a scanner delivers it: a grey JPEG at
    150 dpi, the only thing on an A4 page."""
    src = ROOT / "assets" / "demo" / "to-trinh-dau-tu-cong-2027.pdf"
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "150", "-gray", "-jpeg", "-singlefile",
                    str(src), str(tmp / "scan")], check=True)
    jpeg = (tmp / "scan.jpg").read_bytes()
    # The JPEG's size, from its SOF0/SOF2 marker.
    i = 2
    while True:
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC2):
            h, w = int.from_bytes(jpeg[i + 5:i + 7], "big"), int.from_bytes(jpeg[i + 7:i + 9], "big")
            break
        i += 2 + length
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /DCTDecode /Length %d >>\nstream\n" % (w, h, len(jpeg)) + jpeg + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path = tmp / "to-trinh-ban-scan.pdf"
    path.write_bytes(bytes(out))
    return path


def test_the_secretary_sees_a_scan_read_by_the_servers_ocr(app_binary, demo_server, tmp_path, out_dir):
    pdf = scanned_pdf(tmp_path)
    home = tmp_path / "secretary"
    env = {"ECABINET_SERVER_URL": demo_server.url}
    with launch_app(app_binary, home / "data", home / "webview", home, env) as driver:
        wait = WebDriverWait(driver, 30)
        enrol(driver, demo_server, demo_server.account("secretary"))
        put_off_open_votes(driver)
        wait.until(EC.element_to_be_clickable(by_testid("nav-secretary"))).click()
        wait.until(EC.visibility_of_element_located(by_testid("sec-title"))).send_keys(MEETING)
        set_input(driver, driver.find_element(*by_testid("sec-starts")), "2026-12-22T08:30")
        driver.find_element(*by_testid("sec-location")).send_keys("Phòng họp tầng 2")
        driver.find_element(*by_testid("sec-create")).click()
        wait.until(EC.text_to_be_present_in_element(by_testid("sec-meeting-title"), MEETING))
        driver.find_element(*by_testid("sec-item-input")).send_keys(ITEM)
        driver.find_element(*by_testid("sec-add-item")).click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid="sec-item"][data-title="{ITEM}"]'))
        item_named(driver, ITEM).find_element(*by_testid("sec-attach")).click()
        form = wait.until(lambda d: item_named(d, ITEM).find_element(*by_testid("sec-attach-form")))
        choose_file(driver, form, pdf)
        form.find_element(*by_testid("sec-upload")).click()

        # The line under the version follows the server's reading to the end.
        ocr = '[data-testid="sec-version"] [data-testid="sec-ocr"]'
        WebDriverWait(driver, 120).until(
            lambda d: any(e.get_attribute("data-status") == "ready" for e in d.find_elements(By.CSS_SELECTOR, ocr)))
        line = next(e for e in driver.find_elements(By.CSS_SELECTOR, ocr) if e.get_attribute("data-status") == "ready")
        assert line.text == "Đã nhận dạng chữ 1 trang scan: tìm kiếm được", line.text
        shot(driver, out_dir, "scan-01-ocr-read-vi")
