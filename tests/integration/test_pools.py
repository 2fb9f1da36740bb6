"""Pools (API.md "Pools", issue 11): the management surface against the real
daemon — GET/PUT/DELETE/PATCH /api/settings/proxies/pool, omnirctl pool
show|add|remove|strategy, poolSize on assignments, the live 1proxy member
set, deletes removing memberships, backups carrying pools, and a plain
assignment being a pool of one.

Choosing a member per call by strategy and failing over inside a call are
tested in test_pool_routing.py; here the pools are fresh (cursor 0), so
resolution names the first active member in position order.

sharedEgress is set from egress IPs stored by the real proxy.egress command
through microsocks instances bound to loopback addresses, against a local
echo stand-in (as in test_egress_ip.py); every address is on 127.0.0.0/8."""

import json
import sqlite3

import pytest

import egress_env as env
from conftest import new_proxy
from test_egress_ip import EchoStandIn, check_config
from test_oneproxy import FEED, feed_row, page, sync

POOL = "/api/settings/proxies/pool"
V1 = "/api/v1/management/proxies"


@pytest.fixture
def d(daemon_factory):
    return daemon_factory().start()


def pool(d, scope, scope_id=None):
    q = "?scope=%s" % scope + ("&scopeId=%s" % scope_id if scope_id else "")
    return d.http("GET", POOL + q)


def add(d, scope, scope_id, proxy_id):
    body = {"scope": scope, "proxyId": proxy_id}
    if scope_id is not None:
        body["scopeId"] = scope_id
    return d.http("PUT", POOL, body)


def remove(d, scope, scope_id, proxy_id):
    q = "?scope=%s&proxyId=%s" % (scope, proxy_id)
    if scope_id is not None:
        q += "&scopeId=%s" % scope_id
    return d.http("DELETE", POOL + q)


def resolve(d, conn, provider=None):
    q = "?resolve_connection_id=%s" % conn + ("&provider=%s" % provider if provider else "")
    status, r = d.http("GET", V1 + "/assignments" + q)
    assert status == 200, r
    return r


def member_ids(p):
    return [m["id"] for m in p["members"]]


def test_add_show_order_and_status_codes(d):
    a, b, c = new_proxy(d), new_proxy(d), new_proxy(d)
    status, err = pool(d, "provider", "openai")
    assert status == 404 and err["error"]["type"] == "not_found"

    status, p = add(d, "provider", "openai", a["id"])
    assert status == 201, p
    assert p["scope"] == "provider" and p["scopeId"] == "openai"
    assert p["strategy"] == "round-robin" and p["stickyWindowMinutes"] == 30
    assert p["total"] == 1 and member_ids(p) == [a["id"]]
    status, p = add(d, "provider", "openai", b["id"])
    assert status == 200 and member_ids(p) == [a["id"], b["id"]]
    status, p = add(d, "provider", "openai", c["name"])      # a name works too
    assert status == 200 and member_ids(p) == [a["id"], b["id"], c["id"]]
    assert [m["position"] for m in p["members"]] == [0, 1, 2]
    m0 = p["members"][0]
    for key in ("name", "type", "host", "port", "status", "egressIp", "sharedEgress"):
        assert key in m0, key
    assert m0["username"] in ("", "***") and m0["sharedEgress"] is False

    status, err = add(d, "provider", "openai", b["id"])
    assert status == 409 and err["error"]["type"] == "conflict"
    status, err = add(d, "provider", "openai", "no-such-proxy")
    assert status == 404
    status, err = add(d, "provider", None, a["id"])
    assert status == 400 and err["error"]["details"][0]["field"] == "scopeId"
    status, err = add(d, "planet", "x", a["id"])
    assert status == 400
    status, err = d.http("PUT", POOL, {"scope": "global", "proxyId": a["id"], "extra": 1})
    assert status == 400

    # the assignment is the pool: its head is the first member; poolSize counts
    status, listed = d.http("GET", V1 + "/assignments?scope=provider")
    (asg,) = listed["items"]
    assert asg["proxyId"] == a["id"] and asg["poolSize"] == 3
    # where-used finds every member, not only the head
    status, used = d.http("GET", V1 + "?id=%s&where_used=1" % c["id"])
    assert used["count"] == 1 and used["assignments"][0]["scopeId"] == "openai"

    # remove: 404 for a non-member, positions close up, the head follows
    status, err = remove(d, "provider", "openai", new_proxy(d)["id"])
    assert status == 404
    status, res = remove(d, "provider", "openai", a["id"])
    assert status == 200 and res["success"] is True
    assert member_ids(res["pool"]) == [b["id"], c["id"]]
    assert [m["position"] for m in res["pool"]["members"]] == [0, 1]
    status, listed = d.http("GET", V1 + "/assignments?scope=provider")
    assert listed["items"][0]["proxyId"] == b["id"] and listed["items"][0]["poolSize"] == 2
    remove(d, "provider", "openai", b["id"])
    status, res = remove(d, "provider", "openai", c["id"])
    assert status == 200 and res["pool"] is None
    status, _ = pool(d, "provider", "openai")
    assert status == 404
    status, listed = d.http("GET", V1 + "/assignments")
    assert listed["items"] == []


def test_strategy(d):
    a = new_proxy(d)
    status, err = d.http("PATCH", POOL, {"scope": "account", "scopeId": "c1",
                                         "strategy": "random"})
    assert status == 404
    add(d, "account", "c1", a["id"])
    status, p = d.http("PATCH", POOL, {"scope": "key", "scopeId": "c1", "strategy": "sticky",
                                       "stickyWindowMinutes": 90})
    assert status == 200 and p["strategy"] == "sticky" and p["stickyWindowMinutes"] == 90
    assert p["scope"] == "account"
    # the window is kept when only the strategy changes
    status, p = d.http("PATCH", POOL, {"scope": "account", "scopeId": "c1",
                                       "strategy": "latency"})
    assert status == 200 and p["strategy"] == "latency" and p["stickyWindowMinutes"] == 90
    for bad in (0, 1441, "soon", 1.5, None):
        status, err = d.http("PATCH", POOL, {"scope": "account", "scopeId": "c1",
                                             "strategy": "sticky", "stickyWindowMinutes": bad})
        assert status == 400 and err["error"]["details"][0]["field"] == "stickyWindowMinutes", bad
    status, err = d.http("PATCH", POOL, {"scope": "account", "scopeId": "c1",
                                         "strategy": "fastest"})
    assert status == 400
    for s in ("round-robin", "random", "sticky", "latency", "quality"):
        status, p = d.http("PATCH", POOL, {"scope": "account", "scopeId": "c1", "strategy": s})
        assert status == 200 and p["strategy"] == s
    # a scope going direct has no pool
    d.http("PUT", V1 + "/assignments", {"scope": "global", "proxyId": "direct"})
    status, _ = d.http("PATCH", POOL, {"scope": "global", "strategy": "random"})
    assert status == 404


def test_plain_assignment_is_a_pool_of_one(d):
    a, b, c = new_proxy(d), new_proxy(d), new_proxy(d)
    status, res = d.http("PUT", V1 + "/assignments",
                         {"scope": "global", "proxyId": a["id"]})
    assert status == 200 and res["assignment"]["poolSize"] == 1
    status, p = pool(d, "global")
    assert status == 200 and p["scopeId"] is None and member_ids(p) == [a["id"]]
    add(d, "global", None, b["id"])
    d.http("PATCH", POOL, {"scope": "global", "strategy": "quality"})
    # a plain assignment replaces the pool with one member (strategy kept)
    status, res = d.http("PUT", V1 + "/assignments", {"scope": "global", "proxyId": c["id"]})
    assert status == 200 and res["assignment"]["proxyId"] == c["id"]
    status, p = pool(d, "global")
    assert member_ids(p) == [c["id"]] and p["strategy"] == "quality"
    # so does assign set and the scoped settings route
    d.ctl_json("assign", "set", "global", a["id"])
    assert member_ids(pool(d, "global")[1]) == [a["id"]]
    status, _ = d.http("PUT", "/api/settings/proxy", {
        "level": "global", "proxy": {"type": "http", "host": b["host"], "port": b["port"]}})
    assert status == 200
    status, p = pool(d, "global")
    assert p["total"] == 1
    # proxyId null removes the whole pool
    add(d, "global", None, c["id"])
    status, res = d.http("PUT", V1 + "/assignments", {"scope": "global", "proxyId": None})
    assert status == 200 and res["assignment"] is None
    assert pool(d, "global")[0] == 404
    # "direct" then a member: the scope becomes a pool
    d.http("PUT", V1 + "/assignments", {"scope": "combo", "scopeId": "fast", "proxyId": "direct"})
    status, p = pool(d, "combo", "fast")
    assert status == 200 and p["members"] == [] and p["total"] == 0
    status, p = add(d, "combo", "fast", a["id"])
    assert status == 200 and member_ids(p) == [a["id"]]


def test_resolution_takes_the_first_active_member(d):
    a, b = new_proxy(d, status="inactive"), new_proxy(d)
    d.http("PUT", V1 + "/assignments", {"scope": "account", "scopeId": "conn-1",
                                        "proxyId": b["id"]})
    r = resolve(d, "conn-1")
    # a pool of one: its one member, and the pool said like any other
    assert r["proxyId"] == b["id"] and r["strategy"] == "round-robin", r
    assert r["pool"] == {"strategy": "round-robin", "stickyWindowMinutes": 30,
                         "members": [b["id"]]}
    add(d, "account", "conn-1", a["id"])
    d.http("PUT", V1 + "/assignments", {"scope": "account", "scopeId": "conn-2",
                                        "proxyId": a["id"]})
    add(d, "account", "conn-2", b["id"])
    r = resolve(d, "conn-2")
    assert r["level"] == "account" and r["proxyId"] == b["id"], r
    assert r["pool"] == {"strategy": "round-robin", "stickyWindowMinutes": 30,
                         "members": [a["id"], b["id"]]}
    # every member inactive: refused, never direct
    d.http("PATCH", V1, {"id": b["id"], "status": "inactive"})
    r = resolve(d, "conn-2")
    assert r["refused"] is True and r["proxy"] is None
    rc, out, err = d.ctl("resolve", "conn-2")
    assert rc == 0 and "refused" in out


def test_deleting_proxies_removes_memberships(d):
    a, b = new_proxy(d), new_proxy(d)
    add(d, "provider", "openai", a["id"])
    add(d, "provider", "openai", b["id"])
    add(d, "combo", "fast", a["id"])
    status, err = d.http("DELETE", V1 + "?id=%s" % b["id"])
    assert status == 409                                      # still a member
    status, _ = d.http("DELETE", V1 + "?id=%s&force=1" % b["id"])
    assert status == 200
    assert member_ids(pool(d, "provider", "openai")[1]) == [a["id"]]
    status, _ = d.http("DELETE", V1 + "?id=%s&force=true" % a["id"])
    assert status == 200
    assert pool(d, "provider", "openai")[0] == 404
    assert pool(d, "combo", "fast")[0] == 404
    status, listed = d.http("GET", V1 + "/assignments")
    assert listed["items"] == []
    db = sqlite3.connect(d.datadir + "/omniroute.db")
    assert db.execute("SELECT COUNT(*) FROM proxy_pool_members").fetchone() == (0,)
    assert db.execute("SELECT COUNT(*) FROM proxy_pools").fetchone() == (0,)
    db.close()


def test_omnirctl_pool_commands(d):
    a, b = new_proxy(d, name="Alpha"), new_proxy(d, name="Beta")
    res = d.ctl_json("pool", "add", "provider", "openai", "Alpha")
    assert member_ids(res) == [a["id"]]
    rc, out, err = d.ctl("-q", "pool", "add", "provider", "openai", "Beta")
    assert rc == 0 and out.strip() == "2", (out, err)
    rc, out, err = d.ctl("pool", "add", "provider", "openai", "Beta")
    assert rc != 0 and "already a member" in err
    rc, out, err = d.ctl("pool", "show", "provider", "openai")
    assert rc == 0 and "round-robin" in out and "Alpha" in out and "Beta" in out
    assert out.index("Alpha") < out.index("Beta")
    res = d.ctl_json("pool", "strategy", "provider", "openai", "sticky",
                     "--sticky-window-minutes", "15")
    assert res["strategy"] == "sticky" and res["stickyWindowMinutes"] == 15
    rc, out, err = d.ctl("pool", "strategy", "provider", "openai", "sticky",
                         "--sticky-window-minutes", "0")
    assert rc != 0
    d.ctl_json("pool", "add", "global", "Beta")
    assert member_ids(d.ctl_json("pool", "show", "global")) == [b["id"]]
    rc, out, err = d.ctl("assign", "list")
    assert rc == 0 and "POOL" in out
    # resolve says the pool: its strategy, the next member, every member
    rc, out, err = d.ctl("resolve", "--provider", "openai", "someone")
    assert rc == 0, err
    assert "strategy: sticky" in out and "next:" in out and a["id"] in out, out
    assert out.index("  0 %s" % a["id"]) < out.index("  1 %s" % b["id"]), out
    items = d.ctl_json("assign", "list")["items"]
    assert sorted(i["poolSize"] for i in items) == [1, 2]
    res = d.ctl_json("pool", "remove", "provider", "openai", "Alpha")
    assert member_ids(res["pool"]) == [b["id"]]
    rc, out, err = d.ctl("pool", "remove", "provider", "openai", "Alpha")
    assert rc != 0 and "not a member" in err
    rc, out, err = d.ctl("pool", "remove", "global", "Beta")
    assert rc == 0 and "no assignment" in out


def pool_table(out):
    """omnirctl's text for a pool: the settings lines, then the member table
    as rows of cells keyed by the header."""
    lines = out.rstrip("\n").split("\n")
    assert not out.lstrip().startswith("{"), out          # a table, not raw JSON
    settings = dict(l.split(None, 1) for l in lines if l.split()[0].endswith(":"))
    head = next(i for i, l in enumerate(lines) if l.startswith("POS "))
    header = lines[head].split()
    rows = [dict(zip(header, (c.strip() for c in split_cells(lines[head], l))))
            for l in lines[head + 1:]]
    return settings, header, rows


def split_cells(header, line):
    """Cells of line at the columns where the header's words start."""
    starts = [i for i, c in enumerate(header) if c != " " and (i == 0 or header[i - 1] == " ")]
    ends = starts[1:] + [None]
    return [line[a:b] for a, b in zip(starts, ends)]


def test_omnirctl_pool_commands_print_tables(d):
    a = new_proxy(d, name="Alpha", host="127.0.0.2", port=8081)
    b = new_proxy(d, name="Beta", host="127.0.0.3", port=8082)
    rc, out, err = d.ctl("pool", "add", "provider", "openai", "Alpha")
    assert rc == 0, err
    settings, header, rows = pool_table(out)
    assert settings["scope:"] == "provider" and settings["scopeId:"] == "openai"
    assert settings["strategy:"] == "round-robin" and settings["total:"] == "1"
    assert header[:3] == ["POS", "ID", "NAME"] and "HEALTH" in header
    assert [(r["POS"], r["ID"], r["NAME"], r["HOST"]) for r in rows] == \
        [("0", a["id"], "Alpha", "127.0.0.2")]
    assert rows[0]["HEALTH"] == "no calls" and rows[0]["SHARED"] == "false"

    rc, out, err = d.ctl("pool", "add", "provider", "openai", "Beta")
    settings, header, rows = pool_table(out)
    assert settings["total:"] == "2" and [r["NAME"] for r in rows] == ["Alpha", "Beta"]

    rc, out, err = d.ctl("pool", "strategy", "provider", "openai", "sticky",
                         "--sticky-window-minutes", "15")
    assert rc == 0, err
    settings, header, rows = pool_table(out)
    assert settings["strategy:"] == "sticky" and settings["stickyWindowMinutes:"] == "15"
    assert [r["ID"] for r in rows] == [a["id"], b["id"]]

    rc, out, err = d.ctl("pool", "show", "provider", "openai")
    assert rc == 0, err
    settings, header, rows = pool_table(out)
    assert settings["strategy:"] == "sticky" and [r["NAME"] for r in rows] == ["Alpha", "Beta"]

    rc, out, err = d.ctl("pool", "remove", "provider", "openai", "Alpha")
    assert rc == 0, err
    settings, header, rows = pool_table(out)
    assert [(r["POS"], r["NAME"]) for r in rows] == [("0", "Beta")]
    rc, out, err = d.ctl("pool", "remove", "provider", "openai", "Beta")
    assert rc == 0 and "no assignment" in out and "{" not in out


def now_iso(hours_ago=0):
    import datetime
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=hours_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_members_carry_health(d):
    a = new_proxy(d, host="127.0.0.2", port=8081)
    b = new_proxy(d, host="127.0.0.3", port=8082)
    add(d, "provider", "openai", a["id"])
    status, p = add(d, "provider", "openai", b["id"])
    zero = {"totalRequests": 0, "successCount": 0, "errorCount": 0, "timeoutCount": 0,
            "successRate": None, "avgLatencyMs": None, "lastSeenAt": None}
    assert [m["health"] for m in p["members"]] == [zero, zero]

    # a's outcomes: 3 successes of 100 ms folded in one row, an error of 400 ms,
    # and an old success outside the default 24 h window
    now = now_iso()
    db = sqlite3.connect(d.datadir + "/omniroute.db")
    for i, (at, st, ms, calls) in enumerate(((now, "success", 100, 3),
                                             (now, "error", 400, 1),
                                             (now_iso(30), "success", 5, 7))):
        db.execute("INSERT INTO proxy_logs (id, timestamp, status, proxy_id, latency_ms, "
                   "calls) VALUES (?, ?, ?, ?, ?, ?)", ("h%d" % i, at, st, a["id"], ms, calls))
    db.commit()
    db.close()
    status, p = pool(d, "provider", "openai")
    assert status == 200
    ha, hb = (m["health"] for m in p["members"])
    assert ha == {"totalRequests": 4, "successCount": 3, "errorCount": 1, "timeoutCount": 0,
                  "successRate": 75, "avgLatencyMs": 175, "lastSeenAt": now}
    assert hb == zero
    # the same figures as the health endpoint's default window
    status, health = d.http("GET", V1 + "/health")
    item = next(i for i in health["items"] if i["proxyId"] == a["id"])
    assert health["windowHours"] == 24
    assert {k: item[k] for k in zero} == ha
    # omnirctl shows them in a short column
    rc, out, err = d.ctl("pool", "show", "provider", "openai")
    settings, header, rows = pool_table(out)
    assert [r["HEALTH"] for r in rows] == ["75% of 4", "no calls"]


def test_live_sets_leave_out_socks4(d):
    # socks4 rows are stored (older feeds, older installs) but never enter the
    # snapshot: a live set neither counts nor lists them, and a filter asking
    # for them is refused
    status, err = d.http("PUT", POOL, {"scope": "global", "source": "oneproxy",
                                       "filter": {"protocol": "socks4"}})
    assert status == 400 and err["error"]["details"][0]["field"] == "filter.protocol", err
    assert pool(d, "global")[0] == 404
    db = sqlite3.connect(d.datadir + "/omniroute.db")
    now = now_iso()
    for rid, kind, quality in (("op-socks4", "socks4", 99), ("op-http", "http", 80)):
        db.execute("INSERT INTO proxy_registry (id, name, type, host, port, source, status, "
                   "quality_score, country_code, created_at, updated_at) VALUES "
                   "(?, ?, ?, '127.0.0.9', ?, 'oneproxy', 'active', ?, 'US', ?, ?)",
                   (rid, "%s - US - 127.0.0.9" % kind.upper(), kind,
                    1080 if kind == "socks4" else 8080, quality, now, now))
    db.commit()
    db.close()
    status, p = d.http("PUT", POOL, {"scope": "provider", "scopeId": "openai",
                                     "source": "oneproxy", "filter": {"countryCode": "US"}})
    assert status == 201, p
    assert member_ids(p) == ["op-http"] and p["total"] == 1
    status, listed = d.http("GET", V1 + "/assignments?scope=provider")
    assert listed["items"][0]["poolSize"] == 1
    r = resolve(d, "x", provider="openai")
    assert r["proxyId"] == "op-http"
    assert r.get("pool", {"members": ["op-http"]})["members"] == ["op-http"]

    # a backup whose live set asks for socks4 is refused as a whole
    doc = d.secret_backup()
    before = list(sqlite3.connect(d.datadir + "/omniroute.db").iterdump())
    # (restores refuse socks4 proxy rows too: leave the stored one out)
    doc["proxies"] = [x for x in doc["proxies"] if x["type"] != "socks4"]
    doc["pools"][0]["filter"]["protocol"] = "socks4"
    status, err = d.http("POST", "/api/settings/backup", doc)
    assert status == 400, err
    assert err["error"]["details"][0]["field"] == "pools[0].filter.protocol", err
    assert "socks5" in err["error"]["details"][0]["message"]
    assert list(sqlite3.connect(d.datadir + "/omniroute.db").iterdump()) == before


def test_shared_egress_flag(daemon_factory, peers):
    echo = EchoStandIn()
    try:
        d = daemon_factory(env={"OMNIROUTE_EGRESS_CHECK_URL": echo.url("/json")}).start()
        one = peers(env.microsocks, address="127.0.0.5")
        two = peers(env.microsocks, address="127.0.0.5")
        other = peers(env.microsocks, address="127.0.0.6")
        p1 = new_proxy(d, type="socks5", host="127.0.0.5", port=one.port)
        p2 = new_proxy(d, type="socks5", host="127.0.0.5", port=two.port)
        p3 = new_proxy(d, type="socks5", host="127.0.0.6", port=other.port)
        for p in (p1, p2, p3):
            add(d, "provider", "openai", p["id"])
            res = d.probe_json("proxy", "egress", p["id"])
            assert res["success"] is True, res
        status, got = pool(d, "provider", "openai")
        assert [m["egressIp"] for m in got["members"]] == ["127.0.0.5", "127.0.0.5", "127.0.0.6"]
        assert [m["sharedEgress"] for m in got["members"]] == [True, True, False]
        remove(d, "provider", "openai", p2["id"])
        status, got = pool(d, "provider", "openai")
        assert [m["sharedEgress"] for m in got["members"]] == [False, False]
    finally:
        echo.stop()


@pytest.fixture
def feed(ca):
    from provider_standin import ProviderStandIn
    f = ProviderStandIn(ca)
    yield f
    f.stop()


def test_live_oneproxy_set_follows_syncs(daemon_factory, ca, feed):
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "ONEPROXY_API_URL": feed.url(host="127.0.0.1"),
                            "ONEPROXY_ALLOW_PRIVATE": "true"}).start()
    rows = [feed_row(0, quality=90, protocol="http", country="US"),
            feed_row(1, quality=70, protocol="http", country="US"),
            feed_row(2, quality=95, protocol="socks5", country="US"),
            feed_row(3, quality=99, protocol="http", country="DE")]
    feed.script(FEED, body=page(rows))
    status, res = sync(d)
    assert status == 200 and res["added"] == 4, res
    manual = new_proxy(d)
    status, p = d.http("PUT", POOL, {"scope": "provider", "scopeId": "openai",
                                     "source": "oneproxy",
                                     "filter": {"protocol": "http", "countryCode": "US",
                                                "minQuality": 60}})
    assert status == 201, p
    assert p["source"] == "oneproxy"
    assert p["filter"] == {"protocol": "http", "countryCode": "US", "minQuality": 60}
    hosts = [m["host"] for m in p["members"]]
    assert hosts == [feed_row(0)["ip"], feed_row(1)["ip"]]         # best quality first
    assert all(m["live"] for m in p["members"])
    # a static member comes first; the head is the static member
    status, p = add(d, "provider", "openai", manual["id"])
    assert status == 200 and member_ids(p)[0] == manual["id"] and p["total"] == 3
    status, listed = d.http("GET", V1 + "/assignments?scope=provider")
    assert listed["items"][0]["proxyId"] == manual["id"]
    assert listed["items"][0]["poolSize"] == 3
    remove(d, "provider", "openai", manual["id"])
    status, listed = d.http("GET", V1 + "/assignments?scope=provider")
    assert listed["items"][0]["proxyId"] == "live:oneproxy"
    r = resolve(d, "x", provider="openai")
    assert r["proxy"]["host"] == feed_row(0)["ip"] and r["pool"]["members"] == \
        [m["id"] for m in pool(d, "provider", "openai")[1]["members"]]

    # a row that degrades to inactive leaves the live set
    first = pool(d, "provider", "openai")[1]["members"][0]
    d.http("PATCH", V1, {"id": first["id"], "status": "inactive"})
    status, p = pool(d, "provider", "openai")
    assert [m["host"] for m in p["members"]] == [feed_row(1)["ip"]]
    # a sync that brings a new matching row grows it without another call
    feed.script(FEED, body=page(rows + [feed_row(4, quality=85, protocol="http",
                                                 country="US")]))
    status, res = sync(d)
    assert status == 200, res
    status, p = pool(d, "provider", "openai")
    assert feed_row(4)["ip"] in [m["host"] for m in p["members"]]
    # a bad filter is refused, naming the field
    status, err = d.http("PUT", POOL, {"scope": "global", "source": "oneproxy",
                                       "filter": {"minQuality": 101}})
    assert status == 400 and err["error"]["details"][0]["field"] == "filter.minQuality"
    status, err = d.http("PUT", POOL, {"scope": "global", "source": "elsewhere"})
    assert status == 400
    # removing the live set of a pool with no static member removes the pool
    status, res = d.http("DELETE", POOL + "?scope=provider&scopeId=openai&source=oneproxy")
    assert status == 200 and res["pool"] is None
    status, _ = d.http("DELETE", POOL + "?scope=provider&scopeId=openai&source=oneproxy")
    assert status == 404


def test_oneproxy_delete_removes_memberships(daemon_factory, ca, feed):
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "ONEPROXY_API_URL": feed.url(host="127.0.0.1"),
                            "ONEPROXY_ALLOW_PRIVATE": "true"}).start()
    feed.script(FEED, body=page([feed_row(i) for i in range(3)]))
    sync(d)
    status, listing = d.http("GET", "/api/settings/oneproxy?limit=10")
    ids = [i["id"] for i in listing["items"]]
    manual = new_proxy(d)
    for i in ids[:2]:
        add(d, "combo", "fast", i)
    add(d, "combo", "fast", manual["id"])
    status, _ = d.http("DELETE", "/api/settings/oneproxy?id=" + ids[0])
    assert status == 200
    assert member_ids(pool(d, "combo", "fast")[1]) == [ids[1], manual["id"]]
    rc, out, err = d.ctl("--json", "oneproxy", "clear")
    assert rc == 0
    status, p = pool(d, "combo", "fast")
    assert member_ids(p) == [manual["id"]] and p["members"][0]["position"] == 0


def test_backup_round_trip_with_pools(daemon_factory):
    a = daemon_factory("a").start()
    # a restore upserts proxies by (host, port): give each its own port
    p1, p2, p3 = (new_proxy(a, port=8081 + i) for i in range(3))
    add(a, "provider", "openai", p2["id"])
    add(a, "provider", "openai", p1["id"])
    add(a, "provider", "openai", p3["id"])
    a.http("PATCH", POOL, {"scope": "provider", "scopeId": "openai", "strategy": "sticky",
                           "stickyWindowMinutes": 7})
    add(a, "global", None, p1["id"])
    a.http("PUT", POOL, {"scope": "combo", "scopeId": "fast", "source": "oneproxy",
                         "filter": {"countryCode": "US"}})
    a.http("PUT", V1 + "/assignments", {"scope": "account", "scopeId": "c9", "proxyId": "direct"})
    doc = a.secret_backup()
    assert {(x["scope"], x["scopeId"]) for x in doc["pools"]} == \
        {("provider", "openai"), ("global", None), ("combo", "fast")}

    b = daemon_factory("b").start()
    status, res = b.http("POST", "/api/settings/backup", doc)
    assert status == 200 and res["pools"] == 3, res
    status, p = pool(b, "provider", "openai")
    assert member_ids(p) == [p2["id"], p1["id"], p3["id"]]
    assert p["strategy"] == "sticky" and p["stickyWindowMinutes"] == 7
    status, p = pool(b, "combo", "fast")
    assert p["source"] == "oneproxy" and p["filter"]["countryCode"] == "US"
    status, r = b.http("GET", V1 + "/assignments?scope=account")
    assert r["items"][0]["proxyId"] == "direct"
    # the same document again changes nothing
    status, res = b.http("POST", "/api/settings/backup", doc)
    assert status == 200
    assert member_ids(pool(b, "provider", "openai")[1]) == [p2["id"], p1["id"], p3["id"]]

    # an older backup (no pools) restores each assignment as a pool of one
    old = json.loads(json.dumps(doc))
    del old["pools"]
    for asg in old["assignments"]:
        asg.pop("poolSize", None)
    old["assignments"] = [x for x in old["assignments"] if x["proxyId"] != "live:oneproxy"]
    c = daemon_factory("c").start()
    status, res = c.http("POST", "/api/settings/backup", old)
    assert status == 200, res
    status, p = pool(c, "provider", "openai")
    assert member_ids(p) == [p2["id"]] and p["strategy"] == "round-robin"

    # a bad pool item changes nothing
    bad = json.loads(json.dumps(doc))
    bad["pools"][0]["members"] = ["no-such-proxy"]
    before = list(sqlite3.connect(c.datadir + "/omniroute.db").iterdump())
    status, err = c.http("POST", "/api/settings/backup", bad)
    assert status == 400 and err["error"]["details"][0]["field"].startswith("pools[0].members")
    assert list(sqlite3.connect(c.datadir + "/omniroute.db").iterdump()) == before


def test_pools_survive_a_restart(daemon_factory):
    d = daemon_factory().start()
    a, b = new_proxy(d), new_proxy(d)
    add(d, "provider", "openai", a["id"])
    add(d, "provider", "openai", b["id"])
    d.http("PATCH", POOL, {"scope": "provider", "scopeId": "openai", "strategy": "random"})
    d.stop()
    d.start()
    status, p = pool(d, "provider", "openai")
    assert member_ids(p) == [a["id"], b["id"]] and p["strategy"] == "random"
    r = resolve(d, "x", provider="openai")
    assert r["proxyId"] == a["id"] and r["pool"]["strategy"] == "random"


def test_pool_config_keys_accepted_by_dash_n(tmp_path):
    # read by the failover inside a call (worker/relay.c; test_pool_routing.py)
    p = check_config(tmp_path, {}, "pool_cooldown_ms = 5000\npool_attempts_max = 2\n")
    assert p.returncode == 0, p.stderr
    p = check_config(tmp_path, {"OMNIROUTE_POOL_COOLDOWN_MS": "1000",
                                "OMNIROUTE_POOL_ATTEMPTS_MAX": "4"})
    assert p.returncode == 0, p.stderr
    p = check_config(tmp_path, {"OMNIROUTE_POOL_ATTEMPTS_MAX": "0"})
    assert p.returncode == 1 and "pool_attempts_max" in p.stderr, p.stderr
    p = check_config(tmp_path, {}, "pool_cooldown_ms = soon\n")
    assert p.returncode == 1 and "pool_cooldown_ms" in p.stderr, p.stderr
