"""The provider stand-in on its own, driven with Python's ssl/socket/http.client
only (no omniroute): JSON and SSE answers of each endpoint, chunk boundaries and
pauses, [DONE], scripted errors and bearer checks, a reset mid-stream, a late
head, a body delimited by close, keep-alive connection counting, multipart
echo and the Anthropic header checks — so relay tests can rely on it."""

import http.client
import json
import select
import socket
import ssl
import time

import pytest

from provider_standin import ProviderStandIn


@pytest.fixture(scope="module")
def ctx(ca):
    return ssl.create_default_context(cafile=ca.ca)


@pytest.fixture(scope="module")
def strict_ctx(ca):
    """Like a C client on OpenSSL 3: EOF without close_notify is an error."""
    c = ssl.create_default_context(cafile=ca.ca)
    c.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    return c


@pytest.fixture
def standins(ca):
    started = []

    def start(**kw):
        s = ProviderStandIn(ca, **kw)
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


@pytest.fixture
def si(standins):
    return standins()


def connect(si, ctx, timeout=5):
    if si.scheme == "https":
        # by number, like the plain connection (the certificate names it too)
        return http.client.HTTPSConnection("127.0.0.1", si.port, context=ctx,
                                           timeout=timeout)
    return http.client.HTTPConnection("127.0.0.1", si.port, timeout=timeout)


def call(si, ctx, method, path, body=None, headers=None, conn=None, raw=None):
    own = conn is None
    conn = conn or connect(si, ctx)
    hdrs = {"Authorization": "Bearer sk-test"}
    hdrs.update(headers or {})
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
    finally:
        if own:
            conn.close()
    return resp, payload


def chat(model="gpt-4o", stream=False, **extra):
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        body["stream"] = True
    body.update(extra)
    return body


class Raw:
    """A TLS (or plain) socket with a buffer: read a response head, then chunks
    one by one with the time each arrived."""

    def __init__(self, si, ctx, timeout=5):
        sock = socket.create_connection(("127.0.0.1", si.port), timeout=timeout)
        if si.scheme == "https":
            sock = ctx.wrap_socket(sock, server_hostname="localhost",
                                   suppress_ragged_eofs=False)
        self.sock = sock
        self.buf = b""

    def send_request(self, method, path, body=b"", headers=None):
        hdrs = {"Host": "localhost", "Authorization": "Bearer sk-test",
                "Content-Type": "application/json", "Content-Length": str(len(body))}
        hdrs.update(headers or {})
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in hdrs.items() if kv[1] is not None)
        self.sock.sendall(head.encode() + b"\r\n" + body)

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def take_until(self, marker):
        while marker not in self.buf:
            self.fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self):
        lines = self.take_until(b"\r\n\r\n").decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        return status, headers

    def chunk(self):
        size = int(self.take_until(b"\r\n").strip(), 16)
        data = self.take(size)
        assert self.take(2) == b"\r\n"
        return time.monotonic(), data

    def rest(self):
        """Everything until the peer closes."""
        while True:
            try:
                self.fill()
            except EOFError:
                return self.buf

    def close(self):
        self.sock.close()


def assert_paced(chunks, pause):
    """Chunks came apart in time: the span covers the pauses, and most gaps do
    (a reader that falls behind under load may see two chunks at once)."""
    times = [at for at, _ in chunks]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert times[-1] - times[0] >= 0.75 * pause * len(gaps), gaps
    assert sum(g >= 0.6 * pause for g in gaps) * 2 >= len(gaps), gaps


def sse_data(events):
    return [json.loads(e[len(b"data: "):]) for e in events if e != b"data: [DONE]\n\n"]


# ---- OpenAI JSON ------------------------------------------------------------

def test_chat_json_echoes_model_and_records_the_request(si, ctx):
    resp, body = call(si, ctx, "POST", "/v1/chat/completions", chat("gpt-4o-mini"),
                      headers={"X-Custom": "Value"})
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/json"
    assert int(resp.getheader("Content-Length")) == len(body)
    assert resp.getheader("Transfer-Encoding") is None
    j = json.loads(body)
    assert j["object"] == "chat.completion" and j["model"] == "gpt-4o-mini"
    assert j["choices"][0]["message"] == {"role": "assistant",
                                          "content": "echo model=gpt-4o-mini"}
    assert j["choices"][0]["finish_reason"] == "stop"
    assert set(j["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}

    (req,) = si.requests.wait(1)
    assert (req.method, req.path, req.version) == ("POST", "/v1/chat/completions",
                                                   "HTTP/1.1")
    assert req.headers["authorization"] == "Bearer sk-test" and req.bearer == "sk-test"
    assert req.headers["x-custom"] == "Value"
    assert req.head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert req.head.endswith(b"\r\n\r\n") and b"X-Custom: Value\r\n" in req.head
    assert req.json() == chat("gpt-4o-mini")
    assert req.peer[0] == "127.0.0.1" and req.status == 200 and req.complete
    assert req.response_body == body


def test_other_openai_endpoints(si, ctx):
    _, b = call(si, ctx, "POST", "/v1/embeddings",
                {"model": "text-embedding-3-small", "input": ["a", "b c"]})
    j = json.loads(b)
    assert j["object"] == "list" and j["model"] == "text-embedding-3-small"
    assert [d["index"] for d in j["data"]] == [0, 1]
    assert all(d["object"] == "embedding" and len(d["embedding"]) == 8 for d in j["data"])

    _, b = call(si, ctx, "POST", "/v1/images/generations",
                {"model": "dall-e-3", "prompt": "a cat", "n": 2})
    j = json.loads(b)
    assert len(j["data"]) == 2 and j["data"][0]["url"].startswith("https://")

    _, b = call(si, ctx, "POST", "/v1/completions", {"model": "gpt-3.5-turbo-instruct",
                                                     "prompt": "say"})
    j = json.loads(b)
    assert j["object"] == "text_completion"
    assert j["choices"][0]["text"] == "echo model=gpt-3.5-turbo-instruct"

    _, b = call(si, ctx, "POST", "/v1/responses", {"model": "gpt-4o", "input": "hi"})
    j = json.loads(b)
    assert j["object"] == "response" and j["status"] == "completed"
    assert j["output"][0]["content"][0]["text"] == "echo model=gpt-4o"

    resp, b = call(si, ctx, "GET", "/v1/models")
    j = json.loads(b)
    assert resp.status == 200 and j["object"] == "list"
    assert "gpt-4o" in [m["id"] for m in j["data"]]

    resp, b = call(si, ctx, "POST", "/v1/nope", {})
    assert resp.status == 404 and json.loads(b)["error"]["code"] == "unknown_url"
    resp, b = call(si, ctx, "GET", "/v1/chat/completions")
    assert resp.status == 405
    resp, b = call(si, ctx, "POST", "/v1/chat/completions", raw=b"{not json")
    assert resp.status == 400 and json.loads(b)["error"]["type"] == "invalid_request_error"


def test_plain_http_and_chunked_request_body(standins, ctx):
    si = standins(tls=False)
    assert si.url("/v1/models") == "http://localhost:%d/v1/models" % si.port
    raw = Raw(si, ctx)
    body = json.dumps(chat("m1")).encode()
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])
    raw.send_request("POST", "/v1/chat/completions", chunked,
                     {"Content-Length": None, "Transfer-Encoding": "chunked",
                      "Expect": "100-continue"})
    assert raw.head()[0] == 100
    status, headers = raw.head()
    assert status == 200
    payload = json.loads(raw.take(int(headers["content-length"])))
    assert payload["choices"][0]["message"]["content"] == "echo model=m1"
    raw.close()
    assert si.requests[0].body == body


# ---- SSE ----------------------------------------------------------------------

def test_chat_sse_one_event_per_chunk_with_pauses(si, ctx):
    raw = Raw(si, ctx)
    raw.send_request("POST", "/v1/chat/completions",
                     json.dumps(chat("gpt-4o", stream=True)).encode())
    start = time.monotonic()
    status, headers = raw.head()
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    chunks = []
    while True:
        at, data = raw.chunk()
        if not data:
            break
        chunks.append((at, data))
    raw.close()
    events = [d for _, d in chunks]
    assert events[-1] == b"data: [DONE]\n\n"
    for e in events:
        assert e.startswith(b"data: ") and e.endswith(b"\n\n") and e.count(b"\n\n") == 1
    objs = sse_data(events)
    assert all(o["object"] == "chat.completion.chunk" and o["model"] == "gpt-4o"
               for o in objs)
    assert objs[0]["choices"][0]["delta"]["role"] == "assistant"
    assert objs[-1]["choices"][0]["finish_reason"] == "stop"
    text = "".join(o["choices"][0]["delta"].get("content", "") for o in objs)
    assert text == "echo model=gpt-4o"
    assert_paced(chunks, 0.05)
    assert chunks[-1][0] - start < 2.0
    assert si.sent_bodies.wait(1)[0] == b"".join(events)
    assert si.requests[0].response_body == b"".join(events) and si.requests[0].complete


def test_sse_scripted_events_pause_and_usage(si, ctx):
    si.script("/v1/chat/completions", events=["one", {"custom": 1}, b": keepalive\n\n"],
              pause=0.12)
    raw = Raw(si, ctx)
    raw.send_request("POST", "/v1/chat/completions",
                     json.dumps(chat("x", stream=True)).encode())
    raw.head()
    chunks = []
    while True:
        at, data = raw.chunk()
        if not data:
            break
        chunks.append((at, data))
    raw.close()
    events = [d for _, d in chunks]
    assert json.loads(events[0][6:])["choices"][0]["delta"] == {"content": "one"}
    assert events[1:] == [b'data: {"custom":1}\n\n', b": keepalive\n\n",
                          b"data: [DONE]\n\n"]
    assert_paced(chunks, 0.12)

    # the script was one-shot: defaults again, with the usage chunk on request
    resp, body = call(si, ctx, "POST", "/v1/chat/completions",
                      chat("x", stream=True, stream_options={"include_usage": True}))
    assert resp.getheader("Transfer-Encoding") == "chunked"
    events = [e + b"\n\n" for e in body.split(b"\n\n") if e]
    objs = sse_data(events)
    assert objs[-1]["choices"] == [] and objs[-1]["usage"]["total_tokens"] > 0
    assert si.sent_bodies[-1] == body


def test_other_streams(si, ctx):
    _, body = call(si, ctx, "POST", "/v1/completions",
                   {"model": "inst", "prompt": "p", "stream": True})
    assert body.endswith(b"data: [DONE]\n\n")
    objs = sse_data([e + b"\n\n" for e in body.split(b"\n\n") if e])
    assert "".join(o["choices"][0]["text"] for o in objs) == "echo model=inst"

    _, body = call(si, ctx, "POST", "/v1/responses",
                   {"model": "gpt-4o", "input": "hi", "stream": True})
    names = [e.split(b"\n")[0] for e in body.split(b"\n\n") if e]
    assert names[0] == b"event: response.created"
    assert names[-1] == b"event: response.completed"
    assert b"data: [DONE]" not in body


# ---- scripted failures --------------------------------------------------------

def test_scripted_statuses_in_order_then_default(si, ctx):
    for status in (401, 429, 500):
        si.script("/v1/chat/completions", status=status)
    seen = []
    for _ in range(4):
        resp, body = call(si, ctx, "POST", "/v1/chat/completions", chat())
        seen.append((resp.status, json.loads(body)))
    assert [s for s, _ in seen] == [401, 429, 500, 200]
    assert seen[0][1]["error"]["code"] == "invalid_api_key"
    assert seen[1][1]["error"]["code"] == "rate_limit_exceeded"
    assert seen[2][1]["error"]["type"] == "server_error"

    si.script("/v1/", {"status": 503, "headers": {"Retry-After": "7"}}, times=None)
    for path in ("/v1/embeddings", "/v1/models"):
        resp, _ = call(si, ctx, "POST" if "emb" in path else "GET", path,
                       {"model": "e", "input": "x"} if "emb" in path else None)
        assert resp.status == 503 and resp.getheader("Retry-After") == "7"
    si.clear_scripts()
    assert call(si, ctx, "GET", "/v1/models")[0].status == 200
    with pytest.raises(TypeError):
        si.script("/v1/", bogus=1)


def test_expect_bearer(standins, ctx):
    si = standins(expect_bearer="sk-right")
    resp, body = call(si, ctx, "POST", "/v1/chat/completions", chat(),
                      headers={"Authorization": "Bearer sk-wrong"})
    assert resp.status == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"
    resp, _ = call(si, ctx, "POST", "/v1/chat/completions", chat(),
                   headers={"Authorization": "Bearer sk-right"})
    assert resp.status == 200
    assert [r.headers["authorization"] for r in si.requests] == ["Bearer sk-wrong",
                                                                 "Bearer sk-right"]
    si.script("/v1/models", expect_bearer="sk-other")
    assert call(si, ctx, "GET", "/v1/models",
                headers={"Authorization": "Bearer sk-right"})[0].status == 401


@pytest.mark.parametrize("tls", [True, False])
def test_reset_mid_stream(standins, ctx, strict_ctx, tls):
    si = standins(tls=tls)
    si.script("/v1/chat/completions", reset_after_events=2)
    raw = Raw(si, strict_ctx)
    raw.send_request("POST", "/v1/chat/completions",
                     json.dumps(chat(stream=True)).encode())
    status, headers = raw.head()
    assert status == 200 and headers["transfer-encoding"] == "chunked"
    got = [raw.chunk()[1] for _ in range(2)]
    assert all(g.startswith(b"data: {") for g in got) and raw.buf == b""
    if tls:
        # Python's ssl reports the reset as SSLEOFError; the socket under it
        # shows the RST itself
        assert raw.sock.pending() == 0
        select.select([raw.sock], [], [], 2.0)
        with pytest.raises(ConnectionResetError):
            socket.socket.recv(raw.sock, 1)
    else:
        with pytest.raises(ConnectionResetError):
            raw.chunk()
    raw.close()
    (req,) = si.requests.wait(1)
    assert not req.complete and si.sent_bodies[0] == b"".join(got)

    # http.client's readline() ends the stream early (it hides the reset)
    si.script("/v1/chat/completions", reset_after_events=3)
    conn = connect(si, ctx)
    conn.request("POST", "/v1/chat/completions", body=json.dumps(chat(stream=True)))
    resp = conn.getresponse()
    lines = []
    try:
        while True:
            line = resp.readline()
            if not line:
                break
            lines.append(line)
    except (ConnectionError, ssl.SSLError, http.client.IncompleteRead):
        pass
    conn.close()
    assert sum(1 for line in lines if line.startswith(b"data: ")) == 3
    assert b"data: [DONE]\n" not in lines


def test_reset_before_head_and_in_json_body(si, ctx):
    si.script("/v1/models", reset=True)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected, ssl.SSLError)):
        call(si, ctx, "GET", "/v1/models")
    assert si.requests.wait(1)[0].status is None
    si.script("/v1/models", reset_after_events=0)
    with pytest.raises((ConnectionError, http.client.IncompleteRead, ssl.SSLError)):
        call(si, ctx, "GET", "/v1/models")


def test_slow_head(si, ctx):
    si.script("/v1/chat/completions", slow_head=0.4)
    conn = connect(si, ctx, timeout=0.15)
    with pytest.raises(socket.timeout):
        call(si, ctx, "POST", "/v1/chat/completions", chat(), conn=conn)
    conn.close()
    si.script("/v1/chat/completions", slow_head=0.3)
    start = time.monotonic()
    resp, _ = call(si, ctx, "POST", "/v1/chat/completions", chat())
    assert resp.status == 200 and 0.28 <= time.monotonic() - start < 2.0


@pytest.mark.parametrize("stream", [False, True])
def test_until_close_body(si, ctx, strict_ctx, stream):
    si.script("/v1/chat/completions", until_close=True)
    raw = Raw(si, strict_ctx)
    raw.send_request("POST", "/v1/chat/completions",
                     json.dumps(chat("uc", stream=stream)).encode())
    status, headers = raw.head()
    assert status == 200 and headers["connection"] == "close"
    assert "content-length" not in headers and "transfer-encoding" not in headers
    body = raw.rest()          # ends with close_notify, then EOF
    raw.close()
    if stream:
        assert headers["content-type"] == "text/event-stream"
        assert body.endswith(b"data: [DONE]\n\n") and si.sent_bodies[0] == body
    else:
        assert json.loads(body)["choices"][0]["message"]["content"] == "echo model=uc"
    assert si.requests[0].response_body == body

    # http.client reads such a body to the end too
    si.script("/v1/chat/completions", until_close=True)
    resp, body = call(si, ctx, "POST", "/v1/chat/completions", chat("uc", stream=stream))
    assert resp.status == 200 and resp.getheader("Content-Length") is None
    assert resp.getheader("Transfer-Encoding") is None
    assert body == si.requests[-1].response_body
    assert body.endswith(b"data: [DONE]\n\n" if stream else b"}")


def test_close_without_close_notify(si, strict_ctx):
    si.script("/v1/models", until_close=True, close_notify=False)
    raw = Raw(si, strict_ctx)
    raw.send_request("GET", "/v1/models")
    raw.head()
    with pytest.raises(ssl.SSLError, match="(?i)eof"):
        raw.rest()
    raw.close()


# ---- connections ---------------------------------------------------------------

def test_keep_alive_counts_connections(si, ctx):
    conn = connect(si, ctx)
    for model in ("a", "b", "c"):
        resp, body = call(si, ctx, "POST", "/v1/chat/completions", chat(model), conn=conn)
        assert resp.status == 200 and resp.getheader("Connection") is None
        assert json.loads(body)["model"] == model
    # a stream on the same connection, read to its zero chunk
    resp, body = call(si, ctx, "POST", "/v1/chat/completions", chat("d", stream=True),
                      conn=conn)
    assert body.endswith(b"data: [DONE]\n\n")
    conn.close()
    reqs = si.requests.wait(4)
    assert si.connections == 1 and len({r.conn for r in reqs}) == 1

    resp, _ = call(si, ctx, "GET", "/v1/models", headers={"Connection": "close"})
    assert resp.getheader("Connection") == "close"
    assert si.connections == 2 and si.requests[-1].conn != reqs[0].conn

    si.script("/v1/models", close=True)
    conn = connect(si, ctx)
    resp, _ = call(si, ctx, "GET", "/v1/models", conn=conn)
    assert resp.getheader("Connection") == "close"
    call(si, ctx, "GET", "/v1/models", conn=conn)   # http.client reconnects
    conn.close()
    assert si.connections == 4


def test_stop_is_prompt_with_busy_connections(standins, ctx):
    si = standins()
    si.script("/v1/models", slow_head=30)
    idle = connect(si, ctx)
    call(si, ctx, "GET", "/v1/embeddings", conn=idle)       # stays kept alive
    slow = Raw(si, ctx)
    slow.send_request("GET", "/v1/models")
    si.requests.wait(2)
    start = time.monotonic()
    si.stop()
    assert time.monotonic() - start < 3.0
    idle.close()
    slow.close()


# ---- multipart, Anthropic --------------------------------------------------------

def test_multipart_transcription_echo(si, ctx):
    boundary = "----standin7d1"
    audio = bytes(range(256)) * 4 + b"\r\n--not-a-boundary\r\n"
    body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
             "filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n" % boundary).encode()
            + audio
            + ("\r\n--%s\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
               "whisper-1\r\n--%s--\r\n" % (boundary, boundary)).encode())
    resp, out = call(si, ctx, "POST", "/v1/audio/transcriptions", raw=body,
                     headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
    assert resp.status == 200
    j = json.loads(out)
    assert j["bytes"] == len(body) and j["parts"] == ["file", "model"]
    assert j["fields"] == {"model": "whisper-1"}
    assert j["files"]["file"] == {"filename": "a.wav", "content_type": "audio/wav",
                                  "size": len(audio)}
    assert j["text"] == "received %d bytes; parts: file,model" % len(body)
    assert si.requests[0].body == body

    resp, out = call(si, ctx, "POST", "/v1/audio/transcriptions", {"file": "x"})
    assert resp.status == 400


def test_anthropic_messages(si, ctx):
    msg = {"model": "claude-sonnet-4-20250514", "max_tokens": 16,
           "messages": [{"role": "user", "content": "hi"}]}
    resp, body = call(si, ctx, "POST", "/v1/messages", msg,
                      headers={"Authorization": None, "anthropic-version": "2023-06-01"})
    assert resp.status == 401
    assert json.loads(body) == {"type": "error", "error": {
        "type": "authentication_error", "message": "x-api-key header is required"}}
    resp, body = call(si, ctx, "POST", "/v1/messages", msg,
                      headers={"Authorization": None, "x-api-key": "sk-ant"})
    assert resp.status == 400
    assert json.loads(body)["error"]["type"] == "invalid_request_error"

    ok = {"Authorization": None, "x-api-key": "sk-ant", "anthropic-version": "2023-06-01"}
    resp, body = call(si, ctx, "POST", "/v1/messages", msg, headers=ok)
    j = json.loads(body)
    assert resp.status == 200 and j["type"] == "message" and j["role"] == "assistant"
    assert j["content"] == [{"type": "text", "text": "echo model=claude-sonnet-4-20250514"}]
    assert si.requests[-1].headers["x-api-key"] == "sk-ant"

    resp, body = call(si, ctx, "POST", "/v1/messages", dict(msg, stream=True), headers=ok)
    assert resp.getheader("Content-Type") == "text/event-stream"
    events = [e for e in body.split(b"\n\n") if e]
    names = [e.split(b"\n")[0][len(b"event: "):].decode() for e in events]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    assert names[1:3] == ["content_block_start", "ping"]
    assert names[-3:-1] == ["content_block_stop", "message_delta"]
    datas = [json.loads(e.split(b"\n")[1][len(b"data: "):]) for e in events]
    assert all(d["type"] == n for d, n in zip(datas, names))
    text = "".join(d["delta"]["text"] for d in datas if d["type"] == "content_block_delta")
    assert text == "echo model=claude-sonnet-4-20250514"
    assert si.sent_bodies[-1] == body

    si.script("/v1/messages", status=529)
    resp, body = call(si, ctx, "POST", "/v1/messages", msg, headers=ok)
    assert resp.status == 529 and json.loads(body)["error"]["type"] == "overloaded_error"


def test_models_shapes_one_model_and_chunked_json(si, ctx):
    resp, b = call(si, ctx, "GET", "/v1/models/gpt-4o")
    assert resp.status == 200
    assert json.loads(b) == {"id": "gpt-4o", "object": "model", "created": 1700000000,
                             "owned_by": "openai"}
    resp, b = call(si, ctx, "GET", "/v1/models/gpt-9")
    assert resp.status == 404 and json.loads(b)["error"]["code"] == "unknown_url"
    # with anthropic-version: Anthropic's list and model shapes
    av = {"anthropic-version": "2023-06-01", "x-api-key": "k"}
    resp, b = call(si, ctx, "GET", "/v1/models?limit=1000", headers=av)
    j = json.loads(b)
    assert resp.status == 200 and "object" not in j and j["has_more"] is False
    assert j["data"][0] == {"type": "model", "id": "gpt-4o", "display_name": "gpt-4o",
                            "created_at": "2023-11-14T22:13:20Z"}
    assert (j["first_id"], j["last_id"]) == (j["data"][0]["id"], j["data"][-1]["id"])
    resp, b = call(si, ctx, "GET", "/v1/models/claude-sonnet-4-20250514", headers=av)
    assert resp.status == 200 and json.loads(b)["type"] == "model"
    resp, b = call(si, ctx, "GET", "/v1/models/nope", headers=av)
    assert resp.status == 404 and json.loads(b)["error"]["type"] == "not_found_error"
    # a JSON answer in chunks of a given size
    si.script("/v1/models", chunked=3, times=1)
    resp, b = call(si, ctx, "GET", "/v1/models")
    assert resp.getheader("Transfer-Encoding") == "chunked"
    assert resp.getheader("Content-Length") is None
    assert [m["id"] for m in json.loads(b)["data"]][0] == "gpt-4o"
    assert si.requests[-1].response_body == b
