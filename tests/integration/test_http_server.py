"""The worker's HTTP/1.1 server side (worker/http_server.c, common/http_parse.c):
raw bytes on a loopback socket, and http.client for the well-formed cases.
Framing, limits, timeouts, the error envelope and management authentication
(API.md "Errors", "Management authentication"; egress-notes.md §2-§3)."""

import http.client
import json
import re
import socket
import time

import pytest

HEAD_MAX = 16384
BODY_MAX = 1024 * 1024
V1 = "/api/v1/management/proxies"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TYPES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden",
         404: "not_found", 405: "invalid_request", 408: "invalid_request",
         411: "invalid_request", 413: "invalid_request", 414: "invalid_request",
         431: "invalid_request", 501: "server_error", 505: "server_error"}


class Conn:
    """One client connection with a read buffer, so pipelined responses that
    arrive in one segment are split correctly."""

    def __init__(self, d, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout)
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        try:
            chunk = self.s.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise EOFError("server closed; buffered: %r" % self.buf[:200])
        self.buf += chunk

    def response(self, head_request=False):
        """(status, headers with lower-case names, body bytes)."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, _ = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status, _reason = lines[0].split(" ", 2)
        assert version == "HTTP/1.1", lines[0]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            assert sep and name == name.strip(), line
            assert name.lower() not in headers, "duplicate header %s" % name
            headers[name.lower()] = value.strip()
        start = len(head) + 4
        length = 0 if head_request else int(headers["content-length"])
        while len(self.buf) < start + length:
            self._fill()
        body = self.buf[start:start + length]
        self.buf = self.buf[start + length:]
        return int(status), headers, body

    def closed_within(self, timeout):
        """True when the server closes within timeout without sending more."""
        self.s.settimeout(timeout)
        try:
            chunk = self.s.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if chunk:
            self.buf += chunk
            return False
        return True


def assert_envelope(body, status, message=None):
    obj = json.loads(body)
    assert set(obj) == {"error", "requestId"}, obj
    assert UUID.match(obj["requestId"]), obj
    assert isinstance(obj["error"]["message"], str) and obj["error"]["message"]
    assert obj["error"]["type"] == TYPES.get(status, obj["error"]["type"]), obj
    if message is not None:
        assert obj["error"]["message"] == message, obj
    return obj


def expect_error_and_close(d, data, status, message=None):
    """Send data; exactly one error response with the envelope, then close."""
    with Conn(d) as c:
        c.send(data)
        st, headers, body = c.response()
        assert st == status, (st, body)
        assert headers["connection"] == "close"
        assert headers["content-type"] == "application/json"
        obj = assert_envelope(body, status, message)
        assert c.closed_within(5), "connection left open after %d" % status
        assert c.buf == b"", "more was answered: %r" % c.buf
    return obj


def get(path=b"/healthz", extra=b"", version=b"HTTP/1.1"):
    return b"GET " + path + b" " + version + b"\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n"


# ---- the happy path -------------------------------------------------------------

def test_healthz(daemon):
    status, body = daemon.http("GET", "/healthz")
    assert status == 200
    assert body["status"] == "ok"
    assert isinstance(body["worker"], int) and isinstance(body["generation"], int)


def test_healthz_headers_and_keep_alive_default(daemon):
    with Conn(daemon) as c:
        c.send(get())
        status, headers, body = c.response()
        assert status == 200
        assert headers["content-type"] == "application/json"
        assert headers["connection"] == "keep-alive"
        assert int(headers["content-length"]) == len(body)
        assert json.loads(body)["status"] == "ok"


def test_keep_alive_two_requests_on_one_connection(daemon):
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        r1 = conn.getresponse()
        b1 = json.loads(r1.read())
        sock1 = conn.sock
        assert r1.status == 200 and b1["status"] == "ok"
        assert sock1 is not None, "the server closed a keep-alive connection"
        conn.request("GET", V1)
        r2 = conn.getresponse()
        b2 = json.loads(r2.read())
        assert conn.sock is sock1, "a second connection was opened"
        assert r2.status == 200 and "items" in b2
    finally:
        conn.close()


def test_two_pipelined_requests_answered_in_order(daemon):
    # The first goes to the master and back, the second is answered locally:
    # the order must still be the request order.
    with Conn(daemon) as c:
        c.send(get(V1.encode()) + get(b"/healthz") + get(b"/nowhere"))
        s1, _, b1 = c.response()
        s2, _, b2 = c.response()
        s3, _, b3 = c.response()
        assert (s1, s2, s3) == (200, 200, 404)
        assert "items" in json.loads(b1)
        assert json.loads(b2)["status"] == "ok"
        assert_envelope(b3, 404)
        # and the connection is still usable afterwards
        c.send(get())
        assert c.response()[0] == 200


def test_pipelined_requests_with_bodies(daemon):
    body = b'{"name":"pipe","host":"pipe.example","port":3128}'
    post = (b"POST " + V1.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    with Conn(daemon) as c:
        c.send(post + get(V1.encode(), b"Connection: close\r\n"))
        s1, _, b1 = c.response()
        s2, h2, b2 = c.response()
        assert s1 == 201 and json.loads(b1)["name"] == "pipe"
        assert s2 == 200 and [p["name"] for p in json.loads(b2)["items"]] == ["pipe"]
        assert h2["connection"] == "close"
        assert c.closed_within(5)


def test_connection_close_is_honoured(daemon):
    with Conn(daemon) as c:
        c.send(get(extra=b"Connection: close\r\n"))
        status, headers, _ = c.response()
        assert status == 200 and headers["connection"] == "close"
        assert c.closed_within(5)
        assert c.buf == b""


def test_connection_close_among_other_tokens(daemon):
    with Conn(daemon) as c:
        c.send(get(extra=b"Connection: TE, Close\r\n"))
        status, headers, _ = c.response()
        assert status == 200 and headers["connection"] == "close"
        assert c.closed_within(5)


def test_http10_without_keep_alive_closes(daemon):
    with Conn(daemon) as c:
        c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
        status, headers, body = c.response()
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert headers["connection"] == "close"
        assert c.closed_within(5)


def test_http10_with_keep_alive_stays_open(daemon):
    with Conn(daemon) as c:
        c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        status, headers, _ = c.response()
        assert status == 200 and headers["connection"] == "keep-alive"
        c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
        status, headers, _ = c.response()
        assert status == 200 and headers["connection"] == "close"
        assert c.closed_within(5)


def test_head_response_has_no_body(daemon):
    # RFC 9110 §9.3.2: no content in a HEAD response; otherwise the next
    # response on the connection is misframed.
    with Conn(daemon) as c:
        c.send(b"HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get())
        status, _, _ = c.response(head_request=True)
        assert status == 200
        status, _, body = c.response()
        assert status == 200 and json.loads(body)["status"] == "ok"


def test_leading_empty_lines_are_skipped(daemon):
    with Conn(daemon) as c:
        c.send(b"\r\n\r\n" + get())
        assert c.response()[0] == 200


def test_head_of_exactly_16k_is_accepted(daemon):
    prefix = get()[:-2]                      # without the final CRLF
    filler = HEAD_MAX - len(prefix) - len(b"X-Fill: \r\n\r\n")
    data = prefix + b"X-Fill: " + b"a" * filler + b"\r\n\r\n"
    assert len(data) == HEAD_MAX
    with Conn(daemon) as c:
        c.send(data)
        assert c.response()[0] == 200


def test_unknown_path_is_404(daemon):
    status, body = daemon.http("GET", "/nothing/here")
    assert status == 404
    assert set(body) == {"error", "requestId"} and body["error"]["type"] == "not_found"


def test_wrong_method_on_healthz_is_405(daemon):
    with Conn(daemon) as c:
        c.send(b"DELETE /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _, body = c.response()
        assert status == 405
        assert_envelope(body, 405)


# ---- limits -------------------------------------------------------------------

def test_head_over_16k_is_431_then_close(daemon):
    # many complete header lines, then a partial one that crosses the cap;
    # exactly HEAD_MAX bytes so the server has read all we sent
    data = get()[:-2]
    i = 0
    while len(data) + 260 < HEAD_MAX:
        data += b"X-Fill-%02d: " % i + b"b" * 245 + b"\r\n"
        i += 1
    data += b"X-Last: " + b"c" * (HEAD_MAX - len(data) - 8)
    assert len(data) == HEAD_MAX and i < 64
    expect_error_and_close(daemon, data, 431)


def test_one_huge_header_is_431(daemon):
    data = get()[:-2] + b"X-Huge: "
    data += b"d" * (HEAD_MAX - len(data))
    expect_error_and_close(daemon, data, 431)


def test_too_many_headers_is_431(daemon):
    extra = b"".join(b"X-H%d: v\r\n" % i for i in range(70))
    expect_error_and_close(daemon, get(extra=extra), 431)


def test_request_line_over_the_cap_is_414(daemon):
    data = b"GET /" + b"a" * (HEAD_MAX - 5)
    assert len(data) == HEAD_MAX
    expect_error_and_close(daemon, data, 414)


def test_long_path_is_414(daemon):
    expect_error_and_close(daemon, get(b"/api/" + b"p" * 2000), 414)


def test_body_over_1mib_is_413(daemon):
    data = (b"POST " + V1.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (BODY_MAX + 1))
    expect_error_and_close(daemon, data, 413)


def test_413_reaches_a_client_that_is_still_sending_its_body(daemon):
    """Refused at its head, the client goes on sending 8 MiB: the server
    lingers (FIN after the answer, dropping what comes) instead of closing
    with unread bytes, which would reset the connection and destroy the 413
    in the client's receive queue."""
    body = 8 * 1024 * 1024
    s = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
    s.sendall(b"POST " + V1.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % body)
    piece = b"x" * 65536
    for _ in range(body // len(piece)):
        s.sendall(piece)
    data = b""
    while True:
        got = s.recv(65536)
        if not got:
            break
        data += got
    s.close()
    assert data.startswith(b"HTTP/1.1 413 "), data[:100]


def test_body_of_exactly_1mib_is_read(daemon):
    # at the cap the body is read and judged by the command (notes too long)
    body = b'{"name":"big","host":"big.example","port":1,"notes":"'
    body += b"n" * (BODY_MAX - len(body) - 2) + b'"}'
    assert len(body) == BODY_MAX
    status, reply = daemon.http("POST", V1, raw_body=body,
                                headers={"Content-Type": "application/json"})
    assert status == 400
    assert reply["error"]["details"][0]["field"] == "notes"


# ---- malformed heads ------------------------------------------------------------

MALFORMED = [
    ("bare LF line endings", b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n", 400),
    ("bare LF after the request line", b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\r\n\r\n", 400),
    ("bare LF ending the head", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\n", 400),
    ("bare CR", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\rX-A: b\r\n\r\n", 400),
    ("NUL in a header value", get(extra=b"X-A: a\x00b\r\n"), 400),
    ("NUL in a header name", get(extra=b"X-\x00A: b\r\n"), 400),
    ("NUL in the request target", b"GET /heal\x00thz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    ("control character in a header", get(extra=b"X-A: a\x01b\r\n"), 400),
    ("obs-fold", get(extra=b"X-A: a\r\n  folded\r\n"), 400),
    ("obs-fold with tab", get(extra=b"X-A: a\r\n\tfolded\r\n"), 400),
    ("whitespace before the first header", b"GET /healthz HTTP/1.1\r\n Host: x\r\n\r\n", 400),
    ("space before colon", b"GET /healthz HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n", 400),
    ("tab before colon", get(extra=b"X-A\t: b\r\n"), 400),
    ("header without colon", get(extra=b"X-A b\r\n"), 400),
    ("empty header name", get(extra=b": b\r\n"), 400),
    ("missing Host on HTTP/1.1", b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    ("two Host headers", get(extra=b"Host: other\r\n"), 400),
    ("bad Host value", b"GET /healthz HTTP/1.1\r\nHost: a b/c\r\n\r\n", 400),
    ("HTTP/2.0", b"GET /healthz HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505),
    ("HTTP/1.2", b"GET /healthz HTTP/1.2\r\nHost: 127.0.0.1\r\n\r\n", 505),
    ("HTTP/0.9 style", b"GET /healthz\r\n\r\n", 400),
    ("lower-case version", b"GET /healthz http/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    ("two spaces in the request line", b"GET  /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    ("absolute-form target", b"GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    ("authority-form target", b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    ("asterisk without OPTIONS", b"GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    ("invalid method character", b"G(T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    ("too many empty lines first", b"\r\n" * 5 + get(), 400),
    ("invalid Content-Length", get(extra=b"Content-Length: 1x\r\n"), 400),
    ("negative Content-Length", get(extra=b"Content-Length: -1\r\n"), 400),
    ("signed Content-Length", get(extra=b"Content-Length: +1\r\n"), 400),
    ("empty Content-Length", get(extra=b"Content-Length: \r\n"), 400),
    ("Content-Length list", get(extra=b"Content-Length: 1, 1\r\n"), 400),
    ("huge Content-Length", get(extra=b"Content-Length: 99999999999999999999\r\n"), 400),
    ("Transfer-Encoding: chunkedx", get(extra=b"Transfer-Encoding: chunkedx\r\n"), 400),
    ("Transfer-Encoding: xchunked", get(extra=b"Transfer-Encoding: xchunked\r\n"), 400),
    ("Transfer-Encoding: gzip", get(extra=b"Transfer-Encoding: gzip\r\n"), 400),
    ("Transfer-Encoding: chunked, chunked", get(extra=b"Transfer-Encoding: chunked, chunked\r\n"), 400),
    ("Transfer-Encoding: chunked, gzip", get(extra=b"Transfer-Encoding: chunked, gzip\r\n"), 400),
    ("two Transfer-Encoding headers",
     get(extra=b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400),
    ("Transfer-Encoding on HTTP/1.0",
     b"POST /api/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("gzip, chunked", get(extra=b"Transfer-Encoding: gzip, chunked\r\n"), 501),
]


@pytest.mark.parametrize("data,status", [(d, s) for _, d, s in MALFORMED],
                         ids=[name for name, _, _ in MALFORMED])
def test_malformed_head(daemon, data, status):
    expect_error_and_close(daemon, data, status)
    # the worker is fine afterwards
    assert daemon.http("GET", "/healthz")[0] == 200


def test_malformed_head_after_a_good_request_on_the_same_connection(daemon):
    with Conn(daemon) as c:
        c.send(get())
        assert c.response()[0] == 200
        c.send(b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n")
        status, headers, body = c.response()
        assert status == 400 and headers["connection"] == "close"
        assert_envelope(body, 400)
        assert c.closed_within(5)


# ---- framing and smuggling (egress-notes §3) ----------------------------------------

def post_head(path, extra):
    # /api takes JSON bodies only (else 415)
    return (b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n" + extra + b"\r\n")


def test_duplicate_content_length_is_400_and_close(daemon):
    data = post_head(V1.encode(), b"Content-Length: 2\r\nContent-Length: 2\r\n") + b"{}"
    expect_error_and_close(daemon, data, 400, "duplicate Content-Length")
    status, page = daemon.http("GET", V1)
    assert page["page"]["total"] == 0


def test_differing_content_lengths_are_400_and_close(daemon):
    data = post_head(V1.encode(), b"Content-Length: 2\r\ncontent-length: 40\r\n") + b"{}"
    expect_error_and_close(daemon, data, 400)


@pytest.mark.parametrize("order", ["cl-first", "te-first"])
def test_content_length_and_transfer_encoding_is_400_close_no_smuggling(daemon, order):
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    chunk_body = b"0\r\n\r\n" + smuggled
    cl = b"Content-Length: %d\r\n" % len(chunk_body)
    te = b"Transfer-Encoding: chunked\r\n"
    head = post_head(V1.encode(), cl + te if order == "cl-first" else te + cl)
    obj = expect_error_and_close(daemon, head + chunk_body, 400)
    assert "Transfer-Encoding" in obj["error"]["message"]


def test_smuggled_request_after_a_cl_te_conflict_not_answered_on_keepalive(daemon):
    # a good request first, then the conflicting one with a smuggled tail:
    # exactly two responses come back, the second a 400 with Connection: close
    smuggled = b"DELETE " + V1.encode() + b"?id=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    bad = post_head(V1.encode(), b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")
    with Conn(daemon) as c:
        c.send(get())
        assert c.response()[0] == 200
        c.send(bad + b"0\r\n\r\n" + smuggled)
        status, headers, body = c.response()
        assert status == 400 and headers["connection"] == "close"
        assert_envelope(body, 400)
        assert c.closed_within(5)
        assert c.buf == b""


def chunked(body, sizes=(7, 1, 300)):
    """body in chunks of the given sizes (cycled), with an extension on one."""
    out, i, k = b"", 0, 0
    while i < len(body):
        piece = body[i:i + sizes[k % len(sizes)]]
        out += b"%X%s\r\n" % (len(piece), b";ext=1" if k == 1 else b"") + piece + b"\r\n"
        i += len(piece)
        k += 1
    return out + b"0\r\n\r\n"


@pytest.mark.parametrize("te", [b"chunked", b"ChUnKeD"])
def test_chunked_body_is_decoded_and_keep_alive_goes_on(daemon, te):
    body = json.dumps({"name": "chunky", "host": "c.example", "port": 3128}).encode()
    with Conn(daemon) as c:
        c.send(post_head(V1.encode(), b"Transfer-Encoding: " + te + b"\r\n") + chunked(body) + get())
        status, headers, reply = c.response()
        assert status == 201, reply
        assert json.loads(reply)["host"] == "c.example"
        assert c.response()[0] == 200        # the pipelined GET after the last chunk


def test_chunked_body_with_trailer_split_byte_by_byte(daemon):
    body = json.dumps({"name": "slow", "host": "s.example", "port": 8080}).encode()
    wire = post_head(V1.encode(), b"Transfer-Encoding: chunked\r\n")
    wire += chunked(body)[:-2] + b"X-Trailer: yes\r\n\r\n"
    with Conn(daemon) as c:
        for i in range(len(wire)):
            c.send(wire[i:i + 1])
        assert c.response()[0] == 201


@pytest.mark.parametrize("bad, why", [
    (b"zz\r\nabc\r\n0\r\n\r\n", "chunk size"),
    (b"3\r\nabcX\r\n0\r\n\r\n", ""),
    (b"3\nabc\r\n0\r\n\r\n", ""),
    (b"FFFFFFFFFFFFFFFFF\r\n", ""),
])
def test_malformed_chunked_body_is_400_and_close_and_changes_nothing(daemon, bad, why):
    data = post_head(V1.encode(), b"Transfer-Encoding: chunked\r\n") + bad
    obj = expect_error_and_close(daemon, data, 400)
    assert obj["error"]["message"].startswith("malformed chunked request body: ")
    assert why in obj["error"]["message"]
    assert daemon.http("GET", V1)[1]["page"]["total"] == 0


def test_chunked_body_over_the_cap_is_413(daemon):
    piece = b"x" * 65536
    data = post_head(V1.encode(), b"Transfer-Encoding: chunked\r\n")
    data += (b"10000\r\n" + piece + b"\r\n") * 17     # 1 MiB + 64 KiB of payload
    obj = expect_error_and_close(daemon, data, 413)
    assert "1 MiB" in obj["error"]["message"]


def test_expect_100_continue_is_answered_before_the_body(daemon):
    body = json.dumps({"name": "polite", "host": "p.example", "port": 1080}).encode()
    with Conn(daemon) as c:
        c.send(post_head(V1.encode(), b"Expect: 100-continue\r\nContent-Length: %d\r\n" % len(body)))
        while b"\r\n\r\n" not in c.buf:
            c._fill()
        assert c.buf == b"HTTP/1.1 100 Continue\r\n\r\n"   # and nothing else yet
        c.buf = b""
        c.send(body)
        status, _, reply = c.response()
        assert status == 201, reply


@pytest.mark.parametrize("path", [b"/v1/chat/completions", V1.encode()])
def test_overlong_method_is_501_never_cut(daemon, path):
    data = b"POSTPOSTPOSTPOSTX " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}"
    expect_error_and_close(daemon, data, 501)


def test_unknown_expectation_is_417(daemon):
    data = post_head(V1.encode(), b"Expect: teapot\r\nContent-Length: 2\r\n") + b"{}"
    expect_error_and_close(daemon, data, 417)
    assert daemon.http("GET", V1)[1]["page"]["total"] == 0


def test_transfer_encoding_chunkedx_is_400(daemon):
    data = post_head(V1.encode(), b"Transfer-Encoding: chunkedx\r\n")
    expect_error_and_close(daemon, data, 400)


def test_http2_is_505(daemon):
    expect_error_and_close(daemon, b"GET /healthz HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505)


def test_missing_host_is_400(daemon):
    expect_error_and_close(daemon, b"GET /healthz HTTP/1.1\r\nX-A: b\r\n\r\n", 400,
                           "missing Host header")


def test_http10_needs_no_host(daemon):
    with Conn(daemon) as c:
        c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
        assert c.response()[0] == 200


def test_body_is_not_read_as_the_next_request(daemon):
    # a Content-Length body that looks like a request is data, not a request
    inner = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    data = post_head(V1.encode(), b"Content-Length: %d\r\n" % len(inner)) + inner
    with Conn(daemon) as c:
        c.send(data + get(extra=b"Connection: close\r\n"))
        s1, _, b1 = c.response()
        assert s1 == 400 and json.loads(b1)["error"]["message"] == "Invalid JSON body"
        s2, _, b2 = c.response()
        assert s2 == 200 and json.loads(b2)["status"] == "ok"
        assert c.closed_within(5) and c.buf == b""


@pytest.mark.parametrize("body, where", [
    (b"{'name':'x','host':'h.example','port':1}", "at byte 1"),
    (b'{"name":"x","host":"h.example","port":NaN}', "at byte 38"),
    (b'{"name":"x","host":"h.example","port":01}', "at byte 39"),
    (b'{"name":"x\x01","host":"h.example","port":1}', "at byte 10"),
    (b'{"name":"x","host":"h.example","port":1,}', "trailing comma"),
    (b'{"name":"\xc0\xae","host":"h.example","port":1}', "at byte 9"),
])
def test_json_that_only_a_lenient_parser_takes_is_400_naming_the_byte(daemon, body, where):
    status, reply = daemon.http("POST", V1, raw_body=body,
                                headers={"Content-Type": "application/json"})
    assert status == 400, reply
    assert reply["error"]["message"] == "Invalid JSON body"
    assert where in reply["error"]["details"][0]["message"], reply
    assert daemon.http("GET", V1)[1]["page"]["total"] == 0


# ---- timeouts --------------------------------------------------------------------

def test_slow_head_gets_408_then_close(daemon_factory):
    d = daemon_factory(env={"OMNIROUTE_HEADER_TIMEOUT_MS": "500"}).start()
    with Conn(d, timeout=10) as c:
        t0 = time.monotonic()
        c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        status, headers, body = c.response()
        elapsed = time.monotonic() - t0
        assert status == 408 and headers["connection"] == "close"
        assert_envelope(body, 408)
        assert 0.35 <= elapsed < 4, elapsed
        assert c.closed_within(5)


def test_trickling_head_still_gets_408_at_the_deadline(daemon_factory):
    # the deadline is for the whole head, not per read (slowloris)
    d = daemon_factory(env={"OMNIROUTE_HEADER_TIMEOUT_MS": "500"}).start()
    with Conn(d, timeout=10) as c:
        t0 = time.monotonic()
        c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        got = None
        for i in range(40):                       # at most ~4 s
            try:
                c.send(b"X-T%d: v\r\n" % i)
            except (BrokenPipeError, ConnectionResetError):
                break
            c.s.settimeout(0.1)
            try:
                chunk = c.s.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            c.buf += chunk
            got = chunk
            break
        c.s.settimeout(5)
        assert got, "no answer while trickling"
        elapsed = time.monotonic() - t0
        status, headers, body = c.response()
        assert status == 408 and headers["connection"] == "close"
        assert 0.35 <= elapsed < 4, elapsed


def test_slow_body_gets_408_then_close(daemon_factory):
    # a body that stops coming: its own deadline (time without a byte)
    d = daemon_factory(env={"OMNIROUTE_HEADER_TIMEOUT_MS": "5000",
                            "OMNIROUTE_BODY_IDLE_TIMEOUT_MS": "500"}).start()
    with Conn(d, timeout=10) as c:
        t0 = time.monotonic()
        c.send(post_head(V1.encode(), b"Content-Length: 100\r\n") + b'{"name":')
        status, headers, body = c.response()
        elapsed = time.monotonic() - t0
        assert status == 408 and headers["connection"] == "close"
        assert_envelope(body, 408)
        assert 0.35 <= elapsed < 4, elapsed
        assert c.closed_within(5)
    assert d.http("GET", V1)[1]["page"]["total"] == 0


def test_second_head_on_keep_alive_has_the_header_deadline(daemon_factory):
    # a keep-alive connection must not give a slow second head the (longer)
    # keep-alive time: once its first byte arrived, the head deadline applies
    d = daemon_factory(env={"OMNIROUTE_HEADER_TIMEOUT_MS": "500",
                            "OMNIROUTE_KEEPALIVE_TIMEOUT_MS": "4000"}).start()
    with Conn(d, timeout=10) as c:
        c.send(get())
        assert c.response()[0] == 200
        t0 = time.monotonic()
        c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        status, headers, body = c.response()
        elapsed = time.monotonic() - t0
        assert status == 408 and headers["connection"] == "close"
        assert elapsed < 2.5, "408 came after %.1fs: the keep-alive timeout was used" % elapsed


def test_silent_connection_is_closed_after_header_timeout(daemon_factory):
    d = daemon_factory(env={"OMNIROUTE_HEADER_TIMEOUT_MS": "500"}).start()
    with Conn(d, timeout=10) as c:
        t0 = time.monotonic()
        assert c.closed_within(5)
        assert c.buf == b""                       # nothing sent: no 408, just close
        assert 0.35 <= time.monotonic() - t0 < 4


def test_idle_keep_alive_connection_is_closed(daemon_factory):
    d = daemon_factory(env={"OMNIROUTE_KEEPALIVE_TIMEOUT_MS": "300"}).start()
    with Conn(d, timeout=10) as c:
        c.send(get())
        assert c.response()[0] == 200
        t0 = time.monotonic()
        assert c.closed_within(5)
        elapsed = time.monotonic() - t0
        assert c.buf == b""
        assert 0.2 <= elapsed < 3, elapsed


def test_keep_alive_connection_used_before_the_timeout_stays_open(daemon_factory):
    d = daemon_factory(env={"OMNIROUTE_KEEPALIVE_TIMEOUT_MS": "1000"}).start()
    with Conn(d, timeout=10) as c:
        for _ in range(5):
            c.send(get())
            assert c.response()[0] == 200
            time.sleep(0.1)


# ---- management authentication ----------------------------------------------------

API_KEY = "k1-omni-8f3a61c2d9e7"


@pytest.fixture
def keyed(daemon_factory):
    return daemon_factory(env={"OMNIROUTE_API_KEY": API_KEY,
                               "OMNIROUTE_LOG_LEVEL": "debug"}).start()


def test_auth_missing_is_401(keyed):
    status, body = keyed.http("GET", V1)
    assert status == 401
    assert set(body) == {"error", "requestId"}
    assert body["error"] == {"message": "Authentication required", "type": "unauthorized"}


@pytest.mark.parametrize("value", ["Basic " + API_KEY, "Bearer", "Bearer ", API_KEY,
                                   "Token " + API_KEY])
def test_auth_malformed_header_is_401(keyed, value):
    status, body = keyed.http("GET", V1, headers={"Authorization": value})
    assert status == 401, (value, body)
    assert body["error"]["message"] == "Authentication required"


@pytest.mark.parametrize("token", ["wrong", API_KEY + "x", API_KEY[:-1], " " + API_KEY])
def test_auth_wrong_bearer_is_403(keyed, token):
    status, body = keyed.http("GET", V1, headers={"Authorization": "Bearer " + token})
    assert status == 403
    assert set(body) == {"error", "requestId"}
    assert body["error"] == {"message": "Invalid management token", "type": "forbidden"}


def test_auth_right_bearer_is_200(keyed):
    status, body = keyed.http("GET", V1, headers={"Authorization": "Bearer " + API_KEY})
    assert status == 200 and "items" in body
    status, rec = keyed.http("POST", V1, {"name": "a", "host": "a.example", "port": 1},
                             headers={"Authorization": "Bearer " + API_KEY})
    assert status == 201


def test_auth_not_needed_for_healthz(keyed):
    status, body = keyed.http("GET", "/healthz")
    assert status == 200 and body["status"] == "ok"


def test_auth_checked_before_routing(keyed):
    status, body = keyed.http("GET", "/api/v1/management/nothing")
    assert status == 401
    status, body = keyed.http("POST", V1, raw_body=b"{", headers={"Authorization": "Bearer no"})
    assert status == 403


def test_api_key_never_logged(keyed):
    auth = {"Authorization": "Bearer " + API_KEY}
    keyed.http("GET", V1, headers=auth)
    keyed.http("POST", V1, {"name": "a", "host": "a.example", "port": 1}, headers=auth)
    keyed.http("GET", V1 + "/nothing", headers=auth)
    keyed.http("GET", V1, headers={"Authorization": "Bearer wrong-" + API_KEY})
    keyed.http("GET", V1)
    expect_error_and_close(keyed, get(V1.encode(), b"Authorization: Bearer " +
                                      API_KEY.encode() + b"\r\nX-A: \x01\r\n"), 400)
    keyed.ctl("status")
    rc = keyed.stop()
    assert rc == 0
    log = keyed.read_log()
    assert "ready" in log
    assert API_KEY not in log
    assert API_KEY[3:] not in log
