"""
smtpd_fixtures: smtpd started the inetd way for the integration tests.

A Python listening socket on 127.0.0.1:0 stands in for tcpserver: each
accepted connection is handed to `smtpd -d -C conf` as its stdin and
stdout.  smtpd's stderr (its log, with -d) goes to the instance's
queued.log, so the harness's crash and sanitizer checks cover it.

    from smtpd_fixtures import smtpd, Client, split_delivered  # noqa
    def test_x(fct, smtpd):
        c = Client(smtpd.port)
"""
import os
import re
import socket

import pytest

import facteur_harness as H
from inetd_server import InetdServer

SMTPD_USER = "facteur-smtpd"
CRLF = b"\r\n"


class SmtpdServer(InetdServer):
    """smtpd per connection (see inetd_server)."""

    def __init__(self, inst, args=(), user=None):
        super().__init__(inst, "smtpd", args, user=user, wait=20)


def smtpd_conf(inst):
    """The smtpd keys an instance needs (user, an empty chroot)."""
    empty = os.path.join(inst.root, "empty")
    if not os.path.isdir(empty):
        os.mkdir(empty, 0o755)
    if H.IS_ROOT:
        H.ensure_user(SMTPD_USER, system=True)
        user = SMTPD_USER
    else:
        import pwd
        user = pwd.getpwuid(os.getuid()).pw_name
    over = {}
    if "smtpd_user" not in inst.conf:
        over["smtpd_user"] = user
    if "smtpd_chroot" not in inst.conf:
        over["smtpd_chroot"] = empty
    inst.write_conf(**over)


@pytest.fixture
def smtpd(fct):
    if not os.path.exists(os.path.join(H.BUILD, "smtpd")):
        pytest.fail("smtpd is not built in %s" % H.BUILD)
    smtpd_conf(fct)
    srv = SmtpdServer(fct)
    yield srv
    srv.close()


class Client:
    """A raw SMTP client: exact bytes out, replies parsed."""

    def __init__(self, port, greet=True, timeout=60):
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=timeout)
        self.f = self.s.makefile("rb")
        self.greeting = self.reply() if greet else None

    def reply(self):
        """(code, [text lines]) of one reply; (None, []) at EOF."""
        lines = []
        while True:
            line = self.f.readline(4096)
            if not line:
                return (None, lines)
            assert line.endswith(CRLF), "reply line without CRLF: %r" % line
            lines.append(line[4:-2].decode("utf-8", "replace"))
            if line[3:4] == b" ":
                return (int(line[:3]), lines)
            assert line[3:4] == b"-", "bad reply line %r" % line

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.send(line + CRLF)
        return self.reply()

    def code(self, line):
        return self.cmd(line)[0]

    def eof(self):
        """True when the server closed the connection."""
        try:
            return self.f.read(1) == b""
        except (ConnectionResetError, socket.timeout):
            return True

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass

    def to_data(self, sender, rcpts, ehlo="client.test"):
        """EHLO/MAIL/RCPT/DATA, each accepted, up to the 354."""
        assert self.code("EHLO " + ehlo) == 250
        assert self.code("MAIL FROM:<%s>" % sender) == 250
        for r in rcpts:
            c = self.code("RCPT TO:<%s>" % r)
            assert c == 250, "RCPT %s: %s" % (r, c)
        assert self.code("DATA") == 354

    def mail(self, sender, rcpts, data, ehlo="client.test"):
        """EHLO/MAIL/RCPT/DATA with raw data (which must end in
        CRLF.CRLF); returns the final reply."""
        self.to_data(sender, rcpts, ehlo)
        self.send(data)
        return self.reply()


RECEIVED_RE = re.compile(
    rb"\AReturn-Path: <([^>]*)>\nDelivered-To: ([^\n]*)\n"
    rb"(Received: from [^\n]*\n(?:\t[^\n]*\n)*)", re.S)


def split_delivered(msg):
    """(return_path, delivered_to, received_header, rest) of a delivered
    file; fails when the prefix is not what deliver and smtpd add."""
    m = RECEIVED_RE.match(msg)
    assert m, "unexpected start of delivered message: %r" % msg[:300]
    return (m.group(1).decode(), m.group(2).decode(), m.group(3),
            msg[m.end():])


def queue_id_of(reply_lines):
    m = re.search(r"queued as ([0-9A-Z]+)", " ".join(reply_lines))
    return m.group(1) if m else None


def wait_quiet(inst, timeout=30):
    """Waits until the queue is empty (everything delivered)."""
    inst.assert_queue_empty(timeout)
