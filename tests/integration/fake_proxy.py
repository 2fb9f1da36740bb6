"""Scripted fake proxies for the egress-notes tests (test_egress_notes.py).

Why fakes: the real servers the other tests use (microsocks, dante,
tinyproxy, squid, stunnel) are well-behaved, so they never produce the
misbehaviour egress-notes.md §1 lists — a SOCKS5 server that picks method 00
although we offered 02, or 0xFF, or GSSAPI; replies trickled one byte at a
time; a failure reply cut after two bytes; BND.ADDR as a name or an IPv6
address; a bad ATYP; an HTTP proxy that answers "200 OK" with a
Content-Length or Transfer-Encoding that must be ignored, a 407 with a body,
a head trickled for longer than the handshake deadline. Each fake here speaks
just enough of the protocol to misbehave in one chosen way, records exactly
what the client sent and how it arrived (one message per write, nothing sent
ahead of our reply), and on success tunnels to 127.0.0.1 like a real proxy.

The leak canary (test_leak_canary.py) uses them as well-behaved proxies that
resolve every name to 127.0.0.1 (as the daemon's test hosts file does), given
an `address`: they listen there and dial out from it, so the server they
tunnel to sees that address as the connection's source.
"""

import re
import socket
import struct
import threading
import time


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("peer closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def _pending(sock, wait=0.15):
    """Bytes the client sent beyond the message just read (pipelining)."""
    sock.settimeout(wait)
    try:
        return sock.recv(4096, socket.MSG_PEEK)
    except (socket.timeout, BlockingIOError):
        return b""
    finally:
        sock.settimeout(10)


def _pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _tunnel(client, port, source="127.0.0.1"):
    up = socket.create_connection(("127.0.0.1", port), timeout=10,
                                  source_address=(source, 0))
    up.settimeout(None)
    client.settimeout(None)
    t = threading.Thread(target=_pipe, args=(up, client), daemon=True)
    t.start()
    _pipe(client, up)
    t.join(10)
    up.close()


class _Server:
    """A loopback listener on address; each accepted connection runs
    self.handle(), and tunnels leave from address."""

    def __init__(self, address="127.0.0.1"):
        self.address = address
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.records = []           # one dict per connection
        self.errors = []
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        rec = {}
        self.records.append(rec)
        conn.settimeout(10)
        try:
            self.handle(conn, rec)
        except Exception as e:          # recorded for the test to show
            self.errors.append(repr(e))
        finally:
            conn.close()

    def send(self, conn, data):
        """Send one reply, whole or a byte at a time (short reads, §1.1)."""
        if self.trickle:
            for i in range(len(data)):
                conn.sendall(data[i:i + 1])
                time.sleep(self.trickle)
        else:
            conn.sendall(data)

    def stop(self):
        self._stop = True
        self.sock.close()


class FakeSocks5(_Server):
    """A SOCKS5 server that answers as told.

    method      the METHOD byte to answer, or None: 02 if offered, else 00
    auth_reply  the two bytes answering a username/password request
    rep         REP of the CONNECT reply
    bnd         BND part of a success reply: "ipv4", "ipv6", "name", or raw
                bytes starting at ATYP (e.g. b"\\x09" for a bad ATYP)
    short_fail  on a failure REP, send only VER REP and close
    trickle     seconds between single bytes of every reply (0: one write)
    coalesce    send the method reply and the CONNECT reply in one write,
                before the request arrives (an over-eager server)
    Records per connection: greeting, auth (user, password, raw), request
    (atyp, host, port, raw), and 'pipelined' (bytes found waiting after a
    message, before we answered it)."""

    def __init__(self, method=None, auth_reply=b"\x01\x00", rep=0, bnd="ipv4",
                 short_fail=False, trickle=0, coalesce=False, address="127.0.0.1"):
        self.method, self.auth_reply, self.rep, self.bnd = method, auth_reply, rep, bnd
        self.short_fail, self.trickle, self.coalesce = short_fail, trickle, coalesce
        super().__init__(address)

    def _bnd(self):
        if isinstance(self.bnd, bytes):
            return self.bnd
        if self.bnd == "ipv6":
            return b"\x04" + socket.inet_pton(socket.AF_INET6, "2001:db8::7") + b"\x1f\x90"
        if self.bnd == "name":
            return b"\x03\x0bexample.net\x1f\x90"
        return b"\x01\x7f\x00\x00\x01\x1f\x90"

    def handle(self, conn, rec):
        rec["pipelined"] = []
        head = _recv_exact(conn, 2)
        greeting = head + _recv_exact(conn, head[1])
        rec["greeting"] = greeting
        rec["pipelined"].append(_pending(conn))
        method = self.method
        if method is None:
            method = 2 if 2 in greeting[2:] else 0
        if self.coalesce:
            conn.sendall(bytes([5, method]) + b"\x05\x00\x00" + self._bnd())
        else:
            self.send(conn, bytes([5, method]))
        if method == 0xFF or method not in greeting[2:]:
            rec["after_method"] = conn.recv(4096)   # the client should just close
            return
        if method == 2:
            ver_ulen = _recv_exact(conn, 2)
            user = _recv_exact(conn, ver_ulen[1])
            plen = _recv_exact(conn, 1)
            password = _recv_exact(conn, plen[0])
            rec["auth"] = (user, password, ver_ulen + user + plen + password)
            rec["pipelined"].append(_pending(conn))
            self.send(conn, self.auth_reply)
            if self.auth_reply[1] != 0:
                return
        req = _recv_exact(conn, 4)
        if req[3] == 1:
            addr = _recv_exact(conn, 4)
            host = socket.inet_ntop(socket.AF_INET, addr)
        elif req[3] == 4:
            addr = _recv_exact(conn, 16)
            host = socket.inet_ntop(socket.AF_INET6, addr)
        else:
            n = _recv_exact(conn, 1)
            addr = n + _recv_exact(conn, n[0])
            host = addr[1:].decode("utf-8", "replace")
        port = struct.unpack("!H", _recv_exact(conn, 2))[0]
        rec["request"] = (req[3], host, port)
        rec["pipelined"].append(_pending(conn, 0.05))
        if self.rep != 0:
            if self.short_fail:
                self.send(conn, bytes([5, self.rep]))
            else:
                self.send(conn, bytes([5, self.rep, 0, 1, 0, 0, 0, 0, 0, 0]))
            return
        if not self.coalesce:
            self.send(conn, b"\x05\x00\x00" + self._bnd())
        _tunnel(conn, port, self.address)


class FakeConnect(_Server):
    """An HTTP CONNECT proxy that answers with the given head (and body).

    head     the response head, bytes through the empty line
    body     bytes sent right after a head that is not 2xx (a 407's body)
    tunnel   after a 2xx head, tunnel to 127.0.0.1:<the requested port>
    trickle  seconds between single bytes of the head
    Records per connection: the request head bytes."""

    def __init__(self, head=b"HTTP/1.1 200 Connection established\r\n\r\n", body=b"",
                 tunnel=True, trickle=0, address="127.0.0.1"):
        self.head, self.body, self.tunnel, self.trickle = head, body, tunnel, trickle
        super().__init__(address)

    def handle(self, conn, rec):
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(4096)
            if not chunk:
                raise EOFError("no CONNECT head")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        rec["request"] = head + b"\r\n\r\n"
        rec["extra"] = rest
        self.send(conn, self.head)
        # the final status (after any interim 1xx heads)
        status = int(re.findall(rb"(?:^|\n)HTTP/1\.\d (\d+)", self.head)[-1]) \
            if self.head.startswith(b"HTTP/") else 0
        if self.body and not 200 <= status < 300:
            conn.sendall(self.body)
        if not (self.tunnel and 200 <= status < 300):
            try:
                conn.shutdown(socket.SHUT_WR)
                conn.recv(4096)
            except OSError:
                pass
            return
        target = head.split(b"\r\n")[0].split(b" ")[1].decode()
        port = int(target.rsplit(":", 1)[1])
        _tunnel(conn, port, self.address)
