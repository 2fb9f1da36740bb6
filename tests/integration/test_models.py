"""GET /v1/models end to end: omnirouted asks every provider with an active
connection for its models — through the proxy the registry assigns, exactly
as the relay would leave — at once, and answers one OpenAI-shaped list with
the ids prefixed "provider/", plus the combos. Two TLS provider stand-ins
(OpenAI and Anthropic shapes); microsocks proves from its own log that the
fetch went through it. A provider that is refused (inactive proxy), cannot be
reached (dead proxy), answers 500, sends bad JSON or too much is left out and
named in "errors" without failing the call or leaking proxy credentials.
Also: REQUIRE_API_KEY, GET /v1/models/{provider/model} (and 404), a combo by
name, the outcome reaching proxy health, and a client that leaves mid-fetch."""

import http.client
import json
import socket
import time

import pytest

import egress_env as env
from conftest import new_proxy, wait_for
from provider_standin import CREATED, ProviderStandIn

OPENAI_MODELS = ["gpt-4o", "gpt-4o-mini"]
ANTHROPIC_MODELS = ["claude-sonnet-4-20250514", "claude-3-haiku-20240307"]


@pytest.fixture(scope="module")
def oa(ca):
    s = ProviderStandIn(ca, models=OPENAI_MODELS)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def an(ca):
    s = ProviderStandIn(ca, models=ANTHROPIC_MODELS)
    yield s
    s.stop()


def configure(dd, oa, an):
    dd.ctl_json("provider", "update", "openai", "--base-url", oa.url("/v1"))
    dd.ctl_json("provider", "update", "anthropic", "--base-url", an.url("/v1"))
    dd.oa_conn = dd.ctl_json("conn", "add", "openai", "--name", "main", "--key", "sk-oa")
    dd.an_conn = dd.ctl_json("conn", "add", "anthropic", "--name", "main",
                             "--key", "sk-an")
    return dd


ENV = {"OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
       "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "2000"}


@pytest.fixture
def d(daemon_factory, ca, oa, an):
    oa.reset()
    an.reset()
    e = dict(ENV, OMNIROUTE_CA_FILE=ca.ca)
    return configure(daemon_factory(env=e).start(), oa, an)


def models(d, path="/v1/models", headers=None):
    status, body = d.http("GET", path, headers=headers)
    return status, body


def ids(body):
    return [m["id"] for m in body["data"]]


def test_two_providers_listed_and_prefixed(d, oa, an):
    status, body = models(d)
    assert status == 200, body
    assert body["object"] == "list"
    assert "errors" not in body
    assert sorted(ids(body)) == sorted(["openai/" + m for m in OPENAI_MODELS] +
                                       ["anthropic/" + m for m in ANTHROPIC_MODELS])
    by_id = {m["id"]: m for m in body["data"]}
    assert by_id["openai/gpt-4o"] == {"id": "openai/gpt-4o", "object": "model",
                                      "created": CREATED, "owned_by": "openai"}
    # Anthropic's shape (created_at, no owned_by) comes back in OpenAI's
    assert by_id["anthropic/claude-3-haiku-20240307"] == {
        "id": "anthropic/claude-3-haiku-20240307", "object": "model",
        "created": CREATED, "owned_by": "anthropic"}
    # each provider was asked once, with its own key and headers
    (o,) = oa.requests.snapshot()
    assert (o.method, o.route, o.bearer) == ("GET", "/v1/models", "sk-oa")
    assert "anthropic-version" not in o.headers
    (a,) = an.requests.snapshot()
    assert (a.method, a.route) == ("GET", "/v1/models")
    assert a.path == "/v1/models?limit=1000"         # Anthropic pages 20 by default
    assert a.headers["x-api-key"] == "sk-an" and "authorization" not in a.headers
    assert a.headers["anthropic-version"] == "2023-06-01"


def test_combos_are_listed(d, oa, an):
    d.ctl_json("combo", "add", "fast", "openai/gpt-4o-mini", "anthropic/claude-3-haiku-20240307")
    d.ctl_json("combo", "add", "smart", "openai/gpt-4o")
    status, body = models(d)
    assert status == 200, body
    combos = [m for m in body["data"] if m["owned_by"] == "combo"]
    assert combos == [{"id": "fast", "object": "model", "created": 0, "owned_by": "combo"},
                      {"id": "smart", "object": "model", "created": 0, "owned_by": "combo"}]
    assert ids(body)[-2:] == ["fast", "smart"]      # after the providers' models
    # a combo name is a model a client can retrieve, without asking anyone
    n = len(oa.requests)
    status, one = models(d, "/v1/models/fast")
    assert status == 200 and one == combos[0]
    assert len(oa.requests) == n


def test_no_active_connection_lists_only_combos(daemon_factory, ca, oa, an):
    oa.reset()
    an.reset()
    dd = daemon_factory(name="bare", env=dict(ENV, OMNIROUTE_CA_FILE=ca.ca)).start()
    dd.ctl_json("provider", "update", "openai", "--base-url", oa.url("/v1"))
    assert models(dd) == (200, {"object": "list", "data": []})
    conn = dd.ctl_json("conn", "add", "openai", "--name", "off", "--key", "sk-off")
    dd.ctl_json("conn", "update", conn["id"], "--status", "inactive")
    dd.ctl_json("combo", "add", "fast", "openai/gpt-4o")
    assert models(dd) == (200, {"object": "list", "data": [
        {"id": "fast", "object": "model", "created": 0, "owned_by": "combo"}]})
    assert len(oa.requests) == 0 and len(an.requests) == 0


def test_fetch_goes_through_the_assigned_microsocks(d, oa, an, peers):
    ms = peers(env.microsocks)
    p = new_proxy(d, name="ms", type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "provider", "openai", p["id"])
    status, body = models(d)
    assert status == 200, body
    assert "errors" not in body
    assert "openai/gpt-4o" in ids(body) and "anthropic/claude-3-haiku-20240307" in ids(body)
    # the proxy's own log: it connected to the OpenAI stand-in, and only there
    assert wait_for(lambda: "connected to localhost:%d" % oa.port in ms.read_log()), \
        ms.read_log()
    assert ":%d" % an.port not in ms.read_log()
    # the fetch reported its outcome like a relay attempt: it counts for the proxy
    def counted():
        items = d.ctl_json("proxy", "health")["items"]
        item = [i for i in items if i["proxyId"] == p["id"]]
        return item and item[0]["totalRequests"] == 1 and item[0]["successCount"] == 1
    assert wait_for(counted), d.ctl_json("proxy", "health")


def test_inactive_assigned_proxy_is_refused_and_named(d, oa, an):
    off = new_proxy(d, name="off", type="socks5", host="127.0.0.1", port=1,
                    username="user1", password="s3cret-pw", status="inactive")
    d.ctl_json("assign", "set", "provider", "anthropic", off["id"])
    status, body = models(d)
    assert status == 200, body
    assert ids(body) == ["openai/" + m for m in OPENAI_MODELS]
    assert body["errors"] == [{
        "provider": "anthropic", "connection": d.an_conn["id"], "stage": "resolve",
        "status": None, "code": "PROXY_ASSIGNED_UNAVAILABLE",
        "message": body["errors"][0]["message"]}]
    assert "inactive" in body["errors"][0]["message"]
    assert len(an.requests) == 0                     # never sent direct
    assert "s3cret-pw" not in json.dumps(body)


def test_fail_open_goes_direct_past_an_inactive_proxy(daemon_factory, ca, oa, an):
    oa.reset()
    an.reset()
    dd = configure(daemon_factory(name="open", env=dict(
        ENV, OMNIROUTE_CA_FILE=ca.ca, PROXY_FAIL_OPEN="true")).start(), oa, an)
    off = new_proxy(dd, name="off", host="127.0.0.1", port=1, status="inactive")
    dd.ctl_json("assign", "set", "global", off["id"])
    status, body = models(dd)
    assert status == 200 and "errors" not in body and len(ids(body)) == 4, body


def test_dead_proxy_is_named_without_its_credentials(d, oa, an):
    dead = new_proxy(d, name="dead", type="socks5", host="127.0.0.1",
                     port=env.free_port(), username="user1", password="s3cret-pw")
    d.ctl_json("assign", "set", "account", d.oa_conn["id"], dead["id"])
    status, body = models(d)
    assert status == 200, body
    assert ids(body) == ["anthropic/" + m for m in ANTHROPIC_MODELS]
    (e,) = body["errors"]
    assert (e["provider"], e["connection"], e["stage"], e["status"], e["code"]) == (
        "openai", d.oa_conn["id"], "connect", None, "PROXY_UNREACHABLE")
    assert "SOCKS5 proxy" in e["message"]
    assert "s3cret-pw" not in json.dumps(body) and "user1" not in json.dumps(body)
    assert len(oa.requests) == 0
    assert "s3cret-pw" not in d.read_log()


def test_provider_failures_leave_the_others_listed(d, oa, an):
    oa.script("/v1/models", status=500, times=1)
    status, body = models(d)
    assert status == 200, body
    assert ids(body) == ["anthropic/" + m for m in ANTHROPIC_MODELS]
    (e,) = body["errors"]
    assert (e["provider"], e["connection"], e["stage"], e["status"], e["code"]) == (
        "openai", d.oa_conn["id"], "response", 500, "UPSTREAM_STATUS")
    assert e["message"] == "openai answered 500"
    # not JSON
    oa.script("/v1/models", body=b"<html>oops</html>", times=1)
    status, body = models(d)
    assert status == 200 and len(ids(body)) == len(ANTHROPIC_MODELS)
    assert (body["errors"][0]["stage"], body["errors"][0]["status"]) == ("body", 200)
    assert "not JSON" in body["errors"][0]["message"]
    # JSON, but no list
    an.script("/v1/models", body={"models": []}, times=1)
    status, body = models(d)
    assert ids(body) == ["openai/" + m for m in OPENAI_MODELS]
    assert "\"data\" array" in body["errors"][0]["message"]
    # and everything is back on the next call
    status, body = models(d)
    assert "errors" not in body and len(ids(body)) == 4


def test_fails_over_to_the_next_connection_like_the_relay(daemon_factory, ca, oa, an):
    oa.reset()
    an.reset()
    # one worker: a connection's cool-down is kept per worker
    d = configure(daemon_factory(workers=1, env=dict(ENV, OMNIROUTE_CA_FILE=ca.ca)).start(),
                  oa, an)
    second = d.ctl_json("conn", "add", "openai", "--name", "second", "--key", "sk-oa2")
    oa.script("/v1/models", status=401, times=1)          # the first key is refused
    status, body = models(d)
    assert status == 200, body
    assert "errors" not in body and len(ids(body)) == 4
    assert [r.bearer for r in oa.requests.snapshot()] == ["sk-oa", "sk-oa2"]
    # the refused connection rests: the next list goes to the second at once
    status, body = models(d)
    assert status == 200 and "errors" not in body
    assert [r.bearer for r in oa.requests.snapshot()][2:] == ["sk-oa2"]
    # a 500 from the last usable connection ends in one error entry naming it
    oa.script("/v1/models", status=500, times=1)   # the first one rests
    status, body = models(d)
    (e,) = body["errors"]
    assert (e["provider"], e["connection"], e["status"]) == ("openai", second["id"], 500)


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_chunked_list_is_reassembled(d, oa, an, size):
    oa.script("/v1/models", chunked=size, times=1)
    status, body = models(d)
    assert status == 200 and "errors" not in body, body
    assert oa.requests[-1].response_head.count(b"Transfer-Encoding: chunked") == 1
    assert ids(body)[:2] == ["openai/" + m for m in OPENAI_MODELS]


@pytest.mark.parametrize("framing", ["length", "until_close", "chunked"])
def test_body_over_4_mib_is_cut_and_said(d, oa, an, framing):
    huge = {"data": [{"id": "m-%07d" % i} for i in range(250000)]}   # ~5 MiB
    opts = {"until_close": {"until_close": True}, "chunked": {"chunked": 65536},
            "length": {}}[framing]
    oa.script("/v1/models", body=huge, times=1, **opts)
    status, body = models(d)
    assert status == 200, body
    (e,) = body["errors"]
    assert e["provider"] == "openai" and e["stage"] == "body"
    assert e["code"] == "UPSTREAM_TOO_LARGE" and "4 MiB" in e["message"]
    assert ids(body) == ["anthropic/" + m for m in ANTHROPIC_MODELS]


def test_providers_are_asked_at_once(d, oa, an):
    oa.script("/v1/models", slow_head=1.0, times=1)
    an.script("/v1/models", slow_head=1.0, times=1)
    t0 = time.time()
    status, body = models(d)
    took = time.time() - t0
    assert status == 200 and len(ids(body)) == 4, body
    assert 0.9 < took < 1.8, took


def test_require_api_key(daemon_factory, ca, oa, an):
    oa.reset()
    an.reset()
    dd = configure(daemon_factory(name="keys", env=dict(
        ENV, OMNIROUTE_CA_FILE=ca.ca, REQUIRE_API_KEY="true")).start(), oa, an)
    key = dd.ctl_json("apikey", "add", "ci")["key"]
    status, body = models(dd)
    assert status == 401, body
    assert body["error"]["type"] == "unauthorized"
    status, body = models(dd, "/v1/models/openai/gpt-4o",
                          headers={"Authorization": "Bearer wrong"})
    assert status == 401
    assert len(oa.requests) == 0 and len(an.requests) == 0
    status, body = models(dd, headers={"Authorization": "Bearer " + key})
    assert status == 200 and len(ids(body)) == 4, body
    status, body = models(dd, headers={"x-api-key": key})
    assert status == 200
    # the client's key never goes upstream
    assert all(r.bearer == "sk-oa" for r in oa.requests)


def test_one_model(d, oa, an, peers):
    ms = peers(env.microsocks)
    p = new_proxy(d, name="ms", type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "global", p["id"])
    status, body = models(d, "/v1/models/openai/gpt-4o")
    assert status == 200, body
    assert body == {"id": "openai/gpt-4o", "object": "model", "created": CREATED,
                    "owned_by": "openai"}
    req = oa.requests[-1]
    assert (req.method, req.path, req.bearer) == ("GET", "/v1/models/gpt-4o", "sk-oa")
    assert wait_for(lambda: "connected to localhost:%d" % oa.port in ms.read_log())
    # Anthropic's object, completed for OpenAI clients; its own fields kept
    status, body = models(d, "/v1/models/anthropic/claude-3-haiku-20240307")
    assert status == 200, body
    assert body["id"] == "anthropic/claude-3-haiku-20240307"
    assert (body["object"], body["created"], body["owned_by"]) == (
        "model", CREATED, "anthropic")
    assert body["display_name"] == "claude-3-haiku-20240307"
    assert an.requests[-1].headers["x-api-key"] == "sk-an"
    # a percent-encoded slash is not a canonical /v1 path (API.md): 400
    n = len(oa.requests)
    status, body = models(d, "/v1/models/openai%2Fgpt-4o-mini")
    assert status == 400 and body["error"]["details"][0]["field"] == "path", body
    assert len(oa.requests) == n
    # the provider does not know it: 404 in the relay's error shape
    status, body = models(d, "/v1/models/openai/gpt-9")
    assert status == 404, body
    assert body["error"]["code"] == "model_not_found"
    assert body["error"]["type"] == "not_found" and "openai/gpt-9" in body["error"]["message"]
    assert "requestId" in body
    # nobody knows it
    n = len(oa.requests)
    status, body = models(d, "/v1/models/nosuch/x")
    assert status == 404 and body["error"]["code"] == "model_not_found"
    # a name that would climb out of {base}/models is refused before leaving
    status, body = models(d, "/v1/models/openai/../../admin")
    assert status == 400, body
    assert len(oa.requests) == n


def test_one_model_failures(d, oa, an):
    oa.script("/v1/models", status=500, times=1)
    status, body = models(d, "/v1/models/openai/gpt-4o")
    assert status == 502 and body["error"]["code"] == "UPSTREAM_STATUS", body
    off = new_proxy(d, name="off", host="127.0.0.1", port=1, status="inactive")
    d.ctl_json("assign", "set", "provider", "openai", off["id"])
    n = len(oa.requests)
    status, body = models(d, "/v1/models/openai/gpt-4o")
    assert status == 503 and body["error"]["code"] == "PROXY_ASSIGNED_UNAVAILABLE", body
    assert len(oa.requests) == n
    status, body = models(d, "/v1/models/groq/llama")     # no connection
    assert status == 503 and "no active connection" in body["error"]["message"]


def test_only_get(d):
    status, body = d.http("POST", "/v1/models", body={"model": "openai/gpt-4o"})
    assert status == 405, body
    status, body = d.http("DELETE", "/v1/models/openai/gpt-4o")
    assert status == 405


def test_client_that_leaves_mid_fetch(d, oa, an):
    oa.script("/v1/models", slow_head=2.0, times=1)
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    time.sleep(0.3)
    s.close()
    time.sleep(0.2)
    assert d.http("GET", "/healthz")[0] == 200
    # keep-alive: two lists on one connection
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    for _ in range(2):
        c.request("GET", "/v1/models")
        r = c.getresponse()
        assert r.status == 200 and len(json.loads(r.read())["data"]) == 4
    c.close()
