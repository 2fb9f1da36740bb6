"""The egress map (issue 12, the Providers page's one call):
`GET /api/settings/proxies/egress-map` and `omnirctl egress map` answer, for
the global scope, every provider, each of its connections and every combo, the resolution a
call would get now — the same answer `GET /api/settings/proxy?resolve=`
gives for each one (the same function: resolve_peek), so the page needs no
request per account. A pool shows its strategy, size and the member the
next call would take (without moving the cursor); "proxies" describes each
proxy named once, with its egress IP.

Covered: direct with nothing assigned; the global proxy reaching every
provider and account; a provider assignment inherited by its accounts only;
an account assignment on one account, its sibling still inheriting; an
inactive assigned proxy refused (fail-closed, never direct); a provider in
cliproxyapi mode on the loopback CLIProxyAPI delegated, its accounts too; a
pool's next member; a combo's own level; a provider id assigned without a
provider marked unknown; the egress IP a real check through microsocks
stored; each entry equal to the single resolve answer."""

import json

import egress_env as env
from conftest import new_proxy
from test_egress_ip import EchoStandIn

MAP = "/api/settings/proxies/egress-map"
ASSIGN = "/api/settings/proxies/assignments"
EXIT = "127.0.0.24"


def egress_map(d):
    status, body = d.http("GET", MAP)
    assert status == 200, body
    return body


def assign(d, scope, scope_id, proxy_id):
    body = {"scope": scope, "proxyId": proxy_id}
    if scope_id is not None:
        body["scopeId"] = scope_id
    status, res = d.http("PUT", ASSIGN, body)
    assert status == 200, res


def resolve(d, conn=None, provider=None):
    """The single answer: over HTTP for an account, over the control socket
    for a provider alone (HTTP's ?resolve= names an account)."""
    if conn is None:
        status, res = d.control("resolve " + json.dumps({"provider": provider}))
        assert status == 200, res
        return res
    status, res = d.http("GET", "/api/settings/proxy?resolve=" + conn)
    assert status == 200, res
    return res


def setup_accounts(d):
    """openai and anthropic with two accounts each; {name: id}."""
    ids = {}
    for provider in ("openai", "anthropic"):
        for n in (1, 2):
            name = "%s-%d" % (provider, n)
            ids[name] = d.ctl_json("conn", "add", provider, "--name", name, "--key",
                                   "sk-%s" % name)["id"]
    return ids


def provider(m, pid):
    return next(p for p in m["providers"] if p["id"] == pid)


def account(m, conn_id):
    return next(c for p in m["providers"] for c in p["connections"] if c["id"] == conn_id)


def levels(m, pid):
    p = provider(m, pid)
    return [p["resolution"]["level"]] + [c["resolution"]["level"]
                                         for c in sorted(p["connections"],
                                                         key=lambda c: c["name"])]


def same_as_resolve(entry, single):
    for key in ("level", "levelId", "proxyId", "refused", "explain", "strategy"):
        assert entry.get(key) == single.get(key), (key, entry, single)


def test_nothing_assigned_is_direct_everywhere(daemon):
    m = egress_map(daemon)
    ids = [p["id"] for p in m["providers"]]
    assert ids[:3] == ["openai", "anthropic", "gemini"] and len(ids) >= 10
    assert all(p["known"] and p["assignment"] is None and p["connections"] == []
               and p["resolution"]["level"] == "direct" and p["upstreamMode"] == "native"
               for p in m["providers"])
    assert m["proxies"] == {} and m["combos"] == [] and m["failOpen"] is False
    assert m["cliproxyapiLocal"] is True and m["generation"] >= 1
    assert m["global"] == {"assignment": None, "resolution": m["global"]["resolution"]}
    assert m["global"]["resolution"]["level"] == "direct"


def test_levels_follow_the_assignments(daemon):
    d = daemon
    ids = setup_accounts(d)
    g = new_proxy(d, name="global-exit", host="127.0.0.31", port=1080, type="socks5",
                  username="u", password="secret-pw")
    assign(d, "global", None, g["id"])
    m = egress_map(d)
    for pid in ("openai", "anthropic"):
        assert levels(m, pid) == ["global"] * 3
        for c in provider(m, pid)["connections"]:
            assert c["resolution"]["proxyId"] == g["id"] and c["assignment"] is None
    # every other catalog provider too
    assert all(p["resolution"]["level"] == "global" for p in m["providers"])
    assert m["global"]["assignment"]["proxyId"] == g["id"]
    assert m["global"]["resolution"]["proxyId"] == g["id"]
    described = m["proxies"][g["id"]]
    assert described["name"] == "global-exit" and described["status"] == "active"
    assert (described["type"], described["host"], described["port"]) == ("socks5",
                                                                          "127.0.0.31", 1080)
    assert "username" not in described and "password" not in described
    assert "secret-pw" not in json.dumps(m)
    assert provider(m, "openai")["resolution"]["proxy"]["password"] == "***"

    pp = new_proxy(d, name="openai-exit", host="127.0.0.32", port=3128)
    assign(d, "provider", "openai", pp["id"])
    m = egress_map(d)
    assert levels(m, "openai") == ["provider"] * 3
    assert levels(m, "anthropic") == ["global"] * 3
    assert provider(m, "openai")["assignment"] == {"proxyId": pp["id"], "memberCount": 1,
                                                   "strategy": "round-robin"}
    assert account(m, ids["openai-1"])["resolution"]["levelId"] == "openai"

    ap = new_proxy(d, name="account-exit", host="127.0.0.33", port=3128)
    assign(d, "account", ids["openai-2"], ap["id"])
    m = egress_map(d)
    assert levels(m, "openai") == ["provider", "provider", "account"]
    mine = account(m, ids["openai-2"])
    assert mine["assignment"]["proxyId"] == ap["id"]
    assert (mine["resolution"]["level"], mine["resolution"]["levelId"],
            mine["resolution"]["proxyId"]) == ("account", ids["openai-2"], ap["id"])
    assert set(m["proxies"]) == {g["id"], pp["id"], ap["id"]}
    # each entry is what resolve answers for it alone
    for pid in ("openai", "anthropic"):
        p = provider(m, pid)
        same_as_resolve(p["resolution"], resolve(d, provider=pid))
        for c in p["connections"]:
            same_as_resolve(c["resolution"], resolve(d, conn=c["id"]))
    # the same answer over the control socket
    ctl = d.ctl_json("egress", "map")
    assert [p["id"] for p in ctl["providers"]] == [p["id"] for p in m["providers"]]
    assert account(ctl, ids["openai-2"])["resolution"]["level"] == "account"


def test_inactive_assigned_proxy_is_refused(daemon):
    d = daemon
    ids = setup_accounts(d)
    g = new_proxy(d, name="global-exit", host="127.0.0.31", port=1080)
    down = new_proxy(d, name="down-exit", host="127.0.0.34", port=1080, status="inactive")
    assign(d, "global", None, g["id"])
    assign(d, "provider", "anthropic", down["id"])
    m = egress_map(d)
    assert levels(m, "anthropic") == ["provider"] * 3
    for entry in [provider(m, "anthropic")] + provider(m, "anthropic")["connections"]:
        r = entry["resolution"]
        assert r["refused"] is True and r["proxy"] is None and r["proxyId"] is None
        assert r["code"] == "PROXY_ASSIGNED_UNAVAILABLE"
        step = next(e for e in r["explain"] if e["level"] == "provider")
        assert (step["proxyId"], step["verdict"]) == (down["id"], "refused: proxy inactive")
    assert m["proxies"][down["id"]]["status"] == "inactive"
    assert m["proxies"][down["id"]]["name"] == "down-exit"
    assert levels(m, "openai") == ["global"] * 3
    same_as_resolve(account(m, ids["anthropic-1"])["resolution"],
                    resolve(d, conn=ids["anthropic-1"]))


def test_delegated_provider(daemon):
    d = daemon
    ids = setup_accounts(d)
    g = new_proxy(d, name="global-exit", host="127.0.0.31", port=1080)
    assign(d, "global", None, g["id"])
    status, rec = d.http("PUT", "/api/upstream-proxy/anthropic", {"mode": "cliproxyapi",
                                                                   "enabled": True})
    assert status == 200, rec
    m = egress_map(d)
    p = provider(m, "anthropic")
    assert p["upstreamMode"] == "cliproxyapi"
    assert levels(m, "anthropic") == ["delegated"] * 3
    for entry in [p] + p["connections"]:
        r = entry["resolution"]
        assert r["levelId"] == "anthropic" and r["proxy"] is None and r["refused"] is False
        assert any(e["verdict"] == "delegated to CLIProxyAPI" for e in r["explain"])
    assert levels(m, "openai") == ["global"] * 3
    same_as_resolve(account(m, ids["anthropic-2"])["resolution"],
                    resolve(d, conn=ids["anthropic-2"]))
    # fallback tries native first: its calls resolve as ever
    status, rec = d.http("PUT", "/api/upstream-proxy/anthropic", {"mode": "fallback",
                                                                   "enabled": True})
    assert status == 200, rec
    m = egress_map(d)
    assert provider(m, "anthropic")["upstreamMode"] == "fallback"
    assert levels(m, "anthropic") == ["global"] * 3


def test_pool_combo_and_unknown_provider(daemon):
    d = daemon
    ids = setup_accounts(d)
    a = new_proxy(d, name="pool-a", host="127.0.0.35", port=1080)
    b = new_proxy(d, name="pool-b", host="127.0.0.36", port=1080)
    for p in (a, b):
        status, body = d.http("PUT", "/api/settings/proxies/pool",
                              {"scope": "provider", "scopeId": "openai", "proxyId": p["id"]})
        assert status in (200, 201), body
    m = egress_map(d)
    r = account(m, ids["openai-1"])["resolution"]
    assert r["level"] == "provider" and r["strategy"] == "round-robin"
    assert r["pool"] == {"strategy": "round-robin", "stickyWindowMinutes": 30,
                         "memberCount": 2}
    assert r["proxyId"] == a["id"]          # the next call's member; a peek
    assert egress_map(d) == m               # the cursor did not move
    assert provider(m, "openai")["assignment"]["memberCount"] == 2
    single = resolve(d, conn=ids["openai-1"])
    same_as_resolve(r, single)
    assert single["pool"]["members"] == [a["id"], b["id"]]

    d.ctl_json("combo", "add", "fast", "openai/gpt-4o-mini", "anthropic/claude-3-haiku")
    assign(d, "combo", "fast", b["id"])
    assign(d, "provider", "retired", a["id"])
    m = egress_map(d)
    combo = next(c for c in m["combos"] if c["id"] == "fast")
    assert (combo["resolution"]["level"], combo["resolution"]["proxyId"]) == ("combo", b["id"])
    assert combo["assignment"]["proxyId"] == b["id"]
    gone = provider(m, "retired")
    assert gone["known"] is False and gone["connections"] == []
    assert gone["resolution"]["level"] == "provider"


def test_egress_ip_of_the_proxy_used(daemon_factory, peers):
    echo = EchoStandIn()
    try:
        d = daemon_factory().start()
        setup_accounts(d)
        peer = peers(env.microsocks, address=EXIT)
        p = new_proxy(d, name="checked-exit", type="socks5", host=EXIT, port=peer.port)
        status, res = d.http("POST", "/api/settings/proxies/egress", {"id": p["id"],
                                                                      "url": echo.url()})
        assert status == 200 and res["success"], res
        assign(d, "global", None, p["id"])
        m = egress_map(d)
        assert m["proxies"][p["id"]]["egressIp"] == EXIT
        assert m["proxies"][p["id"]]["egressCheckedAt"]
    finally:
        echo.httpd.shutdown()


def test_only_get(daemon):
    status, body = daemon.http("POST", MAP, {})
    assert status == 405, body
