"""egress-notes.md, fault by fault, against the real daemon: the cases the
well-behaved Debian proxies never produce, played by the scripted fakes of
fake_proxy.py (why a fake: see there), plus the relay-level rules of §1.8
(no credential in a debug log), §1.9 (handshake deadline apart from the body
idle limit), §2 (SSE forwarded as it arrives), §3 (an upstream response with
framing doubt is a 502 and its connection is never reused) and §4 (SNI and
hostname verification; a close without close_notify judged by framing).
Each test names the section it covers; the unit tests of the pure parsers
(tests/unit/test_socks5.c, test_http_connect.c, test_http_response.c) cover
the byte-level side of the same items."""

import base64
import http.client
import json
import os
import socket
import ssl
import threading
import time

import pytest

import egress_env as env
from conftest import new_proxy, wait_for, probe
from fake_proxy import FakeConnect, FakeSocks5
from provider_standin import ProviderStandIn

CHAT = "/v1/chat/completions"


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


def socks(d, fake, **fields):
    return new_proxy(d, type="socks5", host="127.0.0.1", port=fake.port, **fields)


def http_proxy(d, fake, **fields):
    return new_proxy(d, type="http", host="127.0.0.1", port=fake.port, **fields)


def ok(res):
    assert res["success"] is True and res["status"] == 200, res


def failed(res, stage, *words):
    assert res["success"] is False and res["stage"] == stage, res
    for w in words:
        assert w in res["error"], (w, res)


# ---- §1.1 short reads and coalesced replies; §1.4 state across re-entries ----------

def test_s1_1_socks5_replies_trickled_byte_by_byte(d, fakes, standin):
    # every reply split into single bytes with pauses: the state machine keeps
    # its step in the connection struct, not in locals, and waits for whole
    # replies (4 + addrlen + 2 for CONNECT, a name BND.ADDR here)
    f = fakes(FakeSocks5, trickle=0.02, bnd="name")
    p = socks(d, f, username="u", password="pw")
    ok(probe(d, p["id"], standin.url()))
    assert f.records[0]["auth"][:2] == (b"u", b"pw")


def test_s1_1_connect_head_trickled_byte_by_byte(d, fakes, standin):
    f = fakes(FakeConnect, head=b"HTTP/1.1 200 Connection established\r\n"
              b"Via: 1.1 fake\r\n\r\n", trickle=0.005)
    p = http_proxy(d, f)
    ok(probe(d, p["id"], standin.url()))


def test_s1_1_socks5_method_and_connect_reply_in_one_segment(d, fakes, standin):
    # an over-eager server sends its CONNECT reply with the method reply; the
    # bytes past the method reply are kept and are the next reply
    f = fakes(FakeSocks5, coalesce=True)
    p = socks(d, f)
    ok(probe(d, p["id"], standin.url()))


# ---- §1.2 BND.ADDR sizing and REP codes ---------------------------------------------

@pytest.mark.parametrize("bnd", ["ipv4", "ipv6", "name"])
def test_s1_2_every_bnd_addr_type_frames_the_tunnel(d, fakes, standin, bnd):
    # a wrong BND.ADDR size would leave bytes of the reply in the tunnel (or
    # eat the server's first TLS bytes): the TLS handshake would fail
    f = fakes(FakeSocks5, bnd=bnd)
    p = socks(d, f)
    ok(probe(d, p["id"], standin.url()))


@pytest.mark.parametrize("rep,name", [(1, "general SOCKS server failure"),
                                      (2, "connection not allowed by ruleset"),
                                      (3, "network unreachable"),
                                      (4, "host unreachable"),
                                      (5, "connection refused"),
                                      (6, "TTL expired"),
                                      (7, "command not supported"),
                                      (8, "address type not supported"),
                                      (0x2a, "unknown reply code")])
@pytest.mark.parametrize("short", [True, False], ids=["two-bytes-then-close", "atyp1-zeros"])
def test_s1_2_failure_reply_is_named_by_its_rep(d, fakes, standin, rep, name, short):
    f = fakes(FakeSocks5, rep=rep, short_fail=short)
    p = socks(d, f)
    res = probe(d, p["id"], standin.url())
    failed(res, "proxy_handshake", "refused CONNECT to localhost:%d: %s (REP %d)"
           % (standin.port, name, rep))


@pytest.mark.parametrize("bnd", [b"\x00", b"\x02", b"\x05", b"\xff"])
def test_s1_2_unknown_atyp_is_a_protocol_error(d, fakes, standin, bnd):
    f = fakes(FakeSocks5, bnd=bnd + b"\x7f\x00\x00\x01\x1f\x90")
    p = socks(d, f)
    failed(probe(d, p["id"], standin.url()), "proxy_handshake",
           "sent a malformed CONNECT reply")


# ---- §1.3 one message per write, each after the previous reply -----------------------

@pytest.mark.parametrize("with_auth", [False, True])
def test_s1_3_no_pipelining(d, fakes, standin, with_auth):
    f = fakes(FakeSocks5)
    fields = dict(username="user", password="secret") if with_auth else {}
    p = socks(d, f, **fields)
    ok(probe(d, p["id"], standin.url()))
    rec = f.records[0]
    assert rec["greeting"] == (b"\x05\x02\x00\x02" if with_auth else b"\x05\x01\x00")
    # nothing was waiting behind any message before the fake answered it
    assert rec["pipelined"] == [b""] * len(rec["pipelined"]), rec
    assert len(rec["pipelined"]) == (3 if with_auth else 2)


# ---- §1.4 a 255-byte name is sent whole; never resolved locally instead --------------

def test_s1_4_long_names_sent_whole_or_refused(d, fakes):
    f = fakes(FakeSocks5, rep=4)
    p = socks(d, f)
    labels = ["a" * 63, "b" * 63, "c" * 63, "d" * 61]        # 253 bytes with the dots
    name = ".".join(labels)
    assert len(name) == 253
    res = probe(d, p["id"], "https://%s:443/" % name)
    failed(res, "proxy_handshake", "host unreachable (REP 4)")
    assert f.records[-1]["request"] == (3, name, 443)


# ---- §1.5 auth negotiation ------------------------------------------------------------

def test_s1_5_server_picks_no_auth_although_userpass_was_offered(d, fakes, standin):
    f = fakes(FakeSocks5, method=0)
    p = socks(d, f, username="user", password="secret")
    ok(probe(d, p["id"], standin.url()))
    rec = f.records[0]
    assert rec["greeting"] == b"\x05\x02\x00\x02"
    assert "auth" not in rec                      # no credentials sent for nothing
    assert rec["request"][:2] == (3, "localhost")


@pytest.mark.parametrize("method,text", [(0xFF, "no acceptable methods"),
                                         (0x01, "GSSAPI"),
                                         (0x03, "IANA-assigned method"),
                                         (0x80, "private method")])
def test_s1_5_methods_we_did_not_offer_are_refused(d, fakes, standin, method, text):
    f = fakes(FakeSocks5, method=method)
    p = socks(d, f, username="user", password="secret")
    res = probe(d, p["id"], standin.url())
    failed(res, "proxy_handshake", "accepts none of our authentication methods "
           "(it chose %s)" % text)
    assert "auth" not in f.records[0] and "request" not in f.records[0]


def test_s1_5_userpass_chosen_but_not_offered_is_refused(d, fakes, standin):
    f = fakes(FakeSocks5, method=2)
    p = socks(d, f)                               # no credentials: we offer 00 only
    res = probe(d, p["id"], standin.url())
    failed(res, "proxy_handshake", "(it chose username/password)")
    assert f.records[0]["greeting"] == b"\x05\x01\x00"
    # the fake notes what followed once it sees our close, maybe after our answer
    assert wait_for(lambda: "after_method" in f.records[0])
    assert f.records[0]["after_method"] == b""   # nothing sent, just closed


@pytest.mark.parametrize("reply,success", [(b"\x01\x00", True), (b"\x05\x00", True),
                                           (b"\x01\x01", False), (b"\x01\xff", False)])
def test_s1_5_auth_status(d, fakes, standin, reply, success):
    f = fakes(FakeSocks5, auth_reply=reply)
    p = socks(d, f, username="user", password="secret")
    res = probe(d, p["id"], standin.url())
    if success:
        ok(res)
    else:
        failed(res, "proxy_handshake", "rejected the username/password (status %d)"
               % reply[1])
    assert f.records[0]["auth"][2] == b"\x01\x04user\x06secret"


def test_s1_5_auth_reply_with_a_wrong_version_is_malformed(d, fakes, standin):
    f = fakes(FakeSocks5, auth_reply=b"\x02\x00")
    p = socks(d, f, username="user", password="secret")
    failed(probe(d, p["id"], standin.url()), "proxy_handshake",
           "malformed authentication reply")


def test_s1_5_credentials_over_255_bytes_are_refused_never_truncated(d, fakes, standin):
    f = fakes(FakeSocks5)
    # 256 characters: refused when the proxy is created
    status, err = d.http("POST", "/api/v1/management/proxies",
                         {"name": "long", "type": "socks5", "host": "127.0.0.1",
                          "port": f.port, "username": "u" * 256, "password": "p"})
    assert status == 400, err
    assert "username" in json.dumps(err)
    # 255 characters but 510 bytes of UTF-8: refused when the proxy is created
    # too (limits are bytes, as SOCKS5 counts them), naming the field
    for n, fields in enumerate((dict(username="\u00e9" * 200, password="p"),
                                dict(username="u", password="\u00e9" * 128))):
        status, err = d.http("POST", "/api/v1/management/proxies",
                             dict(name="utf8-%d" % n, type="socks5", host="127.0.0.1",
                                  port=f.port, **fields))
        assert status == 400, err
        field = "username" if n == 0 else "password"
        assert [x["field"] for x in err["error"]["details"]] == [field], err
        assert "255 bytes" in err["error"]["details"][0]["message"]
    # the fake saw nothing: no proxy with cut fields was ever dialled
    assert not f.records, f.records
    # 255 bytes exactly go whole
    p = socks(d, f, name="max", username="u" * 255, password="p" * 255)
    ok(probe(d, p["id"], standin.url()))
    assert f.records[-1]["auth"][:2] == (b"u" * 255, b"p" * 255)


# ---- §1.6 the provider name goes to the proxy (ATYP 3), never to our resolver ------------

def test_s1_6_name_is_sent_as_atyp3_not_resolved_locally(d, fakes, standin):
    # "provider.invalid" cannot be resolved here; the fake tunnels any name
    # to 127.0.0.1. Getting past the handshake to the TLS stage (where the
    # certificate, made for localhost, does not match) proves no local lookup.
    f = fakes(FakeSocks5)
    p = socks(d, f)
    res = probe(d, p["id"], "https://provider.invalid:%d/" % standin.port)
    failed(res, "tls", "certificate verification failed")
    assert f.records[0]["request"] == (3, "provider.invalid", standin.port)
    ok(probe(d, p["id"], standin.url(host="127.0.0.1")))
    assert f.records[-1]["request"] == (1, "127.0.0.1", standin.port)


# ---- §1.7 HTTP CONNECT ----------------------------------------------------------------------

@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.0 200 Tunnel ready\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\nContent-Length: 1\r\n\r\n",
    b"HTTP/1.1 299 Odd\r\n\r\n",
    b"HTTP/1.1 200\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
], ids=["200-cl10", "200-chunked", "http10-cl", "204-cl", "299", "no-reason", "100-then-200"])
def test_s1_7_any_2xx_is_a_tunnel_and_its_framing_is_ignored(d, fakes, standin, head):
    # a client that honoured Content-Length/Transfer-Encoding would eat the
    # first bytes of the server's TLS answer, and the TLS handshake would fail
    f = fakes(FakeConnect, head=head)
    p = http_proxy(d, f)
    ok(probe(d, p["id"], standin.url()))


def test_s1_7_request_shape_and_ipv6_brackets(d, fakes):
    f = fakes(FakeConnect, head=b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
    p = http_proxy(d, f, username="bob", password="pw:1")
    res = probe(d, p["id"], "https://[2001:db8::1]:8443/")
    failed(res, "proxy_handshake", "answered 502 Bad Gateway to CONNECT 2001:db8::1:8443")
    req = f.records[0]["request"]
    lines = req.split(b"\r\n")
    assert lines[0] == b"CONNECT [2001:db8::1]:8443 HTTP/1.1"
    assert b"Host: [2001:db8::1]:8443" in lines
    assert b"Proxy-Authorization: Basic " + base64.b64encode(b"bob:pw:1") in lines
    assert f.records[0]["extra"] == b""          # nothing sent before the answer
    res = probe(d, p["id"], "https://localhost:8443/")
    assert f.records[1]["request"].startswith(
        b"CONNECT localhost:8443 HTTP/1.1\r\nHost: localhost:8443\r\n")


def test_s1_7_407_with_a_body_is_reported(d, fakes, standin):
    body = b"<html>" + b"x" * 5000 + b"</html>"
    f = fakes(FakeConnect, head=b"HTTP/1.1 407 Proxy Authentication Required\r\n"
              b"Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: %d\r\n\r\n"
              % len(body), body=body)
    p = http_proxy(d, f, username="bob", password="wrong")
    res = probe(d, p["id"], standin.url())
    failed(res, "proxy_handshake", "answered 407 Proxy Authentication Required")
    assert "wrong" not in res["error"]


@pytest.mark.parametrize("head,why", [
    (b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", "bare CR"),
    (b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n", "NUL"),
    (b"SOCKS5 hello\r\n\r\n", "not HTTP/1.x"),
    (b"HTTP/1.1 2000 OK\r\n\r\n", "three digits"),
])
def test_s1_7_malformed_connect_head_is_refused(d, fakes, standin, head, why):
    f = fakes(FakeConnect, head=head)
    p = http_proxy(d, f)
    failed(probe(d, p["id"], standin.url()), "proxy_handshake", "malformed CONNECT reply", why)


def test_s1_7_endless_connect_head_is_capped(d, fakes, standin):
    # no CRLFCRLF ever: the head cap ends it long before the deadline
    f = fakes(FakeConnect, head=b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"p" * 40000 + b"\r\n\r\n")
    p = http_proxy(d, f)
    t0 = time.time()
    failed(probe(d, p["id"], standin.url()), "proxy_handshake", "head too large")
    assert time.time() - t0 < 1.4


# ---- §1.9 a connect+handshake deadline per hop, not extended by trickling ---------------

@pytest.mark.parametrize("kind", ["socks5", "http"])
def test_s1_9_trickling_proxy_cannot_extend_the_handshake_deadline(d, fakes, standin, kind):
    # one byte every 50 ms: each read alone would be on time, the whole
    # handshake is not (deadline 1500 ms)
    if kind == "socks5":
        f = fakes(FakeSocks5, bnd=b"\x03\xff" + b"n" * 255 + b"\x1f\x90", trickle=0.05)
        p = socks(d, f)
    else:
        f = fakes(FakeConnect, head=b"HTTP/1.1 200 OK\r\nX-Pad: " + b"p" * 200 + b"\r\n\r\n",
                  trickle=0.05)
        p = http_proxy(d, f)
    t0 = time.time()
    res = probe(d, p["id"], standin.url())
    failed(res, "proxy_handshake", "timed out after 1500 ms (stage proxy_handshake)")
    assert 1.3 < time.time() - t0 < 4


# ---- relay-level: §1.8, §1.9, §2, §3, §4 ------------------------------------------------------

@pytest.fixture(scope="module")
def provider(ca):
    s = ProviderStandIn(ca, pause=0.01)
    yield s
    s.stop()


def relay_daemon(daemon_factory, ca, provider, name="relay", base_host="localhost", **env_extra):
    provider.reset()
    e = {"OMNIROUTE_CA_FILE": ca.ca, "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
         "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "1000", "OMNIROUTE_WORKERS": "1"}
    e.update(env_extra)
    dd = daemon_factory(name=name, workers=1, env=e).start()
    dd.ctl_json("provider", "update", "openai", "--base-url",
                provider.url("/v1", host=base_host))
    dd.conn = dd.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-provider-secret")
    return dd


def chat(d, stream=False, headers=None, timeout=20):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=timeout)
    h = {"Content-Type": "application/json", "Authorization": "Bearer client-key-secret"}
    h.update(headers or {})
    c.request("POST", CHAT, body=json.dumps({"model": "openai/gpt-4o-mini", "stream": stream,
                                            "messages": [{"role": "user", "content": "hi"}]}),
              headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def test_s1_8_no_credential_in_the_debug_log(daemon_factory, ca, provider, fakes, peers):
    d = relay_daemon(daemon_factory, ca, provider, OMNIROUTE_LOG_LEVEL="debug")
    secrets = ["socks-user-x", "socks-pass-x", "http-user-y", "http-pass-y",
               "sk-provider-secret", "client-key-secret", "squid-pass-z"]
    # SOCKS5 with a password (a fake: it also shows the auth really went out)
    f = fakes(FakeSocks5)
    p = socks(d, f, username="socks-user-x", password="socks-pass-x")
    d.ctl_json("assign", "set", "global", p["id"])
    r, data = chat(d)
    assert r.status == 200, data
    assert f.records[-1]["auth"][:2] == (b"socks-user-x", b"socks-pass-x")
    # HTTP CONNECT with Basic: once accepted, once refused with 407
    tp = peers(env.tinyproxy, user="http-user-y", password="http-pass-y")
    p2 = http_proxy(d, tp, name="tp", username="http-user-y", password="http-pass-y")
    d.ctl_json("assign", "set", "global", p2["id"])
    r, data = chat(d, stream=True)
    assert r.status == 200, data
    p3 = http_proxy(d, tp, name="tp-bad", username="http-user-y", password="squid-pass-z")
    d.ctl_json("assign", "set", "global", p3["id"])
    r, data = chat(d)
    assert r.status == 502 and b"answered 40" in data, data   # tinyproxy: 401
    log = d.read_log()
    assert "[debug]" in log.lower() or "debug" in log.lower()
    encoded = [base64.b64encode(b"http-user-y:http-pass-y").decode(),
               base64.b64encode(b"http-user-y:squid-pass-z").decode()]
    for s in secrets + encoded + ["Proxy-Authorization", "Authorization:"]:
        assert s not in log, s


def test_s1_9_body_gaps_longer_than_the_handshake_deadline_are_fine(daemon_factory, ca,
                                                                   provider, peers):
    # handshake deadline 1000 ms; the stream pauses 1.5 s between events
    d = relay_daemon(daemon_factory, ca, provider)
    ms = peers(env.microsocks)
    p = socks(d, ms)
    d.ctl_json("assign", "set", "global", p["id"])
    provider.script(CHAT, events=["a", "b", "c"], pause=1.5, times=1)
    r, data = chat(d, stream=True)
    assert r.status == 200
    assert data == provider.sent_bodies[-1] and data.endswith(b"data: [DONE]\n\n")


def test_s2_sse_bytes_are_forwarded_as_they_arrive(daemon_factory, ca, provider, peers):
    d = relay_daemon(daemon_factory, ca, provider)
    ms = peers(env.microsocks)
    p = socks(d, ms)
    d.ctl_json("assign", "set", "global", p["id"])
    provider.script(CHAT, events=["e%d" % i for i in range(5)], pause=0.4, times=1)
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    body = json.dumps({"model": "openai/gpt-4o-mini", "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    s.sendall(b"POST " + CHAT.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
              b"application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
              % (len(body), body))
    arrivals, buf = {}, b""
    t0 = time.monotonic()
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        for i in range(5):
            if i not in arrivals and b'"e%d"' % i in buf:
                arrivals[i] = time.monotonic() - t0
    s.close()
    end = time.monotonic() - t0
    assert sorted(arrivals) == list(range(5)), buf
    # each event reached the client about when it was sent, not at the end
    assert end > 1.5
    for i in range(4):
        assert arrivals[i] < end - 0.25 * (4 - i), (arrivals, end)
    assert arrivals[4] - arrivals[0] > 1.2, arrivals


def test_s3_upstream_te_plus_cl_is_502_and_its_connection_is_not_reused(daemon_factory, ca,
                                                                      provider):
    d = relay_daemon(daemon_factory, ca, provider)
    # warm the pool: a good call leaves a kept-alive connection behind
    r, data = chat(d)
    assert r.status == 200
    first = provider.requests[-1].conn
    # Transfer-Encoding: chunked (the SSE framing) plus a Content-Length
    provider.script(CHAT, headers={"Content-Length": "5"}, times=1)
    r, data = chat(d, stream=True)
    assert r.status == 502, data
    assert "both Transfer-Encoding and Content-Length" in json.loads(data)["error"]["message"]
    doubted = provider.requests[-1].conn
    assert doubted == first                        # the pooled connection was used
    r, data = chat(d)
    assert r.status == 200, data
    assert provider.requests[-1].conn != doubted   # and never again after the doubt


def test_s3_duplicate_content_length_from_upstream_is_502(daemon_factory, ca, provider):
    d = relay_daemon(daemon_factory, ca, provider)
    provider.script(CHAT, body={"ok": 1}, headers={"Content-Length": "9999"}, times=1)
    r, data = chat(d)
    assert r.status == 502, data
    conn = provider.requests[-1].conn
    r, data = chat(d)
    assert r.status == 200 and provider.requests[-1].conn != conn


def test_s3_response_splitting_tail_never_reaches_the_next_call(daemon_factory, ca, provider):
    d = relay_daemon(daemon_factory, ca, provider)
    evil = b'{"smuggled":true}'
    tail = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % len(evil)) + evil
    provider.script(CHAT, body=b'{"first":true}', tail=tail, times=1)
    r, data = chat(d)
    assert r.status == 200 and data == b'{"first":true}', data
    conn = provider.requests[-1].conn
    r, data = chat(d)
    assert r.status == 200 and b"smuggled" not in data, data
    assert provider.requests[-1].conn != conn      # the connection with a tail is gone


# ---- §4 TLS: SNI, hostname verification, dirty shutdown ----------------------------------

class SNIRecorder:
    """A TLS server (the test CA's certificate) that records the SNI of each
    handshake and answers one HTTP request with a small JSON body."""

    def __init__(self, ca):
        self.names = []
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ca.cert, ca.key)
        ctx.sni_callback = lambda sock, name, c: self.names.append(name)
        self.ctx = ctx
        # reached as "localhost" and as 127.0.0.1: every address of the name
        self.listeners = env.serve_on(env.localhost_addresses(), env.listening_socket)
        self.port = self.listeners[0].server_address[1]
        for listener in self.listeners:
            threading.Thread(target=self._serve, args=(listener.socket,),
                             daemon=True).start()

    def _serve(self, sock):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as t:
                    t.settimeout(5)
                    buf = b""
                    while b"\r\n\r\n" not in buf:
                        chunk = t.recv(4096)
                        if not chunk:
                            break
                        buf += chunk
                    body = b'{"ip":"127.0.0.1"}'
                    t.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                              % (len(body), body))
            except (OSError, ssl.SSLError):
                pass

    def stop(self):
        for listener in self.listeners:
            listener.server_close()


def test_s4_sni_is_sent_for_names_only(d, ca, peers):
    srv = SNIRecorder(ca)
    try:
        ms = peers(env.microsocks)
        p = socks(d, ms)
        ok(probe(d, p["id"], "https://localhost:%d/" % srv.port))
        assert srv.names[-1] == "localhost"
        ok(probe(d, p["id"], "https://127.0.0.1:%d/" % srv.port))   # IP SAN checked
        assert srv.names[-1] is None                                # RFC 6066: no literal
    finally:
        srv.stop()


def test_s4_hostname_is_verified_not_just_the_chain(daemon_factory, ca, provider, tmp_path):
    # a name that resolves to the stand-in, whose (trusted) certificate is
    # for localhost and 127.0.0.1 only: verification must refuse it
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 wrong-name.test\n")
    d = relay_daemon(daemon_factory, ca, provider, name="wrongname",
                     base_host="wrong-name.test", CARES_HOSTS=str(hosts))
    r, data = chat(d)
    assert r.status == 502, data
    msg = json.loads(data)["error"]["message"]
    assert "certificate verification failed" in msg and "hostname mismatch" in msg, msg
    assert len(provider.requests) == 0


def test_s4_close_without_close_notify_is_judged_by_framing(daemon_factory, ca, provider):
    d = relay_daemon(daemon_factory, ca, provider)
    # a body delimited by the close, ended without close_notify: complete
    provider.script(CHAT, until_close=True, close_notify=False, times=1)
    r, data = chat(d, stream=True)
    assert r.status == 200
    assert data == provider.sent_bodies[-1] and data.endswith(b"data: [DONE]\n\n")
    # a chunked body cut mid-stream: the client sees the cut, not a clean end
    provider.script(CHAT, events=["a"] * 6, reset_after_events=3, times=1)
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    c.request("POST", CHAT, body=json.dumps({"model": "openai/gpt-4o-mini", "stream": True}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        r.read()
    c.close()
