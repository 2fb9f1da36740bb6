"""The Providers page in real headless Chromium (issue 12; browser.py)
against the real daemon: two providers (openai, anthropic) with two accounts
each, their base URL the provider stand-in (TLS with the test CA), real
SOCKS5 proxies (microsocks on 127.0.0.2x, dialling out from that address).

Covered: the page costs one egress-map request (never one per account) and
no resolve per row; the global proxy turns every provider's and account's
badge to Global with the proxy's name and the egress IP a real check
through it found; "Proxy for NAME" on an account sets
its own proxy (Account) while its sibling keeps inheriting; on a provider
(Provider, its accounts "inherits provider proxy X"); an inactive assigned
proxy is Refused; Clear gives the inheritance back; "Test connection"
through a live microsocks reaches the stand-in from the proxy's address, a
dead proxy shows its stage (connect); the upstream mode select persists
(the provider turns Delegated on the loopback CLIProxyAPI) and survives a
reload; the open panel survives a reload (the view is in the URL); a pool
shows its strategy and next member and links to the Pools page; a combo's
own level; an API error (a proxy deleted meanwhile) shown in the panel with
its status and requestId, the view then current again.
Screenshots providers-1400.png and providers-400.png."""


import pytest

import browser
from browser import wait
import egress_env as env
from conftest import new_proxy
from provider_standin import ProviderStandIn
from test_egress_ip import EchoStandIn

why_not = browser.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")

ASSIGN = "/api/settings/proxies/assignments"
LIVE = "127.0.0.25"
ACCOUNT_EXIT = "127.0.0.26"
DEAD = "127.0.0.27"
ACCOUNTS = {"openai": ["main", "backup"], "anthropic": ["team-a", "team-b"]}


@pytest.fixture(scope="module")
def standin(ca):
    s = ProviderStandIn(ca, pause=0.01, addresses=["127.0.0.1"])
    yield s
    s.stop()


@pytest.fixture
def d(daemon_factory, ca, standin):
    standin.reset()
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                            "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "3000"}).start()
    d.conns = {}
    for provider, names in ACCOUNTS.items():
        d.ctl_json("provider", "update", provider, "--base-url",
                   standin.url("/v1", host="127.0.0.1"))
        for name in names:
            d.conns[name] = d.ctl_json("conn", "add", provider, "--name", name, "--key",
                                       "sk-" + name)["id"]
    return d


def assign(d, scope, scope_id, proxy_id):
    body = {"scope": scope, "proxyId": proxy_id}
    if scope_id is not None:
        body["scopeId"] = scope_id
    status, res = d.http("PUT", ASSIGN, body)
    assert status == 200, res


def by(chromium, xpath, within=None):
    from selenium.webdriver.common.by import By
    return (within or chromium.driver).find_element(By.XPATH, xpath)


def button(chromium, name, within=None):
    """The button, scrolled to the middle of the window (the status notice
    sits fixed at the bottom right and would take a click meant for it)."""
    found = by(chromium, ".//button[normalize-space()='%s']" % name, within)
    chromium.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", found)
    return found


def account_row(chromium, name):
    return by(chromium, "//tr[th[normalize-space()='%s']]" % name)


def account_badge(chromium, name):
    return by(chromium, ".//span[contains(@class,'badge')]", account_row(chromium, name)).text


def account_text(chromium, name):
    return account_row(chromium, name).text


def provider_card(chromium, pid):
    return by(chromium, "//section[@aria-labelledby='provider-%s']" % pid)


def provider_badge(chromium, pid):
    return by(chromium, ".//p[contains(@class,'egress-line')]/span[contains(@class,'badge')]",
              provider_card(chromium, pid)).text


def all_badges(chromium):
    return {pid: [provider_badge(chromium, pid)] +
            [account_badge(chromium, n) for n in names] for pid, names in ACCOUNTS.items()}


def refresh(chromium):
    button(chromium, "Refresh").click()


def open_page(chromium, d, query=""):
    origin = "http://127.0.0.1:%d" % d.port
    chromium.driver.get(origin + "/dashboard#/providers" + query)
    wait(lambda: account_row(chromium, "team-b"), what="the accounts")
    return origin


def api_requests(chromium, origin):
    chromium.collect()
    return [u[len(origin):] for u in chromium.requests if u.startswith(origin + "/api/")]


def choose_proxy(chromium, scope_name, proxy_name):
    """Open "Proxy for NAME", search the proxy, assign it; the panel."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    button(chromium, "Proxy for " + scope_name).click()
    panel = wait(lambda: by(chromium, "//section[@aria-label='Proxy for %s']" % scope_name),
                 what="the panel of " + scope_name)
    search = panel.find_element(By.XPATH, ".//input[@id=//label[normalize-space()="
                                "'Search saved proxies']/@for]")
    search.send_keys(proxy_name)
    select = panel.find_element(By.XPATH, ".//select[@id=//label[normalize-space()="
                                "'Saved proxy']/@for]")
    wait(lambda: [o.text for o in Select(select).options] and
         all(proxy_name in o.text for o in Select(select).options), what="the search")
    Select(select).select_by_index(0)
    button(chromium, "Assign", panel).click()
    return panel


def test_badges_follow_global_account_provider_and_refusal(d, chromium, peers):
    live = peers(env.microsocks, address=LIVE)
    g = new_proxy(d, name="global-exit", type="socks5", host=LIVE, port=live.port)
    acct = new_proxy(d, name="acct-exit", type="socks5", host=ACCOUNT_EXIT, port=1080)
    prov = new_proxy(d, name="openai-exit", type="socks5", host=LIVE, port=live.port)
    # the global exit's egress IP, checked through it (an echo stand-in on 127.0.0.1)
    echo = EchoStandIn()
    try:
        status, res = d.http("POST", "/api/settings/proxies/egress", {"id": g["id"],
                                                                      "url": echo.url()})
        assert status == 200 and res["success"], res
    finally:
        echo.httpd.shutdown()
    origin = open_page(chromium, d)
    # the whole page is one request: the egress map
    assert api_requests(chromium, origin) == ["/api/settings/proxies/egress-map"]
    assert all_badges(chromium) == {"openai": ["Direct"] * 3, "anthropic": ["Direct"] * 3}
    assert "direct: no proxy assigned" in account_text(chromium, "main")
    # nothing else: only catalog providers with accounts are listed until asked
    from selenium.webdriver.common.by import By
    assert len(chromium.driver.find_elements(By.CSS_SELECTOR, "section.provider-card")) == 2
    by(chromium, "//input[@id=//label[normalize-space()='Show all catalog providers']/@for]").click()
    wait(lambda: len(chromium.driver.find_elements(By.CSS_SELECTOR, "section.provider-card")) >= 10,
         what="every catalog provider")
    assert chromium.driver.current_url.endswith("#/providers?all=1")
    by(chromium, "//input[@id=//label[normalize-space()='Show all catalog providers']/@for]").click()

    # the global proxy, set through the API: every badge turns Global
    assign(d, "global", None, g["id"])
    refresh(chromium)
    wait(lambda: all_badges(chromium) == {"openai": ["Global"] * 3,
                                          "anthropic": ["Global"] * 3}, what="Global everywhere")
    for name in ("main", "backup", "team-a", "team-b"):
        assert "global-exit" in account_text(chromium, name)
        assert "inherits global proxy global-exit" in account_text(chromium, name)
        assert LIVE in account_text(chromium, name)      # its egress IP
    assert "global-exit" in provider_card(chromium, "anthropic").text

    # an account's own proxy through its "Proxy for NAME" panel
    panel = choose_proxy(chromium, "main", "acct-exit")
    wait(lambda: account_badge(chromium, "main") == "Account", what="main's Account badge")
    assert account_badge(chromium, "backup") == "Global"
    assert "inherits global proxy global-exit" in account_text(chromium, "backup")
    assert "account proxy acct-exit" in account_text(chromium, "main")
    panel = by(chromium, "//section[@aria-label='Proxy for main']")
    assert "acct-exit assigned to main; main now: Account" in panel.text
    status, single = d.http("GET", "/api/settings/proxy?resolve=" + d.conns["main"])
    assert (single["level"], single["proxyId"]) == ("account", acct["id"])
    # the open panel is in the URL: a reload keeps it
    assert "scope=account" in chromium.driver.current_url
    chromium.driver.refresh()
    wait(lambda: by(chromium, "//section[@aria-label='Proxy for main']"), what="the panel again")
    button(chromium, "Close", by(chromium, "//section[@aria-label='Proxy for main']")).click()

    # the provider's proxy: its accounts without their own inherit it
    choose_proxy(chromium, "openai", "openai-exit")
    wait(lambda: provider_badge(chromium, "openai") == "Provider", what="openai's Provider badge")
    assert account_badge(chromium, "backup") == "Provider"
    assert "inherits provider proxy openai-exit" in account_text(chromium, "backup")
    assert account_badge(chromium, "main") == "Account"
    assert [provider_badge(chromium, "anthropic"), account_badge(chromium, "team-a")] == \
        ["Global", "Global"]
    button(chromium, "Close", by(chromium, "//section[@aria-label='Proxy for openai']")).click()

    # the account's proxy turns inactive: refused, never direct
    status, body = d.http("PATCH", "/api/v1/management/proxies", {"id": acct["id"],
                                                                  "status": "inactive"})
    assert status == 200, body
    refresh(chromium)
    wait(lambda: account_badge(chromium, "main") == "Refused", what="main's Refused badge")
    assert "refused: account proxy acct-exit is inactive" in account_text(chromium, "main")
    assert account_badge(chromium, "backup") == "Provider"
    # its test is refused too, never sent direct
    button(chromium, "Test connection", account_row(chromium, "main")).click()
    refused = wait(lambda: "Connection failed" in account_text(chromium, "main")
                   and account_text(chromium, "main"), what="main's refused test")
    assert "PROXY_ASSIGNED_UNAVAILABLE" in refused and "refused, never sent direct" in refused
    chromium.driver.execute_script("window.scrollTo(0, 0)")
    chromium.screenshot("providers", 1400)
    chromium.screenshot("providers", 400, height=1600)
    chromium.driver.set_window_size(1400, 900)

    # Clear gives the inheritance back
    button(chromium, "Proxy for main").click()
    panel = wait(lambda: by(chromium, "//section[@aria-label='Proxy for main']"), what="panel")
    button(chromium, "Clear", panel).click()
    wait(lambda: account_badge(chromium, "main") == "Provider", what="main inheriting again")
    assert "inherits provider proxy openai-exit" in account_text(chromium, "main")

    # one map per drawing: never a request per account, never a resolve per row
    requests = api_requests(chromium, origin)
    assert not [u for u in requests if "resolve" in u]
    assert len([u for u in requests if u.startswith("/api/settings/proxies/egress-map")]) <= 8
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []


def test_connection_tests_and_upstream_mode(d, chromium, peers, standin):
    live = peers(env.microsocks, address=LIVE)
    g = new_proxy(d, name="live-exit", type="socks5", host=LIVE, port=live.port)
    dead = new_proxy(d, name="dead-exit", type="socks5", host=DEAD,
                     port=env.free_port_on([DEAD]))
    assign(d, "global", None, g["id"])
    assign(d, "account", d.conns["backup"], dead["id"])
    origin = open_page(chromium, d)
    wait(lambda: account_badge(chromium, "main") == "Global", what="main's badge")
    assert account_badge(chromium, "backup") == "Account"

    standin.sources.clear()
    button(chromium, "Test connection", account_row(chromium, "main")).click()
    ok = wait(lambda: "Connection OK" in account_text(chromium, "main")
              and account_text(chromium, "main"), what="main's test", timeout=20)
    assert "HTTP 200" in ok and "through live-exit" in ok and "global level" in ok
    assert LIVE in standin.sources.snapshot()       # it really went through the proxy

    button(chromium, "Test connection", account_row(chromium, "backup")).click()
    failed = wait(lambda: "Connection failed" in account_text(chromium, "backup")
                  and account_text(chromium, "backup"), what="backup's test", timeout=20)
    assert "stage connect" in failed and "through dead-exit" in failed

    # the upstream mode: cliproxyapi on the default loopback CLIProxyAPI delegates
    from selenium.webdriver.support.ui import Select
    select = by(chromium, "//select[@id=//label[normalize-space()="
                          "'Upstream mode for anthropic']/@for]")
    assert Select(select).first_selected_option.text == "native"
    Select(select).select_by_visible_text("cliproxyapi")
    wait(lambda: provider_badge(chromium, "anthropic") == "Delegated", what="Delegated")
    assert "Upstream mode of anthropic: cliproxyapi (saved)" in \
        provider_card(chromium, "anthropic").text
    assert [account_badge(chromium, "team-a"), account_badge(chromium, "team-b")] == \
        ["Delegated", "Delegated"]
    assert "delegated: calls go to CLIProxyAPI" in account_text(chromium, "team-a")
    assert provider_badge(chromium, "openai") == "Global"
    status, rec = d.http("GET", "/api/upstream-proxy/anthropic")
    assert (status, rec["mode"]) == (200, "cliproxyapi")
    chromium.driver.refresh()
    wait(lambda: Select(by(chromium, "//select[@id=//label[normalize-space()="
                                     "'Upstream mode for anthropic']/@for]"))
         .first_selected_option.text == "cliproxyapi", what="the mode after a reload")
    assert provider_badge(chromium, "anthropic") == "Delegated"
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []


def test_pool_combo_and_an_api_error(d, chromium):
    a = new_proxy(d, name="pool-a", type="socks5", host="127.0.0.28", port=1080)
    b = new_proxy(d, name="pool-b", type="socks5", host="127.0.0.29", port=1080)
    for p in (a, b):
        status, body = d.http("PUT", "/api/settings/proxies/pool",
                              {"scope": "provider", "scopeId": "anthropic", "proxyId": p["id"]})
        assert status in (200, 201), body
    d.ctl_json("combo", "add", "fast", "openai/gpt-4o-mini")
    assign(d, "combo", "fast", b["id"])
    origin = open_page(chromium, d)
    # a pool: its strategy and the member the next call would take
    assert provider_badge(chromium, "anthropic") == "Provider"
    assert "inherits provider proxy pool-a (pool of 2, round-robin; next call: pool-a)" in \
        account_text(chromium, "team-a")
    button(chromium, "Proxy for anthropic").click()
    panel = wait(lambda: by(chromium, "//section[@aria-label='Proxy for anthropic']"),
                 what="the provider's panel")
    assert "anthropic has a pool of 2 members (round-robin)" in panel.text
    link = by(chromium, ".//a[normalize-space()='Manage its pool (2 members)']", panel)
    assert link.get_attribute("href").endswith("#/pools?scope=provider&scopeId=anthropic")
    # a combo's own level
    combo_row = by(chromium, "//tr[th[normalize-space()='fast']]")
    assert "Combo" in combo_row.text and "combo proxy pool-b" in combo_row.text
    # an API error where it happened: the chosen proxy was deleted meanwhile
    button(chromium, "Proxy for team-b").click()
    panel = wait(lambda: by(chromium, "//section[@aria-label='Proxy for team-b']"), what="panel")
    from selenium.webdriver.support.ui import Select
    select = by(chromium, ".//select", panel)
    wait(lambda: len(Select(select).options) == 2, what="the saved proxies")
    Select(select).select_by_visible_text("pool-a — socks5://127.0.0.28:1080")
    status, body = d.http("DELETE", "/api/settings/proxies?id=%s&force=1" % a["id"])
    assert status == 200, body
    button(chromium, "Assign", panel).click()
    alert = wait(lambda: by(chromium, "//section[@aria-label='Proxy for team-b']//*[@role='alert']"),
                 what="the error")
    assert "Proxy not found" in alert.text and "HTTP 404" in alert.text and "requestId" in alert.text
    assert account_badge(chromium, "team-b") == "Provider"    # the pool left: pool-b
    assert "inherits provider proxy pool-b" in account_text(chromium, "team-b")
    assert chromium.errors(expected_statuses=(404,)) == []
    assert chromium.foreign_requests(origin) == []
