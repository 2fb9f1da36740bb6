"""What the relay routes to, over HTTP and omnirctl: the built-in provider
catalog with overrides and custom providers, connections (API keys encrypted
and redacted), combos, and hashed client API keys."""

import hashlib
import sqlite3

import pytest


def test_builtin_catalog_listed(daemon):
    status, body = daemon.http("GET", "/api/providers")
    assert status == 200
    ids = [p["id"] for p in body["items"]]
    for pid in ("openai", "anthropic", "gemini", "openrouter", "groq", "mistral",
                "deepseek", "xai", "together", "fireworks"):
        assert pid in ids
    assert body["total"] == len(ids)
    status, anth = daemon.http("GET", "/api/providers?id=anthropic")
    assert anth["authStyle"] == "x-api-key" and anth["builtin"] is True
    assert anth["headers"] == {"anthropic-version": "2023-06-01"}


def test_custom_provider_lifecycle(daemon):
    rec = daemon.ctl_json("provider", "add", "local", "--base-url",
                          "http://127.0.0.1:11434/v1/", "--auth", "none",
                          "--header", "X-Team: infra")
    assert rec["baseUrl"] == "http://127.0.0.1:11434/v1"       # trailing slash dropped
    assert rec["authStyle"] == "none" and rec["builtin"] is False
    assert rec["headers"] == {"X-Team": "infra"}
    status, body = daemon.http("POST", "/api/providers", {"id": "local",
                                                          "baseUrl": "http://x"})
    assert status == 409
    status, upd = daemon.http("PATCH", "/api/providers", {"id": "local", "name": "Ollama"})
    assert status == 200 and upd["name"] == "Ollama" and upd["baseUrl"].endswith("/v1")
    status, body = daemon.http("DELETE", "/api/providers?id=local")
    assert status == 200 and body["restoredBuiltin"] is False
    status, body = daemon.http("GET", "/api/providers?id=local")
    assert status == 404


def test_builtin_override_and_restore(daemon):
    status, rec = daemon.http("PATCH", "/api/providers",
                              {"id": "openai", "baseUrl": "https://127.0.0.1:9443/v1"})
    assert status == 200 and rec["overridden"] is True
    assert rec["baseUrl"] == "https://127.0.0.1:9443/v1" and rec["authStyle"] == "bearer"
    status, body = daemon.http("DELETE", "/api/providers?id=openai")
    assert status == 200 and body["restoredBuiltin"] is True
    status, rec = daemon.http("GET", "/api/providers?id=openai")
    assert rec["baseUrl"] == "https://api.openai.com/v1" and rec["overridden"] is False
    status, body = daemon.http("DELETE", "/api/providers?id=openai")
    assert status == 409


@pytest.mark.parametrize("body,field", [
    ({"id": "Bad Id", "baseUrl": "http://x"}, "id"),
    ({"id": "x1", "baseUrl": "ftp://x"}, "baseUrl"),
    ({"id": "x2", "baseUrl": "http://u:p@x"}, "baseUrl"),
    ({"id": "x3", "baseUrl": "http://x:99999"}, "baseUrl"),
    ({"id": "x4", "baseUrl": "http://x?q=1"}, "baseUrl"),
    ({"id": "x5"}, "baseUrl"),
    ({"id": "x6", "baseUrl": "http://x", "authStyle": "oauth"}, "authStyle"),
    ({"id": "x7", "baseUrl": "http://x", "headers": {"Host": "evil"}}, "headers.Host"),
    ({"id": "x8", "baseUrl": "http://x", "headers": {"X-A": "a\r\nb"}}, "headers.X-A"),
    ({"id": "x9", "baseUrl": "http://x", "headers": {"bad name": "v"}}, "headers.bad name"),
])
def test_provider_validation(daemon, body, field):
    status, err = daemon.http("POST", "/api/providers", body)
    assert status == 400, err
    assert err["error"]["details"][0]["field"] == field


def test_connections(daemon):
    status, c = daemon.http("POST", "/api/connections", {"provider": "openai", "name": "main",
                                                         "key": "sk-test-secret-123"})
    assert status == 201 and c["apiKey"] == "***" and c["priority"] == 0
    assert c["status"] == "active" and c["provider"] == "openai"
    db = sqlite3.connect(daemon.datadir + "/omniroute.db")
    stored = db.execute("SELECT api_key FROM connections WHERE id=?", (c["id"],)).fetchone()[0]
    db.close()
    assert stored.startswith("enc:v1:") and "sk-test" not in stored
    status, body = daemon.http("POST", "/api/connections", {"provider": "openai", "name": "main"})
    assert status == 409
    status, body = daemon.http("POST", "/api/connections", {"provider": "nope", "name": "x"})
    assert status == 400 and body["error"]["details"][0]["field"] == "provider"
    status, body = daemon.http("POST", "/api/connections", {"provider": "openai", "name": "y",
                                                            "key": "has space"})
    assert status == 400
    c2 = daemon.ctl_json("conn", "add", "openai", "--name", "backup", "--key", "sk-2",
                         "--priority", "5")
    status, upd = daemon.http("PATCH", "/api/connections", {"id": c["id"], "status": "inactive",
                                                            "key": ""})
    assert upd["status"] == "inactive" and upd["apiKey"] == "***"
    lst = daemon.ctl_json("conn", "list", "--provider", "openai")
    assert [x["name"] for x in lst["items"]] == ["main", "backup"]
    assert daemon.ctl_json("conn", "delete", c2["id"]) == {"success": True}
    status, body = daemon.http("GET", "/api/connections?id=" + c2["id"])
    assert status == 404


def test_combos(daemon):
    rec = daemon.ctl_json("combo", "add", "fast", "openai/gpt-4o-mini",
                          "groq/llama-3.1-8b-instant")
    assert rec["name"] == "fast"
    assert rec["targets"] == ["openai/gpt-4o-mini", "groq/llama-3.1-8b-instant"]
    rc, out, err = daemon.ctl("combo", "add", "bad", "nope/model")
    assert rc == 1 and "unknown provider" in err
    rc, out, err = daemon.ctl("combo", "add", "bad2", "justamodel")
    assert rc == 1 and "provider/model" in err
    status, upd = daemon.http("PATCH", "/api/combos", {"name": "fast",
                                                       "targets": ["mistral/small"]})
    assert upd["targets"] == ["mistral/small"]
    status, body = daemon.http("GET", "/api/combos")
    assert body["total"] == 1
    status, body = daemon.http("DELETE", "/api/combos?name=fast")
    assert status == 200
    status, body = daemon.http("GET", "/api/combos?name=fast")
    assert status == 404


def test_client_api_keys_are_hashed(daemon):
    status, rec = daemon.http("POST", "/api/keys", {"name": "laptop"})
    assert status == 201 and rec["key"].startswith("sk-omni-") and len(rec["key"]) == 56
    assert rec["prefix"] == rec["key"][:12]
    db = sqlite3.connect(daemon.datadir + "/omniroute.db")
    row = db.execute("SELECT key_hash FROM api_keys WHERE id=?", (rec["id"],)).fetchone()
    whole = "\n".join(db.iterdump())
    db.close()
    assert row[0] == hashlib.sha256(rec["key"].encode()).hexdigest()
    assert rec["key"] not in whole
    status, body = daemon.http("GET", "/api/keys")
    assert body["items"][0]["prefix"] == rec["prefix"] and "key" not in body["items"][0]
    assert rec["key"] not in daemon.read_log()
    assert daemon.ctl_json("apikey", "delete", rec["id"]) == {"success": True}
    rc, out, err = daemon.ctl("apikey", "delete", rec["id"])
    assert rc == 1


def test_resolution_knows_a_connections_provider(daemon):
    p = daemon.ctl_json("proxy", "add", "--name", "P", "--host", "p.example", "--port", "1")
    daemon.ctl_json("assign", "set", "provider", "openai", p["id"])
    conn = daemon.ctl_json("conn", "add", "openai", "--name", "main", "--key", "k")
    # no --provider: the registry knows the connection's provider, master and workers alike
    r = daemon.ctl_json("resolve", conn["id"])
    assert (r["level"], r["levelId"], r["proxyId"]) == ("provider", "openai", p["id"])
    status, r = daemon.http("GET", "/api/v1/management/proxies/assignments?resolve_connection_id="
                            + conn["id"])
    assert (r["level"], r["levelId"]) == ("provider", "openai")
    # unknown connections still resolve through the account and global levels only
    r = daemon.ctl_json("resolve", "unknown-conn")
    assert r["level"] == "direct"
