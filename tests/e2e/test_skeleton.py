"""The walking skeleton: the app opens a window titled "E-Cabinet", shows the
versions it got from Rust, and switches between Vietnamese and English."""

import subprocess

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import by_testid, shot


def x_window_titles() -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True, check=True).stdout


def test_window_shows_versions_from_rust_and_switches_language(driver, out_dir):
    wait = WebDriverWait(driver, 20)
    version = wait.until(EC.visibility_of_element_located(by_testid("app-version")))
    pdfium = driver.find_element(*by_testid("pdfium-version"))

    # Text that only the Rust command can have produced: the crate version and
    # PDFium's build number read from the loaded library's version.json.
    assert version.text == "0.1.0"
    assert ".8149." in pdfium.text, pdfium.text

    # Vietnamese is the default.
    assert driver.find_element(*by_testid("label-app-version")).text == "Phiên bản ứng dụng"
    assert driver.find_element(*by_testid("subtitle")).text == "Phòng họp không giấy"

    # A real native window with the product's title exists on the X display.
    assert '"E-Cabinet"' in x_window_titles()

    shot(driver, out_dir, "skeleton-vi")

    driver.find_element(*by_testid("lang-switch")).click()
    wait.until(EC.text_to_be_present_in_element(by_testid("label-app-version"), "App version"))
    assert driver.find_element(*by_testid("subtitle")).text == "Paperless meeting room"
    assert driver.find_element(*by_testid("lang-switch")).text == "Tiếng Việt"
    shot(driver, out_dir, "skeleton-en")
    # The whole X screen too: what a person at the machine would see.
    subprocess.run(["import", "-window", "root", str(out_dir / "skeleton-screen.png")], check=True)
