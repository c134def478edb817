"""
The attack battery, smtpd: the STARTTLS handoff takes only the client's
own connection (issue 15, finding 2).

A plaintext session of the resident's smtpsession hands the connection
to the resident at STARTTLS with its descriptor (session_handoff.c).  A
subverted session (attack_fixtures.py) hands another socket instead: one
it connected itself to a port the test listens on, or its own channel to
the resident.  The resident must
refuse it and kill the session, so that no session of the resident's
image (which holds the TLS context) ever talks on a socket the
unprivileged session chose; and the session's own client sees the end.
A session in its sandbox cannot make that socket at all (socket(2) kills
it); the resident's check is tested with `sandbox = off`, as on a host
whose administrator turned the filters off.
"""
import socket

import pytest

import facteur_harness as H
from attack_fixtures import attack, xmonsock  # noqa: F401
from test_master import CHECK_TIMEOUT

pytestmark = [pytest.mark.facteur(start=False), pytest.mark.root_only]


def test_attack_starttls_handoff_of_another_socket(fct, attack):
    fct.write_conf(sandbox="off")
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    lst.settimeout(CHECK_TIMEOUT)
    port = lst.getsockname()[1]
    c = attack.open("mx")
    ans = xmonsock(c, port, "STARTTLS", "0", "H")
    other, _ = lst.accept()
    other.settimeout(CHECK_TIMEOUT)
    # the resident refused it: the session is gone, and whatever the
    # resident had of that socket is closed without a word on it
    assert ans is None, ans
    assert c.eof()
    assert other.recv(1024) == b""
    assert "the handed descriptor is not the client's connection" in \
        fct.log()
    other.close()
    lst.close()
    # the resident goes on serving
    c2 = attack.open("mx")
    assert c2.code("NOOP") == 250
    assert H.alive(attack.master.proc.pid)


def test_attack_starttls_socket_of_its_own_in_the_sandbox(fct, attack):
    """With its sandbox on, the session dies at the socket(2) call: no
    connection is made, nothing reaches the resident."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    lst.settimeout(1)
    port = lst.getsockname()[1]
    c = attack.open("mx")
    (sess,) = attack.master.sessions()
    fct.expect_crash(sess)
    assert xmonsock(c, port, "STARTTLS", "0", "H") is None
    assert c.eof()
    H.wait_until(lambda: "session %d killed by signal 31" % sess in
                 fct.log(), CHECK_TIMEOUT, "the session's death by SIGSYS")
    try:
        lst.accept()
        raise AssertionError("the sandboxed session connected")
    except socket.timeout:
        pass
    lst.close()
    assert "the handed descriptor is not the client's connection" not in \
        fct.log()
    c2 = attack.open("mx")
    assert c2.code("NOOP") == 250


def test_attack_starttls_handoff_of_its_own_channel(fct, attack):
    """The same with a socket the session holds anyway (its channel to
    the resident, descriptor 3), as a session that may open no socket
    would try: refused the same way."""
    c = attack.open("mx")
    assert xmonsock(c, "fd3", "STARTTLS", "0", "H") is None
    assert c.eof()
    assert "the handed descriptor is not the client's connection" in \
        fct.log()
    c2 = attack.open("mx")
    assert c2.code("NOOP") == 250
