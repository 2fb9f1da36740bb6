"""The proxy registry over the HTTP management API (API.md, "Proxy registry"):
every call with its success shape and its error envelope."""

import re

from conftest import new_proxy

V1 = "/api/v1/management/proxies"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def assert_envelope(body, status_type, message=None):
    assert set(body) == {"error", "requestId"}, body
    assert UUID.match(body["requestId"])
    assert body["error"]["type"] == status_type
    if message is not None:
        assert body["error"]["message"] == message


def test_create_returns_redacted_record(daemon):
    status, rec = daemon.http("POST", V1, {
        "name": "  US Proxy ", "type": "HTTP", "host": "localhost",
        "port": "8080", "username": "alice", "password": "s3cret", "region": "US"})
    assert status == 201
    assert UUID.match(rec["id"])
    assert rec["name"] == "US Proxy"
    assert rec["type"] == "http"
    assert rec["port"] == 8080
    assert rec["username"] == "***" and rec["password"] == "***"
    assert rec["region"] == "US" and rec["notes"] is None
    assert rec["status"] == "active" and rec["source"] == "manual"
    assert ISO.match(rec["createdAt"]) and ISO.match(rec["updatedAt"])


def test_credentials_are_encrypted_at_rest(daemon):
    import sqlite3
    rec = new_proxy(daemon, username="alice", password="hunter2-unique")
    db = sqlite3.connect(daemon.datadir + "/omniroute.db")
    row = db.execute("SELECT username, password FROM proxy_registry WHERE id=?",
                     (rec["id"],)).fetchone()
    db.close()
    assert row[0].startswith("enc:v1:") and row[1].startswith("enc:v1:")
    raw = open(daemon.datadir + "/omniroute.db", "rb").read()
    assert b"hunter2-unique" not in raw


def test_empty_credentials_stay_empty(daemon):
    rec = new_proxy(daemon)
    assert rec["username"] == "" and rec["password"] == ""


def test_get_one_and_unknown(daemon):
    rec = new_proxy(daemon)
    status, got = daemon.http("GET", V1 + "?id=" + rec["id"])
    assert status == 200 and got == rec
    status, body = daemon.http("GET", V1 + "?id=nope")
    assert status == 404
    assert_envelope(body, "not_found", "Proxy not found")


def test_list_pagination_newest_first(daemon):
    ids = [new_proxy(daemon, name="P%d" % i, host="h%d.example" % i)["id"] for i in range(5)]
    status, page = daemon.http("GET", V1 + "?limit=2&offset=1")
    assert status == 200
    assert page["page"] == {"limit": 2, "offset": 1, "total": 5}
    assert [p["id"] for p in page["items"]] == list(reversed(ids))[1:3]
    status, page = daemon.http("GET", V1 + "?limit=0")
    assert page["page"]["limit"] == 1
    status, page = daemon.http("GET", V1 + "?limit=9999")
    assert page["page"]["limit"] == 200


def test_list_bad_numbers_are_400(daemon):
    for q in ("limit=abc", "offset=1x", "limit=1.5"):
        status, body = daemon.http("GET", V1 + "?" + q)
        assert status == 400, q
        assert_envelope(body, "invalid_request", "Invalid request")
        assert body["error"]["details"][0]["field"] in ("limit", "offset")


def test_create_validation_lists_every_bad_field(daemon):
    status, body = daemon.http("POST", V1, {"name": "", "host": "", "port": 0,
                                            "type": "ftp", "extra": 1})
    assert status == 400
    assert_envelope(body, "invalid_request", "Invalid request")
    fields = {d["field"] for d in body["error"]["details"]}
    assert fields == {"name", "host", "port", "type", "extra"}


def test_create_rejects_host_with_scheme(daemon):
    status, body = daemon.http("POST", V1, {"name": "x", "host": "http://a.b", "port": 1})
    assert status == 400
    assert body["error"]["details"][0]["field"] == "host"


def test_invalid_json_body(daemon):
    status, body = daemon.http("POST", V1, raw_body=b"{", headers={"Content-Type": "application/json"})
    assert status == 400
    assert_envelope(body, "invalid_request", "Invalid JSON body")


def test_patch_keeps_omitted_fields(daemon):
    rec = new_proxy(daemon, type="socks5", status="inactive", username="u", password="p")
    status, upd = daemon.http("PATCH", V1, {"id": rec["id"], "name": "renamed"})
    assert status == 200
    assert upd["name"] == "renamed"
    assert upd["type"] == "socks5" and upd["status"] == "inactive"   # FIX: not reset
    assert upd["username"] == "***" and upd["password"] == "***"
    status, upd = daemon.http("PATCH", V1, {"id": rec["id"], "username": "", "password": ""})
    assert upd["username"] == "***"                                  # empty keeps
    status, body = daemon.http("PATCH", V1, {"id": "missing", "name": "x"})
    assert status == 404
    assert_envelope(body, "not_found", "Proxy not found")
    status, body = daemon.http("PATCH", V1, {"name": "x"})
    assert status == 400 and body["error"]["details"][0]["field"] == "id"


def test_delete_conflict_and_force(daemon):
    rec = new_proxy(daemon)
    status, _ = daemon.http("PUT", V1 + "/assignments", {"scope": "global", "proxyId": rec["id"]})
    assert status == 200
    status, body = daemon.http("DELETE", V1 + "?id=" + rec["id"])
    assert status == 409
    assert_envelope(body, "conflict",
                    "Proxy is still assigned. Remove assignments first or use force=true")
    status, body = daemon.http("DELETE", V1 + "?id=" + rec["id"] + "&force=1")
    assert status == 200 and body == {"success": True}
    status, page = daemon.http("GET", V1 + "/assignments")
    assert page["items"] == []
    status, body = daemon.http("DELETE", V1 + "?id=" + rec["id"])
    assert status == 404


def test_where_used(daemon):
    rec = new_proxy(daemon)
    for pid in ("openai", "anthropic"):
        daemon.http("PUT", V1 + "/assignments", {"scope": "provider", "scopeId": pid,
                                                 "proxyId": rec["id"]})
    status, body = daemon.http("GET", V1 + "?id=%s&where_used=1" % rec["id"])
    assert status == 200 and body["count"] == 2
    assert {a["scopeId"] for a in body["assignments"]} == {"openai", "anthropic"}
    status, body = daemon.http("GET", "/api/settings/proxies?id=%s&whereUsed=1" % rec["id"])
    assert body["count"] == 2


def test_dashboard_twin_list_is_unpaginated(daemon):
    for i in range(3):
        new_proxy(daemon, host="t%d.example" % i)
    status, body = daemon.http("GET", "/api/settings/proxies")
    assert status == 200 and body["total"] == 3 and len(body["items"]) == 3
    assert "page" not in body


def test_bulk_import_upserts_by_host_port(daemon):
    existing = new_proxy(daemon, name="old", host="a.example", port=1080, username="keep")
    status, body = daemon.http("POST", "/api/settings/proxies/bulk-import", {"items": [
        {"name": "A", "host": "a.example", "port": 1080, "region": "EU"},
        {"name": "B", "host": "b.example", "port": 3128},
        {"name": "C", "host": "c.example", "port": 99999},
    ]})
    assert status == 200
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 1)
    assert body["results"][0] == {"name": "A", "success": True, "action": "updated",
                                  "id": existing["id"]}
    assert body["results"][2]["success"] is False and "port" in body["results"][2]["error"]
    status, rec = daemon.http("GET", V1 + "?id=" + existing["id"])
    assert rec["region"] == "EU" and rec["username"] == "***"


def test_socks5_disabled_refused_at_create(daemon_factory):
    d = daemon_factory(env={"ENABLE_SOCKS5_PROXY": "false"}).start()
    status, body = d.http("POST", V1, {"name": "s", "type": "socks5", "host": "s.example",
                                       "port": 1080})
    assert status == 400
    assert body["error"]["details"][0]["message"] == \
        "SOCKS5 proxy is disabled (set ENABLE_SOCKS5_PROXY=true to enable)"


def test_unknown_api_path_and_wrong_method(daemon):
    status, body = daemon.http("GET", "/api/v1/management/nothing")
    assert status == 404
    assert_envelope(body, "not_found")
    status, body = daemon.http("PUT", V1)
    assert status == 405
    assert_envelope(body, "invalid_request")


def test_health_reports_zero_traffic(daemon):
    rec = new_proxy(daemon, name="Stats")
    status, body = daemon.http("GET", V1 + "/health")
    assert status == 200 and body["windowHours"] == 24 and body["total"] == 1
    item = body["items"][0]
    assert item["proxyId"] == rec["id"] and item["totalRequests"] == 0
    assert item["successRate"] is None and item["avgLatencyMs"] is None
    status, body = daemon.http("GET", V1 + "/health?hours=100000")
    assert body["windowHours"] == 720
    status, body = daemon.http("GET", V1 + "/health?hours=abc")
    assert status == 400


def test_health_weighs_folded_rows_by_their_calls(daemon):
    import sqlite3
    rec = new_proxy(daemon, name="Folded")
    db = sqlite3.connect(daemon.datadir + "/omniroute.db")
    now = __import__("datetime").datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # 9 successes averaging 100 ms in one row, 1 timeout of 1000 ms in another
    for i, (st, ms, calls) in enumerate((("success", 100, 9), ("timeout", 1000, 1))):
        db.execute("INSERT INTO proxy_logs (id, timestamp, status, proxy_id, latency_ms, calls) "
                   "VALUES (?, ?, ?, ?, ?, ?)", ("f%d" % i, now, st, rec["id"], ms, calls))
    db.commit()
    db.close()
    status, body = daemon.http("GET", V1 + "/health")
    item = [i for i in body["items"] if i["proxyId"] == rec["id"]][0]
    assert (item["totalRequests"], item["successCount"], item["errorCount"],
            item["timeoutCount"]) == (10, 9, 0, 1)
    assert item["successRate"] == 90 and item["avgLatencyMs"] == 190


def test_health_counts_logged_outcomes(daemon):
    import sqlite3
    rec = new_proxy(daemon, name="Stats")
    db = sqlite3.connect(daemon.datadir + "/omniroute.db")
    now = __import__("datetime").datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for i, (st, ms) in enumerate((("success", 100), ("error", 250), ("timeout", 400))):
        db.execute("INSERT INTO proxy_logs (id, timestamp, status, proxy_id, latency_ms) "
                   "VALUES (?, ?, ?, ?, ?)", ("l%d" % i, now, st, rec["id"], ms))
    db.commit()
    db.close()
    status, body = daemon.http("GET", V1 + "/health")
    item = body["items"][0]
    assert (item["totalRequests"], item["successCount"], item["errorCount"],
            item["timeoutCount"]) == (3, 1, 1, 1)
    assert item["successRate"] == 33.33 and item["avgLatencyMs"] == 250
    assert item["lastSeenAt"] == now


def test_proxy_names_are_unique_case_insensitive(daemon):
    first = new_proxy(daemon, name="EU exit", host="127.0.0.2")
    second = new_proxy(daemon, name="EU backup", host="127.0.0.3")
    status, listing = daemon.http("GET", V1)
    total = listing["page"]["total"]
    # create: 409 conflict naming the holder
    status, body = daemon.http("POST", V1, {"name": " eu EXIT ", "host": "127.0.0.4",
                                            "port": 3128})
    assert status == 409, body
    assert_envelope(body, "conflict")
    assert "'EU exit'" in body["error"]["message"] and first["id"] in body["error"]["message"]
    # rename onto another proxy's name: 409, nothing changed
    status, body = daemon.http("PATCH", V1, {"id": second["id"], "name": "Eu Exit",
                                             "port": 1})
    assert status == 409, body
    assert_envelope(body, "conflict")
    status, rec = daemon.http("GET", V1 + "?id=" + second["id"])
    assert (rec["name"], rec["port"]) == ("EU backup", 8080)
    # a proxy may keep its own name, or change its case
    status, rec = daemon.http("PATCH", V1, {"id": first["id"], "name": "EU EXIT"})
    assert status == 200 and rec["name"] == "EU EXIT", rec
    # bulk import: the row with a taken name fails alone
    status, body = daemon.http("POST", "/api/settings/proxies/bulk-import", {"items": [
        {"name": "eu backup", "host": "127.0.0.5", "port": 1},
        {"name": "EU third", "host": "127.0.0.6", "port": 1}]})
    assert status == 200 and (body["created"], body["failed"]) == (1, 1), body
    assert body["results"][0]["success"] is False and body["results"][0]["status"] == 409
    status, listing = daemon.http("GET", V1)
    assert listing["page"]["total"] == total + 1


def test_a_proxy_can_be_named_where_its_id_goes(daemon):
    rec = new_proxy(daemon, name="Named One", host="127.0.0.2")
    status, got = daemon.http("GET", V1 + "?id=named%20one")
    assert status == 200 and got["id"] == rec["id"], got
    status, body = daemon.http("PUT", V1 + "/assignments", {
        "scope": "provider", "scopeId": "openai", "proxyId": "NAMED ONE"})
    assert status == 200 and body["assignment"]["proxyId"] == rec["id"], body
    status, body = daemon.http("DELETE", V1 + "?id=Named%20One")
    assert status == 409, body
    assert body["error"]["message"] == ("Proxy is still assigned. Remove assignments "
                                        "first or use force=true")
    status, body = daemon.http("GET", V1 + "?id=nobody")
    assert status == 404 and body["error"]["message"] == "Proxy not found"
