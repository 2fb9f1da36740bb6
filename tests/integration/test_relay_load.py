"""1 000 concurrent streaming calls through one worker: every client gets its
whole SSE stream, byte-identical to what the provider sent, within a bounded
time. The client side is one selector loop of raw sockets; the provider is
the stand-in over plain HTTP."""

import json
import resource
import selectors
import socket
import time

import pytest

from provider_standin import ProviderStandIn

STREAMS = 1000
DEADLINE_S = 90


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def dechunk(raw):
    """The payload of a chunked body; None when the terminator is missing."""
    out, i = b"", 0
    while True:
        j = raw.find(b"\r\n", i)
        if j < 0:
            return None
        size = int(raw[i:j].split(b";")[0], 16)
        if size == 0:
            return out if raw[j + 2:j + 4] == b"\r\n" else None
        out += raw[j + 2:j + 2 + size]
        i = j + 2 + size + 2


def test_thousand_concurrent_streams_through_one_worker(daemon_factory, ca):
    if raise_fd_limit(8192) < 4 * STREAMS + 200:
        pytest.skip("not enough file descriptors for the load test")
    # plain HTTP upstream: a Python TLS server cannot take 1 000 handshakes at
    # once, and the subject here is the worker, not TLS
    provider = ProviderStandIn(ca, tls=False, pause=0.02, events=["t%d" % i for i in range(5)])
    try:
        d = daemon_factory(workers=1, env={"OMNIROUTE_CA_FILE": ca.ca}).start()
        d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
        d.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-load")
        body = json.dumps({"model": "openai/gpt-4o-mini", "stream": True,
                           "messages": [{"role": "user", "content": "x"}]}).encode()
        request = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Type: application/json\r\nConnection: close\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        sel = selectors.DefaultSelector()
        received = {}
        t0 = time.time()
        for i in range(STREAMS):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", d.port))
            sel.register(s, selectors.EVENT_WRITE, i)
            received[i] = b""
        open_socks = STREAMS
        while open_socks and time.time() - t0 < DEADLINE_S:
            for key, events in sel.select(timeout=1.0):
                s, i = key.fileobj, key.data
                if events & selectors.EVENT_WRITE:
                    s.sendall(request)
                    sel.modify(s, selectors.EVENT_READ, i)
                    continue
                try:
                    chunk = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except ConnectionError:
                    chunk = b""
                if chunk:
                    received[i] += chunk
                else:
                    sel.unregister(s)
                    s.close()
                    open_socks -= 1
        elapsed = time.time() - t0
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        assert open_socks == 0, "%d streams unfinished after %.0f s" % (open_socks, elapsed)
        bodies, bad = [], []
        for i, raw in received.items():
            head, _, rest = raw.partition(b"\r\n\r\n")
            payload = dechunk(rest)
            if not head.startswith(b"HTTP/1.1 200") or payload is None:
                bad.append(i)
            else:
                bodies.append(payload)
        assert bad == [], "%d of %d streams lost or cut (first: %r)" % (
            len(bad), STREAMS, received[bad[0]][-300:] if bad else b"")
        assert len(provider.requests) == STREAMS
        # each stream (they differ by their completion id) arrived byte-identical
        assert sorted(bodies) == sorted(provider.sent_bodies.snapshot())
        print("\n%d streams through one worker in %.2f s" % (STREAMS, elapsed))
    finally:
        provider.stop()
