"""
One resident smtpd is the monitor of many sessions: a session that sends
it anything but a well-formed request, in order, is killed, and only that
session; the others, and the resident, go on.  The test takes a session's
end of its channel to the resident with pidfd_getfd(2) (root only: the
session is not dumpable) and writes into it what a subverted session
could.
"""
import ctypes
import os
import socket

import pytest

import facteur_harness as H
from smtpd_fixtures import Client
from test_master import CHECK_TIMEOUT, master_factory  # noqa: F401
from test_master_resident import wait_resident

SYS_PIDFD_GETFD = 438
SESSION_CHANNEL_FD = 3     # smtpd_rconn.c: RCONN_SESSION_FD


def steal_channel(pid):
    """A socket object on pid's end of its channel to the resident."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, SESSION_CHANNEL_FD, 0)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "pidfd_getfd")
    finally:
        os.close(pidfd)
    return socket.socket(fileno=fd)


def netstring(*fields):
    data = b"\0".join(f.encode() for f in fields)
    return b"%d:%s," % (len(data), data)


def session_of(m, res, known):
    H.wait_until(lambda: set(H.children(res)) - known - {None},
                 CHECK_TIMEOUT, "the new session")
    (pid,) = [p for p in H.children(res)
              if p not in known and H.proc_comm(p) == "smtpd"]
    return pid


@pytest.mark.root_only
@pytest.mark.facteur(start=False)
@pytest.mark.parametrize("frame", [
    b"garbage that is no netstring",
    netstring("NOSUCHREQUEST", "x"),
    netstring("RCPT", "only-one-field"),
    netstring("MSGEND"),                      # no message started
    netstring("MSGSTART", "not-a-queue-id"),
    b"999999999:",                            # a length past any limit
])
def test_bad_request_kills_only_its_session(fct, master_factory, frame):
    m = master_factory()
    res = wait_resident(m)
    known = set(H.children(res))
    bad = Client(m.port)
    assert bad.code("EHLO bad.test") == 250
    bad_pid = session_of(m, res, known)
    good = Client(m.port)
    assert good.code("EHLO good.test") == 250
    chan = steal_channel(bad_pid)
    chan.sendall(frame)
    chan.close()
    # the resident kills the sender; its client sees the connection end
    H.wait_until(lambda: not H.alive(bad_pid), CHECK_TIMEOUT,
                 "the bad session to be killed")
    assert bad.eof()
    assert "killing" in fct.log() or "ending the session" in fct.log()
    # the other session and the resident are untouched
    assert H.alive(res)
    code = good.mail("x@example.org", ["alice@" + H.DOMAIN],
                     b"Subject: g\r\nX-Facteur-Test: iso-good\r\n\r\ng\r\n.\r\n",
                     ehlo="good.test")
    assert code[0] == 250, code
    assert good.code("QUIT") == 221
    good.close()
    fct.wait_for_tag("alice", "iso-good")
    # and it still takes new connections
    c = Client(m.port)
    assert c.greeting[0] == 220
    c.close()
