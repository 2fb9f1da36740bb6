"""Validation at the door (issue 8): every value that could never be dialled,
and every empty or blank id, is refused with a 4xx and the error envelope
naming the field, at every entry point (HTTP POST/PATCH, omnirctl, bulk
import rows, backup restore, /api/settings/proxy, /api/upstream-proxy, assign),
and the database is left byte-identical.

How "byte-identical" is measured: the SHA-256 of omniroute.db together with
omniroute.db-wal. In WAL mode a change is a commit: it appends frames to the
-wal file (or, after a checkpoint, rewrites the main file), so any write shows
in one of the two; a refused command rolls back before committing and SQLite
writes nothing for it. Readers never write either file. A checkpoint moves
bytes between the two files without a change of content, but SQLite only runs
one after a commit, so with no commit nothing moves. The -shm index is not
part of the database (it is rebuilt from the -wal) and is not hashed. Each
test also compares a logical dump made through a read-only connection
(file:…?mode=ro), which makes a failure readable: it names the rows that
changed."""

import hashlib
import json
import os
import sqlite3
import subprocess
import time

import pytest

from conftest import OMNIROUTED, Daemon, free_port

V1 = "/api/v1/management/proxies"
SET = "/api/settings/proxies"
SP = "/api/settings/proxy"
UP = "/api/upstream-proxy/"
UUID_LEN = 36


# ---- the daemon, seeded once for the module -------------------------------------

@pytest.fixture(scope="module")
def d(tmp_path_factory):
    daemon = Daemon(tmp_path_factory.mktemp("validation") / "data", workers=1)
    daemon.start()
    seed(daemon)
    yield daemon
    daemon.stop()
    log = daemon.read_log()
    assert "AddressSanitizer" not in log and "runtime error:" not in log, log


def post(d, path, body):
    status, rec = d.http("POST", path, body)
    assert status in (200, 201), (path, body, rec)
    return rec


def seed(d):
    """One proxy of each shape an update can break, and assignments that a
    blank id must not remove."""
    d.ids = {}
    d.ids["http"] = post(d, V1, {"name": "seed-http", "host": "h.example", "port": 3128,
                                 "username": "alice", "password": "pw"})["id"]
    d.ids["bare"] = post(d, V1, {"name": "seed-bare", "host": "b.example",
                                 "port": 3128})["id"]
    d.ids["socks"] = post(d, V1, {"name": "seed-socks", "type": "socks5",
                                  "host": "127.0.0.1", "port": 1080,
                                  "username": "a:b", "password": "pw"})["id"]
    for scope, scope_id in (("global", None), ("provider", "openai"), ("account", "conn-1")):
        status, _ = d.http("PUT", V1 + "/assignments", {"scope": scope, "scopeId": scope_id,
                                                         "proxyId": d.ids["http"]})
        assert status == 200
    status, _ = d.http("PUT", UP + "openai", {"mode": "fallback", "enabled": True})
    assert status == 200
    post(d, "/api/providers", {"id": "seedprov", "baseUrl": "http://127.0.0.1:9/v1"})


# ---- the database, before and after ----------------------------------------------

def db_path(d):
    return os.path.join(d.datadir, "omniroute.db")


def db_bytes_hash(d):
    h = hashlib.sha256()
    for suffix in ("", "-wal"):
        try:
            with open(db_path(d) + suffix, "rb") as f:
                h.update(suffix.encode() + b"\0" + f.read())
        except FileNotFoundError:
            h.update(suffix.encode() + b"\0<absent>")
    return h.hexdigest()


def db_dump(d):
    con = sqlite3.connect("file:%s?mode=ro" % db_path(d), uri=True, timeout=10)
    try:
        return list(con.iterdump())
    finally:
        con.close()


class Unchanged:
    """with Unchanged(d): … — the block must leave the database as it was."""

    def __init__(self, d):
        self.d = d

    def __enter__(self):
        self.dump = db_dump(self.d)
        self.hash = db_bytes_hash(self.d)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            return False
        after = db_dump(self.d)
        changed = sorted(set(after) ^ set(self.dump))
        assert after == self.dump, "rows changed: %s" % changed[:10]
        assert db_bytes_hash(self.d) == self.hash, "database bytes changed"
        return False


def assert_invalid(status, body, field):
    """400, the error envelope, and a detail naming field (exactly)."""
    assert status == 400, (status, body)
    assert set(body) == {"error", "requestId"}, body
    assert body["error"]["type"] == "invalid_request", body
    assert body["error"]["message"] == "Invalid request", body
    fields = [x["field"] for x in body["error"].get("details", [])]
    assert field in fields, (field, body)


def assert_ctl_invalid(d, field, *argv):
    """omnirctl exits 1 (the server said no) and its --json answer is the
    envelope naming field."""
    rc, out, err = d.ctl("--json", *argv)
    assert rc == 1, (argv, rc, out, err)
    body = json.loads(out)
    assert_invalid(400, body, field)


def test_the_measure_sees_a_change(d):
    # a write the daemon accepts is seen, by the dump and by the bytes
    with pytest.raises(AssertionError, match="rows changed"):
        with Unchanged(d):
            status, _ = d.http("PATCH", V1, {"id": d.ids["bare"], "notes": "seen"})
            assert status == 200


def test_an_idle_daemon_leaves_the_database_alone(d):
    # the measure itself: with nothing asked, nothing changes
    before = db_bytes_hash(d)
    time.sleep(1.0)
    assert db_bytes_hash(d) == before


# ---- proxy fields: the values that could never be dialled --------------------------

GOOD = {"name": "fresh", "type": "http", "host": "fresh.example", "port": 8080}

# (field, bad value, extra fields, type) — each refused for the field named
BAD_FIELDS = [
    ("name", "a\r\nb", {}, "http"),
    ("name", "ab\r\n", {}, "http"),
    ("name", "a\nb", {}, "http"),
    ("name", "a\x00b", {}, "http"),
    ("name", "a\tb", {}, "http"),
    ("name", "n" * 121, {}, "http"),
    ("name", "\u00e9" * 61, {}, "http"),                 # 61 characters, 122 bytes
    ("host", "::::::", {}, "http"),
    ("host", "999.999.999.999", {}, "http"),
    ("host", "1.2.3", {}, "http"),
    ("host", "010.0.0.1", {}, "http"),
    ("host", "p.example:8080", {}, "http"),
    ("host", "http://p.example", {}, "http"),
    ("host", "p.example/path", {}, "http"),
    ("host", "a b.example", {}, "http"),
    ("host", "h\r\nX-Injected: 1", {}, "http"),
    ("host", "h\x00.example", {}, "http"),
    ("host", "x" * 256, {}, "http"),
    ("host", "a" * 64 + ".example", {}, "http"),
    ("host", ("a" * 63 + ".") * 4, {}, "http"),         # 256 bytes of labels
    ("host", "-a.example", {}, "http"),
    ("host", "[::1", {}, "http"),
    ("host", "fe80::1%eth0", {}, "http"),
    ("username", "a:b", {"password": "p"}, "http"),
    ("username", "a:b", {"password": "p"}, "https"),
    ("username", "u\r\nX-Injected: 1", {"password": "p"}, "http"),
    ("username", "u\nx", {"password": "p"}, "socks5"),
    ("username", "u\x00", {"password": "p"}, "socks5"),
    ("username", "u" * 256, {"password": "p"}, "socks5"),
    ("username", "\u00e9" * 128, {"password": "p"}, "socks5"),  # 256 bytes
    ("username", "\u00e9" * 128, {"password": "p"}, "http"),
    ("password", "p\r\n", {"username": "u"}, "http"),
    ("password", "p\x00q", {"username": "u"}, "socks5"),
    ("password", "\u00e9" * 128, {"username": "u"}, "socks5"),
    ("password", "p" * 256, {"username": "u"}, "socks5"),
    ("password", "secret", {}, "http"),                  # a password alone
    ("password", "secret", {}, "socks5"),
    ("port", 0, {}, "http"),
    ("port", 65536, {}, "http"),
    ("port", "80x", {}, "http"),
    ("port", -1, {}, "socks5"),
]
# test ids: the field and its place in the table (values hold ':', '[' and CR LF)
BAD_IDS = ["%s-%d" % (f, i) for i, (f, _, _, _) in enumerate(BAD_FIELDS)]


def bad_record(field, value, extra, ptype, name="fresh"):
    rec = dict(GOOD, name=name, type=ptype)
    rec.update(extra)
    rec[field] = value
    return rec


def has_nul(value):
    return isinstance(value, str) and "\x00" in value


@pytest.mark.parametrize("field,value,extra,ptype", BAD_FIELDS, ids=BAD_IDS)
def test_http_post_refuses(d, field, value, extra, ptype):
    for path in (V1, SET):
        with Unchanged(d):
            status, body = d.http("POST", path, bad_record(field, value, extra, ptype))
            assert_invalid(status, body, field)


@pytest.mark.parametrize("field,value,extra,ptype", BAD_FIELDS, ids=BAD_IDS)
def test_http_patch_refuses(d, field, value, extra, ptype):
    change = {"id": d.ids["bare"], "type": ptype, field: value}
    change.update(extra)
    for path in (V1, SET):
        with Unchanged(d):
            assert_invalid(*d.http("PATCH", path, change), field)


def options(fields):
    """omnirctl --field value words for a dict of fields."""
    return [w for k, v in fields.items() for w in ("--" + k, str(v))]


@pytest.mark.parametrize("field,value,extra,ptype", BAD_FIELDS, ids=BAD_IDS)
def test_omnirctl_add_and_update_refuse(d, field, value, extra, ptype):
    if has_nul(value):
        pytest.skip("an argv word cannot hold NUL")
    change = dict(extra, type=ptype)
    change[field] = value
    with Unchanged(d):
        assert_ctl_invalid(d, field, "proxy", "add",
                           *options(bad_record(field, value, extra, ptype)))
        assert_ctl_invalid(d, field, "proxy", "update", d.ids["bare"], *options(change))


@pytest.mark.parametrize("field,value,extra,ptype", BAD_FIELDS, ids=BAD_IDS)
def test_bulk_import_row_refused_alone(d, field, value, extra, ptype):
    with Unchanged(d):
        status, res = d.http("POST", SET + "/bulk-import",
                             {"items": [bad_record(field, value, extra, ptype)]})
        assert status == 200, res
        assert (res["created"], res["updated"], res["failed"]) == (0, 0, 1), res
        row = res["results"][0]
        assert row["success"] is False and row["field"] == "items[0]." + field, row


@pytest.mark.parametrize("field,value,extra,ptype", BAD_FIELDS, ids=BAD_IDS)
def test_backup_restore_refuses_the_whole_document(d, field, value, extra, ptype):
    good = dict(GOOD, name="restored-good", host="restored.example")
    doc = {"format": "omniroute-backup", "version": 1,
           "proxies": [good, bad_record(field, value, extra, ptype, name="restored-bad")]}
    with Unchanged(d):
        assert_invalid(*d.http("POST", "/api/settings/backup", doc), "proxies[1]." + field)


@pytest.mark.parametrize("section,item,field", [
    ("assignments", {"scope": "global", "proxyId": ""}, "assignments[0].proxyId"),
    ("assignments", {"scope": "global", "proxyId": "  "}, "assignments[0].proxyId"),
    ("assignments", {"scope": "provider", "scopeId": " ", "proxyId": "direct"},
     "assignments[0].scopeId"),
    ("upstreamModes", {"providerId": "..", "mode": "native"}, "upstreamModes[0].providerId"),
    ("upstreamModes", {"providerId": "openai", "mode": "bogus"}, "upstreamModes[0].mode"),
    ("providers", {"id": "restprov", "baseUrl": "http://999.999.999.999/v1"},
     "providers[0].baseUrl"),
    ("providers", {"id": "restprov", "baseUrl": "http://" + "a" * 256 + "/v1"},
     "providers[0].baseUrl"),
])
def test_backup_restore_refuses_bad_items_of_every_section(d, section, item, field):
    # a good proxy first: it must not be stored either
    doc = {"format": "omniroute-backup", "version": 1,
           "proxies": [dict(GOOD, name="restored-good", host="restored.example")],
           section: [item]}
    with Unchanged(d):
        assert_invalid(*d.http("POST", "/api/settings/backup", doc), field)


def test_omnirctl_import_and_restore_refuse(d, tmp_path):
    bad = dict(GOOD, name="ctl-bad", host="h.example", username="u\r\nX-Injected: 1",
               password="p")
    with Unchanged(d):
        rc, out, err = d.ctl("--json", "proxy", "import", "-",
                             input=json.dumps({"items": [bad]}))
        assert rc == 0, (out, err)     # the import ran; its row failed
        res = json.loads(out)
        assert res["failed"] == 1 and res["results"][0]["field"] == "items[0].username"
        doc = tmp_path / "restore.json"
        doc.write_text(json.dumps({"format": "omniroute-backup", "version": 1,
                                   "proxies": [dict(GOOD, name="ok", host="ok.example"),
                                               bad]}))
        assert_ctl_invalid(d, "proxies[1].username", "backup", "import", str(doc))


SCOPED_BAD = [(f, v, x, t) for f, v, x, t in BAD_FIELDS if f != "name"]


@pytest.mark.parametrize("field,value,extra,ptype", SCOPED_BAD,
                         ids=[i for i, b in zip(BAD_IDS, BAD_FIELDS) if b[0] != "name"])
def test_scoped_settings_refuse(d, field, value, extra, ptype):
    proxy = {"type": ptype, "host": "scoped.example", "port": 3128}
    proxy.update(extra)
    proxy[field] = value
    with Unchanged(d):
        assert_invalid(*d.http("PUT", SP, {"level": "global", "proxy": proxy}),
                       "proxy." + field)
        assert_invalid(*d.http("PUT", SP, {"providers": {"openai": proxy}}),
                       "providers.openai." + field)
        assert_invalid(*d.http("PUT", SP, {"global": proxy}), "global." + field)


def test_bulk_import_stores_the_good_rows_and_names_the_bad(d):
    items = [dict(GOOD, name="imp-good-1", host="imp1.example"),
             dict(GOOD, name="imp-bad", host="999.999.999.999"),
             dict(GOOD, name="imp-good-2", host="imp2.example"),
             dict(GOOD, name="imp-bad-2", host="imp3.example", username="a:b",
                  password="p")]
    status, res = d.http("POST", SET + "/bulk-import", {"items": items})
    assert status == 200, res
    assert (res["created"], res["failed"]) == (2, 2), res
    assert [r["success"] for r in res["results"]] == [True, False, True, False]
    assert res["results"][1]["field"] == "items[1].host"
    assert res["results"][3]["field"] == "items[3].username"
    hosts = {p["host"] for p in d.http("GET", SET)[1]["items"]}
    assert {"imp1.example", "imp2.example"} <= hosts
    assert not {"999.999.999.999", "imp3.example"} & hosts


def test_updates_check_the_record_as_it_will_be_stored(d):
    with Unchanged(d):
        # a SOCKS5 user name with ':' cannot become an HTTP one
        assert_invalid(*d.http("PATCH", V1, {"id": d.ids["socks"], "type": "http"}),
                       "username")
        assert_invalid(*d.http("PATCH", V1, {"id": d.ids["socks"], "type": "https"}),
                       "username")
        # a password on a proxy that has no user name would never be sent
        assert_invalid(*d.http("PATCH", V1, {"id": d.ids["bare"], "password": "x"}),
                       "password")
        assert_ctl_invalid(d, "password", "proxy", "update", "seed-bare",
                           "--password", "x")
        # the stored user name of an HTTP proxy cannot take a ':'
        assert_invalid(*d.http("PATCH", V1, {"id": d.ids["http"], "username": "a:b"}),
                       "username")
        # restoring onto an existing row (same host and port) checks it merged
        doc = {"format": "omniroute-backup", "version": 1,
               "proxies": [{"name": "seed-socks", "type": "http", "host": "127.0.0.1",
                            "port": 1080, "username": "***", "password": "***"}]}
        assert_invalid(*d.http("POST", "/api/settings/backup", doc), "proxies[0].username")
        status, res = d.http("POST", SET + "/bulk-import", {"items": [
            {"name": "seed-bare", "host": "b.example", "port": 3128, "password": "x"}]})
        assert status == 200 and res["failed"] == 1, res
        assert res["results"][0]["field"] == "items[0].password"


def test_what_can_be_dialled_is_still_accepted(d):
    accepted = [
        dict(name="ok-v6", host="::1", port=1),
        dict(name="ok-v6-brackets", host="[::2]", port=1),
        dict(name="ok-fqdn", host="p.example.", port=1),
        dict(name="ok-under", host="_p-1.example", port=1),
        dict(name="ok-socks-colon", type="socks5", host="127.0.0.2", port=1,
             username="a:b", password="p:w"),
        dict(name="ok-socks-255", type="socks5", host="127.0.0.3", port=1,
             username="u" * 255, password="\u00e9" * 127 + "p"),   # 255 bytes
        dict(name="n" * 120, host="127.0.0.4", port=1),
        dict(name="ok-notes", host="127.0.0.5", port=1, notes="line one\nline two\tx"),
    ]
    for rec in accepted:
        status, body = d.http("POST", V1, rec)
        assert status == 201, (rec, body)
        if rec["name"] == "ok-v6-brackets":
            assert body["host"] == "::2"       # stored without brackets
    status, body = d.http("POST", V1, dict(name="ok-v6-again", host="[::2]", port=1))
    assert status == 201 and body["host"] == "::2"


def test_legacy_migration_skips_what_could_never_be_dialled(daemon_factory):
    """The one-time migration of the legacy key_value config applies the same
    rules: undialable values are counted as invalid and not migrated."""
    d = daemon_factory("legacy")
    d.start()
    d.stop()
    db = sqlite3.connect(d.datadir + "/omniroute.db")
    rows = {"providers": json.dumps({
        "good": "http://good.example:8080",
        "bad-ip": "http://999.999.999.999:8080",
        "bad-user": "http://a%3Ab:pw@user.example:8080",      # ':' in an HTTP user
        "bad-pass": {"host": "pass.example", "port": 1, "password": "alone"},
        "bad-host": {"host": "h\r\nx.example", "port": 1}})}
    for k, v in rows.items():
        db.execute("INSERT INTO key_value (namespace, key, value) VALUES "
                   "('proxyConfig', ?, ?)", (k, v))
    db.execute("DELETE FROM meta WHERE key = 'legacy_migrated'")
    db.commit()
    db.close()
    d.start()
    status, res = d.http("POST", SET + "/migrate", {"force": True})
    assert status == 200 and res["migrated"] == 1 and res["invalid"] == 4, res
    hosts = [p["host"] for p in d.http("GET", SET)[1]["items"]]
    assert hosts == ["good.example"], hosts


# ---- provider base URLs -------------------------------------------------------------

BAD_BASE_URLS = [
    "http://" + "a" * 256 + "/v1",
    "http://" + ("a" * 63 + ".") * 4 + "example/v1",
    "http://999.999.999.999/v1",
    "http://1.2.3/v1",
    "http://h.example:0/v1",
    "http://h.example:65536/v1",
    "http://h.example:/v1",
    "http://h.example:8o/v1",
    "http://[::1/v1",
    "http://[::1]:0/v1",
    "http://[::1]x/v1",
    "http://[p.example]/v1",
    "http://::1/v1",
    "http://h\r\n.example/v1",
    "http://h .example/v1",
    "http://-h.example/v1",
]


@pytest.mark.parametrize("url", BAD_BASE_URLS, ids=range(len(BAD_BASE_URLS)))
def test_provider_base_url_refused(d, url):
    with Unchanged(d):
        assert_invalid(*d.http("POST", "/api/providers", {"id": "badprov", "baseUrl": url}),
                       "baseUrl")
        assert_invalid(*d.http("PATCH", "/api/providers", {"id": "seedprov", "baseUrl": url}),
                       "baseUrl")
        if "\r" not in url:
            assert_ctl_invalid(d, "baseUrl", "provider", "add", "badprov", "--base-url", url)


def test_provider_base_url_says_what_is_wrong_with_the_host(d):
    for url, words in (("http://" + "a" * 256 + "/v1", "longer than 255 bytes"),
                       ("http://999.999.999.999/v1", "not a valid IPv4 address"),
                       ("http://a..b/v1", "empty label")):
        status, body = d.http("POST", "/api/providers", {"id": "badprov", "baseUrl": url})
        assert_invalid(status, body, "baseUrl")
        assert words in body["error"]["details"][0]["message"], body


def test_provider_base_url_forms_still_accepted(d):
    for n, url in enumerate(("http://[::1]:11434/v1", "http://127.0.0.1:11434/v1",
                             "https://api.example.com/v1", "http://local_host:8080")):
        status, body = d.http("POST", "/api/providers", {"id": "okprov%d" % n, "baseUrl": url})
        assert status == 201, (url, body)


# ---- /api/upstream-proxy/{providerId} -----------------------------------------------

@pytest.mark.parametrize("body,field", [
    ({"mode": "native", "extra": 1}, "extra"),
    ({"mode": "bogus"}, "mode"),
    ({"mode": ""}, "mode"),
    ({"mode": None}, "mode"),
    ({"mode": 1}, "mode"),
    ({"enabled": "yes"}, "enabled"),
    ({"enabled": 1}, "enabled"),
    ({"enabled": "true"}, "enabled"),
    ({"enabled": None}, "enabled"),
])
def test_upstream_body_is_strict(d, body, field):
    with Unchanged(d):
        assert_invalid(*d.http("PUT", UP + "openai", body), field)


@pytest.mark.parametrize("segment", ["%0a", "%00", "..", "a%20b", "-x", "_x",
                                     "x" * 65, "a;b", "%2e%2e", "%20"])
def test_upstream_provider_id_refused(d, segment):
    with Unchanged(d):
        for method, body in (("PUT", {"mode": "native"}), ("GET", None), ("DELETE", None)):
            status, err = d.http(method, UP + segment, body)
            assert_invalid(status, err, "providerId")
    if "%" not in segment and not segment.startswith("-"):   # "-x" is an option
        assert_ctl_invalid(d, "providerId", "upstream", "set", segment, "native")


# ---- empty and blank ids -------------------------------------------------------------

@pytest.mark.parametrize("blank", ["", "  ", "\t"])
def test_assign_set_blank_proxy_id_changes_nothing(d, blank):
    with Unchanged(d):
        for path in (V1 + "/assignments", SET + "/assignments"):
            for scope, scope_id in (("global", None), ("provider", "openai")):
                assert_invalid(*d.http("PUT", path, {"scope": scope, "scopeId": scope_id,
                                                     "proxyId": blank}), "proxyId")
            assert_invalid(*d.http("PUT", path, {"scope": "provider", "scopeId": blank,
                                                 "proxyId": d.ids["http"]}), "scopeId")
        for path in (V1 + "/bulk-assign", SET + "/bulk-assign"):
            for method in ("PUT", "POST"):
                assert_invalid(*d.http(method, path, {"scope": "provider",
                                                      "scopeIds": ["openai"],
                                                      "proxyId": blank}), "proxyId")
                assert_invalid(*d.http(method, path, {"scope": "provider",
                                                      "scopeIds": [blank],
                                                      "proxyId": d.ids["http"]}), "scopeIds")
        assert_ctl_invalid(d, "proxyId", "assign", "set", "global", blank)
        assert_ctl_invalid(d, "proxyId", "assign", "set", "provider", "openai", blank)
        assert_ctl_invalid(d, "scopeId", "assign", "set", "provider", blank, d.ids["http"])
        assert_ctl_invalid(d, "proxyId", "assign", "bulk", "provider", blank, "openai")
    # the global assignment is still there and still decides
    status, r = d.http("GET", V1 + "/assignments?resolve_connection_id=nobody")
    assert status == 200 and r["level"] == "global" and r["proxyId"] == d.ids["http"], r


def test_assign_without_proxy_id_is_refused_removal_is_explicit(d):
    with Unchanged(d):
        assert_invalid(*d.http("PUT", V1 + "/assignments", {"scope": "global"}), "proxyId")
        assert_invalid(*d.http("PUT", V1 + "/bulk-assign", {"scope": "provider",
                                                            "scopeIds": ["openai"]}),
                       "proxyId")
    # null removes, and so does `assign remove`; then put them back
    status, r = d.http("PUT", V1 + "/assignments", {"scope": "account", "scopeId": "conn-1",
                                                     "proxyId": None})
    assert status == 200 and r == {"success": True, "assignment": None}
    assert d.ctl_json("assign", "remove", "provider", "openai") == {"success": True,
                                                                    "assignment": None}
    for scope, scope_id in (("provider", "openai"), ("account", "conn-1")):
        assert d.http("PUT", V1 + "/assignments", {"scope": scope, "scopeId": scope_id,
                                                    "proxyId": d.ids["http"]})[0] == 200


@pytest.mark.parametrize("blank", ["", "%20%20"])
def test_blank_ids_in_queries_are_400(d, blank):
    gets = [
        (V1 + "?id=" + blank, "id"),
        (V1 + "?id=%s&where_used=1" % blank, "id"),
        (SET + "?id=" + blank, "id"),
        (V1 + "/assignments?proxy_id=" + blank, "proxyId"),
        (V1 + "/assignments?scope_id=" + blank, "scopeId"),
        (V1 + "/assignments?resolve_connection_id=" + blank, "connectionId"),
        (V1 + "/assignments?resolve_connection_id=c&provider=" + blank, "provider"),
        (V1 + "/assignments?resolve_connection_id=c&combo=" + blank, "combo"),
        (SP + "?resolve=" + blank, "connectionId"),
        (SP + "?level=provider&id=" + blank, "id"),
        ("/api/providers?id=" + blank, "id"),
        ("/api/connections?id=" + blank, "id"),
        ("/api/connections?provider=" + blank, "provider"),
        ("/api/combos?name=" + blank, "name"),
    ]
    with Unchanged(d):
        for path, field in gets:
            status, body = d.http("GET", path)
            assert_invalid(status, body, field)
        for path, field in ((V1 + "?id=" + blank, "id"), (SET + "?id=" + blank, "id"),
                            (V1 + "?id=%s&force=1" % blank, "id"),
                            (SP + "?level=provider&id=" + blank, "id"),
                            ("/api/providers?id=" + blank, "id"),
                            ("/api/connections?id=" + blank, "id"),
                            ("/api/combos?name=" + blank, "name"),
                            ("/api/keys?id=" + blank, "id")):
            assert_invalid(*d.http("DELETE", path), field)
        plain = blank.replace("%20", " ")
        for path, body, field in (
                (V1 + "/test", {"id": plain}, "id"),
                (V1, {"id": plain, "name": "x"}, "id"),
                (SP, {"level": "provider", "id": plain, "proxy": None}, "id"),
                (SP, {"level": "global", "id": plain, "proxy": None}, "id")):
            method = "PATCH" if path == V1 else "PUT" if path == SP else "POST"
            assert_invalid(*d.http(method, path, body), field)


@pytest.mark.parametrize("segment", ["", "%20", "%20%09", "%zz", "%00"])
def test_blank_or_malformed_ids_in_paths_are_400(d, segment):
    """An id in the path is percent-decoded and never empty or blank: 400
    naming it, not a 404 or a lookup of the raw bytes."""
    with Unchanged(d):
        assert_invalid(*d.http("POST", "/api/providers/%s/test" % segment), "id")
        for method, body in (("GET", None), ("PUT", {"mode": "native"}), ("DELETE", None)):
            assert_invalid(*d.http(method, UP + segment, body), "providerId")


@pytest.mark.parametrize("blank", ["", "  "])
def test_blank_ids_in_omnirctl_are_400(d, blank):
    with Unchanged(d):
        for argv, field in ((("proxy", "get", blank), "id"),
                            (("proxy", "delete", blank), "id"),
                            (("proxy", "where-used", blank), "id"),
                            (("proxy", "test", blank), "id"),
                            (("proxy", "update", blank, "--name", "x"), "id"),
                            (("resolve", blank), "connectionId"),
                            (("conn", "get", blank), "id"),
                            (("conn", "delete", blank), "id"),
                            (("conn", "test", blank), "id"),
                            (("provider", "get", blank), "id"),
                            (("provider", "delete", blank), "id"),
                            (("combo", "get", blank), "name"),
                            (("combo", "delete", blank), "name"),
                            (("apikey", "delete", blank), "id"),
                            (("upstream", "delete", blank), "providerId")):
            assert_ctl_invalid(d, field, *argv)


# ---- listen: port 0 and other ports nobody can dial ----------------------------------

BAD_LISTEN = ["127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80", "[::1]:0",
              "127.0.0.1:http", "127.0.0.1:1,127.0.0.1:0"]


@pytest.mark.parametrize("listen", BAD_LISTEN, ids=range(len(BAD_LISTEN)))
def test_listen_bad_port_is_a_config_error(tmp_path, listen):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIROUTE_")}
    for argv in (["-n", "-l", listen], ["-l", listen]):
        p = subprocess.run([OMNIROUTED, "-D", str(tmp_path / "d")] + argv,
                           capture_output=True, text=True, timeout=30, env=env)
        assert p.returncode != 0, (argv, p.stderr)
        assert "listen" in p.stderr and "port must be 1..65535" in p.stderr, p.stderr
    cfg = tmp_path / "bad.conf"
    cfg.write_text("listen = %s\n" % listen)
    p = subprocess.run([OMNIROUTED, "-n", "-c", str(cfg), "-D", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=30, env=env)
    assert p.returncode != 0 and "listen" in p.stderr, p.stderr


def test_listen_port_0_refused_on_reload(tmp_path):
    port = free_port()
    cfg = tmp_path / "r.conf"
    cfg.write_text("listen = 127.0.0.1:%d\n" % port)
    daemon = Daemon(tmp_path / "data", workers=1, config=str(cfg))
    daemon.port = port
    daemon.argv = lambda: [OMNIROUTED, "-D", daemon.datadir, "-w", "1", "-c", str(cfg)]
    daemon.start()
    try:
        old = daemon.worker_pids()
        cfg.write_text("listen = 127.0.0.1:0\n")
        rc, out, err = daemon.ctl("reload")
        assert rc == 1, (out, err)
        assert "listen" in out + err and "port must be 1..65535" in out + err
        assert daemon.worker_pids() == old
        assert daemon.http("GET", "/healthz")[0] == 200
    finally:
        daemon.stop()
