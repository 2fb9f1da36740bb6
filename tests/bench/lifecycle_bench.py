#!/usr/bin/env python3
"""tests/bench/lifecycle_bench.py — omnirouted's lifecycle under load, measured
on loopback (not part of the test suite; it reports, it does not judge).

1. New connections: wrk with "Connection: close" (a new TCP connection per
   call) and with keep-alive, against nginx as a reverse proxy and against
   omnirouted (direct egress), both relaying a chat completion to the same
   TLS stand-in (nginx returning a fixed answer); the targets take turns
   within each round; the ratios are medians of per-round ratios.
2. Reloads under keep-alive load: clients calling /v1/chat/completions back
   to back on kept-alive connections, counting every failure (no retries)
   while `omnirctl reload` runs --reloads times (each returns once the new
   workers serve).
3. The same with --proxies proxies in the registry (an account pinned to one
   of them): relayed calls, plus `resolve` calls whose every answer must name
   the account level.
4. A killed worker: kill -9 of a serving worker under load; the time until
   the master lists a new serving worker, and the calls that failed.
5. Master loss: kill -9 of the master (the suite tests it with a stream running); the time until a
   new omnirouted on the same data dir and port answers /healthz.

Usage: tests/bench/lifecycle_bench.py [--omnirouted PATH] [--omnirctl PATH]
           [--seconds S] [--rounds N] [--reloads N] [--proxies N]
Needs wrk and nginx-light (Debian).
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import egress_env as env                                      # noqa: E402
from keepalive_load import KeepAliveLoad as Load              # noqa: E402
from relay_bench import REQUEST, cpu_seconds, provider_and_nginx_proxy, tree, wrk  # noqa: E402

CHAT = "/v1/chat/completions"


class Omni:
    def __init__(self, a, work, name, port, ca, extra_env=None):
        self.a, self.data, self.port = a, os.path.join(work, name), port
        self.sock = os.path.join(self.data, "omnirouted.sock")
        self.env = dict(os.environ, OMNIROUTE_CA_FILE=ca.ca, OMNIROUTE_LOG_LEVEL="warn",
                        **(extra_env or {}))
        self.log = open(os.path.join(work, name + ".log"), "ab")
        self.start()

    def start(self):
        self.proc = subprocess.Popen([self.a.omnirouted, "-D", self.data, "-l",
                                      "127.0.0.1:%d" % self.port, "-w", "2"],
                                     env=self.env, stdout=self.log, stderr=self.log)
        env.wait_port(self.port, self.proc, what="omnirouted")

    def ctl(self, *args, check=True):
        p = subprocess.run([self.a.omnirctl, "-s", self.sock, "--json"] + list(args),
                           capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError("omnirctl %s: %s %s" % (args, p.stdout, p.stderr))
        return json.loads(p.stdout) if p.stdout.strip() else None

    def http(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, json.loads(data)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def reloads(omni, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        omni.ctl("reload")
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], times[-1]


def control(omni, line):
    """One control line over the Unix socket (faster than running omnirctl):
    the reply's JSON, or None when nothing answers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(omni.sock)
            s.sendall(line.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    return None
                buf += chunk
    except OSError:
        return None
    return json.loads(buf.decode().partition(" ")[2])


def serving_pids(omni):
    reply = control(omni, "workers")
    return sorted(w["pid"] for w in reply["items"] if w.get("serving")) if reply else []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--omnirouted", default=os.path.join(os.getcwd(), "omnirouted"))
    ap.add_argument("--omnirctl", default=os.path.join(os.getcwd(), "omnirctl"))
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reloads", type=int, default=100)
    ap.add_argument("--proxies", type=int, default=5000)
    a = ap.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit("lifecycle_bench: %s is not installed (apt-get install wrk nginx-light)"
                     % tool)
    work = tempfile.mkdtemp(prefix="omni-lifecycle-")
    procs, omnis = [], []
    try:
        ca = env.TestCA(os.path.join(work, "ca"))
        prov_port, proxy_port, proxy = provider_and_nginx_proxy(work, ca, procs)
        omni_port = env.free_port()
        omni = Omni(a, work, "data", omni_port, ca)
        omnis.append(omni)
        omni.ctl("provider", "update", "openai", "--base-url",
                 "https://127.0.0.1:%d/v1" % prov_port)
        omni.ctl("conn", "add", "openai", "--name", "bench", "--key", "sk-bench")

        # 1. new connections vs kept-alive, nginx vs omniroute
        scripts = {}
        for mode, extra in (("keep-alive", ""), ("close", 'wrk.headers["Connection"] = "close"\n')):
            scripts[mode] = os.path.join(work, "post-%s.lua" % mode)
            with open(scripts[mode], "w") as f:
                f.write('wrk.method = "POST"\nwrk.body = %s\n'
                        'wrk.headers["Content-Type"] = "application/json"\n%s'
                        % (json.dumps(REQUEST), extra))
        targets = [("nginx", "http://127.0.0.1:%d%s" % (proxy_port, CHAT), tree(proxy.pid)),
                   ("omniroute", "http://127.0.0.1:%d%s" % (omni_port, CHAT),
                    tree(omni.proc.pid))]
        runs = {}
        for _ in range(a.rounds):
            for mode in ("close", "keep-alive"):
                for name, url, pids in targets:
                    before = cpu_seconds(pids)
                    res = wrk(url, 32, a.seconds, scripts[mode])
                    res["cpu_ms"] = (cpu_seconds(pids) - before) * 1000 / max(res["total"], 1)
                    runs.setdefault((mode, name), []).append(res)
        print("1. relayed calls, 32 wrk connections, %d s x %d rounds (median round)"
              % (a.seconds, a.rounds))
        print("   %-10s %-10s %10s %9s %9s %11s %7s" % ("mode", "target", "req/s", "p50 ms",
                                                       "p99 ms", "CPU ms/call", "non2xx"))
        for mode in ("close", "keep-alive"):
            for name, _u, _p in targets:
                rs = sorted(runs[(mode, name)], key=lambda r: r["rps"])
                r = rs[len(rs) // 2]
                print("   %-10s %-10s %10.0f %9.3f %9.3f %11.4f %7d" % (
                    mode, name, r["rps"], r["p50"], r["p99"], r["cpu_ms"], r["non2xx"]))
            ratios = sorted(o["rps"] / n["rps"] for o, n in
                            zip(runs[(mode, "omniroute")], runs[(mode, "nginx")]))
            print("   ratio omniroute / nginx, %-10s: %.2f (rounds: %s)" % (
                mode, ratios[len(ratios) // 2], " ".join("%.2f" % x for x in ratios)))

        # 2. reloads under keep-alive load
        body = REQUEST.encode()
        load = Load(omni_port, CHAT, "POST", body, max_seconds=600).start()
        time.sleep(0.3)
        med, worst = reloads(omni, a.reloads)
        load.finish()
        print("2. %d reloads under keep-alive load (4 clients, relayed calls): %s; "
              "reload took %.1f ms median, %.1f ms at most" % (a.reloads, load.summary(),
                                                            med, worst))

        # 3. the same with a large registry
        for start in range(0, a.proxies, 1000):
            items = [{"name": "p%d" % i, "type": "http", "host": "127.0.0.1",
                      "port": 1024 + i % 60000} for i in range(start, min(start + 1000,
                                                                        a.proxies))]
            status, res = omni.http("POST", "/api/settings/proxies/bulk-import",
                                    {"items": items})
            assert status == 200, res
        pid = omni.ctl("proxy", "list", "--limit", "1")["items"][0]["id"]
        omni.ctl("assign", "set", "account", "conn-pinned", pid)

        def pinned(data):
            level = json.loads(data).get("level")
            return None if level == "account" else "resolved %s" % level
        relay = Load(omni_port, CHAT, "POST", body, clients=3, max_seconds=600).start()
        resolve = Load(omni_port, "/api/settings/proxy?resolve=conn-pinned", clients=1,
                       max_seconds=600, check=pinned).start()
        time.sleep(0.3)
        med, worst = reloads(omni, a.reloads)
        relay.finish()
        resolve.finish()
        print("3. %d reloads with %d proxies: relayed %s; resolve %s; reload took %.1f ms "
              "median, %.1f ms at most" % (a.reloads, a.proxies, relay.summary(),
                                           resolve.summary(), med, worst))

        # 4. a killed worker (workers older than 10 s respawn at once)
        time.sleep(10.5)
        load = Load(omni_port, "/healthz", clients=4).start()
        time.sleep(0.3)
        before = serving_pids(omni)
        t0 = time.perf_counter()
        os.kill(before[0], signal.SIGKILL)
        while True:
            now = serving_pids(omni)
            if len(now) == 2 and before[0] not in now:
                break
            if time.perf_counter() - t0 > 30:
                raise RuntimeError("no new worker in 30 s")
            time.sleep(0.001)
        respawn_ms = (time.perf_counter() - t0) * 1000
        time.sleep(0.5)
        load.finish()
        print("4. kill -9 of a serving worker under load (4 kept-alive clients): a new "
              "worker serves after %.1f ms; calls: %s" % (respawn_ms, load.summary()))

        # 5. master loss: a new daemon on the same data dir
        samples = []
        for _ in range(5):
            omni.proc.send_signal(signal.SIGKILL)
            omni.proc.wait()
            t0 = time.perf_counter()
            omni.start()
            # the new master's own workers answer (not one of the old ones)
            while (control(omni, "status") or {}).get("pid") != omni.proc.pid or \
                    len(serving_pids(omni)) < 2:
                if time.perf_counter() - t0 > 30 or omni.proc.poll() is not None:
                    raise RuntimeError("the new daemon did not start: see %s"
                                       % omni.log.name)
                time.sleep(0.002)
            samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        print("5. kill -9 of the master, then a new omnirouted on the same data dir and "
              "port with every worker serving after: median %.0f ms, at most %.0f ms "
              "(5 times)"
              % (samples[2], samples[-1]))
    finally:
        for o in omnis:
            o.stop()
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
