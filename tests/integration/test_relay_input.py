"""What the relay takes from a client and passes back from a provider (issue 8):
only canonical /v1 paths leave (a '..', '.', empty segment, encoded '/',
backslash, NUL or fragment is 400 with the envelope, and the provider
stand-in records nothing); a body with two top-level "model" keys (plain,
escaped, in another case, cut by an escaped NUL) — or a form with two
"model" parts — is 400 before it is routed or logged, while nested "model"
keys pass; and X-OmniRoute-* headers a
provider sends never reach the client, which sees the daemon's own and one
X-Request-Id."""

import http.client
import json

import pytest

from conftest import new_proxy, wait_for
from test_logs import make, wait_access
from test_relay import CHAT, chat, d, provider  # noqa: F401 (fixtures)

import egress_env as env

MESSAGES = [{"role": "user", "content": "hi"}]
GOOD_BODY = json.dumps({"model": "openai/gpt-4o-mini", "messages": MESSAGES}).encode()


def send(d, method, target, body=None):
    """One request with the target and body bytes exactly as given."""
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, target, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def assert_invalid(r, data, field, words):
    """400 "Invalid request" with the envelope naming field, in words."""
    assert r.status == 400, (r.status, data)
    body = json.loads(data)
    err = body["error"]
    assert err["message"] == "Invalid request", body
    assert err["type"] == "invalid_request"
    assert [x["field"] for x in err["details"]] == [field], body
    assert words in err["details"][0]["message"], body
    assert body["requestId"] == r.getheader("X-Request-Id")
    return body


# ---- canonical paths ---------------------------------------------------------

BAD_PATHS = [
    ("/v1/../admin", "'.' or '..' segment"),
    ("/v1/chat/%2e%2e/x", "'.' or '..' segment"),
    ("/v1/chat/.%2E/completions", "'.' or '..' segment"),
    ("/v1/%2E%2e/chat/completions", "'.' or '..' segment"),
    ("/v1/./chat/completions", "'.' or '..' segment"),
    ("/v1/chat/completions/..", "'.' or '..' segment"),
    ("/v1/..;/chat/completions", "'.' or '..' segment"),
    ("/v1//chat/completions", "empty segment"),
    ("/v1/chat/completions/", "empty segment"),
    ("/v1/chat%2fcompletions", "encoded '/'"),
    ("/v1/chat%2Fcompletions", "encoded '/'"),
    ("/v1/chat\\completions", "backslash"),
    ("/v1/chat%5Ccompletions", "backslash"),
    ("/v1/chat/completions%00", "NUL"),
    ("/v1/chat/completions%0d%0aX-Injected:%201", "control character"),
    ("/v1/chat/completions#x", "fragment"),
    ("/v1/chat/completions?stream=1#x", "fragment"),   # smuggled in the query
    ("/v1/%252e%252e/chat/completions", "encoded '%'"),
    ("/v1/%c0%ae%c0%ae/chat/completions", "not UTF-8"),
    ("/v1/chat/completions%zz", "malformed percent-escape"),
]


@pytest.mark.parametrize("target,words", BAD_PATHS)
def test_bad_path_refused_and_nothing_leaves(d, provider, target, words):
    r, data = send(d, "POST", target, GOOD_BODY)
    assert_invalid(r, data, "path", words)
    # the stand-in records every request it reads: this call left nothing
    r, data = send(d, "POST", CHAT, GOOD_BODY)
    assert r.status == 200, data
    assert [q.path for q in provider.requests] == [CHAT]


@pytest.mark.parametrize("target,words", [
    ("/v1/models/../chat/completions", "'.' or '..' segment"),
    ("/v1/models/openai/../../admin", "'.' or '..' segment"),
    ("/v1/models/openai%2Fgpt-4o", "encoded '/'"),
    ("/v1/models/openai//gpt-4o", "empty segment"),
    ("/v1/models/", "empty segment"),
    ("/v1/models#x", "fragment"),
    ("/v1/models?x=1#y", "fragment"),
])
def test_bad_model_list_path_refused(d, provider, target, words):
    r, data = send(d, "GET", target)
    assert_invalid(r, data, "path", words)
    assert len(provider.requests) == 0
    r, data = send(d, "GET", "/v1/models/openai/gpt-4o")
    assert r.status == 200, data
    assert [q.path for q in provider.requests] == ["/v1/models/gpt-4o"]


def test_bad_path_through_a_proxy_leaves_nothing(d, provider, peers):
    """With a proxy assigned, the refusal comes before the egress: the proxy
    sees no connection either."""
    ms = peers(env.microsocks)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "global", p["id"])
    r, data = send(d, "POST", "/v1/chat/%2e%2e/%2e%2e/admin", GOOD_BODY)
    assert_invalid(r, data, "path", "'.' or '..' segment")
    assert len(provider.requests) == 0
    tunnel = "connected to localhost:%d" % provider.port
    assert tunnel not in ms.read_log()
    r, data = send(d, "POST", CHAT, GOOD_BODY)
    assert r.status == 200 and r.getheader("X-OmniRoute-Proxy-Id") == p["id"]
    assert len(provider.requests) == 1
    assert wait_for(lambda: tunnel in ms.read_log()), ms.read_log()


def test_canonical_paths_relay_with_the_query_unchanged(d, provider):
    target = CHAT + "?api-version=2024-02-01&x=..%2F..&y=%23&z=/a//b\\c"
    r, data = send(d, "POST", target, GOOD_BODY)
    assert r.status == 200, data
    assert provider.requests[-1].path == target
    # names with dots, encoded dots and non-ASCII are names: they go as written
    for target in ("/v1/x.y/.well-known/%2ex/caf%C3%A9;v=1", "/v1/...", "/v1/a%2E"):
        r, data = send(d, "POST", target, GOOD_BODY)
        assert r.status == 404, (target, data)        # the stand-in's own 404
        assert provider.requests[-1].path == target
    assert len(provider.requests) == 4


# ---- duplicate "model" keys --------------------------------------------------

DUPLICATE_BODIES = [
    b'{"model":"openai/gpt-4o-mini","mod\\u0065l":"openai/gpt-4o","messages":[]}',
    b'{"mod\\u0065l":"openai/gpt-4o","model":"openai/gpt-4o-mini","messages":[]}',
    b'{"model":"openai/gpt-4o-mini","model":"openai/gpt-4o","messages":[]}',
    b'{"\\u006d\\u006F\\u0064\\u0065\\u006c":"openai/gpt-4o","model":"openai/gpt-4o-mini"}',
    b'{"model":"openai/gpt-4o-mini","Model":"openai/gpt-4o"}',
    b'{"model":"openai/gpt-4o-mini","model\\u0000":"openai/gpt-4o"}',
    b'{"model":"openai\\/gpt-4o-mini","model":"openai/gpt-4o","messages":[]}',
]


@pytest.mark.parametrize("body", DUPLICATE_BODIES)
def test_duplicate_model_refused_and_nothing_leaves(d, provider, body):
    r, data = send(d, "POST", CHAT, body)
    assert_invalid(r, data, "model", "top-level \"model\" keys")
    r, data = send(d, "POST", CHAT, GOOD_BODY)
    assert r.status == 200, data
    assert len(provider.requests) == 1
    assert provider.requests[0].json()["model"] == "gpt-4o-mini"


def test_duplicate_model_is_not_logged_as_routed(daemon_factory, tmp_path, ca, provider):
    """The access log line of a refused body names no model and no provider."""
    d = make(daemon_factory, tmp_path, ca, provider, name="dup",
             env={"OMNIROUTE_WORKERS": "1"})
    r, data = send(d, "POST", CHAT, DUPLICATE_BODIES[0])
    assert r.status == 400, data
    line = wait_access(d.paths["access"], r.getheader("X-Request-Id"))
    assert line["status"] == "400"
    assert (line["model"], line["provider"], line["connection"]) == ("", "", "")
    assert len(provider.requests) == 0


def test_nested_model_keys_and_one_escaped_name_pass(d, provider):
    body = (b'{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi",'
            b'"model":"x","model":"y"}],"metadata":{"model":"a","mod\\u0065l":"b"},'
            b'"tools":[{"model":1}]}')
    r, data = send(d, "POST", CHAT, body)
    assert r.status == 200, data
    sent = provider.requests[-1].json()
    assert sent["model"] == "gpt-4o-mini"
    assert sent["metadata"] == {"model": "b"}      # Python keeps the last
    # a single escaped name is the model, routed and rewritten as such
    r, data = send(d, "POST", CHAT, b'{"mod\\u0065l":"openai/gpt-4o","messages":[]}')
    assert r.status == 200, data
    assert provider.requests[-1].json() == {"model": "gpt-4o", "messages": []}
    assert len(provider.requests) == 2


def form(*dispositions, boundary="omniTEST42"):
    parts = [b"--%s\r\nContent-Disposition: %s\r\n\r\n%s\r\n" % (
        boundary.encode(), disp.encode(), value.encode()) for disp, value in dispositions]
    return b"".join(parts) + b"--%s--\r\n" % boundary.encode()


@pytest.mark.parametrize("second", [
    'form-data; name="model"', 'form-data; NAME="model"', "form-data; name=model"])
def test_form_with_two_model_fields_refused(d, provider, second):
    """The audio upload twin of two "model" keys: two parts a reader takes for
    the "model" field (also in the forms python-multipart or Go accept)."""
    ctype = "multipart/form-data; boundary=omniTEST42"
    body = form(('form-data; name="file"; filename="a.wav"', "RIFF"),
                ('form-data; name="model"', "openai/whisper-1"),
                (second, "openai/gpt-4o-transcribe"))
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    c.request("POST", "/v1/audio/transcriptions", body=body, headers={"Content-Type": ctype})
    r = c.getresponse()
    assert_invalid(r, r.read(), "model", "more than one \"model\" field")
    c.close()
    # one model field: relayed, its value rewritten
    body = form(('form-data; name="file"; filename="a.wav"', "RIFF"),
                ('form-data; name="model"', "openai/whisper-1"),
                ('form-data; name="models"', "x"))
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
    c.request("POST", "/v1/audio/transcriptions", body=body, headers={"Content-Type": ctype})
    r = c.getresponse()
    assert r.status == 200, r.read()
    c.close()
    assert len(provider.requests) == 1
    assert provider.requests[0].body == body.replace(b"openai/whisper-1", b"whisper-1")


# ---- headers from the provider -----------------------------------------------

SPOOFED = {"X-OmniRoute-Proxy-Id": "spoofed", "x-omniroute-connection": "x",
           "X-OMNIROUTE-PROXY-LEVEL": "global", "X-OmniRoute-Extra": "1",
           "X-Request-Id": "req-upstream-1", "X-Kept": "yes"}


@pytest.mark.parametrize("stream", [False, True])
def test_provider_marker_headers_never_reach_the_client(d, provider, stream):
    provider.script(CHAT, headers=SPOOFED, times=1)
    r, data = chat(d, stream=stream)
    assert r.status == 200, data
    names = [k.lower() for k, _ in r.getheaders()]
    markers = sorted(n for n in names if n.startswith("x-omniroute-"))
    assert markers == ["x-omniroute-connection", "x-omniroute-proxy-id",
                       "x-omniroute-proxy-level"], r.getheaders()
    assert r.getheader("X-OmniRoute-Connection") == d.conn["id"]
    assert r.getheader("X-OmniRoute-Proxy-Level") == "direct"
    assert r.getheader("X-OmniRoute-Proxy-Id") == "none"
    # one X-Request-Id, the daemon's; the provider's under its own name
    assert names.count("x-request-id") == 1
    assert r.getheader("X-Request-Id") != "req-upstream-1"
    assert r.getheader("X-Upstream-Request-Id") == "req-upstream-1"
    # other provider headers still pass
    assert r.getheader("X-Kept") == "yes"
    # the stand-in did send them
    head = provider.requests[-1].response_head
    assert b"X-OmniRoute-Proxy-Id: spoofed" in head and b"x-omniroute-connection: x" in head


def test_provider_marker_headers_dropped_on_a_proxied_error(d, provider, peers):
    ms = peers(env.microsocks)
    p = new_proxy(d, type="socks5", host="127.0.0.1", port=ms.port)
    d.ctl_json("assign", "set", "provider", "openai", p["id"])
    provider.script(CHAT, status=400, headers=SPOOFED, times=1)
    r, data = chat(d)
    assert r.status == 400, data
    assert r.getheader("X-OmniRoute-Proxy-Id") == p["id"]
    assert r.getheader("X-OmniRoute-Proxy-Level") == "provider"
    assert r.getheader("X-OmniRoute-Connection") == d.conn["id"]
    assert [k.lower() for k, _ in r.getheaders()].count("x-omniroute-proxy-id") == 1
    assert r.getheader("X-OmniRoute-Extra") is None
