#!/usr/bin/env python3
"""tests/bench/dashboard_bench.py — the dashboard's Proxies page with 5 000
proxies in the registry (issue 12: "loads in one list request per page and
renders in under 200 ms in Chromium on this machine"), measured in headless
Chromium with the browser's own performance timing. Not part of the test
suite: it reports, it does not judge (the target is printed beside the
figures).

Setup: one omnirouted (2 workers) on 127.0.0.1; --proxies proxies (default
5 000) bulk-imported in batches of 1 000 (hosts on 127.x.y.z, a region on
every third, notes on every fifth); every tenth proxy assigned to an account
(so Usage has something to count) and outcome rows written for every other
proxy over the last hours (so Health has figures: the page's health query
reads real rows).

Each round loads #/proxies in a fresh navigation — the first page, a middle
page, the last page and a search (q=) in turn — and reads, when the table is
in the DOM:
  - list request: the PerformanceResourceTiming of the one list request
    (startTime to responseEnd: the request, the daemon's work, the transfer);
  - render: proxies.js's measure "proxies-list-render" (building the rows,
    inserting the table and the style/layout it forces);
  - total: proxies.js's measure "proxies-list-total" (from before the list
    request to the table laid out);
  - navigation → table: the "proxies-list-rendered" mark's time since the
    navigation started (HTML, CSS, modules, the request, the render);
  - API requests per page load (resource entries under /api/).
Then --rounds "Next page" clicks in the loaded page (one list request each,
no navigation) are timed the same way. Also, from Python, the list request
with and without include=health,usage (the daemon's share).

Usage: tests/bench/dashboard_bench.py [--omnirouted PATH] [--proxies N]
           [--rounds N]
"""

import argparse
import datetime
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import browser                                                        # noqa: E402
import egress_env as env                                              # noqa: E402
from relay_bench import stop_processes                                # noqa: E402

TARGET_RENDER_MS = 200
PAGE_SIZE = 50


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))] if xs else float("nan")


def call(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def fill_registry(port, datadir, n):
    """n proxies by bulk import; assignments and outcome rows for some."""
    for start in range(0, n, 1000):
        items = []
        for i in range(start, min(n, start + 1000)):
            item = {"name": "bench-%05d" % i, "type": ("http", "socks5", "https")[i % 3],
                    "host": "127.%d.%d.%d" % (1 + i // 65025, (i // 255) % 255, 1 + i % 255),
                    "port": 1024 + i % 50000}
            if i % 3 == 0:
                item["region"] = ("eu-west", "us-east", "ap-south")[i % 9 // 3]
            if i % 5 == 0:
                item["notes"] = "bench proxy %d, rented monthly" % i
            items.append(item)
        res = call(port, "POST", "/api/settings/proxies/bulk-import", {"items": items})
        assert res["failed"] == 0, res["results"][:3]
    ids = [p["id"] for p in call(port, "GET", "/api/settings/proxies")["items"]]
    assert len(ids) == n, len(ids)
    for k, pid in enumerate(ids[::10]):
        call(port, "PUT", "/api/v1/management/proxies/assignments",
             {"scope": "account", "scopeId": "bench-acct-%d" % k, "proxyId": pid})
    # outcomes: 3 rows for every other proxy over the last hours
    db = sqlite3.connect(os.path.join(datadir, "omniroute.db"), timeout=30)
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for k, pid in enumerate(ids[::2]):
        for j, status in enumerate(("success", "success", "error")):
            at = (now - datetime.timedelta(minutes=5 + 37 * j + k % 60)).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z")
            rows.append(("b%d-%d" % (k, j), at, status, pid, 80 + (k * 7 + j * 13) % 300,
                         1 + (k + j) % 4))
    db.executemany("INSERT INTO proxy_logs (id, timestamp, status, proxy_id, latency_ms, calls) "
                   "VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    return ids


READ_TIMING = """
const total = performance.getEntriesByName("proxies-list-total").pop();
if (!total) return null;
const rendered = performance.getEntriesByName("proxies-list-rendered").pop();
const api = performance.getEntriesByType("resource").filter(e => e.name.includes("/api/"));
const list = api.filter(e => e.name.includes("/api/v1/management/proxies?")).pop();
return {
  total: total.duration,
  render: performance.getEntriesByName("proxies-list-render").pop().duration,
  fetch: performance.getEntriesByName("proxies-list-fetch").pop().duration,
  list: list ? list.responseEnd - list.startTime : null,
  listBytes: list ? list.encodedBodySize : null,
  navToTable: rendered.startTime,
  apiRequests: api.length,
  listRequests: api.filter(e => e.name.includes("/api/v1/management/proxies?")).length,
  rows: document.querySelectorAll("#proxies-list tbody tr").length,
};
"""


def wait_timing(driver, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        t = driver.execute_script(READ_TIMING)
        if t is not None:
            return t
        time.sleep(0.01)
    raise RuntimeError("the page did not draw its table in %d s" % timeout)


def report(title, samples):
    print("\n%s (%d samples)" % (title, len(samples)))
    print("  %-34s %9s %9s %9s %9s" % ("", "median", "p90", "min", "max"))
    for key, label in (("list", "list request (resource timing)"),
                       ("fetch", "fetch measure (request + JSON)"),
                       ("render", "render (rows + insert + layout)"),
                       ("total", "total (request to table laid out)"),
                       ("navToTable", "navigation start to table")):
        xs = [s[key] for s in samples if s.get(key) is not None]
        if xs:
            print("  %-34s %7.1fms %7.1fms %7.1fms %7.1fms" % (
                label, quantile(xs, .5), quantile(xs, .9), min(xs), max(xs)))
    per_page = sorted({(s["apiRequests"], s["listRequests"]) for s in samples if "apiRequests" in s})
    if per_page:
        print("  API requests per page load: %s (list requests: %s)" % (
            ", ".join(str(a) for a, _ in per_page), ", ".join(str(b) for _, b in per_page)))
    rows = sorted({s["rows"] for s in samples})
    print("  table rows drawn: %s; list response %s bytes" % (
        ", ".join(map(str, rows)), sorted({s["listBytes"] for s in samples})[-1]))


def python_list_times(port, query, n=20):
    xs = []
    for _ in range(n):
        t0 = time.perf_counter()
        call(port, "GET", "/api/v1/management/proxies?" + query)
        xs.append((time.perf_counter() - t0) * 1000)
    return quantile(xs, .5), quantile(xs, .9)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--omnirouted", default=os.path.join(os.getcwd(), "omnirouted"))
    ap.add_argument("--proxies", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    why = browser.available()
    if why:
        sys.exit("dashboard_bench: " + why)
    work = tempfile.mkdtemp(prefix="omni-dash-bench-")
    data = os.path.join(work, "data")
    port = env.free_port()
    procs = []
    chromium = None
    try:
        proc = subprocess.Popen([a.omnirouted, "-D", data, "-l", "127.0.0.1:%d" % port, "-w", "2"],
                                env=dict(os.environ, OMNIROUTE_LOG_LEVEL="warn"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        env.wait_port(port, proc, what="omnirouted")
        time.sleep(0.3)
        t0 = time.time()
        fill_registry(port, data, a.proxies)
        print("dashboard_bench: %d proxies imported and assigned/logged in %.1f s" % (
            a.proxies, time.time() - t0))
        print("machine: %s, %d CPUs; %s" % (platform.machine(), os.cpu_count(),
                                             subprocess.run(["/usr/bin/chromium", "--version"],
                                                            capture_output=True,
                                                            text=True).stdout.strip()))
        last = (a.proxies - 1) // PAGE_SIZE * PAGE_SIZE
        views = ["", "?offset=%d" % (last // 2 // PAGE_SIZE * PAGE_SIZE), "?offset=%d" % last,
                 "?q=eu-west"]
        chromium = browser.Browser()
        origin = "http://127.0.0.1:%d" % port
        # one unmeasured load: Chromium's caches and the daemon's warm
        chromium.driver.get(origin + "/dashboard#/proxies")
        wait_timing(chromium.driver)
        loads = []
        for r in range(a.rounds):
            chromium.driver.get("about:blank")
            chromium.driver.get(origin + "/dashboard#/proxies" + views[r % len(views)])
            loads.append(wait_timing(chromium.driver))
        report("Page loads of #/proxies (first, middle, last page, a search, in turn)", loads)

        from selenium.webdriver.common.by import By
        chromium.driver.get("about:blank")
        chromium.driver.get(origin + "/dashboard#/proxies")
        wait_timing(chromium.driver)
        clicks = []
        for r in range(a.rounds):
            before = chromium.driver.execute_script(
                "return performance.getEntriesByName('proxies-list-rendered').pop().startTime")
            chromium.driver.find_element(By.XPATH, "//button[text()='Next page']").click()
            deadline = time.time() + 30
            while True:
                t = chromium.driver.execute_script(READ_TIMING)
                if t is not None and t["navToTable"] != before:
                    break
                if time.time() > deadline:
                    raise RuntimeError("next page did not draw")
                time.sleep(0.01)
            del t["navToTable"]
            del t["apiRequests"]
            clicks.append(t)
        report("Next page clicks in the loaded page (no navigation)", clicks)
        errors = chromium.errors()
        if errors:
            print("browser console errors: %s" % errors)

        print("\nThe list request from Python (%d proxies, 50 a page): median / p90" % a.proxies)
        for label, query in (("plain (?limit=50&offset=0)", "limit=50&offset=0"),
                             ("with include=health,usage", "limit=50&offset=0&include=health,usage"),
                             ("include + q=eu-west (a search)",
                              "limit=50&offset=0&include=health,usage&q=eu-west"),
                             ("include, last page", "limit=50&offset=%d&include=health,usage" % last)):
            m, p = python_list_times(port, query)
            print("  %-34s %6.1f ms / %6.1f ms" % (label, m, p))
        render = quantile([s["render"] for s in loads], .5)
        print("\ntarget: render < %d ms — median render %.1f ms: %s" % (
            TARGET_RENDER_MS, render, "met" if render < TARGET_RENDER_MS else "NOT met"))
    finally:
        if chromium is not None:
            chromium.quit()
        stop_processes(procs)


if __name__ == "__main__":
    main()
