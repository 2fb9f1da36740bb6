#!/usr/bin/env python3
"""tests/bench/relay_bench.py — the relay's speed, side by side in one run on
loopback (not part of the test suite; it reports, it does not judge).

A fast TLS provider stand-in (nginx returning a fixed chat completion) is
called four ways with wrk (a POST script, 1 and 32 connections, bounded
time): directly, through omnirouted (direct egress), through omnirouted with a
microsocks proxy assigned (a new SOCKS5 tunnel and a resumed TLS session per
call, the default), through a second omnirouted that keeps proxied
connections (pool_proxied_idle_ms), and through nginx as a reverse proxy (the
bar for an HTTP relay). For each: requests/s, p50/p99 latency and CPU per call of the
relay's own processes. Then SSE time to first byte (the Python stand-in, with
pauses) direct vs through omnirouted, RSS idle, and RSS per 1 000 idle client
connections. Needs wrk, nginx-light, microsocks (Debian).

Each (target, connections) pair is measured --rounds times, the targets
taking turns within a round so that a noisy neighbour hits them alike; the
table shows the median round and the ratios are medians of the per-round
ratios.

Usage: tests/bench/relay_bench.py [--omnirouted PATH] [--omnirctl PATH] [--seconds S]
           [--rounds N]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import egress_env as env                      # noqa: E402
from provider_standin import ProviderStandIn  # noqa: E402

COMPLETION = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000,
    "model": "gpt-4o-mini", "choices": [{"index": 0, "finish_reason": "stop",
    "message": {"role": "assistant", "content": "Hello from the bench."}}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}})
REQUEST = json.dumps({"model": "openai/gpt-4o-mini",
                      "messages": [{"role": "user", "content": "Say hello."}]})


def clk_tck():
    return os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / clk_tck()


def tree(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid] + [int(x) for x in out.split()]


def stop_processes(procs):
    """Terminate each process, killing one that takes over 10 s."""
    for p in procs:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def nginx(workdir, conf_body, port):
    conf = os.path.join(workdir, "nginx-%d.conf" % port)
    with open(conf, "w") as f:
        f.write("worker_processes 2;\ndaemon off;\npid %s/nginx-%d.pid;\n"
                "error_log %s/nginx-%d.err warn;\nevents { worker_connections 4096; }\n"
                "http {\naccess_log off;\nclient_body_temp_path %s;\nproxy_temp_path %s;\n"
                "%s\n}\n" % (workdir, port, workdir, port, workdir, workdir, conf_body))
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", workdir], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    env.wait_port(port, proc, what="nginx")
    return proc


def fast_provider(work, ca, procs, addresses=None):
    """The fast TLS stand-in: nginx answering COMPLETION on addresses,
    appended to procs; returns its port."""
    # by default the provider may be reached as "localhost": it listens on
    # each address the name has here (::1 too with Debian's stock /etc/hosts)
    prov_addrs = addresses or env.localhost_addresses()
    prov_port = env.free_port_on(prov_addrs)
    listen = "".join("  listen %s:%d ssl;\n" % ("[%s]" % h if ":" in h else h, prov_port)
                     for h in prov_addrs)
    procs.append(nginx(work, """
server {
%s  ssl_certificate %s; ssl_certificate_key %s;
  keepalive_requests 100000;
  location / { default_type application/json; return 200 '%s'; }
}""" % (listen, ca.cert, ca.key, COMPLETION), prov_port))
    return prov_port


def provider_and_nginx_proxy(work, ca, procs):
    """The fast TLS stand-in and nginx as a reverse proxy in front of it
    (upstream keep-alive): the relay's bar. Both processes are appended to
    procs; returns (provider port, proxy port, the proxy's process)."""
    prov_port, proxy_port = fast_provider(work, ca, procs), env.free_port()
    proxy = nginx(work, """
upstream provider { server 127.0.0.1:%d; keepalive 64; }
server {
  listen 127.0.0.1:%d; keepalive_requests 100000;
  location / { proxy_pass https://provider; proxy_http_version 1.1;
    proxy_set_header Connection ""; proxy_ssl_server_name on; proxy_ssl_name localhost;
    proxy_ssl_verify on; proxy_ssl_trusted_certificate %s; proxy_ssl_session_reuse on; }
}""" % (prov_port, proxy_port, ca.ca), proxy_port)
    procs.append(proxy)
    return prov_port, proxy_port, proxy


def post_script(work):
    """A wrk script POSTing REQUEST; returns its path."""
    script = os.path.join(work, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.body = %s\n'
                'wrk.headers["Content-Type"] = "application/json"\n' % json.dumps(REQUEST))
    return script


def wrk(url, conns, seconds, script):
    out = subprocess.run(["wrk", "-t", str(min(conns, 2)), "-c", str(conns), "-d",
                          "%ds" % seconds, "--latency", "-s", script, url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     out)

    def pct(p):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    return {"rps": rps, "total": total, "p50": pct(50), "p99": pct(99),
            "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": sum(map(int, sock.groups())) if sock else 0}


def ttfb(host, port, path, body, tls, n=21):
    """Median time to the first body byte over one kept-alive connection
    (the first call, which pays for the connection, is left out)."""
    ctx = ssl.create_default_context(cafile=tls) if tls else None
    c = (http.client.HTTPSConnection(host, port, context=ctx, timeout=10) if tls
         else http.client.HTTPConnection(host, port, timeout=10))
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read(1)
        if i > 0:
            samples.append((time.perf_counter() - t0) * 1000)
        r.read()
    c.close()
    samples.sort()
    return samples[len(samples) // 2]


def start_omniroute(a, work, name, port, ca, prov_port, extra_env=None):
    """An omnirouted with 2 workers relaying openai to the stand-in; (proc, ctl)."""
    data = os.path.join(work, name)
    proc = subprocess.Popen([a.omnirouted, "-D", data, "-l", "127.0.0.1:%d" % port, "-w", "2"],
                            env=dict(os.environ, OMNIROUTE_CA_FILE=ca.ca,
                                     OMNIROUTE_LOG_LEVEL="warn", **(extra_env or {})),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env.wait_port(port, proc, what="omnirouted")
    time.sleep(0.3)

    def ctl(*args):
        return json.loads(subprocess.run(
            [a.omnirctl, "-s", os.path.join(data, "omnirouted.sock"), "--json"] + list(args),
            capture_output=True, text=True, check=True).stdout)
    ctl("provider", "update", "openai", "--base-url", "https://localhost:%d/v1" % prov_port)
    ctl("conn", "add", "openai", "--name", "bench", "--key", "sk-bench")
    return proc, ctl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--omnirouted", default=os.path.join(os.getcwd(), "omnirouted"))
    ap.add_argument("--omnirctl", default=os.path.join(os.getcwd(), "omnirctl"))
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    for tool in ("wrk", "nginx", "microsocks"):
        if shutil.which(tool) is None:
            sys.exit("relay_bench: %s is not installed (apt-get install wrk nginx-light "
                     "microsocks)" % tool)
    work = tempfile.mkdtemp(prefix="omni-bench-")
    procs = []
    try:
        ca = env.TestCA(os.path.join(work, "ca"))
        prov_port, proxy_port, proxy = provider_and_nginx_proxy(work, ca, procs)
        omni_port = env.free_port()
        ms = env.microsocks(work)
        omni, ctl = start_omniroute(a, work, "data", omni_port, ca, prov_port)
        procs.append(omni)
        pid = ctl("proxy", "add", "--name", "ms", "--type", "socks5", "--host", "127.0.0.1",
                  "--port", str(ms.port))["id"]
        # a second instance that keeps proxied connections (pool_proxied_idle_ms)
        pooled_port = env.free_port()
        pooled, ctl2 = start_omniroute(a, work, "data-pooled", pooled_port, ca, prov_port,
                                       {"OMNIROUTE_POOL_PROXIED_IDLE_MS": "5000"})
        procs.append(pooled)
        ctl2("assign", "set", "global", ctl2("proxy", "add", "--name", "ms", "--type",
                                             "socks5", "--host", "127.0.0.1", "--port",
                                             str(ms.port))["id"])
        script = post_script(work)
        rows = []
        targets = [
            ("direct to the TLS stand-in", "https://localhost:%d/v1/chat/completions" % prov_port,
             None),
            ("nginx reverse proxy", "http://127.0.0.1:%d/v1/chat/completions" % proxy_port,
             tree(proxy.pid)),
            ("omniroute, direct egress", "http://127.0.0.1:%d/v1/chat/completions" % omni_port,
             tree(omni.pid)),
            ("omniroute + microsocks", "http://127.0.0.1:%d/v1/chat/completions" % omni_port,
             tree(omni.pid) + [ms.proc.pid]),
            ("omniroute + microsocks, pooled",
             "http://127.0.0.1:%d/v1/chat/completions" % pooled_port,
             tree(pooled.pid) + [ms.proc.pid]),
        ]
        runs = {}           # (name, conns) -> [result per round]
        for _ in range(a.rounds):
            for name, url, pids in targets:
                if name == "omniroute + microsocks":
                    ctl("assign", "set", "global", pid)
                for conns in (1, 32):
                    before = cpu_seconds(pids) if pids else 0
                    res = wrk(url, conns, a.seconds, script)
                    cpu = (cpu_seconds(pids) - before) if pids else None
                    res.update(name=name, conns=conns, cpu_ms=(cpu * 1000 / res["total"])
                               if pids and res["total"] else None)
                    runs.setdefault((name, conns), []).append(res)
                if name == "omniroute + microsocks":
                    ctl("assign", "remove", "global")
        for name, _url, _pids in targets:
            for conns in (1, 32):
                rounds = sorted(runs[(name, conns)], key=lambda r: r["rps"])
                rows.append(rounds[len(rounds) // 2])

        # SSE time to first byte: the Python stand-in streams with pauses
        sse = ProviderStandIn(ca, pause=0.05)
        ctl("provider", "update", "openai", "--base-url", sse.url("/v1"))
        body = json.dumps({"model": "openai/gpt-4o-mini", "stream": True, "messages": []})
        t_direct = ttfb("localhost", sse.port, "/v1/chat/completions",
                        body.replace("openai/", ""), ca.ca)
        t_omni = ttfb("127.0.0.1", omni_port, "/v1/chat/completions", body, None)
        sse.stop()

        kids = tree(omni.pid)[1:]
        idle = rss_kib(kids[0])
        before = sum(rss_kib(k) for k in kids)
        socks = [socket.create_connection(("127.0.0.1", omni_port)) for _ in range(1000)]
        time.sleep(0.5)
        per_1000 = sum(rss_kib(k) for k in kids) - before
        for s in socks:
            s.close()

        print("relay benchmark (%d s per run, %d rounds, median shown; 2 workers each; "
              "CPU = the relay's own processes)" % (a.seconds, a.rounds))
        print("%-31s %5s %10s %9s %9s %11s %7s" % ("target", "conns", "req/s", "p50 ms",
                                                   "p99 ms", "CPU ms/call", "non2xx"))
        for r in rows:
            print("%-31s %5d %10.0f %9.3f %9.3f %11s %7d" % (
                r["name"], r["conns"], r["rps"], r["p50"], r["p99"],
                "%.4f" % r["cpu_ms"] if r["cpu_ms"] is not None else "-", r["non2xx"]))
        for conns in (1, 32):
            bars = runs[("nginx reverse proxy", conns)]
            for name in ("omniroute, direct egress", "omniroute + microsocks",
                         "omniroute + microsocks, pooled"):
                ratios = sorted(r["rps"] / b["rps"] for r, b in zip(runs[(name, conns)], bars))
                print("ratio %-30s / nginx at %2d conns: %.2f (rounds: %s)" % (
                    name, conns, ratios[len(ratios) // 2],
                    " ".join("%.2f" % x for x in ratios)))
        print("SSE time to first byte (median of 20): direct %.2f ms, through omniroute "
              "%.2f ms (+%.2f ms)" % (t_direct, t_omni, t_omni - t_direct))
        print("RSS: idle worker %d KiB, master %d KiB; 1000 idle client connections add "
              "%d KiB in total (%.2f KiB each)" % (idle, rss_kib(omni.pid), per_1000,
                                                   per_1000 / 1000))
    finally:
        stop_processes(procs)
        try:
            ms.stop()
        except NameError:
            pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
