"""The dashboard in real headless Chromium (issue 12; browser.py) against
the real daemon: the page loads through the / redirect with no console error
and no request to another origin, lists the registry page by page in one
list request per page (the view in the URL: a reload stays on its page), and
with a management key asks for it once, keeps it for the tab only (no
cookie, not in the URL) and shows a wrong key's error with its requestId.
Screenshots at 1400 and 400 px go to tests/integration/screenshots/."""


import pytest

import browser
from browser import wait
from conftest import new_proxy

why_not = browser.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")


def rows(chromium):
    from selenium.webdriver.common.by import By
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in chromium.driver.find_elements(By.CSS_SELECTOR, "#view tbody tr")]


def range_text(chromium):
    from selenium.webdriver.common.by import By
    found = chromium.driver.find_elements(By.ID, "proxies-range")
    return found[0].text if found else ""


def list_requests(chromium, origin):
    chromium.collect()
    # the registry's list requests (the page's global proxy card makes its own)
    return [u for u in chromium.requests
            if u.startswith(origin + "/api/v1/management/proxies?limit=")]


def test_proxies_page_pages_and_stays_on_reload(daemon_factory, chromium):
    from selenium.webdriver.common.by import By
    d = daemon_factory().start()
    for i in range(55):
        new_proxy(d, name="exit-%02d" % i, host="127.0.1.%d" % (i + 1), port=3128)
    origin = "http://127.0.0.1:%d" % d.port
    chromium.driver.get(origin + "/")
    wait(lambda: range_text(chromium) == "1–50 of 55", what="the first page")
    assert chromium.driver.current_url == origin + "/dashboard"
    assert chromium.driver.title == "omniroute"
    first = rows(chromium)
    assert len(first) == 50
    assert first[0][:6] == ["exit-54", "http://127.0.1.55:3128", "active", "no traffic",
                            "not checked", "unused"]
    headers = [th.text for th in chromium.driver.find_elements(By.CSS_SELECTOR, "#view th")]
    assert headers == ["Name", "Endpoint", "Status", "Health", "Egress IP", "Usage"]
    nav = chromium.driver.find_element(By.LINK_TEXT, "Proxies")
    assert nav.get_attribute("aria-current") == "page"
    chromium.screenshot("proxies", 1400)
    chromium.screenshot("proxies", 400)
    assert len(list_requests(chromium, origin)) == 1      # one list request for the page
    chromium.driver.find_element(By.XPATH, "//button[text()='Next page']").click()
    wait(lambda: range_text(chromium) == "51–55 of 55", what="the second page")
    assert chromium.driver.current_url.endswith("/dashboard#/proxies?offset=50")
    assert [r[0] for r in rows(chromium)] == ["exit-04", "exit-03", "exit-02", "exit-01",
                                              "exit-00"]
    assert len(list_requests(chromium, origin)) == 2
    chromium.driver.refresh()
    wait(lambda: range_text(chromium) == "51–55 of 55", what="the reloaded page")
    assert chromium.driver.find_element(
        By.XPATH, "//button[text()='Next page']").get_attribute("disabled") is not None
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []


def test_sign_in_with_a_management_key(daemon_factory, chromium):
    from selenium.webdriver.common.by import By
    key = "dash-key-5f3a9c"
    d = daemon_factory(env={"OMNIROUTE_API_KEY": key}).start()
    # the control socket needs no key
    d.ctl_json("proxy", "add", "--name", "only-exit", "--type", "socks5", "--host",
               "127.0.0.9", "--port", "1080")
    origin = "http://127.0.0.1:%d" % d.port
    chromium.driver.get(origin + "/dashboard")
    field = wait(lambda: chromium.driver.find_elements(By.ID, "api-key"), what="sign-in")[0]
    label = chromium.driver.find_element(By.CSS_SELECTOR, "label[for='api-key']")
    assert label.text == "API key"
    chromium.screenshot("sign-in", 1400)
    chromium.screenshot("sign-in", 400)
    field.send_keys("not-the-key")
    chromium.driver.find_element(By.XPATH, "//button[text()='Sign in']").click()
    alert = wait(lambda: chromium.driver.find_elements(By.CSS_SELECTOR, "[role=alert]"),
                 what="the refusal")[0]
    assert "Invalid management token" in alert.text and "requestId" in alert.text
    field = chromium.driver.find_element(By.ID, "api-key")
    field.send_keys(key)
    chromium.driver.find_element(By.XPATH, "//button[text()='Sign in']").click()
    wait(lambda: range_text(chromium) == "1–1 of 1", what="the list after sign-in")
    assert rows(chromium)[0][:2] == ["only-exit", "socks5://127.0.0.9:1080"]
    # kept for this tab only: not a cookie, not in the URL
    assert chromium.driver.execute_script(
        "return sessionStorage.getItem('omniroute.apiKey')") == key
    assert chromium.driver.get_cookies() == []
    assert key not in chromium.driver.current_url
    # the refused call is the one console error the browser reports (its 403)
    errors = [e for e in chromium.errors() if "403" not in e["message"]
              and "401" not in e["message"]]
    assert errors == []
    assert chromium.foreign_requests(origin) == []
