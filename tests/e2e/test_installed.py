"""After an upgrade of the installed app (packaging/test-installed), the same
cache opens with the same PIN: the meetings and a document's page are there,
with no server to reach."""

import os
from pathlib import Path

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import by_testid, launch_app, shot

pytestmark = pytest.mark.skipif(
    not os.environ.get("ECABINET_KEPT_HOME"), reason="run by packaging/test-installed after an upgrade"
)
PIN = "2468"  # test_member_flow.py's


def test_an_upgraded_app_unlocks_the_cache_it_left(app_binary, out_dir):
    home = Path(os.environ["ECABINET_KEPT_HOME"])
    # An address nothing answers: what is shown comes from the cache.
    env = {"ECABINET_SERVER_URL": "http://127.0.0.1:9"}
    with launch_app(app_binary, home / "data", home / "webview", home, env) as driver:
        wait = WebDriverWait(driver, 30)
        pin = wait.until(EC.visibility_of_element_located(by_testid("unlock-pin")))
        pin.send_keys(PIN)
        driver.find_element(*by_testid("unlock-submit")).click()
        wait.until(lambda d: len(d.find_elements(*by_testid("meeting-card"))) >= 2)
        driver.find_elements(*by_testid("meeting-card"))[0].click()
        wait.until(EC.element_to_be_clickable(by_testid("version-open"))).click()
        image = wait.until(EC.presence_of_element_located(by_testid("page-image")))
        wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0)
        shot(driver, out_dir, "installed-upgrade-unlocked-vi")
