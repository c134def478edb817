"""
pop3d_fixtures: pop3d started the inetd way for the integration tests.

A Python listening socket on 127.0.0.1:0 stands in for tcpserver: each
accepted connection is handed to `pop3d -d -C conf [-s]` on its stdin and
stdout; pop3d's stderr (its log) goes to the instance's queued.log, so the
harness's crash and sanitizer checks cover it.

    from pop3d_fixtures import pop3, Raw, put_message  # noqa
    def test_x(fct, pop3):
        c = Raw(pop3.port)              # plain POP3
        c = Raw(pop3.sport, tls=True)   # POP3S
        pop3.ca                         # the test CA (PEM path)

TLS material (a CA and a certificate for localhost and 127.0.0.1) is made
once per test session with the openssl command; the key is copied into
each instance as root 0600.  Every user's password is PASSWORD.
"""
import atexit
import os
import shutil
import socket
import ssl
import subprocess
import tempfile

try:
    import pytest
except ImportError:     # bench/ imports the servers without pytest
    pytest = None

import facteur_harness as H
from inetd_server import InetdServer

LOGIN_USER = "facteur-login"
PASSWORD = "secret-x"
CRLF = b"\r\n"


class Pop3dServer(InetdServer):
    """A loopback listener that runs pop3d per connection."""

    def __init__(self, inst, args=()):
        super().__init__(inst, "pop3d", args, wait=30)


def make_tls_material(d):
    """CA and server certificate (localhost, 127.0.0.1) into d."""
    def run(*argv):
        subprocess.run(argv, check=True, capture_output=True, cwd=d)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out",
        "ca.pem", "-days", "30", "-subj", "/CN=facteur test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "basicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
        "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
        "-days", "30", "-extfile", "ext.cnf")
    # clients running as test users read the CA; the keys stay private
    os.chmod(d, 0o755)
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name),
                 0o600 if name.endswith(".key") else 0o644)
    return d


_tls_dir = None


def tls_dir():
    """A CA, a server certificate and its key, made once per test run
    in a temporary directory that is removed when the run ends."""
    global _tls_dir
    if _tls_dir is None:
        d = tempfile.mkdtemp(prefix="facteur-tls-")
        atexit.register(shutil.rmtree, d, True)
        _tls_dir = make_tls_material(d)
    return _tls_dir


def pop3_conf(inst, **over):
    """Keys an instance needs for pop3d: login user, chroot, TLS files."""
    empty = os.path.join(inst.root, "empty")
    if not os.path.isdir(empty):
        os.mkdir(empty, 0o755)
    state = os.path.join(inst.root, "authstate")
    if not os.path.isdir(state):
        os.mkdir(state, 0o700)
    if H.IS_ROOT:
        H.ensure_user(LOGIN_USER, system=True)
        user = LOGIN_USER
    else:
        import pwd
        user = pwd.getpwuid(os.getuid()).pw_name
    src = tls_dir()
    for name in ("server.pem", "server.key"):
        dst = os.path.join(inst.etc, name)
        shutil.copyfile(os.path.join(src, name), dst)
        os.chmod(dst, 0o600 if name.endswith(".key") else 0o644)
    keys = {"login_user": user, "login_chroot": empty,
            "tls_cert_file": os.path.join(inst.etc, "server.pem"),
            "tls_key_file": os.path.join(inst.etc, "server.key"),
            "auth_state_dir": state, "auth_fail_delay_max": "1s"}
    keys.update(over)
    inst.write_conf(**keys)


class Pop3:
    """The plain and the POP3S listener of one instance (imapd_fixtures'
    Imap: the same with imapd)."""
    server = Pop3dServer

    def __init__(self, inst):
        self.inst = inst
        self.plain = self.server(inst)
        self.tls = self.server(inst, ["-s"])
        self.port = self.plain.port
        self.sport = self.tls.port
        self.ca = os.path.join(tls_dir(), "ca.pem")

    def context(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        return ctx

    def close(self):
        self.plain.close()
        self.tls.close()


def _pop3(fct):
    if not os.path.exists(os.path.join(H.BUILD, "pop3d")):
        pytest.fail("pop3d is not built in %s" % H.BUILD)
    pop3_conf(fct)
    srv = Pop3(fct)
    yield srv
    srv.close()


pop3 = pytest.fixture(_pop3, name="pop3") if pytest else None


class Raw:
    """A raw POP3 client: exact bytes out, lines back."""
    line_max = 65536

    def __init__(self, port, tls=False, ca=None, greet=True, timeout=60):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context(cafile=ca)
            s = ctx.wrap_socket(s, server_hostname="localhost")
        self.s = s
        self.f = s.makefile("rb")
        self.greeting = self.line() if greet else None

    def line(self):
        ln = self.f.readline(self.line_max)
        if not ln:
            return None
        assert ln.endswith(CRLF), "line without CRLF: %r" % ln
        return ln[:-2]

    def multi(self):
        """Lines of a multi-line body (dot-unstuffed) up to '.'."""
        out = []
        while True:
            ln = self.line()
            assert ln is not None, "EOF inside a multi-line reply"
            if ln == b".":
                return out
            out.append(ln[1:] if ln.startswith(b".") else ln)

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.send(line + CRLF)
        return self.line()

    def login(self, user, password=PASSWORD):
        r = self.cmd("USER " + user)
        assert r.startswith(b"+OK"), r
        r = self.cmd("PASS " + password)
        return r

    def eof(self):
        try:
            return self.f.read(1) == b""
        except (ConnectionResetError, socket.timeout, ssl.SSLError):
            return True

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass


_seq = [0]


def put_message(inst, user, data, sub="new", name=None, info=":2,"):
    """Writes a message straight into user's Maildir (as a delivery
    would: tmp, then rename); returns its file name."""
    _seq[0] += 1
    # zero-padded: mailbox order within one second is the names' order,
    # which must be the order of the calls however many came before
    base = name or "1700000000.M%08dP%d.facteur.test" % (_seq[0],
                                                          os.getpid())
    fname = base + (info if sub == "cur" else "")
    md = os.path.join(inst.user(user).home, "Maildir")
    tmp = os.path.join(md, "tmp", base)
    with open(tmp, "wb") as f:
        f.write(data)
    u = inst.user(user)
    if H.IS_ROOT:
        os.chown(tmp, u.uid, u.gid)
    os.rename(tmp, os.path.join(md, sub, fname))
    return fname


def wire(data):
    """What RETR sends of data (before dot-stuffing): CRLF line ends, and
    a CRLF added after a last line without one."""
    if not data:
        return b""
    ends = data.endswith(b"\n")
    parts = data.split(b"\n")
    if ends:
        parts.pop()
    out = []
    for i, ln in enumerate(parts):
        if i == len(parts) - 1 and not ends:
            out.append(ln + b"\r\n")
        else:
            out.append(ln + (b"\n" if ln.endswith(b"\r") else b"\r\n"))
    return b"".join(out)
