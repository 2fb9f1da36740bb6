"""Privileges and files of the real daemon: `user = NAME` (every id of the master
and its workers dropped, relay and management still working, socket and pid
file removed at SIGTERM), refused starts (unknown user, a group-writable or
foreign data directory) that exit non-zero, the data directory created 0700
with every file in it 0600 (loose ones tightened), secrets from *_FILE files,
the empty-variable rule, and systemd readiness (READY=1, STATUS=, STOPPING=1)
read from a real AF_UNIX datagram socket."""

import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import OMNIRCTL, OMNIROUTED, SCRUBBED, Daemon, wait_for
from provider_standin import ProviderStandIn

API = "/api/v1/management/proxies"
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="dropping privileges needs root")


class FreshDirDaemon(Daemon):
    """A Daemon whose data directory is not created beforehand: omnirouted
    makes it (Daemon.start creates it first)."""

    def __init__(self, datadir, **kw):
        super().__init__(datadir, **kw)
        parent = os.path.dirname(self.datadir)
        while not os.path.isdir(parent):
            parent = os.path.dirname(parent)
        self.log_path = os.path.join(parent, os.path.basename(self.datadir) + ".log")

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self


@pytest.fixture
def fresh():
    started = []

    def make(datadir, **kw):
        d = FreshDirDaemon(datadir, **kw)
        started.append(d)
        return d
    yield make
    for d in started:
        d.stop()


@pytest.fixture
def open_parent():
    """A directory every user can traverse (pytest's tmp_path is root's 0700),
    for a data directory that the dropped daemon must reach by its path."""
    d = tempfile.mkdtemp(prefix="omniroute-priv-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def env_without_settings(extra=None):
    env = dict(os.environ)
    for k in SCRUBBED:
        env.pop(k, None)
    env.pop("NOTIFY_SOCKET", None)
    env.update(extra or {})
    return env


def run_daemon(args, env=None):
    """Run omnirouted expecting it to stop by itself (check or refused start)."""
    return subprocess.run([OMNIROUTED] + args, env=env_without_settings(env),
                          capture_output=True, text=True, timeout=60)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def proc_ids(pid):
    """{'Uid': [r, e, s, fs], 'Gid': [...], 'Groups': [...]} from /proc."""
    ids = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                ids[key] = [int(v) for v in value.split()]
    return ids


def alive(pid):
    """Running, not a zombie waiting for its parent."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---- files and the data directory ---------------------------------------------

def test_data_dir_created_0700_and_files_0600(fresh, tmp_path):
    d = fresh(tmp_path / "new" / "data").start()
    assert mode(d.datadir) == 0o700
    assert mode(tmp_path / "new") == 0o755      # a missing parent: searchable
    d.ctl_json("status")
    names = sorted(os.listdir(d.datadir))
    for name in ("omniroute.db", "omniroute.key", "omnirouted.lock", "omnirouted.sock"):
        assert name in names, names
    for name in names:
        assert mode(os.path.join(d.datadir, name)) == 0o600, (name, oct(mode(os.path.join(d.datadir, name))))
    assert d.stop() == 0


def test_group_writable_data_dir_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o775)
    p = run_daemon(["-D", str(data), "-l", "127.0.0.1:1", "-w", "1"])
    assert p.returncode == 1, p
    assert "data directory %s has mode 0775" % data in p.stderr
    assert "group- or world-writable" in p.stderr
    assert not os.path.exists(data / "omniroute.db")


def test_world_writable_data_dir_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o1777)
    p = run_daemon(["-D", str(data), "-l", "127.0.0.1:1", "-w", "1"])
    assert p.returncode == 1, p
    assert "has mode 1777" in p.stderr


def test_loose_files_are_tightened(daemon_factory):
    d = daemon_factory().start()
    d.ctl_json("status")
    assert d.stop() == 0
    db = os.path.join(d.datadir, "omniroute.db")
    os.chmod(db, 0o644)
    d.start()
    assert mode(db) == 0o600
    assert "had mode 0644; set it to 0600" in d.read_log()


def test_loose_key_file_is_still_refused(daemon_factory):
    d = daemon_factory().start()
    assert d.stop() == 0
    os.chmod(os.path.join(d.datadir, "omniroute.key"), 0o644)
    with pytest.raises(RuntimeError):
        d.start()
    assert d.proc.returncode == 1


# ---- secrets from files ---------------------------------------------------------

def management_status(d, key=None):
    headers = {"Authorization": "Bearer " + key} if key else {}
    return d.http("GET", API, headers=headers)[0]


def test_api_key_file(daemon_factory, tmp_path):
    secret = tmp_path / "api_key"
    secret.write_text("mgmt-from-file\r\nignored second line\n")
    d = daemon_factory(env={"OMNIROUTE_API_KEY_FILE": str(secret)}).start()
    assert management_status(d) == 401
    assert management_status(d, "ignored second line") == 403
    assert management_status(d, "mgmt-from-file") == 200
    assert "mgmt-from-file" not in d.read_log()


def test_api_key_file_from_the_config_file(daemon_factory, tmp_path):
    secret = tmp_path / "api_key"
    secret.write_text("from-conf-file\n")
    conf = tmp_path / "omnirouted.conf"
    conf.write_text("api_key_file = %s\n" % secret)
    d = daemon_factory(config=str(conf)).start()
    assert management_status(d) == 401
    assert management_status(d, "from-conf-file") == 200


def test_storage_key_file_is_the_passphrase(daemon_factory, tmp_path):
    secret = tmp_path / "storage_key"
    secret.write_text("a storage passphrase\n")
    d = daemon_factory(env={"STORAGE_ENCRYPTION_KEY_FILE": str(secret)}).start()
    assert not os.path.exists(os.path.join(d.datadir, "omniroute.key"))
    assert d.stop() == 0
    # the same passphrase given directly opens the same database
    d.env.pop("STORAGE_ENCRYPTION_KEY_FILE")
    d.env["STORAGE_ENCRYPTION_KEY"] = "a storage passphrase"
    d.start()
    assert d.stop() == 0
    d.env["STORAGE_ENCRYPTION_KEY"] = "another passphrase"
    with pytest.raises(RuntimeError):
        d.start()
    assert "storage key does not match" in d.read_log()


@pytest.mark.parametrize("var", ["OMNIROUTE_API_KEY", "STORAGE_ENCRYPTION_KEY"])
def test_variable_and_its_file_twin_is_an_error(tmp_path, var):
    secret = tmp_path / "secret"
    secret.write_text("s\n")
    env = {var: "direct", var + "_FILE": str(secret)}
    p = run_daemon(["-n"], env)
    assert p.returncode == 1
    assert "%s and %s_FILE are both set" % (var, var) in p.stderr
    p = run_daemon(["-D", str(tmp_path / "data"), "-l", "127.0.0.1:1"], env)
    assert p.returncode == 1
    assert "both set" in p.stderr
    assert not os.path.exists(tmp_path / "data")


def test_unreadable_secret_file_names_the_file_not_its_content(tmp_path):
    missing = tmp_path / "missing"
    p = run_daemon(["-n"], {"OMNIROUTE_API_KEY_FILE": str(missing)})
    assert p.returncode == 1
    assert "cannot read %s" % missing in p.stderr
    a_dir = tmp_path / "adir"
    a_dir.mkdir()
    p = run_daemon(["-n"], {"STORAGE_ENCRYPTION_KEY_FILE": str(a_dir)})
    assert p.returncode == 1
    assert str(a_dir) in p.stderr
    blank = tmp_path / "blank"
    blank.write_text("\nthe-hidden-secret\n")
    p = run_daemon(["-n"], {"OMNIROUTE_API_KEY_FILE": str(blank)})
    assert p.returncode == 1
    assert "%s: its first line is empty" % blank in p.stderr
    assert "the-hidden-secret" not in p.stderr + p.stdout


def test_empty_variables_count_as_unset(daemon_factory, tmp_path):
    conf = tmp_path / "omnirouted.conf"
    conf.write_text("log_level = debug\n")
    p = run_daemon(["-n", "-c", str(conf)], {"OMNIROUTE_LOG_LEVEL": "",
                                             "OMNIROUTE_USER": "",
                                             "OMNIROUTE_API_KEY_FILE": ""})
    assert p.returncode == 0, p.stderr
    # an empty key is no key: /api answers loopback peers without one
    d = daemon_factory(env={"OMNIROUTE_API_KEY": "", "OMNIROUTE_API_KEY_FILE": ""}).start()
    assert management_status(d) == 200


# ---- user = NAME ---------------------------------------------------------------

def test_unknown_user_is_refused(tmp_path):
    p = run_daemon(["-n", "-u", "no-such-user-omniroute"])
    assert p.returncode == 1
    assert "user no-such-user-omniroute: no such user" in p.stderr
    p = run_daemon(["-D", str(tmp_path / "data"), "-l", "127.0.0.1:1"],
                   {"OMNIROUTE_USER": "no-such-user-omniroute"})
    assert p.returncode == 1
    assert "no such user" in p.stderr
    assert not os.path.exists(tmp_path / "data")


@needs_root
def test_data_dir_owned_by_another_user_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    p = run_daemon(["-D", str(data), "-l", "127.0.0.1:1", "-u", "nobody"])
    assert p.returncode == 1
    assert "data directory %s is owned by uid 0" % data in p.stderr


@needs_root
def test_unreachable_data_dir_is_refused_after_the_drop(tmp_path):
    # tmp_path's parents are root's 0700: nobody cannot reach the directory
    data = tmp_path / "data"
    p = run_daemon(["-D", str(data), "-l", "127.0.0.1:1", "-u", "nobody"])
    assert p.returncode == 1
    assert "user nobody cannot use data directory %s" % data in p.stderr


@needs_root
def test_another_user_needs_root(open_parent):
    data = os.path.join(open_parent, "data")
    p = subprocess.run([OMNIROUTED, "-D", data, "-l", "127.0.0.1:1", "-u", "daemon"],
                       env=env_without_settings(), capture_output=True, text=True,
                       timeout=60, user="nobody")
    assert p.returncode == 1
    assert "user daemon (uid %d) needs omnirouted started as root" % \
        pwd.getpwnam("daemon").pw_uid in p.stderr
    assert not os.path.exists(data)


@pytest.fixture(scope="module")
def provider(ca):
    s = ProviderStandIn(ca, pause=0.01)
    yield s
    s.stop()


@needs_root
def test_user_nobody_drops_every_id_in_every_process(fresh, open_parent, ca, provider):
    nobody = pwd.getpwnam("nobody")
    ca_copy = os.path.join(open_parent, "ca.pem")
    shutil.copy(ca.ca, ca_copy)
    os.chmod(ca_copy, 0o644)
    data = os.path.join(open_parent, "data")
    conf = os.path.join(open_parent, "omnirouted.conf")
    with open(conf, "w") as f:
        f.write("user = nobody\nca_file = %s\n" % ca_copy)
    os.chmod(conf, 0o644)
    d = fresh(data, config=conf, workers=2).start()

    st = os.stat(data)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (nobody.pw_uid, nobody.pw_gid, 0o700)
    for name in os.listdir(data):
        s = os.lstat(os.path.join(data, name))
        assert (s.st_uid, stat.S_IMODE(s.st_mode)) == (nobody.pw_uid, 0o600), name
    pids = [d.proc.pid] + d.worker_pids()
    assert len(pids) == 3
    for pid in pids:
        ids = proc_ids(pid)
        assert ids["Uid"] == [nobody.pw_uid] * 4, (pid, ids)
        assert ids["Gid"] == [nobody.pw_gid] * 4, (pid, ids)
        assert set(ids["Groups"]) <= {nobody.pw_gid}, (pid, ids)
    assert "running as user nobody" in d.read_log()
    assert "running as root" not in d.read_log()

    # management: HTTP and the control socket, as root and as the user
    status, rec = d.http("POST", API, {"name": "P", "host": "127.0.0.1", "port": 8080})
    assert status == 201, rec
    p = subprocess.run([OMNIRCTL, "-s", d.sock, "--json", "proxy", "list"],
                       capture_output=True, text=True, timeout=60, user="nobody",
                       env=env_without_settings())
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["items"][0]["id"] == rec["id"]

    # relay through a worker that runs as nobody (it reads the CA file)
    provider.reset()
    d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1", host="127.0.0.1"))
    d.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-main")
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    c.request("POST", "/v1/chat/completions", body=json.dumps(
        {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}),
        headers={"Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    c.close()
    assert r.status == 200, body
    assert provider.requests[-1].headers["authorization"] == "Bearer sk-main"

    # a reload (as the user) still works
    assert d.ctl_json("reload") is not None

    assert d.stop(signal.SIGTERM) == 0
    assert not os.path.exists(d.sock)
    assert wait_for(lambda: not any(alive(p) for p in pids), timeout=20)
    assert "stopped" in d.read_log()


@needs_root
def test_user_nobody_daemonized_removes_pid_file_and_socket(open_parent):
    data = os.path.join(open_parent, "data")
    sock = os.path.join(data, "omnirouted.sock")
    pid_file = os.path.join(data, "omnirouted.pid")
    port = Daemon(data).port
    log = open(os.path.join(open_parent, "daemon.log"), "ab")
    p = subprocess.run([OMNIROUTED, "-d", "-D", data, "-l", "127.0.0.1:%d" % port,
                        "-w", "1", "-u", "nobody"], env=env_without_settings(),
                       stdout=log, stderr=log, timeout=60)
    assert p.returncode == 0
    pid = None
    try:
        assert wait_for(lambda: os.path.exists(sock) and os.path.exists(pid_file)
                        and open(pid_file).read().endswith("\n"), timeout=20)
        pid = int(open(pid_file).read())
        assert proc_ids(pid)["Uid"] == [pwd.getpwnam("nobody").pw_uid] * 4
        s = os.lstat(pid_file)
        assert (s.st_uid, stat.S_IMODE(s.st_mode)) == (pwd.getpwnam("nobody").pw_uid, 0o600)
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not alive(pid), timeout=30)
        pid = None
        assert not os.path.exists(pid_file)
        assert not os.path.exists(sock)
    finally:
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)
        log.close()


@needs_root
def test_root_without_user_warns(daemon):
    assert "running as root: set 'user'" in daemon.read_log()


# ---- systemd readiness ------------------------------------------------------------

def read_notifications(sock, until, timeout=30):
    """Datagrams (as text) until one holds the line `until`."""
    got = []
    sock.settimeout(timeout)
    while True:
        msg = sock.recv(4096).decode()
        got.append(msg)
        if until in msg.split("\n"):
            return got


def test_sd_notify_ready_status_stopping(daemon_factory, tmp_path):
    path = str(tmp_path / "notify.sock")
    if len(path) >= 100:
        path = tempfile.mktemp(prefix="omni-notify-", dir="/tmp")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(path)
        try:
            d = daemon_factory(env={"NOTIFY_SOCKET": path}).start(wait=False)
            got = read_notifications(s, "READY=1")
            d.wait_ready()
            status = [m for m in got if m.startswith("STATUS=")]
            assert status and "serving on 127.0.0.1:%d" % d.port in status[0], got
            assert d.http("GET", "/healthz")[0] == 200
            d.proc.send_signal(signal.SIGTERM)
            got = read_notifications(s, "STOPPING=1")
            assert d.proc.wait(timeout=30) == 0
        finally:
            os.unlink(path)


def test_sd_notify_around_reloads(daemon_factory, tmp_path):
    """RELOADING=1 when a reload begins; READY=1 again when it ends, applied,
    refused or failed, with a STATUS line saying which; READY=1 only once
    the workers serve."""
    name = "omniroute-test-reload-%d" % os.getpid()
    cfg = tmp_path / "c.conf"
    cfg.write_text("log_level = info\n")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind("\0" + name)
        d = daemon_factory(config=str(cfg), env={"NOTIFY_SOCKET": "@" + name}).start(
            wait=False)
        read_notifications(s, "READY=1")
        # READY=1 came once every worker serves: both answer at once
        serving = [w for w in d.ctl_json("workers")["items"] if w["serving"]]
        assert len(serving) == 2, serving
        cfg.write_text("log_level = debug\n")
        assert d.ctl("reload")[0] == 0
        got = read_notifications(s, "READY=1")
        assert "RELOADING=1" in "\n".join(got).split("\n"), got
        assert any(line.startswith("MONOTONIC_USEC=") for m in got
                   for line in m.split("\n")), got
        assert any("reloaded" in m for m in got if m.startswith("STATUS=")), got
        cfg.write_text("log_level = shouting\n")
        assert d.ctl("reload")[0] != 0
        got = read_notifications(s, "READY=1")
        text = "\n".join(got)
        assert "RELOADING=1" in text.split("\n") and "STATUS=reload refused" in text, got
        assert d.stop() == 0


def test_sd_notify_abstract_socket(daemon_factory):
    name = "omniroute-test-notify-%d" % os.getpid()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind("\0" + name)
        d = daemon_factory(env={"NOTIFY_SOCKET": "@" + name}).start(wait=False)
        read_notifications(s, "READY=1")
        d.wait_ready()
        assert d.stop() == 0
        read_notifications(s, "STOPPING=1")


# ---- what a forked worker keeps -------------------------------------------------------

def fd_targets(pid):
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            pass
    return out


def test_workers_hold_no_storage_key_database_or_lock(daemon_factory):
    storage_key = "storage-passphrase-canary-7f3a"
    api_key = "api-key-canary-91bd"
    d = daemon_factory(env={"STORAGE_ENCRYPTION_KEY": storage_key,
                            "OMNIROUTE_API_KEY": api_key}).start()
    master_fds = fd_targets(d.proc.pid)
    assert any(t.endswith("/omniroute.db") for t in master_fds), master_fds
    for round_ in ("start", "reload"):
        pids = [w["pid"] for w in d.ctl_json("workers")["items"] if w["serving"]]
        assert len(pids) == 2
        for pid in pids:
            with open("/proc/%d/environ" % pid, "rb") as f:
                environ = f.read()
            assert storage_key.encode() not in environ, round_
            assert api_key.encode() not in environ, round_
            held = [t for t in fd_targets(pid)
                    if os.path.basename(t).startswith(("omniroute.db", "omnirouted.lock"))]
            assert held == [], (round_, held)
        if round_ == "start":
            assert d.ctl("reload")[0] == 0
    # the master kept both: the API key still guards /api, the storage key still
    # encrypts, and a restart with the same key reads what was written
    status, _ = d.http("GET", "/api/v1/management/proxies")
    assert status == 401
    status, body = d.http("POST", "/api/v1/management/proxies",
                          {"name": "K", "type": "http", "host": "127.0.0.1", "port": 3128,
                           "username": "u", "password": "p"},
                          headers={"Authorization": "Bearer " + api_key})
    assert status == 201, body
    assert d.stop() == 0
    d.start()
    rc, out, _ = d.ctl("backup", "export", "--secrets", json_out=True)
    assert rc == 0 and '"password":"p"' in out.replace(" ", ""), out[:300]
