"""
A dropped POP3 connection must not keep the mailbox locked (issue 15,
finding 5): a client that closes its socket without QUIT and logs in
again at once must get its mailbox, with every message (the first
session never entered UPDATE, so its DELE was not applied).

The session process holds the lock; it learns that the client is gone
when the login process, which relays the connection, sees it close and
closes its end of the relay.  A new session waits a moment for a lock
that is held (POP3_LOCK_WAIT_MS) before it answers [IN-USE], so an
immediate reconnect does not race the old session's end.  Each drop is
tried the ways a client drops: a close (FIN), a reset (RST), in the
middle of a large RETR, and under TLS.  pop3_timeout stays at its
default (10 minutes): only the end of the connection frees the lock.
"""
import os
import poplib
import socket
import ssl
import struct

import pytest

import facteur_harness as H
import pop3d_fixtures as F
from pop3d_fixtures import PASSWORD, pop3_conf, put_message
from test_master import CHECK_TIMEOUT, Master, free_port

BIG = b"Subject: big\n\n" + (b"y" * 999 + b"\n") * 8000     # 8 MB


@pytest.fixture
def server(fct):
    pop3_conf(fct, pop3_plaintext_login="yes")
    port, sport = free_port(), free_port()
    m = Master(fct, pop3_listen="127.0.0.1:%d" % port,
               pop3s_listen="127.0.0.1:%d" % sport)
    ctx = ssl.create_default_context(
        cafile=os.path.join(F.tls_dir(), "ca.pem"))

    def connect(tls=False):
        if tls:
            p = poplib.POP3_SSL("127.0.0.1", sport, context=ctx, timeout=60)
        else:
            p = poplib.POP3("127.0.0.1", port, timeout=60)
        p.user("alice")
        p.pass_(PASSWORD)
        return p
    yield connect
    m.stop()


def fill(fct):
    for i in range(3):
        put_message(fct, "alice", b"Subject: %d\n\nmessage %d\n" % (i, i))


def drop(p, reset=False):
    """Goes away without QUIT: the socket closed for real (poplib's file
    object holds the descriptor too, so both are closed)."""
    if reset:
        p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
    p.file.close()
    p.sock.close()


def relogin_sees_all(fct, connect, n, tls=False):
    p = connect(tls)            # raises on [IN-USE]
    count = p.stat()[0]
    p.quit()
    assert count == n
    H.wait_until(lambda: "ended without QUIT: nothing deleted" in fct.log(),
                 CHECK_TIMEOUT, "the first session's log line")


@pytest.mark.facteur(start=False)
@pytest.mark.parametrize("how", ["close", "reset"])
def test_dropped_after_dele_relogin_at_once(fct, server, how):
    fill(fct)
    p = server()
    assert p.stat()[0] == 3
    p.dele(1)
    p.dele(2)
    drop(p, reset=how == "reset")
    relogin_sees_all(fct, server, 3)


@pytest.mark.facteur(start=False)
def test_dropped_in_the_middle_of_retr(fct, server):
    fill(fct)
    put_message(fct, "alice", BIG)
    p = server()
    sizes = {int(n): int(o) for n, o in
             (x.split() for x in p.list()[1])}
    big = max(sizes, key=sizes.get)
    assert sizes[big] > len(BIG)
    p.dele(1 if big != 1 else 2)
    p._putcmd("RETR %d" % big)
    assert p.file.read1(65536).startswith(b"+OK")   # the transfer began
    drop(p)
    relogin_sees_all(fct, server, 4)


@pytest.mark.facteur(start=False)
def test_dropped_under_tls(fct, server):
    fill(fct)
    p = server(tls=True)
    p.dele(3)
    drop(p)
    relogin_sees_all(fct, server, 3, tls=True)
