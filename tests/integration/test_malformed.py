"""Hundreds of malformed management requests, over HTTP and the control socket,
against one seeded daemon: each gets a 4xx with the error envelope (API.md
"Errors": never a 500 for bad input, never a partial write), the database's
logical content is unchanged afterwards, and no worker died."""

import copy
import json
import os
import re
import socket
import sqlite3
import time

import pytest

from conftest import LATEST_SCHEMA, Daemon, new_proxy

V1 = "/api/v1/management/proxies"
SET = "/api/settings/proxies"
SCOPED = "/api/settings/proxy"
BACKUP = "/api/settings/backup"
CONTROL_LINE_MAX = 1024 * 1024
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TYPES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden",
         404: "not_found", 405: "invalid_request", 409: "conflict",
         411: "invalid_request", 413: "invalid_request"}

# Seeded ids are filled in by the fixture; cases refer to them by these markers.
P1, P2, P3 = "@P1@", "@P2@", "@P3@"


# ---- the seeded daemon and the database's logical content ---------------------------

def db_state(d):
    """(iterdump lines, {table: sorted rows}) through a read-only connection."""
    path = os.path.join(d.datadir, "omniroute.db")
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    # a faulty case may have stored bytes that are not UTF-8: keep them comparable
    con.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    try:
        dump = list(con.iterdump())
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {t: sorted(repr(r) for r in con.execute('SELECT * FROM "%s"' % t))
                for t in tables}
    finally:
        con.close()
    return dump, rows


class Seeded:
    def __init__(self, d):
        self.d = d
        p1 = new_proxy(d, name="Seed One", host="one.example", port=8080,
                       username="alice", password="s3cret", region="EU")
        p2 = new_proxy(d, name="Seed Two", type="socks5", host="two.example", port=1080)
        p3 = new_proxy(d, name="Seed Three", host="three.example", port=3128,
                       status="inactive", notes="third")
        self.ids = {P1: p1["id"], P2: p2["id"], P3: p3["id"]}
        for body in ({"scope": "global", "proxyId": p1["id"]},
                     {"scope": "provider", "scopeId": "openai", "proxyId": p2["id"]},
                     {"scope": "account", "scopeId": "conn-1", "proxyId": p3["id"]},
                     {"scope": "combo", "scopeId": "fast", "proxyId": "direct"}):
            status, rec = d.http("PUT", V1 + "/assignments", body)
            assert status == 200, rec
        status, rec = d.http("POST", V1 + "/bulk-assign", {
            "scope": "provider", "scopeIds": ["groq", "mistral"], "proxyId": p2["id"]})
        assert status == 200 and rec["updated"] == 2, rec
        status, rec = d.http("PUT", SCOPED, {"providers": {"anthropic": {
            "type": "http", "host": "scoped.example", "port": 9090}}})
        assert status == 200, rec
        status, self.backup = d.http("GET", BACKUP)
        assert status == 200 and self.backup["format"] == "omniroute-backup", self.backup
        self.baseline = db_state(d)
        self.pids = sorted(d.worker_pids())
        assert len(self.pids) == 2

    def fill(self, value):
        """Replace the seeded-id markers in a str/bytes/structure."""
        if isinstance(value, bytes):
            for k, v in self.ids.items():
                value = value.replace(k.encode(), v.encode())
            return value
        if isinstance(value, str):
            for k, v in self.ids.items():
                value = value.replace(k, v)
            return value
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def state(self):
        return db_state(self.d)

    def assert_unchanged(self, what, before=None):
        """The database equals `before` (default: the seeded baseline). Each
        case compares with the state just before it, so one faulty case does
        not make every later one fail; the last test compares the baseline."""
        before = before or self.baseline
        dump, rows = db_state(self.d)
        if rows != before[1]:
            changed = {t for t in set(rows) | set(before[1])
                       if rows.get(t) != before[1].get(t)}
            raise AssertionError("%s changed tables %s" % (what, sorted(changed)))
        assert dump == before[0], "%s changed the database dump" % what


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("malformed") / "data").start()
    try:
        yield Seeded(d)
    finally:
        d.stop()
        log = d.read_log()
        assert "AddressSanitizer" not in log and "runtime error:" not in log, log


def assert_envelope(body, status):
    assert isinstance(body, dict), body
    assert set(body) == {"error", "requestId"}, body
    assert UUID.match(body["requestId"]), body
    err = body["error"]
    assert isinstance(err.get("message"), str) and err["message"], body
    assert err["type"] == TYPES.get(status, "invalid_request"), body
    assert set(err) <= {"message", "type", "details"}, body
    if "details" in err:
        assert isinstance(err["details"], list) and err["details"], body
        for item in err["details"]:
            assert set(item) == {"field", "message"}, body


# ---- HTTP cases -------------------------------------------------------------------
# Each case: (id, method, path, raw body bytes or None, expected status)

CASES = []


def case(cid, method, path, body, status=400):
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    CASES.append((cid, method, path, body, status))


BODY_ROUTES = [
    ("POST", V1), ("PATCH", V1), ("POST", V1 + "/bulk-assign"), ("PUT", V1 + "/bulk-assign"),
    ("PUT", V1 + "/assignments"), ("POST", SET), ("PATCH", SET), ("PUT", SET + "/assignments"),
    ("POST", SET + "/bulk-assign"), ("PUT", SET + "/bulk-assign"), ("POST", SET + "/bulk-import"),
    ("PUT", SCOPED), ("POST", BACKUP), ("POST", SET + "/migrate"),
]

BAD_JSON = [
    ("open-brace", b"{"), ("close-brace", b"}"), ("missing-value", b'{"a":}'),
    ("missing-colon", b'{"a" 1}'), ("trailing-garbage", b'{"a":1} x'),
    ("two-objects", b'{"a":1}{"b":2}'), ("bare-word", b"nul"), ("bad-literal", b'{"a":tru}'),
    ("unterminated-string", b'{"a":"unterminated}'), ("leading-nul", b"\x00{}"),
    ("only-whitespace", b"   "), ("raw-newline-in-string", b'{"name":"a\nb"}x'),
    ("invalid-utf8-outside-strings", b"{\xff}"),
]
NON_OBJECT = [
    ("array", b"[]"), ("array-of-object", b'[{"name":"x","host":"h","port":1}]'),
    ("string", b'"name"'), ("integer", b"1"), ("float", b"1.5"), ("true", b"true"),
    ("null", b"null"), ("negative-zero", b"-0"),
]
DEEP_OBJECT = b'{"a":' * 100 + b"1" + b"}" * 100
DEEP_ARRAY = b"[" * 100 + b"]" * 100
DEEP_IN_FIELD = b'{"name":' + b"[" * 100 + b"]" * 100 + b',"host":"h","port":1}'

for method, path in BODY_ROUTES:
    tag = "%s %s" % (method, path)
    for name, body in BAD_JSON + NON_OBJECT:
        case("%s bad-json:%s" % (tag, name), method, path, body)
    case(tag + " deep-object-100", method, path, DEEP_OBJECT)
    case(tag + " deep-array-100", method, path, DEEP_ARRAY)
    case(tag + " deep-in-field-100", method, path, DEEP_IN_FIELD)
    case(tag + " unknown-key", method, path, {"definitelyUnknown": 1})

# Every field of a proxy with wrong types and out-of-range values.
GOOD_PROXY = {"name": "New", "host": "new.example", "port": 8081}
BAD_FIELDS = {
    "name": [1, 1.5, True, [], {}, None, "", "   ", "n" * 121],
    "type": ["ftp", "socks4", "", 1, None, ["http"]],
    "host": ["", "   ", "h" * 256, 1, None, [], "http://a.example"],
    "port": [-1, 0, 65536, "abc", 1.5, None, True, False, [], {}, "", "1e3", "0x50",
             1e20, "65536", "-1", "80 80"],
    "username": [1, None, "u" * 256, [], True],
    "password": [1, None, "p" * 256, {}, False],
    "region": [1, "r" * 65, [], True],
    "notes": [1, "n" * 1001, {}, 2.5],
    "status": ["paused", "", 1, True, None],
}
UNKNOWN_KEYS = ["extra", "Name", "PORT", "createdAt", "qualityScore", "source", ""]

for path in (V1, SET):
    for field, values in BAD_FIELDS.items():
        for i, value in enumerate(values):
            body = dict(GOOD_PROXY, **{field: value})
            case("POST %s %s[%d]=%s" % (path, field, i, json.dumps(value)[:20]), "POST", path, body)
            body = {"id": P1, field: value}
            case("PATCH %s %s[%d]=%s" % (path, field, i, json.dumps(value)[:20]), "PATCH", path, body)
    for key in UNKNOWN_KEYS:
        case("POST %s unknown-key:%r" % (path, key), "POST", path, dict(GOOD_PROXY, **{key: 1}))
        case("PATCH %s unknown-key:%r" % (path, key), "PATCH", path, {"id": P1, "name": "x", key: 1})
    for missing in ("name", "host", "port"):
        body = {k: v for k, v in GOOD_PROXY.items() if k != missing}
        case("POST %s missing:%s" % (path, missing), "POST", path, body)
    case("POST %s empty-object" % path, "POST", path, {})
    case("POST %s no-body" % path, "POST", path, None)
    case("POST %s one-bad-among-good" % path, "POST", path, dict(GOOD_PROXY, port=0))
    case("POST %s id-given" % path, "POST", path, dict(GOOD_PROXY, id="chosen-id"))
    for i, bad_id in enumerate([None, 1, "", "   ", "i" * 129, [], {"id": 1}]):
        case("PATCH %s bad-id[%d]" % (path, i), "PATCH", path, {"id": bad_id, "name": "x"})
    case("PATCH %s missing-id" % path, "PATCH", path, {"name": "x"})
    case("PATCH %s unknown-id" % path, "PATCH", path, {"id": "no-such-proxy", "name": "x"}, 404)
    case("PATCH %s unknown-uuid" % path, "PATCH", path,
         {"id": "00000000-0000-4000-8000-000000000000", "port": 1}, 404)
    case("PATCH %s good-name-bad-port" % path, "PATCH", path,
         {"id": P1, "name": "renamed", "port": 0})
    case("PATCH %s no-body" % path, "PATCH", path, None)
    case("POST %s socks-host-with-scheme" % path, "POST", path,
         dict(GOOD_PROXY, type="socks5", host="socks5://x.example"))

# Invalid UTF-8 inside strings.
BAD_UTF8 = [("ff", b"\xff"), ("overlong-slash", b"\xc0\xaf"), ("surrogate", b"\xed\xa0\x80"),
            ("truncated", b"\xe2\x82"), ("five-byte", b"\xf8\x88\x80\x80\x80"),
            ("lone-continuation", b"\x80"), ("above-10ffff", b"\xf4\x90\x80\x80")]
for name, seq in BAD_UTF8:
    case("POST V1 utf8-name:" + name, "POST", V1,
         b'{"name":"bad' + seq + b'","host":"u.example","port":1}')
    case("POST V1 utf8-host:" + name, "POST", V1,
         b'{"name":"bad","host":"u' + seq + b'.example","port":1}')
    case("PATCH V1 utf8-notes:" + name, "PATCH", V1,
         b'{"id":"' + P1.encode() + b'","notes":"n' + seq + b'"}')
    case("PUT assignments utf8-scopeId:" + name, "PUT", V1 + "/assignments",
         b'{"scope":"provider","scopeId":"p' + seq + b'","proxyId":"' + P1.encode() + b'"}')
    case("POST V1 utf8-key:" + name, "POST", V1,
         b'{"na' + seq + b'me":"x","host":"u.example","port":1}')

# PUT assignments.
for path in (V1 + "/assignments", SET + "/assignments"):
    tag = "PUT " + path
    case(tag + " scope-missing", "PUT", path, {"proxyId": P1})
    for i, scope in enumerate(["planet", "", "GLOBALS", 1, None, ["global"], "direct"]):
        case("%s bad-scope[%d]" % (tag, i), "PUT", path, {"scope": scope, "scopeId": "x", "proxyId": P1})
    for scope in ("provider", "account", "combo", "key"):
        case("%s %s-scopeId-missing" % (tag, scope), "PUT", path, {"scope": scope, "proxyId": P1})
        case("%s %s-scopeId-empty" % (tag, scope), "PUT", path,
             {"scope": scope, "scopeId": "  ", "proxyId": P1})
        case("%s %s-scopeId-null" % (tag, scope), "PUT", path,
             {"scope": scope, "scopeId": None, "proxyId": P1})
    for i, sid in enumerate([1, True, [], "s" * 256]):
        case("%s bad-scopeId[%d]" % (tag, i), "PUT", path, {"scope": "provider", "scopeId": sid, "proxyId": P1})
    for i, pid in enumerate([1, [], {}, "p" * 129, True]):
        case("%s bad-proxyId[%d]" % (tag, i), "PUT", path, {"scope": "global", "proxyId": pid})
    case(tag + " unknown-proxy", "PUT", path, {"scope": "global", "proxyId": "no-such-proxy"}, 404)
    case(tag + " unknown-proxy-provider", "PUT", path,
         {"scope": "provider", "scopeId": "new-provider", "proxyId": "no-such-proxy"}, 404)
    case(tag + " unknown-key", "PUT", path, {"scope": "global", "proxyId": P1, "proxy_id": P1})
    case(tag + " snake-case-keys", "PUT", path, {"scope": "provider", "scope_id": "x", "proxyId": P1})

# bulk-assign (both paths, both methods).
for method, path in (("POST", V1 + "/bulk-assign"), ("PUT", V1 + "/bulk-assign"),
                     ("POST", SET + "/bulk-assign"), ("PUT", SET + "/bulk-assign")):
    tag = "%s %s" % (method, path)
    case(tag + " scope-missing", method, path, {"scopeIds": ["a"], "proxyId": P1})
    case(tag + " scope-unknown", method, path, {"scope": "planet", "scopeIds": ["a"], "proxyId": P1})
    case(tag + " scopeIds-missing", method, path, {"scope": "provider", "proxyId": P1})
    case(tag + " scopeIds-empty", method, path, {"scope": "provider", "scopeIds": [], "proxyId": P1})
    for i, ids in enumerate(["a", 1, {}, None, [1], [""], [None], ["ok", "  "], [["a"]]]):
        case("%s bad-scopeIds[%d]" % (tag, i), method, path,
             {"scope": "provider", "scopeIds": ids, "proxyId": P1})
    case(tag + " proxyId-number", method, path, {"scope": "provider", "scopeIds": ["a"], "proxyId": 7})
    case(tag + " unknown-key", method, path,
         {"scope": "provider", "scopeIds": ["a"], "proxyId": P1, "force": True})

case("POST bulk-assign too-many-scopeIds", "POST", V1 + "/bulk-assign",
     {"scope": "provider", "scopeIds": ["s%d" % i for i in range(10001)], "proxyId": P1})

# bulk-import, top-level faults.
IMPORT = SET + "/bulk-import"
for i, items in enumerate(["x", 1, {}, None, [], True]):
    case("POST bulk-import bad-items[%d]" % i, "POST", IMPORT, {"items": items})
case("POST bulk-import items-missing", "POST", IMPORT, {})
case("POST bulk-import bare-array", "POST", IMPORT, [dict(GOOD_PROXY)])
case("POST bulk-import unknown-key", "POST", IMPORT, {"items": [dict(GOOD_PROXY)], "dryRun": True})
case("POST bulk-import 1001-items", "POST", IMPORT,
     {"items": [{"name": "B%d" % i, "host": "b%d.example" % i, "port": 1000 + i}
                for i in range(1001)]})

# PUT /api/settings/proxy.
SP = {"type": "http", "host": "sp.example", "port": 8888}
for body in [
    {},
    {"level": "planet", "proxy": SP},
    {"level": "provider", "proxy": SP},
    {"level": "provider", "id": "", "proxy": SP},
    {"level": "combo", "id": None, "proxy": SP},
    {"level": "global"},
    {"level": 1, "proxy": SP},
    {"level": "global", "proxy": "http://sp.example:8888"},
    {"level": "global", "proxy": 5},
    {"level": "global", "proxy": []},
    {"level": "global", "proxy": {"port": 1}},
    {"level": "global", "proxy": {"host": ""}},
    {"level": "global", "proxy": {"host": "h" * 256}},
    {"level": "global", "proxy": dict(SP, port=0)},
    {"level": "global", "proxy": dict(SP, port=65536)},
    {"level": "global", "proxy": dict(SP, port="x")},
    {"level": "global", "proxy": dict(SP, type="ftp")},
    {"level": "global", "proxy": dict(SP, username=1)},
    {"level": "global", "proxy": dict(SP, password="p" * 256)},
    {"level": "global", "proxy": dict(SP, region="EU")},
    {"level": "provider", "id": "i" * 256, "proxy": SP},
    {"global": "x"},
    {"global": 1},
    {"global": dict(SP, port=-1)},
    {"providers": "x"},
    {"providers": []},
    {"providers": {"": SP}},
    {"providers": {"   ": SP}},
    {"providers": {"p" * 256: SP}},
    {"providers": {"openai": "x"}},
    {"providers": {"openai": dict(SP, port=70000)}},
    {"combos": {"fast": {"host": ""}}},
    {"keys": [SP]},
    {"keys": {"k1": dict(SP, type=None)}},
    {"global": SP, "providers": {"ok": SP, "bad": dict(SP, port=0)}},
    {"providers": {"a": SP, "b": SP}, "combos": {"c": dict(SP, host=None)}},
    {"global": SP, "extra": 1},
    {"level": "global", "proxy": SP, "id": 5},
]:
    case("PUT settings/proxy %s" % json.dumps(body)[:60], "PUT", SCOPED, body)

# Backup import, each broken in one place (the good parts must not be written).
BACKUP_BREAKS = [
    ("format", lambda b: b.update(format="other")),
    ("format-missing", lambda b: b.pop("format")),
    ("version-0", lambda b: b.update(version=0)),
    ("version-99", lambda b: b.update(version=99)),
    ("version-string", lambda b: b.update(version="one")),
    ("proxies-string", lambda b: b.update(proxies="x")),
    ("assignments-object", lambda b: b.update(assignments={})),
    ("settings-array", lambda b: b.update(settings=[])),
    ("unknown-key", lambda b: b.update(unexpected=True)),
    ("new-proxy-then-bad-proxy", lambda b: b["proxies"].extend([
        dict(b["proxies"][0], id="new-1", host="new1.example", port=1234, name="new one"),
        dict(b["proxies"][0], id="new-2", host="new2.example", port=0, name="bad one")])),
    ("proxy-not-object", lambda b: b["proxies"].append("x")),
    ("assignment-unknown-proxy", lambda b: b["assignments"].append(
        {"proxyId": "no-such-proxy", "scope": "provider", "scopeId": "zzz"})),
    ("assignment-unknown-scope", lambda b: b["assignments"].append(
        {"proxyId": P1, "scope": "planet", "scopeId": "zzz"})),
    ("assignment-missing-scopeId", lambda b: b["assignments"].append(
        {"proxyId": P1, "scope": "provider"})),
]

# DELETE and query-string faults.
for path in (V1, SET):
    case("DELETE %s unknown-id" % path, "DELETE", path + "?id=no-such-proxy", None, 404)
    case("DELETE %s unknown-id-force" % path, "DELETE", path + "?id=no-such-proxy&force=1", None, 404)
    case("DELETE %s no-id" % path, "DELETE", path, None)
    case("DELETE %s empty-id" % path, "DELETE", path + "?id=", None)
    case("DELETE %s long-id" % path, "DELETE", path + "?id=" + "i" * 129, None)
    case("DELETE %s bad-percent" % path, "DELETE", path + "?id=%ZZ", None)
    case("DELETE %s assigned-without-force" % path, "DELETE", path + "?id=" + P1, None, 409)
    case("DELETE %s bad-force" % path, "DELETE", path + "?id=" + P1 + "&force=maybe", None)
    case("GET %s unknown-id" % path, "GET", path + "?id=no-such-proxy", None, 404)
    case("GET %s bad-percent" % path, "GET", path + "?id=%G0", None)
    case("PUT %s wrong-method" % path, "PUT", path, GOOD_PROXY, 405)
for q in ("limit=abc", "offset=1x", "limit=1.5", "offset=-x", "limit=%zz"):
    case("GET V1 " + q, "GET", V1 + "?" + q, None)
case("GET V1 where_used-empty-id", "GET", V1 + "?id=&where_used=1", None)
case("GET V1 where_used-long-id", "GET", V1 + "?id=%s&where_used=1" % ("i" * 129), None)
case("GET health hours=abc", "GET", V1 + "/health?hours=abc", None)
case("GET assignments limit=x", "GET", V1 + "/assignments?limit=x", None)
case("GET assignments scope=planet", "GET", V1 + "/assignments?scope=planet", None)
case("GET settings/proxy level=planet", "GET", SCOPED + "?level=planet", None)
case("DELETE settings/proxy no-level", "DELETE", SCOPED, None)
case("DELETE settings/proxy level=planet", "DELETE", SCOPED + "?level=planet&id=x", None)
case("DELETE settings/proxy long-id", "DELETE", SCOPED + "?level=provider&id=" + "i" * 256, None)
case("POST migrate force=maybe", "POST", SET + "/migrate", {"force": "maybe"})
case("GET unknown api path", "GET", "/api/v1/management/nothing", None, 404)
case("POST unknown api path", "POST", "/api/settings/nothing", {"a": 1}, 404)
case("DELETE assignments wrong-method", "DELETE", V1 + "/assignments", None, 405)


def check_http(seeded, method, path, body, status, what):
    d = seeded.d
    path = seeded.fill(path)
    body = seeded.fill(body) if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    before = seeded.state()
    got, reply = d.http(method, path, raw_body=body, headers=headers)
    assert got == status, (what, got, reply)
    assert_envelope(reply, got)
    seeded.assert_unchanged(what, before)


@pytest.mark.parametrize("method,path,body,status", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_malformed_http(seeded, method, path, body, status):
    check_http(seeded, method, path, body, status, "%s %s" % (method, path))


@pytest.mark.parametrize("name,breaker", BACKUP_BREAKS, ids=[b[0] for b in BACKUP_BREAKS])
def test_malformed_backup_import(seeded, name, breaker):
    doc = copy.deepcopy(seeded.backup)
    breaker(doc)
    body = json.dumps(seeded.fill(doc)).encode()
    check_http(seeded, "POST", BACKUP, body, 400, "backup " + name)


# ---- 2xx answers that must still write nothing ------------------------------------------

def test_where_used_unknown_id_is_count_zero(seeded):
    # upstream-reference §2.1: no 404 for an unknown id, just count 0
    before = seeded.state()
    status, body = seeded.d.http("GET", V1 + "?id=no-such-proxy&where_used=1")
    assert status == 200 and body == {"count": 0, "assignments": []}
    seeded.assert_unchanged("where_used", before)


def test_bulk_import_with_only_bad_items_writes_nothing(seeded):
    before = seeded.state()
    items = ["x", 1, None, [], {"name": "x"}, dict(GOOD_PROXY, port=0),
             dict(GOOD_PROXY, host="h" * 256), dict(GOOD_PROXY, extra=1)]
    status, body = seeded.d.http("POST", IMPORT, {"items": items})
    assert status == 200, body
    assert (body["created"], body["updated"], body["failed"]) == (0, 0, len(items))
    assert all(r["success"] is False and r["error"] for r in body["results"])
    seeded.assert_unchanged("bulk-import of bad items", before)


def test_bulk_assign_to_unknown_proxy_writes_nothing(seeded):
    before = seeded.state()
    status, body = seeded.d.http("POST", V1 + "/bulk-assign", {
        "scope": "provider", "scopeIds": ["x1", "x2"], "proxyId": "no-such-proxy"})
    assert status == 200 and body["updated"] == 0 and len(body["failed"]) == 2, body
    seeded.assert_unchanged("bulk-assign to an unknown proxy", before)


# ---- the control socket ------------------------------------------------------------

def control_raw(d, data, timeout=30, check_closed=False):
    """Send raw bytes; return (reply line, closed-after) — with check_closed,
    closed-after tells whether the master closed the connection after its
    reply (waiting up to 2 s)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(d.sock)
        s.sendall(data)
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        line, _, rest = buf.partition(b"\n")
        assert rest == b"", rest
        closed = None
        if check_closed:
            s.settimeout(2)
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
            except ConnectionResetError:
                closed = True
    return line, closed


def parse_control(line):
    text = line.decode()
    if text.startswith("#"):                  # a tagged request gets a tagged reply
        text = text.partition(" ")[2]
    status, sep, rest = text.partition(" ")
    assert sep and len(status) == 3 and status.isdigit(), text
    return int(status), json.loads(rest)


CONTROL_CASES = [
    ("empty-line", b"", 400),
    ("spaces", b"   ", 400),
    ("punctuation", b"!!!", 400),
    ("upper-case-name", b"PROXY.LIST", 400),
    ("args-array", b"proxy.list [1]", 400),
    ("args-string", b'proxy.list "x"', 400),
    ("args-unterminated", b"proxy.list {", 400),
    ("args-trailing", b"proxy.list {} trailing", 400),
    ("args-two-objects", b"proxy.list {}{}", 400),
    ("bad-tag", b"#abc proxy.list", 400),
    ("tag-no-space", b"#1proxy.list", 400),
    ("tag-only", b"#12 ", 400),
    ("tag-too-long", b"#" + b"9" * 25 + b" proxy.list", 400),
    ("nul-in-line", b"proxy.list\x00 {}", 400),
    ("nul-in-json", b'proxy.add {"name":"a\x00b"}', 400),
    ("name-too-long", b"a" * 65, 400),
    ("tab-separator", b"proxy.list\t{}", 400),
    ("unknown-command", b"nosuchcommand", 404),
    ("unknown-command-args", b'proxy.explode {"id":"x"}', 404),
    ("invalid-utf8-name", b"proxy.\xff", 400),
    ("invalid-utf8-json", b'proxy.add {"name":"\xff","host":"h","port":1}', 400),
    ("deep-json", b"proxy.add " + DEEP_OBJECT, 400),
    ("crlf-only", b"\r", 400),
]
CONTROL_ARG_CASES = [
    ("proxy.add", {}, 400),
    ("proxy.add", {"name": 1, "host": "h", "port": 1}, 400),
    ("proxy.add", dict(GOOD_PROXY, port=0), 400),
    ("proxy.add", dict(GOOD_PROXY, port="abc"), 400),
    ("proxy.add", dict(GOOD_PROXY, name="n" * 121), 400),
    ("proxy.add", dict(GOOD_PROXY, host="h" * 256), 400),
    ("proxy.add", dict(GOOD_PROXY, notes="n" * 1001), 400),
    ("proxy.add", dict(GOOD_PROXY, extra=1), 400),
    ("proxy.update", {"name": "x"}, 400),
    ("proxy.update", {"id": P1, "port": 65536}, 400),
    ("proxy.update", {"id": "no-such-proxy", "name": "x"}, 404),
    ("proxy.delete", {}, 400),
    ("proxy.delete", {"id": "no-such-proxy"}, 404),
    ("proxy.delete", {"id": P1}, 409),
    ("proxy.get", {"id": "no-such-proxy"}, 404),
    ("proxy.get", {}, 400),
    ("assign.set", {"scope": "planet", "proxyId": P1}, 400),
    ("assign.set", {"scope": "provider", "proxyId": P1}, 400),
    ("assign.set", {"scope": "global", "proxyId": "no-such-proxy"}, 404),
    ("assign.bulk", {"scope": "provider", "scopeIds": "x", "proxyId": P1}, 400),
    ("assign.bulk", {"scope": "provider", "scopeIds": [], "proxyId": P1}, 400),
    ("proxy.import", {"items": "x"}, 400),
    ("proxy.import", {"items": []}, 400),
    ("settings.proxy.put", {}, 400),
    ("settings.proxy.put", {"level": "planet", "proxy": SP}, 400),
    ("settings.proxy.put", {"global": dict(SP, port=0)}, 400),
    ("settings.proxy.delete", {}, 400),
    ("backup.import", {"format": "x"}, 400),
    ("legacy.migrate", {"force": "maybe"}, 400),
    ("status", {"verbose": True}, 400),
    ("workers", {"x": 1}, 400),
    ("reload", {"now": True}, 400),
]


@pytest.mark.parametrize("data,status", [c[1:] for c in CONTROL_CASES],
                         ids=[c[0] for c in CONTROL_CASES])
def test_malformed_control_line(seeded, data, status):
    before = seeded.state()
    line, _ = control_raw(seeded.d, data + b"\n")
    got, body = parse_control(line)
    assert got == status, (data[:80], got, body)
    assert_envelope(body, got)
    seeded.assert_unchanged("control %r" % data[:40], before)


@pytest.mark.parametrize("command,args,status", CONTROL_ARG_CASES,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(CONTROL_ARG_CASES)])
def test_malformed_control_arguments(seeded, command, args, status):
    line = (command + " " + json.dumps(seeded.fill(args))).encode()
    before = seeded.state()
    got, body = parse_control(control_raw(seeded.d, line + b"\n")[0])
    assert got == status, (command, args, got, body)
    assert_envelope(body, got)
    seeded.assert_unchanged("control %s" % command, before)


def test_control_line_over_the_cap_is_refused_and_closed(seeded):
    # exactly cap + 1 bytes and no LF: the master has read all of it when it answers
    before = seeded.state()
    line, closed = control_raw(seeded.d, b"x" * (CONTROL_LINE_MAX + 1), check_closed=True)
    got, body = parse_control(line)
    assert got == 400 and "longer than" in body["error"]["message"], body
    assert_envelope(body, 400)
    assert closed
    seeded.assert_unchanged("over-long control line", before)


def test_control_command_over_the_cap_is_not_run(seeded):
    before = seeded.state()
    head = b'proxy.add {"name":"Over","host":"over.example","port":1,"notes":"'
    data = head + b"n" * (CONTROL_LINE_MAX + 1 - len(head))
    line, closed = control_raw(seeded.d, data, check_closed=True)
    got, body = parse_control(line)
    assert got == 400 and closed, body
    assert_envelope(body, 400)
    seeded.assert_unchanged("over-long proxy.add", before)


def test_control_line_at_the_cap_is_judged_by_the_command(seeded):
    before = seeded.state()
    head = b'proxy.add {"name":"AtCap","host":"cap.example","port":1,"notes":"'
    tail = b'"}'
    data = head + b"n" * (CONTROL_LINE_MAX - len(head) - len(tail)) + tail
    assert len(data) == CONTROL_LINE_MAX
    line, _ = control_raw(seeded.d, data + b"\n")
    got, body = parse_control(line)
    assert got == 400 and body["error"]["details"][0]["field"] == "notes", body
    seeded.assert_unchanged("proxy.add at the cap", before)


def test_control_connection_survives_bad_lines(seeded):
    # several bad lines on one connection, each answered in order, then a good one
    before = seeded.state()
    lines = [b"!!!", b"nosuchcommand", b"proxy.add {", b'proxy.get {"id":"no-such-proxy"}', b"version"]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(seeded.d.sock)
        s.sendall(b"\n".join(lines) + b"\n")
        buf = b""
        deadline = time.monotonic() + 30
        while buf.count(b"\n") < len(lines) and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    replies = [parse_control(l) for l in buf.split(b"\n")[:len(lines)]]
    assert [r[0] for r in replies] == [400, 404, 400, 404, 200], replies
    for status, body in replies[:4]:
        assert_envelope(body, status)
    assert replies[4][1]["schemaVersion"] == LATEST_SCHEMA
    seeded.assert_unchanged("bad lines on one connection", before)


# ---- afterwards ------------------------------------------------------------------

def test_zz_daemon_still_serving_and_no_worker_died(seeded):
    d = seeded.d
    assert len(CASES) + len(BACKUP_BREAKS) + len(CONTROL_CASES) + len(CONTROL_ARG_CASES) >= 200
    for _ in range(4):
        status, body = d.http("GET", "/healthz")
        assert status == 200 and body["status"] == "ok"
    assert sorted(d.worker_pids()) == seeded.pids
    assert d.proc.poll() is None
    log = d.read_log()
    assert "respawning" not in log and "killed by signal" not in log, log
    # the seeded assignments still resolve the same way: conn-1 is pinned to an
    # inactive proxy, so its calls are refused (fail-closed); other connections
    # of the provider use the provider's proxy
    status, res = d.http("GET", V1 + "/assignments?resolve_connection_id=conn-1&provider=openai")
    assert status == 200, res
    assert res["explain"][0]["proxyId"] == seeded.ids[P3]
    assert (res["level"], res["refused"]) == ("account", True), res
    status, res = d.http("GET", V1 + "/assignments?resolve_connection_id=conn-2&provider=openai")
    assert (res["level"], res["proxyId"]) == ("provider", seeded.ids[P2]), res


def test_zz_database_unchanged_over_the_whole_run(seeded):
    seeded.assert_unchanged("the whole run")
    status, page = seeded.d.http("GET", V1)
    assert page["page"]["total"] == 4
