"""omnirctl against the real daemon: every command family, human and --json
output, exit statuses (0 ok, 1 the server said no, 2 usage, 3 unreachable),
and that it sends the same commands the HTTP API does."""

import json
import os


from conftest import LATEST_SCHEMA, new_proxy


def test_add_list_get_update_delete(daemon):
    rec = daemon.ctl_json("proxy", "add", "--name", "US exit", "--type", "socks5",
                          "--host", "127.0.0.1", "--port", "1080",
                          "--username", "alice", "--password", "p@ss:w/rd")
    assert rec["type"] == "socks5" and rec["username"] == "***"
    rc, out, err = daemon.ctl("proxy", "list")
    assert rc == 0 and "US exit" in out and rec["id"] in out and "p@ss" not in out
    assert daemon.ctl_json("proxy", "get", rec["id"])["name"] == "US exit"
    upd = daemon.ctl_json("proxy", "update", rec["id"], "--status", "inactive")
    assert upd["status"] == "inactive" and upd["type"] == "socks5"
    listing = daemon.ctl_json("proxy", "list", "--limit", "1")
    assert listing["page"]["limit"] == 1 and listing["items"][0]["id"] == rec["id"]
    assert daemon.ctl_json("proxy", "delete", rec["id"]) == {"success": True}
    rc, out, err = daemon.ctl("proxy", "get", rec["id"])
    assert rc == 1 and "Proxy not found" in err


def test_server_validation_errors_exit_1_with_details(daemon):
    rc, out, err = daemon.ctl("proxy", "add", "--name", "x", "--host", "h", "--port", "70000")
    assert rc == 1
    assert "Invalid request" in err and "port" in err
    rc, out, err = daemon.ctl("--json", "proxy", "add", "--name", "x", "--host", "h",
                              "--port", "0")
    assert rc == 1
    body = json.loads(out)
    assert body["error"]["details"][0]["field"] == "port"


def test_usage_errors_exit_2(daemon):
    for argv in (("proxy", "get"), ("proxy", "frobnicate"), ("assign", "set"),
                 ("proxy", "list", "--limit", "abc"), ("nonsense",)):
        rc, out, err = daemon.ctl(*argv)
        assert rc == 2, argv
        assert err.strip(), argv


def test_unreachable_socket_exit_3(daemon, tmp_path):
    rc, out, err = daemon.ctl("status", env={})
    assert rc == 0
    p = __import__("subprocess").run(
        [os.environ.get("OMNIRCTL", "omnirctl"), "-s", str(tmp_path / "nope.sock"), "status"],
        capture_output=True, text=True)
    assert p.returncode == 3
    assert str(tmp_path / "nope.sock") in p.stderr


def test_socket_from_environment(daemon):
    import subprocess
    env = dict(daemon.env, OMNIROUTE_CONTROL_SOCKET=daemon.sock)
    p = subprocess.run([os.environ.get("OMNIRCTL", "omnirctl"), "--json", "status"],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0 and json.loads(p.stdout)["workers"] == daemon.workers


def test_assign_resolve_and_where_used(daemon):
    p = new_proxy(daemon, host="exit.example")
    res = daemon.ctl_json("assign", "set", "global", p["id"])
    assert res["assignment"]["scope"] == "global"
    daemon.ctl_json("assign", "set", "provider", "ollama", "direct")
    daemon.ctl_json("assign", "set", "key", "conn-1", p["id"])
    rc, out, err = daemon.ctl("resolve", "conn-1", "--provider", "openai")
    assert rc == 0 and "account" in out and "exit.example" in out
    r = daemon.ctl_json("resolve", "conn-2", "--provider", "ollama")
    assert r["level"] == "provider" and r["proxyId"] == "direct"
    used = daemon.ctl_json("proxy", "where-used", p["id"])
    assert used["count"] == 2
    lst = daemon.ctl_json("assign", "list", "--scope", "account")
    assert [a["scopeId"] for a in lst["items"]] == ["conn-1"]
    bulk = daemon.ctl_json("assign", "bulk", "combo", p["id"], "fast", "slow", "fast")
    assert (bulk["requested"], bulk["updated"]) == (3, 2)
    assert daemon.ctl_json("assign", "remove", "key", "conn-1")["assignment"] is None
    rc, out, err = daemon.ctl("proxy", "delete", p["id"])
    assert rc == 1 and "still assigned" in err
    assert daemon.ctl_json("proxy", "delete", p["id"], "--force") == {"success": True}


def test_import_from_file_and_stdin(daemon, tmp_path):
    f = tmp_path / "proxies.json"
    f.write_text(json.dumps([{"name": "A", "host": "a.example", "port": 1},
                             {"name": "B", "host": "b.example", "port": 2}]))
    res = daemon.ctl_json("proxy", "import", str(f))
    assert res["created"] == 2
    rc, out, err = daemon.ctl("--json", "proxy", "import", "-",
                              input=json.dumps({"items": [{"name": "A2", "host": "a.example",
                                                           "port": 1}]}))
    assert rc == 0 and json.loads(out)["updated"] == 1
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    rc, out, err = daemon.ctl("proxy", "import", str(bad))
    assert rc == 2 and "bad.json" in err


def test_backup_export_import(daemon_factory, tmp_path):
    a = daemon_factory("a").start()
    p = new_proxy(a, username="u", password="secret-1")
    a.ctl_json("assign", "set", "global", p["id"])
    out = tmp_path / "backup.json"
    rc, _, err = a.ctl("backup", "export", str(out), "--secrets")
    assert rc == 0, err
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    doc = json.loads(out.read_text())
    assert doc["proxies"][0]["password"] == "secret-1"
    b = daemon_factory("b").start()
    res = b.ctl_json("backup", "import", str(out))
    assert res["success"] is True and res["assignments"] == 1
    assert b.ctl_json("resolve", "any")["proxyId"] == p["id"]


def test_legacy_migrate_and_system_commands(daemon):
    res = daemon.ctl_json("legacy", "migrate")
    assert res["skipped"] is True
    assert daemon.ctl_json("legacy", "migrate", "--force")["skipped"] is False
    status = daemon.ctl_json("status")
    assert status["workers"] == 2 and status["generation"] >= 1
    workers = daemon.ctl_json("workers")["items"]
    assert len(workers) == 2 and all(w["generation"] == status["generation"] for w in workers)
    assert daemon.ctl_json("version")["schemaVersion"] == LATEST_SCHEMA
    helped = daemon.ctl_json("help", "server")
    names = {c["name"] for c in helped["items"]}
    assert {"proxy.add", "assign.set", "resolve", "backup.import"} <= names
    assert daemon.ctl_json("reload")["success"] is True


def test_raw_line(daemon):
    rc, out, err = daemon.ctl("raw", "proxy.list", '{"limit":1}')
    assert rc == 0 and json.loads(out)["page"]["limit"] == 1
    rc, out, err = daemon.ctl("raw", "no.such")
    assert rc == 1
