#!/usr/bin/env python3
"""tests/bench/pool_bench.py — proxy pools (API.md "Pools", issue 11) measured
on loopback against the issue's "Figures to reach" (not part of the test
suite; it reports, it does not judge).

1. Failover cost. A round-robin pool [dead, live, live]: the dead member is a
   SOCKS5 address:port on 127.0.0.21 with nothing listening (connect is
   refused), the live ones are microsocks on 127.0.0.22 and .23 (each dialing
   out from its own address). After 9 warm-up calls, --calls calls, one
   after another on one kept-alive client connection; each is sorted by its
   X-OmniRoute-Proxy-Attempts. The cool-down is off (pool_cooldown_ms 0, by
   OMNIROUTE_POOL_COOLDOWN_MS) so that every call the strategy hands to the
   dead member fails over (with the default 30 s only the first call in 30 s
   would). Added latency: each failed-over call minus the nearest Attempts-1
   call before it and, again, after it (paired, so drift cancels). In the
   same run, before every call, a few plain connect()s from Python to the
   dead address:port time the kernel's refusal (the socket is made outside
   the timed part). With a new tunnel per call the latencies can have two
   modes (about 1 and 2 ms on a busy 2-core VM, for every member alike), and
   a group's median may then fall on either: the table gives quartiles and a
   trimmed mean too. Run with a new tunnel per call (the default) and with
   proxied connections kept (pool_proxied_idle_ms); then once more with the
   default cool-down, for the share each member gets while the dead one
   cools down. After each, wrk -c32 for --seconds through the same pool
   counts failed calls under concurrency (both workers, the shared board).
2. Relay throughput through a round-robin pool of three pooled tunnels (three
   microsocks) vs one pooled tunnel (one of them assigned plainly), in one
   omnirouted with pool_proxied_idle_ms; and through a pool of three records
   of that one microsocks (three tunnel sets, one proxy process), to tell the
   daemon's share of a difference from the proxies'. After each change of
   target a second of wrk makes the tunnels (unmeasured); then wrk at 32 and
   1 connections, the targets taking turns within each of --rounds rounds
   (in reverse order every other round); the table shows the median round,
   the ratios are medians of the per-round ratios. CPU per call:
   omnirouted's processes, and the microsocks.

The provider is the fast TLS stand-in of relay_bench.py (nginx answering a
fixed chat completion) on 127.0.0.1. Needs wrk, nginx-light, microsocks.

Usage: tests/bench/pool_bench.py [--omnirouted PATH] [--omnirctl PATH]
           [--calls N] [--seconds S] [--rounds N]
"""

import argparse
import http.client
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import egress_env as env                                                 # noqa: E402
from relay_bench import (REQUEST, cpu_seconds, fast_provider, post_script,  # noqa: E402
                         start_omniroute, stop_processes, tree, wrk)

CHAT = "/v1/chat/completions"
DEAD, LIVE = "127.0.0.21", ["127.0.0.22", "127.0.0.23", "127.0.0.24"]
REFUSALS_PER_CALL = 5
CALLS_MAX_SECONDS = 120       # each failover run stops here whatever --calls says


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))] if xs else float("nan")


def median(xs):
    return quantile(xs, 0.5)


def refusal_ms(address, port, n):
    """n plain connect()s to a refused address:port, each timed alone (ms);
    a connect that is not refused (accepted, or no answer in 1 s) is None."""
    out = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1.0)
        try:
            t0 = time.perf_counter()
            s.connect((address, port))
            out.append(None)
        except ConnectionRefusedError:
            out.append((time.perf_counter() - t0) * 1000)
        except OSError:
            out.append(None)
        finally:
            s.close()
    return out


def failover_run(port, dead_port, calls):
    """calls chat calls back to back; returns ([(attempts, proxy id, ms)],
    failures, refusal samples in ms, connects that were not refused)."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    samples, failures, refusals, not_refused = [], [], [], 0
    deadline = time.monotonic() + CALLS_MAX_SECONDS
    for i in range(calls):
        if time.monotonic() > deadline:
            break
        got = refusal_ms(DEAD, dead_port, REFUSALS_PER_CALL)
        refusals += [x for x in got if x is not None]
        not_refused += got.count(None)
        t0 = time.perf_counter()
        try:
            client.request("POST", CHAT, body=REQUEST, headers=headers)
            r = client.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            failures.append("call %d: %s" % (i, e))
            client.close()
            continue
        ms = (time.perf_counter() - t0) * 1000
        if r.status != 200:
            failures.append("call %d: %d %s" % (i, r.status, data[:200]))
            continue
        samples.append((int(r.getheader("X-OmniRoute-Proxy-Attempts") or 0),
                        r.getheader("X-OmniRoute-Proxy-Id"), ms))
    client.close()
    return samples, failures, refusals, not_refused


def paired_added(samples):
    """Each Attempts-2 call's latency minus the nearest Attempts-1 call's
    before it, and minus the nearest one's after it: two differences of
    single calls (an average of the neighbours would take a slow outlier in
    more often than a single call does, and bias the median down)."""
    added = []
    for i, (attempts, _pid, ms) in enumerate(samples):
        if attempts != 2:
            continue
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(samples) and samples[j][0] != 1:
                j += step
            if 0 <= j < len(samples):
                added.append(ms - samples[j][2])
    return added


def trimmed_mean(xs, cut=0.05):
    xs = sorted(xs)
    k = int(len(xs) * cut)
    xs = xs[k:len(xs) - k] or xs
    return sum(xs) / len(xs) if xs else float("nan")


STATS = [("p25", lambda xs: quantile(xs, 0.25)), ("median", median),
         ("p75", lambda xs: quantile(xs, 0.75)), ("p90", lambda xs: quantile(xs, 0.9)),
         ("mean*", trimmed_mean)]


def stats_row(label, n, values):
    print("  %-42s %6s %s" % (label, n, " ".join("%8.3f" % v for v in values)))


def report_failover(title, pool_desc, cooldown, samples, failures, refusals, not_refused,
                    calls, names):
    by, per_member = {}, {}
    for attempts, pid, ms in samples:
        by.setdefault(attempts, []).append(ms)
        per_member.setdefault("%s/%d" % (names.get(pid, "?"), attempts), []).append(ms)
    print("\n%s\n  pool %s, round-robin, pool_cooldown_ms=%s; after 9 warm-up calls "
          "%d calls asked, %d answered 200, failed calls: %d" % (
              title, pool_desc, cooldown, calls, len(samples), len(failures)))
    for f in failures[:5]:
        print("    failed: %s" % f)
    print("  first 12 calls (member/attempts): %s" % " ".join(
        "%s/%d" % (names.get(pid, "?"), attempts) for attempts, pid, _ms in samples[:12]))
    print("  calls per member/attempts (median ms): %s" % ", ".join(
        "%s: %d (%.3f)" % (k, len(v), median(v)) for k, v in sorted(per_member.items())))
    print("  %-42s %6s %s" % ("ms", "n", " ".join("%8s" % name for name, _f in STATS)))
    for attempts in sorted(by):
        stats_row("X-OmniRoute-Proxy-Attempts %d" % attempts, len(by[attempts]),
                  [f(by[attempts]) for _name, f in STATS])
    if 1 in by and 2 in by:
        stats_row("Attempts 2 - Attempts 1 (each statistic)", "",
                  [f(by[2]) - f(by[1]) for _name, f in STATS])
        added = paired_added(samples)
        stats_row("paired: Attempts 2 - its Attempts 1 neighbours", len(added),
                  [f(added) for _name, f in STATS])
    stats_row("connect() refused by %s, from Python" % DEAD, len(refusals),
              [f(refusals) for _name, f in STATS])
    print("  (mean*: 5 % trimmed at each end)")
    if not_refused:
        print("  note: %d connect()s to the dead address were NOT refused (something "
              "listened there, or nothing answered)" % not_refused)
    if 1 in by and 2 in by and refusals:
        print("  added - refusal median, figure to reach <= 1 ms: by median %.3f ms, by "
              "mean* %.3f ms, by p90 %.3f ms" % tuple(
                  f(by[2]) - f(by[1]) - median(refusals)
                  for f in (median, trimmed_mean, lambda xs: quantile(xs, 0.9))))


def header(a):
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rev = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(a.omnirouted)),
                          "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or "?"
    print("pool benchmark: %s" % " ".join([os.path.basename(sys.executable)] + sys.argv))
    print("machine: %s, %s %s, %d CPUs (%s), load average %s; omnirouted %s (git %s); "
          "%s UTC" % (platform.node(), platform.system(), platform.release(),
                      os.cpu_count() or 0, cpu,
                      " ".join(open("/proc/loadavg").read().split()[:3]),
                      a.omnirouted, rev, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--omnirouted", default=os.path.join(os.getcwd(), "omnirouted"))
    ap.add_argument("--omnirctl", default=os.path.join(os.getcwd(), "omnirctl"))
    ap.add_argument("--calls", type=int, default=300, help="calls per failover run")
    ap.add_argument("--seconds", type=int, default=2, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    for tool in ("wrk", "nginx", "microsocks"):
        if shutil.which(tool) is None:
            sys.exit("pool_bench: %s is not installed (apt-get install wrk nginx-light "
                     "microsocks)" % tool)
    header(a)
    work = tempfile.mkdtemp(prefix="omni-poolbench-")
    procs, peers = [], []
    try:
        ca = env.TestCA(os.path.join(work, "ca"))
        prov_port = fast_provider(work, ca, procs, ["127.0.0.1"])
        peers += [env.microsocks(work, address=addr) for addr in LIVE]
        dead_port = env.free_port_on([DEAD])
        daemons = []
        no_cooldown = {"OMNIROUTE_POOL_COOLDOWN_MS": "0"}
        for name, extra in (("new tunnel per call (default)", no_cooldown),
                            ("proxied connections kept (pool_proxied_idle_ms=5000)",
                             dict(no_cooldown, OMNIROUTE_POOL_PROXIED_IDLE_MS="5000")),
                            ("default cool-down, new tunnel per call", {})):
            port = env.free_port()
            proc, ctl = start_omniroute(a, work, "data-%d" % len(daemons), port, ca,
                                        prov_port, extra)
            procs.append(proc)
            # the stand-in's certificate names 127.0.0.1: the tunnels dial it, not ::1
            ctl("provider", "update", "openai", "--base-url",
                "https://127.0.0.1:%d/v1" % prov_port)
            ids = {addr: ctl("proxy", "add", "--name", "ms-" + addr, "--type", "socks5",
                             "--host", addr, "--port", str(peer.port))["id"]
                   for addr, peer in zip(LIVE, peers)}
            ids[DEAD] = ctl("proxy", "add", "--name", "dead", "--type", "socks5", "--host",
                            DEAD, "--port", str(dead_port))["id"]
            daemons.append((name, port, proc, ctl, ids,
                            extra.get("OMNIROUTE_POOL_COOLDOWN_MS", "30000 (default)")))

        # 1. failover with one member of three dead
        script = post_script(work)
        pool_desc = "[dead %s:%d, live %s, live %s]" % (DEAD, dead_port, LIVE[0], LIVE[1])
        for name, port, _proc, ctl, ids, cooldown in daemons:
            ctl("assign", "set", "global", ids[DEAD])
            for addr in LIVE[:2]:
                ctl("pool", "add", "global", ids[addr])
            failover_run(port, dead_port, 9)       # warm-up: TLS sessions, tunnels
            samples, failures, refusals, not_refused = failover_run(port, dead_port, a.calls)
            report_failover("1. failover, " + name, pool_desc, cooldown, samples, failures,
                            refusals, not_refused, a.calls, {v: k for k, v in ids.items()})
            res = wrk("http://127.0.0.1:%d%s" % (port, CHAT), 32, a.seconds, script)
            print("  under load, wrk -c32 for %d s: %d calls (%.0f/s), non-2xx %d, socket "
                  "errors %d" % (a.seconds, res["total"], res["rps"], res["non2xx"],
                                 res["socket_errors"]))

        # 2. throughput: a pool of three pooled tunnels vs one pooled tunnel
        _name, port, proc, ctl, ids, _cooldown = daemons[1]
        # two more records of the first microsocks: a pool of three that
        # rotates over three tunnel sets and choices but one proxy process
        twins = [ctl("proxy", "add", "--name", "ms-%s-%s" % (LIVE[0], t), "--type", "socks5",
                     "--host", LIVE[0], "--port", str(peers[0].port))["id"] for t in "bc"]
        names = {v: k for k, v in ids.items()}
        names.update({t: "%s(%s)" % (LIVE[0], n) for t, n in zip(twins, "bc")})
        url = "http://127.0.0.1:%d%s" % (port, CHAT)
        omni_pids, socks_pids = tree(proc.pid), [p.proc.pid for p in peers]

        def assigner(members):
            def assign():
                ctl("assign", "set", "global", members[0])
                for m in members[1:]:
                    ctl("pool", "add", "global", m)
            return assign
        targets = [
            ("single pooled tunnel", assigner([ids[LIVE[0]]])),
            ("pool of 3, three microsocks", assigner([ids[addr] for addr in LIVE])),
            ("pool of 3, one microsocks", assigner([ids[LIVE[0]]] + twins)),
        ]
        seen = {}
        for tname, assign in targets:       # which members carry calls, for the record
            assign()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(6):
                c.request("POST", CHAT, body=REQUEST,
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                body = r.read()
                seen.setdefault(tname, []).append("%s/%s%s" % (
                    names.get(r.getheader("X-OmniRoute-Proxy-Id"), "?"),
                    r.getheader("X-OmniRoute-Proxy-Attempts"),
                    "" if r.status == 200 and b"Hello from the bench." in body else " (!)"))
            c.close()
        runs = {}
        for rnd in range(a.rounds):
            # the order turns round every other round, so a drift hits all alike
            for tname, assign in (targets if rnd % 2 == 0 else targets[::-1]):
                assign()
                # unmeasured: the tunnels the run will keep (the last target's
                # have been idle for longer than 5 s), then 32 before 1
                # connection so that none of them times out in between
                wrk(url, 32, 1, script)
                for conns in (32, 1):
                    before = (cpu_seconds(omni_pids), cpu_seconds(socks_pids))
                    res = wrk(url, conns, a.seconds, script)
                    n = max(res["total"], 1)
                    res.update(name=tname, conns=conns,
                               omni_ms=(cpu_seconds(omni_pids) - before[0]) * 1000 / n,
                               socks_ms=(cpu_seconds(socks_pids) - before[1]) * 1000 / n)
                    runs.setdefault((tname, conns), []).append(res)
        print("\n2. relay throughput, one omnirouted (2 workers, pool_proxied_idle_ms=5000), "
              "round-robin, wrk %d s per run, %d rounds, median round shown; CPU per call: "
              "omnirouted (master + workers) and the microsocks" % (a.seconds, a.rounds))
        for tname, _assign in targets:
            print("  first 6 calls, %s: %s" % (tname, " ".join(seen[tname])))
        print("  %-28s %5s %9s %8s %8s %9s %9s %7s" % (
            "target", "conns", "req/s", "p50 ms", "p99 ms", "omni CPU", "socks CPU",
            "failed"))          # failed: non-2xx and socket errors, all rounds
        for tname, _assign in targets:
            for conns in (1, 32):
                rounds = sorted(runs[(tname, conns)], key=lambda r: r["rps"])
                r = rounds[len(rounds) // 2]
                print("  %-28s %5d %9.0f %8.3f %8.3f %9.4f %9.4f %7d" % (
                    tname, conns, r["rps"], r["p50"], r["p99"], r["omni_ms"], r["socks_ms"],
                    sum(x["non2xx"] + x["socket_errors"] for x in rounds)))
        base = targets[0][0]
        for tname, _assign in targets[1:]:
            for conns in (1, 32):
                pairs = list(zip(runs[(tname, conns)], runs[(base, conns)]))
                ratios = [p["rps"] / s["rps"] for p, s in pairs]
                cpu = [(p["omni_ms"] + p["socks_ms"]) / (s["omni_ms"] + s["socks_ms"])
                       for p, s in pairs]
                print("  %s / single at %2d conns: req/s %.3f (rounds: %s), CPU per call "
                      "%.3f (figure to reach: req/s within 5 %%)" % (
                          tname, conns, median(ratios), " ".join("%.3f" % x for x in ratios),
                          median(cpu)))
    finally:
        stop_processes(procs)
        for peer in peers:
            peer.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
