"""The dashboard's 1proxy page (issue 12) in real headless Chromium against
the real daemon and the fake 1proxy feed of test_oneproxy.py (the provider
stand-in over TLS with the test CA; loopback rows let in by
ONEPROXY_ALLOW_PRIVATE). Covered: "Sync now" with live progress from a slow
three-page feed, its result, the stats cards and breakdowns, the table
filled and paged; the filters (Protocol, Country, Minimum quality) applied
on a choice, after typing stops and on submit, kept in the URL across a
reload; a filter the API refuses shows its 400 with the requestId and no
stale rows; delete one; clear all through the confirmation dialog (cancel,
then confirm); rotation by each strategy; the circuit breaker opened by
five failed syncs and closed by "Reset circuit breaker"; a sync started
elsewhere (the 409 of "Sync now", a page opened while it runs) followed to
its end. Screenshots: oneproxy-1400.png and oneproxy-400.png."""

from urllib.parse import parse_qs, urlparse

import pytest

import browser
from browser import wait
from test_oneproxy import FEED, feed, feed_row, page, start, sync  # noqa: F401 (fixtures)

why_not = browser.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")


def by():
    from selenium.webdriver.common.by import By
    return By


def button(chromium, name):
    """The one button with that accessible text."""
    found = [b for b in chromium.driver.find_elements(
        by().XPATH, "//button[normalize-space()=%s]" % xpath_text(name)) if b.is_displayed()]
    assert len(found) == 1, (name, len(found))
    return found[0]


def click(chromium, element):
    """Click after scrolling it to the middle (the status toast sits at the
    bottom right and would take a click meant for a button under it)."""
    chromium.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def xpath_text(s):
    return "'%s'" % s if "'" not in s else '"%s"' % s


def field(chromium, label):
    """The input a <label for> with that text names."""
    found = chromium.driver.find_elements(by().XPATH, "//label[normalize-space()=%s]" % xpath_text(label))
    assert len(found) == 1, label
    return chromium.driver.find_element(by().ID, found[0].get_attribute("for"))


def text_of(chromium, element_id):
    found = chromium.driver.find_elements(by().ID, element_id)
    return found[0].text if found else ""


def table_rows(chromium):
    # read in one go: the table may be redrawn between two WebDriver calls
    return chromium.driver.execute_script(
        "return [...document.querySelectorAll('#oneproxy-table tbody tr')]"
        ".map((tr) => [...tr.cells].map((td) => td.innerText.trim()))")


def cards(chromium):
    return chromium.driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('.card')].map((c) => "
        "[c.querySelector('.card-label').innerText, c.querySelector('.card-value').innerText]))")


def facts(chromium):
    return chromium.driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('dl.facts dt')].map((dt) => "
        "[dt.innerText, dt.nextElementSibling.innerText]))")


def url_params(chromium):
    fragment = urlparse(chromium.driver.current_url).fragment
    assert fragment.startswith("/oneproxy")
    return {k: v[0] for k, v in parse_qs(fragment.partition("?")[2]).items()}


def open_page(chromium, d, query=""):
    origin = "http://127.0.0.1:%d" % d.port
    chromium.driver.get(origin + "/dashboard#/oneproxy" + query)
    wait(lambda: chromium.driver.find_elements(by().ID, "oneproxy-range"), what="the 1proxy page")
    nav = chromium.driver.find_element(by().LINK_TEXT, "1proxy")
    assert nav.get_attribute("aria-current") == "page"
    return origin


def rows_feed(n, start_at=0):
    # three protocols, three countries, qualities 55..99
    return [feed_row(i, quality=55 + (i * 7) % 45) for i in range(start_at, start_at + n)]


def test_sync_now_progress_filters_and_paging(start, feed, chromium):
    d = start()
    rows = rows_feed(230)
    for k in range(3):
        feed.script(FEED, body=page(rows[k * 100:(k + 1) * 100], k * 100), slow_head=0.8)
    origin = open_page(chromium, d)
    wait(lambda: "sync to fetch some" in text_of(chromium, "oneproxy-range"), what="the empty list")
    assert cards(chromium)["Total"] == "0" and cards(chromium)["Last sync"] == "never"
    button(chromium, "Sync now").click()
    seen = set()

    def finished():
        progress = text_of(chromium, "sync-progress")
        if "rows seen" in progress:
            seen.add(progress)
        return text_of(chromium, "sync-result")
    result = wait(finished, 20, "the sync's result")
    assert result == "Sync done: 3 pages fetched, 230 rows seen — 230 added, 0 updated, 0 failed"
    # live progress, while the POST had not answered yet
    assert any("1 page fetched, 100 rows seen" in s or "2 pages fetched, 200 rows seen" in s
               for s in seen), seen
    assert text_of(chromium, "sync-progress") == ""
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–50 of 230", what="the table")
    got = table_rows(chromium)
    assert len(got) == 50
    headers = [th.text for th in chromium.driver.find_elements(by().CSS_SELECTOR, "#oneproxy-table th")]
    assert headers[:8] == ["Host", "Protocol", "Country", "Quality", "Latency", "Anonymity",
                           "Google access", "Status"]
    best = max(rows, key=lambda r: r["quality_score"])
    assert got[0][3] == str(best["quality_score"])
    assert got[0][5:8] == ["elite", got[0][6], "active"] and got[0][6] in ("yes", "no")
    c = cards(chromium)
    assert c["Total"] == "230" and c["Active"] == "230" and "UTC" in c["Last sync"]
    status, stats = d.http("GET", "/api/settings/oneproxy?action=stats")
    assert abs(float(c["Avg quality"]) - stats["stats"]["avgQuality"]) <= 0.05
    by_protocol = chromium.driver.find_element(by().CSS_SELECTOR, "[aria-labelledby=by-protocol]").text
    assert "socks5" in by_protocol and "77" in by_protocol
    by_country = chromium.driver.find_element(by().CSS_SELECTOR, "[aria-labelledby=by-country]").text
    assert "US" in by_country and "DE" in by_country and "JP" in by_country
    st = facts(chromium)
    assert st["Last result"].startswith("succeeded, 230 rows stored")
    assert st["Consecutive failures"] == "0" and st["Circuit breaker"] == "closed"
    chromium.screenshot("oneproxy", 1400, 1250)
    chromium.screenshot("oneproxy", 400, 1900)
    # at 400 px only the table scrolls sideways, inside its wrapper; not the page
    assert chromium.driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    chromium.driver.set_window_size(1400, 900)

    # paging, kept in the URL
    button(chromium, "Next page").click()
    wait(lambda: text_of(chromium, "oneproxy-range") == "51–100 of 230", what="page 2")
    assert url_params(chromium) == {"offset": "50"}

    # Protocol: applied on the choice, back to the first page
    from selenium.webdriver.support.ui import Select
    Select(field(chromium, "Protocol")).select_by_value("socks5")
    n_socks5 = sum(1 for r in rows if r["protocol"] == "socks5")
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–50 of %d" % n_socks5, what="socks5")
    assert {r[1] for r in table_rows(chromium)} == {"socks5"}
    assert url_params(chromium) == {"protocol": "socks5"}
    # Country: applied when typing stops
    field(chromium, "Country").send_keys("de")
    n_de = sum(1 for r in rows if r["protocol"] == "socks5" and r["country_code"] == "DE")
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–%d of %d" % (min(50, n_de), n_de),
         what="socks5 in DE")
    assert {(r[1], r[2]) for r in table_rows(chromium)} == {("socks5", "DE")}
    # Minimum quality: applied on submit (Enter) as well
    field(chromium, "Minimum quality").send_keys("90\n")
    want = sorted((r for r in rows if r["protocol"] == "socks5" and r["country_code"] == "DE"
                   and r["quality_score"] >= 90), key=lambda r: -r["quality_score"])
    assert want
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–%d of %d" % (len(want), len(want)),
         what="quality >= 90")
    assert [int(r[3]) for r in table_rows(chromium)] == [r["quality_score"] for r in want]
    assert url_params(chromium) == {"protocol": "socks5", "countryCode": "de", "minQuality": "90"}
    # a reload keeps them
    chromium.driver.refresh()
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–%d of %d" % (len(want), len(want)),
         what="the reloaded filters")
    assert field(chromium, "Protocol").get_attribute("value") == "socks5"
    assert field(chromium, "Country").get_attribute("value") == "de"
    assert field(chromium, "Minimum quality").get_attribute("value") == "90"

    # a value the API refuses: its error and requestId, and no stale rows
    def refusal():
        return chromium.driver.find_elements(by().CSS_SELECTOR, "#oneproxy-rows [role=alert]")
    before = None
    for bad in ("500", "abc"):
        q = field(chromium, "Minimum quality")
        q.clear()
        q.send_keys(bad)
        wait(lambda: url_params(chromium).get("minQuality") == bad, what="%s applied" % bad)
        alert = wait(lambda: [a for a in refusal() if a != before], what="the refusal of %s" % bad)[0]
        before = alert
        assert "minQuality" in alert.text and "HTTP 400" in alert.text and "requestId" in alert.text
        assert table_rows(chromium) == [] and text_of(chromium, "oneproxy-range") == ""
        assert url_params(chromium)["minQuality"] == bad
    # fixed: the rows come back
    q = field(chromium, "Minimum quality")
    q.clear()
    q.send_keys("90")
    wait(lambda: len(table_rows(chromium)) == len(want), what="the rows again")
    assert chromium.errors(expected_statuses=(400,)) == []
    assert chromium.foreign_requests(origin) == []


def test_rotate_delete_and_clear_all(start, feed, chromium):
    d = start()
    rows = [feed_row(i, quality=60 + 5 * i, validated="2026-11-0%dT00:00:00Z" % (i + 1))
            for i in range(5)]
    feed.script(FEED, body=page(rows))
    status, res = sync(d)
    assert status == 200 and res["added"] == 5
    origin = open_page(chromium, d)
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–5 of 5", what="the rows")

    # rotation by each strategy shows the proxy returned
    best = rows[4]
    button(chromium, "Rotate by quality").click()
    wait(lambda: "%s:%d" % (best["ip"], best["port"]) in text_of(chromium, "rotate-result"),
         what="the best proxy")
    assert text_of(chromium, "rotate-result").startswith("Next proxy (quality): SOCKS5 - DE - ")
    seen = []
    for n in range(2):
        button(chromium, "Rotate sequentially").click()
        want = "%s:%d" % (rows[n]["ip"], rows[n]["port"])
        wait(lambda: "(sequential)" in text_of(chromium, "rotate-result")
             and want in text_of(chromium, "rotate-result"), what="sequential %d" % n)
        seen.append(text_of(chromium, "rotate-result"))
    assert seen[0] != seen[1]
    button(chromium, "Rotate randomly").click()
    wait(lambda: "(random)" in text_of(chromium, "rotate-result"), what="a random proxy")
    assert any("%s:%d" % (r["ip"], r["port"]) in text_of(chromium, "rotate-result") for r in rows)

    # delete one
    victim = "%s:%d" % (rows[2]["ip"], rows[2]["port"])
    tr = chromium.driver.find_element(by().XPATH, "//table[@id='oneproxy-table']//tr[td[1][normalize-space()='%s']]" % victim)
    click(chromium, tr.find_element(by().XPATH, ".//button[normalize-space()='Delete']"))
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–4 of 4", what="the row gone")
    assert victim not in [r[0] for r in table_rows(chromium)]
    assert victim in text_of(chromium, "table-result") and text_of(chromium, "table-result").startswith("Deleted ")
    wait(lambda: cards(chromium)["Total"] == "4", what="the cards updated")
    status, listing = d.http("GET", "/api/settings/oneproxy?limit=100")
    assert listing["total"] == 4

    # clear all: the count, a confirmation; cancel keeps them
    button(chromium, "Clear all").click()
    dialog = wait(lambda: [e for e in chromium.driver.find_elements(by().TAG_NAME, "dialog")
                           if e.get_attribute("open") is not None], what="the dialog")[0]
    assert "all 4 proxies" in dialog.text
    button(chromium, "Cancel").click()
    wait(lambda: chromium.driver.find_element(by().TAG_NAME, "dialog").get_attribute("open") is None,
         what="the dialog closed")
    assert len(table_rows(chromium)) == 4
    status, listing = d.http("GET", "/api/settings/oneproxy?limit=100")
    assert listing["total"] == 4
    button(chromium, "Clear all").click()
    wait(lambda: chromium.driver.find_element(by().TAG_NAME, "dialog").get_attribute("open") is not None,
         what="the dialog again")
    button(chromium, "Delete 4 proxies").click()
    wait(lambda: text_of(chromium, "table-result") == "Cleared: 4 proxies removed.", what="the clear")
    wait(lambda: table_rows(chromium) == [] and "sync to fetch some" in text_of(chromium, "oneproxy-range"),
         what="the empty table")
    wait(lambda: cards(chromium)["Total"] == "0", what="the cards emptied")
    assert chromium.driver.find_element(by().TAG_NAME, "dialog").get_attribute("open") is None
    status, listing = d.http("GET", "/api/settings/oneproxy?limit=100")
    assert listing["total"] == 0
    # nothing left to rotate: the API's 404, shown
    button(chromium, "Rotate by quality").click()
    alert = wait(lambda: chromium.driver.find_elements(by().CSS_SELECTOR, "#rotate-result [role=alert]"),
                 what="the 404")[0]
    assert "No active 1proxy proxies" in alert.text and "requestId" in alert.text
    assert chromium.errors(expected_statuses=(404,)) == []
    assert chromium.foreign_requests(origin) == []


def test_circuit_breaker_opens_and_resets(start, feed, chromium):
    d = start()
    feed.script(FEED, times=None, status=500)
    origin = open_page(chromium, d)
    for n in range(1, 6):
        button(chromium, "Sync now").click()
        wait(lambda: facts(chromium).get("Consecutive failures") == str(n), what="failure %d" % n)
        result = wait(lambda: text_of(chromium, "sync-result"), what="the result %d" % n)
        assert result.startswith("Sync failed: ") and "500" in result, result
        wait(lambda: button(chromium, "Sync now").is_enabled(), what="the button back")
    st = facts(chromium)
    assert st["Circuit breaker"].startswith("open") and "500" in st["Last error"]
    assert st["Last result"].startswith("failed")
    # open: the feed is not called
    button(chromium, "Sync now").click()
    wait(lambda: "Circuit breaker" in text_of(chromium, "sync-result"), what="the refusal")
    assert len([r for r in feed.requests if r.path.startswith(FEED)]) == 5
    button(chromium, "Reset circuit breaker").click()
    wait(lambda: facts(chromium).get("Circuit breaker") == "closed", what="the breaker closed")
    assert facts(chromium)["Consecutive failures"] == "0"
    assert text_of(chromium, "reset-result") == "Circuit breaker reset: closed, 0 failures in a row."
    status, st = d.http("GET", "/api/settings/oneproxy?action=status")
    assert st["circuitOpen"] is False and st["consecutiveFailures"] == 0
    # and the next sync goes through
    feed.clear_scripts()
    feed.script(FEED, body=page(rows_feed(3)))
    button(chromium, "Sync now").click()
    wait(lambda: text_of(chromium, "sync-result").startswith("Sync done: 1 page fetched"),
         what="a good sync")
    wait(lambda: len(table_rows(chromium)) == 3, what="its rows")
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []


def test_page_follows_a_sync_started_elsewhere(start, feed, chromium):
    # a sync started elsewhere (omnirctl, the timer, another tab): "Sync now"
    # shows the 409 and follows that sync to its end; a page opened while
    # one runs shows its progress; both refresh the rows when it ends
    import threading
    d = start()

    def slow_feed(n_last):
        for k in range(2):
            feed.script(FEED, body=page(rows_feed(100 if k == 0 else n_last, k * 100), k * 100),
                        slow_head=1.2)

    def sync_in_background():
        result = {}
        before = len(feed.requests)
        t = threading.Thread(target=lambda: result.update(res=sync(d)))
        t.start()
        wait(lambda: len(feed.requests) > before, 5, "the first page asked for")
        return t, result

    origin = open_page(chromium, d)
    slow_feed(20)
    t, result = sync_in_background()
    button(chromium, "Sync now").click()
    alert = wait(lambda: chromium.driver.find_elements(by().CSS_SELECTOR, "#sync-result [role=alert]"),
                 what="the 409")[0]
    assert "a 1proxy sync is running" in alert.text and "HTTP 409" in alert.text
    assert "requestId" in alert.text
    wait(lambda: "Syncing: " in text_of(chromium, "sync-progress"), what="its progress")
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–50 of 120", 20, "the rows after it")
    assert button(chromium, "Sync now").is_enabled() and text_of(chromium, "sync-progress") == ""
    t.join(20)
    assert result["res"][1]["added"] == 120

    slow_feed(30)
    t, result = sync_in_background()
    chromium.driver.refresh()
    wait(lambda: "Syncing: " in text_of(chromium, "sync-progress"), what="the running sync")
    assert not button(chromium, "Sync now").is_enabled()
    wait(lambda: text_of(chromium, "oneproxy-range") == "1–50 of 130", 20, "the rows after it")
    assert button(chromium, "Sync now").is_enabled() and text_of(chromium, "sync-progress") == ""
    t.join(20)
    assert result["res"][1]["added"] == 10
    assert chromium.errors(expected_statuses=(409,)) == []
    assert chromium.foreign_requests(origin) == []
