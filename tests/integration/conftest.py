"""Fixtures for the integration suite: a real omnirouted (master + workers) in a
temporary data directory on a free loopback port, with helpers to call its HTTP
management API and to run omnirctl against its control socket."""

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import http.client

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SCHEMA_DIR = os.path.join(HERE, "..", "..", "schema")
# The newest migration (schema/NNNN_name.sql) the binary embeds.
LATEST_SCHEMA = max(int(f[:4]) for f in os.listdir(SCHEMA_DIR) if f.endswith(".sql"))

OMNIROUTED = os.environ.get("OMNIROUTED", os.path.join(os.getcwd(), "omnirouted"))
OMNIRCTL = os.environ.get("OMNIRCTL", os.path.join(os.getcwd(), "omnirctl"))

# Environment variables that would leak the caller's settings into the daemon.
SCRUBBED = [k for k in os.environ if k.startswith("OMNIROUTE_") or k in (
    "STORAGE_ENCRYPTION_KEY", "ENABLE_SOCKS5_PROXY", "PROXY_FAIL_OPEN",
    "REQUIRE_API_KEY", "ONEPROXY_ENABLED", "ONEPROXY_API_URL", "CLIPROXYAPI_URL",
    "CARES_HOSTS", "STORAGE_ENCRYPTION_KEY_FILE", "NOTIFY_SOCKET")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """One omnirouted process tree and the ways to talk to it."""

    def __init__(self, datadir, workers=2, env=None, config=None, extra_args=()):
        self.datadir = str(datadir)
        self.port = free_port()
        self.sock = os.path.join(self.datadir, "omnirouted.sock")
        self.workers = workers
        self.env = dict(os.environ)
        for k in SCRUBBED:
            self.env.pop(k, None)
        self.env.update(env or {})
        self.config = config
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(self.datadir, "..", os.path.basename(self.datadir) + ".log")

    def argv(self):
        args = [OMNIROUTED, "-D", self.datadir, "-l", "127.0.0.1:%d" % self.port,
                "-w", str(self.workers)]
        if self.config:
            args += ["-c", self.config]
        return args + self.extra_args

    def start(self, wait=True):
        os.makedirs(self.datadir, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("omnirouted exited with %s:\n%s" % (
                    self.proc.returncode, self.read_log()))
            try:
                status, _ = self.http("GET", "/healthz")
                if status == 200 and os.path.exists(self.sock) and self.all_serving():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("omnirouted not ready:\n" + self.read_log())

    def all_serving(self):
        """Every worker the daemon was started with accepts (the master has
        seen each hold its snapshot): one answering /healthz is not enough."""
        rc, out, _ = self.ctl("workers", json_out=True)
        if rc != 0:
            return False
        items = json.loads(out)["items"]
        return sum(1 for w in items if w.get("serving")) >= self.workers

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc

    # ---- HTTP -------------------------------------------------------------
    def http(self, method, path, body=None, headers=None, raw_body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif data is not None and path.startswith("/api/"):
            # /api takes JSON only (else 415): a raw body is sent as JSON,
            # well-formed or not, unless the test names another type
            if not any(k.lower() == "content-type" for k in hdrs):
                hdrs["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            text = resp.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, parsed

    def raw(self, data, timeout=10):
        """Send raw bytes; return everything the server answers until it closes
        (or the timeout passes)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            chunks = []
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except socket.timeout:
                pass
        return b"".join(chunks)

    # ---- omnirctl -----------------------------------------------------------
    def ctl(self, *args, json_out=False, input=None, env=None):
        argv = [OMNIRCTL, "-s", self.sock]
        if json_out:
            argv.append("--json")
        argv += [str(a) for a in args]
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.run(argv, capture_output=True, text=True, input=input,
                           env=e, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def secret_backup(self):
        """A backup with secrets, taken as the owner does: over the control
        socket (HTTP sends secrets only with a management key)."""
        return self.ctl_json("backup", "export", "--secrets")

    def ctl_json(self, *args):
        rc, out, err = self.ctl(*args, json_out=True)
        assert rc == 0, (rc, out, err)
        return json.loads(out)

    def probe_json(self, *args):
        """A probe (proxy test, conn test) with --json: its answer. It exits 0
        when the probe succeeded and 1 when it failed, printing it either way."""
        rc, out, err = self.ctl(*args, json_out=True)
        res = json.loads(out)
        assert rc == (0 if res["success"] else 1), (rc, out, err)
        return res

    def control(self, line):
        """One raw control line over the Unix socket; returns (status, json)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(30)
            s.connect(self.sock)
            s.sendall(line.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        status, _, rest = buf.decode().partition(" ")
        return int(status), json.loads(rest)

    def worker_pids(self):
        return [w["pid"] for w in self.ctl_json("workers")["items"]]


@pytest.fixture
def daemon_factory(tmp_path):
    started = []

    def make(name="data", **kw):
        d = Daemon(tmp_path / name, **kw)
        started.append(d)
        return d
    yield make
    for d in started:
        d.stop()
        log = d.read_log()
        assert "AddressSanitizer" not in log and "runtime error:" not in log, log


@pytest.fixture
def daemon(daemon_factory):
    return daemon_factory().start()


def wait_for(predicate, timeout=5.0):
    """Poll predicate() every 50 ms for up to timeout seconds; its last answer."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def probe(d, proxy_id, url, timeout_ms=8000):
    """omnirctl proxy test through proxy_id to url; the JSON answer."""
    rc, out, err = d.ctl("--json", "proxy", "test", proxy_id, "--url", url,
                         "--timeout-ms", str(timeout_ms))
    res = json.loads(out)
    # a probe that failed still prints its answer, and exits 1
    assert rc == (0 if res["success"] else 1), (rc, out, err)
    return res


_proxy_names = itertools.count(1)


def new_proxy(d, **fields):
    # proxy names are unique (case-insensitive): each default one is new
    body = {"name": "P%d" % next(_proxy_names), "host": "127.0.0.1",
            "port": 8080}
    body.update(fields)
    status, rec = d.http("POST", "/api/v1/management/proxies", body)
    assert status == 201, rec
    return rec


# ---- egress peers: a test CA (per module) and proxy servers (per test) ------

@pytest.fixture
def fakes():
    """Start fake proxies (fake_proxy.py classes) for one test: fakes(Cls,
    **kw) starts one; all are stopped when the test ends."""
    started = []

    def start(cls, **kw):
        f = cls(**kw)
        started.append(f)
        return f
    yield start
    for f in started:
        f.stop()


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    import egress_env
    return egress_env.TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def provider(ca):
    """The TLS provider stand-in on 127.0.0.1 with the test CA, shared by a
    module's tests (a file that needs another kind defines its own)."""
    from provider_standin import ProviderStandIn
    s = ProviderStandIn(ca, pause=0.01, addresses=["127.0.0.1"])
    yield s
    s.stop()


@pytest.fixture
def peers(tmp_path):
    """Start a proxy server from egress_env (microsocks, tinyproxy, …); all of
    them stop when the test ends."""
    started = []

    def start(factory, *args, **kw):
        p = factory(tmp_path, *args, **kw)
        started.append(p)
        return p
    yield start
    for p in started:
        p.stop()


@pytest.fixture
def chromium():
    """Real headless Chromium for the dashboard's tests (browser.py)."""
    import browser
    b = browser.Browser()
    yield b
    b.quit()
