"""Reordering a pool's members (issue 12, for the dashboard's Pools page):
PATCH /api/settings/proxies/pool with the whole order {"order":[proxyId…]}
or one member moved {"proxyId","position"} (0-based, like the record's
"position"), and omnirctl pool move — over HTTP and the control socket, the
refusals (400 naming the problem, 404 without a pool or for a non-member,
nothing half-written), and the calls following the new order: round-robin
takes the members in it and quality breaks ties by it, checked against real
microsocks instances on their own loopback addresses (as in
test_pool_routing.py: the provider stand-in records each connection's source
address)."""

import pytest

from conftest import new_proxy
from test_pool_routing import ADDRESSES, chat, live_member, make_pool, resolve

POOL = "/api/settings/proxies/pool"


def ids(p):
    return [m["id"] for m in p["members"]]


def patch(d, **body):
    body.setdefault("scope", "provider")
    body.setdefault("scopeId", "openai")
    return d.http("PATCH", POOL, body)


def fields(err):
    return [x["field"] for x in err["error"]["details"]]


def test_move_and_order_over_http_and_omnirctl(daemon_factory):
    d = daemon_factory().start()
    status, err = patch(d, order=[])
    assert status == 404, err                       # no pool yet
    a, b, c = (new_proxy(d, name=n) for n in ("Order A", "Order B", "Order C"))
    for p in (a, b, c):
        assert d.http("PUT", POOL, {"scope": "provider", "scopeId": "openai",
                                    "proxyId": p["id"]})[0] in (200, 201)

    # one member moved, to a 0-based position; the others keep their order
    status, p = patch(d, proxyId=c["id"], position=0)
    assert status == 200 and ids(p) == [c["id"], a["id"], b["id"]], p
    assert [m["position"] for m in p["members"]] == [0, 1, 2]
    status, p = patch(d, proxyId=c["id"], position=2)
    assert status == 200 and ids(p) == [a["id"], b["id"], c["id"]]
    status, p = patch(d, proxyId="Order A", position="1")      # a name, a numeric string
    assert status == 200 and ids(p) == [b["id"], a["id"], c["id"]]
    # the head of the assignment is the first member
    status, listed = d.http("GET", "/api/v1/management/proxies/assignments?scope=provider")
    assert listed["items"][0]["proxyId"] == b["id"]

    # the whole order
    status, p = patch(d, order=[c["id"], b["id"], a["id"]])
    assert status == 200 and ids(p) == [c["id"], b["id"], a["id"]]
    # with the strategy in the same call: both, or (below) neither
    status, p = patch(d, order=[a["id"], b["id"], c["id"]], strategy="sticky",
                      stickyWindowMinutes=15)
    assert status == 200 and ids(p) == [a["id"], b["id"], c["id"]]
    assert p["strategy"] == "sticky" and p["stickyWindowMinutes"] == 15
    # the window alone keeps the strategy
    status, p = patch(d, stickyWindowMinutes=20)
    assert status == 200 and p["strategy"] == "sticky" and p["stickyWindowMinutes"] == 20

    # refusals name the problem and change nothing
    other = new_proxy(d)
    bad = [
        ({"order": [a["id"], b["id"]]}, ["order"]),                     # one missing
        ({"order": [a["id"], b["id"], b["id"]]}, ["order[2]", "order"]),  # twice, c missing
        ({"order": [a["id"], b["id"], c["id"], other["id"]]}, ["order[3]"]),
        ({"order": "a,b,c"}, ["order"]),
        ({"proxyId": a["id"], "position": 3}, ["position"]),
        ({"proxyId": a["id"], "position": -1}, ["position"]),
        ({"proxyId": a["id"]}, ["position"]),
        ({"position": 1}, ["proxyId"]),
        ({"order": [a["id"], b["id"], c["id"]], "proxyId": a["id"], "position": 0}, ["order"]),
        ({}, ["strategy"]),
        ({"order": [c["id"], b["id"], a["id"]], "strategy": "fastest"}, ["strategy"]),
    ]
    for body, want in bad:
        status, err = patch(d, **body)
        assert status == 400 and fields(err) == want, (body, err)
    status, err = patch(d, proxyId=other["id"], position=0)
    assert status == 404 and "not a member" in err["error"]["message"], err
    status, p = d.http("GET", POOL + "?scope=provider&scopeId=openai")
    assert ids(p) == [a["id"], b["id"], c["id"]] and p["strategy"] == "sticky"

    # omnirctl pool move: the same command (pool.update), printed as a pool
    p = d.ctl_json("pool", "move", "provider", "openai", c["id"], "0")
    assert ids(p) == [c["id"], a["id"], b["id"]]
    rc, out, errout = d.ctl("pool", "move", "provider", "openai", a["id"], "7")
    assert rc != 0 and "position" in (out + errout), (out, errout)
    rc, out, _ = d.ctl("pool", "move", "provider", "openai", b["id"], "1")
    assert rc == 0 and out.index("Order B") < out.index("Order A"), out
    rc, out, _ = d.ctl("pool", "strategy", "provider", "openai", "random")
    assert rc == 0, out
    assert d.ctl_json("pool", "show", "provider", "openai")["strategy"] == "random"


@pytest.fixture
def routed(daemon_factory, ca, provider):
    provider.reset()
    d = daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                            "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url",
               provider.url("/v1", host="127.0.0.1"))
    d.conn = d.ctl_json("conn", "add", "openai", "--name", "first", "--key", "sk-order")
    return d


@pytest.fixture(scope="module")
def provider(ca):
    from provider_standin import ProviderStandIn
    s = ProviderStandIn(ca, pause=0.01, addresses=["127.0.0.1"])
    yield s
    s.stop()


def test_round_robin_follows_the_new_order(routed, peers, provider):
    d = routed
    members = [live_member(d, peers, a) for a in ADDRESSES]
    make_pool(d, members)
    status, p = patch(d, order=[members[2]["id"], members[0]["id"], members[1]["id"]])
    assert status == 200, p
    want = [ADDRESSES[2], ADDRESSES[0], ADDRESSES[1]]
    r = resolve(d)
    assert r["proxyId"] == members[2]["id"], r
    assert r["pool"]["members"] == ids(p)
    for _ in range(6):
        res, data = chat(d)
        assert res.status == 200, data
    assert provider.sources.snapshot() == want * 2
    # moved again between calls: the cursor's turn lands on the new order
    provider.reset()
    status, p = patch(d, proxyId=members[1]["id"], position=0)
    assert ids(p) == [members[1]["id"], members[2]["id"], members[0]["id"]]
    nxt = resolve(d)["proxyId"]
    res, data = chat(d)
    assert res.status == 200 and res.getheader("X-OmniRoute-Proxy-Id") == nxt
    assert nxt == members[1]["id"]          # the cursor is at 6: position 0


def test_quality_ties_follow_the_order(routed, peers, provider):
    d = routed
    members = [live_member(d, peers, a) for a in ADDRESSES]   # no score: 50 each
    make_pool(d, members, strategy="quality")
    assert resolve(d)["proxyId"] == members[0]["id"]
    status, p = patch(d, proxyId=members[2]["id"], position=0)
    assert status == 200, p
    assert resolve(d)["proxyId"] == members[2]["id"]
    provider.reset()
    for _ in range(2):
        res, data = chat(d)
        assert res.status == 200, data
    assert provider.sources.snapshot() == [ADDRESSES[2]] * 2
