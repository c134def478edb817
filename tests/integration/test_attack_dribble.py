"""
The dribble attack (issue 15, finding 3), as an attacker runs it against
the master: 100 connections from 127.0.0.2-11 that each send one byte
every DRIBBLE seconds and never end a line.  Each wait for a byte is far
shorter than any idle timeout, so before the fix no timeout ever fired
and the attackers held every session slot (max_sessions 100,
max_sessions_per_client 10) for as long as they liked: normal clients
got "-ERR [SYS/TEMP] busy" and 421.

Now a line must arrive whole within its timeout (smtpd_timeout), and a
POP3 connection must be logged in within login_timeout.  The tests set
those to DEADLINE seconds, leave the idle timeouts long, and check that

  - every attacker is cut off, with the protocol's error, after about
    DEADLINE seconds (never before it, long before the attack would
    end), and
  - a normal client from 127.0.0.1 that keeps trying is served while
    the attack goes on.

Smaller single-connection cases: a dribble after a POP3 login
(pop3_timeout bounds each line), one inside SMTP DATA
(smtpd_data_timeout), and one inside a POP3S TLS handshake
(login_timeout bounds the handshake).
"""
import os
import poplib
import selectors
import smtplib
import socket
import ssl
import threading
import time

import pytest

import facteur_harness as H
import pop3d_fixtures as F
from pop3d_fixtures import PASSWORD, pop3_conf, put_message
from smtpd_fixtures import Client
from test_master import Master, free_port

ATTACKERS = 100
SOURCES = ["127.0.0.%d" % i for i in range(2, 12)]
DRIBBLE = 1.0       # seconds between two bytes of one attacker
DEADLINE = 5        # the limit under test, in seconds
ATTACK = 45         # how long the attack would go on, in seconds


class Dribbler:
    """One attacking connection: greets, then one byte at a time."""

    def __init__(self, port, source, payload):
        self.source = source
        self.payload = payload
        self.sent = 0
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.bind((source, 0))
        self.s.settimeout(60)
        self.s.connect(("127.0.0.1", port))
        self.start = time.monotonic()
        self.got = b""
        self.greeting = self._greeting()
        self.s.setblocking(False)
        self.end = None         # when the server closed it

    def _greeting(self):
        while b"\n" not in self.got:
            b = self.s.recv(4096)
            if not b:
                break
            self.got += b
        line, _, self.got = self.got.partition(b"\n")
        return line

    def drip(self):
        try:
            self.s.send(self.payload[self.sent % len(self.payload):][:1])
            self.sent += 1
        except OSError:
            self.closed()

    def readable(self):
        try:
            b = self.s.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            b = b""
        if b:
            self.got += b
        else:
            self.closed()

    def closed(self):
        if self.end is None:
            self.end = time.monotonic()

    def close(self):
        self.s.close()


def run_attack(port, payload, normal):
    """Opens the attackers, dribbles until each is cut off or ATTACK
    seconds pass, with `normal` (a function that returns True once it
    was served) retried in a thread meanwhile.  Returns the attackers
    and the normal client's (served, tries, when)."""
    attackers = [Dribbler(port, SOURCES[i % len(SOURCES)], payload)
                 for i in range(ATTACKERS)]
    began = time.monotonic()
    result = {"served": False, "tries": 0, "when": None}
    stop = threading.Event()

    def normal_client():
        while not stop.is_set():
            result["tries"] += 1
            if normal():
                result["served"] = True
                result["when"] = time.monotonic() - began
                return
            time.sleep(0.25)
    t = threading.Thread(target=normal_client, daemon=True)
    t.start()
    sel = selectors.DefaultSelector()
    for a in attackers:
        sel.register(a.s, selectors.EVENT_READ, a)
    next_drip = time.monotonic()
    try:
        while time.monotonic() - began < ATTACK:
            live = [a for a in attackers if a.end is None]
            if not live and result["served"]:
                break
            now = time.monotonic()
            if now >= next_drip:
                for a in live:
                    a.drip()
                next_drip = now + DRIBBLE
            for key, _ in sel.select(max(0.0, next_drip - now)):
                a = key.data
                if a.end is None:
                    a.readable()
                    if a.end is not None:
                        sel.unregister(a.s)
    finally:
        stop.set()
        t.join(60)
        for a in attackers:
            a.close()
    return attackers, result


def check_cut_off(attackers, greeting, error):
    assert len(attackers) == ATTACKERS
    for a in attackers:
        assert a.greeting.startswith(greeting), (a.source, a.greeting)
    held = [a for a in attackers if a.end is None]
    assert not held, "%d of %d attackers still connected after %d s" % (
        len(held), ATTACKERS, ATTACK)
    for a in attackers:
        lived = a.end - a.start
        # never before the deadline (a little slack for the clocks)
        assert lived >= DEADLINE - 0.5, (a.source, lived)
        assert error in a.got, (a.source, a.got)
        assert a.sent >= 2, "the attacker dribbled (%d bytes)" % a.sent


def pop3_master(fct, **conf):
    pop3_conf(fct, pop3_plaintext_login="yes")
    port = free_port()
    keys = {"pop3_listen": "127.0.0.1:%d" % port}
    keys.update(conf)
    return Master(fct, **keys), port


@pytest.mark.facteur(start=False)
def test_pop3_dribblers_are_cut_at_login_timeout(fct):
    put_message(fct, "alice", b"Subject: served\n\nwhile under attack\n")
    m, port = pop3_master(fct, login_timeout="%ds" % DEADLINE,
                          pop3_timeout="5m")
    try:
        def normal():
            try:
                p = poplib.POP3("127.0.0.1", port, timeout=30)
            except (poplib.error_proto, OSError):
                return False            # "-ERR [SYS/TEMP] busy": again
            try:
                p.user("alice")
                p.pass_(PASSWORD)
                count, _ = p.stat()
                body = b"\n".join(p.retr(1)[1])
                p.quit()
                return count == 1 and b"while under attack" in body
            except (poplib.error_proto, OSError):
                return False
            finally:
                p.close()
        attackers, served = run_attack(port, b"USER attacker-who-never-"
                                       b"ends-this-line", normal)
    finally:
        m.stop()
    check_cut_off(attackers, b"+OK",
                  b"-ERR login time limit exceeded, closing\r\n")
    assert served["served"], "no normal POP3 client was served in %d s " \
        "(%d tries)" % (ATTACK, served["tries"])
    assert served["when"] < ATTACK
    print("pop3: normal client served after %.1f s, %d tries"
          % (served["when"], served["tries"]))


@pytest.mark.facteur(start=False)
def test_smtp_dribblers_are_cut_at_smtpd_timeout(fct):
    m = Master(fct, smtpd_timeout="%ds" % DEADLINE)
    try:
        def normal():
            try:
                with smtplib.SMTP("127.0.0.1", m.port, timeout=30) as s:
                    s.sendmail("x@example.org", ["alice@facteur.test"],
                               "Subject: served\r\nX-Facteur-Test: "
                               "under-attack\r\n\r\nserved\r\n")
                return True
            except (smtplib.SMTPException, OSError):
                return False        # 421 busy: try again
        attackers, served = run_attack(m.port, b"EHLO attacker.example."
                                       b"never-ending", normal)
    finally:
        m.stop()
    check_cut_off(attackers, b"220 ", b"421 4.4.2 Timeout, closing\r\n")
    assert served["served"], "no normal SMTP client was served in %d s " \
        "(%d tries)" % (ATTACK, served["tries"])
    fct.start_queued()
    fct.wait_for_tag("alice", "under-attack")
    print("smtp: normal client served after %.1f s, %d tries"
          % (served["when"], served["tries"]))


def dribble_one(sock, payload, limit):
    """Sends payload a byte per DRIBBLE/2 until the server closes;
    returns (seconds it took, what came back), or fails after limit."""
    t0 = time.monotonic()
    got = b""
    sock.setblocking(False)
    i = 0
    while time.monotonic() - t0 < limit:
        try:
            sock.send(payload[i % len(payload):][:1])
            i += 1
        except OSError:
            break
        end = time.monotonic() + DRIBBLE / 2
        closed = False
        while time.monotonic() < end:
            try:
                b = sock.recv(4096)
            except BlockingIOError:
                time.sleep(0.05)
                continue
            except OSError:
                b = b""
            if not b:
                closed = True
                break
            got += b
        if closed:
            return time.monotonic() - t0, got
    pytest.fail("still connected after %d s; got %r" % (limit, got))


@pytest.mark.facteur(start=False)
def test_pop3_dribble_after_login_is_cut_by_pop3_timeout(fct):
    """pop3_timeout bounds a whole command line in the TRANSACTION state
    too (pop3session), and a session cut off deletes nothing."""
    put_message(fct, "alice", b"Subject: kept\n\nkept\n")
    m, port = pop3_master(fct, pop3_timeout="3s")
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        f = s.makefile("rb")
        assert f.readline().startswith(b"+OK")
        for line in (b"USER alice", b"PASS " + PASSWORD.encode(),
                     b"DELE 1"):
            s.sendall(line + b"\r\n")
            assert f.readline().startswith(b"+OK"), line
        took, got = dribble_one(s, b"STAT STAT STAT", ATTACK)
        f.close()
        s.close()
        assert took >= 2.5
        assert got == b"-ERR autologout: idle for too long\r\n"
        # nothing was deleted: the session never entered UPDATE
        p = poplib.POP3("127.0.0.1", port, timeout=30)
        p.user("alice")
        p.pass_(PASSWORD)
        assert p.stat()[0] == 1
        p.quit()
    finally:
        m.stop()


@pytest.mark.facteur(start=False)
def test_smtp_dribble_in_data_is_cut_by_smtpd_data_timeout(fct):
    m = Master(fct, smtpd_data_timeout="3s")
    try:
        c = Client(m.port, timeout=30)
        c.to_data("x@example.org", ["alice@facteur.test"])
        took, got = dribble_one(c.s, b"Subject: a line that never ends",
                                ATTACK)
        c.close()
        assert took >= 2.5
        assert got == b"421 4.4.2 Timeout, closing\r\n"
    finally:
        m.stop()
    assert os.listdir(os.path.join(fct.queue, "env")) == []


@pytest.mark.facteur(start=False)
def test_pop3s_handshake_dribble_is_cut_at_login_timeout(fct):
    """A TLS handshake that never completes ends at login_timeout, not
    at the (longer) tls_handshake_timeout."""
    pop3_conf(fct)
    sport = free_port()
    m = Master(fct, pop3s_listen="127.0.0.1:%d" % sport,
               login_timeout="3s", tls_handshake_timeout="5m")
    try:
        s = socket.create_connection(("127.0.0.1", sport), timeout=30)
        # the first bytes of a TLS record, then one byte at a time
        took, got = dribble_one(s, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc"
                                + b"\x03\x03" + b"\x00" * 200, ATTACK)
        s.close()
        assert took >= 2.5
        assert not got.startswith(b"+OK")
        # the service still works
        ctx = ssl.create_default_context(
            cafile=os.path.join(F.tls_dir(), "ca.pem"))
        p = poplib.POP3_SSL("127.0.0.1", sport, context=ctx, timeout=30)
        assert p.getwelcome().startswith(b"+OK")
        p.quit()
    finally:
        m.stop()
    assert "TLS handshake" in fct.log()
