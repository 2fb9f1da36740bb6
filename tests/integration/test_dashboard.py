"""The dashboard's serving (issue 12, worker/dashboard.c): / redirects to
/dashboard; the page and its files come from the binary (dashboard/embed.sh)
with an ETag (304 on a match, weak or strong, and on "*"), gzip when the
client accepts it (and the same bytes once inflated), HEAD, a strict
Content-Security-Policy of its own origin, nosniff, no referrer, no frame
around it; only GET and HEAD; an unknown file is a 404; the page refers to
nothing outside its own origin and carries no inline script or style; the
browser rules of API.md (Host) hold here too; with a management key the page
is served (it asks for the key) while the API still wants it."""

import gzip
import os
import http.client
import re

import pytest


@pytest.fixture
def d(daemon_factory):
    return daemon_factory().start()


def get(d, path, method="GET", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def assets_of(page):
    """Every same-origin path the page loads: scripts, styles, icons."""
    return re.findall(r'(?:src|href)="(/dashboard/[^"]+)"', page)


def check_page_headers(r):
    csp = r.getheader("Content-Security-Policy")
    assert csp is not None
    rules = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";"))
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == "'self'" and rules["style-src"] == "'self'"
    assert rules["connect-src"] == "'self'" and rules["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp and "http" not in csp
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    assert r.getheader("Referrer-Policy") == "no-referrer"
    assert r.getheader("X-Frame-Options") == "DENY"


def test_root_redirects_to_the_dashboard(d):
    r, _ = get(d, "/")
    assert r.status == 302 and r.getheader("Location") == "/dashboard"
    check_page_headers(r)
    r, body = get(d, "/", method="HEAD")
    assert r.status == 302 and body == b""


def test_page_and_its_files(d):
    r, body = get(d, "/dashboard")
    assert r.status == 200, body
    assert r.getheader("Content-Type") == "text/html; charset=utf-8"
    check_page_headers(r)
    page = body.decode()
    assert '<script type="module" src="/dashboard/app.js"></script>' in page
    # nothing inline: every script has a src, no style element or attribute
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "<style" not in page and "style=" not in page
    assert 'rel="icon"' in page
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
             ".svg": "image/svg+xml"}
    files = assets_of(page)
    assert {f.rsplit(".", 1)[1] for f in files} == {"js", "css", "svg"}
    for path in files:
        r, body = get(d, path)
        assert r.status == 200 and body, path
        assert r.getheader("Content-Type") == types["." + path.rsplit(".", 1)[1]]
        check_page_headers(r)
        # the page loads nothing from elsewhere: no absolute URL in any file
        assert re.search(rb"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", body) is None or \
            path.endswith(".svg"), path
    # the SVG names its XML namespace, nothing it loads
    r, body = get(d, "/dashboard/favicon.svg")
    assert re.findall(rb'(?:href|src)="https?:', body) == []
    # the icon a browser asks for by habit is there too
    r2, body2 = get(d, "/favicon.ico")
    assert r2.status == 200 and body2 == body
    assert r2.getheader("Content-Type") == "image/svg+xml"


def test_etag_and_not_modified(d):
    r, body = get(d, "/dashboard/app.js")
    tag = r.getheader("ETag")
    assert re.fullmatch(r'"[0-9a-f]{24}"', tag), tag
    assert r.getheader("Cache-Control") == "no-cache"
    for sent in (tag, "W/" + tag, '"other", ' + tag, "*"):
        r2, body2 = get(d, "/dashboard/app.js", headers={"If-None-Match": sent})
        assert r2.status == 304 and body2 == b"", sent
        assert r2.getheader("ETag") == tag
    r3, body3 = get(d, "/dashboard/app.js", headers={"If-None-Match": '"other"'})
    assert r3.status == 200 and body3 == body
    # each file its own tag
    r4, _ = get(d, "/dashboard/style.css")
    assert r4.getheader("ETag") != tag


def test_gzip_when_accepted(d):
    plain_r, plain = get(d, "/dashboard/app.js")
    assert plain_r.getheader("Content-Encoding") is None
    assert plain_r.getheader("Vary") == "Accept-Encoding"
    r, body = get(d, "/dashboard/app.js", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert r.getheader("Content-Encoding") == "gzip"
    assert int(r.getheader("Content-Length")) == len(body) < len(plain)
    assert gzip.decompress(body) == plain
    assert r.getheader("ETag") == plain_r.getheader("ETag")
    for refused in ("gzip;q=0", "identity", "*;q=0", "gzip;q=7"):
        r, body = get(d, "/dashboard/app.js", headers={"Accept-Encoding": refused})
        assert r.getheader("Content-Encoding") is None and body == plain, refused


def test_head_unknown_and_methods(d):
    r, full = get(d, "/dashboard")
    r2, body = get(d, "/dashboard", method="HEAD")
    assert r2.status == 200 and body == b""
    assert r2.getheader("Content-Length") == r.getheader("Content-Length")
    r, body = get(d, "/dashboard/")
    assert r.status == 200 and body == full
    for path in ("/dashboard/nope.js", "/dashboard/index.htm", "/dashboard/app.js/x",
                 "/dashboard/../api/v1/management/proxies", "/dashboardx"):
        r, body = get(d, path)
        assert r.status == 404, (path, body)
    r, body = get(d, "/dashboard", method="POST", headers={"Content-Length": "0"})
    assert r.status == 405 and r.getheader("Allow") == "GET, HEAD"


def test_browser_rules_hold_for_the_page(d):
    # a page reached through a name that is not loopback (DNS rebinding)
    r, _ = get(d, "/dashboard", headers={"Host": "attacker.example"})
    assert r.status == 403
    r, _ = get(d, "/dashboard", headers={"Host": "localhost:%d" % d.port})
    assert r.status == 200


def test_with_a_management_key(daemon_factory):
    d = daemon_factory(env={"OMNIROUTE_API_KEY": "dash-key-123"}).start()
    r, body = get(d, "/dashboard")
    assert r.status == 200 and b"dash-key-123" not in body
    r, _ = get(d, "/api/v1/management/proxies")
    assert r.status == 401
    r, _ = get(d, "/api/v1/management/proxies",
               headers={"Authorization": "Bearer dash-key-123"})
    assert r.status == 200


DASHBOARD_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dashboard")


def test_every_module_is_served_and_self_contained(d):
    """Each page's module (loaded by the router, not named in index.html) is
    in the binary, loads nothing from elsewhere, and writes no HTML from
    strings and no inline style (the CSP would block it)."""
    modules = sorted(f for f in os.listdir(DASHBOARD_SOURCE) if f.endswith(".js"))
    assert {"app.js", "core.js", "proxies.js", "pools.js", "providers.js", "oneproxy.js",
            "health.js"} <= set(modules)
    for name in modules:
        r, body = get(d, "/dashboard/" + name)
        assert r.status == 200, name
        with open(os.path.join(DASHBOARD_SOURCE, name), "rb") as f:
            assert body == f.read(), name
        # the SVG namespace is a name, never fetched
        assert re.search(rb"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/",
                         body.replace(b"http://www.w3.org/2000/svg", b"")) is None, name
        assert re.search(rb"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|"
                         rb"new Function\(|\.style\.|setAttribute\(\"style\"", body) is None, name


def test_stylesheet_blocks_are_balanced():
    """A page's rules start at the top level: a block left open (an unclosed
    @media) would make every later page's rules apply only inside it."""
    with open(os.path.join(DASHBOARD_SOURCE, "style.css")) as f:
        css = f.read()
    depth = 0
    for number, line in enumerate(css.splitlines(), 1):
        if "/* page:" in line:
            assert depth == 0, "style.css:%d starts a page's rules inside a block" % number
        code = re.sub(r"/\*.*?\*/", "", line)
        depth += code.count("{") - code.count("}")
        assert depth >= 0, "style.css:%d closes a block never opened" % number
    assert depth == 0, "style.css ends inside %d open block(s)" % depth
