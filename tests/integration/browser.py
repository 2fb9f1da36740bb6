"""Real headless Chromium for the dashboard tests (issue 12), driven through
WebDriver (Debian's chromium, chromium-driver and python3-selenium, from
contrib/deps.sh --test). A Browser records what the page did: every console
message and every request it made, so a test can fail on any console error
and on any request to another origin; it also writes screenshots at a given
width to SCREENSHOTS (tests/integration/screenshots/ of the build tree, named
in the README) for a person to look at."""

import json
import os
import shutil
import time

# run-pytest.sh points it into the build tree (the source tree may be read-only)
SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "screenshots")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def available():
    """None when Chromium and its driver can run here, else why not."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "python3-selenium is not installed (contrib/deps.sh --test)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return "%s is not installed (contrib/deps.sh --test)" % path
    return None


class Browser:
    def __init__(self, width=1400, height=900):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        options = Options()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-default-apps", "--no-default-browser-check",
                    "--window-size=%d,%d" % (width, height)):
            options.add_argument(arg)
        options.binary_location = CHROMIUM
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(20)
        self.console = []
        self.requests = []

    def collect(self):
        """Move the page's new console messages and requests into the lists."""
        self.console += self.driver.get_log("browser")
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])

    def errors(self, expected_statuses=()):
        """Console errors and warnings. Chromium logs every non-2xx fetch
        answer as "Failed to load resource: … status of N"; a test that
        provokes an API error on purpose (a 409 delete, a bad filter) names
        those statuses in expected_statuses, and only those lines pass."""
        self.collect()
        allowed = tuple("the server responded with a status of %d " % n for n in expected_statuses)
        return [m for m in self.console if m.get("level") in ("SEVERE", "WARNING")
                and not (allowed and m.get("source") == "network"
                         and any(a in m.get("message", "") + " " for a in allowed))]

    def foreign_requests(self, origin):
        """Requests to anything but origin (data: URLs are the page's own)."""
        self.collect()
        return [u for u in self.requests
                if not (u.startswith(origin + "/") or u == origin or u.startswith("data:"))]

    def screenshot(self, name, width, height=900):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.driver.set_window_size(width, height)
        path = os.path.join(SCREENSHOTS, "%s-%d.png" % (name, width))
        self.driver.save_screenshot(path)
        return path

    def quit(self):
        self.driver.quit()


def wait(predicate, timeout=15.0, what="the page"):
    """Poll predicate until it gives something true; an element the page
    redrew while it was read (stale, gone) counts as not yet."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
        except Exception as e:      # noqa: BLE001 — the page redrew under us
            last = e
        else:
            if last:
                return last
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))
