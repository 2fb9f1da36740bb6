"""Rules of the source tree that a reviewer would otherwise have to remember:
worker/egress.c is the only file that opens outbound connections (the two
Unix-socket control paths are the listed exceptions), and no file logs an
Authorization or Proxy-Authorization header."""

import os
import re

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CONNECT = re.compile(r"(\bconnect|bufferevent_socket_connect|evutil_socket_connect"
                     r"|bufferevent_socket_connect_hostname)\s*\(")
# Local control paths: AF_UNIX only, never provider or proxy traffic.
UNIX_SOCKET_ONLY = {"master/control.c", "ctl/omnirctl.c"}


def c_sources():
    for d in ("common", "master", "worker", "ctl"):
        for name in sorted(os.listdir(os.path.join(TOP, d))):
            if name.endswith(".c"):
                yield "%s/%s" % (d, name)


def code_lines(path):
    """Lines of C with comments and string literals blanked."""
    text = open(os.path.join(TOP, path), encoding="utf-8", errors="replace").read()
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    return text.split("\n")


def test_only_egress_connects_outbound():
    offenders = []
    for path in c_sources():
        for n, line in enumerate(code_lines(path), 1):
            if CONNECT.search(line) and path != "worker/egress.c":
                offenders.append("%s:%d: %s" % (path, n, line.strip()))
    unexpected = [o for o in offenders if o.split(":")[0] not in UNIX_SOCKET_ONLY]
    assert unexpected == [], "\n".join(unexpected)
    # the exceptions really are Unix sockets
    for path in UNIX_SOCKET_ONLY:
        assert "AF_UNIX" in open(os.path.join(TOP, path)).read(), path
    # and egress.c does connect (the rule is not vacuous)
    assert any(CONNECT.search(l) for l in code_lines("worker/egress.c"))


def test_no_credential_header_is_logged():
    log_call = re.compile(r"\blog_(debug|info|warn|warnx|error|errorx)\s*\(")
    for path in c_sources():
        text = open(os.path.join(TOP, path), encoding="utf-8", errors="replace").read()
        for m in log_call.finditer(text):
            call = text[m.start():text.find(";", m.start())]
            assert "uthorization" not in call, "%s logs an authorization header" % path
