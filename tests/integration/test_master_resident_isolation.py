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
from test_smtpd_tls_fixtures import TlsClient, tls_conf
from pop3d_fixtures import tls_dir

SYS_PIDFD_GETFD = 438
SESSION_CHANNEL_FD = 3     # smtpd/smtpd.h: SMTPD_SESSION_CHAN_FD


def steal_channel(pid, num=SESSION_CHANNEL_FD):
    """A socket object on pid's descriptor num (by default a session's
    end of its channel to the resident)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, num, 0)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "pidfd_getfd")
    finally:
        os.close(pidfd)
    return socket.socket(fileno=fd)


def netstring(*fields):
    data = b"\0".join(f.encode() for f in fields)
    return b"%d:%s," % (len(data), data)


def session_of(m, known):
    """The one session of m not in known (the resident's, or its
    smtpsession's)."""
    H.wait_until(lambda: set(m.sessions()) - known, CHECK_TIMEOUT,
                 "the new session")
    (pid,) = set(m.sessions()) - known
    return pid


def bad_and_good(m):
    """Two sessions after EHLO: the one to subvert (with its pid), and a
    bystander."""
    bad = Client(m.port)
    assert bad.code("EHLO bad.test") == 250
    bad_pid = session_of(m, set())
    good = Client(m.port)
    assert good.code("EHLO good.test") == 250
    return bad, bad_pid, good


def check_killed_alone(fct, m, res, bad, bad_pid, good):
    """bad's session was killed and its client saw the end; the resident
    and good's session go on, and new connections are served."""
    H.wait_until(lambda: not H.alive(bad_pid), CHECK_TIMEOUT,
                 "the bad session to be killed")
    assert bad.eof()
    assert "killing" in fct.log() or "ending the session" in fct.log()
    assert H.alive(res)
    code = good.mail("x@example.org", ["alice@" + H.DOMAIN],
                     b"Subject: g\r\nX-Facteur-Test: iso-good\r\n\r\ng\r\n.\r\n",
                     ehlo="good.test")
    assert code[0] == 250, code
    assert good.code("QUIT") == 221
    good.close()
    fct.wait_for_tag("alice", "iso-good")
    c = Client(m.port)
    assert c.greeting[0] == 220
    c.close()


@pytest.mark.root_only
@pytest.mark.facteur(start=False)
@pytest.mark.parametrize("frame", [
    b"garbage that is no netstring",
    netstring("NOSUCHREQUEST", "x"),
    netstring("RCPT", "<alice@facteur.test>", "a-field-too-many"),
    netstring("RCPT", "<alice@facteur.test>"),   # before MAIL
    netstring("MAIL", "not-a-path", "ASCII"),
    netstring("MAIL", "<x@example.org>", "NEITHER"),
    netstring("MSGEND"),                      # no message started
    netstring("MSGSTART", "not-a-queue-id"),
    b"999999999:",                            # a length past any limit
])
def test_bad_request_kills_only_its_session(fct, master_factory, frame):
    m = master_factory()
    res = wait_resident(m)
    bad, bad_pid, good = bad_and_good(m)
    chan = steal_channel(bad_pid)
    chan.sendall(frame)
    chan.close()
    check_killed_alone(fct, m, res, bad, bad_pid, good)


def handoff_fd(kind):
    """A descriptor a subverted session could pass with STARTTLS, and
    what else must be closed afterwards."""
    if kind == "pipe":
        r, w = os.pipe()
        return r, [r, w]
    a, b = socket.socketpair()
    return a.fileno(), [a, b]


# STARTTLS hands the connection to the resident (session_handoff.c); it
# must come with exactly one socket, a sane error count, from a session
# of smtpsession, once.
@pytest.mark.root_only
@pytest.mark.facteur(start=False)
@pytest.mark.parametrize("fields,fd", [
    (("STARTTLS", "0", "H"), None),            # no descriptor
    (("STARTTLS", "0", "H"), "pipe"),          # not a socket
    (("STARTTLS", "99999", "H"), "socket"),    # past smtpd_error_limit
    (("STARTTLS", "-1", "H"), "socket"),
    (("STARTTLS", "0", "no-H-prefix"), "socket"),
    (("STARTTLS", "0", "H\x01ctl"), "socket"),
    (("STARTTLS", "0"), "socket"),             # a field short
    (("MSGEND",), "socket"),                   # a descriptor with another
])
def test_bad_starttls_handoff_kills_only_its_session(fct, master_factory,
                                                     fields, fd):
    tls_conf(fct)
    m = master_factory()
    res = wait_resident(m)
    bad, bad_pid, good = bad_and_good(m)
    chan = steal_channel(bad_pid)
    keep = []
    if fd is None:
        chan.sendall(netstring(*fields))
    else:
        num, keep = handoff_fd(fd)
        socket.send_fds(chan, [netstring(*fields)], [num])
    chan.close()
    for k in keep:
        k.close() if hasattr(k, "close") else os.close(k)
    check_killed_alone(fct, m, res, bad, bad_pid, good)


@pytest.mark.root_only
@pytest.mark.facteur(start=False)
def test_second_starttls_handoff_kills_the_session(fct, master_factory):
    """A session that already went on with TLS in the resident cannot
    hand a connection over again."""
    tls_conf(fct)
    m = master_factory()
    res = wait_resident(m)
    bad = TlsClient(m.port, os.path.join(tls_dir(), "ca.pem"))
    bad.ehlo("bad.test")
    first = session_of(m, set())
    bad.starttls()
    H.wait_until(lambda: not H.alive(first), CHECK_TIMEOUT,
                 "the plaintext session to exit")
    tls_pid = session_of(m, set())
    assert int(H.proc_stat(tls_pid)[1]) == res
    good = Client(m.port)
    assert good.code("EHLO good.test") == 250
    chan = steal_channel(tls_pid)
    a, b = socket.socketpair()
    socket.send_fds(chan, [netstring("STARTTLS", "0", "H")], [a.fileno()])
    chan.close()
    a.close()
    b.close()
    check_killed_alone(fct, m, res, bad, tls_pid, good)
