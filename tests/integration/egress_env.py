"""Real peers for egress tests, all on loopback: a test CA with a certificate
for localhost/127.0.0.1, a TLS provider stand-in (Python, threads), and the
proxy servers Debian ships (microsocks, tinyproxy, squid, dante, stunnel),
each started in the foreground with its own config and log file and stopped
by the test that started it.

Source-bound proxies (the leak canary, test_leak_canary.py): microsocks and
tinyproxy given an `address` other than 127.0.0.1 listen there and dial out
from it (microsocks -i/-b, tinyproxy Listen/Bind), so a server on 127.0.0.1
tells a connection that came through them (source `address`) from one the
daemon opened itself (source 127.0.0.1) by its peer address alone. Linux
routes all of 127.0.0.0/8 to lo, so these addresses need no setup.

What the name "localhost" resolves to is the system's business: stock
Debian 12 maps it to ::1 as well as 127.0.0.1 (and getaddrinfo lists ::1
first), other systems to 127.0.0.1 only. The daemon resolves it itself
(c-ares, Happy Eyeballs) and so do the proxies the tests run (microsocks
connects to the first address only), so a server that a test reaches as
"localhost" listens on every loopback address the name has here, on one port
(localhost_addresses(), serve_on()); servers reached by number listen on
that number only."""

import errno
import http.server
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_on(addresses):
    """A port free on each of addresses, for a server process to listen on."""
    listeners = serve_on(addresses, listening_socket)
    for listener in listeners:
        listener.server_close()
    return listeners[0].server_address[1]


def host_port(address, port):
    """address:port as stunnel and most configs write it (an IPv6 address bare)."""
    return "%s:%d" % (address, port)


def _bindable(family, address):
    try:
        with socket.socket(family) as s:
            s.bind((address, 0))
        return True
    except OSError:
        return False


def localhost_addresses():
    """The addresses a server that tests reach as "localhost" listens on:
    127.0.0.1 (tests and fake proxies also dial it by number) and every other
    loopback address the name resolves to on this system, e.g. ::1 with
    Debian's stock /etc/hosts. An address this machine cannot bind (IPv6
    switched off) is left out: nothing could listen there."""
    addresses = ["127.0.0.1"]
    try:
        infos = socket.getaddrinfo("localhost", None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        infos = []
    for family, _, _, _, sockaddr in infos:
        address = sockaddr[0]
        if address in addresses or not ipaddress.ip_address(address).is_loopback:
            continue
        if _bindable(family, address):
            addresses.append(address)
    return addresses


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def serve_on(addresses, make):
    """Call make((address, port)) for each address with one port for all:
    the first call gets port 0 (the kernel picks), the others the port it
    got; when that port is taken on a later address, everything is closed
    and tried again. make returns an object with server_close() and
    server_address (a socketserver, or listening_socket() below).
    Returns the list of what make returned."""
    for attempt in range(50):
        made, port = [], 0
        try:
            for address in addresses:
                made.append(make((address, port)))
                port = made[0].server_address[1]
            return made
        except OSError as e:
            for m in made:
                m.server_close()
            if e.errno != errno.EADDRINUSE or attempt == 49:
                raise
    raise AssertionError("unreachable")


def server_class(base, address):
    """base (a socketserver class), for address's family."""
    if family_of(address) == socket.AF_INET6:
        return type(base.__name__ + "6", (base,), {"address_family": socket.AF_INET6})
    return base


class listening_socket:
    """A bare listening TCP socket on (address, port), shaped for serve_on()."""

    def __init__(self, server_address, backlog=8):
        self.socket = socket.socket(family_of(server_address[0]))
        try:
            self.socket.bind(server_address)
            self.socket.listen(backlog)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()

    def server_close(self):
        self.socket.close()


def wait_port(port, proc=None, timeout=10.0, what="server", host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %s" % (what, proc.returncode))
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("%s did not listen on %d" % (what, port))


class TestCA:
    """A throwaway CA and a server certificate for localhost and 127.0.0.1."""

    def __init__(self, directory):
        self.dir = str(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.ca = os.path.join(self.dir, "ca.pem")
        self.key = os.path.join(self.dir, "server.key")
        self.cert = os.path.join(self.dir, "server.pem")
        self.bundle = os.path.join(self.dir, "server-bundle.pem")
        ca_key = os.path.join(self.dir, "ca.key")
        csr = os.path.join(self.dir, "server.csr")
        ext = os.path.join(self.dir, "san.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run = lambda *a: subprocess.run(["openssl"] + list(a), check=True,
                                        capture_output=True)
        run("req", "-x509", *ec, "-keyout", ca_key, "-out", self.ca, "-days", "2",
            "-subj", "/CN=omniroute test CA")
        run("req", *ec, "-keyout", self.key, "-out", csr, "-subj", "/CN=localhost")
        run("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", ca_key,
            "-CAcreateserial", "-out", self.cert, "-days", "2", "-extfile", ext)
        with open(self.bundle, "w") as out:
            out.write(open(self.cert).read())
            out.write(open(self.key).read())


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        body = json.dumps({"ip": self.client_address[0], "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class TLSStandIn:
    """An HTTPS server that answers GET with {"ip": <peer>, "path": …}."""

    def __init__(self, ca, tls=True, addresses=None):
        self.addresses = addresses or localhost_addresses()
        self.servers = serve_on(self.addresses, lambda sa: server_class(
            http.server.ThreadingHTTPServer, sa[0])(sa, _Handler))
        self.port = self.servers[0].server_address[1]
        self.httpd = self.servers[0]
        shared = []
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(ca.cert, ca.key)
        for srv in self.servers:
            srv.requests = shared
            srv.daemon_threads = True
            if tls:
                srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.scheme = "https" if tls else "http"

    def url(self, host="localhost", path="/ip"):
        return "%s://%s:%d%s" % (self.scheme, host, self.port, path)

    @property
    def requests(self):
        return self.httpd.requests

    def stop(self):
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()


class Peer:
    """A proxy server process with a log file."""

    def __init__(self, name, argv, port, workdir, env=None, host="127.0.0.1"):
        self.name = name
        self.host = host            # the address it listens on
        self.port = port
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=workdir, env=env)
        wait_port(port, self.proc, what=name, host=host)

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def microsocks(workdir, user=None, password=None, address=None):
    """address: listen on it and dial out from it (see the top)."""
    host = address or "127.0.0.1"
    port = free_port_on([host])
    argv = ["microsocks", "-i", host, "-p", str(port)]
    if address is not None:
        argv += ["-b", address]
    if user is not None:
        argv += ["-u", user, "-P", password]
    return Peer("microsocks-%s-%d" % (host, port), argv, port, str(workdir), host=host)


def tinyproxy(workdir, user=None, password=None, log_name=None, address=None):
    """address: listen on it and dial out from it (see the top)."""
    host = address or "127.0.0.1"
    port = free_port_on([host])
    name = log_name or "tinyproxy-%s-%d" % (host, port)
    conf = os.path.join(str(workdir), name + ".conf")
    logfile = os.path.join(str(workdir), name + ".access.log")
    lines = ["Port %d" % port, "Listen %s" % host, "Timeout 30", "LogLevel Info",
             "LogFile \"%s\"" % logfile, "MaxClients 100", "Allow 127.0.0.0/8",
             "DisableViaHeader Yes"]
    if address is not None:
        lines.append("Bind %s" % address)
    if user is not None:
        lines.append("BasicAuth %s %s" % (user, password))
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    peer = Peer(name, ["tinyproxy", "-d", "-c", conf], port, str(workdir), host=host)
    peer.access_log = logfile
    return peer


def stunnel(workdir, ca, connect_port):
    """An HTTPS proxy: TLS in front of 127.0.0.1:connect_port. Tests reach it
    as "localhost" (its certificate's name), so it accepts on every address
    of the name."""
    addresses = localhost_addresses()
    port = free_port_on(addresses)
    name = "stunnel-%d" % port
    conf = os.path.join(str(workdir), name + ".conf")
    accept = "".join("accept = %s\n" % host_port(a, port) for a in addresses)
    with open(conf, "w") as f:
        f.write("foreground = yes\npid =\ndebug = info\n"
                "[proxy]\n%sconnect = 127.0.0.1:%d\n"
                "cert = %s\nkey = %s\n" % (accept, connect_port, ca.cert, ca.key))
    return Peer(name, ["stunnel4", conf], port, str(workdir))


def dante(workdir):
    port = free_port()
    name = "dante-%d" % port
    conf = os.path.join(str(workdir), name + ".conf")
    with open(conf, "w") as f:
        f.write("logoutput: stderr\n"
                "internal: 127.0.0.1 port = %d\n"
                # out from each address "localhost" has here: it resolves
                # the names it is sent with the system's hosts file
                "%s"
                "clientmethod: none\nsocksmethod: none\n"
                "user.privileged: root\nuser.unprivileged: nobody\n"
                "client pass {\n  from: 127.0.0.0/8 to: 0/0\n  log: connect disconnect\n}\n"
                "socks pass {\n  from: 127.0.0.0/8 to: 0/0\n  command: connect\n"
                "  log: connect disconnect\n}\n"
                % (port, "".join("external: %s\n" % a for a in localhost_addresses())))
    return Peer(name, ["danted", "-f", conf, "-N", "1"], port, str(workdir))


def have(program):
    return shutil.which(program) is not None


def squid(workdir, user=None, password=None):
    """squid as an authenticating CONNECT proxy. Its workers run as the
    'proxy' user, so its files live in a world-readable directory of their own."""
    import tempfile
    import warnings
    port = free_port()
    name = "squid-%d" % port
    base = tempfile.mkdtemp(prefix="omni-squid-")
    os.chmod(base, 0o755)
    conf = os.path.join(base, "squid.conf")
    access = os.path.join(base, "access.log")
    lines = ["http_port 127.0.0.1:%d" % port, "pid_filename none",
             "cache deny all", "access_log stdio:%s" % access,
             "cache_log %s" % os.path.join(base, "cache.log"),
             "coredump_dir %s" % base, "shutdown_lifetime 0 seconds",
             "acl CONNECT method CONNECT"]
    if user is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt
        pwfile = os.path.join(base, "passwd")
        with open(pwfile, "w") as f:
            f.write("%s:%s\n" % (user, crypt.crypt(password, crypt.mksalt(crypt.METHOD_MD5))))
        os.chmod(pwfile, 0o644)
        lines += ["auth_param basic program /usr/lib/squid/basic_ncsa_auth %s" % pwfile,
                  "auth_param basic realm omniroute-test",
                  "acl authed proxy_auth REQUIRED", "http_access allow authed"]
    else:
        lines += ["acl local src 127.0.0.0/8", "http_access allow local"]
    lines.append("http_access deny all")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    for p in (access, os.path.join(base, "cache.log")):
        open(p, "a").close()
        os.chmod(p, 0o666)
    peer = Peer(name, ["squid", "-N", "-f", conf], port, base)
    peer.access_log = access
    peer.base = base
    return peer
