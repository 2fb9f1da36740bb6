#!/usr/bin/env python3
"""tests/bench/control_plane.py — control-plane figures for omnirouted, measured
side by side in one run on loopback (not part of the test suite; no thresholds):

  * control commands per second: a new Unix-socket connection per command (the
    way omnirctl works), one persistent connection, and the HTTP management API
    over one keep-alive connection — for a read (status / proxy.get) and for a
    mutation (assign.set, which waits for every worker's snapshot ack);
  * RSS of the master and of one idle worker;
  * start-up time to serving (/healthz answers) with 10 000 registry rows.

Usage: tests/bench/control_plane.py [--omnirouted PATH] [--seconds S] [--rows N]
Every loop is bounded in count and in time.
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, datadir, port, workers):
    proc = subprocess.Popen([binary, "-D", datadir, "-l", "127.0.0.1:%d" % port,
                             "-w", str(workers)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    deadline = t0 + 60
    while time.perf_counter() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc, time.perf_counter() - t0
        except OSError:
            time.sleep(0.005)
    raise SystemExit("omnirouted did not start")


def control_line(sock_path, line, conn=None):
    own = conn is None
    if own:
        conn = socket.socket(socket.AF_UNIX)
        conn.connect(sock_path)
    conn.sendall(line.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        buf += conn.recv(1 << 20)
    if own:
        conn.close()
    return int(buf[:3])


def rate(fn, seconds, max_count=200000):
    n, t0 = 0, time.perf_counter()
    while n < max_count and time.perf_counter() - t0 < seconds:
        fn(n)
        n += 1
    return n / (time.perf_counter() - t0)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--omnirouted", default=os.path.join(os.getcwd(), "omnirouted"))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="omni-bench-")
    try:
        data = os.path.join(tmp, "data")
        sock = os.path.join(data, "omnirouted.sock")
        port = free_port()
        proc, t_empty = start(a.omnirouted, data, port, a.workers)
        pid_id = None
        h = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def http_call(method, path, body=None):
            h.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Content-Type": "application/json"})
            r = h.getresponse()
            return r.status, json.loads(r.read())

        st, rec = http_call("POST", "/api/v1/management/proxies",
                            {"name": "bench", "host": "bench.example", "port": 8080})
        pid_id = rec["id"]
        persistent = socket.socket(socket.AF_UNIX)
        persistent.connect(sock)
        results = {}
        results["read: new connection per command (status)"] = rate(
            lambda i: control_line(sock, "status"), a.seconds)
        results["read: persistent control connection (proxy.get)"] = rate(
            lambda i: control_line(sock, 'proxy.get {"id":"%s"}' % pid_id, persistent), a.seconds)
        results["read: HTTP keep-alive (GET proxy by id)"] = rate(
            lambda i: http_call("GET", "/api/v1/management/proxies?id=" + pid_id), a.seconds)
        results["write: persistent control connection (assign.set)"] = rate(
            lambda i: control_line(sock, 'assign.set {"scope":"account","scopeId":"c%d","proxyId":"%s"}'
                                   % (i % 500, pid_id), persistent), a.seconds)
        results["write: HTTP keep-alive (PUT assignment)"] = rate(
            lambda i: http_call("PUT", "/api/v1/management/proxies/assignments",
                                {"scope": "account", "scopeId": "h%d" % (i % 500),
                                 "proxyId": pid_id}), a.seconds)
        persistent.close()
        kids = children(proc.pid)
        master_rss = rss_kib(proc.pid)
        worker_rss = rss_kib(kids[0]) if kids else 0

        # fill the registry to --rows and time a restart to serving
        made = 1
        while made < a.rows:
            batch = [{"name": "row%d" % (made + i), "host": "10.%d.%d.%d" % (
                (made + i) >> 16 & 255, (made + i) >> 8 & 255, (made + i) & 255),
                "port": 1000 + (made + i) % 60000, "username": "u", "password": "p"}
                for i in range(min(1000, a.rows - made))]
            st, res = http_call("POST", "/api/settings/proxies/bulk-import", {"items": batch})
            made += res["created"]
        h.close()
        proc.terminate()
        proc.wait(30)
        proc, t_full = start(a.omnirouted, data, port, a.workers)
        kids = children(proc.pid)
        worker_rss_full = rss_kib(kids[0]) if kids else 0
        master_rss_full = rss_kib(proc.pid)
        proc.terminate()
        proc.wait(30)

        print("omnirouted control plane, %d workers, %.1f s per measurement" % (a.workers, a.seconds))
        for k, v in results.items():
            print("  %-55s %9.0f /s" % (k, v))
        print("  %-55s %9d KiB" % ("RSS master (1 proxy)", master_rss))
        print("  %-55s %9d KiB" % ("RSS idle worker (1 proxy)", worker_rss))
        print("  %-55s %9d KiB" % ("RSS master (%d proxies)" % made, master_rss_full))
        print("  %-55s %9d KiB" % ("RSS idle worker (%d proxies)" % made, worker_rss_full))
        print("  %-55s %9.1f ms" % ("start-up to serving, empty registry", t_empty * 1000))
        print("  %-55s %9.1f ms" % ("start-up to serving, %d rows" % made, t_full * 1000))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
