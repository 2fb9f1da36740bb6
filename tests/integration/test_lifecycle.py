"""omnirouted's lifecycle as an operator lives it: reloads that drop, misroute
or hide nothing (new workers serve only once they hold the registry snapshot;
old ones finish what they hold, answer with "Connection: close" and leave
idle kept-alive connections to their clients), reloads and starts that cannot
succeed refused whole (a missing CA file, a worker that dies while starting),
the loss of the master (its workers let go of the data dir and the listening
socket at once, so a new daemon starts while their streams finish), -d that
returns only once the daemon serves, and a request body's own idle deadline."""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import OMNIROUTED, free_port, wait_for
from keepalive_load import KeepAliveLoad
from test_daemon import pid_alive, write
from provider_standin import ProviderStandIn

CHAT = "/v1/chat/completions"


def children_of(pid):
    """Live child pids of pid, from /proc."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(entry))
    return kids


@pytest.fixture
def relaying(daemon_factory, ca):
    """One worker relaying openai to a provider stand-in on 127.0.0.1."""
    provider = ProviderStandIn(ca, pause=0.01)
    d = daemon_factory(workers=1, env={"OMNIROUTE_CA_FILE": ca.ca}).start()
    d.ctl_json("provider", "update", "openai", "--base-url",
               provider.url("/v1", host="127.0.0.1"))
    d.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    yield d, provider
    provider.stop()


def reload_ok(d):
    rc, out, err = d.ctl("reload", json_out=True)
    assert rc == 0, (rc, out, err)
    return json.loads(out)


# ---- reloads that drop nothing ------------------------------------------------------

def test_reloads_under_keep_alive_load_fail_no_request(daemon_factory):
    d = daemon_factory().start()
    load = KeepAliveLoad(d.port, clients=4, max_seconds=60).start()
    time.sleep(0.2)
    for _ in range(10):
        answer = reload_ok(d)
        assert answer["success"] is True and answer["workers"] == 2
        time.sleep(0.05)
    load.finish()
    assert load.errors == [], load.errors[:5]
    assert load.ok > 100
    assert load.closes > 0            # old workers handed their connections back


def test_idle_kept_alive_connection_survives_a_reload(daemon_factory):
    """Closing an idle kept-alive connection would race the client's next
    request: it stays open, and that request is served with Connection: close."""
    d = daemon_factory(workers=1).start()
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    r.read()
    assert r.getheader("Connection") == "keep-alive"
    old = d.worker_pids()
    reload_ok(d)
    time.sleep(0.3)
    # the old worker waits for this connection
    assert pid_alive(old[0])
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    body = json.loads(r.read())
    assert r.status == 200 and r.getheader("Connection") == "close"
    assert body["worker"] == 1                     # served by the old worker
    conn.close()
    assert wait_for(lambda: not pid_alive(old[0]), timeout=10)
    assert http_status(d, "/healthz") == 200


def test_request_in_flight_during_a_reload_is_answered_with_connection_close(relaying):
    d, provider = relaying
    provider.script(CHAT, slow_head=1.0, times=1)
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    result = {}

    def call():
        conn.request("POST", CHAT, body=json.dumps(
            {"model": "openai/gpt-4o-mini", "messages": []}),
            headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        result["status"], result["conn"], result["body"] = (
            r.status, r.getheader("Connection"), r.read())
    t = threading.Thread(target=call)
    t.start()
    provider.wait_requests(1, timeout=10)
    reload_ok(d)
    t.join(20)
    assert result["status"] == 200, result
    assert result["conn"] == "close"
    assert json.loads(result["body"])["object"] == "chat.completion"
    conn.close()


def test_a_reload_without_room_for_its_workers_is_refused_and_says_why(daemon_factory,
                                                                      tmp_path):
    cfg = write(tmp_path / "c.conf", "max_worker_processes = 4\n")
    d = daemon_factory(config=cfg).start()
    # an idle kept-alive connection on each worker keeps it draining after a reload
    held, slots = [], set()
    for _ in range(50):
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        c.request("GET", "/healthz")
        r = c.getresponse()
        slots.add(json.loads(r.read())["worker"])
        held.append(c)
        if len(slots) == 2:
            break
    assert len(slots) == 2
    reload_ok(d)                                   # 2 draining + 2 serving: full
    rc, out, err = d.ctl("reload")
    assert rc != 0 and "max_worker_processes" in out + err, (out, err)
    assert "no room for 2 new workers" in out + err
    assert http_status(d, "/healthz") == 200
    for c in held:                                 # the draining ones can go now
        c.close()
    assert wait_for(lambda: len(d.worker_pids()) == 2, timeout=20)
    assert reload_ok(d)["success"] is True


def test_new_workers_serve_only_with_the_registry_snapshot(daemon_factory):
    """Right after a reload or a respawn, every worker resolves with the whole
    registry: a connection whose account has a proxy never resolves direct."""
    d = daemon_factory().start()
    items = [{"name": "p%d" % i, "type": "http", "host": "127.0.0.1",
              "port": 1024 + i} for i in range(500)]
    status, body = d.http("POST", "/api/settings/proxies/bulk-import", {"items": items})
    assert status == 200 and body["created"] == 500, body
    pid = d.ctl_json("proxy", "list", "--limit", "1")["items"][0]["id"]
    d.ctl_json("assign", "set", "account", "conn-1", pid)
    def pinned(body):
        level = json.loads(body).get("level")
        return None if level == "account" else "resolved %s" % level
    load = KeepAliveLoad(d.port, path="/api/settings/proxy?resolve=conn-1", clients=3,
                         max_seconds=60, check=pinned).start()
    for i in range(6):
        reload_ok(d)
        if i == 3:
            serving = [w["pid"] for w in d.ctl_json("workers")["items"]
                       if not w["draining"]]
            os.kill(serving[0], signal.SIGKILL)
            time.sleep(0.1)
    load.finish()
    # a killed worker's kept-alive connections break; nothing else may
    wrong = [e for e in load.errors if e.startswith(("resolved", "status"))]
    assert wrong == [], wrong[:3]
    assert load.ok > 50
    assert all("reset" in e.lower() or "Remote end" in e or "pipe" in e.lower()
               for e in load.errors), load.errors[:5]


# ---- refused whole --------------------------------------------------------------

def test_missing_ca_file_refuses_check_reload_and_start(daemon_factory, tmp_path):
    cfg = write(tmp_path / "c.conf", "log_level = info\n")
    d = daemon_factory(config=cfg).start()
    old = sorted(d.worker_pids())
    write(cfg, "log_level = debug\nca_file = %s\n" % (tmp_path / "missing.pem"))
    p = subprocess.run([OMNIROUTED, "-n", "-c", cfg, "-D", str(tmp_path / "x")],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "missing.pem" in p.stderr, p
    assert "configuration OK" not in p.stdout
    rc, out, err = d.ctl("reload")
    assert rc != 0 and "missing.pem" in out + err, (out, err)
    assert sorted(d.worker_pids()) == old
    assert all(pid_alive(p) for p in old)
    assert d.ctl_json("status")["logLevel"] == "info"      # the master kept its config
    assert http_status(d, "/healthz") == 200

    # SIGHUP: the same, said in the log
    d.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "missing.pem" in d.read_log(), timeout=10)
    assert sorted(d.worker_pids()) == old

    # a start with it exits non-zero without a "ready" line
    d2 = daemon_factory("other", config=cfg)
    d2.start(wait=False)
    rc = d2.proc.wait(timeout=10)
    assert rc != 0
    assert "missing.pem" in d2.read_log() and " ready" not in d2.read_log()


def test_unwritable_log_paths_refuse_check_and_reload(daemon_factory, tmp_path):
    cfg = write(tmp_path / "c.conf", "log_level = info\n")
    d = daemon_factory(config=cfg).start()
    old = sorted(d.worker_pids())
    for line, word in (("log_file = %s/no/such/dir/x.log" % tmp_path, "log_file"),
                       ("access_log = %s" % tmp_path, "access_log")):
        write(cfg, "log_level = debug\n%s\n" % line)
        p = subprocess.run([OMNIROUTED, "-n", "-c", cfg, "-D", str(tmp_path / "x")],
                           capture_output=True, text=True, timeout=20)
        assert p.returncode != 0 and word in p.stderr, p
        rc, out, err = d.ctl("reload")
        assert rc != 0 and word in out + err, (out, err)
        assert sorted(d.worker_pids()) == old
        assert d.ctl_json("status")["logLevel"] == "info"


def test_a_worker_that_dies_while_starting_fails_the_reload(daemon_factory, tmp_path):
    """The new set must all hold their snapshot; one dying first (killed here,
    while a large CA bundle keeps it busy) fails the reload: the reload says
    why, the old workers never stopped and the master keeps its config. (A
    kill that lands after the commit hits a serving worker, which is simply
    respawned: then the test tries again.)"""
    bundle = open("/etc/ssl/certs/ca-certificates.crt").read()
    big = write(tmp_path / "big.pem", bundle * 40)
    cfg = write(tmp_path / "c.conf", "log_level = info\n")
    d = daemon_factory(config=cfg).start()
    master = d.proc.pid
    write(cfg, "log_level = debug\nca_file = %s\nworker_start_timeout_ms = 60000\n" % big)
    for attempt in range(5):
        def settled():
            # two serving workers, and no other child (a worker of an earlier
            # attempt on its way out, or being respawned)
            serving = sorted(w["pid"] for w in d.ctl_json("workers")["items"]
                             if w["serving"])
            return len(serving) == 2 and sorted(children_of(master)) == serving \
                and serving
        old, until = None, time.monotonic() + 20
        while not old and time.monotonic() < until:
            old = settled()
            time.sleep(0.05)
        assert old, (children_of(master), d.ctl_json("workers"))
        result = {}

        def do_reload():
            result["rc"], result["out"], result["err"] = d.ctl("reload")
        t = threading.Thread(target=do_reload)
        t.start()
        victim = None
        deadline = time.monotonic() + 30
        while victim is None and time.monotonic() < deadline and t.is_alive():
            fresh = [p for p in children_of(master) if p not in old]
            if fresh:
                victim = fresh[0]
                os.kill(victim, signal.SIGKILL)
            time.sleep(0.001)
        t.join(60)
        if result["rc"] == 0:                 # too late: the reload had committed
            write(cfg, "log_level = info\n")
            assert d.ctl("reload")[0] == 0
            write(cfg, "log_level = debug\nca_file = %s\n"
                  "worker_start_timeout_ms = 60000\n" % big)
            continue
        assert victim is not None, result
        assert "killed by signal 9" in result["out"] + result["err"], result
        items = d.ctl_json("workers")["items"]
        assert sorted(w["pid"] for w in items if not w["draining"]) == old, items
        assert all(w["serving"] for w in items if w["pid"] in old)
        assert d.ctl_json("status")["logLevel"] == "info"
        assert http_status(d, "/healthz") == 200
        # the other new worker leaves too; the old ones serve on
        assert wait_for(lambda: sorted(children_of(master)) == old, timeout=20), \
            (children_of(master), old)
        return
    pytest.fail("no kill landed before a reload committed in 5 attempts")


# ---- -d ---------------------------------------------------------------------------

def test_daemonized_start_returns_once_serving(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIROUTE_")}
    log = open(tmp_path / "d.log", "wb")      # the daemon keeps stderr: a file
    p = subprocess.run([OMNIROUTED, "-d", "-D", str(data), "-l", "127.0.0.1:%d" % port,
                        "-w", "2"], stdout=log, stderr=log, timeout=30, env=env)
    try:
        assert p.returncode == 0, open(tmp_path / "d.log").read()
        # no retry: it serves as soon as -d returns
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/healthz")
        assert c.getresponse().status == 200
        c.close()
    finally:
        with open(data / "omnirouted.pid") as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not pid_alive(pid), timeout=20)

    # a start that fails ends -d with a failure too: the port is taken
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        busy = s.getsockname()[1]
        p = subprocess.run([OMNIROUTED, "-d", "-D", str(tmp_path / "d2"),
                            "-l", "127.0.0.1:%d" % busy], stdout=log, stderr=log,
                           timeout=30, env=env)
        assert p.returncode != 0
    log.close()


# ---- master loss ----------------------------------------------------------------

def test_master_loss_frees_the_data_dir_and_port_while_streams_finish(daemon_factory, ca,
                                                                     relaying):
    d, provider = relaying
    provider.script(CHAT, events=["tok"] * 20, pause=0.2, times=1)   # ~4 s
    old_worker = d.worker_pids()[0]
    result = {}

    def stream():
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        c.request("POST", CHAT, body=json.dumps(
            {"model": "openai/gpt-4o-mini", "messages": [], "stream": True}),
            headers={"Content-Type": "application/json"})
        r = c.getresponse()
        result["data"] = r.read()
        c.close()
    t = threading.Thread(target=stream)
    t.start()
    provider.wait_requests(1, timeout=10)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(timeout=10)
    # a new daemon on the same data dir and port while the stream goes on
    d2 = daemon_factory(d.datadir.rsplit("/", 1)[1], workers=1,
                        env={"OMNIROUTE_CA_FILE": ca.ca})
    d2.port = d.port
    d2.log_path = d.log_path + ".2"
    d2.start(wait=False)
    d2.wait_ready(timeout=15)
    assert pid_alive(old_worker)              # still finishing the stream
    t.join(30)
    assert b"[DONE]" in result["data"]
    assert wait_for(lambda: not pid_alive(old_worker), timeout=10)
    assert d2.ctl_json("status")["pid"] == d2.proc.pid


# ---- a request body's own deadline ------------------------------------------------

def test_a_slow_body_that_keeps_coming_is_not_cut_and_a_stalled_one_is(daemon_factory):
    d = daemon_factory(env={"OMNIROUTE_HEADER_TIMEOUT_MS": "600",
                            "OMNIROUTE_BODY_IDLE_TIMEOUT_MS": "800"}).start()
    body = json.dumps({"name": "slow", "type": "http", "host": "127.0.0.1",
                       "port": 3128, "notes": "x" * 400}).encode()
    head = ("POST /api/v1/management/proxies HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % len(body)).encode()
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
        s.sendall(head)
        pieces = [body[i:i + 40] for i in range(0, len(body), 40)]
        for piece in pieces:                     # ~2.5 s in all, 0.2 s apart
            time.sleep(0.2)
            s.sendall(piece)
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]

    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
        s.sendall(head + body[:50])
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"body_idle_timeout_ms" in answer


def http_status(d, path):
    return d.http("GET", path)[0]
