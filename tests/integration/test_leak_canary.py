"""The leak canary: with a proxy assigned, nothing leaves for a provider or a
CLIProxyAPI except through that proxy — on every path, in normal operation
and when the proxy is dead, inactive or refuses the credentials (API.md
"What is proxied", "Resolution", "Upstream proxy modes"; issue 8).

How a direct connection is told from a proxied one: the provider stand-in
and the fake CLIProxyAPI listen on 127.0.0.1 and record the source address
of every TCP connection they accept (ProviderStandIn.sources). The daemon's
own connections to 127.0.0.1 come from 127.0.0.1; each proxy listens on
another loopback address and dials out from it (egress_env.microsocks and
tinyproxy with `address`, fake_proxy with `address`). So the figure is
simple: every source a stand-in saw must be a proxy's address — 0 direct
connections — and a call that cannot leave through its proxy is refused, so
the stand-ins see nothing at all.

The CLIProxyAPI hop is tested with a CLIPROXYAPI_URL whose host is a name,
cliproxy.test, that the daemon's own hosts file (CARES_HOSTS, read by c-ares)
maps to 127.0.0.1: a name is not a loopback literal, so the hop is an egress
and must go through the call's proxy. The fake proxies used there resolve
every name to 127.0.0.1 too (the system resolver does not know the name).
With a loopback CLIPROXYAPI_URL the hop is local: direct, labelled
`delegated`, whatever is assigned — and `fallback` still never turns an
egress failure into a CLIProxyAPI call.

The counts (connections checked, calls refused) are printed at the end of
the module's run."""

import http.client
import json

import pytest

import egress_env as env
from conftest import new_proxy
from fake_proxy import FakeConnect, FakeSocks5
from provider_standin import ProviderStandIn
from test_logs import wait_access

KEY = "sk-canary-key"
MODEL = "openai/gpt-4o-mini"
HOP_NAME = "cliproxy.test"
LEVELS = ["global", "provider", "account"]
# each level's proxy listens on, and leaves from, its own loopback address
ADDRESS = {"global": "127.0.0.11", "provider": "127.0.0.12", "account": "127.0.0.13"}
# lower levels get a dead proxy of their own, so only the level under test can carry
DEAD_ADDRESS = {"global": "127.0.0.21", "provider": "127.0.0.22"}
FAILURES = ["dead", "inactive", "wrong-credentials"]

FIGURES = {"proxied connections checked": 0, "direct connections": 0,
           "refused calls checked": 0, "delegated hops (loopback CLIProxyAPI)": 0}


@pytest.fixture(scope="module", autouse=True)
def report_figures(request):
    yield
    line = "leak canary: " + ", ".join("%s %d" % kv for kv in FIGURES.items())
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + line)


@pytest.fixture(scope="module")
def cli(ca):
    """The fake CLIProxyAPI (plain HTTP, OpenAI and Anthropic shapes)."""
    s = ProviderStandIn(ca, tls=False, pause=0.01, addresses=["127.0.0.1"])
    yield s
    s.stop()


@pytest.fixture
def make_daemon(daemon_factory, tmp_path, ca, provider, cli):
    """A daemon whose openai provider is the stand-in (by number) with one
    connection; CLIPROXYAPI_URL a name (default) or given."""
    def make(cliproxyapi_url=None, env_extra=None):
        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 %s\n" % HOP_NAME)
        e = {"OMNIROUTE_CA_FILE": ca.ca, "CARES_HOSTS": str(hosts),
             "CLIPROXYAPI_URL": cliproxyapi_url or "http://%s:%d" % (HOP_NAME, cli.port),
             "OMNIROUTE_CONNECT_TIMEOUT_MS": "3000",
             "OMNIROUTE_PROXY_HANDSHAKE_TIMEOUT_MS": "3000"}
        e.update(env_extra or {})
        provider.reset()
        cli.reset()
        d = daemon_factory(env=e).start()
        d.ctl_json("provider", "update", "openai", "--base-url",
                   provider.url("/v1", host="127.0.0.1"))
        d.conn = d.ctl_json("conn", "add", "openai", "--name", "canary", "--key", KEY)
        return d
    return make


# ---- helpers ------------------------------------------------------------------

def assign(d, level, proxy_id):
    scope_id = {"global": [], "provider": ["openai"], "account": [d.conn["id"]]}[level]
    d.ctl_json("assign", "set", level, *scope_id, proxy_id)


def dead_port(address):
    """A port nothing listens on at address."""
    return env.free_port_on([address])


def assign_dead_below(d, level):
    """A dead proxy at each level below `level`: if the level under test were
    skipped, the call would fail, and it could never go direct."""
    for lower in LEVELS[:LEVELS.index(level)]:
        p = new_proxy(d, type="socks5", host=DEAD_ADDRESS[lower],
                      port=dead_port(DEAD_ADDRESS[lower]))
        assign(d, lower, p["id"])


def post(d, path, body, headers=None, raw=None):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    h = {"Content-Type": "application/json", "Authorization": "Bearer client-key"}
    h.update(headers or {})
    c.request("POST", path, body=raw if raw is not None else json.dumps(body), headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def multipart_audio():
    boundary = "canaryB0undary"
    body = (b"--%(b)s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
            b"Content-Type: audio/wav\r\n\r\nRIFF....WAVE\r\n"
            b"--%(b)s\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
            b"openai/whisper-1\r\n--%(b)s--\r\n") % {b"b": boundary.encode()}
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


MESSAGES = [{"role": "user", "content": "canary"}]
RELAYED = [
    ("chat", "/v1/chat/completions", {"model": MODEL, "messages": MESSAGES}, None),
    ("chat-sse", "/v1/chat/completions", {"model": MODEL, "messages": MESSAGES,
                                          "stream": True}, None),
    ("completions", "/v1/completions", {"model": MODEL, "prompt": "canary"}, None),
    ("responses", "/v1/responses", {"model": MODEL, "input": "canary"}, None),
    ("messages", "/v1/messages", {"model": MODEL, "max_tokens": 5, "messages": MESSAGES},
     {"anthropic-version": "2023-06-01"}),
    ("embeddings", "/v1/embeddings", {"model": "openai/text-embedding-3-small",
                                      "input": "canary"}, None),
    ("images", "/v1/images/generations", {"model": "openai/dall-e-3", "prompt": "canary"},
     None),
]


def every_path(d):
    """Each thing that leaves for the provider on the connection's behalf, once:
    [(name, ok, detail)] where ok is (status, level, proxyId) for relayed calls,
    the models answer's openai ids for GET /v1/models, and the probe's answer
    for connection tests."""
    out = []
    for name, path, body, headers in RELAYED:
        r, data = post(d, path, body, headers)
        out.append((name, (r.status, r.getheader("X-OmniRoute-Proxy-Level"),
                           r.getheader("X-OmniRoute-Proxy-Id")), data))
    raw, headers = multipart_audio()
    r, data = post(d, "/v1/audio/transcriptions", None, headers, raw=raw)
    out.append(("audio", (r.status, r.getheader("X-OmniRoute-Proxy-Level"),
                          r.getheader("X-OmniRoute-Proxy-Id")), data))
    status, body = d.http("GET", "/v1/models")
    assert status == 200, body
    out.append(("models", [m["id"] for m in body["data"] if m["id"].startswith("openai/")],
                body.get("errors")))
    status, res = d.http("POST", "/api/providers/%s/test" % d.conn["id"])
    assert status == 200, res
    out.append(("conn-test-http", res, None))
    out.append(("conn-test-ctl", d.probe_json("conn", "test", d.conn["id"]), None))
    return out


def count_sources(*standins, allowed):
    """The canary: every connection each stand-in accepted came from an
    allowed (proxy) address. Returns how many were checked."""
    seen = [a for s in standins for a in s.sources.snapshot()]
    direct = [a for a in seen if a not in allowed]
    FIGURES["direct connections"] += len(direct)
    assert direct == [], "direct connections from %s (allowed: %s)" % (direct, allowed)
    FIGURES["proxied connections checked"] += len(seen)
    return len(seen)


def start_proxy(peers, kind, address, **kw):
    """A real proxy on address that leaves from address: (fields, peer)."""
    if kind == "socks5":
        peer = peers(env.microsocks, address=address, **kw)
    else:
        peer = peers(env.tinyproxy, address=address, **kw)
    return dict(type=kind, host=address, port=peer.port), peer


def failing_proxy(d, peers, kind, failure, address):
    """A proxy record that cannot carry a call: nothing listening, inactive
    (its server is up and would work), or a server refusing its password."""
    if failure == "dead":
        return new_proxy(d, type=kind, host=address, port=dead_port(address))
    if failure == "inactive":
        fields, _ = start_proxy(peers, kind, address)
        return new_proxy(d, status="inactive", **fields)
    fields, _ = start_proxy(peers, kind, address, user="canary", password="right-pw")
    return new_proxy(d, username="canary", password="wrong-pw", **fields)


def failing_fake(d, fakes, kind, failure, address):
    """The same, with the fake proxies (which resolve cliproxy.test)."""
    if failure == "dead":
        return new_proxy(d, type=kind, host=address, port=dead_port(address))
    if kind == "socks5":
        f = fakes(FakeSocks5, address=address,
                  auth_reply=b"\x01\x01" if failure == "wrong-credentials" else b"\x01\x00")
    else:
        f = fakes(FakeConnect, address=address,
                  head=b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
                  if failure == "wrong-credentials" else
                  b"HTTP/1.1 200 Connection established\r\n\r\n")
    return new_proxy(d, type=kind, host=address, port=f.port, username="canary",
                     password="wrong-pw",
                     status="inactive" if failure == "inactive" else "active")


def refusal(data):
    err = json.loads(data)["error"]
    return err.get("code"), err["message"]


# ---- every provider path, through the proxy ------------------------------------

@pytest.mark.parametrize("kind", ["socks5", "http"])
@pytest.mark.parametrize("level", LEVELS)
def test_every_path_leaves_through_the_assigned_proxy(make_daemon, provider, peers, level,
                                                      kind):
    d = make_daemon()
    assign_dead_below(d, level)
    fields, _ = start_proxy(peers, kind, ADDRESS[level])
    p = new_proxy(d, **fields)
    assign(d, level, p["id"])
    results = every_path(d)
    for name, ok, detail in results:
        if name == "models":
            assert "openai/gpt-4o" in ok and detail is None, (name, ok, detail)
        elif name.startswith("conn-test"):
            assert ok["success"] is True and ok["status"] == 200, (name, ok)
            assert (ok["level"], ok["proxyId"]) == (level, p["id"]), (name, ok)
        else:
            assert ok == (200, level, p["id"]), (name, ok, detail[:300])
    assert {q.bearer or q.headers.get("x-api-key") for q in provider.requests} == {KEY}
    n = count_sources(provider, allowed={ADDRESS[level]})
    assert n >= len(results)        # proxied connections are not kept by default


@pytest.mark.parametrize("kind", ["socks5", "http"])
@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("level", LEVELS)
def test_every_path_is_refused_when_the_proxy_cannot_carry_it(make_daemon, provider, peers,
                                                               level, failure, kind):
    d = make_daemon()
    p = failing_proxy(d, peers, kind, failure, ADDRESS[level])
    assign(d, level, p["id"])
    results = every_path(d)
    for name, ok, detail in results:
        if name == "models":
            assert ok == [], (name, ok)
            assert [e["provider"] for e in detail] == ["openai"], detail
        elif name.startswith("conn-test"):
            assert ok["success"] is False, (name, ok)
        else:
            assert ok[0] in (502, 503), (name, ok, detail[:300])
            code, message = refusal(detail)
            if failure == "inactive":
                assert code == "PROXY_ASSIGNED_UNAVAILABLE", (name, code, message)
            else:
                assert code == "PROXY_UNREACHABLE", (name, code, message)
    # nothing reached the provider, from anywhere
    assert provider.sources.snapshot() == [] and len(provider.requests) == 0
    FIGURES["refused calls checked"] += len(results)


# ---- the CLIProxyAPI hop to a name: an egress like any other ----------------

@pytest.mark.parametrize("kind", ["socks5", "http"])
@pytest.mark.parametrize("level", LEVELS)
def test_cliproxyapi_hop_leaves_through_the_calls_proxy(make_daemon, provider, cli, fakes,
                                                        level, kind):
    d = make_daemon()
    assign_dead_below(d, level)
    f = fakes(FakeSocks5 if kind == "socks5" else FakeConnect, address=ADDRESS[level])
    p = new_proxy(d, type=kind, host=ADDRESS[level], port=f.port)
    assign(d, level, p["id"])

    status, rec = d.http("PUT", "/api/upstream-proxy/openai", {"mode": "cliproxyapi"})
    assert status == 200 and rec["mode"] == "cliproxyapi", rec
    for name, path, body, headers in RELAYED[:2] + RELAYED[4:5]:   # chat, SSE, messages
        r, data = post(d, path, body, headers)
        assert r.status == 200, (name, data[:300])
        assert (r.getheader("X-OmniRoute-Proxy-Level"), r.getheader("X-OmniRoute-Proxy-Id"),
                r.getheader("X-OmniRoute-Connection")) == (level, p["id"], d.conn["id"])
        got = cli.requests[-1]
        assert got.bearer == KEY            # the connection's key, through its proxy
        assert got.route == ("/v1/messages" if name == "messages" else "/v1/chat/completions")
        assert got.headers["host"] == "%s:%d" % (HOP_NAME, cli.port)
    assert len(provider.requests) == 0
    # a name is not loopback: resolve shows the ordinary resolution
    status, res = d.http("GET", "/api/settings/proxy?resolve=" + d.conn["id"])
    assert (res["level"], res["proxyId"]) == (level, p["id"]), res

    # fallback: native through the proxy; the provider's 500 or 429 sends the
    # call, with the same connection, to CLIProxyAPI through the same proxy
    d.ctl_json("upstream", "set", "openai", "fallback")
    n_cli = len(cli.requests)
    r, data = post(d, *RELAYED[0][1:3])
    assert r.status == 200 and len(cli.requests) == n_cli       # native answered
    for answer in (500, 429):
        provider.script("/v1/chat/completions", status=answer, times=1)
        r, data = post(d, *RELAYED[0][1:3])
        assert r.status == 200, data
        assert (r.getheader("X-OmniRoute-Proxy-Level"), r.getheader("X-OmniRoute-Proxy-Id"),
                r.getheader("X-OmniRoute-Connection")) == (level, p["id"], d.conn["id"])
        assert cli.requests[-1].bearer == KEY
        assert provider.requests[-1].status == answer
    assert len(cli.requests) == n_cli + 2
    count_sources(provider, cli, allowed={ADDRESS[level]})


@pytest.mark.parametrize("mode", ["cliproxyapi", "fallback"])
@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("level", LEVELS)
def test_cliproxyapi_hop_is_refused_when_the_proxy_cannot_carry_it(
        make_daemon, provider, cli, fakes, level, failure, mode):
    d = make_daemon()
    kind = "socks5" if LEVELS.index(level) % 2 == 0 else "http"
    p = failing_fake(d, fakes, kind, failure, ADDRESS[level])
    assign(d, level, p["id"])
    d.ctl_json("upstream", "set", "openai", mode)
    for name, path, body, headers in RELAYED[:2] + RELAYED[4:5]:
        r, data = post(d, path, body, headers)
        assert r.status in (502, 503), (name, r.status, data[:300])
        code, message = refusal(data)
        # fallback fails with the native attempt's own error
        assert code == ("PROXY_ASSIGNED_UNAVAILABLE" if failure == "inactive"
                        else "PROXY_UNREACHABLE"), (name, code, message)
        FIGURES["refused calls checked"] += 1
    assert len(cli.requests) == 0 and cli.sources.snapshot() == []
    assert len(provider.requests) == 0 and provider.sources.snapshot() == []


# ---- a loopback CLIProxyAPI: local, delegated ----------------------------------

def explain_verdicts(res):
    return [(e["level"], e["verdict"]) for e in res["explain"]]


def test_loopback_cliproxyapi_is_delegated_and_fallback_never_reaches_it(
        make_daemon, provider, cli, peers, tmp_path):
    access = str(tmp_path / "access.log")
    d = make_daemon("http://127.0.0.1:%d" % cli.port,
                    env_extra={"OMNIROUTE_ACCESS_LOG": access})
    dead = new_proxy(d, type="socks5", host=ADDRESS["account"],
                     port=dead_port(ADDRESS["account"]))
    off = new_proxy(d, type="socks5", host=ADDRESS["global"], port=1, status="inactive")
    assign(d, "account", dead["id"])
    assign(d, "global", off["id"])

    # cliproxyapi: the hop is local, direct whatever is assigned, and says so
    d.ctl_json("upstream", "set", "openai", "cliproxyapi")
    r, data = post(d, *RELAYED[0][1:3])
    assert r.status == 200, data
    assert (r.getheader("X-OmniRoute-Proxy-Level"), r.getheader("X-OmniRoute-Proxy-Id"),
            r.getheader("X-OmniRoute-Connection")) == ("delegated", "none", d.conn["id"])
    assert cli.requests[-1].bearer == KEY and len(provider.requests) == 0
    assert cli.sources.snapshot() == ["127.0.0.1"]
    FIGURES["delegated hops (loopback CLIProxyAPI)"] += 1
    line = wait_access(access, r.getheader("X-Request-Id"))
    assert (line["proxyLevel"], line["proxyId"]) == ("delegated", "")
    # resolve tells the same, on every entry point
    for path in ("/api/settings/proxy?resolve=%s",
                 "/api/v1/management/proxies/assignments?resolve_connection_id=%s",
                 "/api/settings/proxies/assignments?resolveConnectionId=%s"):
        status, res = d.http("GET", path % d.conn["id"])
        assert status == 200, res
        assert (res["level"], res["levelId"], res["proxy"], res["proxyId"],
                res["refused"]) == ("delegated", "openai", None, None, False), res
        assert ("account", "delegated to CLIProxyAPI") in explain_verdicts(res), res
    res = d.ctl_json("resolve", d.conn["id"])
    assert res["level"] == "delegated"
    assert ("account", "delegated to CLIProxyAPI") in explain_verdicts(res)
    rc, out, err = d.ctl("resolve", d.conn["id"])
    assert rc == 0 and "delegated" in out.split("\n")[0], out
    assert "none: delegated to CLIProxyAPI on loopback" in out, out
    assert "verdict=delegated to CLIProxyAPI" in out, out

    # fallback: the native attempt meets the dead proxy and fails with that;
    # CLIProxyAPI is never asked
    d.ctl_json("upstream", "set", "openai", "fallback")
    n_cli = len(cli.requests)
    r, data = post(d, *RELAYED[0][1:3])
    assert r.status == 502 and refusal(data)[0] == "PROXY_UNREACHABLE", data
    assert len(cli.requests) == n_cli and len(cli.sources) == 1
    # resolve shows the native resolution (the dead proxy is still the one assigned)
    status, res = d.http("GET", "/api/settings/proxy?resolve=" + d.conn["id"])
    assert (res["level"], res["proxyId"]) == ("account", dead["id"]), res
    # an inactive one: refused, again without CLIProxyAPI
    assign(d, "account", off["id"])
    r, data = post(d, *RELAYED[0][1:3])
    assert r.status == 503 and refusal(data)[0] == "PROXY_ASSIGNED_UNAVAILABLE", data
    assert len(cli.requests) == n_cli
    status, res = d.http("GET", "/api/settings/proxy?resolve=" + d.conn["id"])
    assert res["refused"] is True and res["level"] == "account", res

    # a live proxy and the provider's own 500: native through the proxy, then
    # the delegated hop
    fields, _ = start_proxy(peers, "socks5", "127.0.0.14")
    live = new_proxy(d, **fields)
    assign(d, "account", live["id"])
    provider.script("/v1/chat/completions", status=500, times=1)
    r, data = post(d, *RELAYED[0][1:3])
    assert r.status == 200, data
    assert (r.getheader("X-OmniRoute-Proxy-Level"),
            r.getheader("X-OmniRoute-Proxy-Id")) == ("delegated", "none")
    assert len(cli.requests) == n_cli + 1
    FIGURES["delegated hops (loopback CLIProxyAPI)"] += 1
    count_sources(provider, allowed={"127.0.0.14"})


def test_a_direct_call_says_none(make_daemon, provider):
    d = make_daemon()
    r, data = post(d, *RELAYED[0][1:3])
    assert r.status == 200
    assert (r.getheader("X-OmniRoute-Proxy-Level"), r.getheader("X-OmniRoute-Proxy-Id")) == (
        "direct", "none")
    d.ctl_json("assign", "set", "provider", "openai", "direct")
    r, data = post(d, *RELAYED[0][1:3])
    assert (r.getheader("X-OmniRoute-Proxy-Level"), r.getheader("X-OmniRoute-Proxy-Id")) == (
        "provider", "none")
    # and the canary does see a direct connection for what it is
    assert provider.sources.snapshot() and set(provider.sources.snapshot()) == {"127.0.0.1"}
