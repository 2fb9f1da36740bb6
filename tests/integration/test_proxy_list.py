"""The registry list's opt-in parameters (issue 12, for the dashboard's
Proxies page): `q` searches name, host, region and notes (case-insensitive
substring), `type` and `status` filter exactly, and `include=health,usage`
adds to each row of the page its 24 h health (the figures of GET …/health)
and its usage (how many assignments use it, naming the first few) — one
request for a page, page.total counting the filtered rows. Bad values are a
400 naming the parameter; without the parameters the answer is as before.
Both the v1 route and its /api/settings/proxies twin."""

import datetime
import sqlite3
import urllib.parse

from conftest import new_proxy

V1 = "/api/v1/management/proxies"
SET = "/api/settings/proxies"
ZERO = {"totalRequests": 0, "successCount": 0, "errorCount": 0, "timeoutCount": 0,
        "successRate": None, "avgLatencyMs": None, "lastSeenAt": None}


def listing(d, path=V1, **params):
    status, body = d.http("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""))
    assert status == 200, body
    return body


def names(body):
    return [p["name"] for p in body["items"]]


def assign(d, scope, scope_id, proxy_id):
    status, body = d.http("PUT", V1 + "/assignments",
                          {"scope": scope, "scopeId": scope_id, "proxyId": proxy_id})
    assert status == 200, body


def test_default_answer_is_unchanged(daemon):
    new_proxy(daemon, name="Plain")
    body = listing(daemon)
    assert set(body) == {"items", "page"}
    assert "health" not in body["items"][0] and "usage" not in body["items"][0]
    body = listing(daemon, SET)
    assert set(body) == {"items", "total"} and "health" not in body["items"][0]


def test_search_type_and_status(daemon):
    new_proxy(daemon, name="Frankfurt A", host="127.0.0.2", region="EU-central")
    new_proxy(daemon, name="Tokyo", host="127.0.0.3", type="socks5", port=1080,
              notes="rented from ACME corp")
    new_proxy(daemon, name="Paris", host="127.0.9.4", region="eu-west", status="inactive")
    new_proxy(daemon, name="Other", host="127.0.0.5")
    assert names(listing(daemon, q="frankfurt")) == ["Frankfurt A"]   # name
    assert names(listing(daemon, q="127.0.9")) == ["Paris"]           # host
    assert names(listing(daemon, q="EU")) == ["Paris", "Frankfurt A"]  # region
    assert names(listing(daemon, q="acme")) == ["Tokyo"]              # notes
    assert names(listing(daemon, q="  tokyo ")) == ["Tokyo"]          # trimmed
    assert listing(daemon, q="nothing-like-it") == {
        "items": [], "page": {"limit": 50, "offset": 0, "total": 0}}
    assert len(listing(daemon, q="")["items"]) == 4                   # empty: all
    # % and _ are plain characters, not patterns
    assert listing(daemon, q="%")["page"]["total"] == 0
    assert listing(daemon, q="_")["page"]["total"] == 0
    assert names(listing(daemon, type="SOCKS5")) == ["Tokyo"]
    assert names(listing(daemon, status="inactive")) == ["Paris"]
    assert names(listing(daemon, q="eu", status="active")) == ["Frankfurt A"]
    assert names(listing(daemon, q="o", type="http")) == ["Other"]
    # page.total counts the filtered rows; paging walks them
    first = listing(daemon, q="127.0.0", limit=1)
    assert first["page"] == {"limit": 1, "offset": 0, "total": 3}
    second = listing(daemon, q="127.0.0", limit=1, offset=1)
    assert names(first) + names(second) == ["Other", "Tokyo"]
    # the dashboard twin (not paginated)
    body = listing(daemon, SET, q="EU", status="inactive")
    assert names(body) == ["Paris"] and body["total"] == 1


def test_bad_values_name_the_parameter(daemon):
    for query, field in (("include=stats", "include"), ("include=health,", "include"),
                         ("type=ftp", "type"), ("status=broken", "status"),
                         ("q=" + "x" * 201, "q"), ("limit=x&q=a", "limit")):
        for path in (V1, SET):
            if path == SET and field == "limit":
                continue
            status, body = daemon.http("GET", path + "?" + query)
            assert status == 400, (path, query, body)
            assert body["error"]["message"] == "Invalid request"
            assert [d["field"] for d in body["error"]["details"]] == [field], body
    status, body = daemon.http("GET", V1 + "?include=stats")
    assert "comma-separated list of health, usage" in body["error"]["details"][0]["message"]


def test_include_health_and_usage(daemon):
    busy = new_proxy(daemon, name="Busy", host="127.0.0.2")
    idle = new_proxy(daemon, name="Idle", host="127.0.0.3")
    wide = new_proxy(daemon, name="Wide", host="127.0.0.4")
    # Busy: the global scope and one provider; Idle: a pool member (not the head)
    assign(daemon, "global", None, busy["id"])
    assign(daemon, "provider", "openai", busy["id"])
    status, body = daemon.http("PUT", SET + "/pool", {"scope": "provider", "scopeId": "openai",
                                                      "proxyId": idle["id"]})
    assert status in (200, 201), body
    # Wide: seven accounts; the row names five and counts seven
    for i in range(7):
        assign(daemon, "account", "acct-%d" % i, wide["id"])
    # Busy's outcomes: two successes of 100 ms and an error of 400 ms
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    db = sqlite3.connect(daemon.datadir + "/omniroute.db")
    for i, (st, ms, calls) in enumerate((("success", 100, 2), ("error", 400, 1))):
        db.execute("INSERT INTO proxy_logs (id, timestamp, status, proxy_id, latency_ms, calls) "
                   "VALUES (?, ?, ?, ?, ?, ?)", ("h%d" % i, now, st, busy["id"], ms, calls))
    db.commit()
    db.close()

    body = listing(daemon, include="health,usage")
    rows = {p["name"]: p for p in body["items"]}
    assert body["page"]["total"] == 3
    assert rows["Busy"]["health"] == {"totalRequests": 3, "successCount": 2, "errorCount": 1,
                                      "timeoutCount": 0, "successRate": 66.67,
                                      "avgLatencyMs": 200, "lastSeenAt": now}
    assert rows["Idle"]["health"] == ZERO and rows["Wide"]["health"] == ZERO
    # the same figures as GET …/health
    status, health = daemon.http("GET", V1 + "/health")
    item = next(i for i in health["items"] if i["proxyId"] == busy["id"])
    assert {k: item[k] for k in ZERO} == rows["Busy"]["health"]
    assert rows["Busy"]["usage"] == {"assignments": 2, "scopes": [
        {"scope": "global", "scopeId": None}, {"scope": "provider", "scopeId": "openai"}]}
    assert rows["Idle"]["usage"] == {"assignments": 1, "scopes": [
        {"scope": "provider", "scopeId": "openai"}]}
    assert rows["Wide"]["usage"]["assignments"] == 7
    assert rows["Wide"]["usage"]["scopes"] == [
        {"scope": "account", "scopeId": "acct-%d" % i} for i in range(5)]
    # the usage counts agree with where_used
    status, used = daemon.http("GET", V1 + "?id=%s&where_used=1" % wide["id"])
    assert used["count"] == 7

    # one extra alone; with a search and a page: only that page's rows
    body = listing(daemon, include="usage", q="i", limit=1, offset=1)
    assert names(body) == ["Idle"] and body["page"]["total"] == 2
    assert "health" not in body["items"][0] and body["items"][0]["usage"]["assignments"] == 1
    body = listing(daemon, include="health")
    assert all("usage" not in p and "health" in p for p in body["items"])
    # the twin answers the same extras
    body = listing(daemon, SET, include="usage,health", q="busy")
    assert names(body) == ["Busy"] and body["items"][0]["usage"]["assignments"] == 2
    assert body["items"][0]["health"]["totalRequests"] == 3
    # an empty include is the plain list
    assert "health" not in listing(daemon, include="")["items"][0]


def test_omnirctl_proxy_list_search(daemon):
    new_proxy(daemon, name="Lisbon", host="127.0.0.2", region="eu-south")
    new_proxy(daemon, name="Quito", host="127.0.0.3", type="socks5", port=1080)
    body = daemon.ctl_json("proxy", "list", "--search", "EU-SOUTH")
    assert names(body) == ["Lisbon"] and body["page"]["total"] == 1
    assert names(daemon.ctl_json("proxy", "list", "--type", "socks5")) == ["Quito"]
    assert names(daemon.ctl_json("proxy", "list", "--status", "inactive")) == []
    rc, out, err = daemon.ctl("proxy", "list", "--search", "quito")
    assert rc == 0 and "Quito" in out and "Lisbon" not in out, (out, err)
    rc, out, err = daemon.ctl("proxy", "list", "--type", "ftp")
    assert rc != 0 and "type must be one of" in out + err, (out, err)
