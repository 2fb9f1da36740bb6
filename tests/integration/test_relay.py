"""The relay end to end: a client calls /v1 on omnirouted, which leaves for a
TLS provider stand-in through the proxy the registry assigns — microsocks
(with and without a password), tinyproxy (Basic), squid (Basic, a password
with @:%#/ and non-ASCII), an HTTPS proxy (stunnel in front of tinyproxy),
dante — or direct. JSON and SSE; the SSE bytes the client gets are the bytes
the provider sent. Fail-closed (inactive, dead, wrong password: 5xx and the
provider sees nothing), level precedence, the direct assignment, failover,
cooldown, truncation, client aborts, Anthropic, client keys, health figures.
Every proxied success is also checked in the proxy's own log."""

import http.client
import json
import re
import socket
import ssl
import time

import pytest

import egress_env as env
from conftest import new_proxy, wait_for
from provider_standin import ProviderStandIn

CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def provider(ca):
    s = ProviderStandIn(ca, pause=0.01)
    yield s
    s.stop()


def relay_daemon(daemon_factory, ca, provider, env=None, name="data"):
    """A started daemon whose openai and anthropic providers are the stand-in,
    with one openai connection (d.conn); env adds settings."""
    provider.reset()
    settings = {"OMNIROUTE_CA_FILE": ca.ca,
                "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "2000"}
    settings.update(env or {})
    dd = daemon_factory(name, env=settings).start()
    dd.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    dd.ctl_json("provider", "update", "anthropic", "--base-url", provider.url("/v1"))
    dd.conn = dd.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-main")
    return dd


@pytest.fixture
def d(daemon_factory, ca, provider):
    return relay_daemon(daemon_factory, ca, provider)


def call(d, body, path=CHAT, headers=None, timeout=20):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=timeout)
    h = {"Content-Type": "application/json", "Authorization": "Bearer client-key"}
    h.update(headers or {})
    c.request("POST", path, body=json.dumps(body), headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def chat(d, stream=False, model="openai/gpt-4o-mini", **kw):
    return call(d, {"model": model, "messages": [{"role": "user", "content": "hi"}],
                    "stream": stream}, **kw)


def test_direct_json_rewrites_the_request(d, provider):
    r, data = chat(d)
    assert r.status == 200, data
    body = json.loads(data)
    assert "model=gpt-4o-mini" in json.dumps(body)           # provider prefix stripped
    req = provider.requests[-1]
    assert req.route == "/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sk-main"  # client auth replaced
    assert req.headers["host"] == "localhost:%d" % provider.port
    assert int(req.headers["content-length"]) == len(req.body)
    assert r.getheader("X-OmniRoute-Connection") == d.conn["id"]
    assert r.getheader("X-OmniRoute-Proxy-Level") == "direct"
    assert r.getheader("X-OmniRoute-Proxy-Id") == "none"


def test_sse_through_microsocks_is_byte_identical(d, provider, peers):
    ms = peers(env.microsocks)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "global", p["id"])
    r, data = chat(d, stream=True)
    assert r.status == 200
    assert r.getheader("Content-Type").startswith("text/event-stream")
    assert r.getheader("X-OmniRoute-Proxy-Id") == p["id"]
    assert r.getheader("X-OmniRoute-Proxy-Level") == "global"
    assert data == provider.sent_bodies[-1]
    assert data.endswith(b"data: [DONE]\n\n")
    assert wait_for(lambda: "localhost" in ms.read_log() or ms.read_log()), ms.read_log()


@pytest.mark.parametrize("kind", ["microsocks-auth", "tinyproxy", "squid", "https", "dante"])
def test_json_and_sse_through_each_proxy(d, provider, peers, ca, kind):
    if kind == "microsocks-auth":
        peer = peers(env.microsocks, user="u1", password="pw-1")
        fields = dict(type="socks5", port=peer.port, username="u1", password="pw-1")
        evidence = lambda: True
    elif kind == "tinyproxy":
        peer = peers(env.tinyproxy, user="bob", password="Tiny123")
        fields = dict(type="http", port=peer.port, username="bob", password="Tiny123")
        evidence = lambda: "CONNECT" in open(peer.access_log, errors="replace").read()
    elif kind == "squid":
        if not env.have("squid"):
            pytest.skip("squid not installed")
        pw = "p@ss:w%rd#/\u00e9\u00df"
        peer = peers(env.squid, user="carol", password=pw)
        fields = dict(type="http", port=peer.port, username="carol", password=pw)
        evidence = lambda: "CONNECT localhost:%d" % provider.port in \
            open(peer.access_log, errors="replace").read()
    elif kind == "https":
        tp = peers(env.tinyproxy)
        peer = peers(env.stunnel, ca, tp.port)
        fields = dict(type="https", port=peer.port, host="localhost")
        evidence = lambda: "CONNECT" in open(tp.access_log, errors="replace").read()
    else:
        if not env.have("danted"):
            pytest.skip("dante-server not installed")
        peer = peers(env.dante)
        fields = dict(type="socks5", port=peer.port)
        evidence = lambda: "connect" in peer.read_log()
    fields.setdefault("host", "127.0.0.1")
    p = new_proxy(d, **fields)
    d.ctl_json("assign", "set", "provider", "openai", p["id"])
    r, data = chat(d)
    assert r.status == 200, data
    assert r.getheader("X-OmniRoute-Proxy-Id") == p["id"]
    r, data = chat(d, stream=True)
    assert r.status == 200 and data == provider.sent_bodies[-1]
    assert wait_for(evidence), kind
    assert "p@ss" not in d.read_log() and "pw-1" not in d.read_log()


def test_fail_closed_inactive_dead_and_wrong_password(d, provider, peers):
    before = len(provider.requests)
    inactive = new_proxy(d, name="off", host="127.0.0.1", port=1, status="inactive")
    d.ctl_json("assign", "set", "global", inactive["id"])
    r, data = chat(d)
    assert r.status == 503, data
    err = json.loads(data)["error"]
    assert err["code"] == "PROXY_ASSIGNED_UNAVAILABLE"
    dead = new_proxy(d, name="dead", type="socks5", host="127.0.0.1", port=env.free_port())
    d.ctl_json("assign", "set", "global", dead["id"])
    r, data = chat(d, stream=True)
    assert r.status == 502, data
    assert "cannot connect to SOCKS5 proxy" in json.loads(data)["error"]["message"]
    ms = peers(env.microsocks, user="u", password="right")
    wrong = new_proxy(d, name="wrong", type="socks5", host="127.0.0.1", port=ms.port,
                      username="u", password="wrong")
    d.ctl_json("assign", "set", "global", wrong["id"])
    r, data = chat(d)
    assert r.status == 502, data
    assert "rejected the username/password" in json.loads(data)["error"]["message"]
    assert len(provider.requests) == before      # the provider saw nothing, ever


def test_account_beats_provider_beats_combo_beats_global(d, provider, peers):
    ids = {}
    for level in ("global", "combo", "provider", "account"):
        ms = peers(env.microsocks)
        ids[level] = new_proxy(d, name=level, type="socks5", host="127.0.0.1",
                               port=ms.port)["id"]
    d.ctl_json("combo", "add", "fast", "openai/gpt-4o-mini")
    order = [("global", None), ("combo", "fast"), ("provider", "openai"),
             ("account", d.conn["id"])]
    for level, scope_id in order:
        args = ["assign", "set", level] + ([scope_id] if scope_id else []) + [ids[level]]
        d.ctl_json(*args)
        r, data = chat(d, model="fast")
        assert r.status == 200, data
        assert r.getheader("X-OmniRoute-Proxy-Level") == level
        assert r.getheader("X-OmniRoute-Proxy-Id") == ids[level]


def test_direct_assignment_goes_direct(d, provider, peers):
    ms = peers(env.microsocks)
    g = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "global", g["id"])
    d.ctl_json("assign", "set", "provider", "openai", "direct")
    r, data = chat(d)
    assert r.status == 200
    assert r.getheader("X-OmniRoute-Proxy-Level") == "provider"
    assert r.getheader("X-OmniRoute-Proxy-Id") == "none"


def test_failover_to_the_next_connection_and_cooldown(d, provider):
    second = d.ctl_json("conn", "add", "openai", "--name", "second", "--key", "sk-second",
                        "--priority", "5")
    provider.script("/v1/chat/completions", status=401, times=1)
    r, data = chat(d)
    assert r.status == 200, data
    assert r.getheader("X-OmniRoute-Connection") == second["id"]
    assert [q.bearer for q in provider.requests[-2:]] == ["sk-main", "sk-second"]
    # the refused one rests: the next call goes straight to the second in this worker
    r, data = chat(d)
    assert r.status == 200


def test_combo_fails_over_to_its_next_target(d, provider):
    d.ctl_json("conn", "add", "anthropic", "--name", "a", "--key", "sk-ant")
    d.ctl_json("combo", "add", "duo", "openai/gpt-4o", "anthropic/claude-sonnet-4-20250514")
    provider.script("/v1/chat/completions", status=500, times=1)
    r, data = call(d, {"model": "duo", "messages": [{"role": "user", "content": "x"}]})
    assert r.status == 200, data
    assert provider.requests[-1].headers.get("x-api-key") == "sk-ant"
    assert provider.requests[-1].headers.get("anthropic-version") == "2023-06-01"


def test_last_error_is_passed_through_when_nothing_is_left(d, provider):
    provider.script("/v1/chat/completions", status=429, times=1)
    r, data = chat(d)
    assert r.status == 429
    assert json.loads(data)["error"]["code"] == "rate_limit_exceeded"


def test_mid_stream_reset_is_visible_to_the_client(d, provider):
    provider.script("/v1/chat/completions", reset_after_events=2, times=1)
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    c.request("POST", CHAT, body=json.dumps({"model": "openai/gpt-4o", "stream": True}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        r.read()
    c.close()


def test_client_abort_closes_the_upstream(d, provider):
    provider.script("/v1/chat/completions", events=["a"] * 50, pause=0.1, times=1)
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    body = json.dumps({"model": "openai/gpt-4o", "stream": True}).encode()
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
              b"application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    assert s.recv(100).startswith(b"HTTP/1.1 200")
    s.close()
    # the stand-in's connection is gone well before its 5 s stream would end
    assert wait_for(lambda: provider.open_connections == 0, 3.0)


def test_unknown_model_and_bad_bodies(d, provider):
    d.ctl_json("combo", "add", "fast", "openai/gpt-4o-mini")
    r, data = call(d, {"model": "gpt-4o"})
    assert r.status == 400
    msg = json.loads(data)["error"]["message"]
    assert "openai" in msg and "fast" in msg
    r, data = call(d, {"messages": []})
    assert r.status == 400
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
    c.request("POST", CHAT, body=b"{not json", headers={"Content-Type": "application/json"})
    assert c.getresponse().status == 400
    r, data = call(d, {"model": "groq/llama"})
    assert r.status == 503 and "no active connection" in json.loads(data)["error"]["message"]


def test_client_keys_when_required(daemon_factory, ca, provider):
    dd = daemon_factory(name="keys", env={"OMNIROUTE_CA_FILE": ca.ca,
                                          "REQUIRE_API_KEY": "true"}).start()
    dd.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    dd.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    key = dd.ctl_json("apikey", "add", "ci")["key"]
    r, data = chat(dd)
    assert r.status == 401
    r, data = chat(dd, headers={"Authorization": "Bearer " + key})
    assert r.status == 200, data
    assert provider.requests[-1].headers["authorization"] == "Bearer sk-x"


def test_health_shows_relayed_traffic(d, provider, peers):
    ms = peers(env.microsocks)
    p = new_proxy(d, name="counted", type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "global", p["id"])
    for _ in range(3):
        assert chat(d)[0].status == 200
    provider.script("/v1/chat/completions", status=500, times=1)
    assert chat(d)[0].status == 500

    def counted():
        items = d.ctl_json("proxy", "health")["items"]
        item = [i for i in items if i["proxyId"] == p["id"]][0]
        return item if item["totalRequests"] == 4 else None
    assert wait_for(counted)
    item = counted()
    assert item["successCount"] == 4 - item["errorCount"]
    assert item["avgLatencyMs"] is not None and item["lastSeenAt"]


@pytest.mark.parametrize("via", ["direct", "microsocks"])
def test_large_bodies_both_ways_with_a_slow_reader(d, provider, peers, via):
    """8 MiB up and 8 MiB down: more than a socket buffer holds, so writes are
    left over and finished by write events; a client reading slowly makes the
    relay pause the upstream (backpressure) and resume it."""
    import hashlib
    if via == "microsocks":
        ms = peers(env.microsocks)
        p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
        d.ctl_json("assign", "set", "global", p["id"])
    content = "".join(chr(0x41 + i % 26) for i in range(8 * 1024 * 1024))
    down = json.dumps({"id": "big", "choices": [{"message": {"content": content[::-1]}}]})
    provider.script("/v1/chat/completions", body=down.encode())
    body = json.dumps({"model": "openai/gpt-4o-mini",
                       "messages": [{"role": "user", "content": content}]})
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
    c.request("POST", CHAT, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200
    got = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        piece = r.read(256 * 1024)
        if not piece:
            break
        got += piece
        if len(got) < 2 * 1024 * 1024:
            time.sleep(0.02)    # slow at first: the relay's buffer fills
    c.close()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(down.encode()).hexdigest()
    sent = provider.requests[-1].json()
    assert sent["model"] == "gpt-4o-mini"
    assert sent["messages"][0]["content"] == content


def test_tls_sessions_resume_per_egress_and_never_across(daemon_factory, ca, provider,
                                                         peers):
    """New TLS connections resume a session from an earlier one over the
    same egress; a ticket from the direct path is never shown through a
    proxy (that would link two exits), nor one proxy's through another."""
    provider.reset()
    d = daemon_factory(workers=1, env={"OMNIROUTE_CA_FILE": ca.ca}).start()  # one store
    d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    d.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-main")
    provider.script(CHAT, close=True, times=None)     # a new connection per call
    provider.tls_resumed.clear()
    for _ in range(3):
        assert chat(d)[0].status == 200
    assert list(provider.tls_resumed) == [False, True, True]
    ms1, ms2 = peers(env.microsocks), peers(env.microsocks)
    p1 = new_proxy(d, name="exit-1", type="socks5", host="127.0.0.1", port=ms1.port)
    p2 = new_proxy(d, name="exit-2", type="socks5", host="127.0.0.1", port=ms2.port)
    d.ctl_json("assign", "set", "global", p1["id"])
    for _ in range(2):
        assert chat(d)[0].status == 200
    d.ctl_json("assign", "set", "global", p2["id"])
    for _ in range(2):
        assert chat(d)[0].status == 200
    # the same proxy endpoint with other credentials is another exit (a user
    # or a password can pick the country or the sticky session)
    p3 = new_proxy(d, name="exit-2a", type="socks5", host="127.0.0.1", port=ms2.port,
                   username="u", password="country-de")
    p4 = new_proxy(d, name="exit-2b", type="socks5", host="127.0.0.1", port=ms2.port,
                   username="u", password="country-fr")
    for p in (p3, p4):
        d.ctl_json("assign", "set", "global", p["id"])
        for _ in range(2):
            assert chat(d)[0].status == 200
    assert list(provider.tls_resumed)[3:] == [False, True, False, True,
                                              False, True, False, True]


def test_tls12_sessions_resume_on_every_new_connection(daemon_factory, ca, peers):
    """A TLS 1.2 server renews no ticket when it resumes a session, so the
    stored session is presented again: every new connection after the first
    resumes, direct and through a proxy (not every other one)."""
    tls12 = ProviderStandIn(ca, max_tls=ssl.TLSVersion.TLSv1_2)
    try:
        d = daemon_factory(workers=1, env={"OMNIROUTE_CA_FILE": ca.ca}).start()
        d.ctl_json("provider", "update", "openai", "--base-url", tls12.url("/v1"))
        d.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-main")
        tls12.script(CHAT, close=True, times=None)      # a new connection per call
        for _ in range(4):
            assert chat(d)[0].status == 200
        ms = peers(env.microsocks)
        p = new_proxy(d, name="exit", type="socks5", host="127.0.0.1", port=ms.port)
        d.ctl_json("assign", "set", "global", p["id"])
        for _ in range(4):
            assert chat(d)[0].status == 200
        assert list(tls12.tls_resumed) == [False, True, True, True] * 2
    finally:
        tls12.stop()


def test_chunked_request_body_goes_upstream_with_a_length(d, provider):
    body = json.dumps({"model": "openai/gpt-4o-mini", "stream": True,
                       "messages": [{"role": "user", "content": "chunks " * 5000}]}).encode()
    wire = b""
    for i in range(0, len(body), 1000):
        piece = body[i:i + 1000]
        wire += b"%x\r\n" % len(piece) + piece + b"\r\n"
    wire += b"0\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", d.port), timeout=20)
    s.sendall(b"POST " + CHAT.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + wire)
    got = b""
    while b"data: [DONE]" not in got:
        piece = s.recv(65536)
        assert piece, got[:300]
        got += piece
    s.close()
    assert got.startswith(b"HTTP/1.1 200 ")
    up = provider.requests[-1]
    assert up.headers.get("content-length") == str(len(up.body))
    assert "transfer-encoding" not in up.headers
    sent = json.loads(body)
    sent["model"] = "gpt-4o-mini"
    assert up.json() == sent


def test_reload_drain_deadline_cuts_a_stream_that_outlives_it(daemon_factory, ca, provider,
                                                              tmp_path):
    import signal
    import threading
    provider.reset()
    cfg = tmp_path / "drain.conf"
    cfg.write_text("reload_drain_timeout_ms = 1000\n")
    d = daemon_factory(workers=1, config=str(cfg), env={"OMNIROUTE_CA_FILE": ca.ca}).start()
    d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    d.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    provider.script(CHAT, events=["tok"] * 40, pause=0.25, times=1)     # ~10 s of stream
    result = {}

    def stream():
        started = time.monotonic()
        try:
            result["data"] = chat(d, stream=True)[1]
        except (http.client.HTTPException, OSError) as e:
            result["error"] = repr(e)
        result["seconds"] = time.monotonic() - started
    t = threading.Thread(target=stream)
    t.start()
    provider.wait_requests(1, timeout=10)
    old = [w["pid"] for w in d.ctl_json("workers")["items"]]
    d.proc.send_signal(signal.SIGHUP)
    t.join(15)
    assert not t.is_alive()
    assert b"[DONE]" not in result.get("data", b""), result       # cut, visibly
    assert result["seconds"] < 8, result
    assert wait_for(lambda: "reload_drain_timeout_ms" in d.read_log(), timeout=5)
    assert wait_for(lambda: not set(old) & {w["pid"] for w in
                                            d.ctl_json("workers")["items"]}, timeout=5)
    assert chat(d)[0].status == 200                                  # the new worker serves


def test_every_framing_on_one_kept_alive_client_connection(d):
    """A 204, a Content-Length body and a chunked body, in turn, many times on
    one client connection: a response with no body must not stall the next
    one (its head has to leave without a body write behind it). The upstream
    is a plain-HTTP peer written here, because it must answer 204."""
    import socketserver
    import threading
    replies = [b"HTTP/1.1 204 No Content\r\n\r\n",
               b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               b"Content-Length: 11\r\n\r\n{\"ok\":true}",
               b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n"]
    count = [0]

    class Upstream(socketserver.BaseRequestHandler):
        def handle(self):
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    got = self.request.recv(65536)
                    if not got:
                        return
                    buf += got
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                while len(buf) < length:
                    buf += self.request.recv(65536)
                buf = buf[length:]
                self.request.sendall(replies[count[0] % 3])
                count[0] += 1

    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Upstream)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        d.ctl_json("provider", "add", "plain", "--base-url",
                   "http://127.0.0.1:%d/v1" % srv.server_address[1], "--auth", "none")
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
        body = json.dumps({"model": "plain/m", "messages": []})
        got = []
        for _ in range(9):
            c.request("POST", CHAT, body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            got.append((r.status, r.read()))
        c.close()
        assert got == [(204, b""), (200, b'{"ok":true}'), (200, b'{"a":1}')] * 3
    finally:
        srv.shutdown()
        srv.server_close()


def test_identical_attempts_fold_into_few_log_rows(d, provider, peers):
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor
    ms = peers(env.microsocks)
    p = new_proxy(d, name="busy", type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "global", p["id"])
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: chat(d)[0].status, range(60)))
    assert statuses == [200] * 60

    def counted():
        items = d.ctl_json("proxy", "health")["items"]
        item = [i for i in items if i["proxyId"] == p["id"]][0]
        return item if item["totalRequests"] >= 60 else None
    assert wait_for(counted)
    assert counted()["totalRequests"] == 60 and counted()["successCount"] == 60
    db = sqlite3.connect(d.datadir + "/omniroute.db")
    rows, calls = db.execute("SELECT COUNT(*), SUM(calls) FROM proxy_logs "
                             "WHERE proxy_id = ?", (p["id"],)).fetchone()
    db.close()
    assert calls == 60 and rows < 60, (rows, calls)


def test_registry_changes_during_a_stream_do_not_disturb_it(d, provider):
    import threading
    provider.script("/v1/chat/completions", events=["tok"] * 20, pause=0.05, times=1)
    result = {}

    def run():
        result["r"] = chat(d, stream=True)
    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.2)
    for i in range(5):        # new routing tables reach the workers mid-stream
        d.ctl_json("conn", "update", d.conn["id"], "--key", "sk-rotated-%d" % i)
        d.ctl_json("provider", "update", "openai", "--header", "X-Gen: %d" % i)
    t.join(15)
    r, data = result["r"]
    assert r.status == 200 and data == provider.sent_bodies[-1]
    # the next call uses the new key
    chat(d)
    assert provider.requests[-1].bearer == "sk-rotated-4"
    assert provider.requests[-1].headers["x-gen"] == "4"


def test_slow_response_head_times_out_with_504(daemon_factory, ca, provider):
    provider.reset()
    dd = daemon_factory(name="slow", env={"OMNIROUTE_CA_FILE": ca.ca,
                                          "OMNIROUTE_RESPONSE_HEAD_TIMEOUT_MS": "700"}).start()
    dd.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    dd.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    provider.script("/v1/chat/completions", slow_head=3, times=1)
    t0 = time.time()
    r, data = chat(dd)
    assert r.status == 504, data
    assert "no response head within 700 ms" in json.loads(data)["error"]["message"]
    assert time.time() - t0 < 2.5


def test_connection_test_goes_through_the_connections_proxy(d, provider, peers):
    ms = peers(env.microsocks)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "account", d.conn["id"], p["id"])
    res = d.probe_json("conn", "test", d.conn["id"])
    assert res["success"] is True and res["status"] == 200, res
    assert (res["level"], res["proxyId"]) == ("account", p["id"])
    req = provider.requests[-1]
    assert (req.method, req.route, req.bearer) == ("GET", "/v1/models", "sk-main")
    # the HTTP twin, and a refused key
    provider.script("/v1/models", status=401, times=1)
    status, res = d.http("POST", "/api/providers/%s/test" % d.conn["id"])
    assert status == 200 and res["success"] is False and res["status"] == 401, res
    # an inactive assigned proxy: refused, nothing sent
    n = len(provider.requests)
    d.ctl_json("proxy", "update", p["id"], "--status", "inactive")
    res = d.probe_json("conn", "test", d.conn["id"])
    assert res["success"] is False and "PROXY_ASSIGNED_UNAVAILABLE" in res["error"]
    assert len(provider.requests) == n
    status, err = d.http("POST", "/api/providers/nope/test")
    assert status == 404


def test_audio_upload_multipart_keeps_the_file_bytes(d, provider, peers):
    ms = peers(env.microsocks)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "global", p["id"])
    audio = bytes(range(256)) * 200 + b"\r\n--b0undary-lookalike\r\n"
    boundary = "omniTEST42"
    parts = [
        b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
        b"Content-Type: audio/wav\r\n\r\n%s\r\n" % (boundary.encode(), audio),
        b"--%s\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nopenai/whisper-1\r\n"
        % boundary.encode(),
        b"--%s--\r\n" % boundary.encode()]
    body = b"".join(parts)
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    c.request("POST", "/v1/audio/transcriptions", body=body,
              headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
    r = c.getresponse()
    data = json.loads(r.read())
    assert r.status == 200, data
    assert r.getheader("X-OmniRoute-Proxy-Id") == p["id"]
    got = provider.requests[-1]
    assert got.body == body.replace(b"openai/whisper-1", b"whisper-1")
    assert got.headers["content-type"] == "multipart/form-data; boundary=" + boundary
    assert "file" in data["parts"] and "model" in data["parts"]
    c.request("POST", "/v1/audio/transcriptions", body=parts[0] + parts[2],
              headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
    r = c.getresponse()
    assert r.status == 400 and "model" in json.loads(r.read())["error"]["message"]


def test_upstream_modes_cliproxyapi_and_fallback(daemon_factory, ca, provider):
    cli = ProviderStandIn(ca, tls=False)
    try:
        provider.reset()
        dd = daemon_factory(name="modes", env={"OMNIROUTE_CA_FILE": ca.ca,
                                               "CLIPROXYAPI_URL": cli.url()}).start()
        dd.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
        dd.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-native")
        status, rec = dd.http("GET", "/api/upstream-proxy/openai")
        assert status == 200 and rec == {"providerId": "openai", "mode": "native",
                                         "enabled": False}
        status, rec = dd.http("PUT", "/api/upstream-proxy/openai", {"mode": "cliproxyapi"})
        assert status == 200 and rec["mode"] == "cliproxyapi" and rec["enabled"] is True
        r, data = chat(dd)
        assert r.status == 200, data
        # CLIPROXYAPI_URL is loopback here: the hop is local, not an egress
        assert r.getheader("X-OmniRoute-Proxy-Level") == "delegated"
        assert r.getheader("X-OmniRoute-Proxy-Id") == "none"
        assert cli.requests[-1].route == "/v1/chat/completions"
        assert cli.requests[-1].bearer == "sk-native"
        assert len(provider.requests) == 0
        r, data = call(dd, {"model": "openai/gpt-4o", "max_tokens": 5,
                            "messages": [{"role": "user", "content": "x"}]},
                       path="/v1/messages", headers={"anthropic-version": "2023-06-01",
                                                     "x-api-key": "client"})
        assert cli.requests[-1].route == "/v1/messages"
        # fallback: native first, CLIProxyAPI when the provider fails
        dd.ctl_json("upstream", "set", "openai", "fallback")
        r, data = chat(dd)
        assert r.status == 200 and r.getheader("X-OmniRoute-Proxy-Level") == "direct"
        n = len(cli.requests)
        provider.script("/v1/chat/completions", status=500, times=1)
        r, data = chat(dd)
        assert r.status == 200 and r.getheader("X-OmniRoute-Proxy-Level") == "delegated"
        assert len(cli.requests) == n + 1
        status, res = dd.http("DELETE", "/api/upstream-proxy/openai")
        assert res == {"deleted": True}
        assert dd.ctl_json("upstream", "delete", "openai") == {"deleted": False}
        status, err = dd.http("PUT", "/api/upstream-proxy/openai", {"mode": "bogus"})
        assert status == 400 and err["error"]["details"][0]["field"] == "mode"
    finally:
        cli.stop()


def test_upstream_connection_reuse_direct_always_proxied_only_when_enabled(daemon_factory, ca,
                                                                        provider, peers):
    provider.reset()
    dd = daemon_factory(name="pool1", workers=1, env={"OMNIROUTE_CA_FILE": ca.ca}).start()
    dd.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    dd.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    for _ in range(3):
        assert chat(dd)[0].status == 200
    assert len({q.conn for q in provider.requests}) == 1      # direct: one kept-alive connection
    ms = peers(env.microsocks)
    p = new_proxy(dd, type="socks5", host="127.0.0.1", port=ms.port)
    dd.ctl_json("assign", "set", "global", p["id"])
    provider.reset()
    for _ in range(3):
        assert chat(dd)[0].status == 200
    assert len({q.conn for q in provider.requests}) == 3      # proxied: never reused by default
    dd2 = daemon_factory(name="pool2", workers=1, env={
        "OMNIROUTE_CA_FILE": ca.ca, "OMNIROUTE_POOL_PROXIED_IDLE_MS": "5000"}).start()
    dd2.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    dd2.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    p2 = new_proxy(dd2, type="socks5", host="127.0.0.1", port=ms.port)
    dd2.ctl_json("assign", "set", "global", p2["id"])
    provider.reset()
    for _ in range(3):
        r, data = chat(dd2)
        assert r.status == 200 and r.getheader("X-OmniRoute-Proxy-Id") == p2["id"]
    assert len({q.conn for q in provider.requests}) == 1      # the switch: one tunnel reused


def test_pooled_tunnel_is_not_reused_after_the_proxy_credentials_change(daemon_factory, ca,
                                                                        provider, peers):
    """With proxied pooling on, a tunnel opened with the old credentials must
    not serve a call once the proxy's password has changed: the new one is
    what the user wants checked (and a new user name can mean a new exit)."""
    provider.reset()
    ms = peers(env.microsocks, user="u1", password="right")
    d = daemon_factory(name="poolcred", workers=1, env={
        "OMNIROUTE_CA_FILE": ca.ca, "OMNIROUTE_POOL_PROXIED_IDLE_MS": "5000"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    d.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port, username="u1",
                  password="right")
    d.ctl_json("assign", "set", "global", p["id"])
    for _ in range(2):
        assert chat(d)[0].status == 200
    assert len({q.conn for q in provider.requests}) == 1      # the tunnel is pooled
    d.ctl_json("proxy", "update", p["id"], "--password", "wrong")
    r, data = chat(d)
    assert r.status == 502, data                              # not the pooled tunnel
    assert json.loads(data)["error"]["code"] == "PROXY_UNREACHABLE"
    assert len(provider.requests) == 2
    d.ctl_json("proxy", "update", p["id"], "--password", "right")
    assert chat(d)[0].status == 200


def test_socks5_disabled_refuses_at_dial(daemon_factory, ca, provider, peers):
    provider.reset()
    ms = peers(env.microsocks)
    a = daemon_factory(name="s5", env={"OMNIROUTE_CA_FILE": ca.ca}).start()
    a.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    a.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    p = new_proxy(a, type="socks5", host="127.0.0.1", port=ms.port)
    a.ctl_json("assign", "set", "global", p["id"])
    assert a.stop() == 0
    b = daemon_factory(name="s5", env={"OMNIROUTE_CA_FILE": ca.ca,
                                       "ENABLE_SOCKS5_PROXY": "false"})
    b.datadir = a.datadir
    b.sock = a.sock
    b.start()
    r, data = chat(b)
    assert r.status == 503, data
    err = json.loads(data)["error"]
    assert err["code"] == "SOCKS5_DISABLED" and "ENABLE_SOCKS5_PROXY" in err["message"]
    assert len(provider.requests) == 0


def test_unknown_client_is_refused_before_its_body_is_read(daemon_factory, ca):
    dd = daemon_factory(name="early401", env={"OMNIROUTE_CA_FILE": ca.ca,
                                              "REQUIRE_API_KEY": "true"}).start()
    s = socket.create_connection(("127.0.0.1", dd.port), timeout=5)
    # announces 30 MB and sends none of it: the answer comes at once
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: 30000000\r\n\r\n")
    data = s.recv(4096)
    s.close()
    assert data.startswith(b"HTTP/1.1 401"), data


def test_fallback_never_bypasses_a_refusing_assignment(daemon_factory, ca, provider):
    cli = ProviderStandIn(ca, tls=False)
    try:
        provider.reset()
        dd = daemon_factory(name="fb", env={"OMNIROUTE_CA_FILE": ca.ca,
                                            "CLIPROXYAPI_URL": cli.url()}).start()
        dd.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
        dd.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
        dd.ctl_json("upstream", "set", "openai", "fallback")
        off = new_proxy(dd, host="127.0.0.1", port=1, status="inactive")
        dd.ctl_json("assign", "set", "provider", "openai", off["id"])
        r, data = chat(dd)
        assert r.status == 503, data
        assert json.loads(data)["error"]["code"] == "PROXY_ASSIGNED_UNAVAILABLE"
        assert len(cli.requests) == 0 and len(provider.requests) == 0
    finally:
        cli.stop()
