"""Rules of the source tree that a reviewer would otherwise have to remember:
worker/egress.c is the only file that opens outbound connections (the two
Unix-socket control paths are the listed exceptions), no file logs an
Authorization or Proxy-Authorization header, and every configuration key is
documented in omnirouted.conf(5) and contrib/omnirouted.conf.example."""

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


# One row of common/config.c's key table: S(key, env, default, kind, field, min, max).
CONFIG_ROW = re.compile(r'S\("(\w+)", "(\w+)", (NULL|"[^"]*"), (SET_\w+), \w+, (-?\d+), (-?\d+)\)')


def test_every_config_key_is_documented():
    config = open(os.path.join(TOP, "common/config.c")).read()
    rows = [m.groups() for m in CONFIG_ROW.finditer(config)]
    assert len(rows) == config.count("\tS(\"") and len(rows) > 40
    man = open(os.path.join(TOP, "master/omnirouted.conf.5")).read()
    entries = {}
    for entry in man.split("\n.It Ic ")[1:]:
        entries.setdefault(entry.split()[0], entry.split("\n.It ")[0])
    example = open(os.path.join(TOP, "contrib/omnirouted.conf.example")).read()
    missing = []
    for key, env, default, kind, low, high in rows:
        entry = entries.get(key)
        if entry is None or ".Ev %s " % env not in entry:
            missing.append("omnirouted.conf.5: %s (%s)" % (key, env))
        elif kind == "SET_LONG" and not re.search(r"^Integer %s to %s, default %s[, ]"
                                                  % (low, high, default.strip('"')), entry, re.M):
            missing.append("omnirouted.conf.5: %s range/default" % key)
        line = re.search(r"^# %s\n#%s =(.*)$" % (env, key), example, re.M)
        if line is None:
            missing.append("omnirouted.conf.example: %s (%s)" % (key, env))
        elif default != "NULL" and line.group(1).strip() != default.strip('"'):
            missing.append("omnirouted.conf.example: %s default" % key)
    assert missing == [], "\n".join(missing)
