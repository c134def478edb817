"""
The attack battery, AUTH: after the CLOSE verdict (auth_fail_limit
failures on the connection) the monitors refuse any further AUTH request,
so a subverted process cannot go on guessing past the limit (issue 15,
finding 7).

  - smtpd: the subverted session (attack_fixtures.py) sends AUTH frames
    itself, under the resident and under a per-connection smtpd;
  - pop3d: the login process's channel to its monitor is taken with
    pidfd_getfd(2) (root: the login process is not dumpable) and the
    frames a subverted login process could send are written into it.

In each case the right password comes last: before the fix the monitor
said yes to it.
"""
import os
import pwd
import socket

import pytest

import facteur_harness as H
from attack_fixtures import attack, xmon  # noqa: F401
from pop3d_fixtures import (LOGIN_USER, PASSWORD, Raw,  # noqa: F401
                            pop3)
from test_master import CHECK_TIMEOUT
from test_master_resident_isolation import (netstring, session_of,
                                            steal_channel)

pytestmark = [pytest.mark.facteur(start=False), pytest.mark.root_only]

LIMIT = 3


@pytest.mark.parametrize("service", ["mx-tls", "smtps", "inetd-mx",
                                     "inetd-smtps"])
def test_attack_smtpd_auth_past_the_limit(fct, attack, service):
    fct.write_conf(auth_fail_limit=str(LIMIT))
    c = attack.open(service)
    verdicts = [xmon(c, "AUTH", "alice", "wrong-%d" % i)
                for i in range(LIMIT)]
    assert verdicts == [(0, [b"BAD"])] * (LIMIT - 1) + [(0, [b"CLOSE"])]
    # the right password, after CLOSE: the session is killed for asking
    assert xmon(c, "AUTH", "alice", PASSWORD) is None
    assert c.eof()
    assert "AUTH after too many failures" in fct.log()
    assert "auth ok: user=<alice>" not in fct.log()


def login_channel(monitor):
    """The login process of a pop3d monitor and a socket on its end of
    the channel to the monitor (the socket that is not its client)."""
    login = [k for k in H.children(monitor)
             if H.proc_uids(k)[0] == pwd.getpwnam(LOGIN_USER).pw_uid]
    assert len(login) == 1, login
    (login,) = login
    client = os.readlink("/proc/%d/fd/0" % login)
    (num,) = [int(n) for n in os.listdir("/proc/%d/fd" % login)
              if os.readlink("/proc/%d/fd/%s" % (login, n)).startswith(
                  "socket:") and
              os.readlink("/proc/%d/fd/%s" % (login, n)) != client]
    return login, steal_channel(login, num)


def login_past_the_limit(fct, server):
    """The battery for a login-split server (pop3d, imapd: server has
    .port and .plain): its login process's channel taken, credentials
    sent past auth_fail_limit, the right password last."""
    fct.write_conf(auth_fail_limit=str(LIMIT), auth_fail_delay_max="0")
    c = Raw(server.port)
    H.wait_until(lambda: [p for p in server.plain.pids() if H.alive(p)],
                 CHECK_TIMEOUT, "the monitor")
    (monitor,) = [p for p in server.plain.pids() if H.alive(p)]
    H.wait_until(lambda: len(H.children(monitor)) == 1, CHECK_TIMEOUT,
                 "the login process")
    login, chan = login_channel(monitor)
    chan.settimeout(CHECK_TIMEOUT)
    answers = []
    for i in range(LIMIT):
        chan.sendall(netstring("A", "alice", "wrong-%d" % i))
        answers.append(chan.recv(256))
    assert answers == [netstring("N", "bad")] * (LIMIT - 1) + \
        [netstring("N", "close")]
    chan.sendall(netstring("A", "alice", PASSWORD))
    msg, fds, _, _ = socket.recv_fds(chan, 256, 1)
    for fd in fds:
        os.close(fd)
    assert msg == b"" and fds == [], (msg, fds)
    H.wait_until(lambda: not H.alive(login), CHECK_TIMEOUT,
                 "the login process to be killed")
    assert "credentials after too many failures" in fct.log()
    assert "auth ok: user=<alice>" not in fct.log()
    chan.close()
    assert c.eof()


def test_attack_pop3_login_past_the_limit(fct, pop3):
    login_past_the_limit(fct, pop3)


def test_attack_smtpd_auth_while_one_is_checked(fct, attack):
    """Under the resident an AUTH is checked in a child, one at a time: a
    second AUTH sent while the first is checked (to run checks side by
    side) gets the session killed, before any check of it starts."""
    fct.write_conf(auth_fail_delay_max="2s")
    c = attack.open("mx")
    pid = session_of(attack.master, set())
    chan = steal_channel(pid)
    chan.sendall(netstring("AUTH", "alice", "wrong-1"))
    chan.sendall(netstring("AUTH", "alice", PASSWORD))
    H.wait_until(lambda: not H.alive(pid), CHECK_TIMEOUT,
                 "the session to be killed")
    assert "request while another is pending" in fct.log()
    assert "auth ok: user=<alice>" not in fct.log()
    chan.close()
    assert c.eof()
