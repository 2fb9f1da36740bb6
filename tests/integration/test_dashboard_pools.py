"""The Pools page of the dashboard (issue 12, dashboard/pools.js) in real
headless Chromium (browser.py) against the real daemon, real proxies and the
provider stand-in:

- a pool of three microsocks proxies (each on a loopback address of its own,
  127.0.0.21-23, as in test_pool_routing.py) built for a provider through the
  page's searchable picker; the "Next call" line agreeing with real relayed
  calls (the member each call used, X-OmniRoute-Proxy-Id, and the address
  the provider saw); members moved up with the mouse and the keyboard, the
  focus staying on the moved member's button; the strategy set to sticky
  with a window (a bad window shows the API's error naming the field); a
  member removed; a duplicate added, its 409 shown with the requestId;
- the shared-egress warning for two records of one microsocks whose egress
  IP was checked (the egress stand-in of test_egress_ip.py);
- a live 1proxy member set over the fake feed of test_oneproxy.py: its
  filter and member count shown, replaced from the form, a bad minimum
  quality shown with its error, removed.

Every test fails on a console error (except the statuses it provokes on
purpose) and on any request to another origin. Screenshots: pools-1400.png,
pools-400.png."""


import pytest

import browser
from browser import wait
import egress_env as env
from conftest import new_proxy
from test_egress_ip import EchoStandIn
from test_oneproxy import FEED, feed_row, page, sync
from test_pool_routing import chat

why_not = browser.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")

ADDRESSES = ["127.0.0.21", "127.0.0.22", "127.0.0.23"]


@pytest.fixture(scope="module")
def provider(ca):
    from provider_standin import ProviderStandIn
    s = ProviderStandIn(ca, pause=0.01, addresses=["127.0.0.1"])
    yield s
    s.stop()


def by():
    from selenium.webdriver.common.by import By
    return By


def field(chromium, label):
    """The control a <label for> names, as a user finds it."""
    B = by()
    lab = chromium.driver.find_element(B.XPATH, "//label[normalize-space()='%s']" % label)
    return chromium.driver.find_element(B.ID, lab.get_attribute("for"))


def choose(chromium, label, value):
    from selenium.webdriver.support.ui import Select
    Select(field(chromium, label)).select_by_visible_text(value)


def button(chromium, name):
    """A button by its accessible name: aria-label, else its text."""
    B = by()
    return chromium.driver.find_element(
        B.XPATH, "//button[@aria-label='%s' or (not(@aria-label) and normalize-space()='%s')]"
        % (name, name))


def text_of(chromium, element_id):
    found = chromium.driver.find_elements(by().ID, element_id)
    return found[0].text if found else ""


def member_names(chromium):
    B = by()
    return [tr.find_elements(B.TAG_NAME, "td")[1].text.replace("live 1proxy", "").strip()
            for tr in chromium.driver.find_elements(B.CSS_SELECTOR, "#pool-members tbody tr")]


def type_into(chromium, label, text):
    f = field(chromium, label)
    f.clear()
    f.send_keys(text)
    return f


def add_member(chromium, name, expect_total=None):
    f = type_into(chromium, "Search proxies", name)
    wait(lambda: text_of(chromium, "pool-add-matches") == "1 proxy matches", what="the picker")
    assert f.get_attribute("value") == name
    button(chromium, "Add member").click()
    if expect_total is not None:
        wait(lambda: len(member_names(chromium)) == expect_total, what="member %s" % name)


def open_pools(chromium, d, query=""):
    origin = "http://127.0.0.1:%d" % d.port
    chromium.driver.get(origin + "/dashboard#/pools" + query)
    try:
        wait(lambda: chromium.driver.find_elements(by().ID, "pool-scope"), what="the Pools page")
    except AssertionError:
        raise AssertionError(chromium.driver.find_element(by().ID, "view").text + repr(chromium.errors()))
    return origin


def next_call(chromium):
    return text_of(chromium, "pool-next")


def test_build_reorder_sticky_remove_and_duplicate(daemon_factory, ca, provider, peers,
                                                   chromium):
    from selenium.webdriver.common.keys import Keys
    B = by()
    provider.reset()
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url",
               provider.url("/v1", host="127.0.0.1"))
    conn = d.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-pools-page")
    names = ["exit-a", "exit-b", "exit-c"]
    proxies = {}
    for name, address in zip(names, ADDRESSES):
        peer = peers(env.microsocks, address=address)
        proxies[name] = new_proxy(d, name=name, type="socks5", host=address, port=peer.port)
    new_proxy(d, name="spare-one", host="127.0.0.30", port=3128)
    by_id = {p["id"]: n for n, p in proxies.items()}
    address_of = dict(zip(names, ADDRESSES))

    origin = open_pools(chromium, d)
    nav = chromium.driver.find_element(B.LINK_TEXT, "Pools")
    assert nav.get_attribute("aria-current") == "page"
    assert "No scope has a pool yet" in chromium.driver.find_element(B.ID, "view").text
    choose(chromium, "Scope", "provider")
    type_into(chromium, "Scope id", "openai")
    button(chromium, "Show pool").click()
    wait(lambda: "No pool for provider openai yet" in text_of(chromium, "pool-none"),
         what="the empty scope")
    assert chromium.driver.current_url.endswith("#/pools?scope=provider&scopeId=openai")

    # build the pool through the picker
    add_member(chromium, "exit-a", 1)
    assert "Added exit-a" in text_of(chromium, "pool-add-status")
    add_member(chromium, "exit-b", 2)
    add_member(chromium, "exit-c", 3)
    assert member_names(chromium) == names
    assert "provider openai (3 members)" in chromium.driver.find_element(
        B.CSS_SELECTOR, "nav.pool-scopes").text
    headers = [th.text for th in chromium.driver.find_elements(B.CSS_SELECTOR, "#pool-members th")]
    assert headers == ["#", "Name", "Endpoint", "Status", "Egress IP", "Health", "Order"]

    # "Next call" agrees with real calls (round-robin, the cursor moves per call)
    assert "exit-a" in next_call(chromium)
    res, data = chat(d)
    assert res.status == 200, data
    assert by_id[res.getheader("X-OmniRoute-Proxy-Id")] == "exit-a"
    chromium.driver.refresh()
    wait(lambda: "exit-b" in next_call(chromium), what="the next member after one call")

    # reorder: the mouse, then the keyboard on the button that kept the focus
    button(chromium, "Move exit-c up").click()
    wait(lambda: member_names(chromium) == ["exit-a", "exit-c", "exit-b"], what="c moved up")
    assert "Moved exit-c to position 1" in text_of(chromium, "pool-members-status")
    active = chromium.driver.switch_to.active_element
    assert active.get_attribute("aria-label") == "Move exit-c up"
    active.send_keys(Keys.ENTER)
    wait(lambda: member_names(chromium) == ["exit-c", "exit-a", "exit-b"], what="c at the top")
    # at the top its Up button is disabled: the focus went to its Down button
    assert chromium.driver.switch_to.active_element.get_attribute("aria-label") == \
        "Move exit-c down"
    assert button(chromium, "Move exit-c up").get_attribute("disabled") is not None
    # the cursor is at 1: position 1 is exit-a now, and a real call agrees
    wait(lambda: "exit-a" in next_call(chromium), what="next after the reorder")
    provider.reset()
    res, data = chat(d)
    assert by_id[res.getheader("X-OmniRoute-Proxy-Id")] == "exit-a"
    assert provider.sources.snapshot() == [address_of["exit-a"]]

    def health():
        chromium.driver.refresh()
        wait(lambda: member_names(chromium) == ["exit-c", "exit-a", "exit-b"], what="the pool")
        return [tr.find_elements(B.TAG_NAME, "td")[5].text for tr in
                chromium.driver.find_elements(B.CSS_SELECTOR, "#pool-members tbody tr")]
    # each member's 24 h health comes with the pool (outcomes arrive shortly)
    cells = wait(lambda: (lambda h: h[1].startswith("2 calls, 100") and h)(health()),
                 timeout=15, what="exit-a's two calls in its health")
    assert cells[0] == "no traffic" and cells[1].endswith(" ms"), cells
    assert "exit-b" in next_call(chromium)

    # strategy: sticky with a window; a bad window shows the API's error
    window = field(chromium, "Sticky window (minutes)")
    assert not window.is_displayed()
    choose(chromium, "Strategy", "sticky")
    window = wait(lambda: field(chromium, "Sticky window (minutes)").is_displayed() and
                  field(chromium, "Sticky window (minutes)"), what="the window field")
    window.clear()
    window.send_keys("0")
    button(chromium, "Save strategy").click()
    alert = wait(lambda: chromium.driver.find_elements(
        B.CSS_SELECTOR, "#pool-strategy-status [role=alert]"), what="the refusal")[0]
    assert "Invalid request" in alert.text and "HTTP 400" in alert.text
    assert "stickyWindowMinutes" in alert.text and "requestId" in alert.text
    window = field(chromium, "Sticky window (minutes)")
    window.clear()
    window.send_keys("45")
    button(chromium, "Save strategy").click()
    wait(lambda: "sticky window 45 min saved" in text_of(chromium, "pool-strategy-status"),
         what="the saved strategy")
    assert "Strategy sticky, sticky window 45 min" in text_of(chromium, "pool-strategy-now")
    status, p = d.http("GET", "/api/settings/proxies/pool?scope=provider&scopeId=openai")
    assert p["strategy"] == "sticky" and p["stickyWindowMinutes"] == 45
    # the next call for this connection is the member its real calls keep
    assert field(chromium, "Next call for connection").get_attribute("value") == conn["id"]
    shown = [n for n in names if n in next_call(chromium)]
    assert len(shown) == 1, next_call(chromium)
    for _ in range(2):
        res, data = chat(d)
        assert res.status == 200, data
        assert by_id[res.getheader("X-OmniRoute-Proxy-Id")] == shown[0]
    chromium.driver.execute_script("document.getElementById('notice').textContent = ''")
    chromium.screenshot("pools", 1400, height=1100)     # the whole page, forms included
    chromium.screenshot("pools", 400, height=2000)
    chromium.driver.set_window_size(1400, 900)
    choose(chromium, "Strategy", "round-robin")
    assert not field(chromium, "Sticky window (minutes)").is_displayed()

    # remove a member
    button(chromium, "Remove exit-a").click()
    wait(lambda: member_names(chromium) == ["exit-c", "exit-b"], what="exit-a removed")
    assert "Removed exit-a" in text_of(chromium, "pool-members-status")

    # a duplicate: the 409 with its requestId, where the action happened
    add_member(chromium, "exit-b")
    alert = wait(lambda: chromium.driver.find_elements(
        B.CSS_SELECTOR, "#pool-add-status [role=alert]"), what="the 409")[0]
    assert "already a member" in alert.text and "HTTP 409" in alert.text
    assert "requestId" in alert.text
    assert member_names(chromium) == ["exit-c", "exit-b"]
    # the picker marks members
    type_into(chromium, "Search proxies", "exit")
    wait(lambda: text_of(chromium, "pool-add-matches") == "3 proxies match", what="the picker")
    options = [o.text for o in field(chromium, "Proxy to add").find_elements(B.TAG_NAME, "option")]
    assert sorted(options) == sorted(["exit-a — socks5://%s:%d" % (ADDRESSES[0],
                                                                     proxies["exit-a"]["port"]),
                                      "exit-b — socks5://%s:%d (already a member)"
                                      % (ADDRESSES[1], proxies["exit-b"]["port"]),
                                      "exit-c — socks5://%s:%d (already a member)"
                                      % (ADDRESSES[2], proxies["exit-c"]["port"])])
    # the view is in the URL: a reload stays on the pool
    chromium.driver.refresh()
    wait(lambda: member_names(chromium) == ["exit-c", "exit-b"], what="the reloaded pool")
    assert chromium.errors(expected_statuses=(400, 409)) == []
    assert chromium.foreign_requests(origin) == []


def test_shared_egress_warning(daemon_factory, peers, chromium):
    B = by()
    echo = EchoStandIn()
    try:
        d = daemon_factory(env={"OMNIROUTE_EGRESS_CHECK_URL": echo.url("/json")}).start()
        one = peers(env.microsocks, address="127.0.0.25")
        other = peers(env.microsocks, address="127.0.0.26")
        # two records of the same microsocks, and one elsewhere
        twin_a = new_proxy(d, name="twin-a", type="socks5", host="127.0.0.25", port=one.port)
        twin_b = new_proxy(d, name="twin-b", type="socks5", host="127.0.0.25", port=one.port,
                           username="", notes="the same exit again")
        lone = new_proxy(d, name="lone", type="socks5", host="127.0.0.26", port=other.port)
        for p in (twin_a, twin_b, lone):
            status, body = d.http("PUT", "/api/settings/proxies/pool",
                                  {"scope": "combo", "scopeId": "fast", "proxyId": p["id"]})
            assert status in (200, 201), body
            assert d.probe_json("proxy", "egress", p["id"])["success"] is True
        origin = open_pools(chromium, d, "?scope=combo&scopeId=fast")
        warning = wait(lambda: chromium.driver.find_elements(B.ID, "pool-shared-egress"),
                       what="the shared-egress warning")[0]
        assert "twin-a, twin-b all leave from 127.0.0.25" in warning.text
        assert "lone" not in warning.text
        egress = [tr.find_elements(B.TAG_NAME, "td")[4].text
                  for tr in chromium.driver.find_elements(B.CSS_SELECTOR, "#pool-members tbody tr")]
        assert egress == ["127.0.0.25 (shared)", "127.0.0.25 (shared)", "127.0.0.26"]
        button(chromium, "Remove twin-b").click()
        wait(lambda: member_names(chromium) == ["twin-a", "lone"], what="twin-b removed")
        assert chromium.driver.find_elements(B.ID, "pool-shared-egress") == []
        assert chromium.errors() == []
        assert chromium.foreign_requests(origin) == []
    finally:
        echo.stop()


def test_live_oneproxy_set(daemon_factory, ca, chromium):
    from provider_standin import ProviderStandIn
    B = by()
    feed = ProviderStandIn(ca)
    try:
        d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                                "ONEPROXY_API_URL": feed.url(host="127.0.0.1"),
                                "ONEPROXY_ALLOW_PRIVATE": "true"}).start()
        rows = [feed_row(0, quality=90, protocol="socks5", country="US"),
                feed_row(1, quality=70, protocol="socks5", country="US"),
                feed_row(2, quality=55, protocol="socks5", country="US"),
                feed_row(3, quality=95, protocol="http", country="DE")]
        feed.script(FEED, body=page(rows))
        status, res = sync(d)
        assert status == 200 and res["added"] == 4, res
        origin = open_pools(chromium, d, "?scope=global")
        wait(lambda: "No pool for global yet" in text_of(chromium, "pool-none"), what="no pool")
        assert not field(chromium, "Scope id").is_displayed()
        choose(chromium, "Protocol", "socks5")
        type_into(chromium, "Country", "us")
        type_into(chromium, "Minimum quality", "60")
        button(chromium, "Save live set").click()
        wait(lambda: len(member_names(chromium)) == 2, what="the live members")
        summary = text_of(chromium, "pool-live-summary")
        assert "protocol socks5, country US, minimum quality 60 — 2 members now" in summary
        assert "Live 1proxy set saved: 2 members match now" in text_of(chromium, "pool-live-status")
        first = chromium.driver.find_element(B.CSS_SELECTOR, "#pool-members tbody tr")
        assert "live 1proxy" in first.text and "ordered by quality" in first.text
        assert first.find_elements(B.TAG_NAME, "button") == []
        assert "global (live" not in chromium.driver.find_element(B.ID, "view").text
        # a bad minimum quality: the API's error, nothing changed
        type_into(chromium, "Minimum quality", "150")
        button(chromium, "Save live set").click()
        alert = wait(lambda: chromium.driver.find_elements(
            B.CSS_SELECTOR, "#pool-live-status [role=alert]"), what="the refusal")[0]
        assert "filter.minQuality" in alert.text and "requestId" in alert.text
        assert len(member_names(chromium)) == 2
        # replaced with a lower bar: three members
        type_into(chromium, "Minimum quality", "50")
        button(chromium, "Save live set").click()
        wait(lambda: len(member_names(chromium)) == 3, what="the wider live set")
        assert "minimum quality 50 — 3 members now" in text_of(chromium, "pool-live-summary")
        status, p = d.http("GET", "/api/settings/proxies/pool?scope=global")
        assert p["source"] == "oneproxy" and p["filter"] == {
            "protocol": "socks5", "countryCode": "US", "minQuality": 50}
        # removed: the pool had nothing else, so the scope has none
        button(chromium, "Remove live set").click()
        wait(lambda: "No pool for global yet" in text_of(chromium, "pool-none"),
             what="the pool gone")
        assert "Removed the live 1proxy set" in text_of(chromium, "pool-live-status")
        assert chromium.errors(expected_statuses=(400,)) == []
        assert chromium.foreign_requests(origin) == []
    finally:
        feed.stop()


def test_direct_and_account_scopes(daemon_factory, chromium):
    from selenium.webdriver.common.keys import Keys
    B = by()
    d = daemon_factory().start()
    first = new_proxy(d, name="acct-exit", host="127.0.0.31", port=3128)
    second = new_proxy(d, name="acct-spare", host="127.0.0.32", port=3128)
    d.http("PUT", "/api/v1/management/proxies/assignments",
           {"scope": "provider", "scopeId": "groq", "proxyId": "direct"})
    d.http("PUT", "/api/v1/management/proxies/assignments",
           {"scope": "account", "scopeId": "conn-7", "proxyId": first["id"]})
    origin = open_pools(chromium, d)
    scopes = chromium.driver.find_element(B.CSS_SELECTOR, "nav.pool-scopes").text
    assert "provider groq (direct)" in scopes and "account conn-7 (1 member)" in scopes
    # a scope going direct on purpose: no strategy to tune, a member makes it a pool
    chromium.driver.find_element(B.LINK_TEXT, "provider groq").click()
    wait(lambda: "goes direct on purpose" in chromium.driver.find_element(B.ID, "view").text,
         what="the direct scope")
    assert chromium.driver.find_elements(B.ID, "pool-strategy") == []
    add_member(chromium, "acct-spare", 1)
    assert "acct-spare" in next_call(chromium)
    # an account's pool, reached by typing its id and pressing Enter
    choose(chromium, "Scope", "account")
    type_into(chromium, "Scope id", "conn-7").send_keys(Keys.ENTER)
    wait(lambda: member_names(chromium) == ["acct-exit"], what="the account's pool")
    assert "acct-exit" in next_call(chromium)
    add_member(chromium, "acct-spare", 2)
    button(chromium, "Move acct-spare up").click()
    wait(lambda: member_names(chromium) == ["acct-spare", "acct-exit"], what="the move")
    assert "acct-spare" in next_call(chromium)
    status, r = d.http("GET", "/api/settings/proxy?resolve=conn-7")
    assert r["proxyId"] == second["id"] and r["level"] == "account"
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []
