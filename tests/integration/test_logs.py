"""Logs (API.md "Operations" → Logs): log_file and log_format = json, SIGUSR1
reopening the log file and the access log after logrotate renamed them (in
the master and in every worker; the daemon stays up), the access log's line
for a relayed success, a refused call, a route failure, an upstream error and
a client that left (text = logfmt, json = one object per line), client key
ids (never keys), X-Request-Id on every response equal to the error
envelope's requestId and the access log's, and management mutations logged
with their caller and the ids they name (never secrets)."""

import http.client
import json
import os
import re
import signal
import socket
import uuid

import pytest

from conftest import new_proxy, wait_for
from provider_standin import ProviderStandIn

CHAT = "/v1/chat/completions"
FIELDS = ["ts", "requestId", "client", "keyId", "method", "path", "model", "provider",
          "connection", "proxyLevel", "proxyId", "attempts", "status", "bytesIn",
          "bytesOut", "ttfbMs", "totalMs"]
LOGFMT_PAIR = re.compile(r'([A-Za-z]+)=("(?:[^"\\]|\\.)*"|[^ ]*)(?: |$)')


def parse_logfmt(line):
    out = {}
    pos = 0
    while pos < len(line):
        m = LOGFMT_PAIR.match(line, pos)
        assert m, "not logfmt at %d: %r" % (pos, line)
        k, v = m.group(1), m.group(2)
        if v.startswith('"'):
            v = re.sub(r'\\(x[0-9a-f]{2}|.)', lambda e: {"n": "\n", "r": "\r", "t": "\t"}.get(
                e.group(1), chr(int(e.group(1)[1:], 16)) if e.group(1)[0] == "x" and
                len(e.group(1)) == 3 else e.group(1)), v[1:-1])
        out[k] = v
        pos = m.end()
    assert list(out) == FIELDS, line
    return out


def read_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8").splitlines()
    except FileNotFoundError:
        return []


def access_lines(path, fmt="text"):
    return [json.loads(l) if fmt == "json" else parse_logfmt(l) for l in read_lines(path)]


def wait_access(path, request_id, fmt="text"):
    """The access-log line of request_id, once the worker has flushed it."""
    found = []

    def there():
        found[:] = [a for a in access_lines(path, fmt) if a["requestId"] == request_id]
        return bool(found)
    assert wait_for(there), (request_id, read_lines(path))
    assert len(found) == 1
    return found[0]


@pytest.fixture(scope="module")
def provider(ca):
    s = ProviderStandIn(ca, pause=0.01)
    yield s
    s.stop()


def make(daemon_factory, tmp_path, ca, provider, name="logs", conf="", env=None):
    cfg = tmp_path / (name + ".conf")
    paths = {"log": str(tmp_path / (name + "-daemon.log")),
             "access": str(tmp_path / (name + "-access.log"))}
    cfg.write_text("log_file = %s\naccess_log = %s\n%s" % (paths["log"], paths["access"], conf))
    e = {"OMNIROUTE_CA_FILE": ca.ca}
    e.update(env or {})
    provider.reset()
    d = daemon_factory(name=name, config=str(cfg), env=e).start()
    d.paths = paths
    d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    d.conn = d.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-main-secret")
    return d


def call(d, body, path=CHAT, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request("POST", path, body=json.dumps(body), headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def chat(d, model="openai/gpt-4o-mini", **kw):
    return call(d, {"model": model, "messages": [{"role": "user", "content": "hi"}]}, **kw)


def request(d, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    return r, raw


def assert_uuid(s):
    assert str(uuid.UUID(s)) == s, s


# ---- the daemon's log ------------------------------------------------------

def test_log_file_in_json(daemon_factory, tmp_path, ca, provider):
    d = make(daemon_factory, tmp_path, ca, provider, conf="log_format = json\n")
    r, _ = request(d, "POST", "/api/v1/management/proxies",
                   {"name": "P", "host": "p.example", "port": 8080, "username": "u",
                    "password": "pw-Secret-1"})
    assert r.status == 201
    lines = []

    def have_both_roles():
        lines[:] = [json.loads(l) for l in read_lines(d.paths["log"])]
        roles = {l["role"] for l in lines}
        return "master" in roles and any(r.startswith("worker[") for r in roles)
    assert wait_for(have_both_roles), read_lines(d.paths["log"])
    for l in lines:
        assert set(l) == {"ts", "level", "role", "msg"}
        assert l["level"] in ("debug", "info", "warn", "error")
    assert any("ready" in l["msg"] for l in lines if l["role"] == "master")
    # the file, not stderr, got them; and no secret anywhere
    assert "ready" not in d.read_log()
    assert "pw-Secret-1" not in open(d.paths["log"]).read()
    assert "sk-main-secret" not in open(d.paths["log"]).read()


def test_sigusr1_reopens_log_and_access_log(daemon_factory, tmp_path, ca, provider):
    d = make(daemon_factory, tmp_path, ca, provider, conf="log_level = debug\n")
    r, _ = chat(d)
    first = r.getheader("X-Request-Id")
    wait_access(d.paths["access"], first)
    pids = d.worker_pids()
    os.rename(d.paths["log"], d.paths["log"] + ".1")
    os.rename(d.paths["access"], d.paths["access"] + ".1")
    d.proc.send_signal(signal.SIGUSR1)
    assert wait_for(lambda: any("SIGUSR1" in l for l in read_lines(d.paths["log"]))), \
        read_lines(d.paths["log"] + ".1")
    # every worker reopened too (each says so in the new file, at debug)
    for slot in (1, 2):
        assert wait_for(lambda: any("worker[%d]: SIGUSR1" % slot in l
                                    for l in read_lines(d.paths["log"]))), slot
    seen = set()
    for _ in range(20):
        r, _ = chat(d)
        assert r.status == 200
        seen.add(r.getheader("X-Request-Id"))
    for rid in seen:
        wait_access(d.paths["access"], rid)
    old_access = read_lines(d.paths["access"] + ".1")
    assert [a["requestId"] for a in access_lines(d.paths["access"] + ".1")] == [first]
    # a mutation through a worker is logged in the new daemon log
    new_proxy(d, name="after-rotate")
    assert wait_for(lambda: any("mutation proxy.add" in l for l in read_lines(d.paths["log"])))
    assert not any("mutation proxy.add" in l for l in read_lines(d.paths["log"] + ".1"))
    assert read_lines(d.paths["access"] + ".1") == old_access
    # alive, same workers (SIGUSR1 does not kill them), even sent to a worker itself
    os.kill(pids[0], signal.SIGUSR1)
    assert d.http("GET", "/healthz")[0] == 200
    assert d.proc.poll() is None
    assert sorted(d.worker_pids()) == sorted(pids)


# ---- the access log ----------------------------------------------------------

def test_access_log_lines(daemon_factory, tmp_path, ca, provider):
    d = make(daemon_factory, tmp_path, ca, provider, env={"OMNIROUTE_WORKERS": "1"})
    acc = d.paths["access"]

    # a relayed success
    r, data = chat(d)
    assert r.status == 200
    ok = wait_access(acc, r.getheader("X-Request-Id"))
    assert ok["method"] == "POST" and ok["path"] == CHAT
    assert ok["model"] == "openai/gpt-4o-mini" and ok["provider"] == "openai"
    assert ok["connection"] == d.conn["id"]
    assert ok["proxyLevel"] == "direct" and ok["proxyId"] == ""
    assert ok["attempts"] == "1" and ok["status"] == "200"
    assert ok["client"] == "127.0.0.1" and ok["keyId"] == ""
    assert int(ok["bytesIn"]) > 50
    assert int(ok["bytesOut"]) > len(data)        # head + body
    assert int(ok["ttfbMs"]) <= int(ok["totalMs"])
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", ok["ts"])

    # an upstream error is passed on (one connection: nothing to fail over to)
    provider.script(CHAT, status=500, times=1, headers={"X-Request-Id": "req_upstream_1"})
    r, data = chat(d)
    assert r.status == 500
    assert r.getheader("X-Upstream-Request-Id") == "req_upstream_1"
    assert r.getheader("X-Request-Id") != "req_upstream_1"
    up = wait_access(acc, r.getheader("X-Request-Id"))
    assert up["status"] == "500" and up["provider"] == "openai" and up["attempts"] == "1"
    assert up["connection"] == d.conn["id"]

    # a route failure (unknown model): the envelope's id is the line's
    r, data = chat(d, model="nosuch/model x")
    assert r.status == 400
    bad = wait_access(acc, json.loads(data)["requestId"])
    assert bad["requestId"] == r.getheader("X-Request-Id")
    assert bad["status"] == "400" and bad["attempts"] == "0" and bad["provider"] == ""
    assert bad["model"] == "nosuch/model x"

    # refused: the assigned proxy is inactive (fail-closed, 503)
    p = new_proxy(d, name="off", host="127.0.0.1", port=9, status="inactive")
    d.ctl_json("assign", "set", "global", p["id"])
    r, data = chat(d)
    assert r.status == 503
    ref = wait_access(acc, r.getheader("X-Request-Id"))
    assert ref["status"] == "503" and ref["proxyLevel"] == "global" and ref["attempts"] == "1"
    d.ctl_json("assign", "remove", "global")

    # a path with quotes, '=' and a backslash stays one parseable line
    body = json.dumps({"model": "openai/gpt-4o-mini"}).encode()
    answer = d.raw(b'POST /v1/a"b=c\\d HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                   % (len(body), body))
    m = re.search(rb"\r\nX-Request-Id: ([0-9a-f-]{36})\r\n", answer)
    assert m, answer
    rid = m.group(1).decode()
    line = wait_access(acc, rid)
    assert line["status"] == answer[9:12].decode() and line["path"] == '/v1/a"b=c\\d'
    assert '"/v1/a\\"b=c\\\\d"' in open(acc).read()

    # the client leaves before the response head: status 499
    provider.script(CHAT, slow_head=1.0, times=1)
    before = len(provider.requests)
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    body = json.dumps({"model": "openai/gpt-4o-mini"}).encode()
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
              b"application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    provider.wait_requests(before + 1)             # the call is with the provider
    s.close()
    assert wait_for(lambda: any(a["status"] == "499" for a in access_lines(acc)))
    gone = [a for a in access_lines(acc) if a["status"] == "499"][0]
    assert gone["ttfbMs"] == "" and gone["bytesOut"] == "0" and gone["provider"] == "openai"

    # only /v1 calls are in the access log; no secret is anywhere
    assert d.http("GET", "/healthz")[0] == 200
    text = open(acc).read()
    assert "/healthz" not in text and "/api/" not in text
    assert "sk-main-secret" not in text


def test_access_log_json_and_key_ids(daemon_factory, tmp_path, ca, provider):
    d = make(daemon_factory, tmp_path, ca, provider, conf="log_format = json\n",
             env={"REQUIRE_API_KEY": "true"})
    key = d.ctl_json("apikey", "add", "ci")
    r, _ = chat(d, headers={"Authorization": "Bearer " + key["key"]})
    assert r.status == 200
    line = wait_access(d.paths["access"], r.getheader("X-Request-Id"), "json")
    assert list(line) == FIELDS
    assert line["keyId"] == key["id"] and line["status"] == 200 and line["attempts"] == 1
    assert isinstance(line["ttfbMs"], int) and isinstance(line["bytesOut"], int)
    r, data = chat(d, headers={"Authorization": "Bearer wrong-key"})
    assert r.status == 401
    refused = wait_access(d.paths["access"], json.loads(data)["requestId"], "json")
    assert refused["keyId"] == "" and refused["status"] == 401 and refused["model"] == ""
    for l in read_lines(d.paths["access"]):
        json.loads(l)
    assert key["key"] not in open(d.paths["access"]).read()
    assert key["key"] not in open(d.paths["log"]).read()


# ---- X-Request-Id -------------------------------------------------------------

def test_request_id_on_every_response(daemon_factory, tmp_path, ca, provider):
    d = make(daemon_factory, tmp_path, ca, provider)
    ids = []

    def check(r, raw, envelope):
        rid = r.getheader("X-Request-Id")
        assert rid is not None, (r.status, raw)
        assert_uuid(rid)
        assert len(r.msg.get_all("X-Request-Id")) == 1
        if envelope:
            assert json.loads(raw)["requestId"] == rid
        ids.append(rid)

    r, raw = chat(d)                                            # relayed
    assert r.status == 200
    check(r, raw, False)
    r, raw = chat(d, model="nope")                              # relay error
    assert r.status == 400
    check(r, raw, True)
    r, raw = request(d, "GET", "/api/v1/management/proxies")    # management
    assert r.status == 200
    check(r, raw, False)
    r, raw = request(d, "GET", "/api/v1/management/proxies?id=missing")   # master's error
    assert r.status == 404
    check(r, raw, True)
    r, raw = request(d, "POST", "/api/v1/management/proxies", {"name": ""})  # validation
    assert r.status == 400
    check(r, raw, True)
    r, raw = request(d, "GET", "/healthz")
    assert r.status == 200
    check(r, raw, False)
    r, raw = request(d, "GET", "/no/such/path")                # 404
    assert r.status == 404
    check(r, raw, True)
    r, raw = request(d, "GET", "/api/nothing-here")
    assert r.status == 404
    check(r, raw, True)
    assert len(set(ids)) == len(ids)                            # one per request
    # a request the parser refuses still carries one
    answer = d.raw(b"GET / HTTP/9.9\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    m = re.search(rb"\r\nX-Request-Id: ([0-9a-f-]{36})\r\n", head)
    assert m, answer
    assert json.loads(body)["requestId"] == m.group(1).decode()


# ---- management mutations ------------------------------------------------------

def test_mutations_logged_with_caller(daemon_factory, tmp_path, ca, provider):
    d = make(daemon_factory, tmp_path, ca, provider)
    r, raw = request(d, "POST", "/api/v1/management/proxies",
                     {"name": "US", "host": "p.example", "port": 8080,
                      "username": "u", "password": "Hunter2-secret"})
    assert r.status == 201
    pid = json.loads(raw)["id"]
    d.ctl_json("proxy", "delete", pid)
    log = []

    def both():
        log[:] = read_lines(d.paths["log"])
        return sum("mutation" in l for l in log) >= 2
    assert wait_for(both), log
    http_line = [l for l in log if "mutation proxy.add" in l][0]
    assert "id=" + pid in http_line and "name=US" in http_line
    assert "HTTP 127.0.0.1 (loopback)" in http_line and "201" in http_line
    assert r.getheader("X-Request-Id") in http_line
    ctl_line = [l for l in log if "mutation proxy.delete" in l][0]
    assert "id=" + pid in ctl_line and "uid %d" % os.getuid() in ctl_line
    assert " info " in ctl_line
    text = open(d.paths["log"]).read()
    assert "Hunter2-secret" not in text and "sk-main-secret" not in text
    # reads are not mutations
    d.ctl_json("proxy", "list")
    assert not any("proxy.list" in l for l in read_lines(d.paths["log"]))


def test_syslog_on_still_writes_the_named_file(daemon_factory, tmp_path, ca, provider):
    d = make(daemon_factory, tmp_path, ca, provider, name="sys", conf="syslog = on\n")
    assert wait_for(lambda: any("ready" in l for l in read_lines(d.paths["log"])))
    assert d.http("GET", "/healthz")[0] == 200


def test_bad_log_settings_refuse_to_start(tmp_path):
    import subprocess
    from conftest import OMNIROUTED
    for conf, msg in (("log_format = xml\n", "log_format"),
                      ("log_file = %s/no/such/dir/x.log\n" % tmp_path, "log_file"),
                      ("access_log = %s/no/such/dir/a.log\n" % tmp_path, "access_log")):
        cfg = tmp_path / "bad.conf"
        cfg.write_text(conf)
        p = subprocess.run([OMNIROUTED, "-c", str(cfg), "-D", str(tmp_path / "d"),
                            "-l", "127.0.0.1:20999"], capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and msg in p.stderr, (conf, p.stderr)


def test_start_failure_is_on_stderr_too(tmp_path):
    """With log_file set, a failed start still says why on stderr."""
    import subprocess
    from conftest import OMNIROUTED
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    log = tmp_path / "daemon.log"
    cfg = tmp_path / "f.conf"
    cfg.write_text("log_file = %s\n" % log)
    try:
        p = subprocess.run([OMNIROUTED, "-c", str(cfg), "-D", str(tmp_path / "d"), "-l",
                            "127.0.0.1:%d" % busy.getsockname()[1]],
                           capture_output=True, text=True, timeout=30)
    finally:
        busy.close()
    assert p.returncode != 0
    assert "cannot listen" in p.stderr, p.stderr
    assert "cannot listen" in log.read_text()
    assert "applied schema migration" not in p.stderr      # info stays in the file


def test_reload_moves_the_log(daemon_factory, tmp_path, ca, provider):
    d = make(daemon_factory, tmp_path, ca, provider)
    moved = str(tmp_path / "moved.log")
    with open(d.config, "w") as f:
        f.write("log_file = %s\naccess_log = %s\nlog_format = json\n" % (moved, d.paths["access"]))
    d.ctl_json("reload")
    assert wait_for(lambda: any("configuration reloaded" in l for l in read_lines(moved)))
    new_proxy(d, name="after-reload")          # logged by a new worker
    assert wait_for(lambda: any("mutation proxy.add" in l for l in read_lines(moved)))
    for l in read_lines(moved):
        json.loads(l)
    assert not any("after-reload" in l for l in read_lines(d.paths["log"]))
    r, _ = chat(d)
    line = wait_access(d.paths["access"], r.getheader("X-Request-Id"), "json")
    assert line["status"] == 200


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
def test_user_drop_keeps_logs_reopenable(daemon_factory, ca, provider):
    """With user = nobody the log files become the user's: the workers (which
    run as nobody) open the access log, and SIGUSR1 reopens both after a
    rename into a directory the user can write."""
    import pwd
    import shutil
    import stat
    import tempfile
    from test_privileges import FreshDirDaemon
    nobody = pwd.getpwnam("nobody")
    top = tempfile.mkdtemp(prefix="omniroute-logs-")
    try:
        os.chmod(top, 0o755)
        logs = os.path.join(top, "logs")
        os.mkdir(logs)
        os.chown(logs, nobody.pw_uid, nobody.pw_gid)
        ca_copy = os.path.join(top, "ca.pem")
        shutil.copy(ca.ca, ca_copy)
        os.chmod(ca_copy, 0o644)
        log, acc = os.path.join(logs, "daemon.log"), os.path.join(logs, "access.log")
        conf = os.path.join(top, "omnirouted.conf")
        with open(conf, "w") as f:
            f.write("user = nobody\nca_file = %s\nlog_file = %s\naccess_log = %s\n"
                    % (ca_copy, log, acc))
        os.chmod(conf, 0o644)
        provider.reset()
        d = FreshDirDaemon(os.path.join(top, "data"), config=conf, workers=2).start()
        try:
            for path in (log, acc):
                st = os.stat(path)
                assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (nobody.pw_uid, 0o600), path
            d.ctl_json("provider", "update", "openai", "--base-url",
                       provider.url("/v1", host="127.0.0.1"))
            d.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-main")
            r, _ = chat(d)
            assert r.status == 200
            wait_access(acc, r.getheader("X-Request-Id"))
            os.rename(log, log + ".1")
            os.rename(acc, acc + ".1")
            d.proc.send_signal(signal.SIGUSR1)
            assert wait_for(lambda: any("SIGUSR1" in l for l in read_lines(log)))
            r, _ = chat(d)
            assert r.status == 200
            wait_access(acc, r.getheader("X-Request-Id"))
            assert wait_for(lambda: sum("SIGUSR1" in l for l in read_lines(log)) >= 1)
            assert "still writing to the old" not in \
                open(log).read() + open(log + ".1").read() + d.read_log()
        finally:
            d.stop()
    finally:
        shutil.rmtree(top, ignore_errors=True)
