"""Happy Eyeballs (RFC 8305) on the egress TCP connect, against the real
daemon. The suite's other tests reach peers as "localhost" through the
system's hosts file (their stand-ins listen on every address it gives the
name); here the daemon gets its own hosts file (CARES_HOSTS, read by c-ares)
in which localhost has both ::1 and 127.0.0.1, while the TLS stand-ins and
proxies listen on 127.0.0.1 only. IPv6 is tried first, so what sits on ::1 at
the same port decides each case: nothing (refused: the call still goes
through 127.0.0.1), a listener whose accept queue is full (the connect hangs:
127.0.0.1 is started after the attempt delay, well inside the connect
deadline), a listener that answers (IPv6 wins and IPv4 is never used); and
when every address fails the error names the connect stage and how many
addresses were tried. Direct calls and the connect to a proxy's host alike."""

import http.client
import json
import socket
import threading
import time

import pytest

import egress_env as env
from conftest import new_proxy
from provider_standin import ProviderStandIn

CONNECT_TIMEOUT_MS = 10000


def ipv6_loopback_works():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not ipv6_loopback_works(),
                                reason="no IPv6 loopback (::1) on this machine")


def nothing_listens_on_ipv6(port):
    """Make sure a connect to [::1]:port is refused: bind it, then let it go."""
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", port))


def connecting_to(port):
    """How many sockets on this machine are in SYN_SENT towards port (Linux
    /proc/net/tcp*): connection attempts still under way. None when unknown."""
    count, seen = 0, False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        seen = True
        for row in rows:
            fields = row.split()
            if fields[3] == "02" and int(fields[2].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count if seen else None


def attempts_closed(port, timeout=3.0):
    """True once no connection attempt towards port is left (or we cannot tell)."""
    deadline = time.monotonic() + timeout
    while True:
        n = connecting_to(port)
        if not n or time.monotonic() > deadline:
            return not n
        time.sleep(0.05)


class HangingListener:
    """A listener on (host, port) whose accept queue is full. Linux drops a SYN
    for a listener with a full accept queue (no RST, no SYN-ACK), so a connect
    to it hangs until the client gives up. Construction proves it: it connects
    until one connect times out, else the test is skipped."""

    def __init__(self, family, host, port):
        self.fillers = []
        self.srv = socket.socket(family)
        self.srv.bind((host, port))
        self.srv.listen(0)
        for _ in range(64):
            c = socket.socket(family)
            c.settimeout(0.5)
            try:
                c.connect((host, port))
            except socket.timeout:
                c.close()
                return          # the queue is full and SYNs now go unanswered
            except OSError:
                c.close()
                break
            self.fillers.append(c)
        self.close()
        pytest.skip("cannot make a loopback connect hang on this kernel")

    def close(self):
        for c in self.fillers:
            c.close()
        self.srv.close()


@pytest.fixture(scope="module")
def provider(ca):
    # on 127.0.0.1 only, whatever the system's hosts file says: the tests
    # decide what sits on ::1 at its port
    s = ProviderStandIn(ca, pause=0.01, addresses=["127.0.0.1"])
    yield s
    s.stop()


@pytest.fixture
def dual_hosts(tmp_path):
    """A hosts file giving localhost both loopback addresses (IPv4 listed
    first, so that IPv6 first is our order, not the file's)."""
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 localhost\n::1 localhost\n")
    return str(path)


@pytest.fixture
def start(daemon_factory, ca, provider, dual_hosts):
    """A daemon resolving with the dual hosts file, the openai provider pointed
    at the stand-in by name, and one connection."""
    def make(delay_ms=None, connect_timeout_ms=CONNECT_TIMEOUT_MS):
        provider.reset()
        e = {"CARES_HOSTS": dual_hosts,
             "OMNIROUTE_CA_FILE": ca.ca,
             "OMNIROUTE_CONNECT_TIMEOUT_MS": str(connect_timeout_ms),
             "OMNIROUTE_POOL_IDLE_MS": "0"}
        if delay_ms is not None:
            e["OMNIROUTE_HAPPY_EYEBALLS_DELAY_MS"] = str(delay_ms)
        d = daemon_factory(env=e).start()
        d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
        d.conn = d.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-main")
        return d
    return make


def chat(d, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=timeout)
    c.request("POST", "/v1/chat/completions", headers={
        "Content-Type": "application/json", "Authorization": "Bearer client-key"},
        body=json.dumps({"model": "openai/gpt-4o-mini",
                         "messages": [{"role": "user", "content": "hi"}]}))
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def timed(fn, *args, **kw):
    t0 = time.monotonic()
    res = fn(*args, **kw)
    return res, time.monotonic() - t0


def test_refused_ipv6_falls_back_to_ipv4_at_once(start, provider):
    d = start(delay_ms=5000)        # only a failure can start IPv4 this soon
    nothing_listens_on_ipv6(provider.port)
    (r, data), elapsed = timed(chat, d)
    assert r.status == 200, data
    assert provider.requests[-1].peer[0] == "127.0.0.1"
    assert elapsed < 4, elapsed


def test_hanging_ipv6_loses_the_race_to_ipv4(start, provider):
    d = start(delay_ms=1000)
    hang = HangingListener(socket.AF_INET6, "::1", provider.port)
    try:
        (r, data), elapsed = timed(chat, d)
        # the losing attempt, still waiting for an answer from ::1, is closed
        assert attempts_closed(provider.port), connecting_to(provider.port)
    finally:
        hang.close()
    assert r.status == 200, data
    assert provider.requests[-1].peer[0] == "127.0.0.1"
    # IPv4 started after the attempt delay, not after the connect deadline
    assert 0.9 <= elapsed < CONNECT_TIMEOUT_MS / 1000 / 2, elapsed


def test_ipv6_is_tried_first_and_wins_when_it_answers(start, provider):
    d = start(delay_ms=5000)
    srv = socket.socket(socket.AF_INET6)
    srv.bind(("::1", provider.port))
    srv.listen(8)
    srv.settimeout(10)
    try:
        before = len(provider.requests)
        res = d.probe_json("conn", "test", d.conn["id"])
        peer, _ = srv.accept()      # queued by the kernel: the daemon came here
        peer.close()
    finally:
        srv.close()
    # the winner was [::1], which speaks no TLS; IPv4 was never used
    assert res["success"] is False and res["stage"] == "tls", res
    assert len(provider.requests) == before and provider.connections == 0


def test_every_address_refused_names_the_connect_stage(start, provider):
    d = start()
    port = env.free_port()          # nothing on 127.0.0.1 …
    nothing_listens_on_ipv6(port)   # … nor on ::1
    d.ctl_json("provider", "update", "openai", "--base-url",
               "https://localhost:%d/v1" % port)
    res = d.probe_json("conn", "test", d.conn["id"])
    assert res["success"] is False and res["stage"] == "connect", res
    # ::1 was tried first and refused at once, then 127.0.0.1
    assert res["error"] == ("cannot connect to localhost:%d: 2 addresses tried, the "
                            "last (127.0.0.1) failed: Connection refused" % port), res
    r, data = chat(d)
    assert r.status >= 500, data
    assert "cannot connect to localhost:%d: 2 addresses tried" % port in \
        data.decode("utf-8", "replace"), data


def test_the_connect_deadline_covers_the_whole_race(start, provider):
    d = start(delay_ms=200, connect_timeout_ms=1500)
    port = env.free_port()
    hang6 = HangingListener(socket.AF_INET6, "::1", port)
    hang4 = HangingListener(socket.AF_INET, "127.0.0.1", port)
    try:
        d.ctl_json("provider", "update", "openai", "--base-url",
                   "https://localhost:%d/v1" % port)
        res, elapsed = timed(d.probe_json, "conn", "test", d.conn["id"])
        assert res["success"] is False and res["stage"] == "connect", res
        assert res["error"] == "localhost:%d: timed out after 1500 ms (stage connect)" \
            % port, res
        assert attempts_closed(port), connecting_to(port)
        # a probe that gives up first abandons the race with both attempts
        # under way: they are closed (and freed: the fixture checks for ASan)
        rc, out, err = d.ctl("--json", "conn", "test", d.conn["id"], "--timeout-ms", "600")
        assert attempts_closed(port), connecting_to(port)
    finally:
        hang6.close()
        hang4.close()
    assert rc == 1, (rc, out, err)      # the probe failed: exit 1
    assert "within the probe's time" in json.loads(out)["error"], out
    assert elapsed < 6, elapsed


def test_proxy_host_is_raced_too(start, provider, peers):
    d = start(delay_ms=1000)
    ms = peers(env.microsocks)      # on 127.0.0.1 only
    p = new_proxy(d, type="socks5", host="localhost", port=ms.port)
    hang = HangingListener(socket.AF_INET6, "::1", ms.port)
    try:
        # the target by number: microsocks resolves names with the system's
        # hosts file, which is not the daemon's (CARES_HOSTS) here
        rc, out, err = d.ctl("--json", "proxy", "test", p["id"], "--url",
                             provider.url("/v1/models", host="127.0.0.1"),
                             "--timeout-ms", "15000")
        res = json.loads(out)
    finally:
        hang.close()
    assert rc == 0 and res["success"] is True, (rc, out, err)
    assert 900 <= res["latencyMs"] < CONNECT_TIMEOUT_MS / 2, res
    assert provider.requests[-1].route == "/v1/models"


def test_the_losing_attempt_is_closed_as_soon_as_one_connects(start):
    d = start(delay_ms=200)
    silent = socket.socket()        # a "proxy" that accepts and says nothing
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    silent.settimeout(10)
    port = silent.getsockname()[1]
    hang = HangingListener(socket.AF_INET6, "::1", port)
    p = new_proxy(d, type="socks5", host="localhost", port=port)
    result = []
    probe = threading.Thread(target=lambda: result.append(d.ctl(
        "--json", "proxy", "test", p["id"], "--url", "https://localhost/")))
    probe.start()
    try:
        conn, _ = silent.accept()   # IPv4 won; the egress waits in the handshake
        try:
            # … and the IPv6 attempt is gone already, long before the egress ends
            assert attempts_closed(port), connecting_to(port)
        finally:
            conn.close()            # ends the handshake
        probe.join(30)
    finally:
        hang.close()
        silent.close()
    rc, out, err = result[0]
    res = json.loads(out)
    assert rc == 1 and res["stage"] == "proxy_handshake", (rc, out, err)


def test_unreachable_proxy_host_lists_the_addresses_tried(start, provider):
    d = start()
    port = env.free_port()
    nothing_listens_on_ipv6(port)
    p = new_proxy(d, type="http", host="localhost", port=port)
    rc, out, err = d.ctl("--json", "proxy", "test", p["id"], "--url", provider.url("/"))
    res = json.loads(out)
    assert rc == 1 and res["success"] is False and res["stage"] == "connect", res
    assert res["error"] == ("cannot connect to HTTP proxy localhost:%d: 2 addresses "
                            "tried, the last (127.0.0.1) failed: Connection refused"
                            % port), res
