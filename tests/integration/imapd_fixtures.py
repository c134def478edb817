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

try:
    import pytest
except ImportError:     # bench/ imports the servers without pytest
    pytest = None

import facteur_harness as H
from inetd_server import InetdServer
import pop3d_fixtures
from pop3d_fixtures import (LOGIN_USER, PASSWORD, Pop3, pop3_conf,  # noqa: F401
                            put_message, tls_dir, wire)

CRLF = b"\r\n"


class ImapdServer(InetdServer):
    """A loopback listener that runs imapd per connection."""

    def __init__(self, inst, args=()):
        super().__init__(inst, "imapd", args, wait=30)


def imap_conf(inst, **over):
    """Keys an instance needs for imapd: pop3d's (login user, chroot,
    TLS files) and a short login timeout."""
    keys = {"login_timeout": "30s"}
    keys.update(over)
    pop3_conf(inst, **keys)


class Imap(Pop3):
    """The plain (STARTTLS) and the IMAPS listener of one instance."""
    server = ImapdServer


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


class Raw(pop3d_fixtures.Raw):
    """A raw IMAP client: exact bytes out, lines back; over TLS when
    asked (IMAPS port), else plain (then imap_plaintext_login must be on
    for a login)."""
    line_max = 1 << 20

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
