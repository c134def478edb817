"""
An over-long line that never ends (issue 15, finding 3): before the fix
the server discarded it through its LF with no bound, so a client could
stream bytes without a newline for as long as the session lasted.  Now a
line is discarded only within LINEIO_DRAIN_MAX (64 KiB) past its limit;
beyond that the server answers once and closes, and the answer arrives
although the client was still sending (the server lingers instead of
resetting the connection).  A long line that does end within the bound
is still refused and the session goes on.

Each test sends a little more than the bound without an LF and then
waits, with the idle timeouts set far longer than the wait: without the
bound the server would just keep reading, and the test fails.
"""
import os
import socket

import pytest

from pop3d_fixtures import pop3_conf
from smtpd_fixtures import Client
from test_master import Master, free_port

DRAIN_MAX = 64 * 1024
WAIT = 30       # seconds the client waits for the server to give up


def read_to_eof(f):
    """What the server sends until it closes; fails if it waits instead."""
    out = b""
    while True:
        try:
            b = f.read1(4096)
        except socket.timeout:
            pytest.fail("the server still reads the endless line after "
                        "%d s (got %r)" % (WAIT, out))
        if not b:
            return out
        out += b


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    return s, s.makefile("rb")


@pytest.mark.facteur(start=False)
def test_smtp_line_without_end_closes(fct):
    m = Master(fct, smtpd_timeout="10m")
    try:
        s, f = connect(m.port)
        assert f.readline().startswith(b"220")
        # within the bound: refused, and the session goes on
        s.sendall(b"NOOP " + b"y" * 10000 + b"\r\n")
        assert f.readline() == b"500 5.5.2 Line too long\r\n"
        s.sendall(b"NOOP\r\n")
        assert f.readline().startswith(b"250")
        # no end at all: closed once the bound is passed
        s.sendall(b"EHLO " + b"x" * (512 + DRAIN_MAX + 1000))
        assert read_to_eof(f) == b"500 5.5.2 Line too long, closing\r\n"
        f.close()
        s.close()
    finally:
        m.stop()


@pytest.mark.facteur(start=False)
def test_pop3_line_without_end_closes(fct):
    pop3_conf(fct)
    port = free_port()
    m = Master(fct, pop3_listen="127.0.0.1:%d" % port, pop3_timeout="10m",
               login_timeout="10m")
    try:
        s, f = connect(port)
        assert f.readline().startswith(b"+OK")
        s.sendall(b"CAPA " + b"y" * 1000 + b"\r\n")
        assert f.readline().startswith(b"-ERR line too long")
        s.sendall(b"CAPA\r\n")
        assert f.readline().startswith(b"+OK")
        while f.readline() != b".\r\n":
            pass
        s.sendall(b"USER " + b"x" * (255 + DRAIN_MAX + 1000))
        assert read_to_eof(f) == b"-ERR line too long, closing\r\n"
        f.close()
        s.close()
    finally:
        m.stop()


@pytest.mark.facteur(start=False)
def test_smtp_data_line_without_end_closes(fct):
    """In DATA the limit is 64 KiB a line (longer refuses the message);
    one with no LF within 64 KiB more closes the connection at once,
    and nothing is queued."""
    m = Master(fct, smtpd_data_timeout="10m")
    try:
        c = Client(m.port, timeout=WAIT)
        c.to_data("x@example.org", ["alice@facteur.test"])
        c.send(b"x" * (65536 + DRAIN_MAX + 1000))
        assert read_to_eof(c.f) == \
            b"554 5.6.0 Message refused: line too long, closing\r\n"
        c.close()
    finally:
        m.stop()
    assert os.listdir(os.path.join(fct.queue, "env")) == []
