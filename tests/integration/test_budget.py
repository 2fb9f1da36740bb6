"""Request bodies cannot starve other callers (issue 8): body bytes count
against the worker's budget as they arrive, not when a head announces a
length; /api and /v1 bodies have budgets apart; one client address may hold
only its share of each budget (body_budget_per_peer_percent) and open only
max_connections_per_peer connections per worker. Against the real daemon:

(a) 1 000 sockets that announce large bodies (to /v1 and /api) and send
    nothing, held open, while /v1 calls keep answering 200 — from the same
    127.0.0.1 as the good calls, and from 127.0.0.3;
(b) /api uploads holding their whole budget cannot starve /v1, with a
    management key set;
(c) one peer past its share is refused while another peer uploads;
(d) the budget is given back when held sockets close or time out;
(e) a slow large upload that keeps sending is not cut;
and the per-peer connection cap, and the open-files limit raised at start.

Attacker sockets ask "Expect: 100-continue" (as curl does for large
bodies): the daemon's "100 Continue" proves it has read the head and waits
for the body, so every socket is known to be held before the good calls."""

import http.client
import json
import os
import resource
import selectors
import socket
import threading
import time

import pytest

from keepalive_load import KeepAliveLoad
from provider_standin import ProviderStandIn

CHAT = "/v1/chat/completions"
API_PATH = "/api/settings/proxies"
API_KEY = "k8-budget-5b1e0c7a"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
MIB = 1024 * 1024


@pytest.fixture(scope="module", autouse=True)
def enough_descriptors():
    """This process holds a thousand sockets and more; as root the hard limit
    may be raised too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192
    if soft < want:
        new_hard = hard if hard == resource.RLIM_INFINITY or hard >= want else want
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, new_hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture(scope="module")
def provider(ca):
    p = ProviderStandIn(ca, pause=0.01)
    yield p
    p.stop()


def relay_daemon(daemon_factory, ca, provider, workers=2, env=None):
    provider.reset()
    e = {"OMNIROUTE_CA_FILE": ca.ca}
    e.update(env or {})
    d = daemon_factory(workers=workers, env=e).start()
    d.ctl_json("provider", "update", "openai", "--base-url", provider.url("/v1"))
    d.ctl_json("conn", "add", "openai", "--name", "m", "--key", "sk-x")
    return d


def chat_body(size=0):
    return json.dumps({"model": "openai/gpt-4o-mini",
                       "messages": [{"role": "user", "content": "hi" + "b" * size}]})


def head(d, path, length, extra=b""):
    return (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
            % (path.encode(), d.port, length, extra))


def connect_from(d, src, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", d.port))
    return s


def open_heads(d, count, path, length, src, extra=b"Expect: 100-continue\r\n"):
    socks = []
    for _ in range(count):
        s = connect_from(d, src)
        s.sendall(head(d, path, length, extra))
        socks.append(s)
    return socks


def read_answers(socks, want, max_seconds=60, stop_after=None):
    """Read from every socket until each has at least `want` bytes or closed
    (or stop_after of them have), bounded in time; returns what each sent."""
    got = {s: b"" for s in socks}
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    pending = set(socks)
    deadline = time.monotonic() + max_seconds
    while pending and time.monotonic() < deadline and \
            (stop_after is None or len(socks) - len(pending) < stop_after):
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            got[s] += data
            if not data or len(got[s]) >= want:
                sel.unregister(s)
                pending.discard(s)
    sel.close()
    for s in socks:
        s.setblocking(True)
    return [got[s] for s in socks]


def still_held(s):
    """Open, and nothing more answered (a look, never a wait)."""
    timeout = s.gettimeout()
    s.setblocking(False)
    try:
        s.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.settimeout(timeout)
    return False


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def daemon_rss_kb(d):
    return sum(rss_kb(p) for p in [d.proc.pid] + d.worker_pids())


def workers_sum(d, field):
    """Summed over the workers, as each published it (omnirctl workers --json)."""
    return sum(w[field] for w in d.ctl_json("workers")["items"])


def wait_workers_sum(d, field, want, tries=400):
    """Poll (bounded) until the workers' field sums to want; the last sum."""
    got = None
    for _ in range(tries):
        got = workers_sum(d, field)
        if got == want:
            break
        time.sleep(0.05)
    return got


def good_calls(d, calls=40):
    def check(data):
        return None if "choices" in json.loads(data) else "no choices"
    load = KeepAliveLoad(d.port, path=CHAT, method="POST", body=chat_body(),
                         clients=4, max_calls=calls // 4, max_seconds=120, check=check)
    load.start()
    for t in load.threads:                 # each makes its calls (bounded)
        t.join(150)
    load.finish()
    return load


def upload(d, body, src="127.0.0.1", path=CHAT, extra=b"", timeout=30):
    """POST body from src; (status, body bytes) — a refusal may come before
    the body is all sent, so the body goes from a thread."""
    s = connect_from(d, src, timeout)
    data = body.encode() if isinstance(body, str) else body
    sent = []

    def send():
        try:
            s.sendall(head(d, path, len(data), extra) + data)
        except OSError as e:
            sent.append(e)
    t = threading.Thread(target=send, daemon=True)
    t.start()
    resp = http.client.HTTPResponse(s)
    try:
        resp.begin()
        status, payload = resp.status, resp.read()
    finally:
        t.join(timeout)
        s.close()
    return status, payload


def message(payload):
    return json.loads(payload)["error"]["message"]


# ---- (a) a thousand announced-but-unsent bodies -----------------------------

@pytest.mark.parametrize("src", ["127.0.0.1", "127.0.0.3"])
def test_a_thousand_announced_bodies_hold_nothing(daemon_factory, ca, provider, src):
    d = relay_daemon(daemon_factory, ca, provider)
    rss_before = daemon_rss_kb(d)
    held = (open_heads(d, 500, CHAT, 32 * MIB, src) +
            open_heads(d, 500, API_PATH, MIB, src))
    try:
        answers = read_answers(held, len(CONTINUE))
        assert all(a == CONTINUE for a in answers), \
            sorted(set(a[:80] for a in answers if a != CONTINUE))
        # every head is in and waits for its body: nothing is held for it
        assert workers_sum(d, "connections") >= 1000
        assert workers_sum(d, "bodyBytes") == 0
        assert workers_sum(d, "apiBodyBytes") == 0
        load = good_calls(d)
        print("\n(a) from %s: %d sockets held (500 x 32 MiB to /v1, 500 x 1 MiB to "
              "/api announced); /v1 calls: %s; daemon RSS %d KiB (master + %d "
              "workers; %d KiB before the sockets)"
              % (src, len(held), load.summary(), daemon_rss_kb(d), d.workers, rss_before))
        assert load.errors == [] and load.ok == 40, load.summary()
        assert all(still_held(s) for s in held)
    finally:
        for s in held:
            s.close()


# ---- (b) /api bodies cannot starve /v1 ---------------------------------------

def test_api_uploads_cannot_starve_v1_with_a_key_set(daemon_factory, ca, provider):
    d = relay_daemon(daemon_factory, ca, provider, workers=1,
                     env={"OMNIROUTE_API_KEY": API_KEY})
    auth = b"Authorization: Bearer %s\r\n" % API_KEY.encode()
    part = b" " * (64 * 1024)                  # of a 1 MiB body, never finished
    held, refused = [], []
    try:
        # two authorised addresses hold exactly their share (half of the
        # 16 MiB api_body_budget_mb) each: 256 sockets, the /api budget whole
        for src in ("127.0.0.4", "127.0.0.6"):
            for s in open_heads(d, 128, API_PATH, MIB, src, auth):
                s.sendall(part)
                held.append(s)
        assert wait_workers_sum(d, "apiBodyBytes", 16 * MIB) == 16 * MIB
        # 344 more without the key, from a third address: no room for them
        for s in open_heads(d, 344, API_PATH, MIB, "127.0.0.3", b""):
            try:
                s.sendall(part)
            except OSError:
                pass                          # refused and closed meanwhile
            refused.append(s)
        answers = read_answers(refused, 12)
        for a in answers:                     # refused at the head, no body read
            assert a.startswith(b"HTTP/1.1 401 "), a[:300]
        # an authorised 1 MiB upload from a fourth address is refused, naming it
        status, payload = upload(d, b"[" + b" " * (MIB - 1), "127.0.0.5", API_PATH, auth)
        assert status == 503 and "(api_body_budget_mb)" in message(payload), payload
        # the /v1 budget is another one
        assert workers_sum(d, "bodyBytes") == 0
        load = good_calls(d)
        print("\n(b) 600 /api sockets (key set): %d holding 64 KiB each, %d bytes; "
              "/v1 calls: %s; daemon RSS %d KiB" % (
                  len(held), workers_sum(d, "apiBodyBytes"), load.summary(),
                  daemon_rss_kb(d)))
        assert load.errors == [] and load.ok == 40, load.summary()
        assert all(still_held(s) for s in held)
        assert workers_sum(d, "apiBodyBytes") == 16 * MIB     # held all along
    finally:
        for s in held + refused:
            s.close()


def test_unauthenticated_api_heads_are_refused_before_any_body(daemon_factory, ca,
                                                               provider):
    """With a management key set, a head without it is answered 401 (and one
    with a wrong key 403) as soon as it arrives: no body byte of an unknown
    caller is awaited, read or counted, and no "100 Continue" invites one."""
    d = relay_daemon(daemon_factory, ca, provider, workers=1,
                     env={"OMNIROUTE_API_KEY": API_KEY})
    socks = []
    try:
        for auth, status in ((b"", b"401"), (b"Authorization: Bearer wrong\r\n", b"403")):
            socks = open_heads(d, 20, API_PATH, MIB, "127.0.0.3",
                               auth + b"Expect: 100-continue\r\n")
            for a in read_answers(socks, 12, max_seconds=30):
                assert a.startswith(b"HTTP/1.1 " + status + b" "), a[:300]
            assert workers_sum(d, "apiBodyBytes") == 0
            for s in socks:
                s.close()
            socks = []
    finally:
        for s in socks:
            s.close()


# ---- (c) one peer past its share, another still uploads ---------------------

def test_a_peer_past_its_share_is_refused_while_another_uploads(daemon_factory, ca,
                                                               provider):
    # 8 MiB per worker, 4 MiB per address
    d = relay_daemon(daemon_factory, ca, provider, workers=1,
                     env={"OMNIROUTE_BODY_BUDGET_MB": "8"})
    piece = b" " * (MIB // 2)
    pair = open_heads(d, 2, CHAT, 3 * MIB, "127.0.0.3", extra=b"")

    def send(s):
        try:
            for _ in range(5):                # 2.5 MiB of 3: never finished
                s.sendall(piece)
        except OSError:
            pass                              # refused, then closed while sending
    senders = [threading.Thread(target=send, args=(s,), daemon=True) for s in pair]
    try:
        for t in senders:
            t.start()
        # together 5 MiB from one address: one of the two is refused
        answers = read_answers(pair, 12, max_seconds=60, stop_after=1)
        refused = [a for a in answers if a]
        assert len(refused) == 1, answers
        assert refused[0].startswith(b"HTTP/1.1 503 "), refused[0][:200]
        body = refused[0].split(b"\r\n\r\n", 1)[1]
        assert "(body_budget_per_peer_percent of body_budget_mb)" in message(body)
        holder = pair[answers.index(b"")]
        assert still_held(holder)
        assert wait_workers_sum(d, "bodyBytes", 5 * MIB // 2) == 5 * MIB // 2
        # another address uploads 3 MiB meanwhile, relayed whole
        provider.reset()
        status, payload = upload(d, chat_body(3 * MIB))
        assert status == 200, payload[:300]
        assert len(provider.requests[0].body) > 3 * MIB
        assert still_held(holder)
        assert wait_workers_sum(d, "bodyBytes", 5 * MIB // 2) == 5 * MIB // 2
    finally:
        for s in pair:
            s.close()
        for t in senders:
            t.join(30)


# ---- (d) the budget is given back -------------------------------------------

def fill_worker_budget(d):
    """Two addresses hold 3.8 MiB each (under their 4 MiB share) of an 8 MiB
    worker budget; returns their sockets once the worker holds it all and a
    1 MiB upload from a third address is refused naming body_budget_mb."""
    held, part = [], 19 * MIB // 10
    for src in ("127.0.0.3", "127.0.0.4"):
        for s in open_heads(d, 2, CHAT, 3 * MIB, src, extra=b""):
            s.sendall(b" " * part)
            held.append(s)
    assert wait_workers_sum(d, "bodyBytes", 4 * part) == 4 * part
    status, payload = upload(d, b"[" + b" " * (MIB - 1), "127.0.0.5")
    assert status == 503 and "(body_budget_mb)" in message(payload), payload
    assert all(still_held(s) for s in held)
    return held


def upload_passes_again(d, tries=100):
    statuses = []
    for _ in range(tries):
        status, payload = upload(d, chat_body(3 * MIB))
        statuses.append(status)
        if status == 200:
            return statuses
        assert status == 503, payload[:300]
        time.sleep(0.05)
    raise AssertionError("large uploads never passed again: %s" % statuses[-5:])


def test_budget_is_given_back_when_held_sockets_close(daemon_factory, ca, provider):
    d = relay_daemon(daemon_factory, ca, provider, workers=1,
                     env={"OMNIROUTE_BODY_BUDGET_MB": "8"})
    held = fill_worker_budget(d)
    status, payload = upload(d, chat_body(3 * MIB))
    assert status == 503 and "(body_budget_mb)" in message(payload)
    for s in held:
        s.close()
    assert wait_workers_sum(d, "bodyBytes", 0) == 0
    upload_passes_again(d)
    # and again and again: nothing leaked into the budget
    for _ in range(3):
        held = fill_worker_budget(d)
        for s in held:
            s.close()
        assert wait_workers_sum(d, "bodyBytes", 0) == 0
        upload_passes_again(d)


def test_budget_is_given_back_when_held_sockets_time_out(daemon_factory, ca, provider):
    d = relay_daemon(daemon_factory, ca, provider, workers=1,
                     env={"OMNIROUTE_BODY_BUDGET_MB": "8",
                          "OMNIROUTE_BODY_IDLE_TIMEOUT_MS": "4000"})
    held = fill_worker_budget(d)
    answers = read_answers(held, 12, max_seconds=60)
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), answers
    assert wait_workers_sum(d, "bodyBytes", 0) == 0
    upload_passes_again(d)
    for s in held:
        s.close()


# ---- (e) a slow large upload keeps going ------------------------------------

def test_slow_large_upload_that_keeps_sending_is_not_cut(daemon_factory, ca, provider):
    # both deadlines far shorter than the whole upload; it never pauses long
    d = relay_daemon(daemon_factory, ca, provider, workers=1,
                     env={"OMNIROUTE_HEADER_TIMEOUT_MS": "1000",
                          "OMNIROUTE_BODY_IDLE_TIMEOUT_MS": "3000"})
    silent = open_heads(d, 200, CHAT, 32 * MIB, "127.0.0.3")
    try:
        assert all(a == CONTINUE for a in read_answers(silent, len(CONTINUE)))
        body = chat_body(4 * MIB).encode()
        s = connect_from(d, "127.0.0.1", timeout=30)
        s.sendall(head(d, CHAT, len(body)))
        step = len(body) // 50 + 1
        for i in range(0, len(body), step):    # 50 pieces, 0.1 s apart
            s.sendall(body[i:i + step])
            time.sleep(0.1)
        resp = http.client.HTTPResponse(s)
        resp.begin()
        data = resp.read()
        s.close()
        assert resp.status == 200, data[:300]
        sent = json.loads(provider.requests[-1].body)["messages"][0]["content"]
        assert sent == "hi" + "b" * (4 * MIB)
    finally:
        for s in silent:
            s.close()


# ---- connections per peer ----------------------------------------------------

def healthz_from(d, src):
    s = connect_from(d, src)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % d.port)
    return s, s.recv(4096)


def try_healthz_from(d, src):
    """(socket or None, answer): b"" when the daemon reset the connection."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(10)
    try:
        s.connect(("127.0.0.1", d.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % d.port)
        answer = s.recv(4096)
    except OSError:                           # reset at accept, even under connect()
        answer = b""
    if not answer:
        s.close()
        return None, b""
    return s, answer


def test_connections_per_peer_are_capped_others_still_served(daemon_factory):
    d = daemon_factory(workers=1, env={"OMNIROUTE_MAX_CONNECTIONS_PER_PEER": "5"}).start()
    held = []
    for _ in range(5):
        s, answer = healthz_from(d, "127.0.0.3")
        assert answer.startswith(b"HTTP/1.1 200 ")
        held.append(s)
    # the sixth (and seventh) from the same address are reset at accept
    for _ in range(2):
        assert try_healthz_from(d, "127.0.0.3") == (None, b"")
    # another address is served meanwhile
    s, answer = healthz_from(d, "127.0.0.1")
    assert answer.startswith(b"HTTP/1.1 200 ")
    s.close()
    log = d.read_log()
    assert log.count("max_connections_per_peer") == 1, log   # once per 10 s
    assert "client 127.0.0.3 has 5 connections open" in log
    # one closes: the address may connect again (its count went down)
    held.pop().close()
    for _ in range(100):
        s, answer = try_healthz_from(d, "127.0.0.3")
        if s is not None:
            held.append(s)
            break
        time.sleep(0.05)
    assert answer.startswith(b"HTTP/1.1 200 ")
    for s in held:
        s.close()


# ---- the open-files limit ----------------------------------------------------

def test_soft_open_files_limit_is_raised_to_the_hard_one(daemon_factory):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 1024:
        pytest.skip("a hard open-files limit above 1024 is needed to see it raised")
    d = daemon_factory(workers=1)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))   # the child inherits it
    try:
        d.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert "open files: up to %d per process (soft limit raised from 1024)" % hard \
        in d.read_log()
    for pid in d.worker_pids():
        with open("/proc/%d/limits" % pid) as f:
            line = [l for l in f if l.startswith("Max open files")][0]
        assert line.split()[3:5] == [str(hard), str(hard)], line
