"""One proxy's outcomes over time (issue 12, the dashboard's Health chart):
GET /api/v1/management/proxies/health?proxyId=X&hours=H&buckets=N and its
/api/settings/proxies/health twin, from real outcome rows.

Real relayed calls produce the rows: a live SOCKS5 proxy (microsocks on its
own loopback address, 127.0.0.24) carries successes to the provider
stand-in, and a dead one (a free port on 127.0.0.25) refuses the TCP
connection, so its calls fail at the `connect` stage. Each is the openai
provider's only proxy in turn (a pool of one). The workers report outcomes
to the master and the master writes them every 100 ms, so the figures are
polled until they arrive.

Covered: the series' shape (windowHours, bucketSeconds, one entry per
bucket, every stage word, the last bucket holding now, earlier ones empty),
each proxy's calls counted under `ok` or `connect` and nowhere else, the
same figures as the summary, the twin path, a proxy named instead of its
id, a proxy without calls (all zeros), the window rounding (7 days in 28
buckets of 6 h), validation (400 naming buckets / hours / proxyId, buckets
without proxyId refused), an unknown proxy 404, and the summary answer
unchanged without the new parameters. omnirctl proxy health-series prints
the same series as a table."""

import datetime
import http.client
import json

import pytest

import egress_env as env
from conftest import new_proxy, wait_for

KEY = "sk-health-key"
MODEL = "openai/gpt-4o-mini"
V1 = "/api/v1/management/proxies"
SET = "/api/settings/proxies"
LIVE, DEAD = "127.0.0.24", "127.0.0.25"
STAGES = ["ok", "dns", "connect", "handshake", "tls", "http", "timeout", "other"]


@pytest.fixture
def d(daemon_factory, ca, provider):
    provider.reset()
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                            "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "3000",
                            "OMNIROUTE_POOL_COOLDOWN_MS": "0"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url",
               provider.url("/v1", host="127.0.0.1"))
    d.ctl_json("conn", "add", "openai", "--name", "first", "--key", KEY)
    return d


def chat(d):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    c.request("POST", "/v1/chat/completions",
              body=json.dumps({"model": MODEL,
                               "messages": [{"role": "user", "content": "hi"}]}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def through(d, proxy, calls, expect):
    """Make proxy the provider's only proxy and relay `calls` calls through it."""
    status, body = d.http("PUT", V1 + "/assignments", {"scope": "provider",
                                                       "scopeId": "openai",
                                                       "proxyId": proxy["id"]})
    assert status == 200, body
    for _ in range(calls):
        r, data = chat(d)
        assert r.status == expect, data
        assert r.getheader("X-OmniRoute-Proxy-Id") == proxy["id"]


def summary(d, proxy_id, hours=24):
    status, body = d.http("GET", V1 + "/health?hours=%d" % hours)
    assert status == 200, body
    return [i for i in body["items"] if i["proxyId"] == proxy_id][0]


def produce(d, peers, ok_calls=3, failed_calls=2):
    """A live proxy with ok_calls successes, a dead one with failed_calls
    connect failures, and an idle one; once the rows are written."""
    peer = peers(env.microsocks, address=LIVE)
    live = new_proxy(d, name="live-exit", type="socks5", host=LIVE, port=peer.port)
    dead = new_proxy(d, name="dead-exit", type="socks5", host=DEAD,
                     port=env.free_port_on([DEAD]))
    idle = new_proxy(d, name="idle-exit", type="socks5", host="127.0.0.26", port=1080)
    through(d, live, ok_calls, 200)
    through(d, dead, failed_calls, 502)
    assert wait_for(lambda: summary(d, live["id"])["totalRequests"] == ok_calls and
                    summary(d, dead["id"])["totalRequests"] == failed_calls, timeout=10)
    return live, dead, idle


def series(d, query, base=V1):
    status, body = d.http("GET", base + "/health?" + query)
    assert status == 200, body
    return body


def totals(body):
    return {s: sum(b[s] for b in body["series"]) for s in STAGES}


def test_series_counts_each_stage(d, peers, provider):
    live, dead, idle = produce(d, peers)
    body = series(d, "proxyId=%s&hours=24&buckets=24" % live["id"])
    assert set(body) == {"proxyId", "name", "windowHours", "bucketSeconds", "series"}
    assert (body["proxyId"], body["name"], body["windowHours"], body["bucketSeconds"]) == \
        (live["id"], "live-exit", 24, 3600)
    assert len(body["series"]) == 24
    for b in body["series"]:
        assert set(b) == {"start"} | set(STAGES)
    starts = [datetime.datetime.strptime(b["start"], "%Y-%m-%dT%H:%M:%S.000Z")
              for b in body["series"]]
    assert all(s.minute == 0 and s.second == 0 for s in starts)
    assert all((b - a).total_seconds() == 3600 for a, b in zip(starts, starts[1:]))
    now = datetime.datetime.utcnow()
    assert starts[-1] <= now < starts[-1] + datetime.timedelta(hours=1)
    # every call just made is in the last bucket, under ok only
    assert body["series"][-1]["ok"] == 3
    assert totals(body) == dict.fromkeys(STAGES, 0) | {"ok": 3}
    # the dead proxy's calls failed at connect
    body = series(d, "proxyId=%s" % dead["id"])
    assert (body["windowHours"], body["bucketSeconds"], len(body["series"])) == (24, 3600, 24)
    assert body["series"][-1]["connect"] == 2
    assert totals(body) == dict.fromkeys(STAGES, 0) | {"connect": 2}
    # the summary agrees
    s = summary(d, dead["id"])
    assert (s["totalRequests"], s["errorCount"], s["successCount"]) == (2, 2, 0)
    # an idle proxy: every bucket zero
    body = series(d, "proxyId=%s&buckets=6&hours=6" % idle["id"])
    assert len(body["series"]) == 6 and totals(body) == dict.fromkeys(STAGES, 0)
    # the dashboard twin, and a proxy named instead of its id
    assert series(d, "proxyId=%s&buckets=24" % live["id"], base=SET)["series"] == \
        series(d, "proxyId=%s&buckets=24" % live["id"])["series"]
    assert series(d, "proxyId=dead-exit")["proxyId"] == dead["id"]
    # 7 days in 28 buckets of 6 h
    body = series(d, "proxyId=%s&hours=168&buckets=28" % live["id"])
    assert (body["windowHours"], body["bucketSeconds"], len(body["series"])) == (168, 21600, 28)
    assert body["series"][-1]["ok"] == 3 and totals(body)["ok"] == 3
    # hours are clamped as the summary's are
    assert series(d, "proxyId=%s&hours=100000&buckets=240" % live["id"])["windowHours"] == 720
    # omnirctl prints the series as a table, a row per bucket
    rc, out, err = d.ctl("proxy", "health-series", "dead-exit", "--hours", "2", "--buckets", "2")
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split() == ["START", "OK", "DNS", "CONNECT", "HANDSHAKE", "TLS", "HTTP",
                                "TIMEOUT", "OTHER"]
    assert len(lines) == 3 and lines[2].split()[1:] == ["0", "0", "2", "0", "0", "0", "0", "0"]


def test_older_rows_fall_in_their_bucket(d):
    import sqlite3
    rec = new_proxy(d, name="history")
    db = sqlite3.connect(d.datadir + "/omniroute.db")
    now = datetime.datetime.utcnow()

    def stamp(hours_ago):
        return (now - datetime.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    rows = [("a", stamp(0), "success", None, 4), ("b", stamp(2), "error", "proxy_handshake", 1),
            ("c", stamp(2), "error", "tls", 2), ("d", stamp(5), "timeout", "connect", 1),
            ("e", stamp(5), "error", "response", 3), ("f", stamp(30), "success", None, 9)]
    for rid, ts, status, stage, calls in rows:
        db.execute("INSERT INTO proxy_logs (id, timestamp, status, proxy_id, stage, calls) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (rid, ts, status, rec["id"], stage, calls))
    db.commit()
    db.close()
    body = series(d, "proxyId=%s&hours=24&buckets=24" % rec["id"])
    by_start = {b["start"]: b for b in body["series"]}
    hour = lambda h: (now - datetime.timedelta(hours=h)).strftime("%Y-%m-%dT%H:00:00.000Z")
    assert by_start[hour(0)]["ok"] == 4
    assert (by_start[hour(2)]["handshake"], by_start[hour(2)]["tls"]) == (1, 2)
    assert (by_start[hour(5)]["timeout"], by_start[hour(5)]["http"]) == (1, 3)
    # the 30 h old row is outside the window; the rest add up to the summary
    t = totals(body)
    assert t == dict.fromkeys(STAGES, 0) | {"ok": 4, "handshake": 1, "tls": 2, "timeout": 1,
                                           "http": 3}
    assert sum(t.values()) == summary(d, rec["id"])["totalRequests"] == 11


@pytest.mark.parametrize("query,field", [
    ("proxyId=%s&buckets=0", "buckets"),
    ("proxyId=%s&buckets=289", "buckets"),
    ("proxyId=%s&buckets=abc", "buckets"),
    ("proxyId=%s&hours=abc", "hours"),
    ("proxyId=%s&hours=1.5", "hours"),
    ("buckets=24&x=%s", "proxyId"),
    ("proxyId=&x=%s", "proxyId"),
])
def test_bad_parameters_name_the_field(daemon, query, field):
    rec = new_proxy(daemon, name="checked")
    for base in (V1, SET):
        status, body = daemon.http("GET", base + "/health?" + query % rec["id"])
        assert status == 400, body
        assert body["error"]["message"] == "Invalid request"
        assert [x["field"] for x in body["error"]["details"]] == [field]


def test_unknown_proxy_is_404_and_summary_unchanged(daemon):
    rec = new_proxy(daemon, name="plain")
    for base in (V1, SET):
        status, body = daemon.http("GET", base + "/health?proxyId=no-such-proxy")
        assert status == 404 and body["error"]["message"] == "Proxy not found", body
        # without proxyId and buckets: the summary, as before
        status, body = daemon.http("GET", base + "/health?hours=6")
        assert status == 200 and set(body) == {"items", "total", "windowHours"}
        assert body["windowHours"] == 6 and body["items"][0]["proxyId"] == rec["id"]
        assert set(body["items"][0]) == {"proxyId", "name", "type", "host", "port",
                                         "totalRequests", "successCount", "errorCount",
                                         "timeoutCount", "successRate", "avgLatencyMs",
                                         "lastSeenAt"}
