#!/usr/bin/env python3
"""tests/bench/oneproxy_bench.py — the 1proxy sync's cost, measured on
loopback (not part of the test suite; it reports, it does not judge).

A local feed (the provider stand-in over TLS, the test CA) serves 5 pages of
100 loopback rows; omnirouted (2 workers, ONEPROXY_ALLOW_PRIVATE=true) syncs
them --syncs times in a row. Reported: each sync's wall time as omnirctl sees
it (median and worst), the master's RSS before the first sync and after the
last, and — the whole time, from --clients threads — relayed chat calls to
the stand-in through omnirouted, counted ok and failed, with their median
and p99 latency compared with the same calls while no sync runs.

Usage: tests/bench/oneproxy_bench.py [--omnirouted PATH] [--omnirctl PATH]
           [--syncs N] [--clients N]
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import egress_env as env                      # noqa: E402
from provider_standin import ProviderStandIn  # noqa: E402
from relay_bench import rss_kib               # noqa: E402

FEED = "/api/v1/proxies/advanced"
REQUEST = json.dumps({"model": "openai/gpt-4o-mini",
                      "messages": [{"role": "user", "content": "Say hello."}]})


def feed_page(k, n=100):
    rows = [{"ip": "127.%d.%d.%d" % (10 + k, i // 250, 1 + i % 250), "port": 10000 + i,
             "protocol": ("http", "https", "socks5")[i % 3],
             "country_code": ("US", "DE", "JP", "BR")[i % 4], "quality_score": 60 + i % 40,
             "latency_ms": 50 + i, "anonymity": "elite", "can_access_google": True,
             "last_validated": "2026-11-01T12:00:00Z"} for i in range(n)]
    return json.dumps({"total": 500, "count": n, "offset": k * 100, "limit": 100,
                       "proxies": rows}).encode()


class Relay:
    """Threads making chat calls through omnirouted until stopped."""

    def __init__(self, port, clients):
        self.port = port
        self.lock = threading.Lock()
        self.samples = []           # (t_end, latency_s, ok)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(clients)]

    def run(self):
        conn = None
        while not self.stop.is_set():
            t0 = time.monotonic()
            ok = False
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("POST", "/v1/chat/completions", body=REQUEST,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                conn = None
            with self.lock:
                self.samples.append((time.monotonic(), time.monotonic() - t0, ok))

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)

    def window(self, start, end):
        with self.lock:
            return [(lat, ok) for t, lat, ok in self.samples if start <= t < end]


def summary(samples):
    lats = sorted(lat for lat, ok in samples)
    ok = sum(1 for lat, good in samples if good)
    if not lats:
        return "no calls"
    p99 = lats[min(len(lats) - 1, int(len(lats) * 0.99))]
    return "%d calls, %d failed, median %.2f ms, p99 %.2f ms" % (
        len(lats), len(lats) - ok, statistics.median(lats) * 1000, p99 * 1000)


def main():
    ap = argparse.ArgumentParser()
    root = os.path.join(HERE, "..", "..")
    ap.add_argument("--omnirouted", default=os.path.join(root, "omnirouted"))
    ap.add_argument("--omnirctl", default=os.path.join(root, "omnirctl"))
    ap.add_argument("--syncs", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="oneproxy-bench-")
    ca = env.TestCA(os.path.join(work, "ca"))
    feed = ProviderStandIn(ca)
    provider = ProviderStandIn(ca)
    port = env.free_port()
    data = os.path.join(work, "data")
    proc = subprocess.Popen(
        [a.omnirouted, "-D", data, "-l", "127.0.0.1:%d" % port, "-w", "2"],
        env=dict(os.environ, OMNIROUTE_CA_FILE=ca.ca, OMNIROUTE_LOG_LEVEL="warn",
                 ONEPROXY_API_URL=feed.url(host="127.0.0.1"), ONEPROXY_ALLOW_PRIVATE="true",
                 ONEPROXY_MAX_PROXIES="500"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    relay = None
    try:
        env.wait_port(port, proc, what="omnirouted")
        time.sleep(0.5)
        sock = os.path.join(data, "omnirouted.sock")

        def ctl(*args):
            return subprocess.run([a.omnirctl, "-s", sock, "--json"] + list(args),
                                  capture_output=True, text=True)
        ctl("provider", "update", "openai", "--base-url", provider.url("/v1", host="127.0.0.1"))
        ctl("conn", "add", "openai", "--name", "bench", "--key", "sk-bench")
        relay = Relay(port, a.clients)
        relay.start()
        time.sleep(2.0)
        quiet_end = time.monotonic()
        rss_before = rss_kib(proc.pid)
        walls, results = [], []
        sync_start = time.monotonic()
        for _ in range(a.syncs):
            for k in range(5):
                feed.script(FEED, body=feed_page(k))
            t0 = time.monotonic()
            out = ctl("oneproxy", "sync")
            walls.append(time.monotonic() - t0)
            results.append(json.loads(out.stdout))
        sync_end = time.monotonic()
        rss_after = rss_kib(proc.pid)
        time.sleep(2.0)
        relay.finish()
        first = results[0]
        print("1proxy sync of 5 pages x 100 rows, %d syncs (the first adds, the rest update)"
              % a.syncs)
        print("  first sync: %.1f ms  (added %d, updated %d, failed %d)" % (
            walls[0] * 1000, first["added"], first["updated"], first["failed"]))
        print("  all syncs: median %.1f ms, worst %.1f ms" % (
            statistics.median(walls) * 1000, max(walls) * 1000))
        print("  every sync succeeded: %s" % all(r["success"] for r in results))
        print("  master RSS: %d KiB before, %d KiB after (%+d KiB)" % (
            rss_before, rss_after, rss_after - rss_before))
        print("relayed calls (%d clients)" % a.clients)
        print("  before the syncs: %s" % summary(relay.window(quiet_end - 2.0, quiet_end)))
        print("  during the syncs: %s" % summary(relay.window(sync_start, sync_end)))
    finally:
        if relay is not None:
            relay.finish()
        proc.terminate()
        proc.wait(20)
        feed.stop()
        provider.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
