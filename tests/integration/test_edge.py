"""Browsers and local users at the HTTP edge, against the real daemon: a
DNS-rebinding Host is 403 on /api and /v1 (nothing changes, the provider
sees nothing) while /healthz still answers; loopback literals, localhost and
allowed_hosts names pass; a cross-site Origin (null included) is 403 on /api
and /v1 and changes nothing; /api bodies must be application/json (415);
CORS headers (and preflights) only for allowed_origins, never the
provider's; OPTIONS * answers with Allow; two Authorization headers are
400; backups with secrets only with the management key. Requests are
written byte for byte where the exact headers matter."""

import json
import sqlite3

import pytest

from conftest import new_proxy
from test_daemon import check_config, write
from test_lifecycle import reload_ok
from test_relay import CHAT, provider, relay_daemon  # noqa: F401 (fixture)

V1 = "/api/v1/management/proxies"
API_KEY = "edge-test-management-key"
CHAT_BODY = json.dumps({"model": "openai/gpt-4o-mini",
                        "messages": [{"role": "user", "content": "hi"}]}).encode()
PROXY_BODY = json.dumps({"name": "edge", "host": "127.0.0.9", "port": 3128}).encode()


class Answer:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines[0] else 0
        self.headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def one(self, name):
        got = self.all(name)
        assert len(got) == 1, (name, self.headers)
        return got[0]

    def cors(self):
        return [(k, v) for k, v in self.headers if k.lower().startswith("access-control-")]

    def json(self):
        return json.loads(self.body)


def send(d, method, path, headers, body=b""):
    """One request written exactly as given (headers: (name, value) pairs, in
    order; a Content-Length is added for a body), on its own connection."""
    head = "%s %s HTTP/1.1\r\n" % (method, path)
    head += "".join("%s: %s\r\n" % h for h in headers)
    if body:
        head += "Content-Length: %d\r\n" % len(body)
    head += "Connection: close\r\n\r\n"
    return Answer(d.raw(head.encode("latin-1") + body, timeout=20))


def host(d, name="127.0.0.1"):
    return ("Host", "%s:%d" % (name, d.port))


def db_dump(d):
    with sqlite3.connect(d.datadir + "/omniroute.db") as db:
        return list(db.iterdump())


def assert_forbidden(a, *words):
    assert a.status == 403, (a.status, a.body)
    err = a.json()["error"]
    assert err["type"] == "forbidden"
    for w in words:
        assert w in err["message"], err
    assert a.cors() == []


@pytest.fixture
def d(daemon_factory, ca, provider):  # noqa: F811
    return relay_daemon(daemon_factory, ca, provider)


# ---- Host: DNS rebinding ----------------------------------------------------------

def test_rebinding_host_is_403_on_api_and_v1_and_changes_nothing(d, provider):
    before = db_dump(d)
    evil = ("Host", "evil.test:%d" % d.port)
    json_type = ("Content-Type", "application/json")
    a = send(d, "POST", V1, [evil, json_type], PROXY_BODY)
    assert_forbidden(a, "allowed_hosts")
    a = send(d, "PUT", V1 + "/assignments", [evil, json_type],
             json.dumps({"scope": "global", "proxyId": "direct"}).encode())
    assert_forbidden(a, "allowed_hosts")
    assert_forbidden(send(d, "GET", "/api/settings/backup", [evil]), "allowed_hosts")
    assert_forbidden(send(d, "POST", CHAT, [evil, json_type,
                                            ("Authorization", "Bearer x")], CHAT_BODY))
    assert_forbidden(send(d, "GET", "/v1/models", [evil]))
    assert_forbidden(send(d, "GET", "/", [evil]))
    assert db_dump(d) == before
    assert len(provider.requests) == 0
    # /healthz answers whatever the name
    a = send(d, "GET", "/healthz", [evil])
    assert a.status == 200 and a.json()["status"] == "ok"


@pytest.mark.parametrize("name", ["localhost", "LOCALHOST", "127.0.0.1", "127.0.0.2",
                                  "[::1]"])
def test_loopback_names_pass(d, provider, name):
    a = send(d, "GET", V1, [host(d, name)])
    assert a.status == 200 and a.json()["page"]["total"] == 0
    a = send(d, "POST", CHAT, [host(d, name), ("Content-Type", "application/json")],
             CHAT_BODY)
    assert a.status == 200, a.body
    assert len(provider.requests) == 1


def test_http10_without_host_passes(d):
    a = Answer(d.raw(b"GET " + V1.encode() + b" HTTP/1.0\r\n\r\n"))
    assert a.status == 200


def test_allowed_hosts_name_passes(daemon_factory):
    dd = daemon_factory(env={"OMNIROUTE_ALLOWED_HOSTS": "omniroute.test, other.test"}).start()
    assert send(dd, "GET", V1, [host(dd, "omniroute.test")]).status == 200
    assert send(dd, "GET", V1, [("Host", "Other.Test")]).status == 200
    assert_forbidden(send(dd, "GET", V1, [host(dd, "omniroute.test.evil.test")]),
                     "allowed_hosts")


# ---- Origin: cross-site -----------------------------------------------------------

@pytest.mark.parametrize("origin", ["http://evil.test", "null", "https://127.0.0.1:{port}",
                                    "http://localhost:{port}", "http://127.0.0.1:{port}/x",
                                    "http://127.0.0.1"])
def test_cross_site_origin_is_403_and_changes_nothing(d, provider, origin):
    origin = origin.format(port=d.port)
    before = db_dump(d)
    hdrs = [host(d), ("Origin", origin), ("Content-Type", "application/json")]
    assert_forbidden(send(d, "POST", V1, hdrs, PROXY_BODY), "cross-site")
    assert_forbidden(send(d, "DELETE", V1 + "?id=x", hdrs[:2]), "cross-site")
    assert_forbidden(send(d, "POST", "/api/settings/backup", hdrs,
                          json.dumps({"format": "omniroute-backup", "version": 1}).encode()),
                     "cross-site")
    assert_forbidden(send(d, "POST", CHAT, hdrs, CHAT_BODY), "cross-site")
    assert db_dump(d) == before
    assert len(provider.requests) == 0


def test_same_origin_passes(d):
    own = "http://127.0.0.1:%d" % d.port
    a = send(d, "POST", V1, [host(d), ("Origin", own),
                             ("Content-Type", "application/json")], PROXY_BODY)
    assert a.status == 201, a.body
    assert a.cors() == []
    # the same origin written as browsers may: host in other case, localhost
    a = send(d, "GET", V1, [host(d, "localhost"), ("Origin", "http://LocalHost:%d" % d.port)])
    assert a.status == 200 and a.json()["page"]["total"] == 1
    a = send(d, "POST", CHAT, [host(d), ("Origin", own),
                               ("Content-Type", "application/json")], CHAT_BODY)
    assert a.status == 200 and a.cors() == []


# ---- 415 -------------------------------------------------------------------------

@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", None])
def test_api_body_that_is_not_json_is_415_and_changes_nothing(d, ctype):
    before = db_dump(d)
    hdrs = [host(d)] + ([("Content-Type", ctype)] if ctype else [])
    for method, path in (("POST", V1), ("PATCH", V1), ("POST", "/api/settings/backup"),
                         ("PUT", V1 + "/assignments")):
        a = send(d, method, path, hdrs, PROXY_BODY)
        assert a.status == 415, (method, path, a.body)
        err = a.json()["error"]
        assert "Unsupported Media Type" in err["message"]
        assert "application/json" in err["message"]
    assert db_dump(d) == before


def test_json_with_parameters_and_bodiless_calls_pass(d):
    a = send(d, "POST", V1, [host(d), ("Content-Type", "Application/JSON; charset=utf-8")],
             PROXY_BODY)
    assert a.status == 201, a.body
    # no body, no Content-Type: past the edge to the command (which wants a name)
    a = send(d, "POST", V1, [host(d)])
    assert a.status == 400
    assert a.json()["error"]["message"] == "Invalid request"
    a = send(d, "DELETE", V1 + "?id=no-such-proxy", [host(d)])
    assert a.status == 404


# ---- CORS ----------------------------------------------------------------------------

APP = "https://app.test"


def preflight(d, origin, path=CHAT):
    return send(d, "OPTIONS", path, [host(d), ("Origin", origin),
                                     ("Access-Control-Request-Method", "POST"),
                                     ("Access-Control-Request-Headers",
                                      "authorization, content-type")])


def test_allowed_origin_gets_cors_on_v1(daemon_factory, ca, provider):  # noqa: F811
    dd = relay_daemon(daemon_factory, ca, provider, env={"OMNIROUTE_ALLOWED_ORIGINS": APP})
    # the provider's own CORS headers never reach the client
    provider.script("/v1/chat", headers={"Access-Control-Allow-Origin": "*",
                                         "Access-Control-Allow-Credentials": "true"},
                    times=None)
    a = send(dd, "POST", CHAT, [host(dd), ("Origin", APP),
                                ("Content-Type", "application/json")], CHAT_BODY)
    assert a.status == 200, a.body
    assert a.cors() == [("Access-Control-Allow-Origin", APP)]
    assert "Origin" in a.all("Vary")
    # a relayed error and the worker's own answers carry it too
    a = send(dd, "GET", "/v1/models", [host(dd), ("Origin", APP)])
    assert a.one("Access-Control-Allow-Origin") == APP
    a = send(dd, "POST", "/v1/nothing", [host(dd), ("Origin", APP),
                                         ("Content-Type", "application/json")], b"{")
    assert a.status >= 400 and a.one("Access-Control-Allow-Origin") == APP
    # the preflight
    n = len(provider.requests)
    a = preflight(dd, APP)
    assert a.status == 204 and a.body == b""
    assert a.one("Access-Control-Allow-Origin") == APP
    assert "POST" in a.one("Access-Control-Allow-Methods")
    allowed = a.one("Access-Control-Allow-Headers").lower()
    for h in ("authorization", "content-type", "openai-organization", "x-stainless-lang"):
        assert h in allowed
    assert int(a.one("Access-Control-Max-Age")) > 0
    assert len(provider.requests) == n       # answered by the daemon
    # another origin: 403 and no CORS, preflight or not; /api never
    assert_forbidden(preflight(dd, "https://evil.test"))
    assert_forbidden(preflight(dd, "http://127.0.0.1:%d" % dd.port))
    assert_forbidden(send(dd, "POST", CHAT, [host(dd), ("Origin", "https://evil.test"),
                                             ("Content-Type", "application/json")],
                          CHAT_BODY))
    assert_forbidden(send(dd, "GET", V1, [host(dd), ("Origin", APP)]), "cross-site")
    # no Origin, no CORS
    a = send(dd, "POST", CHAT, [host(dd), ("Content-Type", "application/json")], CHAT_BODY)
    assert a.status == 200 and a.cors() == []


def test_without_allowed_origins_no_cors_header_is_ever_sent(d, provider):
    provider.script("/v1/chat", headers={"Access-Control-Allow-Origin": "*"}, times=None)
    answers = [
        send(d, "POST", CHAT, [host(d), ("Content-Type", "application/json")], CHAT_BODY),
        send(d, "POST", CHAT, [host(d), ("Origin", APP),
                               ("Content-Type", "application/json")], CHAT_BODY),
        send(d, "POST", CHAT, [host(d), ("Origin", "http://127.0.0.1:%d" % d.port),
                               ("Content-Type", "application/json")], CHAT_BODY),
        send(d, "GET", "/v1/models", [host(d), ("Origin", APP)]),
        send(d, "GET", V1, [host(d), ("Origin", APP)]),
        preflight(d, APP),
        preflight(d, "http://127.0.0.1:%d" % d.port),
        send(d, "OPTIONS", "*", [host(d)]),
    ]
    assert [a.status for a in answers] == [200, 403, 200, 403, 403, 403, 403, 204]
    for a in answers:
        assert a.cors() == [], a.headers


def test_allowed_origins_follow_a_reload(daemon_factory, tmp_path):
    cfg = write(tmp_path / "edge.conf", "allowed_origins = https://a.test\n")
    dd = daemon_factory(config=cfg).start()
    assert preflight(dd, "https://a.test", "/v1/models").status == 204
    assert_forbidden(preflight(dd, "https://b.test", "/v1/models"))
    write(tmp_path / "edge.conf", "allowed_origins = https://b.test\n")
    reload_ok(dd)
    assert preflight(dd, "https://b.test", "/v1/models").status == 204
    assert_forbidden(preflight(dd, "https://a.test", "/v1/models"))


@pytest.mark.parametrize("key,value", [("allowed_origins", "https://a.test/"),
                                       ("allowed_origins", "null"),
                                       ("allowed_hosts", "a.test:8080")])
def test_bad_lists_are_config_errors(tmp_path, key, value):
    cfg = write(tmp_path / "bad.conf", "%s = %s\n" % (key, value))
    rc, out, err = check_config(["-c", cfg, "-D", str(tmp_path / "x")])
    assert rc != 0 and key in err and value in err, (rc, out, err)
    env_name = "OMNIROUTE_" + key.upper()
    rc, out, err = check_config(["-D", str(tmp_path / "x")], env={env_name: value})
    assert rc != 0 and key in err, (rc, out, err)


# ---- OPTIONS *, duplicate Authorization ------------------------------------------------

def test_options_asterisk_answers_allow(d):
    a = send(d, "OPTIONS", "*", [host(d)])
    assert a.status == 204
    allow = [m.strip() for m in a.one("Allow").split(",")]
    for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert m in allow
    assert send(d, "GET", "*", [host(d)]).status == 400


@pytest.mark.parametrize("keyed", [False, True])
def test_two_authorization_headers_are_400(daemon_factory, keyed):
    dd = daemon_factory(env={"OMNIROUTE_API_KEY": API_KEY} if keyed else {}).start()
    good = ("Authorization", "Bearer " + API_KEY)
    before = db_dump(dd)
    for first, second in ((good, ("Authorization", "Bearer wrong")),
                          (("Authorization", "Bearer wrong"), good), (good, good)):
        for method, path, body in (("GET", V1, b""), ("POST", V1, PROXY_BODY),
                                   ("POST", CHAT, CHAT_BODY)):
            a = send(dd, method, path, [host(dd), first, second,
                                        ("Content-Type", "application/json")], body)
            assert a.status == 400, (method, path, a.body)
            assert "Authorization" in a.json()["error"]["message"]
    assert db_dump(dd) == before
    a = send(dd, "GET", V1, [host(dd), good])
    assert a.status == 200


# ---- secrets over HTTP -------------------------------------------------------------

def test_backup_secrets_need_the_management_key(daemon_factory):
    plain = daemon_factory("plain").start()
    new_proxy(plain, name="S", username="u", password="secret-pw")
    for query in ("secrets=1", "secrets=true", "secrets=yes", "secrets=%31"):
        a = send(plain, "GET", "/api/settings/backup?" + query, [host(plain)])
        assert_forbidden(a, "omnirctl backup export --secrets")
        assert b"secret-pw" not in a.body
    a = send(plain, "GET", "/api/settings/backup?secrets=0", [host(plain)])
    assert a.status == 200 and a.json()["secrets"] is False
    assert b"secret-pw" not in a.body
    # the way named works
    assert plain.secret_backup()["proxies"][0]["password"] == \
        "secret-pw"

    keyed = daemon_factory("keyed", env={"OMNIROUTE_API_KEY": API_KEY}).start()
    auth = {"Authorization": "Bearer " + API_KEY}
    status, _ = keyed.http("POST", V1, {"name": "S", "host": "127.0.0.9", "port": 1,
                                        "username": "u", "password": "secret-pw"},
                           headers=auth)
    assert status == 201
    status, doc = keyed.http("GET", "/api/settings/backup?secrets=1", headers=auth)
    assert status == 200 and doc["secrets"] is True
    assert doc["proxies"][0]["password"] == "secret-pw"
    status, _ = keyed.http("GET", "/api/settings/backup?secrets=1")
    assert status == 401
