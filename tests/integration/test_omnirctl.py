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


OMNIRCTL_BIN = os.environ.get("OMNIRCTL", "omnirctl")
OMNIROUTED_BIN = os.environ.get("OMNIROUTED", "omnirouted")


def bare_ctl(daemon, *args, input=None):
    """omnirctl with exactly these words (no -s put first)."""
    import subprocess
    p = subprocess.run([OMNIRCTL_BIN] + [str(a) for a in args], capture_output=True,
                       text=True, env=daemon.env, input=input, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_proxy_by_name_everywhere(daemon):
    rc, out, err = daemon.ctl("-q", "proxy", "add", "--name", "US exit", "--host",
                              "127.0.0.1", "--port", "1080")
    assert rc == 0 and out.count("\n") == 1, (rc, out, err)
    pid = out.strip()
    assert daemon.ctl_json("proxy", "get", "us EXIT")["id"] == pid
    assert daemon.ctl_json("proxy", "update", "US exit", "--region", "US")["region"] == "US"
    assert daemon.ctl_json("assign", "set", "global", "US exit")["assignment"]["proxyId"] == pid
    bulk = daemon.ctl_json("assign", "bulk", "combo", "US exit", "fast", "slow")
    assert bulk["updated"] == 2, bulk
    assert daemon.ctl_json("proxy", "where-used", "US exit")["count"] == 3
    assert daemon.ctl_json("assign", "list", "--proxy", "US exit")["page"]["total"] == 3
    # a refusal worded for the API reaches the command line in its words
    rc, out, err = daemon.ctl("proxy", "delete", "US exit")
    assert rc == 1 and "use --force" in err and "force=true" not in err, err
    assert daemon.ctl_json("proxy", "get", pid)["name"] == "US exit"
    # --json keeps the master's JSON as it is
    rc, out, err = daemon.ctl("proxy", "delete", "US exit", json_out=True)
    assert rc == 1 and "force=true" in json.loads(out)["error"]["message"]
    assert daemon.ctl_json("proxy", "delete", "US exit", "--force") == {"success": True}
    rc, out, err = daemon.ctl("proxy", "get", "US exit")
    assert rc == 1 and "Proxy not found" in err


def test_duplicate_names_are_refused(daemon):
    first = daemon.ctl_json("proxy", "add", "--name", "Dup", "--host", "127.0.0.1",
                            "--port", "1080")
    daemon.ctl_json("proxy", "add", "--name", "Other", "--host", "127.0.0.1",
                    "--port", "1081")
    rc, out, err = daemon.ctl("proxy", "add", "--name", "dUP", "--host", "127.0.0.1",
                              "--port", "1082")
    assert rc == 1 and "'Dup'" in err and first["id"] in err, err
    rc, out, err = daemon.ctl("proxy", "update", "Other", "--name", "DUP")
    assert rc == 1 and "unique" in err, err
    names = sorted(p["name"] for p in daemon.ctl_json("proxy", "list")["items"])
    assert names == ["Dup", "Other"]


def test_duplicates_in_an_older_database_are_named_as_ambiguous(daemon_factory):
    import sqlite3
    d = daemon_factory().start()
    a = d.ctl_json("proxy", "add", "--name", "Twin", "--host", "127.0.0.1", "--port", "1")
    b = d.ctl_json("proxy", "add", "--name", "Twin B", "--host", "127.0.0.1", "--port", "2")
    assert d.stop() == 0
    db = sqlite3.connect(d.datadir + "/omniroute.db")
    db.execute("UPDATE proxy_registry SET name = 'twin' WHERE id = ?", (b["id"],))
    db.commit()
    db.close()
    d.start()                   # the migration does not mind them
    rc, out, err = d.ctl("proxy", "get", "Twin")
    assert rc == 1 and "ambiguous" in err and "use the id" in err, err
    assert d.ctl_json("proxy", "get", b["id"])["name"] == "twin"
    # each keeps its own name through an update; a new one may not take it
    assert d.ctl_json("proxy", "update", a["id"], "--port", "3")["port"] == 3
    rc, out, err = d.ctl("proxy", "add", "--name", "TWIN", "--host", "127.0.0.1",
                         "--port", "4")
    assert rc == 1 and "unique" in err, err


def test_global_options_anywhere(daemon):
    daemon.ctl_json("proxy", "add", "--name", "G", "--host", "127.0.0.1", "--port", "1")
    for argv in (("proxy", "list", "--json", "-s", daemon.sock),
                 ("proxy", "list", "-s", daemon.sock, "--limit", "5", "--json"),
                 ("--json", "proxy", "list", "--socket=" + daemon.sock),
                 ("-s" + daemon.sock, "proxy", "list", "--json")):
        rc, out, err = bare_ctl(daemon, *argv)
        assert rc == 0, (argv, err)
        assert json.loads(out)["items"][0]["name"] == "G", argv
    rc, out, err = bare_ctl(daemon, "proxy", "get", "G", "-s", daemon.sock)
    assert rc == 0 and "name:" in out, err
    rc, out, err = bare_ctl(daemon, "proxy", "list", "-s")
    assert rc == 2 and "-s needs a value" in err, err
    # not between the command words
    rc, out, err = bare_ctl(daemon, "-s", daemon.sock, "proxy", "--json", "list")
    assert rc == 2 and "the subcommand comes before --json" in err, err


def test_quiet_add_prints_only_the_id(daemon):
    rc, out, err = daemon.ctl("provider", "add", "local", "--base-url",
                              "http://127.0.0.1:11434/v1", "--auth", "none", "-q")
    assert (rc, out) == (0, "local\n"), err
    rc, out, err = daemon.ctl("-q", "conn", "add", "local", "--name", "main", "--key", "sk-x")
    assert rc == 0, err
    conn = out.strip()
    assert daemon.ctl_json("conn", "get", conn)["name"] == "main"
    rc, out, err = daemon.ctl("-q", "combo", "add", "fast", "local/m1")
    assert (rc, out) == (0, "fast\n"), err
    rc, out, err = daemon.ctl("-q", "apikey", "add", "laptop")
    assert rc == 0 and out.count("\n") == 1 and len(out.strip()) > 20, out
    key_id = daemon.ctl_json("apikey", "list")["items"][0]["id"]
    assert out.strip() != key_id     # the key itself, shown once
    before = daemon.ctl_json("proxy", "list")["page"]["total"]
    rc, out, err = daemon.ctl("-q", "proxy", "list")
    assert rc == 2 and "-q" in err and out == "", err
    assert daemon.ctl_json("proxy", "list")["page"]["total"] == before


def test_failed_probe_exits_1_and_prints_the_result(daemon):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                       # nothing listens there now
    daemon.ctl_json("proxy", "add", "--name", "dead", "--host", "127.0.0.1",
                    "--port", str(port))
    rc, out, err = daemon.ctl("proxy", "test", "dead", "--url", "https://127.0.0.1:1/")
    assert rc == 1, (rc, out, err)
    assert "success:" in out and "false" in out and "connect" in out, out
    rc, out, err = daemon.ctl("proxy", "test", "dead", "--url", "https://127.0.0.1:1/",
                              json_out=True)
    assert rc == 1 and json.loads(out)["success"] is False, (rc, out, err)


def test_versions(daemon):
    import subprocess
    rc, out, err = bare_ctl(daemon, "--version")
    assert rc == 0 and out.startswith("omnirctl ") and out.count("\n") == 1, (out, err)
    version = out.split()[1]
    p = subprocess.run([OMNIROUTED_BIN, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == "omnirouted %s\n" % version, p
    assert daemon.ctl_json("version")["version"] == version


def test_bash_completion_from_the_grammar(daemon):
    import subprocess
    rc, out, err = bare_ctl(daemon, "__complete", "proxy", "")
    assert rc == 0 and {"add", "list", "get", "where-used", "test"} <= set(out.split())
    rc, out, err = bare_ctl(daemon, "__complete", "proxy", "add", "--type", "")
    assert out.split() == ["http", "https", "socks5"]
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                          "ctl", "omnirctl.bash")
    shell = ('source "$1"; COMP_WORDS=("$2" assign s); COMP_CWORD=2; _omnirctl; '
             'printf "%s\\n" "${COMPREPLY[@]}"; complete -p omnirctl')
    p = subprocess.run(["bash", "-c", shell, "bash", script, OMNIRCTL_BIN],
                       capture_output=True, text=True)
    assert p.returncode == 0, p
    assert p.stdout.splitlines()[0] == "set"
    assert "-F _omnirctl" in p.stdout
