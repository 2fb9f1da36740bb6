"""Scope assignments, bulk assignment and resolution over HTTP (API.md,
"Proxy registry" and "Resolution"), including the fail-closed rule and the
deliberate `direct` assignment."""

from conftest import new_proxy

V1 = "/api/v1/management/proxies"


def assign(d, scope, scope_id, proxy_id):
    body = {"scope": scope, "proxyId": proxy_id}
    if scope_id is not None:
        body["scopeId"] = scope_id
    status, res = d.http("PUT", V1 + "/assignments", body)
    assert status == 200, res
    return res


def resolve(d, conn, provider=None, combo=None):
    q = "?resolve_connection_id=" + conn
    if provider:
        q += "&provider=" + provider
    if combo:
        q += "&combo=" + combo
    status, res = d.http("GET", V1 + "/assignments" + q)
    assert status == 200, res
    return res


def test_put_assignment_shapes(daemon):
    p = new_proxy(daemon)
    res = assign(daemon, "key", "conn-1", p["id"])
    a = res["assignment"]
    assert res["success"] is True
    assert a["scope"] == "account" and a["scopeId"] == "conn-1" and a["proxyId"] == p["id"]
    assert isinstance(a["id"], int)
    res = assign(daemon, "global", None, p["id"])
    assert res["assignment"]["scopeId"] is None
    # re-assigning keeps the row id
    again = assign(daemon, "account", "conn-1", p["id"])
    assert again["assignment"]["id"] == a["id"]
    assert assign(daemon, "account", "conn-1", None) == {"success": True, "assignment": None}


def test_put_assignment_errors(daemon):
    status, body = daemon.http("PUT", V1 + "/assignments", {"scope": "provider", "proxyId": "x"})
    assert status == 400 and body["error"]["details"][0]["field"] == "scopeId"
    status, body = daemon.http("PUT", V1 + "/assignments",
                               {"scope": "galaxy", "scopeId": "a", "proxyId": "x"})
    assert status == 400 and body["error"]["details"][0]["field"] == "scope"   # FIX
    status, body = daemon.http("PUT", V1 + "/assignments",
                               {"scope": "provider", "scopeId": "a", "proxyId": "nope"})
    assert status == 404 and body["error"]["message"] == "Proxy not found: nope"


def test_list_filters(daemon):
    p1, p2 = new_proxy(daemon, host="one.example"), new_proxy(daemon, host="two.example")
    assign(daemon, "provider", "openai", p1["id"])
    assign(daemon, "account", "c1", p2["id"])
    assign(daemon, "global", None, p2["id"])
    status, body = daemon.http("GET", V1 + "/assignments")
    assert body["page"] == {"limit": 100, "offset": 0, "total": 3}
    status, body = daemon.http("GET", V1 + "/assignments?proxy_id=" + p2["id"])
    assert body["page"]["total"] == 2
    status, body = daemon.http("GET", V1 + "/assignments?scope=key")
    assert [a["scopeId"] for a in body["items"]] == ["c1"]
    status, body = daemon.http("GET", V1 + "/assignments?scope_id=openai")
    assert [a["proxyId"] for a in body["items"]] == [p1["id"]]
    status, body = daemon.http("GET", "/api/settings/proxies/assignments?scope=provider")
    assert body["total"] == 1 and "page" not in body


def test_bulk_assign(daemon):
    p = new_proxy(daemon)
    for method in ("PUT", "POST"):
        status, body = daemon.http(method, V1 + "/bulk-assign",
                                   {"scope": "key", "scopeIds": ["a", "a", " b "], "proxyId": p["id"]})
        assert status == 200
        assert body == {"success": True, "scope": "account", "requested": 3, "updated": 2,
                        "failed": []}
    status, body = daemon.http("PUT", V1 + "/bulk-assign", {"scope": "global", "proxyId": p["id"]})
    assert (body["requested"], body["updated"]) == (1, 1)
    status, body = daemon.http("PUT", V1 + "/bulk-assign",
                               {"scope": "provider", "scopeIds": ["x", "y"], "proxyId": "missing"})
    assert status == 200 and body["updated"] == 0
    assert [f["reason"] for f in body["failed"]] == ["Proxy not found: missing"] * 2
    status, body = daemon.http("PUT", V1 + "/bulk-assign", {"scope": "provider", "scopeIds": []})
    assert status == 400
    # an id too long for a scope id fails alone, with the single assignment's rule
    long_id = "y" * 256
    status, body = daemon.http("POST", V1 + "/bulk-assign",
                               {"scope": "account", "scopeIds": ["ok-1", long_id, "y" * 255],
                                "proxyId": p["id"]})
    assert status == 200 and (body["requested"], body["updated"]) == (3, 2), body
    assert body["failed"] == [{"scopeId": long_id,
                               "reason": "scopeId must be at most 255 bytes (UTF-8)"}]
    status, listed = daemon.http("GET", V1 + "/assignments?scope=account&scope_id=" + long_id)
    assert status == 400 or listed["items"] == [], listed
    status, body = daemon.http("PUT", V1 + "/bulk-assign", {"scope": "provider", "scopeIds": ["a"],
                                                            "proxyId": None})
    assert body["updated"] == 1


def test_resolution_order(daemon):
    g, pr, co, ac = (new_proxy(daemon, host="%s.example" % n)["id"]
                     for n in ("global", "provider", "combo", "account"))
    assert resolve(daemon, "c1")["level"] == "direct"
    assign(daemon, "global", None, g)
    r = resolve(daemon, "c1", provider="openai", combo="fast")
    assert (r["level"], r["proxyId"]) == ("global", g)
    assign(daemon, "combo", "fast", co)
    assert resolve(daemon, "c1", provider="openai", combo="fast")["proxyId"] == co
    assign(daemon, "provider", "openai", pr)
    assert resolve(daemon, "c1", provider="openai", combo="fast")["proxyId"] == pr
    assign(daemon, "account", "c1", ac)
    r = resolve(daemon, "c1", provider="openai", combo="fast")
    assert (r["level"], r["levelId"], r["proxyId"]) == ("account", "c1", ac)
    assert r["proxy"]["host"] == "account.example" and r["source"] == "registry"
    assert [e["verdict"] for e in r["explain"]] == ["used"] + ["not consulted"] * 3
    # an unknown connection still uses the global level
    assert resolve(daemon, "other")["level"] == "global"


def test_inactive_proxy_is_fail_closed(daemon):
    inactive = new_proxy(daemon, host="down.example", status="inactive")["id"]
    active = new_proxy(daemon, host="up.example")["id"]
    assign(daemon, "account", "c1", inactive)
    r = resolve(daemon, "c1")
    assert r["refused"] is True and r["proxy"] is None
    assert r["code"] == "PROXY_ASSIGNED_UNAVAILABLE" and r["level"] == "account"
    # a lower level does not replace the account's pinned exit either
    assign(daemon, "global", None, active)
    r = resolve(daemon, "c1")
    assert r["refused"] is True and r["level"] == "account"
    assert [e["verdict"] for e in r["explain"]] == \
        ["refused: proxy inactive"] + ["not consulted"] * 3
    # reactivating the proxy restores it at once
    daemon.http("PATCH", V1, {"id": inactive, "status": "active"})
    r = resolve(daemon, "c1")
    assert r["refused"] is False and r["proxyId"] == inactive


def test_fail_open_skips_to_lower_levels_then_direct(daemon_factory):
    d = daemon_factory(env={"PROXY_FAIL_OPEN": "true"}).start()
    p = new_proxy(d, status="inactive")["id"]
    assign(d, "account", "c1", p)
    r = resolve(d, "c1")
    assert r["refused"] is False and r["level"] == "direct"
    assert r["explain"][0]["verdict"] == "skipped: proxy inactive"
    g = new_proxy(d, host="g.example")["id"]
    assign(d, "global", None, g)
    r = resolve(d, "c1")
    assert r["level"] == "global" and r["proxyId"] == g


def test_direct_assignment_overrides_lower_levels(daemon):
    g = new_proxy(daemon)["id"]
    assign(daemon, "global", None, g)
    assign(daemon, "provider", "ollama", "direct")
    r = resolve(daemon, "c1", provider="ollama")
    assert (r["level"], r["proxyId"], r["proxy"]) == ("provider", "direct", None)
    assert r["refused"] is False
    assert r["explain"][1]["verdict"] == "direct (assigned)"
    assert resolve(daemon, "c1", provider="openai")["proxyId"] == g


def test_credentials_redacted_in_resolution(daemon):
    p = new_proxy(daemon, username="alice", password="pw")["id"]
    assign(daemon, "global", None, p)
    for path in (V1 + "/assignments?resolve_connection_id=c", "/api/settings/proxy?resolve=c",
                 "/api/settings/proxies/assignments?resolveConnectionId=c"):
        status, r = daemon.http("GET", path)
        assert status == 200
        assert r["proxy"]["username"] == "***" and r["proxy"]["password"] == "***"
