"""Pools at call time (API.md "Pools", issue 11): which member carries each
relayed call, and failover inside the call.

Three real SOCKS5 proxies (microsocks) each listen on, and dial out from, a
loopback address of their own (127.0.0.21, .22, .23; egress_env.microsocks
with `address`). The provider stand-in listens on 127.0.0.1 and records the
source address of every connection it accepts (`sources`), so the list of
sources is the list of members that carried the calls, in order; a direct
connection would come from 127.0.0.1. Proxied connections are not kept by
default, so each call is one new connection. The daemon runs two workers:
the order holds whichever worker takes a call (the pool board is shared).

Covered: exact round-robin order and `resolve` naming the next member
without moving the cursor, also over a mixed pool with a real CONNECT proxy
(tinyproxy, Bind to its own address); sticky per connection (each account keeps its
member, a second account gets another); failover when a member is dead (the
client sees 200, X-OmniRoute-Proxy-Attempts 2, the dead member passed over
by the next calls while it cools down), or refuses the credentials; no
other member once the provider has seen the request; every member dead → refused, naming
each member and its stage, and zero connections to the provider; the
round-robin cursor surviving a restart; the latency strategy (each member
measured once, unmeasured first, then never the deliberately slow one — a
SOCKS5 server that answers its handshake a byte every 15 ms — and the
measurements surviving a restart, read back from the outcome rows); the
quality strategy over rows of a fake 1proxy feed that point at the live
local proxies (best score first, static and live members alike)."""

import http.client
import json
import os
import sqlite3

import pytest

import egress_env as env
from conftest import new_proxy
from fake_proxy import FakeSocks5
from provider_standin import ProviderStandIn
from test_oneproxy import FEED, feed_row, page, sync

KEY = "sk-pool-key"
MODEL = "openai/gpt-4o-mini"
ADDRESSES = ["127.0.0.21", "127.0.0.22", "127.0.0.23"]
POOL = "/api/settings/proxies/pool"


@pytest.fixture
def d(daemon_factory, ca, provider):
    provider.reset()
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                            "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "3000"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url",
               provider.url("/v1", host="127.0.0.1"))
    d.conn = d.ctl_json("conn", "add", "openai", "--name", "first", "--key", KEY)
    return d


def live_member(d, peers, address):
    peer = peers(env.microsocks, address=address)
    return new_proxy(d, type="socks5", host=address, port=peer.port)


def dead_member(d, address):
    return new_proxy(d, type="socks5", host=address, port=env.free_port_on([address]))


def make_pool(d, members, strategy=None):
    for p in members:
        status, body = d.http("PUT", POOL, {"scope": "provider", "scopeId": "openai",
                                            "proxyId": p["id"]})
        assert status in (200, 201), body
    if strategy is not None:
        status, body = d.http("PATCH", POOL, {"scope": "provider", "scopeId": "openai",
                                              "strategy": strategy})
        assert status == 200, body


def chat(d):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    c.request("POST", "/v1/chat/completions",
              body=json.dumps({"model": MODEL,
                               "messages": [{"role": "user", "content": "hi"}]}),
              headers={"Content-Type": "application/json",
                       "Authorization": "Bearer client-key"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def resolve(d):
    status, r = d.http("GET", "/api/v1/management/proxies/assignments"
                       "?resolve_connection_id=%s" % d.conn["id"])
    assert status == 200, r
    return r


def test_round_robin_exact_order(d, peers, provider):
    members = [live_member(d, peers, a) for a in ADDRESSES]
    make_pool(d, members)
    r = resolve(d)
    assert r["strategy"] == "round-robin" and r["proxyId"] == members[0]["id"], r
    assert r["pool"]["members"] == [m["id"] for m in members]
    assert resolve(d)["proxyId"] == members[0]["id"]      # a peek moves nothing
    used = []
    for _ in range(7):
        r, data = chat(d)
        assert r.status == 200, data
        assert r.getheader("X-OmniRoute-Proxy-Attempts") == "1"
        used.append(r.getheader("X-OmniRoute-Proxy-Id"))
    order = [m["id"] for m in members]
    assert used == (order * 3)[:7]
    assert provider.sources.snapshot() == (ADDRESSES * 3)[:7]
    assert resolve(d)["proxyId"] == members[1]["id"]       # the eighth call's


def test_round_robin_over_socks5_and_connect_members(d, peers, provider):
    # a real HTTP CONNECT proxy (tinyproxy, Bind to its own address) between
    # two SOCKS5 ones: the order holds whatever protocol a member speaks
    connect = peers(env.tinyproxy, address=ADDRESSES[1])
    members = [live_member(d, peers, ADDRESSES[0]),
               new_proxy(d, type="http", host=ADDRESSES[1], port=connect.port),
               live_member(d, peers, ADDRESSES[2])]
    make_pool(d, members)
    for _ in range(6):
        r, data = chat(d)
        assert r.status == 200, data
    assert provider.sources.snapshot() == ADDRESSES * 2


def test_sticky_per_connection(d, peers, provider):
    members = [live_member(d, peers, a) for a in ADDRESSES]
    make_pool(d, members, strategy="sticky")
    second = d.ctl_json("conn", "add", "openai", "--name", "second", "--key", "sk-second",
                        "--status", "inactive")

    def calls(n):
        provider.reset()
        seen = []
        for _ in range(n):
            r, data = chat(d)
            assert r.status == 200, data
            seen.append(r.getheader("X-OmniRoute-Connection"))
        return seen, provider.sources.snapshot()

    conns, sources = calls(4)
    assert set(conns) == {d.conn["id"]} and sources == [ADDRESSES[0]] * 4
    # the second account: a member of its own, kept
    d.ctl_json("conn", "update", d.conn["id"], "--status", "inactive")
    d.ctl_json("conn", "update", second["id"], "--status", "active")
    conns, sources = calls(4)
    assert set(conns) == {second["id"]} and sources == [ADDRESSES[1]] * 4
    # the first account comes back to its member
    d.ctl_json("conn", "update", second["id"], "--status", "inactive")
    d.ctl_json("conn", "update", d.conn["id"], "--status", "active")
    conns, sources = calls(2)
    assert sources == [ADDRESSES[0]] * 2


def test_failover_to_the_next_member(d, peers, provider):
    dead = dead_member(d, ADDRESSES[0])
    b, c = live_member(d, peers, ADDRESSES[1]), live_member(d, peers, ADDRESSES[2])
    make_pool(d, [dead, b, c])
    r, data = chat(d)
    assert r.status == 200, data
    assert r.getheader("X-OmniRoute-Proxy-Attempts") == "2"
    assert r.getheader("X-OmniRoute-Proxy-Id") == b["id"]
    assert provider.sources.snapshot() == [ADDRESSES[1]]
    # the dead member cools down: the next calls pass it over at once, the
    # two live members sharing its turns evenly
    provider.reset()
    for _ in range(6):
        r, data = chat(d)
        assert r.status == 200, data
        assert r.getheader("X-OmniRoute-Proxy-Attempts") == "1"
    sources = provider.sources.snapshot()
    assert sorted(sources) == [ADDRESSES[1]] * 3 + [ADDRESSES[2]] * 3, sources


def test_failover_when_a_member_refuses_credentials(d, peers, provider):
    peer = peers(env.microsocks, address=ADDRESSES[0], user="pool", password="right-pw")
    refusing = new_proxy(d, type="socks5", host=ADDRESSES[0], port=peer.port,
                         username="pool", password="wrong-pw")
    b = live_member(d, peers, ADDRESSES[1])
    make_pool(d, [refusing, b])
    r, data = chat(d)
    assert r.status == 200, data
    assert r.getheader("X-OmniRoute-Proxy-Attempts") == "2"
    assert r.getheader("X-OmniRoute-Proxy-Id") == b["id"]
    assert provider.sources.snapshot() == [ADDRESSES[1]]


def test_no_other_member_after_the_request_was_written(d, peers, provider):
    members = [live_member(d, peers, a) for a in ADDRESSES[:2]]
    make_pool(d, members)
    # the provider reads the request, then resets: it has seen it
    provider.script("/v1/chat/completions", reset=True, times=1)
    r, data = chat(d)
    assert r.status != 200, data
    assert len(provider.requests) == 1
    assert provider.sources.snapshot() == [ADDRESSES[0]]


def test_all_members_dead_refused_never_direct(d, provider):
    dead = [dead_member(d, a) for a in ADDRESSES]
    make_pool(d, dead)
    r, data = chat(d)
    assert r.status in (502, 503), data
    message = json.loads(data)["error"]["message"]
    for p in dead:
        assert "%s (connect)" % p["id"] in message, message
    assert provider.sources.snapshot() == [] and len(provider.requests) == 0
    # the refusal says what was tried, like every pooled response
    assert r.getheader("X-OmniRoute-Proxy-Attempts") == "3"
    assert r.getheader("X-OmniRoute-Proxy-Level") == "provider"
    assert r.getheader("X-OmniRoute-Connection") == d.conn["id"]


def test_cursor_survives_restart(d, peers, provider):
    members = [live_member(d, peers, a) for a in ADDRESSES]
    make_pool(d, members)
    for _ in range(2):
        r, data = chat(d)
        assert r.status == 200, data
    assert d.stop() == 0
    d.start()
    assert resolve(d)["proxyId"] == members[2]["id"]
    r, data = chat(d)
    assert r.status == 200, data
    assert r.getheader("X-OmniRoute-Proxy-Id") == members[2]["id"]
    assert provider.sources.snapshot() == ADDRESSES


SLOW_ADDRESS = "127.0.0.24"


@pytest.fixture
def slow_proxy():
    """A SOCKS5 server whose every reply byte comes 15 ms after the last:
    about 180 ms of handshake, then a plain tunnel from 127.0.0.24."""
    s = FakeSocks5(trickle=0.015, address=SLOW_ADDRESS)
    yield s
    s.stop()


def test_latency_prefers_the_fastest_member(d, peers, provider, slow_proxy):
    slow = new_proxy(d, type="socks5", host=SLOW_ADDRESS, port=slow_proxy.port)
    fast = [live_member(d, peers, a) for a in ADDRESSES[1:]]
    make_pool(d, [slow] + fast, strategy="latency")
    assert resolve(d)["strategy"] == "latency"
    # nothing measured yet: each member once, in position order
    for _ in range(3):
        r, data = chat(d)
        assert r.status == 200, data
    assert provider.sources.snapshot() == [SLOW_ADDRESS] + ADDRESSES[1:]
    # then the lowest average connect+handshake latency: never the slow one
    provider.reset()
    for _ in range(6):
        r, data = chat(d)
        assert r.status == 200, data
        assert r.getheader("X-OmniRoute-Proxy-Id") in [p["id"] for p in fast]
    assert SLOW_ADDRESS not in provider.sources.snapshot()
    assert resolve(d)["proxyId"] in [p["id"] for p in fast]
    # the measurements are outcome rows: a restart reads them back
    assert d.stop() == 0
    d.start()
    assert resolve(d)["proxyId"] in [p["id"] for p in fast]
    provider.reset()
    r, data = chat(d)
    assert r.status == 200, data
    assert provider.sources.snapshot() != [SLOW_ADDRESS]
    assert len(slow_proxy.records) == 1          # it carried the first call only


def test_quality_order_from_the_feed(daemon_factory, ca, peers, provider):
    feed = ProviderStandIn(ca)
    try:
        d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                                "ONEPROXY_API_URL": feed.url(host="127.0.0.1"),
                                "ONEPROXY_ALLOW_PRIVATE": "true",
                                "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000"}).start()
        d.ctl_json("provider", "update", "openai", "--base-url",
                   provider.url("/v1", host="127.0.0.1"))
        d.conn = d.ctl_json("conn", "add", "openai", "--name", "first", "--key", KEY)
        socks = [peers(env.microsocks, address=a) for a in ADDRESSES]
        scores = [60, 90, 75]
        rows = [feed_row(i, quality=q, protocol="socks5", country="US", host=a, port=s.port)
                for i, (a, s, q) in enumerate(zip(ADDRESSES, socks, scores))]
        feed.script(FEED, body=page(rows))
        status, res = sync(d)
        assert status == 200 and res["added"] == 3, res
        status, listed = d.http("GET", "/api/settings/oneproxy?limit=10")
        by_host = {p["host"]: p for p in listed["items"]}
        members = [by_host[a] for a in ADDRESSES]       # position order: 60, 90, 75
        make_pool(d, members, strategy="quality")
        r = resolve(d)
        assert r["strategy"] == "quality" and r["proxyId"] == members[1]["id"], r
        provider.reset()
        for _ in range(3):
            r, data = chat(d)
            assert r.status == 200, data
        assert provider.sources.snapshot() == [ADDRESSES[1]] * 3
        # the best one dies: the call still succeeds through the next best (75)
        socks[1].stop()
        provider.reset()
        r, data = chat(d)
        assert r.status == 200, data
        assert r.getheader("X-OmniRoute-Proxy-Id") == members[2]["id"]
        assert provider.sources.snapshot() == [ADDRESSES[2]]
        # a live set under the same strategy: every row, best first
        status, body = d.http("DELETE", POOL + "?scope=provider&scopeId=openai&proxyId=%s"
                              % members[0]["id"])
        assert status == 200, body
        status, p = d.http("PUT", POOL, {"scope": "global", "source": "oneproxy",
                                         "filter": {"protocol": "socks5"}})
        assert status == 201, p
        status, p = d.http("PATCH", POOL, {"scope": "global", "strategy": "quality"})
        assert status == 200, p
        status, r = d.http("GET", "/api/v1/management/proxies/assignments"
                           "?resolve_connection_id=nobody")
        assert r["level"] == "global" and r["strategy"] == "quality", r
        assert r["proxyId"] in (members[1]["id"], members[2]["id"]), r
    finally:
        feed.stop()


def test_an_exhausted_pool_is_refused_even_under_fail_open(daemon_factory, ca, provider,
                                                          peers):
    # PROXY_FAIL_OPEN skips assignments that are inactive or missing; a pool
    # whose members failed during the call refuses, and the members tried at
    # the account level never count against the global pool's
    provider.reset()
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca, "PROXY_FAIL_OPEN": "true",
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url",
               provider.url("/v1", host="127.0.0.1"))
    conn = d.ctl_json("conn", "add", "openai", "--name", "first", "--key", KEY)
    dead = [dead_member(d, a) for a in ADDRESSES[:2]]
    make_pool(d, dead)
    r, data = chat(d)
    assert r.status in (502, 503), data
    assert "PROXY_POOL_UNAVAILABLE" in json.loads(data)["error"]["message"]
    assert r.getheader("X-OmniRoute-Proxy-Attempts") == "2"    # two members, both tried
    assert provider.sources.snapshot() == []
    # account pool [dead, dead] over a global pool with a live member
    d.http("PUT", "/api/v1/management/proxies/assignments",
           {"scope": "provider", "scopeId": "openai", "proxyId": None})
    for p in dead:
        status, body = d.http("PUT", POOL, {"scope": "account", "scopeId": conn["id"],
                                            "proxyId": p["id"]})
        assert status in (200, 201), body
    live = live_member(d, peers, ADDRESSES[2])
    status, body = d.http("PUT", POOL, {"scope": "global", "proxyId": live["id"]})
    assert status in (200, 201), body
    r, data = chat(d)
    assert r.status in (502, 503), data
    assert r.getheader("X-OmniRoute-Proxy-Level") == "account"
    assert provider.sources.snapshot() == []


def test_exhausted_pool_logs_one_row_per_member(d, provider):
    dead = [dead_member(d, a) for a in ADDRESSES[:2]]
    make_pool(d, dead)
    r, data = chat(d)
    assert r.status in (502, 503), data
    assert d.stop() == 0
    db = sqlite3.connect(os.path.join(d.datadir, "omniroute.db"))
    rows = db.execute("SELECT proxy_id, stage, calls FROM proxy_logs").fetchall()
    db.close()
    # one outcome per member tried, no row for a refusal that tried nothing
    assert sorted((p, s, c) for p, s, c in rows) == \
        sorted((p["id"], "connect", 1) for p in dead), rows


def test_sticky_many_accounts_keep_their_member(d, peers, provider):
    members = [live_member(d, peers, a) for a in ADDRESSES]
    make_pool(d, members, strategy="sticky")
    conns = [d.conn["id"]] + [
        d.ctl_json("conn", "add", "openai", "--name", "c%d" % i, "--key", "sk-%d" % i,
                   "--status", "inactive")["id"] for i in range(19)]
    seen = {}
    active = d.conn["id"]
    for _ in range(2):
        for c in conns:
            if c != active:
                d.ctl_json("conn", "update", active, "--status", "inactive")
                d.ctl_json("conn", "update", c, "--status", "active")
                active = c
            r, data = chat(d)
            assert r.status == 200, data
            assert r.getheader("X-OmniRoute-Connection") == c
            seen.setdefault(c, []).append(r.getheader("X-OmniRoute-Proxy-Id"))
    assert all(len(set(v)) == 1 for v in seen.values()), seen
    # 20 accounts over 3 members: spread, none left out
    assert len({v[0] for v in seen.values()}) == 3


def test_models_and_connection_test_pass_a_dead_member_over(d, peers, provider):
    dead = dead_member(d, ADDRESSES[0])
    live = live_member(d, peers, ADDRESSES[1])
    make_pool(d, [dead, live])
    for _ in range(4):
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        c.request("GET", "/v1/models", headers={"Authorization": "Bearer client-key"})
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        assert r.status == 200 and body["data"], body
        assert not body.get("errors"), body
    # the dead member cools down: the connection test goes through the live one
    for _ in range(2):
        res = d.ctl_json("conn", "test", d.conn["id"])
        assert res["success"] and res["proxyId"] == live["id"], res
    assert ADDRESSES[0] not in provider.sources.snapshot()
