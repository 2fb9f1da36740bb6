"""Every page of the dashboard as a whole (issue 12), in real headless
Chromium against the real daemon: the five sections are reached from the
navigation with the keyboard alone; each draws without an error, a console
message or a request to another origin; none is wider than a 400 px window
(wide tables scroll inside their own box); the theme follows the system's
light or dark choice; and with a management key every page asks for it
before showing anything."""


import pytest

import browser
from browser import wait
from conftest import new_proxy

why_not = browser.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")

SECTIONS = [("Proxies", "proxies"), ("Pools", "pools"), ("Providers", "providers"),
            ("1proxy", "oneproxy"), ("Health", "health")]


def heading(chromium):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    try:
        found = chromium.driver.find_elements(By.CSS_SELECTOR, "#view h2")
        return found[0].text if found else ""
    except StaleElementReferenceException:      # redrawn while we looked
        return ""


def drawn(chromium):
    """The page's heading once it has finished loading (no 'Loading…' left)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    try:
        text = chromium.driver.find_element(By.ID, "view").text
    except StaleElementReferenceException:
        return ""
    if not text or "Loading" in text:
        return ""
    return heading(chromium)


def press_tab_until(chromium, name, limit=40):
    """Tab through the page until the focused element's text is name."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    for _ in range(limit):
        ActionChains(chromium.driver).send_keys(Keys.TAB).perform()
        active = chromium.driver.switch_to.active_element
        if active.text.strip() == name:
            return active
    raise AssertionError("%r never took the keyboard focus in %d tabs" % (name, limit))


def test_every_section_by_keyboard_at_both_widths(daemon_factory, chromium):
    from selenium.webdriver.common.keys import Keys
    d = daemon_factory().start()
    new_proxy(d, name="exit-a", host="127.0.0.31", port=1080, type="socks5")
    origin = "http://127.0.0.1:%d" % d.port
    chromium.driver.get(origin + "/dashboard")
    wait(lambda: drawn(chromium), what="the first page")
    for width in (1400, 400):
        chromium.driver.set_window_size(width, 900)
        for link_text, view_name in SECTIONS:
            # start from the top of the document each time: the page's own
            # controls come after the navigation in the tab order
            chromium.driver.execute_script("document.activeElement && document.activeElement.blur();"
                                           "window.scrollTo(0, 0);")
            link = press_tab_until(chromium, link_text)
            link.send_keys(Keys.ENTER)
            wait(lambda: chromium.driver.current_url.split("#/")[-1].startswith(view_name),
                 what="the URL of %s" % link_text)
            title = wait(lambda: drawn(chromium), what="the %s page" % link_text)
            assert title not in ("Something went wrong", "No such page"), (link_text, title)
            assert link.get_attribute("aria-current") == "page"
            overflow = chromium.driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, "%s is %d px wider than a %d px window" % (
                link_text, overflow, width)
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []


def test_theme_follows_the_system(daemon_factory, chromium):
    d = daemon_factory().start()
    origin = "http://127.0.0.1:%d" % d.port
    colours = {}
    for scheme in ("light", "dark"):
        chromium.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": scheme}]})
        chromium.driver.get(origin + "/dashboard#/proxies")
        wait(lambda: drawn(chromium), what="the %s page" % scheme)
        colours[scheme] = chromium.driver.execute_script(
            "const s = getComputedStyle(document.body); return [s.backgroundColor, s.color];")
        chromium.screenshot("proxies-" + scheme, 1400)
    assert colours["light"] != colours["dark"]
    assert colours["dark"][0] in ("rgb(17, 20, 24)",)
    assert chromium.errors() == []


def test_every_section_asks_for_the_key_first(daemon_factory, chromium):
    from selenium.webdriver.common.by import By
    key = "pages-key-81c2"
    d = daemon_factory(env={"OMNIROUTE_API_KEY": key}).start()
    origin = "http://127.0.0.1:%d" % d.port
    for _, view_name in SECTIONS:
        chromium.driver.get(origin + "/dashboard#/" + view_name)
        wait(lambda: chromium.driver.find_elements(By.ID, "api-key"),
             what="the sign-in form on %s" % view_name)
        assert heading(chromium) == "Sign in"
    field = chromium.driver.find_element(By.ID, "api-key")
    field.send_keys(key)
    chromium.driver.find_element(By.XPATH, "//button[text()='Sign in']").click()
    title = wait(lambda: drawn(chromium) if heading(chromium) != "Sign in" else "",
                 what="the Health page after sign-in")
    assert title not in ("Something went wrong", "No such page")
    # once given, the key opens every other section without asking again
    for _, view_name in SECTIONS:
        chromium.driver.get(origin + "/dashboard#/" + view_name)
        title = wait(lambda: drawn(chromium), what=view_name)
        assert title not in ("Sign in", "Something went wrong", "No such page"), view_name
    # only the unauthenticated first calls were refused
    assert [e for e in chromium.errors() if "401" not in e["message"]] == []
    assert chromium.foreign_requests(origin) == []


def test_the_global_proxy_set_on_one_page_shows_on_every_provider(daemon_factory, chromium):
    """The issue's walk across pages: set the global proxy with the card on
    Proxies, then every provider's and account's badge on Providers says
    Global with the proxy's name; clear it and they say Direct."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    d = daemon_factory().start()
    accounts = {"openai": ["main", "spare"], "anthropic": ["team"]}
    for provider, names in accounts.items():
        for name in names:
            d.ctl_json("conn", "add", provider, "--name", name, "--key", "sk-" + name)
    new_proxy(d, name="world-exit", type="socks5", host="127.0.0.32", port=1080)
    origin = "http://127.0.0.1:%d" % d.port

    def badges():
        # each provider's own line and each account's row (not the legend)
        found = chromium.driver.find_elements(
            By.CSS_SELECTOR, "#view section[aria-labelledby^='provider-'] .egress-line .level-badge, "
            "#view section[aria-labelledby^='provider-'] tr .level-badge")
        return [b.text for b in found]

    def click(name, within=None):
        node = (within or chromium.driver).find_element(
            By.XPATH, ".//button[normalize-space()='%s']" % name)
        chromium.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", node)
        node.click()

    chromium.driver.get(origin + "/dashboard#/providers")
    wait(lambda: len(badges()) == 5, what="the providers' badges")
    assert set(badges()) == {"Direct"}, badges()

    chromium.driver.get(origin + "/dashboard#/proxies")
    click(*wait(lambda: ["Set global proxy"] if chromium.driver.find_elements(
        By.XPATH, "//button[normalize-space()='Set global proxy']") else None, what="the card"))
    dialog = wait(lambda: chromium.driver.find_element(By.CSS_SELECTOR, "dialog[open]"),
                  what="the dialog")
    search = dialog.find_element(By.XPATH, ".//input[@id=//label[normalize-space()="
                                 "'Search saved proxies']/@for]")
    search.send_keys("world")
    choice = dialog.find_element(By.XPATH, ".//select[@id=//label[normalize-space()="
                                 "'Saved proxy']/@for]")
    wait(lambda: [o.text for o in Select(choice).options][:1] ==
         ["world-exit — socks5://127.0.0.32:1080"], what="the picker")
    Select(choice).select_by_index(0)
    click("Save", dialog)
    wait(lambda: not chromium.driver.find_elements(By.CSS_SELECTOR, "dialog[open]"),
         what="the dialog to close")

    chromium.driver.find_element(By.LINK_TEXT, "Providers").click()
    wait(lambda: badges() and set(badges()) == {"Global"}, what="every badge to say Global")
    assert len(badges()) == 5          # 2 providers + 3 accounts
    for name in ("main", "spare", "team"):
        row = chromium.driver.find_element(By.XPATH, "//tr[th[normalize-space()='%s']]" % name)
        assert "world-exit" in row.text, row.text

    chromium.driver.find_element(By.LINK_TEXT, "Proxies").click()
    click(*wait(lambda: ["Clear global proxy"] if chromium.driver.find_elements(
        By.XPATH, "//button[normalize-space()='Clear global proxy' and not(@disabled)]")
        else None, what="the clear button"))
    click(*wait(lambda: ["Yes, clear it"] if chromium.driver.find_elements(
        By.XPATH, "//button[normalize-space()='Yes, clear it']") else None, what="the confirmation"))
    wait(lambda: "Direct" in chromium.driver.find_element(By.ID, "view").text,
         what="the card to say Direct")
    chromium.driver.find_element(By.LINK_TEXT, "Providers").click()
    wait(lambda: badges() and set(badges()) == {"Direct"}, what="every badge back to Direct")
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []
