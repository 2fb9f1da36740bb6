"""The dashboard's Health page (issue 12; dashboard/health.js) in real
headless Chromium against the real daemon.

Real relayed calls produce the outcome rows: a live SOCKS5 proxy
(microsocks on its own loopback address, 127.0.0.27) carries successes to
the provider stand-in; a dead one (a free port on 127.0.0.28) refuses the
TCP connection, so its calls fail at the `connect` stage; a flaky one
(microsocks on 127.0.0.26) carries two calls and is then stopped, so its next
two fail at `connect`; a fourth proxy carries nothing. Each is the openai
provider's only proxy in turn.

Covered: the summary table (calls, success rate with its counts, average
latency, last seen; "no traffic", never "0%", for the idle proxy), the window
choice (Last hour / 24 hours / 7 days) in the URL, choosing a proxy opens its
chart — the SVG's segments carry their stage and count (`ok` 3 for the live
proxy, `connect` 2 for the dead one, nothing else; the flaky one's bar
stacks `connect` 2 over `ok` 2), its <title>/<desc> say
the figures, the toggled table holds the same totals — and a reload keeps
window and proxy; an idle proxy's chart says "No traffic"; a proxy id that
no longer exists shows the API's 404 with its requestId while the table
stays. At most two API requests per view. No console error, no request to
another origin. Screenshots health-1400.png and health-400.png."""

import http.client
import json

import pytest

import browser
from browser import wait
import egress_env as env
from conftest import new_proxy, wait_for

why_not = browser.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")

V1 = "/api/v1/management/proxies"
LIVE, DEAD, FLAKY = "127.0.0.27", "127.0.0.28", "127.0.0.26"
OK_CALLS, FAILED_CALLS = 3, 2


def chat(d):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    c.request("POST", "/v1/chat/completions",
              body=json.dumps({"model": "openai/gpt-4o-mini",
                               "messages": [{"role": "user", "content": "hi"}]}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def through(d, proxy, calls, expect):
    status, body = d.http("PUT", V1 + "/assignments", {"scope": "provider", "scopeId": "openai",
                                                       "proxyId": proxy["id"]})
    assert status == 200, body
    assert [chat(d) for _ in range(calls)] == [expect] * calls


def calls_of(d, proxy_id):
    status, body = d.http("GET", V1 + "/health")
    return [i for i in body["items"] if i["proxyId"] == proxy_id][0]["totalRequests"]


@pytest.fixture
def traffic(daemon_factory, ca, provider, peers):
    """A daemon whose live proxy carried OK_CALLS successes, whose dead one
    FAILED_CALLS connect failures, and an idle proxy."""
    provider.reset()
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                            "OMNIROUTE_POOL_COOLDOWN_MS": "0"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url",
               provider.url("/v1", host="127.0.0.1"))
    d.ctl_json("conn", "add", "openai", "--name", "first", "--key", "sk-health-page")
    peer = peers(env.microsocks, address=LIVE)
    d.live = new_proxy(d, name="live-exit", type="socks5", host=LIVE, port=peer.port)
    d.dead = new_proxy(d, name="dead-exit", type="socks5", host=DEAD,
                       port=env.free_port_on([DEAD]))
    d.idle = new_proxy(d, name="idle-exit", type="socks5", host="127.0.0.29", port=1080)
    flaky_peer = peers(env.microsocks, address=FLAKY)
    d.flaky = new_proxy(d, name="flaky-exit", type="socks5", host=FLAKY, port=flaky_peer.port)
    through(d, d.live, OK_CALLS, 200)
    through(d, d.dead, FAILED_CALLS, 502)
    through(d, d.flaky, 2, 200)
    flaky_peer.stop()
    through(d, d.flaky, 2, 502)
    assert wait_for(lambda: calls_of(d, d.live["id"]) == OK_CALLS and
                    calls_of(d, d.dead["id"]) == FAILED_CALLS and
                    calls_of(d, d.flaky["id"]) == 4, timeout=10)
    return d


def summary_rows(chromium):
    from selenium.webdriver.common.by import By
    out = {}
    for tr in chromium.driver.find_elements(By.CSS_SELECTOR, "table.health-summary tbody tr"):
        cells = [tr.find_element(By.TAG_NAME, "th").text] + \
            [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        out[cells[0]] = cells[1:]
    return out


def segments(chromium):
    """{stage: calls} from the chart's SVG segments."""
    from selenium.webdriver.common.by import By
    counts = {}
    for rect in chromium.driver.find_elements(By.CSS_SELECTOR, "svg.health-svg rect.seg"):
        stage = rect.get_attribute("data-stage")
        counts[stage] = counts.get(stage, 0) + int(rect.get_attribute("data-count"))
    return counts


def figure_totals(chromium):
    """{stage: total} from the accessible table's footer (text read even while
    the <details> is closed)."""
    from selenium.webdriver.common.by import By
    return {td.get_attribute("data-stage"): int(td.get_attribute("textContent"))
            for td in chromium.driver.find_elements(By.CSS_SELECTOR, "#health-figures tfoot td")}


def chart_heading(chromium):
    from selenium.webdriver.common.by import By
    found = chromium.driver.find_elements(By.ID, "health-chart-heading")
    return found[0].text if found else ""


def current(chromium, link_text):
    """The aria-current of the link named link_text; None while it is not there."""
    from selenium.webdriver.common.by import By
    found = chromium.driver.find_elements(By.LINK_TEXT, link_text)
    return found[0].get_attribute("aria-current") if found else None


def api_requests(chromium, origin):
    chromium.collect()
    return [u for u in chromium.requests if u.startswith(origin + "/api/")]


def open_chart(chromium, name):
    from selenium.webdriver.common.by import By
    chromium.driver.find_element(By.LINK_TEXT, name).click()
    wait(lambda: chart_heading(chromium) == "Calls through " + name, what="the chart of " + name)


def test_health_page_summary_and_charts_by_stage(traffic, chromium):
    from selenium.webdriver.common.by import By
    d = traffic
    origin = "http://127.0.0.1:%d" % d.port
    chromium.driver.get(origin + "/dashboard#/health")
    wait(lambda: len(summary_rows(chromium)) == 4, what="the summary table")
    headers = [th.text for th in chromium.driver.find_elements(
        By.CSS_SELECTOR, "table.health-summary thead th")]
    assert headers == ["Proxy", "Endpoint", "Calls", "Success rate", "Avg latency", "Last seen"]
    rows = summary_rows(chromium)
    # busiest first
    assert list(rows) == ["flaky-exit", "live-exit", "dead-exit", "idle-exit"]
    live, dead, idle = rows["live-exit"], rows["dead-exit"], rows["idle-exit"]
    assert live[0] == "socks5://%s:%d" % (LIVE, d.live["port"])
    assert live[1] == "3" and live[2] == "100% (3 of 3)"
    assert live[3].endswith(" ms") and live[4] not in ("", "never")
    assert dead[1] == "2" and dead[2] == "0% (0 of 2)"
    assert rows["flaky-exit"][1:3] == ["4", "50% (2 of 4)"]
    assert idle[1:] == ["0", "no traffic", "—", "never"]
    assert "0%" not in " ".join(idle)
    assert chromium.driver.find_element(By.LINK_TEXT, "Health").get_attribute(
        "aria-current") == "page"
    assert chromium.driver.find_element(By.LINK_TEXT, "Last 24 hours").get_attribute(
        "aria-current") == "true"
    assert len(api_requests(chromium, origin)) == 1

    # the window: in the URL, the figures the same over 7 days
    chromium.driver.find_element(By.LINK_TEXT, "Last 7 days").click()
    wait(lambda: "hours=168" in chromium.driver.current_url, what="the 7-day window")
    wait(lambda: current(chromium, "Last 7 days") == "true", what="the 7-day window chosen")
    wait(lambda: summary_rows(chromium).get("live-exit", [None, None])[1] == "3")

    # the live proxy's chart: 3 calls, all ok
    open_chart(chromium, "live-exit")
    assert "proxyId=%s" % d.live["id"] in chromium.driver.current_url
    assert "hours=168" in chromium.driver.current_url
    assert segments(chromium) == {"ok": OK_CALLS}
    assert figure_totals(chromium) == {"ok": 3, "dns": 0, "connect": 0, "handshake": 0,
                                       "tls": 0, "http": 0, "timeout": 0, "other": 0}
    svg = chromium.driver.find_element(By.CSS_SELECTOR, "svg.health-svg")
    assert svg.get_attribute("role") == "img"
    title = svg.find_element(By.CSS_SELECTOR, "#health-chart-title").get_attribute("textContent")
    desc = svg.find_element(By.CSS_SELECTOR, "#health-chart-desc").get_attribute("textContent")
    assert title == "Calls through live-exit, last 7 days, per 6 hours"
    assert desc.startswith("3 calls: 3 ok.")
    assert len(svg.find_elements(By.CSS_SELECTOR, "g.bucket")) == 28
    # the toggled table: closed, then opened by keyboard-usable <summary>
    toggle = chromium.driver.find_element(By.XPATH, "//summary[text()='Figures as a table']")
    toggle.click()
    table = chromium.driver.find_element(By.ID, "health-figures")
    assert table.is_displayed()
    assert [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")] == \
        ["Period from", "ok", "dns", "connect", "handshake", "tls", "http", "timeout", "other"]
    assert len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) == 1
    # a reload stays on the window and the proxy
    chromium.driver.refresh()
    wait(lambda: chart_heading(chromium) == "Calls through live-exit", what="the reloaded chart")
    assert segments(chromium) == {"ok": OK_CALLS}
    assert chromium.driver.find_element(By.LINK_TEXT, "Last 7 days").get_attribute(
        "aria-current") == "true"

    # back to 24 h, the dead proxy's chart: 2 calls, failed at connect
    chromium.driver.find_element(By.LINK_TEXT, "Last 24 hours").click()
    wait(lambda: "hours=24" in chromium.driver.current_url)
    wait(lambda: current(chromium, "Last 24 hours") == "true" and
         chart_heading(chromium) == "Calls through live-exit")
    api_before = len(api_requests(chromium, origin))
    open_chart(chromium, "dead-exit")
    wait(lambda: segments(chromium) == {"connect": FAILED_CALLS}, what="the connect segments")
    assert figure_totals(chromium)["connect"] == 2 and figure_totals(chromium)["ok"] == 0
    assert len(svg_buckets := chromium.driver.find_elements(
        By.CSS_SELECTOR, "svg.health-svg g.bucket")) == 24
    assert int(svg_buckets[-1].get_attribute("data-total")) == 2
    assert chromium.driver.find_element(By.ID, "health-chart-summary").text.startswith(
        "2 calls in the last 24 hours: 0 ok, 2 failed.")
    assert len(api_requests(chromium, origin)) - api_before == 2   # summary + series
    legend = chromium.driver.find_element(By.CSS_SELECTOR, "ul.legend").text
    assert "connect 2" in legend.replace("\n", " ")

    # the flaky proxy: one bar, connect stacked over ok
    open_chart(chromium, "flaky-exit")
    assert segments(chromium) == {"ok": 2, "connect": 2}
    last = chromium.driver.find_elements(By.CSS_SELECTOR, "svg.health-svg g.bucket")[-1]
    rects = {r.get_attribute("data-stage"): float(r.get_attribute("y"))
             for r in last.find_elements(By.CSS_SELECTOR, "rect.seg")}
    assert rects["connect"] < rects["ok"]          # higher up the bar
    assert chromium.driver.find_element(By.ID, "health-chart-desc").get_attribute(
        "textContent").startswith("4 calls: 2 ok, 2 connect.")
    chromium.screenshot("health", 1400)
    chromium.screenshot("health", 400)
    chromium.driver.set_window_size(1400, 900)

    # the idle proxy: no traffic, no segments
    open_chart(chromium, "idle-exit")
    wait(lambda: [e.text for e in chromium.driver.find_elements(By.ID, "health-chart-summary")] ==
         ["No traffic in the last 24 hours."], what="no traffic")
    assert segments(chromium) == {}
    desc = chromium.driver.find_element(By.ID, "health-chart-desc").get_attribute("textContent")
    assert desc == "No calls in this window."

    # closing the chart leaves the table
    chromium.driver.find_element(By.LINK_TEXT, "Close chart").click()
    wait(lambda: "proxyId" not in chromium.driver.current_url and chart_heading(chromium) == "")
    assert len(summary_rows(chromium)) == 4
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []


def test_a_proxy_that_is_gone_shows_the_404(daemon, chromium):
    from selenium.webdriver.common.by import By
    new_proxy(daemon, name="still-here", host="127.0.0.30", port=1080)
    origin = "http://127.0.0.1:%d" % daemon.port
    chromium.driver.get(origin + "/dashboard#/health?hours=1&proxyId=gone-proxy")
    alert = wait(lambda: chromium.driver.find_elements(By.CSS_SELECTOR, "[role=alert]"),
                 what="the 404")[0]
    assert "Proxy not found" in alert.text and "HTTP 404" in alert.text
    assert "requestId" in alert.text
    rows = summary_rows(chromium)
    assert rows["still-here"][1:] == ["0", "no traffic", "—", "never"]
    assert chromium.driver.find_element(By.LINK_TEXT, "Last hour").get_attribute(
        "aria-current") == "true"
    assert chromium.errors(expected_statuses=(404,)) == []
    assert chromium.foreign_requests(origin) == []
