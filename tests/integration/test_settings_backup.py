"""The scoped config (/api/settings/proxy, which writes registry assignments),
the legacy key_value migration, and backup export/import as one transaction."""

import json
import sqlite3

from conftest import new_proxy

V1 = "/api/v1/management/proxies"
SP = "/api/settings/proxy"


def test_scoped_config_writes_registry(daemon):
    status, cfg = daemon.http("PUT", SP, {"level": "provider", "id": "openai", "proxy": {
        "type": "socks5", "host": "s.example", "port": 1080, "username": "u", "password": "p"}})
    assert status == 200
    assert cfg["providers"]["openai"] == {"type": "socks5", "host": "s.example", "port": 1080,
                                          "username": "***", "password": "***"}
    assert cfg["global"] is None and cfg["keys"] == {} and cfg["combos"] == {}
    status, page = daemon.http("GET", V1)
    assert page["page"]["total"] == 1
    # the same proxy identity is reused, not duplicated
    daemon.http("PUT", SP, {"level": "key", "id": "c1", "proxy": {
        "type": "socks5", "host": "s.example", "port": 1080, "username": "u"}})
    status, page = daemon.http("GET", V1)
    assert page["page"]["total"] == 1
    status, r = daemon.http("GET", V1 + "/assignments?resolve_connection_id=c1")
    assert r["level"] == "account"
    status, one = daemon.http("GET", SP + "?level=key&id=c1")
    assert one["level"] == "key" and one["id"] == "c1" and one["proxy"]["host"] == "s.example"
    status, cfg = daemon.http("DELETE", SP + "?level=key&id=c1")
    assert status == 200 and cfg["keys"] == {}


def test_scoped_config_merge_form_and_errors(daemon):
    status, cfg = daemon.http("PUT", SP, {"global": {"host": "g.example", "port": 3128},
                                          "combos": {"fast": {"type": "https", "host": "c.example"}}})
    assert status == 200
    assert cfg["global"]["type"] == "http" and cfg["combos"]["fast"]["port"] == 443
    status, cfg = daemon.http("PUT", SP, {"combos": {"fast": None}})
    assert cfg["combos"] == {}
    for body, field in (({}, ""), ({"level": "global"}, "proxy"),
                        ({"level": "provider", "proxy": None}, "id"),
                        ({"global": {"host": "x", "port": 0}}, "global.port"),
                        ({"global": {"host": "x", "bogus": 1}}, "global.bogus")):
        status, err = daemon.http("PUT", SP, body)
        assert status == 400, body
        assert err["error"]["details"][0]["field"] == field, (body, err)
    status, err = daemon.http("DELETE", SP)
    assert status == 400


def make_legacy_db(d):
    """Start once to create the schema, then plant an old-style proxyConfig."""
    d.start()
    d.stop()
    db = sqlite3.connect(d.datadir + "/omniroute.db")
    rows = {
        "global": json.dumps("http://us%40er:p%3Ass@legacy.example:8080"),
        "providers": json.dumps({"openai": "https://prov.example:8443", "bad": "not a proxy url"}),
        "combos": json.dumps({"fast": {"type": "socks5", "host": "combo.example", "port": 1080}}),
        "keys": json.dumps({"conn-9": {"host": "key.example", "port": "3128"}}),
    }
    for k, v in rows.items():
        db.execute("INSERT INTO key_value (namespace, key, value) VALUES ('proxyConfig', ?, ?)", (k, v))
    db.execute("DELETE FROM meta WHERE key = 'legacy_migrated'")
    db.commit()
    db.close()


def test_legacy_migrated_at_first_start(daemon_factory):
    d = daemon_factory()
    make_legacy_db(d)
    d.start()
    status, page = d.http("GET", V1)
    names = sorted(p["name"] for p in page["items"])
    assert names == ["Legacy Account Proxy (conn-9)", "Legacy Combo Proxy (fast)",
                     "Legacy Global Proxy", "Legacy Provider Proxy (openai)"]
    status, r = d.http("GET", V1 + "/assignments?resolve_connection_id=conn-9")
    assert r["level"] == "account" and r["proxy"]["host"] == "key.example"
    status, r = d.http("GET", V1 + "/assignments?resolve_connection_id=x&provider=openai")
    assert r["proxy"]["port"] == 8443
    status, res = d.http("POST", "/api/settings/proxies/migrate", {})
    assert res == {"migrated": 0, "skipped": True, "reason": "already_migrated"}
    status, res = d.http("POST", "/api/settings/proxies/migrate", {"force": True})
    assert res["migrated"] == 4 and res["invalid"] == 1
    status, page = d.http("GET", V1)
    assert page["page"]["total"] == 4          # force re-uses identical proxies


def test_backup_round_trip(daemon_factory):
    a = daemon_factory("a").start()
    p = new_proxy(a, name="Keep", username="u", password="secret-pw", region="US")
    a.http("PUT", V1 + "/assignments", {"scope": "provider", "scopeId": "openai", "proxyId": p["id"]})
    a.http("PUT", V1 + "/assignments", {"scope": "provider", "scopeId": "ollama", "proxyId": "direct"})
    status, doc = a.http("GET", "/api/settings/backup")
    assert status == 200 and doc["format"] == "omniroute-backup" and doc["secrets"] is False
    assert doc["proxies"][0]["password"] == "***"
    assert "secret-pw" not in json.dumps(doc)
    full = a.secret_backup()
    assert full["proxies"][0]["password"] == "secret-pw"

    b = daemon_factory("b").start()
    status, res = b.http("POST", "/api/settings/backup", full)
    assert status == 200 and res["proxies"] == {"created": 1, "updated": 0}
    assert res["assignments"] == 2
    got = b.secret_backup()
    assert got["proxies"][0]["password"] == "secret-pw"
    assert got["proxies"][0]["id"] == p["id"]
    assert {(x["scopeId"], x["proxyId"]) for x in got["assignments"]} == \
        {("openai", p["id"]), ("ollama", "direct")}
    # a redacted backup keeps the stored secret
    status, res = b.http("POST", "/api/settings/backup", doc)
    assert status == 200 and res["proxies"] == {"created": 0, "updated": 1}
    got = b.secret_backup()
    assert got["proxies"][0]["password"] == "secret-pw"


def test_backup_import_is_all_or_nothing(daemon):
    before = list(sqlite3.connect(daemon.datadir + "/omniroute.db").iterdump())
    doc = {"format": "omniroute-backup", "version": 1,
           "proxies": [{"name": "ok", "host": "ok.example", "port": 1},
                       {"name": "bad", "host": "bad.example", "port": 70000}],
           "assignments": [{"scope": "global", "proxyId": "direct"}]}
    status, err = daemon.http("POST", "/api/settings/backup", doc)
    assert status == 400 and err["error"]["details"][0]["field"] == "proxies[1].port"
    doc["proxies"].pop()
    doc["assignments"].append({"scope": "provider", "scopeId": "x", "proxyId": "ghost"})
    status, err = daemon.http("POST", "/api/settings/backup", doc)
    assert status == 400 and err["error"]["details"][0]["field"] == "assignments[1].proxyId"
    after = list(sqlite3.connect(daemon.datadir + "/omniroute.db").iterdump())
    assert before == after
    status, err = daemon.http("POST", "/api/settings/backup", {"format": "other", "version": 1})
    assert status == 400


def test_backup_carries_providers_connections_combos(daemon_factory):
    a = daemon_factory("ra").start()
    a.ctl_json("provider", "add", "local", "--base-url", "http://127.0.0.1:11434/v1",
               "--auth", "none")
    a.http("PATCH", "/api/providers", {"id": "openai", "baseUrl": "https://127.0.0.1:9443/v1"})
    conn = a.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-keep-me")
    a.ctl_json("combo", "add", "fast", "openai/gpt-4o-mini", "local/llama3")
    p = new_proxy(a)
    a.ctl_json("assign", "set", "account", conn["id"], p["id"])
    status, doc = a.http("GET", "/api/settings/backup")
    assert [c["apiKey"] for c in doc["connections"]] == ["***"]
    assert {x["id"] for x in doc["providers"]} == {"local", "openai"}
    full = a.secret_backup()
    assert full["connections"][0]["apiKey"] == "sk-keep-me"

    b = daemon_factory("rb").start()
    status, res = b.http("POST", "/api/settings/backup", full)
    assert status == 200, res
    got = b.secret_backup()
    assert got["connections"][0]["id"] == conn["id"]
    assert got["connections"][0]["apiKey"] == "sk-keep-me"
    assert got["combos"][0]["targets"] == ["openai/gpt-4o-mini", "local/llama3"]
    status, prov = b.http("GET", "/api/providers?id=openai")
    assert prov["baseUrl"] == "https://127.0.0.1:9443/v1"
    r = b.ctl_json("resolve", conn["id"])
    assert r["level"] == "account" and r["proxyId"] == p["id"]
    # restoring the redacted document again keeps the key
    status, res = b.http("POST", "/api/settings/backup", doc)
    assert status == 200, res
    got = b.secret_backup()
    assert got["connections"][0]["apiKey"] == "sk-keep-me"

    # one bad connection: nothing of the document is applied
    c = daemon_factory("rc").start()
    before = list(sqlite3.connect(c.datadir + "/omniroute.db").iterdump())
    bad = json.loads(json.dumps(full))
    bad["connections"][0]["provider"] = "no-such-provider"
    status, err = c.http("POST", "/api/settings/backup", bad)
    assert status == 400
    assert err["error"]["details"][0]["field"] == "connections[0].provider"
    assert list(sqlite3.connect(c.datadir + "/omniroute.db").iterdump()) == before
