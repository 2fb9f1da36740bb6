"""omnirouted's lifecycle: configuration checking and precedence, reload by
SIGHUP and by omnirctl, worker respawn, snapshot propagation, restart on the
same data directory, the storage key, the control socket file, the single
instance rule, SIGTERM, and the database's mode and schema version."""

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import LATEST_SCHEMA, OMNIROUTED, SCRUBBED, new_proxy

V1 = "/api/v1/management/proxies"


# ---- helpers --------------------------------------------------------------------

def wait_for(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until it returns a true value (returned) or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def clean_env(extra=None):
    env = dict(os.environ)
    for k in SCRUBBED:
        env.pop(k, None)
    env.update(extra or {})
    return env


def check_config(args, env=None, cwd=None):
    p = subprocess.run([OMNIROUTED, "-n"] + list(args), capture_output=True, text=True,
                       env=clean_env(env), timeout=30, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def healthz(d, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def log_size(d):
    try:
        return os.path.getsize(d.log_path)
    except OSError:
        return 0


def log_since(d, offset):
    with open(d.log_path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def expect_refused_start(d, timeout=20):
    """Start d, which must exit non-zero by itself; returns (rc, its log output)."""
    offset = log_size(d)
    d.start(wait=False)
    try:
        rc = d.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("omnirouted started although it should have refused:\n" +
                             log_since(d, offset))
    d.log.close()
    return rc, log_since(d, offset)


def bare_argv(d, *extra):
    """An argv without -w, so the worker count comes from file or environment."""
    def argv():
        args = [OMNIROUTED, "-D", d.datadir, "-l", "127.0.0.1:%d" % d.port]
        if d.config:
            args += ["-c", d.config]
        return args + list(extra)
    return argv


class HealthLoop(threading.Thread):
    """Fresh-connection /healthz requests in a loop, bounded to max_seconds,
    recording every failure (a refused connection above all)."""

    def __init__(self, d, max_seconds=3.0):
        super().__init__(daemon=True)
        self.d = d
        self.max_seconds = max_seconds
        self.stop_flag = threading.Event()
        self.ok = 0
        self.errors = []

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        while not self.stop_flag.is_set() and time.monotonic() < deadline:
            try:
                status, body = healthz(self.d)
                if status == 200 and body.get("status") == "ok":
                    self.ok += 1
                else:
                    self.errors.append((status, body))
            except (OSError, http.client.HTTPException, ValueError) as e:
                self.errors.append(repr(e))
            time.sleep(0.005)

    def finish(self):
        self.stop_flag.set()
        self.join(timeout=15)
        assert not self.is_alive()


# ---- configuration check (-n) ------------------------------------------------------

def test_check_good_config(tmp_path):
    cfg = write(tmp_path / "good.conf", "# omnirouted\nlisten = 127.0.0.1:20999\n"
                "workers = 2\nlog_level = \"debug\"\n\nheader_timeout_ms = 5000\n")
    rc, out, err = check_config(["-c", cfg, "-D", str(tmp_path / "never")])
    assert rc == 0, err
    assert out.strip() == "configuration OK"
    assert not os.path.exists(tmp_path / "never"), "-n must not create the data directory"


def test_check_without_config_file(tmp_path):
    rc, out, err = check_config(["-D", str(tmp_path / "d")])
    assert rc == 0 and "configuration OK" in out, err


def test_check_unknown_key_names_file_and_line(tmp_path):
    cfg = write(tmp_path / "bad.conf", "# comment\nworkers = 2\nbogus_setting = 1\nlog_level = info\n")
    rc, out, err = check_config(["-c", cfg])
    assert rc == 1
    assert "configuration OK" not in out
    assert "%s:3" % cfg in err, err
    assert "bogus_setting" in err


def test_daemon_refuses_to_start_with_a_bad_config(daemon_factory, tmp_path):
    cfg = write(tmp_path / "bad.conf", "# comment\nworkers = 2\nbogus_setting = 1\n")
    d = daemon_factory(config=cfg)
    rc, log = expect_refused_start(d)
    assert rc == 1
    assert "%s:3" % cfg in log and "bogus_setting" in log


@pytest.mark.parametrize("text,line,word", [
    ("listen = 127.0.0.1:1\nno equals sign here\n", 2, "key = value"),
    ("workers = 2\n\n\nworkers = zero\n", 4, "workers"),
    ("log_level = loud\n", 1, "log_level"),
    ("header_timeout_ms = 5\n", 1, "header_timeout_ms"),
    ("enable_socks5_proxy = maybe\n", 1, "enable_socks5_proxy"),
])
def test_check_bad_values(tmp_path, text, line, word):
    cfg = write(tmp_path / "bad.conf", text)
    rc, out, err = check_config(["-c", cfg])
    assert rc == 1, out
    assert word in err, err
    if word not in ("workers", "log_level"):        # checked after the file is read
        assert "%s:%d" % (cfg, line) in err, err


def test_check_bad_environment(tmp_path):
    rc, out, err = check_config([], env={"OMNIROUTE_HEADER_TIMEOUT_MS": "abc"})
    assert rc == 1 and "OMNIROUTE_HEADER_TIMEOUT_MS" in err, err


def test_check_precedence(tmp_path):
    # an invalid value is fine when a stronger source replaces it
    bad_file = write(tmp_path / "w.conf", "workers = lots\n")
    assert check_config(["-c", bad_file])[0] == 1
    assert check_config(["-c", bad_file], env={"OMNIROUTE_WORKERS": "2"})[0] == 0
    assert check_config(["-c", bad_file], env={"OMNIROUTE_WORKERS": "lots"})[0] == 1
    assert check_config(["-c", bad_file, "-w", "2"], env={"OMNIROUTE_WORKERS": "lots"})[0] == 0
    good_file = write(tmp_path / "g.conf", "workers = 2\n")
    assert check_config(["-c", good_file], env={"OMNIROUTE_WORKERS": "lots"})[0] == 1
    assert check_config(["-c", good_file, "-w", "0"])[0] == 1


@pytest.mark.parametrize("env,flag,expected", [
    ({}, None, 3),                                 # file
    ({"OMNIROUTE_WORKERS": "2"}, None, 2),         # env > file
    ({"OMNIROUTE_WORKERS": "2"}, "1", 1),          # flag > env > file
])
def test_workers_precedence(daemon_factory, tmp_path, env, flag, expected):
    cfg = write(tmp_path / "w.conf", "workers = 3\n")
    d = daemon_factory(config=cfg, env=env)
    d.argv = bare_argv(d, *(["-w", flag] if flag else []))
    d.workers = expected                   # what start() waits for
    d.start()
    status = d.ctl_json("status")
    assert status["workersConfigured"] == expected
    wait_for(lambda: len(d.worker_pids()) == expected, 10, what="%d workers" % expected)


def test_log_level_precedence(daemon_factory, tmp_path):
    cfg = write(tmp_path / "l.conf", "log_level = warn\n")
    d = daemon_factory(config=cfg, env={"OMNIROUTE_LOG_LEVEL": "error"}).start()
    assert d.ctl_json("status")["logLevel"] == "error"


# ---- reload ---------------------------------------------------------------------

def reload_setup(daemon_factory, tmp_path):
    cfg = write(tmp_path / "r.conf", "log_level = info\n")
    d = daemon_factory(config=cfg).start()
    assert d.ctl_json("status")["logLevel"] == "info"
    return d, cfg


def wait_all_replaced(d, old):
    def replaced():
        pids = d.worker_pids()
        return len(pids) == d.workers and not set(pids) & set(old) and pids
    new = wait_for(replaced, 10, what="new workers")
    wait_for(lambda: not any(pid_alive(p) for p in old), 10, what="old workers to exit")
    return new


def test_sighup_reload_replaces_workers_without_refusing(daemon_factory, tmp_path):
    d, cfg = reload_setup(daemon_factory, tmp_path)
    old = d.worker_pids()
    write(cfg, "log_level = debug\n")
    loop = HealthLoop(d, max_seconds=3.0)
    loop.start()
    time.sleep(0.2)                                # requests are flowing
    d.proc.send_signal(signal.SIGHUP)
    new = wait_all_replaced(d, old)
    loop.finish()
    assert loop.errors == [], loop.errors[:5]
    assert loop.ok > 0
    assert len(new) == 2
    assert d.ctl_json("status")["logLevel"] == "debug"
    assert "configuration reloaded" in d.read_log()
    assert healthz(d)[0] == 200


def test_sighup_with_bad_config_keeps_old_workers(daemon_factory, tmp_path):
    d, cfg = reload_setup(daemon_factory, tmp_path)
    old = sorted(d.worker_pids())
    offset = log_size(d)
    write(cfg, "log_level = debug\nbogus_setting = 1\n")
    d.proc.send_signal(signal.SIGHUP)
    log = wait_for(lambda: "reload refused" in log_since(d, offset) and log_since(d, offset),
                   5, what="'reload refused' in the log")
    assert "bogus_setting" in log and "%s:2" % cfg in log, log
    assert sorted(d.worker_pids()) == old
    assert all(pid_alive(p) for p in old)
    assert d.ctl_json("status")["logLevel"] == "info"
    for _ in range(5):
        assert healthz(d)[0] == 200


def test_reload_refuses_restart_only_change(daemon_factory, tmp_path):
    d, cfg = reload_setup(daemon_factory, tmp_path)
    old = sorted(d.worker_pids())
    write(cfg, "log_level = info\ncontrol_socket = %s\n" % (tmp_path / "moved.sock"))
    # -s is not given, so the file's control_socket applies and differs
    rc, out, err = d.ctl("reload")
    assert rc == 1
    assert "needs a restart" in out + err
    assert sorted(d.worker_pids()) == old


def test_omnirctl_reload(daemon_factory, tmp_path):
    d, cfg = reload_setup(daemon_factory, tmp_path)
    old = d.worker_pids()
    write(cfg, "log_level = warn\n")
    rc, out, err = d.ctl("reload", json_out=True)
    assert rc == 0, (out, err)
    assert json.loads(out)["success"] is True
    wait_all_replaced(d, old)
    assert d.ctl_json("status")["logLevel"] == "warn"

    old = sorted(d.worker_pids())
    write(cfg, "log_level = shouting\n")
    rc, out, err = d.ctl("reload")
    assert rc == 1
    assert "reload refused" in out + err and "log_level" in out + err
    assert sorted(d.worker_pids()) == old
    assert d.ctl_json("status")["logLevel"] == "warn"
    assert healthz(d)[0] == 200


# ---- worker supervision -------------------------------------------------------------

def test_killed_worker_is_respawned(daemon):
    old = daemon.worker_pids()
    victim = old[0]
    loop = HealthLoop(daemon, max_seconds=2.0)
    loop.start()
    os.kill(victim, signal.SIGKILL)
    new = wait_for(lambda: (lambda p: len(p) == 2 and victim not in p and p)(daemon.worker_pids()),
                   5, what="a replacement worker")
    loop.finish()
    assert old[1] in new                         # the other one untouched
    # a request the killed worker had already accepted dies with it (kill -9);
    # everything else keeps being served by the other worker and the new one
    assert len(loop.errors) <= 2, loop.errors[:5]
    assert healthz(daemon)[0] == 200
    log = wait_for(lambda: "pid %d killed by signal 9" % victim in daemon.read_log()
                   and daemon.read_log(), 5, what="the death in the log")
    assert "respawning" in log
    workers = daemon.ctl_json("workers")["items"]
    assert [w["restarts"] for w in workers if w["pid"] not in old] == [1]


def test_mutation_is_visible_to_every_worker_when_the_reply_arrives(daemon):
    proxies = [new_proxy(daemon, name="V%d" % i, host="v%d.example" % i)["id"] for i in range(4)]
    for i in range(20):
        target = proxies[i % 4]
        rc, out, err = daemon.ctl("assign", "set", "account", "conn-X", target)
        assert rc == 0, (out, err)
        # straight away, on fresh connections (any worker may take each)
        answers = [daemon.http("GET", V1 + "/assignments?resolve_connection_id=conn-X")
                   for _ in range(4)]
        generation = daemon.ctl_json("status")["generation"]   # nothing else mutates
        for code, body in answers:
            assert code == 200
            assert body["proxyId"] == target, (i, body)
            assert body["level"] == "account" and body["levelId"] == "conn-X"
            assert body["generation"] >= generation, (i, body["generation"], generation)
        for w in daemon.ctl_json("workers")["items"]:
            assert w["generation"] >= generation, (i, w, generation)


# ---- restart and the data directory ----------------------------------------------------

def everything(d):
    state = {}
    state["list"] = d.http("GET", V1 + "?limit=200")[1]
    state["assignments"] = d.http("GET", V1 + "/assignments?limit=200")[1]
    state["scoped"] = d.http("GET", "/api/settings/proxy")[1]
    backup = d.secret_backup()
    backup.pop("exportedAt", None)
    state["backup"] = backup
    state["resolve"] = d.http("GET", V1 + "/assignments?resolve_connection_id=c1&provider=openai")[1]
    state["resolve"].pop("generation", None)
    return state


def seed(d):
    a = new_proxy(d, name="A", host="a.example", port=1080, type="socks5",
                  username="alice", password="pw-alice")
    b = new_proxy(d, name="B", host="b.example", port=3128, status="inactive", notes="n")
    for body in ({"scope": "global", "proxyId": a["id"]},
                 {"scope": "provider", "scopeId": "openai", "proxyId": b["id"]},
                 {"scope": "account", "scopeId": "c1", "proxyId": "direct"}):
        assert d.http("PUT", V1 + "/assignments", body)[0] == 200
    assert d.http("PUT", "/api/settings/proxy", {"combos": {"fast": {
        "host": "scoped.example", "port": 8080, "username": "u", "password": "pw-scoped"}}})[0] == 200
    return a, b


def test_restart_keeps_everything(daemon):
    seed(daemon)
    before = everything(daemon)
    assert before["list"]["page"]["total"] == 3
    assert before["backup"]["proxies"][0]["password"] not in ("", "***")
    assert daemon.stop() == 0
    daemon.start()
    after = everything(daemon)
    assert after == before


def test_wrong_storage_key_is_refused(daemon_factory):
    right = {"STORAGE_ENCRYPTION_KEY": "correct horse battery staple"}
    d = daemon_factory(env=right).start()
    rec = new_proxy(d, username="u", password="secret-pw")
    assert d.stop() == 0
    assert not os.path.exists(os.path.join(d.datadir, "omniroute.key"))

    wrong = daemon_factory(env={"STORAGE_ENCRYPTION_KEY": "incorrect horse"})
    rc, log = expect_refused_start(wrong)
    assert rc != 0
    assert "storage key" in log, log
    assert "incorrect horse" not in log and "correct horse" not in log
    assert not os.path.exists(wrong.sock)

    again = daemon_factory(env=right).start()
    backup = again.secret_backup()
    assert [(p["id"], p["password"]) for p in backup["proxies"]] == [(rec["id"], "secret-pw")]


def test_key_file_database_refuses_an_env_key(daemon_factory):
    d = daemon_factory().start()
    new_proxy(d, username="u", password="pw")   # a password alone is refused
    assert d.stop() == 0
    key = os.path.join(d.datadir, "omniroute.key")
    assert os.stat(key).st_mode & 0o777 == 0o600
    other = daemon_factory(env={"STORAGE_ENCRYPTION_KEY": "some passphrase"})
    rc, log = expect_refused_start(other)
    assert rc != 0 and "storage key" in log, log
    assert daemon_factory().start().http("GET", V1)[1]["page"]["total"] == 1


def test_stale_control_socket_is_replaced(daemon_factory):
    d = daemon_factory()
    os.makedirs(d.datadir)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(d.sock)
    s.close()                                     # the file stays, nobody listens
    assert os.path.exists(d.sock)
    d.start()
    assert "removing stale control socket" in d.read_log()
    assert d.ctl_json("status")["pid"] == d.proc.pid
    assert os.stat(d.sock).st_mode & 0o777 == 0o600


def test_non_socket_at_the_control_path_is_refused(daemon_factory):
    d = daemon_factory()
    os.makedirs(d.datadir)
    write(d.sock, "not a socket\n")
    rc, log = expect_refused_start(d)
    assert rc != 0 and "is not a socket" in log, log
    assert open(d.sock).read() == "not a socket\n"


def test_second_daemon_on_the_same_data_dir_is_refused(daemon_factory):
    first = daemon_factory().start()
    second = daemon_factory()                     # the same tmp_path/"data"
    assert second.datadir == first.datadir
    rc, log = expect_refused_start(second)
    assert rc != 0
    assert "another omnirouted is running" in log, log
    # the first one is untouched: socket still there and answering
    assert os.path.exists(first.sock)
    assert first.ctl_json("status")["pid"] == first.proc.pid
    assert healthz(first)[0] == 200


def test_second_daemon_with_another_socket_on_the_same_data_dir_is_refused(daemon_factory, tmp_path):
    # The data directory, not the socket path, is what must be exclusive: two
    # masters on one database break "the master is the only writer".
    first = daemon_factory().start()
    second = daemon_factory(extra_args=["-s", str(tmp_path / "other.sock")])
    assert second.datadir == first.datadir
    offset = log_size(second)
    second.start(wait=False)

    def exited_or_serving():
        if second.proc.poll() is not None:
            return "exited"
        try:
            return healthz(second, timeout=1)[0] == 200 and "serving"
        except OSError:
            return False
    outcome = wait_for(exited_or_serving, 10, what="the second omnirouted to exit or serve")
    log = log_since(second, offset)
    assert outcome == "exited", "a second omnirouted runs on the same data dir:\n" + log
    assert second.proc.returncode != 0
    assert "another omnirouted is running" in log, log
    assert first.ctl_json("status")["pid"] == first.proc.pid


def test_sigterm_stops_cleanly(daemon):
    pids = daemon.worker_pids()
    assert os.path.exists(daemon.sock)
    assert daemon.stop(signal.SIGTERM) == 0
    assert not os.path.exists(daemon.sock)
    wait_for(lambda: not any(pid_alive(p) for p in pids), 5, what="workers to exit")
    with pytest.raises(OSError):
        healthz(daemon, timeout=2)
    assert "stopped" in daemon.read_log()


def test_sigint_stops_cleanly(daemon):
    assert daemon.stop(signal.SIGINT) == 0
    assert not os.path.exists(daemon.sock)


def test_database_is_wal_with_every_migration_recorded(daemon):
    path = os.path.join(daemon.datadir, "omniroute.db")
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [r[0] for r in con.execute("SELECT version FROM schema_version")]
    finally:
        con.close()
    assert versions == list(range(1, LATEST_SCHEMA + 1))
    assert daemon.ctl_json("version")["schemaVersion"] == LATEST_SCHEMA


def test_newer_schema_is_refused(daemon):
    assert daemon.stop() == 0
    path = os.path.join(daemon.datadir, "omniroute.db")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_version (version, name, applied_at) "
                "VALUES (999, '0999_future', '2030-01-01T00:00:00.000Z')")
    con.commit()
    con.close()
    rc, log = expect_refused_start(daemon)
    assert rc != 0
    assert "schema version 999" in log and "newer" in log, log
    assert not os.path.exists(daemon.sock)
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        assert sorted(r[0] for r in con.execute("SELECT version FROM schema_version")) == list(range(1, LATEST_SCHEMA + 1)) + [999]
    finally:
        con.close()
