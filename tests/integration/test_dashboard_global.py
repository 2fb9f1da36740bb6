"""The Proxies page's global proxy card and bulk tools (issue 12;
dashboard/global_card.js and dashboard/bulk.js) in real headless Chromium
against the real daemon.

Global proxy: real SOCKS5 proxies (microsocks) listen on, and dial out from,
loopback addresses of their own (127.0.0.24, .26), and the provider stand-in
records the source address of every connection, so a relayed call shows
which exit carried it (a direct one comes from 127.0.0.1; see
test_pool_routing.py). Through the card: "Test" of a dead saved proxy names
its stage (`connect`), of a live one says ok; "Save" makes it global (the
API and a real relay call agree); a new proxy typed in is tested (saved
inactive first), saved (made active) and global; a new one cancelled is
deleted again; "Clear global proxy" (confirmed) sends calls direct again.

Bulk import: pasted lines with a line that does not parse (reported with its
line number, not sent) and a row the daemon refuses (a name in use), a
per-row results table, the rows in the registry table; a file chosen in the
file input (1 201 rows, so two calls of at most 1 000) with its updates.
Bulk assign: one proxy to three accounts (two added from the daemon's known
connections), an id the daemon does not know (flagged, assigned anyway) and
one too long for a scope id (failed, with the reason). A JSON array too.

Screenshots: global-1400/400.png (card and dialog open),
bulkimport-1400/400.png (the results)."""

import http.client
import json

import pytest

import browser
from browser import wait
import egress_env as env
from conftest import new_proxy

why_not = browser.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")

KEY = "sk-global-key"
MODEL = "openai/gpt-4o-mini"
V1 = "/api/v1/management/proxies"


@pytest.fixture(scope="module")
def echo(ca):
    """The probe's and the egress check's target: answers {"ip": <peer>}."""
    s = env.TLSStandIn(ca, addresses=["127.0.0.1"])
    yield s
    s.stop()


@pytest.fixture
def d(daemon_factory, ca, provider, echo):
    provider.reset()
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "OMNIROUTE_PROBE_URL": echo.url(host="127.0.0.1"),
                            "OMNIROUTE_EGRESS_CHECK_URL": echo.url(host="127.0.0.1"),
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                            "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "3000"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url",
               provider.url("/v1", host="127.0.0.1"))
    d.conn = d.ctl_json("conn", "add", "openai", "--name", "first", "--key", KEY)
    d.origin = "http://127.0.0.1:%d" % d.port
    return d


def chat(d):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    c.request("POST", "/v1/chat/completions",
              body=json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def global_assignment(d):
    status, body = d.http("GET", V1 + "/assignments?scope=global")
    assert status == 200, body
    return body["items"][0]["proxyId"] if body["items"] else None


# ---- finding things as a user would --------------------------------------

def by_xpath(chromium, xpath, root=None):
    from selenium.webdriver.common.by import By
    return (root or chromium.driver).find_elements(By.XPATH, xpath)


def card(chromium):
    return wait(lambda: by_xpath(chromium, "//section[h3[normalize-space()='Global proxy']]"),
                what="the global proxy card")[0]


def card_text(chromium):
    found = by_xpath(chromium, "//section[h3[normalize-space()='Global proxy']]")
    return found[0].text if found else ""


def dialog(chromium, title):
    return wait(lambda: by_xpath(chromium, "//dialog[@open][h2[normalize-space()='%s']]" % title),
                what="the %s dialog" % title)[0]


def button(root, name):
    from selenium.webdriver.common.by import By
    found = [b for b in root.find_elements(By.XPATH, ".//button[normalize-space()='%s']" % name)
             if b.is_displayed()]
    assert len(found) == 1, "%d buttons named %s" % (len(found), name)
    return found[0]


def labelled(root, label):
    """The input a <label for> names, inside root."""
    from selenium.webdriver.common.by import By
    found = root.find_elements(By.XPATH, ".//label[normalize-space()='%s']" % label)
    assert len(found) == 1, "%d labels %s" % (len(found), label)
    return root.find_element(By.ID, found[0].get_attribute("for"))


def choose(select, text_part):
    from selenium.webdriver.support.ui import Select

    def pick():
        s = Select(select)
        for o in s.options:
            if text_part in o.text:
                s.select_by_visible_text(o.text)
                return s.first_selected_option.text == o.text
        return False
    wait(pick, what="an option with " + text_part)


def search_pick(chromium, root, term, expect):
    field = labelled(root, "Search saved proxies")
    field.clear()
    field.send_keys(term)
    listbox = labelled(root, "Saved proxy")
    wait(lambda: [o.text for o in listbox.find_elements("tag name", "option")][:1] == [expect]
         or None, what="the picker to show " + expect)
    choose(listbox, expect)


def status_line(root):
    from selenium.webdriver.common.by import By
    return wait(lambda: [p.text for p in root.find_elements(
        By.CSS_SELECTOR, ".probe-ok, .probe-failed")], what="the test result")[0]


def registry_names(chromium):
    from selenium.webdriver.common.by import By
    return [tr.find_elements(By.TAG_NAME, "td")[0].text for tr in chromium.driver.find_elements(
        By.CSS_SELECTOR, "#view table tbody tr") if tr.find_elements(By.TAG_NAME, "td")]


def shot(chromium, name, width, show):
    """A screenshot at width with `show` scrolled into view; back to 1400 after."""
    chromium.driver.set_window_size(width, 900)
    chromium.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", show)
    chromium.screenshot(name, width)
    chromium.driver.set_window_size(1400, 900)


def open_page(chromium, d):
    chromium.driver.get(d.origin + "/dashboard#/proxies")
    card(chromium)
    wait(lambda: "Loading" not in card_text(chromium), what="the card's content")


# ---- the global proxy card -------------------------------------------------

def test_global_proxy_set_test_and_clear(d, peers, provider, chromium):
    live = peers(env.microsocks, address="127.0.0.24")
    other = peers(env.microsocks, address="127.0.0.26")
    exit_live = new_proxy(d, name="exit-live", type="socks5", host="127.0.0.24", port=live.port)
    dead = new_proxy(d, name="exit-dead", type="socks5", host="127.0.0.25",
                     port=env.free_port_on(["127.0.0.25"]))
    open_page(chromium, d)
    assert "Direct — no global proxy" in card_text(chromium)
    assert button(card(chromium), "Clear global proxy").get_attribute("disabled") is not None

    # a saved proxy: a dead one's test names its stage, a live one's says ok
    button(card(chromium), "Set global proxy").click()
    dlg = dialog(chromium, "Set global proxy")
    search_pick(chromium, dlg, "dead", "exit-dead — socks5://127.0.0.25:%d" % dead["port"])
    button(dlg, "Test").click()
    line = status_line(dlg)
    assert line.startswith("Test failed at stage connect:"), line
    search_pick(chromium, dlg, "live", "exit-live — socks5://127.0.0.24:%d" % live.port)
    button(dlg, "Test").click()
    wait(lambda: "Test ok" in dlg.text, what="the live proxy's test")
    assert status_line(dlg).startswith("Test ok: HTTP 200 in ")
    assert status_line(dlg).endswith(" through socks5://127.0.0.24:%d, seen as 127.0.0.24." % live.port)
    provider.reset()
    button(dlg, "Save").click()
    wait(lambda: "exit-live" in card_text(chromium), what="the card to show exit-live")
    assert "socks5://127.0.0.24:%d" % live.port in card_text(chromium)
    assert "Egress IP: not checked" in card_text(chromium)
    # the egress check (the registry's own button, here by API) shows on the card
    status, res = d.http("POST", V1 + "/egress", {"id": exit_live["id"]})
    assert status == 200 and res["egressIp"] == "127.0.0.24", res
    chromium.driver.refresh()
    wait(lambda: "Egress IP: 127.0.0.24" in card_text(chromium), what="the egress IP")
    assert global_assignment(d) == exit_live["id"]
    r, data = chat(d)
    assert r.status == 200, data
    assert r.getheader("X-OmniRoute-Proxy-Level") == "global"
    assert r.getheader("X-OmniRoute-Proxy-Id") == exit_live["id"]
    assert provider.sources.snapshot() == ["127.0.0.24"]

    # a new proxy typed in: tested (saved inactive for it), saved, global
    button(card(chromium), "Set global proxy").click()
    dlg = dialog(chromium, "Set global proxy")
    labelled(dlg, "A new proxy").click()
    choose(labelled(dlg, "Type"), "socks5")
    labelled(dlg, "Host").send_keys("127.0.0.26")
    labelled(dlg, "Port").send_keys(str(other.port))
    button(dlg, "Test").click()
    assert status_line(dlg).endswith(", seen as 127.0.0.26.")
    name = "127.0.0.26:%d" % other.port
    status, page = d.http("GET", V1)
    drafts = [p for p in page["items"] if p["name"] == name]
    assert len(drafts) == 1 and drafts[0]["status"] == "inactive", drafts
    for width in (1400, 400):
        shot(chromium, "global", width, card(chromium))
    provider.reset()
    button(dlg, "Save").click()
    wait(lambda: name in card_text(chromium), what="the card to show the new proxy")
    status, rec = d.http("GET", V1 + "?id=" + drafts[0]["id"])
    assert rec["status"] == "active"
    assert global_assignment(d) == drafts[0]["id"]
    r, data = chat(d)
    assert r.status == 200 and r.getheader("X-OmniRoute-Proxy-Id") == drafts[0]["id"]
    assert provider.sources.snapshot() == ["127.0.0.26"]

    # a new one tested and cancelled is deleted again; the global one stays
    button(card(chromium), "Set global proxy").click()
    dlg = dialog(chromium, "Set global proxy")
    labelled(dlg, "A new proxy").click()
    labelled(dlg, "Host").send_keys("127.0.0.25")
    labelled(dlg, "Port").send_keys(str(env.free_port_on(["127.0.0.25"])))
    button(dlg, "Test").click()
    assert status_line(dlg).startswith("Test failed at stage connect:")
    assert d.http("GET", V1)[1]["page"]["total"] == 4
    button(dlg, "Cancel").click()
    wait(lambda: d.http("GET", V1)[1]["page"]["total"] == 3, what="the draft to go")
    assert global_assignment(d) == drafts[0]["id"]

    # an API error is shown where it happened, with its requestId: a new
    # proxy whose name (host:port) another proxy has
    new_proxy(d, name="127.0.0.29:1080", host="127.0.0.29", port=1081)
    button(card(chromium), "Set global proxy").click()
    dlg = dialog(chromium, "Set global proxy")
    labelled(dlg, "A new proxy").click()
    labelled(dlg, "Host").send_keys("127.0.0.29")
    labelled(dlg, "Port").send_keys("1080")
    button(dlg, "Save").click()
    alert = wait(lambda: [a for a in dlg.find_elements("css selector", "[role=alert]")
                          if "requestId" in a.text], what="the refusal")[0]
    assert "is taken by proxy" in alert.text and "HTTP 409" in alert.text, alert.text
    button(dlg, "Cancel").click()
    assert global_assignment(d) == drafts[0]["id"]
    assert d.http("GET", V1)[1]["page"]["total"] == 4

    # clear, with a confirmation: calls go direct again
    button(card(chromium), "Clear global proxy").click()
    confirm = dialog(chromium, "Clear global proxy")
    button(confirm, "Yes, clear it").click()
    wait(lambda: "Direct — no global proxy" in card_text(chromium), what="the cleared card")
    assert global_assignment(d) is None
    provider.reset()
    r, data = chat(d)
    assert r.status == 200 and r.getheader("X-OmniRoute-Proxy-Level") == "direct"
    assert provider.sources.snapshot() == ["127.0.0.1"]
    # the card survives a reload as it is
    chromium.driver.refresh()
    wait(lambda: "Direct — no global proxy" in card_text(chromium), what="the reloaded card")
    assert chromium.errors(expected_statuses=(409,)) == []
    assert chromium.foreign_requests(d.origin) == []


# ---- bulk import -------------------------------------------------------------

def results(root):
    from selenium.webdriver.common.by import By
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in root.find_elements(By.CSS_SELECTOR, ".results tbody tr")]


def import_requests(chromium, d):
    chromium.collect()
    return [u for u in chromium.requests if u == d.origin + "/api/settings/proxies/bulk-import"]


def test_bulk_import_pasted_and_from_a_file(d, chromium, tmp_path):
    new_proxy(d, name="taken", host="127.0.0.30", port=3128)
    open_page(chromium, d)
    button(chromium.driver, "Bulk import").click()
    dlg = dialog(chromium, "Bulk import")
    pasted = "\n".join([
        "socks5://alice:s3cret@127.0.0.31:1080#alice exit",
        "http://127.0.0.32:3128",
        "this is not a proxy",
        "",
        "# a comment line",
        "https://127.0.0.33:8443#taken",
        "socks5://127.0.0.34:99999",
        "http://127.0.0.35:8080/",
    ])
    labelled(dlg, "Proxies to import").send_keys(pasted)
    button(dlg, "Import").click()
    wait(lambda: "Created" in dlg.text, what="the import's summary")
    assert "Created 3, updated 0, failed 1, 2 not sent (could not be read)." in dlg.text
    rows = results(dlg)
    assert [r[0] for r in rows] == ["line 1", "line 2", "line 3", "line 6", "line 7", "line 8"]
    assert rows[0][1:3] == ["alice exit", "created"]
    assert rows[1][1:3] == ["127.0.0.32:3128", "created"]
    assert rows[2] == ["line 3", "", "not sent",
                       "expected type://user:pass@host:port (user:pass@ and #name optional)"]
    assert rows[3][1:3] == ["taken", "failed"] and "taken" in rows[3][3], rows[3]
    assert rows[4] == ["line 7", "", "not sent", "port 99999 is not within 1..65535"]
    assert rows[5][1:3] == ["127.0.0.35:8080", "created"]
    for width in (1400, 400):
        shot(chromium, "bulkimport", width, dlg.find_element("css selector", ".summary"))
    chromium.driver.set_window_size(1400, 900)
    # the registry table under the dialog was redrawn with the new rows
    assert {"alice exit", "127.0.0.32:3128", "127.0.0.35:8080"} <= set(registry_names(chromium))
    status, page = d.http("GET", V1 + "?limit=200")
    alice = [p for p in page["items"] if p["name"] == "alice exit"][0]
    assert (alice["type"], alice["host"], alice["port"], alice["username"]) == \
        ("socks5", "127.0.0.31", 1080, "***")
    assert len(import_requests(chromium, d)) == 1
    button(dlg, "Close").click()

    # a file of 1 201 rows: two calls (at most 1 000 each), the first row an
    # update of a pasted one (same host and port)
    lines = ["socks5://127.0.0.31:1080#alice renamed"] + [
        "http://127.0.%d.%d:3128" % (10 + i // 200, 1 + i % 200) for i in range(1200)]
    path = tmp_path / "proxies.txt"
    path.write_text("\n".join(lines) + "\n")
    button(chromium.driver, "Bulk import").click()
    dlg = dialog(chromium, "Bulk import")
    labelled(dlg, "Or read them from a file").send_keys(str(path))
    wait(lambda: "Read proxies.txt: 1201 non-empty lines" in dlg.text, what="the file's lines")
    button(dlg, "Import").click()
    wait(lambda: "Created 1200" in dlg.text, timeout=60, what="the file's import")
    assert "Created 1200, updated 1, failed 0." in dlg.text
    assert "Sent 1201 in 2 call(s)." in dlg.text
    assert len(import_requests(chromium, d)) == 3
    rows = results(dlg)
    assert len(rows) == 1201
    assert rows[0][:3] == ["line 1", "alice renamed", "updated"]
    status, rec = d.http("GET", V1 + "?id=" + alice["id"])
    assert rec["name"] == "alice renamed" and rec["username"] == "***"   # kept
    assert d.http("GET", V1)[1]["page"]["total"] == 1 + 3 + 1200
    button(dlg, "Close").click()

    # a JSON array: objects go as they are, anything else is reported
    button(chromium.driver, "Bulk import").click()
    dlg = dialog(chromium, "Bulk import")
    labelled(dlg, "Proxies to import").send_keys(
        '[{"name": "json-one", "type": "socks5", "host": "127.0.0.36", "port": 1080}, 5,'
        ' {"name": "json-two", "host": "127.0.0.37"}]')
    button(dlg, "Import").click()
    wait(lambda: "Created" in dlg.text, what="the JSON import")
    assert "Created 1, updated 0, failed 1, 1 not sent (could not be read)." in dlg.text
    rows = results(dlg)
    assert rows[0][:3] == ["item 1", "json-one", "created"]
    assert rows[1] == ["item 2", "", "not sent", "not an object"]
    assert rows[2][:3] == ["item 3", "json-two", "failed"] and "port" in rows[2][3], rows[2]
    assert chromium.errors() == []
    assert chromium.foreign_requests(d.origin) == []


# ---- bulk assign -----------------------------------------------------------

def test_bulk_assign_to_accounts(d, chromium):
    exit_one = new_proxy(d, name="assign-exit", type="socks5", host="127.0.0.27", port=1080)
    new_proxy(d, name="other-exit", host="127.0.0.28", port=3128)
    second = d.ctl_json("conn", "add", "openai", "--name", "second", "--key", "sk-second")
    third = d.ctl_json("conn", "add", "openai", "--name", "third", "--key", "sk-third")
    open_page(chromium, d)
    button(chromium.driver, "Bulk assign").click()
    dlg = dialog(chromium, "Bulk assign")
    search_pick(chromium, dlg, "assign", "assign-exit — socks5://127.0.0.27:1080")
    choose(labelled(dlg, "Scope"), "account")
    known = labelled(dlg, "Known to the daemon")
    for conn in (d.conn, second):
        choose(known, conn["id"])
        button(dlg, "Add to the list").click()
    too_long = "x" * 300
    ids = labelled(dlg, "Scope ids, one per line")
    ids.send_keys("\n" + third["id"] + "\nnot-yet-an-account\n" + too_long)
    button(dlg, "Assign").click()
    wait(lambda: "requested" in dlg.text, what="the assignment's result")
    assert "assign-exit → account: requested 5, updated 4, failed 1." in dlg.text
    assert results(dlg) == [[too_long, "scopeId must be at most 255 bytes (UTF-8)"]]
    assert "Not known to the daemon yet (assigned anyway; the assignment applies once it " \
        "exists): not-yet-an-account" in dlg.text
    status, body = d.http("GET", V1 + "/assignments?scope=account")
    assert sorted(a["scopeId"] for a in body["items"]) == sorted(
        [d.conn["id"], second["id"], third["id"], "not-yet-an-account"])
    assert {a["proxyId"] for a in body["items"]} == {exit_one["id"]}
    assert chromium.errors() == []
    assert chromium.foreign_requests(d.origin) == []


# ---- the import parser, a table of lines (the served module, in Chromium) ----

PARSE_CASES = [
    ("socks5://127.0.0.1:1080", {"item": {"name": "127.0.0.1:1080", "type": "socks5",
                                          "host": "127.0.0.1", "port": 1080}}),
    ("HTTP://u:p@127.0.0.2:3128/", {"item": {"name": "127.0.0.2:3128", "type": "http",
                                             "host": "127.0.0.2", "port": 3128,
                                             "username": "u", "password": "p"}}),
    ("https://a%40b:p%3Aw%23@127.0.0.3:8443#Exit %C3%A9", {"item": {
        "name": "Exit é", "type": "https", "host": "127.0.0.3", "port": 8443,
        "username": "a@b", "password": "p:w#"}}),
    ("socks5://user@127.0.0.4:1080", {"item": {"name": "127.0.0.4:1080", "type": "socks5",
                                               "host": "127.0.0.4", "port": 1080,
                                               "username": "user"}}),
    ("socks5://[::1]:1080#v6", {"item": {"name": "v6", "type": "socks5", "host": "::1",
                                         "port": 1080}}),
    ("http://localhost:8080# ", {"item": {"name": "localhost:8080", "type": "http",
                                          "host": "localhost", "port": 8080}}),
    ("ftp://127.0.0.1:21", {"reason": "type ftp is not one of http, https, socks5"}),
    ("socks5://127.0.0.1:0", {"reason": "port 0 is not within 1..65535"}),
    ("socks5://127.0.0.1:65536", {"reason": "port 65536 is not within 1..65535"}),
    ("socks5://u:%zz@127.0.0.1:1080", {"reason": "a %-escape in the line is not valid"}),
    ("127.0.0.1:1080", {"reason": "expected type://user:pass@host:port (user:pass@ and #name optional)"}),
    ("socks5://127.0.0.1", {"reason": "expected type://user:pass@host:port (user:pass@ and #name optional)"}),
    ("socks5://127.0.0.1:1080/path", {"reason": "expected type://user:pass@host:port (user:pass@ and #name optional)"}),
    ("socks5://a b:1080", {"reason": "expected type://user:pass@host:port (user:pass@ and #name optional)"}),
]


def test_import_line_parser_table(daemon, chromium):
    origin = "http://127.0.0.1:%d" % daemon.port
    chromium.driver.get(origin + "/dashboard#/proxies")
    got = chromium.driver.execute_async_script("""
        const [lines, done] = arguments;
        import("/dashboard/bulk.js").then((m) => done({
          one: lines.map((l) => m.parseProxyLine(l)),
          text: m.parseProxyText("# comment\\n\\n socks5://127.0.0.1:1080 \\r\\nnope\\n"),
          json: m.parseProxyText(' [{"host": "127.0.0.1"}, "x"] '),
          badJson: m.parseProxyText("[{"),
        }), (e) => done(String(e)));
    """, [line for line, _ in PARSE_CASES])
    for (line, expected), result in zip(PARSE_CASES, got["one"]):
        assert result == expected, line
    assert got["text"] == {
        "items": [{"item": {"name": "127.0.0.1:1080", "type": "socks5", "host": "127.0.0.1",
                            "port": 1080}, "where": "line 3", "order": 2}],
        "errors": [{"where": "line 4", "order": 3, "reason": PARSE_CASES[-1][1]["reason"]}]}
    assert got["json"] == {"items": [{"item": {"host": "127.0.0.1"}, "where": "item 1", "order": 0}],
                           "errors": [{"where": "item 2", "order": 1, "reason": "not an object"}]}
    assert got["badJson"]["items"] == [] and got["badJson"]["errors"][0]["reason"].startswith(
        "not valid JSON: ")
    assert chromium.errors() == []
    assert chromium.foreign_requests(origin) == []
