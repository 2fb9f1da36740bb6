"""A local OpenAI/Anthropic stand-in for relay integration tests: a TLS server
(the test CA's certificate) with a hand-written HTTP/1.1 handler, so response
framing is exact — chunked SSE with one event per chunk and a pause between
chunks, Content-Length JSON, JSON in chunks of a given size (`chunked`), bytes past a
Content-Length body in the same write (`tail`, a response-splitting test),
bodies delimited by connection close, an abrupt
RST mid-stream, a late response head — and every request is recorded
(head bytes, lower-cased headers, body, peer, connection number) together with
the bytes each SSE response carried, so a test can compare what a client got
through the relay with what the provider sent. Every accepted TCP connection's
source address is recorded too (`sources`), before any handshake, so a
connection that never sent a request still counts (the leak canary)."""

import json
import socket
import socketserver
import ssl
import struct
import threading
import time
import urllib.parse

from egress_env import localhost_addresses, serve_on, server_class

CREATED = 1700000000
CREATED_AT = "2023-11-14T22:13:20Z"      # CREATED, as Anthropic writes it
DEFAULT_MODELS = ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "dall-e-3",
                  "whisper-1", "claude-sonnet-4-20250514"]
REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request",
           401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 408: "Request Timeout", 413: "Payload Too Large",
           429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 529: "Overloaded"}
OPENAI_ERRORS = {
    400: ("invalid_request_error", None, "Bad request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "unknown_url", "Unknown request URL."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request."),
    503: ("server_error", None, "The engine is currently overloaded."),
}
ANTHROPIC_ERRORS = {400: "invalid_request_error", 401: "authentication_error",
                    403: "permission_error", 404: "not_found_error",
                    413: "request_too_large", 429: "rate_limit_error",
                    500: "api_error", 529: "overloaded_error"}
OPTIONS = ("status", "error", "body", "headers", "events", "pause",
           "reset_after_events", "reset", "slow_head", "until_close", "close",
           "close_notify", "expect_bearer", "chunked", "tail")
MAX_HEAD = 64 * 1024


class _Aborted(Exception):
    """The connection was reset on purpose or the stand-in is stopping."""


class RecordList:
    """A list guarded by a lock; iteration and slicing work on a snapshot."""

    def __init__(self):
        self._items = []
        self._cond = threading.Condition()

    def append(self, item):
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def clear(self):
        with self._cond:
            self._items.clear()

    def snapshot(self):
        with self._cond:
            return list(self._items)

    def wait(self, count, timeout=5.0):
        """Wait until at least `count` items are recorded; return the snapshot."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._items) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("%d of %d records after %.1fs"
                                       % (len(self._items), count, timeout))
                self._cond.wait(left)
            return list(self._items)

    def __len__(self):
        with self._cond:
            return len(self._items)

    def __getitem__(self, index):
        with self._cond:
            return self._items[index]

    def __iter__(self):
        return iter(self.snapshot())

    def __repr__(self):
        return "RecordList(%r)" % self.snapshot()


class Request:
    """One request as the stand-in read it, and what it answered."""

    def __init__(self, seq, conn, peer, method, path, version, headers, head, body):
        self.seq = seq              # 1, 2, … over the stand-in's lifetime
        self.conn = conn            # connection number (1-based); equal = reused
        self.peer = peer            # (host, port) of the client
        self.method = method
        self.path = path            # as sent, query string included
        self.version = version      # "HTTP/1.1"
        self.headers = headers      # lower-cased names; repeats joined by ", "
        self.head = head            # raw bytes up to and including CRLFCRLF
        self.body = body            # bytes (chunked request bodies decoded)
        self.status = None          # status answered (None: reset before a head)
        self.response_head = b""
        self.response_body = b""    # entity bytes sent (de-chunked)
        self.complete = False       # False when the answer was cut short

    @property
    def route(self):
        return self.path.split("?", 1)[0]

    @property
    def bearer(self):
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Request #%d conn %d %s %s -> %s>" % (
            self.seq, self.conn, self.method, self.path, self.status)


class _Reply:
    def __init__(self, status, body=b"", ctype="application/json", events=None,
                 headers=()):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.events = events        # list of bytes: an SSE response
        self.headers = list(headers)


def _json(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def _data(obj):
    return b"data: " + _json(obj) + b"\n\n"


def _named(name, obj):
    return b"event: " + name.encode() + b"\ndata: " + _json(obj) + b"\n\n"


def _openai_error(status, message=None):
    etype, code, default = OPENAI_ERRORS.get(status, ("invalid_request_error", None,
                                                      "Error %d." % status))
    return _json({"error": {"message": message or default, "type": etype,
                            "param": None, "code": code}})


def _anthropic_error(status, message=None):
    return _json({"type": "error", "error": {
        "type": ANTHROPIC_ERRORS.get(status, "api_error"),
        "message": message or "Error %d." % status}})


def _pieces(model):
    return ["echo", " model=", str(model)]


def _words(obj):
    if isinstance(obj, str):
        return max(1, len(obj.split()))
    return max(1, len(json.dumps(obj)) // 4)


def parse_multipart(body, content_type):
    """Split a multipart/form-data body; return [(name, filename, ctype, data)]."""
    boundary = None
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise ValueError("no boundary")
    delim = b"--" + boundary.encode()
    parts = []
    segments = body.split(delim)
    if len(segments) < 3 or not segments[-1].startswith(b"--"):
        raise ValueError("no closing boundary")
    for seg in segments[1:-1]:
        if not seg.startswith(b"\r\n") or not seg.endswith(b"\r\n"):
            raise ValueError("bad part framing")
        head, sep, data = seg[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("part without a head")
        name = filename = None
        ctype = "text/plain"
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            key = key.strip().lower()
            if key == "content-type":
                ctype = value.strip()
            elif key == "content-disposition":
                for p in value.split(";")[1:]:
                    k, _, v = p.strip().partition("=")
                    if k == "name":
                        name = v.strip('"')
                    elif k == "filename":
                        filename = v.strip('"')
        parts.append((name, filename, ctype, data))
    return parts


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    request_queue_size = 1024       # load tests open hundreds of connections at once
    daemon_threads = True
    block_on_close = False


class _Handler(socketserver.BaseRequestHandler):
    """One TCP connection: TLS handshake, then requests until close."""

    def handle(self):
        self.standin = st = self.server.standin
        self.buf = b""
        self.close_notify = True
        self.sock = sock = self.request
        sock.settimeout(st.idle_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn_no = st._connection_opened(sock)
        try:
            if st.ctx is not None:
                try:
                    sock = st.ctx.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError) as e:
                    st.handshake_errors.append(repr(e))
                    return
                st.tls_resumed.append(sock.session_reused)
                st._track(self.conn_no, sock)
            self.sock = sock
            while not st._stopping.is_set():
                if not self.one_request():
                    break
            self.close()
        except (_Aborted, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            st._connection_closed(self.conn_no)
            try:
                self.sock.close()
            except OSError:
                pass

    def close(self):
        """End the connection: TLS close_notify (without waiting for the peer's),
        then FIN."""
        if isinstance(self.sock, ssl.SSLSocket) and self.close_notify:
            try:
                self.sock.settimeout(0)
                self.sock.unwrap()
            except (OSError, ssl.SSLError, ValueError):
                pass
        socket.socket.close(self.sock)

    # ---- reading ----------------------------------------------------------
    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def read_until(self, marker, limit):
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out, self.buf = self.buf[:i + len(marker)], self.buf[i + len(marker):]
                return out
            if len(self.buf) > limit:
                raise ValueError("line too long")
            if not self.fill():
                return None

    def read_exact(self, n):
        while len(self.buf) < n:
            if not self.fill():
                raise ValueError("body cut short")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_chunked(self):
        body = b""
        while True:
            line = self.read_until(b"\r\n", 1024)
            if line is None:
                raise ValueError("chunked body cut short")
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while True:
                    trailer = self.read_until(b"\r\n", MAX_HEAD)
                    if trailer is None or trailer == b"\r\n":
                        return body
            body += self.read_exact(size)
            if self.read_exact(2) != b"\r\n":
                raise ValueError("bad chunk terminator")

    def one_request(self):
        try:
            head = self.read_until(b"\r\n\r\n", MAX_HEAD)
        except socket.timeout:
            return False
        if head is None:
            return False
        lines = head[:-4].decode("latin-1").split("\r\n")
        method, path, version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = headers[name] + ", " + value if name in headers else value
        if headers.get("expect", "").lower() == "100-continue":
            self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self.read_chunked()
        else:
            body = self.read_exact(int(headers.get("content-length", "0") or 0))
        st = self.standin
        req = st._record(self.conn_no, self.client_address, method, path, version,
                         headers, head, body)
        conn_hdr = headers.get("connection", "").lower()
        keep = ("close" not in conn_hdr if version == "HTTP/1.1"
                else "keep-alive" in conn_hdr)
        opts = st._behaviour(req.route)
        if opts.get("reset"):
            self.reset()
        if opts.get("slow_head"):
            self.sleep(opts["slow_head"])
        reply = st._answer(req, opts)
        return self.send(req, reply, opts, keep)

    # ---- writing ----------------------------------------------------------
    def sleep(self, seconds):
        if self.standin._stopping.wait(seconds):
            raise _Aborted()

    def reset(self):
        """Close with SO_LINGER 0: the kernel sends RST, no TLS close_notify."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        socket.socket.close(self.sock)
        raise _Aborted()

    def send(self, req, reply, opts, keep):
        st = self.standin
        self.close_notify = opts.get("close_notify", True)
        until_close = bool(opts.get("until_close"))
        reset_after = opts.get("reset_after_events")
        chunk_size = None if until_close or reset_after is not None else opts.get("chunked")
        keep = keep and not until_close and not opts.get("close") and reset_after is None
        hdrs = [("Content-Type", reply.ctype)]
        sse = reply.events is not None
        if until_close:
            pass
        elif sse or chunk_size:
            hdrs.append(("Transfer-Encoding", "chunked"))
        else:
            hdrs.append(("Content-Length", str(len(reply.body))))
        if sse:
            hdrs.append(("Cache-Control", "no-cache"))
        hdrs += reply.headers
        if not keep:
            hdrs.append(("Connection", "close"))
        head = ("HTTP/1.1 %d %s\r\n" % (reply.status, REASONS.get(reply.status, "Status"))
                + "".join("%s: %s\r\n" % h for h in hdrs) + "\r\n").encode("latin-1")
        req.status = reply.status
        req.response_head = head
        self.sock.sendall(head)
        if not sse:
            body = reply.body
            if reset_after is not None:
                req.response_body = body[:len(body) // 2]
                self.sock.sendall(req.response_body)
                self.reset()
            req.response_body = body
            req.complete = True
            try:
                if chunk_size:      # a JSON body in chunks of chunk_size bytes
                    for i in range(0, len(body), chunk_size):
                        piece = body[i:i + chunk_size]
                        self.sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                    self.sock.sendall(b"0\r\n\r\n")
                else:       # `tail`: bytes past the body in the same write
                    self.sock.sendall(body + opts.get("tail", b""))
            except OSError:
                req.complete = False
                raise
            return keep
        sent = []
        recorded = []

        def record(complete):
            # before the write that ends the response, so a client that has
            # seen the end can read the record without waiting
            if not recorded:
                recorded.append(True)
                req.response_body = b"".join(sent)
                req.complete = complete
                st.sent_bodies.append(req.response_body)
        pause = opts.get("pause", st.pause)
        try:
            for i, event in enumerate(reply.events):
                if i and pause:
                    self.sleep(pause)
                if reset_after is not None and i >= reset_after:
                    record(False)
                    self.reset()
                if until_close:
                    self.sock.sendall(event)
                else:
                    self.sock.sendall(b"%x\r\n" % len(event) + event + b"\r\n")
                sent.append(event)
            if reset_after is not None:
                if pause:
                    self.sleep(pause)
                record(False)
                self.reset()
            record(True)
            if not until_close:
                self.sock.sendall(b"0\r\n\r\n")
        except BaseException:
            req.complete = False
            record(False)
            raise
        return keep


class ProviderStandIn:
    """An HTTPS server answering like OpenAI (/v1/chat/completions, /v1/completions,
    /v1/responses, /v1/embeddings, /v1/images/generations,
    /v1/audio/transcriptions, /v1/models, /v1/models/{id}) and Anthropic
    (/v1/messages; /v1/models and /v1/models/{id} in Anthropic's shape when the
    request carries anthropic-version).

    Constructor options are the defaults for every request: `events` (the SSE
    events before [DONE]; str items become content deltas, dicts are sent as
    `data: <json>`, bytes verbatim), `pause` between SSE events (seconds),
    `expect_bearer` (401 unless the key matches), `models` (for GET /v1/models),
    `idle_timeout` for a kept-alive connection, `max_tls` (an ssl.TLSVersion:
    the highest version offered). `script()` overrides them.
    It listens on one port on each of `addresses` (default: every loopback
    address "localhost" has here, see egress_env.localhost_addresses)."""

    def __init__(self, ca, tls=True, events=None, pause=0.05, expect_bearer=None,
                 models=None, idle_timeout=10.0, addresses=None, max_tls=None):
        self.ctx = None
        if tls:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(ca.cert, ca.key)
            if max_tls is not None:         # e.g. ssl.TLSVersion.TLSv1_2
                self.ctx.maximum_version = max_tls
            self.ctx.set_alpn_protocols(["http/1.1"])
        self.scheme = "https" if tls else "http"
        self.pause = pause
        self.idle_timeout = idle_timeout
        self.models = list(models or DEFAULT_MODELS)
        self.defaults = {"events": events, "expect_bearer": expect_bearer}
        self.requests = RecordList()
        self.sources = RecordList()         # per accepted connection: its source address
        self.sent_bodies = RecordList()
        self.handshake_errors = RecordList()
        self.tls_resumed = RecordList()     # per TLS handshake: was a session resumed
        self._lock = threading.Lock()
        self._scripts = []          # [prefix, opts, remaining or None]
        self._seq = 0
        self._connections = 0
        self._conn_counter = 0
        self._live = {}
        self._stopping = threading.Event()
        self.addresses = addresses or localhost_addresses()
        self.servers = serve_on(self.addresses,
                                lambda sa: server_class(_Server, sa[0])(sa, _Handler))
        self.httpd = self.servers[0]
        self.port = self.httpd.server_address[1]
        for srv in self.servers:
            srv.standin = self
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                             daemon=True).start()

    # ---- public -----------------------------------------------------------
    def url(self, path="", host="localhost"):
        return "%s://%s:%d%s" % (self.scheme, host, self.port, path)

    @property
    def connections(self):
        """TCP connections accepted so far."""
        with self._lock:
            return self._connections

    @property
    def open_connections(self):
        with self._lock:
            return len(self._live)

    def script(self, path_prefix, behaviour=None, times=1, **options):
        """Apply `behaviour` (a dict) and/or keyword options to the next `times`
        requests whose path starts with `path_prefix`; times=None keeps it for
        every later request. One-shot entries are used in the order they were
        added and override persistent ones, which override the defaults."""
        opts = dict(behaviour or {})
        opts.update(options)
        unknown = set(opts) - set(OPTIONS)
        if unknown:
            raise TypeError("unknown behaviour %s" % ", ".join(sorted(unknown)))
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        with self._lock:
            self._scripts.append([path_prefix, opts, times])

    def clear_scripts(self):
        with self._lock:
            self._scripts = []

    def reset(self):
        """Forget scripts, recorded requests and bodies; zero the connection count."""
        with self._lock:
            self._scripts = []
            self._connections = 0
        self.requests.clear()
        self.sources.clear()
        self.sent_bodies.clear()
        self.handshake_errors.clear()
        self.tls_resumed.clear()

    def wait_requests(self, count, timeout=5.0):
        return self.requests.wait(count, timeout)

    def stop(self):
        self._stopping.set()
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()
        with self._lock:
            live = list(self._live.values())
        for sock, thread in live:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass
        for sock, thread in live:
            thread.join(2.0)

    # ---- bookkeeping (handler threads) ---------------------------------------
    def _connection_opened(self, sock):
        try:
            self.sources.append(sock.getpeername()[0])
        except OSError:             # gone already: its address is unknown
            self.sources.append(None)
        with self._lock:
            self._connections += 1
            self._conn_counter += 1
            n = self._conn_counter
            self._live[n] = (sock, threading.current_thread())
            return n

    def _track(self, n, sock):
        with self._lock:
            self._live[n] = (sock, threading.current_thread())

    def _connection_closed(self, n):
        with self._lock:
            self._live.pop(n, None)

    def _record(self, conn, peer, method, path, version, headers, head, body):
        with self._lock:
            self._seq += 1
            seq = self._seq
        req = Request(seq, conn, tuple(peer[:2]), method, path, version, headers,
                      head, body)
        self.requests.append(req)
        return req

    def _behaviour(self, route):
        opts = {k: v for k, v in self.defaults.items() if v is not None}
        with self._lock:
            for entry in self._scripts:
                if entry[2] is None and route.startswith(entry[0]):
                    opts.update(entry[1])
                    break
            for entry in self._scripts:
                if entry[2] is not None and route.startswith(entry[0]):
                    opts.update(entry[1])
                    entry[2] -= 1
                    if entry[2] == 0:
                        self._scripts.remove(entry)
                    break
        return opts

    # ---- answers ------------------------------------------------------------
    def _answer(self, req, opts):
        route = req.route
        anthropic = route.endswith("/v1/messages") or route == "/messages"
        error = _anthropic_error if anthropic else _openai_error
        extra = list((opts.get("headers") or {}).items())
        if anthropic:
            if "x-api-key" not in req.headers and req.bearer is None:
                return _Reply(401, error(401, "x-api-key header is required"))
            if "anthropic-version" not in req.headers:
                return _Reply(400, error(400, "anthropic-version: header is required"))
        want = opts.get("expect_bearer")
        if want is not None:
            got = req.headers.get("x-api-key") if anthropic else None
            if got != want and req.bearer != want:
                return _Reply(401, error(401, opts.get("error")), headers=extra)
        status = opts.get("status")
        if status is not None and status >= 400:
            return _Reply(status, error(status, opts.get("error")), headers=extra)
        body = opts.get("body")
        if body is not None:
            if not isinstance(body, bytes):
                body = _json(body)
            return _Reply(status or 200, body, headers=extra)
        reply = self._route(req, route, opts, error)
        if status is not None:
            reply.status = status
        reply.headers += extra
        return reply

    def _route(self, req, route, opts, error):
        table = [("/chat/completions", "POST", self._chat),
                 ("/completions", "POST", self._completions),
                 ("/responses", "POST", self._responses),
                 ("/messages", "POST", self._messages),
                 ("/embeddings", "POST", self._embeddings),
                 ("/images/generations", "POST", self._images),
                 ("/audio/transcriptions", "POST", self._transcriptions),
                 ("/models", "GET", self._models)]
        if "/models/" in route:     # GET /v1/models/{id}: one model
            if req.method != "GET":
                return _Reply(405, error(405, "Method %s not allowed" % req.method))
            return self._model(req, urllib.parse.unquote(route.split("/models/", 1)[1]),
                               opts)
        for suffix, method, fn in table:
            if route.endswith(suffix):
                if req.method != method:
                    return _Reply(405, error(405, "Method %s not allowed" % req.method))
                if method == "POST" and suffix != "/audio/transcriptions":
                    try:
                        payload = json.loads(req.body or b"null")
                        if not isinstance(payload, dict):
                            raise ValueError("not an object")
                    except ValueError as e:
                        return _Reply(400, error(400, "Invalid JSON body: %s" % e))
                    return fn(req, payload, opts)
                return fn(req, opts)
        return _Reply(404, error(404, "Unknown request URL: %s %s" % (req.method, route)))

    def _events(self, opts, piece, as_event):
        custom = opts.get("events")
        if custom is None:
            return None
        out = []
        for ev in custom:
            if isinstance(ev, bytes):
                out.append(ev)
            elif isinstance(ev, str):
                out.append(piece(ev))
            else:
                out.append(as_event(ev))
        return out

    def _chat(self, req, p, opts):
        model = p.get("model")
        cid = "chatcmpl-standin-%d" % req.seq
        text = "".join(_pieces(model))
        usage = {"prompt_tokens": _words(p.get("messages")),
                 "completion_tokens": len(_pieces(model)),
                 "total_tokens": _words(p.get("messages")) + len(_pieces(model))}
        if not p.get("stream"):
            return _Reply(200, _json({
                "id": cid, "object": "chat.completion", "created": CREATED,
                "model": model, "choices": [{
                    "index": 0, "message": {"role": "assistant", "content": text},
                    "logprobs": None, "finish_reason": "stop"}],
                "usage": usage}))

        def chunk(delta, finish=None):
            return _data({"id": cid, "object": "chat.completion.chunk",
                          "created": CREATED, "model": model, "choices": [{
                              "index": 0, "delta": delta, "logprobs": None,
                              "finish_reason": finish}]})
        events = self._events(opts, lambda s: chunk({"content": s}), _data)
        if events is None:
            events = [chunk({"role": "assistant", "content": ""})]
            events += [chunk({"content": s}) for s in _pieces(model)]
            events.append(chunk({}, "stop"))
            if (p.get("stream_options") or {}).get("include_usage"):
                events.append(_data({"id": cid, "object": "chat.completion.chunk",
                                     "created": CREATED, "model": model,
                                     "choices": [], "usage": usage}))
        return _Reply(200, ctype="text/event-stream", events=events + [b"data: [DONE]\n\n"])

    def _completions(self, req, p, opts):
        model = p.get("model")
        cid = "cmpl-standin-%d" % req.seq

        def choice(text, finish):
            return {"id": cid, "object": "text_completion", "created": CREATED,
                    "model": model, "choices": [{"text": text, "index": 0,
                                                 "logprobs": None,
                                                 "finish_reason": finish}]}
        if not p.get("stream"):
            body = choice("".join(_pieces(model)), "stop")
            body["usage"] = {"prompt_tokens": _words(p.get("prompt")),
                             "completion_tokens": 3,
                             "total_tokens": _words(p.get("prompt")) + 3}
            return _Reply(200, _json(body))
        events = self._events(opts, lambda s: _data(choice(s, None)), _data)
        if events is None:
            events = [_data(choice(s, None)) for s in _pieces(model)]
            events.append(_data(choice("", "stop")))
        return _Reply(200, ctype="text/event-stream", events=events + [b"data: [DONE]\n\n"])

    def _responses(self, req, p, opts):
        model = p.get("model")
        rid = "resp_standin_%d" % req.seq
        text = "".join(_pieces(model))
        message = {"type": "message", "id": "msg_standin_%d" % req.seq,
                   "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "text": text, "annotations": []}]}
        n_in = _words(p.get("input"))
        full = {"id": rid, "object": "response", "created_at": CREATED,
                "status": "completed", "model": model, "output": [message],
                "usage": {"input_tokens": n_in, "output_tokens": 3,
                          "total_tokens": n_in + 3}}
        if not p.get("stream"):
            return _Reply(200, _json(full))

        def delta(s):
            return _named("response.output_text.delta", {
                "type": "response.output_text.delta", "item_id": message["id"],
                "output_index": 0, "content_index": 0, "delta": s})

        def as_event(obj):
            return _named(obj.get("type", "message"), obj)
        events = self._events(opts, delta, as_event)
        if events is None:
            started = dict(full, status="in_progress", output=[], usage=None)
            events = [_named("response.created", {"type": "response.created",
                                                  "response": started})]
            events += [delta(s) for s in _pieces(model)]
            events.append(_named("response.completed", {"type": "response.completed",
                                                        "response": full}))
        return _Reply(200, ctype="text/event-stream", events=events)

    def _messages(self, req, p, opts):
        model = p.get("model")
        mid = "msg_standin_%d" % req.seq
        text = "".join(_pieces(model))
        n_in = _words(p.get("messages"))
        if not p.get("stream"):
            return _Reply(200, _json({
                "id": mid, "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": n_in, "output_tokens": 3}}))

        def delta(s):
            return _named("content_block_delta", {
                "type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": s}})

        def as_event(obj):
            return _named(obj.get("type", "message"), obj)
        events = self._events(opts, delta, as_event)
        if events is None:
            events = [
                _named("message_start", {"type": "message_start", "message": {
                    "id": mid, "type": "message", "role": "assistant", "model": model,
                    "content": [], "stop_reason": None, "stop_sequence": None,
                    "usage": {"input_tokens": n_in, "output_tokens": 1}}}),
                _named("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text",
                                                                 "text": ""}}),
                _named("ping", {"type": "ping"})]
            events += [delta(s) for s in _pieces(model)]
            events += [
                _named("content_block_stop", {"type": "content_block_stop", "index": 0}),
                _named("message_delta", {"type": "message_delta",
                                         "delta": {"stop_reason": "end_turn",
                                                   "stop_sequence": None},
                                         "usage": {"output_tokens": 3}}),
                _named("message_stop", {"type": "message_stop"})]
        return _Reply(200, ctype="text/event-stream", events=events)

    def _embeddings(self, req, p, opts):
        inputs = p.get("input")
        if isinstance(inputs, str) or (isinstance(inputs, list) and inputs
                                       and isinstance(inputs[0], int)):
            inputs = [inputs]
        if not inputs:
            return _Reply(400, _openai_error(400, "'input' is required"))
        dims = int(p.get("dimensions") or 8)
        data = [{"object": "embedding", "index": i,
                 "embedding": [round(((i + 1) * (j + 1)) % 17 / 17.0, 6)
                               for j in range(dims)]}
                for i in range(len(inputs))]
        n = sum(_words(x) for x in inputs)
        return _Reply(200, _json({"object": "list", "data": data, "model": p.get("model"),
                                  "usage": {"prompt_tokens": n, "total_tokens": n}}))

    def _images(self, req, p, opts):
        n = int(p.get("n") or 1)
        b64 = p.get("response_format") == "b64_json"
        data = [({"b64_json": "iVBORw0KGgo="} if b64 else
                 {"url": "https://localhost/standin/%d-%d.png" % (req.seq, i)})
                for i in range(n)]
        for d in data:
            d["revised_prompt"] = p.get("prompt")
        return _Reply(200, _json({"created": CREATED, "data": data}))

    def _transcriptions(self, req, opts):
        ctype = req.headers.get("content-type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            return _Reply(400, _openai_error(400, "expected multipart/form-data"))
        try:
            parts = parse_multipart(req.body, ctype)
        except ValueError as e:
            return _Reply(400, _openai_error(400, "bad multipart body: %s" % e))
        names = [name for name, _, _, _ in parts]
        fields = {name: data.decode("utf-8", "replace")
                  for name, filename, _, data in parts if filename is None}
        files = {name: {"filename": filename, "content_type": ct, "size": len(data)}
                 for name, filename, ct, data in parts if filename is not None}
        return _Reply(200, _json({
            "text": "received %d bytes; parts: %s" % (len(req.body), ",".join(names)),
            "bytes": len(req.body), "parts": names, "fields": fields, "files": files}))

    @staticmethod
    def _model_object(req, m):
        if "anthropic-version" in req.headers:
            return {"type": "model", "id": m, "display_name": m,
                    "created_at": CREATED_AT}
        return {"id": m, "object": "model", "created": CREATED,
                "owned_by": "anthropic" if m.startswith("claude") else "openai"}

    def _models(self, req, opts):
        # a request with anthropic-version gets Anthropic's shape
        data = [self._model_object(req, m) for m in self.models]
        if "anthropic-version" in req.headers:
            return _Reply(200, _json({"data": data, "has_more": False,
                                      "first_id": data[0]["id"] if data else None,
                                      "last_id": data[-1]["id"] if data else None}))
        return _Reply(200, _json({"object": "list", "data": data}))

    def _model(self, req, model, opts):
        if model not in self.models:
            if "anthropic-version" in req.headers:
                return _Reply(404, _anthropic_error(404, "model: %s" % model))
            return _Reply(404, _openai_error(
                404, "The model '%s' does not exist" % model))
        return _Reply(200, _json(self._model_object(req, model)))
