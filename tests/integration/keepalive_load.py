"""Clients on kept-alive connections calling one path of omnirouted back to
back, for the lifecycle tests and tests/bench/lifecycle_bench.py: bounded in
time and count, every failure counted (reset, broken pipe, non-200, or an
answer check(body) finds wrong), nothing retried. A response that says
"Connection: close" is honoured: the next call opens a new connection."""

import http.client
import threading
import time


class KeepAliveLoad:
    def __init__(self, port, path="/healthz", method="GET", body=None, headers=None,
                 clients=4, max_seconds=60.0, max_calls=10 ** 6, check=None):
        self.port, self.path, self.method, self.body = port, path, method, body
        self.headers = dict(headers or {})
        if body is not None:
            self.headers.setdefault("Content-Type", "application/json")
        self.max_seconds, self.max_calls, self.check = max_seconds, max_calls, check
        self.ok = 0
        self.closes = 0                    # responses that said Connection: close
        self.errors = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(clients)]

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        conn, calls = None, 0
        while not self.stopping.is_set() and time.monotonic() < deadline \
                and calls < self.max_calls:
            calls += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request(self.method, self.path, body=self.body, headers=self.headers)
                r = conn.getresponse()
                data = r.read()
                closing = (r.getheader("Connection") or "").lower() == "close"
                wrong = ("status %d" % r.status if r.status != 200 else
                         self.check(data) if self.check else None)
                with self.lock:
                    if wrong:
                        self.errors.append("%s: %r" % (wrong, data[:200]))
                    else:
                        self.ok += 1
                    self.closes += closing
                if closing:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.errors.append(repr(e))
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stopping.set()
        for t in self.threads:
            t.join(60)
        assert not any(t.is_alive() for t in self.threads)

    def summary(self):
        kinds = {}
        for e in self.errors:
            k = e.split("(")[0].split(":")[0]
            kinds[k] = kinds.get(k, 0) + 1
        return "%d ok, %d failed%s, %d answered Connection: close" % (
            self.ok, len(self.errors), " %s" % kinds if kinds else "", self.closes)
