"""Per-worker limits against the real daemon: max_client_connections pauses
accepting (the kernel's backlog holds the next client until a connection
closes) and body_budget_mb refuses a request body that would take a worker
past its budget with 503, while the bodies already held are relayed, and
takes new ones again once they are done. Also: a burst of clients is shared
between the workers instead of landing on whichever woke first."""

import http.client
import json
import socket
import threading
import time

import pytest

from provider_standin import ProviderStandIn

CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def provider(ca):
    p = ProviderStandIn(ca)
    yield p
    p.stop()


def healthz(sock):
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return sock.recv(4096)


def test_accepting_pauses_at_max_client_connections(daemon_factory):
    d = daemon_factory(workers=1, env={"OMNIROUTE_MAX_CLIENT_CONNECTIONS": "3"}).start()
    held = [socket.create_connection(("127.0.0.1", d.port), timeout=5) for _ in range(3)]
    for s in held:
        assert healthz(s).startswith(b"HTTP/1.1 200 ")
    waiting = socket.create_connection(("127.0.0.1", d.port), timeout=5)   # backlog
    waiting.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    waiting.settimeout(0.7)
    with pytest.raises(socket.timeout):
        waiting.recv(4096)                  # not served while 3 are open
    held.pop().close()
    waiting.settimeout(5)
    assert waiting.recv(4096).startswith(b"HTTP/1.1 200 ")
    assert "max_client_connections" in d.read_log()
    for s in held + [waiting]:
        s.close()
    # and it keeps serving new clients as connections come and go
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
            assert healthz(s).startswith(b"HTTP/1.1 200 ")


def post(d, body, result, key):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    c.request("POST", CHAT, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    result[key] = (r.status, r.read())
    c.close()


def test_body_budget_refuses_with_503_then_recovers(daemon_factory, ca, provider):
    provider.reset()
    # the worker's budget, not one client's share of it (test_budget.py)
    d = daemon_factory(workers=1, env={"OMNIROUTE_CA_FILE": ca.ca,
                                       "OMNIROUTE_BODY_BUDGET_MB": "1",
                                       "OMNIROUTE_BODY_BUDGET_PER_PEER_PERCENT": "100"}).start()
    d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    d.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    big = json.dumps({"model": "openai/gpt-4o-mini",
                      "messages": [{"role": "user", "content": "b" * 700000}]})
    provider.script(CHAT, slow_head=1.5, times=1)
    result = {}
    first = threading.Thread(target=post, args=(d, big, result, "first"))
    first.start()
    assert provider.wait_requests(1, timeout=10)          # the first body is held
    post(d, big, result, "second")
    status, data = result["second"]
    assert status == 503, data
    assert "body_budget_mb" in json.loads(data)["error"]["message"]
    first.join(20)
    assert result["first"][0] == 200
    # chunked bodies count too
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(big) * 2, (big * 2).encode())
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    s.sendall(b"POST " + CHAT.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
    reply = s.recv(65536)
    s.close()
    assert reply.startswith(b"HTTP/1.1 503 "), reply[:200]
    post(d, big, result, "third")                          # the budget is free again
    assert result["third"][0] == 200


def test_a_burst_of_clients_is_shared_between_the_workers(daemon_factory):
    import re
    import subprocess
    d = daemon_factory(workers=2).start()
    # both workers in their loops (each has taken the first snapshot)
    deadline = time.monotonic() + 10
    while not all(w["generation"] >= 1 for w in d.ctl_json("workers")["items"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pids = d.worker_pids()
    # like wrk: every connection is made (the kernel completes them in the
    # backlog) before any request is sent
    socks = [socket.create_connection(("127.0.0.1", d.port), timeout=10)
             for _ in range(32)]
    for s in socks:
        assert healthz(s).startswith(b"HTTP/1.1 200 ")
    out = subprocess.run(["ss", "-Htnp", "state", "established", "( sport = :%d )" % d.port],
                         capture_output=True, text=True, check=True).stdout
    per_worker = {pid: len(re.findall(r"pid=%d," % pid, out)) for pid in pids}
    for s in socks:
        s.close()
    assert sum(per_worker.values()) == 32, out
    # accepting the whole backlog at once gave 0 and 32 more often than not
    assert min(per_worker.values()) >= 4, per_worker
