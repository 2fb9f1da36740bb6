"""The dashboard's Proxies page in real headless Chromium (issue 12;
browser.py) against the real daemon, real proxies (microsocks on
127.0.0.2x), the echo stand-in of test_egress_ip.py (the egress check URL
and the probe URL) and the provider stand-in (relayed calls that give a
proxy its health figures).

Covered: adding a proxy through the form (and a refused one, its error
inline with its requestId), editing one (an empty password keeps the stored
one), Test (ok, and the stage `connect` of a dead proxy), Check egress IP
(the row's Egress IP follows), Delete (an unused proxy goes; an assigned one
answers 409, the page names the scopes using it and offers a force delete),
search (applied while typing, in the URL, kept on reload), the Health
column ("no traffic", then real figures after relayed calls), the Usage
column's assignment count, and the API requests one page load costs (one
list request). Screenshots proxies-1400.png and proxies-400.png."""

import http.client
import json
import re

import pytest

import browser
from browser import wait
import egress_env as env
from conftest import new_proxy
from test_egress_ip import EchoStandIn

why_not = browser.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")

V1 = "/api/v1/management/proxies"
KEY = "sk-dash-proxies"
MODEL = "openai/gpt-4o-mini"


@pytest.fixture(scope="module")
def echo():
    e = EchoStandIn()
    yield e
    e.stop()


@pytest.fixture
def d(daemon_factory, echo):
    return daemon_factory(env={"OMNIROUTE_EGRESS_CHECK_URL": echo.url("/json"),
                               "OMNIROUTE_PROBE_URL": echo.url("/json"),
                               "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                               "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "3000"}).start()


def by():
    from selenium.webdriver.common.by import By
    return By


def origin(d):
    return "http://127.0.0.1:%d" % d.port


def open_page(chromium, d, query=""):
    chromium.driver.get(origin(d) + "/dashboard#/proxies" + query)
    wait(lambda: chromium.driver.find_elements(by().ID, "proxies-range"), what="the list")


def rows(chromium):
    return [[td.text for td in tr.find_elements(by().TAG_NAME, "td")]
            for tr in chromium.driver.find_elements(
                by().CSS_SELECTOR, "#proxies-list tbody tr:not(.row-result)")]


def cell(chromium, name, column):
    """The text in the named column of the proxy's row, or None."""
    headers = [th.text for th in chromium.driver.find_elements(by().CSS_SELECTOR,
                                                                "#proxies-list thead th")]
    for r in rows(chromium):
        if r and r[0] == name:
            return r[headers.index(column)]
    return None


def row(chromium, name):
    return chromium.driver.find_element(
        by().XPATH, "//div[@id='proxies-list']//tbody/tr[td[1][text()='%s']]" % name)


def row_button(chromium, name, text):
    return row(chromium, name).find_element(by().XPATH, ".//button[text()='%s']" % text)


def row_result(chromium, name):
    """The text of the outcome row under the proxy's row ("" until there is one)."""
    found = row(chromium, name).find_elements(by().XPATH, "following-sibling::tr[1]")
    if found and "row-result" in (found[0].get_attribute("class") or ""):
        return found[0].text
    return ""


def button(chromium, text):
    return chromium.driver.find_element(by().XPATH, "//button[text()='%s']" % text)


def labelled(chromium, label, scope="//"):
    """The form control whose <label for> says label."""
    target = chromium.driver.find_element(
        by().XPATH, "%slabel[text()='%s']" % (scope, label)).get_attribute("for")
    return chromium.driver.find_element(by().ID, target)


def fill(chromium, values):
    from selenium.webdriver.support.ui import Select
    for label, value in values.items():
        control = labelled(chromium, label, "//dialog//")
        if control.tag_name == "select":
            Select(control).select_by_value(value)
        else:
            control.clear()
            control.send_keys(value)


def api_requests(chromium, d):
    chromium.collect()
    return [u for u in chromium.requests if u.startswith(origin(d) + "/api/")]


def notice_text(chromium):
    return chromium.driver.find_element(by().ID, "notice").text


def test_add_edit_test_and_egress_check(d, chromium, peers):
    ms = peers(env.microsocks, address="127.0.0.21")
    dead = new_proxy(d, name="Dead exit", type="socks5", host="127.0.0.22",
                     port=env.free_port_on(["127.0.0.22"]), username="dead-user",
                     password="dead-secret")
    open_page(chromium, d)
    assert rows(chromium)[0][:6] == ["Dead exit", "socks5://127.0.0.22:%d" % dead["port"],
                                     "active", "no traffic", "not checked", "unused"]

    # add through the form
    button(chromium, "Add proxy").click()
    wait(lambda: chromium.driver.find_elements(by().CSS_SELECTOR, "dialog[open]"),
         what="the dialog")
    fill(chromium, {"Name": "Socks exit", "Type": "socks5", "Host": "127.0.0.21",
                    "Port": str(ms.port), "Region": "lab", "Notes": "microsocks on .21"})
    for label in ("Username", "Password"):
        assert labelled(chromium, label, "//dialog//").get_attribute("value") == ""
    button(chromium, "Save").click()
    wait(lambda: cell(chromium, "Socks exit", "Endpoint") == "socks5://127.0.0.21:%d" % ms.port,
         what="the new row")
    assert not chromium.driver.find_elements(by().CSS_SELECTOR, "dialog[open]")
    assert "Added Socks exit" in notice_text(chromium)
    status, listing = d.http("GET", V1 + "?q=socks%20exit")
    added = listing["items"][0]
    assert (added["type"], added["region"], added["notes"]) == ("socks5", "lab",
                                                                "microsocks on .21")

    # a name already taken: the API's error inline in the form, with its requestId
    button(chromium, "Add proxy").click()
    fill(chromium, {"Name": "socks EXIT", "Host": "127.0.0.23", "Port": "1080"})
    button(chromium, "Save").click()
    alert = wait(lambda: chromium.driver.find_element(by().CSS_SELECTOR, "dialog [role=alert]"),
                 what="the refusal")
    assert "is taken by proxy 'Socks exit'" in alert.text and "HTTP 409" in alert.text, alert.text
    assert "requestId" in alert.text
    button(chromium, "Cancel").click()
    wait(lambda: not chromium.driver.find_elements(by().CSS_SELECTOR, "dialog[open]"),
         what="the dialog to close")

    # edit: the stored credentials stay when the password is left empty
    row_button(chromium, "Dead exit", "Edit").click()
    wait(lambda: chromium.driver.find_elements(by().CSS_SELECTOR, "dialog[open]"),
         what="the edit dialog")
    assert labelled(chromium, "Name", "//dialog//").get_attribute("value") == "Dead exit"
    assert labelled(chromium, "Password", "//dialog//").get_attribute("value") == ""
    fill(chromium, {"Region": "nowhere"})
    button(chromium, "Save").click()
    wait(lambda: "Saved Dead exit" in notice_text(chromium), what="the save")
    status, rec = d.http("GET", V1 + "?id=" + dead["id"])
    assert rec["region"] == "nowhere" and rec["password"] == "***" and rec["username"] == "***"

    # Test: ok through microsocks; the dead one fails at `connect`
    row_button(chromium, "Socks exit", "Test").click()
    wait(lambda: "Test ok" in row_result(chromium, "Socks exit"), what="the test result")
    assert "HTTP 200" in row_result(chromium, "Socks exit")
    row_button(chromium, "Dead exit", "Test").click()
    wait(lambda: "failed" in row_result(chromium, "Dead exit"), what="the failed test")
    assert "stage connect" in row_result(chromium, "Dead exit"), row_result(chromium, "Dead exit")

    # Check egress IP: the address the echo saw, in the row at once
    row_button(chromium, "Socks exit", "Check egress IP").click()
    wait(lambda: cell(chromium, "Socks exit", "Egress IP") == "127.0.0.21", what="the egress IP")
    assert "Egress IP 127.0.0.21" in row_result(chromium, "Socks exit")
    row_button(chromium, "Dead exit", "Check egress IP").click()
    wait(lambda: "Egress check failed" in row_result(chromium, "Dead exit"), what="the failure")
    assert "stage connect" in row_result(chromium, "Dead exit")
    assert cell(chromium, "Dead exit", "Egress IP") == "not checked"
    # stored: a reload shows it
    chromium.driver.refresh()
    wait(lambda: cell(chromium, "Socks exit", "Egress IP") == "127.0.0.21", what="the reload")
    assert chromium.errors(expected_statuses=(409,)) == []
    assert chromium.foreign_requests(origin(d)) == []


def test_delete_force_search_usage_and_request_count(d, chromium):
    tokyo = new_proxy(d, name="Tokyo exit", host="127.0.0.24", region="ap-northeast")
    paris = new_proxy(d, name="Paris exit", host="127.0.0.25", notes="rented in Paris")
    spare = new_proxy(d, name="Spare", host="127.0.0.26")
    for scope, scope_id in (("global", None), ("provider", "openai"), ("account", "acct-1")):
        status, body = d.http("PUT", V1 + "/assignments",
                              {"scope": scope, "scopeId": scope_id, "proxyId": tokyo["id"]})
        assert status == 200, body
    open_page(chromium, d)
    # one page load: one list request, with health and usage; the only others
    # are the global proxy card's (global_card.js): the global assignment and
    # its pool (this test assigns one)
    calls = api_requests(chromium, d)
    listing = [u for u in calls if u.startswith(origin(d) + V1 + "?")]
    assert len(listing) == 1 and "include=health%2Cusage" in listing[0], calls
    assert len(calls) <= 3, calls
    assert cell(chromium, "Tokyo exit", "Usage") == \
        "3 assignments (account acct-1, global, provider openai)"
    assert cell(chromium, "Paris exit", "Usage") == "unused"

    # search while typing: rows filter, the URL follows, a reload keeps it
    search = labelled(chromium, "Search")
    search.send_keys("PARIS")
    wait(lambda: [r[0] for r in rows(chromium)] == ["Paris exit"], what="the search")
    assert chromium.driver.current_url.endswith("#/proxies?q=PARIS")
    assert chromium.driver.find_element(by().ID, "proxies-range").text == "1–1 of 1"
    chromium.driver.refresh()
    wait(lambda: [r[0] for r in rows(chromium)] == ["Paris exit"], what="the reloaded search")
    assert labelled(chromium, "Search").get_attribute("value") == "PARIS"
    search = labelled(chromium, "Search")
    search.clear()
    search.send_keys("ap-north")        # a region, applied on submit too
    button(chromium, "Search").click()
    wait(lambda: [r[0] for r in rows(chromium)] == ["Tokyo exit"], what="the region search")
    search.clear()
    search.send_keys("no-such-exit")
    wait(lambda: chromium.driver.find_element(by().ID, "proxies-range").text ==
         "no proxy matches", what="an empty search")
    search.clear()
    button(chromium, "Search").click()
    wait(lambda: len(rows(chromium)) == 3, what="every row again")
    assert chromium.driver.current_url.endswith("#/proxies")

    # an unused proxy goes at once
    row_button(chromium, "Spare", "Delete").click()
    wait(lambda: cell(chromium, "Spare", "Name") is None, what="the deleted row")
    assert "Deleted Spare" in notice_text(chromium)
    assert d.http("GET", V1 + "?id=" + spare["id"])[0] == 404

    # an assigned one: 409, the scopes that use it, and a force delete
    row_button(chromium, "Tokyo exit", "Delete").click()
    wait(lambda: "Used by 3 scopes" in row_result(chromium, "Tokyo exit"), what="the 409")
    text = row_result(chromium, "Tokyo exit")
    assert "Proxy is still assigned" in text and "HTTP 409" in text and "requestId" in text
    assert "account acct-1, global, provider openai" in text
    assert d.http("GET", V1 + "?id=" + tokyo["id"])[0] == 200
    row(chromium, "Tokyo exit").find_element(
        by().XPATH, "following-sibling::tr[1]//button[text()='Force delete']").click()
    wait(lambda: cell(chromium, "Tokyo exit", "Name") is None, what="the forced delete")
    assert d.http("GET", V1 + "?id=" + tokyo["id"])[0] == 404
    status, body = d.http("GET", V1 + "/assignments")
    assert body["page"]["total"] == 0
    assert [r[0] for r in rows(chromium)] == ["Paris exit"]
    assert paris["id"]
    assert chromium.errors(expected_statuses=(409,)) == []
    assert chromium.foreign_requests(origin(d)) == []


def chat(d):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    c.request("POST", "/v1/chat/completions",
              body=json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def test_health_after_relayed_calls_and_screenshots(daemon_factory, chromium, peers, ca,
                                                    provider, echo):
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "OMNIROUTE_EGRESS_CHECK_URL": echo.url("/json"),
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                            "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "3000"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1", host="127.0.0.1"))
    d.ctl_json("conn", "add", "openai", "--name", "first", "--key", KEY)
    ms = peers(env.microsocks, address="127.0.0.27")
    exit_proxy = new_proxy(d, name="Relay exit", type="socks5", host="127.0.0.27", port=ms.port,
                           region="lab")
    new_proxy(d, name="Standby exit", type="http", host="127.0.0.28", port=3128,
              notes="kept for failover")
    new_proxy(d, name="Old exit", type="https", host="127.0.0.29", port=8443,
              status="inactive")
    status, body = d.http("PUT", V1 + "/assignments", {"scope": "provider", "scopeId": "openai",
                                                       "proxyId": exit_proxy["id"]})
    assert status == 200, body
    open_page(chromium, d)
    assert cell(chromium, "Relay exit", "Health") == "no traffic"
    assert cell(chromium, "Relay exit", "Usage") == "1 assignment (provider openai)"

    for _ in range(3):
        assert chat(d) == 200

    def counted():
        status, body = d.http("GET", V1 + "?include=health&q=relay")
        return body["items"][0]["health"]["totalRequests"] == 3 and body["items"][0]["health"]
    health = wait(counted, timeout=15, what="the outcomes in the master")
    chromium.driver.refresh()
    text = wait(lambda: cell(chromium, "Relay exit", "Health") != "no traffic" and
                cell(chromium, "Relay exit", "Health"), what="the health figures")
    assert text == "3 calls · 100%% success · %d ms avg" % health["avgLatencyMs"], text
    assert not re.search(r"(?<![0-9.])0% success", " ".join(" ".join(r) for r in rows(chromium)))
    assert cell(chromium, "Standby exit", "Health") == "no traffic"
    row_button(chromium, "Relay exit", "Check egress IP").click()
    wait(lambda: cell(chromium, "Relay exit", "Egress IP") == "127.0.0.27", what="the egress IP")
    chromium.screenshot("proxies", 1400)
    chromium.screenshot("proxies", 400)
    # the add dialog at the narrow width, for a person to look at
    button(chromium, "Add proxy").click()
    wait(lambda: chromium.driver.find_elements(by().CSS_SELECTOR, "dialog[open]"),
         what="the dialog")
    chromium.screenshot("proxies-add", 400)
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin(d)) == []


def test_last_row_of_the_last_page_and_ipv6_endpoint(d, chromium):
    status, body = d.http("POST", "/api/settings/proxies/bulk-import", {"items": [
        {"name": "bulk-%02d" % i, "host": "127.0.2.%d" % (i + 1), "port": 3128}
        for i in range(50)]})
    assert status == 200 and body["created"] == 50, body
    new_proxy(d, name="Loopback v6", host="::1", port=8080)
    # the oldest row is alone on the second page
    open_page(chromium, d, "?offset=50")
    assert [r[0] for r in rows(chromium)] == ["bulk-00"]
    row_button(chromium, "bulk-00", "Delete").click()
    # the page it was on is gone: the new last page, and the URL says so
    wait(lambda: chromium.driver.find_element(by().ID, "proxies-range").text == "1–50 of 50",
         what="the previous page")
    assert chromium.driver.current_url.endswith("#/proxies")
    assert cell(chromium, "Loopback v6", "Endpoint") == "http://[::1]:8080"
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin(d)) == []


def test_a_proxy_speaking_another_protocol_fails_at_the_handshake(d, chromium, peers):
    # a SOCKS5 record whose server is an HTTP proxy: the greeting gets an
    # HTTP answer, so the probe fails in the proxy handshake, and the page
    # names the stage with the dashboard's word for it
    tp = peers(env.tinyproxy, address="127.0.0.23")
    new_proxy(d, name="Mislabelled exit", type="socks5", host="127.0.0.23", port=tp.port)
    open_page(chromium, d)
    wait(lambda: cell(chromium, "Mislabelled exit", "Status") == "active", what="the row")
    row_button(chromium, "Mislabelled exit", "Test").click()
    wait(lambda: "failed" in row_result(chromium, "Mislabelled exit"), what="the failed test")
    assert "stage handshake (proxy_handshake)" in row_result(chromium, "Mislabelled exit")
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin(d)) == []
