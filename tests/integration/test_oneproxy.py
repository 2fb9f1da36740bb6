"""The 1proxy free-proxy feed (API.md "1proxy", issue 10) against the real
daemon and a fake feed served by the tests: the provider stand-in over TLS
(the test CA) with one scripted body per page. Every feed row is on
loopback; ONEPROXY_ALLOW_PRIVATE=true lets them in, except in the test that
checks they are refused without it.

Covered: paging (full pages, a short last page, the max), the threshold
enforced locally whatever the feed sends, names, protocols and countries,
stats and filters with paging, a feed that fails part-way (kept rows,
truthful counts), garbage and oversized pages, the circuit breaker and its
reset (and its history across a restart), two syncs at once (409 with the
running one's progress), a POST with no body, rotation by each strategy,
delete one / clear with assignments, the sync through the global proxy and
fail-closed when that proxy is dead, and scores lowered by real failed calls
through a dead proxy taken from the feed until it leaves rotation, with the
revive rule on the next sync."""

import json
import os
import pty
import signal
import subprocess
import threading
import time

import pytest

from conftest import OMNIRCTL, free_port, wait_for
from egress_env import microsocks
from provider_standin import ProviderStandIn

FEED = "/api/v1/proxies/advanced"
PROTOCOLS = ["http", "socks5", "https"]
COUNTRIES = ["US", "DE", "JP"]


def feed_row(i, quality=80, protocol=None, country=None, host=None, port=None,
             validated="2026-11-01T12:00:00Z"):
    return {"id": i, "ip": host or "127.0.%d.%d" % (1 + i // 250, 1 + i % 250),
            "port": port or 20000 + i, "protocol": protocol or PROTOCOLS[i % 3],
            "country_code": country or COUNTRIES[i % 3], "quality_score": quality,
            "latency_ms": 100 + i, "anonymity": "elite", "can_access_google": i % 2 == 0,
            "last_validated": validated, "is_working": True}


def page(rows, offset=0):
    return json.dumps({"total": len(rows), "count": len(rows), "offset": offset,
                       "limit": 100, "proxies": rows}).encode()


@pytest.fixture
def feed(ca):
    f = ProviderStandIn(ca)
    yield f
    f.stop()


@pytest.fixture
def start(daemon_factory, ca, feed):
    def make(name="data", **env):
        e = {"OMNIROUTE_CA_FILE": ca.ca, "ONEPROXY_API_URL": feed.url(host="127.0.0.1"),
             "ONEPROXY_ALLOW_PRIVATE": "true", "ONEPROXY_TIMEOUT_MS": "5000"}
        e.update({k: str(v) for k, v in env.items()})
        return daemon_factory(name, env=e).start()
    return make


def sync(d, body=None, headers=None, raw_body=None):
    if raw_body is None and body is None and headers is None:
        body = {}
    return d.http("POST", "/api/settings/oneproxy", body, headers=headers, raw_body=raw_body)


def feed_paths(feed):
    return [r.path for r in feed.requests if r.path.startswith(FEED)]


def registry(d):
    status, out = d.http("GET", "/api/settings/oneproxy?limit=1000")
    assert status == 200, out
    return out


def test_sync_pages_threshold_names(start, feed):
    d = start()
    rows = [feed_row(i, quality=(40 if i % 10 == 0 else 80)) for i in range(230)]
    rows[5]["quality_score"] = None           # unscored: below any threshold but 0
    rows[7]["protocol"] = "socks4"             # cannot be dialled: failed
    for k in range(3):
        feed.script(FEED, body=page(rows[k * 100:(k + 1) * 100], k * 100))
    status, res = sync(d)
    assert status == 200, res
    below = sum(1 for r in rows if r["quality_score"] is None or r["quality_score"] < 50)
    assert res["success"] is True and res["error"] is None
    assert res["failed"] == 1
    assert res["skipped"] == below
    assert res["added"] == 230 - below - 1 and res["updated"] == 0
    assert res["total"] == res["added"] + res["updated"]
    assert res["pages"] == 3
    paths = feed_paths(feed)
    assert len(paths) == 3
    for k, p in enumerate(paths):
        assert "limit=100" in p and "offset=%d" % (k * 100) in p
        assert "min_quality=50" in p and "is_working=true" in p
    listing = registry(d)
    assert listing["total"] == res["added"]
    qualities = [it["qualityScore"] for it in listing["items"]]
    assert qualities == sorted(qualities, reverse=True)
    first = next(it for it in listing["items"] if it["host"] == "127.0.1.2")
    assert first["name"] == "SOCKS5 - DE - 127.0.1.2"
    assert first["type"] == "socks5" and first["port"] == 20001
    assert first["source"] == "oneproxy" and first["countryCode"] == "DE"
    assert first["googleAccess"] is False and first["anonymity"] == "elite"
    assert "password" not in first and "username" not in first
    # a second sync of the same feed updates, adds nothing
    for k in range(3):
        feed.script(FEED, body=page(rows[k * 100:(k + 1) * 100], k * 100))
    status, again = sync(d)
    assert again["added"] == 0 and again["updated"] == res["added"]
    # filters, paging and stats
    status, socks = d.http("GET", "/api/settings/oneproxy?protocol=socks5&countryCode=de&limit=5&offset=0")
    assert status == 200 and socks["total"] > 5 and len(socks["items"]) == 5
    assert all(it["type"] == "socks5" and it["countryCode"] == "DE" for it in socks["items"])
    status, page2 = d.http("GET", "/api/settings/oneproxy?protocol=socks5&countryCode=de&limit=5&offset=5")
    assert {it["id"] for it in page2["items"]}.isdisjoint(it["id"] for it in socks["items"])
    status, stats = d.http("GET", "/api/settings/oneproxy?action=stats")
    assert status == 200
    assert stats["stats"]["total"] == res["added"]
    assert {b["protocol"] for b in stats["stats"]["byProtocol"]} == {"http", "https", "socks5"}
    assert sum(b["count"] for b in stats["stats"]["byCountry"]) == res["added"]
    assert stats["status"]["lastSyncSuccess"] is True
    assert stats["status"]["lastSyncCount"] == res["added"]
    status, anyf = d.http("GET", "/api/settings/oneproxy?protocol=&countryCode=&minQuality=&limit=1000")
    assert status == 200 and anyf["total"] == res["added"]      # a form's "any"
    for bad in ("minQuality=101", "protocol=ftp", "countryCode=USA", "limit=0", "action=nope"):
        status, err = d.http("GET", "/api/settings/oneproxy?" + bad)
        assert status == 400, (bad, err)
        assert err["error"]["details"], err


def test_short_first_page_and_max(start, feed):
    d = start(ONEPROXY_MAX_PROXIES=150)
    rows = [feed_row(i) for i in range(300)]
    for k in range(3):
        feed.script(FEED, body=page(rows[k * 100:(k + 1) * 100], k * 100))
    status, res = sync(d)
    assert res["success"] and res["added"] == 150
    assert len(feed_paths(feed)) == 2          # the max is reached on page 2
    feed.reset()
    feed.script(FEED, body=page(rows[:40]))
    status, res = sync(d)
    assert res["success"] and res["pages"] == 1 and res["updated"] == 40
    assert len(feed_paths(feed)) == 1          # a short page ends the sync


def test_loopback_rows_refused_without_allow_private(start, feed):
    d = start(ONEPROXY_ALLOW_PRIVATE="false")
    feed.script(FEED, body=page([feed_row(i) for i in range(3)]))
    status, res = sync(d)
    assert status == 200 and res["success"] is True
    assert res["added"] == 0 and res["failed"] == 3
    assert registry(d)["total"] == 0


def test_partial_failure_keeps_rows_and_reports_them(start, feed):
    d = start()
    rows = [feed_row(i) for i in range(200)]
    feed.script(FEED, body=page(rows[:100]))
    feed.script(FEED, status=503)
    status, res = sync(d)
    assert status == 200
    assert res["success"] is False
    assert "503" in res["error"]
    assert res["added"] == 100 and res["total"] == 100
    assert registry(d)["total"] == 100
    status, st = d.http("GET", "/api/settings/oneproxy?action=status")
    assert st["lastSyncSuccess"] is False and "503" in st["lastSyncError"]
    assert st["consecutiveFailures"] == 1 and st["lastSyncCount"] == 100
    assert st["circuitOpen"] is False and st["lastSyncAt"]


@pytest.mark.parametrize("body,why", [
    (b"<html>blocked</html>", "not valid JSON"),
    (b'{"proxies": {"ip": "127.0.0.1"}}', "no \"proxies\" array"),
    (b"{\"proxies\": [" + b",".join([b"{}"] * 101) + b"]}", "101 rows"),
    (b'{"proxies": []}' + b" " * (4 * 1024 * 1024 + 1), "larger than"),
], ids=["html", "no-array", "too-many-rows", "oversized"])
def test_garbage_pages_fail_cleanly(start, feed, body, why):
    d = start()
    feed.script(FEED, body=body)
    status, res = sync(d)
    assert status == 200 and res["success"] is False, res
    assert why in res["error"], res
    assert registry(d)["total"] == 0
    # the daemon is fine and the next good page works
    feed.script(FEED, body=page([feed_row(1)]))
    status, res = sync(d)
    assert res["success"] is True and res["added"] == 1


def test_circuit_breaker_reset_and_restart(start, feed, daemon_factory):
    d = start()
    feed.script(FEED, times=None, status=503)
    for n in range(1, 6):
        status, res = sync(d)
        assert res["success"] is False
    assert len(feed_paths(feed)) == 5
    status, st = d.http("GET", "/api/settings/oneproxy?action=status")
    assert st["consecutiveFailures"] == 5 and st["circuitOpen"] is True
    status, res = sync(d)
    assert res["success"] is False and "Circuit breaker" in res["error"]
    assert len(feed_paths(feed)) == 5          # the feed was not called
    # the history survives a restart
    d.stop()
    d.start()
    status, st = d.http("GET", "/api/settings/oneproxy?action=status")
    assert st["consecutiveFailures"] == 5 and st["circuitOpen"] is True
    assert "503" in st["lastSyncError"]
    rc, out, err = d.ctl("oneproxy", "reset")
    assert rc == 0, err
    status, st = d.http("GET", "/api/settings/oneproxy?action=status")
    assert st["consecutiveFailures"] == 0 and st["circuitOpen"] is False
    feed.clear_scripts()
    feed.script(FEED, body=page([feed_row(1)]))
    status, res = sync(d)
    assert res["success"] is True
    # and over HTTP
    status, res = d.http("POST", "/api/settings/oneproxy/reset")
    assert status == 200 and res["circuitOpen"] is False


def test_two_syncs_at_once(start, feed):
    d = start()
    feed.script(FEED, body=page([feed_row(i) for i in range(100)]), slow_head=1.5)
    feed.script(FEED, body=page([feed_row(i) for i in range(100, 120)], 100))
    first = {}

    def run():
        first["res"] = sync(d)
    t = threading.Thread(target=run)
    t.start()
    assert wait_for(lambda: len(feed.requests) >= 1, 5)
    status, busy = sync(d)
    assert status == 409, busy
    assert "running" in busy["error"]["message"]
    assert busy["progress"]["pages"] == 0 and busy["progress"]["received"] == 0
    t.join(15)
    assert first["res"][0] == 200 and first["res"][1]["added"] == 120


def test_status_shows_a_running_syncs_progress(start, feed):
    # an HTTP caller gets no progress lines: ?action=status (and the stats'
    # status) say "syncing" with the running sync's counters, for a poller
    d = start()
    status, idle = d.http("GET", "/api/settings/oneproxy?action=status")
    assert status == 200 and idle["syncing"] is False and "progress" not in idle
    for k in range(3):
        feed.script(FEED, body=page([feed_row(k * 100 + i) for i in range(100 if k < 2 else 7)],
                                    k * 100), slow_head=0.8)
    result = {}
    t = threading.Thread(target=lambda: result.update(res=sync(d)))
    t.start()
    seen = []
    deadline = time.time() + 15
    while t.is_alive() and time.time() < deadline:
        status, st = d.http("GET", "/api/settings/oneproxy?action=status")
        assert status == 200
        if st["syncing"]:
            seen.append((st["progress"]["pages"], st["progress"]["received"]))
        time.sleep(0.1)
    t.join(5)
    assert result["res"][0] == 200 and result["res"][1]["added"] == 207
    assert (0, 0) in seen and (1, 100) in seen and (2, 200) in seen, seen
    assert seen == sorted(seen)
    status, st = d.http("GET", "/api/settings/oneproxy?action=status")
    assert st["syncing"] is False and "progress" not in st and st["lastSyncCount"] == 207
    status, stats = d.http("GET", "/api/settings/oneproxy?action=stats")
    assert stats["status"]["syncing"] is False


def test_post_without_body_or_content_type_syncs(start, feed):
    d = start()
    feed.script(FEED, body=page([feed_row(1)]))
    status, res = d.http("POST", "/api/settings/oneproxy")
    assert status == 200 and res["success"] is True, res
    status, err = sync(d, body={"x": 1})
    assert status == 400 and err["error"]["details"][0]["field"] == "x"


def test_disabled(start, feed):
    d = start(ONEPROXY_ENABLED="false")
    status, res = sync(d)
    assert res["success"] is False and res["error"] == "1proxy integration disabled"
    assert feed_paths(feed) == []


def test_rotation_strategies(start, feed):
    d = start()
    status, none = d.http("POST", "/api/settings/oneproxy/rotate", {"strategy": "quality"})
    assert status == 404
    rows = [feed_row(i, quality=60 + i, validated="2026-11-0%dT00:00:00Z" % (i + 1))
            for i in range(4)]
    feed.script(FEED, body=page(rows))
    sync(d)
    status, best = d.http("POST", "/api/settings/oneproxy/rotate", {"strategy": "quality"})
    assert status == 200 and best["qualityScore"] == 63
    seen = []
    for _ in range(5):
        status, rec = d.http("POST", "/api/settings/oneproxy/rotate", {"strategy": "sequential"})
        seen.append(rec["host"])
    assert seen[:4] == [r["ip"] for r in rows] and seen[4] == seen[0]
    # the cursor persists across a restart
    d.stop()
    d.start()
    status, rec = d.http("POST", "/api/settings/oneproxy/rotate", {"strategy": "sequential"})
    assert rec["host"] == seen[1]
    hosts = set()
    for _ in range(40):
        status, rec = d.http("POST", "/api/settings/oneproxy/rotate", {"strategy": "random"})
        hosts.add(rec["host"])
    assert len(hosts) > 1
    status, err = d.http("POST", "/api/settings/oneproxy/rotate", {"strategy": "roundrobin"})
    assert status == 400


def test_delete_one_and_clear(start, feed):
    d = start()
    feed.script(FEED, body=page([feed_row(i) for i in range(3)]))
    sync(d)
    items = registry(d)["items"]
    target = items[0]["id"]
    status, _ = d.http("PUT", "/api/v1/management/proxies/assignments",
                       {"scope": "global", "proxyId": target})
    assert status == 200
    status, manual = d.http("POST", "/api/v1/management/proxies",
                            {"name": "mine", "host": "127.0.0.1", "port": 3128})
    assert status == 201
    status, err = d.http("DELETE", "/api/settings/oneproxy?id=" + manual["id"])
    assert status == 404
    status, res = d.http("DELETE", "/api/settings/oneproxy?id=" + target)
    assert status == 200 and res["success"] is True
    status, assigned = d.http("GET", "/api/v1/management/proxies/assignments")
    assert all(a["proxyId"] != target for a in assigned["items"])
    status, err = d.http("DELETE", "/api/settings/oneproxy")
    assert status == 400 and "id or clearAll" in err["error"]["message"]
    rc, out, err = d.ctl("--json", "oneproxy", "clear")
    assert rc == 0 and json.loads(out)["deleted"] == 2
    assert registry(d)["total"] == 0
    status, still = d.http("GET", "/api/v1/management/proxies?id=" + manual["id"])
    assert status == 200 and still["name"] == "mine"


def test_sync_goes_through_the_global_proxy(start, feed, peers):
    d = start()
    exit_peer = peers(microsocks, address="127.0.0.7")
    status, proxy = d.http("POST", "/api/v1/management/proxies",
                           {"name": "exit", "type": "socks5", "host": "127.0.0.7",
                            "port": exit_peer.port})
    d.http("PUT", "/api/v1/management/proxies/assignments",
           {"scope": "global", "proxyId": proxy["id"]})
    feed.script(FEED, body=page([feed_row(1)]))
    status, res = sync(d)
    assert res["success"] is True
    assert feed.sources.snapshot() == ["127.0.0.7"]
    # a dead global proxy: the sync fails, the feed sees nobody
    exit_peer.stop()
    feed.reset()
    status, res = sync(d)
    assert res["success"] is False and res["error"]
    assert feed.sources.snapshot() == []


def test_failed_calls_degrade_until_out_of_rotation(start, feed, ca):
    provider = ProviderStandIn(ca)
    try:
        d = start(ONEPROXY_MIN_QUALITY_THRESHOLD=20)
        dead = free_port()                      # nothing listens there
        feed.script(FEED, body=page([feed_row(1, quality=30, protocol="http",
                                              host="127.0.0.1", port=dead,
                                              validated="2026-01-01T00:00:00Z")]))
        sync(d)
        rec = registry(d)["items"][0]
        status, _ = d.http("POST", "/api/providers", {"id": "standin", "name": "Stand-in",
                                                       "baseUrl": provider.url("/v1")})
        assert status == 201
        status, _ = d.http("POST", "/api/connections", {"provider": "standin",
                                                         "name": "k", "key": "sk-test"})
        assert status == 201
        status, _ = d.http("PUT", "/api/v1/management/proxies/assignments",
                           {"scope": "provider", "scopeId": "standin", "proxyId": rec["id"]})
        assert status == 200
        body = {"model": "standin/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}

        def score():
            status, got = d.http("GET", "/api/v1/management/proxies?id=" + rec["id"])
            return got["qualityScore"], got["status"]
        status, out = d.http("POST", "/v1/chat/completions", body)
        assert status >= 500
        assert wait_for(lambda: score() == (20, "active"), 5), score()
        d.http("POST", "/v1/chat/completions", body)
        assert wait_for(lambda: score() == (10, "inactive"), 5), score()
        assert registry(d)["total"] == 0            # out of rotation
        status, _ = d.http("POST", "/api/settings/oneproxy/rotate", {})
        assert status == 404
        # calls through it are refused, never direct
        status, out = d.http("POST", "/v1/chat/completions", body)
        assert status >= 500 and provider.requests.snapshot() == []
        # the feed lists it again, validated before the degradation: stays out
        feed.script(FEED, body=page([feed_row(1, quality=90, protocol="http",
                                              host="127.0.0.1", port=dead,
                                              validated="2026-01-01T00:00:00Z")]))
        status, res = sync(d)
        assert res["keptInactive"] == 1 and score() == (10, "inactive")
        # validated after it: back in rotation with the feed's score
        feed.script(FEED, body=page([feed_row(1, quality=90, protocol="http",
                                              host="127.0.0.1", port=dead,
                                              validated="2999-01-01T00:00:00Z")]))
        status, res = sync(d)
        assert score() == (90, "active")
    finally:
        provider.stop()


def test_omnirctl_sync_progress(start, feed):
    d = start()
    for k in range(3):
        feed.script(FEED, body=page([feed_row(k * 100 + i) for i in range(100 if k < 2 else 5)],
                                    k * 100))
    rc, out, err = d.ctl("oneproxy", "sync")
    assert rc == 0, err
    assert out.startswith("1proxy sync done: 3 pages, 205 added, 0 updated"), out
    assert len(out.splitlines()) == 1 and err == ""   # not a terminal: one line
    # on a terminal: live progress lines, then the result
    for k in range(2):
        feed.script(FEED, body=page([feed_row(k * 100 + i) for i in range(100 if k < 1 else 7)],
                                    k * 100))
    master, slave = pty.openpty()
    proc = subprocess.Popen([OMNIRCTL, "-s", d.sock, "oneproxy", "sync"], stdin=slave,
                            stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(5)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "1proxy sync: page 1 read" in text and "0 added, 107 updated" in text, text
    rc, out, err = d.ctl("--json", "oneproxy", "status")
    assert json.loads(out)["lastSyncSuccess"] is True


def test_periodic_sync(start, feed):
    feed.script(FEED, times=None, body=page([feed_row(i) for i in range(3)]))
    d = start(ONEPROXY_SYNC_INTERVAL=1)

    def synced():
        status, st = d.http("GET", "/api/settings/oneproxy?action=status")
        return st["lastSyncSuccess"] is True and st["lastSyncCount"] == 3
    assert wait_for(synced, 10)
    assert registry(d)["total"] == 3
    assert wait_for(lambda: len(feed_paths(feed)) >= 3, 10)   # it repeats


def test_socks5_rows_left_out_while_socks5_is_disabled(start, feed):
    d = start(ENABLE_SOCKS5_PROXY="false")
    feed.script(FEED, body=page([feed_row(i) for i in range(3)]))   # http, socks5, https
    status, res = sync(d)
    assert res["success"] is True and res["added"] == 2 and res["failed"] == 1
    assert {it["type"] for it in registry(d)["items"]} == {"http", "https"}


def test_feed_with_an_untrusted_certificate_is_refused(daemon_factory, ca, tmp_path):
    import egress_env
    stranger = ProviderStandIn(egress_env.TestCA(tmp_path / "other-ca"))
    try:
        d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca, "ONEPROXY_ALLOW_PRIVATE": "true",
                                "ONEPROXY_API_URL": stranger.url(host="127.0.0.1")}).start()
        stranger.script(FEED, body=page([feed_row(1)]))
        status, res = sync(d)
        assert status == 200 and res["success"] is False
        assert "tls" in res["error"].lower() or "certificate" in res["error"].lower(), res
        assert stranger.requests.snapshot() == []     # no request went over it
        assert registry(d)["total"] == 0
    finally:
        stranger.stop()


def test_full_pages_of_rows_not_imported_end_at_the_max(start, feed):
    # a feed ignoring offset and min_quality: always 100 rows below the threshold
    d = start(ONEPROXY_MAX_PROXIES=200)
    feed.script(FEED, times=None, body=page([feed_row(i, quality=10) for i in range(100)]))
    status, res = sync(d)
    assert res["success"] is True and res["added"] == 0 and res["skipped"] == 200
    assert res["pages"] == 2 and len(feed_paths(feed)) == 2


def test_reload_during_a_sync(start, feed):
    d = start()
    feed.script(FEED, body=page([feed_row(i) for i in range(100)]), slow_head=1.0)
    feed.script(FEED, body=page([feed_row(i) for i in range(100, 110)], 100), slow_head=1.0)
    result = {}
    t = threading.Thread(target=lambda: result.update(res=d.ctl("--json", "oneproxy", "sync")))
    t.start()
    assert wait_for(lambda: len(feed.requests) >= 1, 5)
    rc, out, err = d.ctl("reload")
    assert rc == 0, err
    t.join(20)
    rc, out, err = result["res"]
    res = json.loads(out)
    assert rc == 0 and res["success"] is True and res["added"] == 110, res
    status, st = d.http("GET", "/api/settings/oneproxy?action=status")
    assert st["consecutiveFailures"] == 0


def test_stop_during_a_sync_answers_and_keeps_the_status(start, feed):
    d = start()
    feed.script(FEED, body=page([feed_row(i) for i in range(100)]))
    feed.script(FEED, body=page([feed_row(i) for i in range(100, 200)], 100), slow_head=3.0)
    result = {}
    t = threading.Thread(target=lambda: result.update(res=sync(d)))
    t.start()
    assert wait_for(lambda: len(feed.requests) >= 2, 5)
    d.proc.send_signal(signal.SIGTERM)
    t.join(20)
    status, res = result["res"]
    assert status == 200 and res["success"] is False, res
    assert "stopping" in res["error"] and res["added"] == 100
    d.proc.wait(30)
    d.start()
    status, st = d.http("GET", "/api/settings/oneproxy?action=status")
    assert "stopping" in st["lastSyncError"] and st["lastSyncCount"] == 100
    assert st["consecutiveFailures"] == 0            # not the feed's fault
    assert registry(d)["total"] == 100


def test_a_slow_provider_is_not_held_against_the_proxy(start, feed, ca, peers):
    provider = ProviderStandIn(ca)
    try:
        d = start(OMNIROUTE_RESPONSE_HEAD_TIMEOUT_MS=400)
        exit_peer = peers(microsocks)
        feed.script(FEED, body=page([feed_row(1, quality=60, protocol="socks5",
                                              host="127.0.0.1", port=exit_peer.port)]))
        sync(d)
        rec = registry(d)["items"][0]
        d.http("POST", "/api/providers", {"id": "standin", "name": "Stand-in",
                                          "baseUrl": provider.url("/v1")})
        d.http("POST", "/api/connections", {"provider": "standin", "name": "k",
                                            "key": "sk-test"})
        d.http("PUT", "/api/v1/management/proxies/assignments",
               {"scope": "provider", "scopeId": "standin", "proxyId": rec["id"]})
        provider.script("/v1/chat", slow_head=1.5)
        status, out = d.http("POST", "/v1/chat/completions",
                             {"model": "standin/gpt-4o-mini",
                              "messages": [{"role": "user", "content": "hi"}]})
        assert status == 504, out
        assert len(provider.requests) == 1          # it went through the proxy
        time.sleep(0.5)                             # the outcome is flushed
        status, got = d.http("GET", "/api/v1/management/proxies?id=" + rec["id"])
        assert got["qualityScore"] == 60 and got["status"] == "active"
    finally:
        provider.stop()


def test_feed_url_must_be_https_unless_loopback(tmp_path):
    from test_daemon import check_config
    for url, ok in (("http://127.0.0.1:9/", True), ("https://feed.invalid/", True),
                    ("http://feed.invalid/", False), ("ftp://127.0.0.1/", False),
                    ("not a url", False)):
        rc, out, err = check_config(["-D", str(tmp_path / "d")], env={"ONEPROXY_API_URL": url})
        assert (rc == 0) == ok, (url, out, err)
        if not ok:
            assert "oneproxy_api_url" in err, err
    rc, out, err = check_config(["-D", str(tmp_path / "d")],
                                env={"ONEPROXY_SYNC_INTERVAL": "-1"})
    assert rc != 0 and "oneproxy_sync_interval" in err
