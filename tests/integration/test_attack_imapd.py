"""
imapd against the attacks of issue 15 that test_attack_long_line.py and
test_attack_dribble.py make on SMTP and POP3, through the master:

- a line that never ends, before login (the login process) and after
  (imapsession): the server reads at most LINEIO_DRAIN_MAX past the
  limit, answers BYE once and closes, and the BYE arrives although the
  client was still sending (the login process lingers rather than
  resetting the connection);
- an IMAPS handshake sent a byte at a time ends at login_timeout, not at
  the longer tls_handshake_timeout;
- a command that trickles in after login is cut at imap_timeout for the
  whole command, however often a byte comes;
- a subverted login process gets no session past auth_fail_limit (the
  monitor is lib/login's, pop3d's too: test_attack_smtpd_auth.py);
- a facteur.conf the master refused at SIGHUP reaches no imapd: new
  connections run on the text the master accepted (-F), and the mended
  file applies at the next SIGHUP (test_attack_broken_reload.py for the
  other programs).

The idle timeouts are set far longer than each wait: without the bound
the server would keep reading, and the test fails.
"""
import imaplib
import os
import signal
import socket
import ssl
import time

import pytest

from imapd_fixtures import (PASSWORD, imap, imap_conf,  # noqa: F401
                            put_message, tls_dir)
from test_attack_dribble import dribble_one
from test_attack_long_line import DRAIN_MAX, connect, read_to_eof
from test_attack_smtpd_auth import login_past_the_limit
from test_master import Master, free_port

LOGIN_LINE_MAX = 8192 + 256 + 2     # imapd_login.c, SASL_LINE_MAX + 256


def tls_context():
    return ssl.create_default_context(
        cafile=os.path.join(tls_dir(), "ca.pem"))


@pytest.mark.facteur(start=False)
def test_imap_line_without_end_closes(fct):
    imap_conf(fct, imap_plaintext_login="yes", imap_line_max="1024")
    port = free_port()
    m = Master(fct, imap_listen="127.0.0.1:%d" % port, imap_timeout="1h",
               login_timeout="10m")
    try:
        # before login: the login process
        s, f = connect(port)
        assert f.readline().startswith(b"* OK [CAPABILITY IMAP4rev1")
        s.sendall(b"a NOOP " + b"y" * (LOGIN_LINE_MAX + 100) + b"\r\n")
        assert f.readline() == b"* BYE line too long\r\n"
        assert read_to_eof(f) == b""
        f.close()
        s.close()
        s, f = connect(port)
        f.readline()
        s.sendall(b"a LOGIN " + b"x" * (LOGIN_LINE_MAX + DRAIN_MAX + 1000))
        assert read_to_eof(f) == b"* BYE line too long\r\n"
        f.close()
        s.close()
        # after login: imapsession, relayed by the login process
        s, f = connect(port)
        f.readline()
        s.sendall(b"L LOGIN alice " + PASSWORD.encode() + b"\r\n")
        assert f.readline().startswith(b"L OK [CAPABILITY")
        s.sendall(b"a NOOP\r\n")
        assert f.readline() == b"a OK NOOP completed\r\n"
        s.sendall(b"b SELECT " + b"z" * (1024 + DRAIN_MAX + 1000))
        assert read_to_eof(f) == b"* BYE line too long\r\n"
        f.close()
        s.close()
    finally:
        m.stop()


@pytest.mark.facteur(start=False)
def test_imaps_handshake_dribble_is_cut_at_login_timeout(fct):
    """A TLS handshake that never completes ends at login_timeout, not
    at the (longer) tls_handshake_timeout."""
    imap_conf(fct)
    sport = free_port()
    m = Master(fct, imaps_listen="127.0.0.1:%d" % sport,
               login_timeout="3s", tls_handshake_timeout="5m")
    try:
        s = socket.create_connection(("127.0.0.1", sport), timeout=30)
        took, got = dribble_one(s, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc"
                                + b"\x03\x03" + b"\x00" * 200, 45)
        s.close()
        assert took >= 2.5
        assert not got.startswith(b"* OK")
        # the service still works
        c = imaplib.IMAP4_SSL("127.0.0.1", sport, ssl_context=tls_context(),
                              timeout=30)
        c.login("alice", PASSWORD)
        c.logout()
    finally:
        m.stop()
    assert "TLS handshake" in fct.log()


@pytest.mark.facteur(start=False)
def test_command_dribble_after_login_is_cut_at_imap_timeout(fct):
    """imap_timeout bounds a whole command, its literals included: a
    byte every half second does not keep it going."""
    imap_conf(fct, imap_plaintext_login="yes")
    put_message(fct, "alice", b"Subject: kept\n\nbody\n")
    before = fct.messages("alice", "new")
    port = free_port()
    m = Master(fct, imap_listen="127.0.0.1:%d" % port, imap_timeout="60s",
               login_timeout="10m")
    try:
        s, f = connect(port)
        f.readline()
        s.sendall(b"L LOGIN alice " + PASSWORD.encode() + b"\r\n")
        assert f.readline().startswith(b"L OK [CAPABILITY")
        t0 = time.monotonic()
        # an APPEND whose literal comes a byte at a time
        s.sendall(b"a APPEND INBOX {100000+}\r\n")
        took, got = dribble_one(s, b"x", 150)
        assert 55 <= took, took
        assert got == b"* BYE autologout: idle for too long\r\n", got
        s.close()
        assert time.monotonic() - t0 < 150
    finally:
        m.stop()
    # nothing was appended
    assert fct.messages("alice", "new") == before
    assert fct.messages("alice", "cur") == []


@pytest.mark.root_only
def test_attack_imap_login_past_the_limit(fct, imap):
    """A subverted IMAP login process (its channel to the monitor taken
    with pidfd_getfd, as test_attack_smtpd_auth.py does for pop3d) that
    goes on sending credentials after the monitor's CLOSE verdict gets
    no session, even with the right password, and is killed."""
    login_past_the_limit(fct, imap)


@pytest.mark.facteur(start=False)
def test_refused_reload_reaches_no_imapd(fct):
    from test_attack_broken_reload import BROKEN
    from test_master import CHECK_TIMEOUT
    import facteur_harness as H
    imap_conf(fct, imap_plaintext_login="yes")
    put_message(fct, "alice", b"Subject: waiting\n\nwaiting\n")
    port = free_port()
    m = Master(fct, imap_listen="127.0.0.1:%d" % port)
    try:
        with open(fct.conf_path, "a") as f:
            f.write(BROKEN)
        m.proc.send_signal(signal.SIGHUP)
        H.wait_until(lambda: "keeping the running configuration"
                     in fct.log(), CHECK_TIMEOUT, "the refusal")
        # a new connection runs on the configuration in force
        c = imaplib.IMAP4("127.0.0.1", port, timeout=30)
        c.login("alice", PASSWORD)
        assert c.select("INBOX") == ("OK", [b"1"])
        c.logout()
        assert "configuration error" not in fct.log()

        def greeting():
            s, f = connect(port)
            line = f.readline()
            f.close()
            s.close()
            return line
        assert b"LOGINDISABLED" not in greeting()
        # mended, with a change imapd shows; SIGHUP applies it
        fct.write_conf(imap_plaintext_login="no")
        m.proc.send_signal(signal.SIGHUP)
        H.wait_until(lambda: b"LOGINDISABLED" in greeting(), CHECK_TIMEOUT,
                     "imap_plaintext_login = no in force")
    finally:
        m.stop()
