"""
imapd_fixtures: imapd started the inetd way for the integration tests,
as pop3d_fixtures does for pop3d.

    from imapd_fixtures import imap, client, put_message  # noqa
    def test_x(fct, imap):
        c = client(imap)                  # imaplib over IMAPS, logged in
        c = imaplib.IMAP4("127.0.0.1", imap.port)   # plain, STARTTLS
        imap.ca                           # the test CA (PEM path)
        r = Raw(imap.port)                # exact bytes out, lines back

Every user's password is PASSWORD (pop3d_fixtures').  The TLS material
and the login user are pop3d_fixtures'.
"""
import imaplib
import os
import socket
import ssl

try:
    import pytest
except ImportError:     # bench/ imports the servers without pytest
    pytest = None

import facteur_harness as H
from inetd_server import InetdServer
from pop3d_fixtures import (LOGIN_USER, PASSWORD, pop3_conf, put_message,  # noqa: F401
                            tls_dir, wire)

CRLF = b"\r\n"


class ImapdServer(InetdServer):
    """A loopback listener that runs imapd per connection."""

    def __init__(self, inst, args=()):
        super().__init__(inst, "imapd", args, wait=30)


def imap_conf(inst, **over):
    """Keys an instance needs for imapd: pop3d's (login user, chroot,
    TLS files) and a short login timeout."""
    keys = {"imap_login_timeout": "30s"}
    keys.update(over)
    pop3_conf(inst, **keys)


class Imap:
    """The plain (STARTTLS) and the IMAPS listener of one instance."""

    def __init__(self, inst):
        self.inst = inst
        self.plain = ImapdServer(inst)
        self.tls = ImapdServer(inst, ["-s"])
        self.port = self.plain.port
        self.sport = self.tls.port
        self.ca = os.path.join(tls_dir(), "ca.pem")

    def context(self):
        return ssl.create_default_context(cafile=self.ca)

    def close(self):
        self.plain.close()
        self.tls.close()


def _imap(fct):
    if not os.path.exists(os.path.join(H.BUILD, "imapd")):
        pytest.fail("imapd is not built in %s" % H.BUILD)
    imap_conf(fct)
    srv = Imap(fct)
    yield srv
    srv.close()


imap = pytest.fixture(_imap, name="imap") if pytest else None


def client(imap, user="alice", tls=True, login=True):
    """imaplib over IMAPS (or STARTTLS on the plain port), logged in."""
    if tls:
        c = imaplib.IMAP4_SSL("127.0.0.1", imap.sport,
                              ssl_context=imap.context(), timeout=60)
    else:
        c = imaplib.IMAP4("127.0.0.1", imap.port, timeout=60)
        c.starttls(ssl_context=imap.context())
    if login:
        typ, _ = c.login(user, PASSWORD)
        assert typ == "OK"
    return c


class Raw:
    """A raw IMAP client: exact bytes out, lines back; over TLS when
    asked (IMAPS port), else plain (then imap_plaintext_login must be on
    for a login)."""

    def __init__(self, port, tls=False, ca=None, greet=True, timeout=60):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context(cafile=ca)
            s = ctx.wrap_socket(s, server_hostname="localhost")
        self.s = s
        self.f = s.makefile("rb")
        self.greeting = self.line() if greet else None

    def line(self):
        ln = self.f.readline(1 << 20)
        if not ln:
            return None
        assert ln.endswith(CRLF), "line without CRLF: %r" % ln
        return ln[:-2]

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def cmd(self, line, tag=b"a"):
        """Sends `tag line`; returns (untagged lines, tagged line)."""
        if isinstance(line, str):
            line = line.encode()
        self.send(tag + b" " + line + CRLF)
        return self.until(tag)

    def until(self, tag=b"a"):
        out = []
        while True:
            ln = self.line()
            assert ln is not None, "EOF before the tagged reply: %r" % out
            if ln.startswith(tag + b" "):
                return out, ln
            out.append(ln)

    def login(self, user="alice", password=PASSWORD):
        return self.cmd("LOGIN %s %s" % (user, password), tag=b"L")

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
