"""Egress through real proxies, proven with `proxy test` (a worker job: DNS,
TCP, proxy handshake, TLS with the test CA, and a GET to a TLS stand-in):
microsocks with and without a password, tinyproxy with Basic auth (a password
with @:%#/ and non-ASCII bytes), an HTTPS proxy (stunnel in front of
tinyproxy), dante; and every failure naming its stage — dead proxy, wrong
password, refused CONNECT, untrusted certificate, DNS failure, timeout. Each
success is also checked in the proxy's own log."""

import socket
import time

import pytest

import egress_env as env
from conftest import new_proxy, wait_for, probe


@pytest.fixture(scope="module")
def standin(ca):
    s = env.TLSStandIn(ca)
    yield s
    s.stop()


@pytest.fixture
def d(daemon_factory, ca):
    return daemon_factory(env={"OMNIROUTE_CA_FILE": ca.ca,
                               "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                               "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "1500"}).start()


def test_microsocks_without_auth(d, peers, standin):
    ms = peers(env.microsocks)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    before = len(standin.requests)
    res = probe(d, p["id"], standin.url())
    assert res["success"] is True, res
    assert res["status"] == 200 and res["stage"] == "done"
    # the stand-in saw microsocks come from the address it connected to for
    # "localhost": 127.0.0.1, or ::1 where the hosts file lists that first
    assert res["publicIp"] in env.localhost_addresses(), res
    assert res["proxyUrl"] == "socks5://127.0.0.1:%d" % ms.port
    assert res["latencyMs"] >= 0
    assert len(standin.requests) == before + 1
    # the name went to the proxy (remote DNS): microsocks resolved "localhost"
    assert wait_for(lambda: "localhost" in ms.read_log() or "127.0.0.1" in ms.read_log()), \
        ms.read_log()


def test_microsocks_with_password_and_wrong_password(d, peers, standin):
    ms = peers(env.microsocks, user="alice", password="s3cr3t-pw")
    good = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port,
                     username="alice", password="s3cr3t-pw")
    res = probe(d, good["id"], standin.url())
    assert res["success"] is True, res
    bad = new_proxy(d, name="bad", type="socks5", host="127.0.0.1", port=ms.port,
                    username="alice", password="wrong")
    res = probe(d, bad["id"], standin.url())
    assert res["success"] is False and res["stage"] == "proxy_handshake", res
    assert "rejected the username/password" in res["error"]
    assert "wrong" not in res["error"] and "s3cr3t" not in d.read_log()


def test_tinyproxy_basic_auth(d, peers, standin):
    tp = peers(env.tinyproxy, user="bob", password="Tiny123")   # tinyproxy: alnum only
    p = new_proxy(d, type="http", host="127.0.0.1", port=tp.port,
                  username="bob", password="Tiny123")
    res = probe(d, p["id"], standin.url())
    assert res["success"] is True, res
    assert wait_for(lambda: "localhost" in open(tp.access_log, errors="replace").read())
    wrong = new_proxy(d, name="w", type="http", host="127.0.0.1", port=tp.port,
                      username="bob", password="nope")
    res = probe(d, wrong["id"], standin.url())
    assert res["success"] is False and res["stage"] == "proxy_handshake"
    assert "answered 401" in res["error"] or "answered 407" in res["error"], res


@pytest.mark.skipif(not env.have("squid"), reason="squid not installed")
def test_squid_basic_auth_with_awkward_password(d, peers, standin):
    password = "p@ss:w%rd#/\u00e9\u00df"
    sq = peers(env.squid, user="carol", password=password)
    p = new_proxy(d, type="http", host="127.0.0.1", port=sq.port,
                  username="carol", password=password)
    res = probe(d, p["id"], standin.url())
    assert res["success"] is True, res
    assert wait_for(lambda: "CONNECT localhost:%d" % standin.port in
                    open(sq.access_log, errors="replace").read()), \
        open(sq.access_log, errors="replace").read()
    assert "carol" in open(sq.access_log, errors="replace").read()
    wrong = new_proxy(d, name="w", type="http", host="127.0.0.1", port=sq.port,
                      username="carol", password="p@ss:w%rd#/")
    res = probe(d, wrong["id"], standin.url())
    assert res["success"] is False and "answered 407" in res["error"], res
    assert password not in d.read_log()


def test_https_proxy_stunnel_in_front_of_tinyproxy(d, peers, standin, ca):
    tp = peers(env.tinyproxy)
    st = peers(env.stunnel, ca, tp.port)
    p = new_proxy(d, type="https", host="localhost", port=st.port)
    res = probe(d, p["id"], standin.url())
    assert res["success"] is True, res
    assert wait_for(lambda: "localhost" in open(tp.access_log, errors="replace").read())
    # an HTTPS proxy whose certificate does not match the name is refused at proxy_tls
    p2 = new_proxy(d, name="mismatch", type="https", host="127.0.0.2", port=st.port)
    res = probe(d, p2["id"], standin.url())
    assert res["success"] is False, res
    assert res["stage"] in ("connect", "proxy_tls"), res


@pytest.mark.skipif(not env.have("danted"), reason="dante-server not installed")
def test_dante(d, peers, standin):
    dn = peers(env.dante)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=dn.port)
    res = probe(d, p["id"], standin.url())
    assert res["success"] is True, res
    assert wait_for(lambda: "connect" in dn.read_log()), dn.read_log()


def test_dead_proxy_fails_at_connect(d):
    port = env.free_port()        # nothing listens there
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=port)
    res = probe(d, p["id"], "https://localhost:443/")
    assert res["success"] is False and res["stage"] == "connect", res
    assert res["error"] == "cannot connect to SOCKS5 proxy 127.0.0.1:%d: Connection refused" % port


def test_socks5_refused_connect_names_the_rep_code(d, peers):
    ms = peers(env.microsocks)
    closed = env.free_port()
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    res = probe(d, p["id"], "https://127.0.0.1:%d/" % closed)
    assert res["success"] is False and res["stage"] == "proxy_handshake", res
    assert "refused CONNECT to 127.0.0.1:%d" % closed in res["error"]
    assert "(REP " in res["error"]


def test_untrusted_certificate_fails_at_tls(daemon_factory, peers, standin):
    d = daemon_factory(name="noca").start()       # no test CA: the system store
    ms = peers(env.microsocks)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    res = probe(d, p["id"], standin.url())
    assert res["success"] is False and res["stage"] == "tls", res
    assert "certificate verification failed" in res["error"]


def test_unresolvable_proxy_host_fails_at_dns(d):
    p = new_proxy(d, type="http", host="no-such-host.invalid", port=3128)
    res = probe(d, p["id"], "https://localhost/")
    assert res["success"] is False and res["stage"] == "dns", res
    assert "no-such-host.invalid" in res["error"]


def test_silent_proxy_times_out_in_the_handshake(d):
    # a listener that accepts and never answers
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    try:
        p = new_proxy(d, type="socks5", host="127.0.0.1", port=srv.getsockname()[1])
        t0 = time.time()
        res = probe(d, p["id"], "https://localhost/")
        assert res["success"] is False and res["stage"] == "proxy_handshake", res
        assert "timed out after 1500 ms" in res["error"]
        assert time.time() - t0 < 6
    finally:
        srv.close()


def test_probe_over_http_api_and_unknown_proxy(d, peers, standin):
    ms = peers(env.microsocks)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    status, res = d.http("POST", "/api/v1/management/proxies/test?id=" + p["id"],
                         {"url": standin.url(), "timeoutMs": 5000})
    assert status == 200 and res["success"] is True, res
    status, err = d.http("POST", "/api/v1/management/proxies/test?id=nope", {})
    assert status == 404
