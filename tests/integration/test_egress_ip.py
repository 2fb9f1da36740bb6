"""The egress IP of a proxy (API.md "Egress IP", issue 11): `omnirctl proxy
egress ID` and `POST /api/v1/management/proxies/egress` (and its dashboard
twin) fetch egress_check_url through the proxy and store the address the
echo service saw as egressIp / egressCheckedAt on the proxy record.

The echo service is a stand-in on 127.0.0.1 that answers the peer address
it sees, as JSON {"ip"} or as plain text. It is reached through real
proxies (microsocks, tinyproxy) whose outgoing side is bound to their own
loopback addresses (127.0.0.5, 127.0.0.6, ...), so the address it answers
is the proxy's and no other. The check URL is always the stand-in's, set
in the daemon's environment (OMNIROUTE_EGRESS_CHECK_URL) or given as
--url / "url": no test ever reaches the default internet URL.

Covered: SOCKS5 and HTTP proxies, JSON and text answers, an inactive proxy,
the value on proxy get, proxy list and the backup, across a restart;
failures (a dead proxy, an answer naming no IP, a name instead of an IP, an
HTTP error) reply success false with the stage, exit 1 in omnirctl, and
leave the stored value as it was; an unknown proxy is 404; SOCKS5 disabled
is refused; a bad check URL is refused in the config and as an argument."""

import http.server
import json
import os
import subprocess
import threading

import pytest

import egress_env as env
from conftest import OMNIROUTED, new_proxy

SOCKS_EXIT = "127.0.0.5"
HTTP_EXIT = "127.0.0.6"


class _EchoHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        peer = self.client_address[0]
        self.server.peers.append(peer)
        status, ctype = 200, "application/json"
        if self.path.startswith("/json"):
            body = json.dumps({"ip": peer, "country": "ZZ"})
        elif self.path.startswith("/text"):
            body, ctype = " %s\r\n" % peer, "text/plain"
        elif self.path.startswith("/name"):
            body = json.dumps({"ip": "exit.example"})
        elif self.path.startswith("/error"):
            status, body = 500, json.dumps({"ip": peer})
        else:
            body, ctype = "<html><body>your address: %s</body></html>" % peer, "text/html"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class EchoStandIn:
    """An HTTP server on 127.0.0.1 answering the address each caller came from."""

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        self.httpd.daemon_threads = True
        self.httpd.peers = []
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path="/json"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    @property
    def peers(self):
        return self.httpd.peers

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def echo():
    e = EchoStandIn()
    yield e
    e.stop()


def make_daemon(daemon_factory, echo, **extra):
    environment = {"OMNIROUTE_EGRESS_CHECK_URL": echo.url("/json"),
                   "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
                   "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "3000"}
    environment.update(extra)
    return daemon_factory(env=environment)


@pytest.fixture
def d(daemon_factory, echo):
    return make_daemon(daemon_factory, echo).start()


def socks_exit(d, peers, address=SOCKS_EXIT, **fields):
    ms = peers(env.microsocks, address=address)
    return new_proxy(d, type="socks5", host=address, port=ms.port, **fields), ms


def http_exit(d, peers, address=HTTP_EXIT, **fields):
    tp = peers(env.tinyproxy, address=address)
    return new_proxy(d, type="http", host=address, port=tp.port, **fields), tp


def egress_ctl(d, proxy, *extra):
    """omnirctl proxy egress: the JSON answer (exit 0 on success, 1 on failure)."""
    return d.probe_json("proxy", "egress", proxy, *extra)


def egress_http(d, body, path="/api/v1/management/proxies/egress"):
    return d.http("POST", path, body)


def record(d, proxy_id):
    status, rec = d.http("GET", "/api/v1/management/proxies?id=%s" % proxy_id)
    assert status == 200, rec
    return rec


def listed(d, proxy_id):
    status, page = d.http("GET", "/api/v1/management/proxies?limit=200")
    assert status == 200, page
    return next(p for p in page["items"] if p["id"] == proxy_id)


# ---- success -----------------------------------------------------------------

def test_egress_ip_through_socks5_and_http_proxies(d, peers, echo):
    socks, _ = socks_exit(d, peers)
    http_proxy, _ = http_exit(d, peers)
    unchecked = new_proxy(d)
    # null on every record until checked
    for p in (socks, http_proxy, unchecked):
        assert p["egressIp"] is None and p["egressCheckedAt"] is None, p

    before = len(echo.peers)
    res = egress_ctl(d, socks["id"])
    assert res["success"] is True, res
    assert res["id"] == socks["id"] and res["egressIp"] == SOCKS_EXIT, res
    assert res["egressCheckedAt"] and res["latencyMs"] >= 0
    assert res["proxyUrl"] == "socks5://%s:%d" % (SOCKS_EXIT, socks["port"])
    assert echo.peers[before:] == [SOCKS_EXIT]

    status, res = egress_http(d, {"id": http_proxy["id"]})
    assert status == 200 and res["success"] is True, res
    assert res["egressIp"] == HTTP_EXIT, res
    assert res["proxyUrl"] == "http://%s:%d" % (HTTP_EXIT, http_proxy["port"])

    # stored: proxy get, proxy list (HTTP and omnirctl), and the backup
    got = record(d, socks["id"])
    assert got["egressIp"] == SOCKS_EXIT and got["egressCheckedAt"] is not None
    assert listed(d, http_proxy["id"])["egressIp"] == HTTP_EXIT
    assert listed(d, unchecked["id"])["egressIp"] is None
    items = {p["id"]: p for p in d.ctl_json("proxy", "list")["items"]}
    assert items[socks["id"]]["egressIp"] == SOCKS_EXIT
    assert d.ctl_json("proxy", "get", socks["name"])["egressIp"] == SOCKS_EXIT
    rc, out, err = d.ctl("proxy", "list")
    assert rc == 0 and "EGRESS_IP" in out.splitlines()[0], (out, err)
    row = next(line for line in out.splitlines() if socks["id"] in line)
    assert row.split()[-1] == SOCKS_EXIT, out
    status, doc = d.http("GET", "/api/settings/backup")
    assert status == 200
    assert {p["id"]: p["egressIp"] for p in doc["proxies"]}[http_proxy["id"]] == HTTP_EXIT
    # a check is not a change of the record
    assert got["updatedAt"] == socks["updatedAt"]


def test_plain_text_answer_by_name_and_dashboard_route(d, peers, echo):
    socks, _ = socks_exit(d, peers, address="127.0.0.7", name="Text Exit")
    res = egress_ctl(d, "Text Exit", "--url", echo.url("/text"))
    assert res["success"] is True and res["egressIp"] == "127.0.0.7", res

    http_proxy, _ = http_exit(d, peers, address="127.0.0.8")
    status, res = egress_http(d, {"id": http_proxy["id"], "url": echo.url("/text"),
                                  "timeoutMs": 5000},
                              path="/api/settings/proxies/egress")
    assert status == 200 and res["success"] is True, res
    assert res["egressIp"] == "127.0.0.8"
    assert record(d, http_proxy["id"])["egressIp"] == "127.0.0.8"


def test_inactive_proxy_is_checked_too(d, peers):
    socks, _ = socks_exit(d, peers, address="127.0.0.9", status="inactive")
    res = egress_ctl(d, socks["id"])
    assert res["success"] is True and res["egressIp"] == "127.0.0.9", res


def test_a_new_check_replaces_the_value(d, peers, echo):
    """The proxy's exit moves (its server now leaves from another address):
    the next check stores the new address and a later time."""
    socks, ms = socks_exit(d, peers, address="127.0.0.10")
    first = egress_ctl(d, socks["id"])
    assert first["egressIp"] == "127.0.0.10"
    ms.stop()
    moved = peers(env.microsocks, address="127.0.0.11")
    status, _ = d.http("PATCH", "/api/v1/management/proxies",
                       {"id": socks["id"], "host": "127.0.0.11", "port": moved.port})
    assert status == 200
    second = egress_ctl(d, socks["id"])
    assert second["egressIp"] == "127.0.0.11"
    assert second["egressCheckedAt"] >= first["egressCheckedAt"]
    assert record(d, socks["id"])["egressIp"] == "127.0.0.11"


def test_stored_value_survives_a_restart(daemon_factory, peers, echo):
    d = make_daemon(daemon_factory, echo).start()
    socks, _ = socks_exit(d, peers, address="127.0.0.12")
    res = egress_ctl(d, socks["id"])
    assert res["success"] is True
    d.stop()
    # the same daemon and data directory, with SOCKS5 now switched off
    d.env["ENABLE_SOCKS5_PROXY"] = "false"
    again = d.start()
    got = record(again, socks["id"])
    assert got["egressIp"] == "127.0.0.12"
    assert got["egressCheckedAt"] == res["egressCheckedAt"]
    # a SOCKS5 proxy is refused while SOCKS5 is disabled, as proxy test is
    status, body = egress_http(again, {"id": socks["id"]})
    assert status == 400 and "SOCKS5" in body["error"]["message"], body
    assert record(again, socks["id"])["egressIp"] == "127.0.0.12"


# ---- failures ------------------------------------------------------------------

def test_dead_proxy_fails_and_keeps_the_previous_value(d, peers):
    socks, ms = socks_exit(d, peers, address="127.0.0.13")
    ok = egress_ctl(d, socks["id"])
    assert ok["egressIp"] == "127.0.0.13"
    ms.stop()
    res = egress_ctl(d, socks["id"])
    assert res["success"] is False and res["stage"] == "connect", res
    assert res["error"] and res["latencyMs"] >= 0
    assert "egressIp" not in res
    status, res = egress_http(d, {"id": socks["id"]})
    assert status == 200 and res["success"] is False and res["stage"] == "connect", res
    got = record(d, socks["id"])
    assert got["egressIp"] == "127.0.0.13"
    assert got["egressCheckedAt"] == ok["egressCheckedAt"]


@pytest.mark.parametrize("path,words", [
    ("/garbage", "not an IP address"),
    ("/name", "not an IP address"),
    ("/error", "answered HTTP 500"),
])
def test_an_answer_without_an_ip_is_a_failure(d, peers, echo, path, words):
    socks, _ = socks_exit(d, peers, address="127.0.0.14")
    res = egress_ctl(d, socks["id"], "--url", echo.url(path))
    assert res["success"] is False and res["stage"] == "response", res
    assert words in res["error"], res
    got = record(d, socks["id"])
    assert got["egressIp"] is None and got["egressCheckedAt"] is None
    # and a value stored before stays
    assert egress_ctl(d, socks["id"])["egressIp"] == "127.0.0.14"
    status, res = egress_http(d, {"id": socks["id"], "url": echo.url(path)})
    assert status == 200 and res["success"] is False, res
    assert record(d, socks["id"])["egressIp"] == "127.0.0.14"


def test_unknown_proxy_and_bad_arguments(d):
    status, body = egress_http(d, {"id": "no-such-proxy"})
    assert status == 404, body
    rc, out, err = d.ctl("proxy", "egress", "no-such-proxy")
    assert rc == 1 and "not found" in (out + err).lower(), (out, err)
    status, body = egress_http(d, {})
    assert status == 400, body
    p = new_proxy(d)
    status, body = egress_http(d, {"id": p["id"], "url": "ftp://127.0.0.1/"})
    assert status == 400 and "url" in json.dumps(body), body
    status, body = egress_http(d, {"id": p["id"], "timeoutMs": 5})
    assert status == 400, body


# ---- configuration -----------------------------------------------------------------

def check_config(tmp_path, env_extra, text=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OMNIROUTE_")}
    environment.update(env_extra)
    argv = [OMNIROUTED, "-n", "-D", str(tmp_path / "never")]
    if text is not None:
        conf = tmp_path / "egress.conf"
        conf.write_text(text)
        argv += ["-c", str(conf)]
    return subprocess.run(argv, capture_output=True, text=True, env=environment, timeout=30)


def test_check_url_in_the_configuration(tmp_path):
    p = check_config(tmp_path, {}, "egress_check_url = http://127.0.0.1:9/ip\n")
    assert p.returncode == 0 and "configuration OK" in p.stdout, p.stderr
    p = check_config(tmp_path, {}, "egress_check_url = not a url\n")
    assert p.returncode == 1 and "egress_check_url" in p.stderr, p.stderr
    p = check_config(tmp_path, {"OMNIROUTE_EGRESS_CHECK_URL": "ftp://127.0.0.1/"})
    assert p.returncode == 1 and "egress_check_url" in p.stderr, p.stderr
