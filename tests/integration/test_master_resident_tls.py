"""
STARTTLS under the master's resident smtpd.  A plaintext session there is
forked by smtpsession, which maps no TLS library; at STARTTLS it hands
the connection to the resident, which forks a session of its own image
to say 220, do the handshake and go on (session_handoff.c,
resident_conn.c).  These tests drive that path with real TLS clients and
check what must survive the handoff (the error count, the session limit,
the session deadline), what must not (pipelined plaintext, the
transaction), and the fallbacks: a context that cannot be built (454),
no smtpsession program, a killed smtpsession.
"""
import os
import signal
import smtplib
import shutil
import socket
import ssl
import subprocess
import time

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, SMTPD_USER, split_delivered
from test_master import CHECK_TIMEOUT, Master, free_port
from test_master_resident import session_parent, wait_resident
from test_smtpd_tls_fixtures import TlsClient, plain_ir, tls_conf
from pop3d_fixtures import tls_dir

ALICE = "alice@" + H.DOMAIN

# the master starts its own queued
pytestmark = pytest.mark.facteur(start=False)


class ResidentTls:
    """A master with mx and submission listeners, TLS configured."""

    def __init__(self, inst, **conf):
        tls_conf(inst)
        self.sub_port = free_port()
        over = {"submission_listen": "127.0.0.1:%d" % self.sub_port}
        over.update(conf)
        self.m = Master(inst, **over)
        self.port = self.m.port
        self.ca = os.path.join(tls_dir(), "ca.pem")
        self.res = wait_resident(self.m)

    def client(self, port=None):
        return TlsClient(port or self.port, self.ca)


@pytest.fixture
def resident_tls(fct):
    made = []

    def make(**conf):
        r = ResidentTls(fct, **conf)
        made.append(r)
        return r
    yield make
    for r in made:
        r.m.stop()


def the_session(m, other_than=()):
    """The one session of m (not in other_than)."""
    box = []

    def found():
        box[:] = [p for p in m.sessions() if p not in other_than]
        return len(box) == 1
    H.wait_until(found, CHECK_TIMEOUT, "one session")
    return box[0]


def test_starttls_goes_on_in_the_resident(fct, resident_tls):
    r = resident_tls()
    c = r.client()
    ext = c.ehlo()
    assert "STARTTLS" in ext
    assert not any(e.startswith("AUTH") for e in ext)
    plain = the_session(r.m)
    assert int(H.proc_stat(plain)[1]) == session_parent(r.res)
    c.starttls()
    ext = c.ehlo()
    assert "STARTTLS" not in ext and "AUTH PLAIN LOGIN" in ext
    assert c.code("STARTTLS") == 503
    # the plaintext session is gone; the resident's own child goes on,
    # with the identity and the chroot of any session
    H.wait_until(lambda: not H.alive(plain), CHECK_TIMEOUT,
                 "the plaintext session to exit")
    sess = the_session(r.m)
    assert int(H.proc_stat(sess)[1]) == r.res
    assert H.proc_comm(sess) == "smtpd"
    if H.IS_ROOT:
        import pwd
        uid = pwd.getpwnam(SMTPD_USER).pw_uid
        assert H.proc_uids(sess) == (uid,) * 4
        assert os.readlink("/proc/%d/root" % sess) == \
            fct.conf["smtpd_chroot"]
    tag, msg = H.make_message()
    code, lines = c.mail(ALICE, [ALICE], msg.replace(b"\n", b"\r\n") +
                         b".\r\n")
    assert code == 250, (code, lines)
    assert c.code("QUIT") == 221
    assert c.eof()
    fct.wait_for_tag("alice", tag)
    _, _, received, _ = split_delivered(fct.messages("alice")[0])
    assert b"with ESMTPS id" in received, received
    assert b"(using TLS1." in received
    r.m.wait_idle()


def test_pipelined_after_starttls_never_executed(fct, resident_tls):
    """RSET in the packet of STARTTLS stays with the plaintext process."""
    r = resident_tls()
    c = r.client()
    c.ehlo()
    c.send(b"STARTTLS\r\nRSET\r\n")
    assert c.reply()[0] == 220
    c.f.close()
    c.s = c.context().wrap_socket(c.s, server_hostname="localhost")
    c.f = c.s.makefile("rb")
    assert c.cmd("NOOP") == (250, ["2.0.0 Ok"])
    assert c.code("MAIL FROM:<%s>" % ALICE) == 503   # EHLO again first
    assert c.code("QUIT") == 221


def test_transaction_forgotten_at_starttls(fct, resident_tls):
    r = resident_tls()
    c = r.client()
    c.ehlo()
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    assert c.code("RCPT TO:<%s>" % ALICE) == 250
    c.starttls()
    assert c.code("RCPT TO:<%s>" % ALICE) == 503
    c.ehlo()
    assert c.code("DATA") == 503
    assert c.code("QUIT") == 221


def test_smtplib_and_openssl_through_the_handoff(fct, resident_tls):
    r = resident_tls()
    tag, msg = H.make_message()
    with smtplib.SMTP("127.0.0.1", r.port, timeout=60) as s:
        s.starttls(context=ssl.create_default_context(cafile=r.ca))
        s.sendmail(ALICE, [ALICE], msg.replace(b"\n", b"\r\n"))
    fct.wait_for_tag("alice", tag)
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed (make check installs it)")
    p = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % r.port,
         "-starttls", "smtp", "-CAfile", r.ca, "-verify_return_error",
         "-verify_hostname", "localhost", "-crlf", "-quiet"],
        input=b"EHLO openssl.test\nQUIT\n", capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert b"250-" in p.stdout and b"221 " in p.stdout


def test_submission_auth_after_handoff(fct, resident_tls):
    r = resident_tls()
    c = r.client(r.sub_port)
    ext = c.ehlo()
    assert not any(e.startswith("AUTH") for e in ext)
    c.starttls()
    c.ehlo()
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 235
    tag, msg = H.make_message()
    code, lines = c.mail(ALICE, ["someone@remote.example"],
                         msg.replace(b"\n", b"\r\n") + b".\r\n")
    assert code == 250, (code, lines)
    assert c.code("QUIT") == 221


def test_errors_count_across_the_handoff(fct, resident_tls):
    r = resident_tls(smtpd_error_limit="3")
    c = r.client()
    c.ehlo()
    assert c.code("BOGUS one") == 500
    assert c.code("BOGUS two") == 500
    c.starttls()
    # the third error of the connection, the first after STARTTLS
    code, lines = c.cmd("BOGUS three")
    assert code == 500
    assert c.reply()[0] == 421
    assert c.eof()


def test_session_limit_counts_the_handed_over_session(fct, resident_tls):
    r = resident_tls(max_sessions_per_client="1")
    c = r.client()
    c.ehlo()
    c.starttls()
    c.ehlo()
    extra = Client(r.port)
    assert extra.greeting[0] == 421, extra.greeting
    extra.close()
    assert c.code("QUIT") == 221
    c.close()
    r.m.wait_idle()
    H.wait_until(lambda: Client(r.port).greeting[0] == 220, CHECK_TIMEOUT,
                 "the slot to be free again")


def test_session_deadline_counts_from_the_connection(fct, resident_tls):
    """smtpd_session_timeout counts from the connection, not from the
    handoff.  The deadline is kept in whole seconds, so the test keeps
    a second of margin each way: carried over, the session ends by 7 s
    after the connection; started afresh at STARTTLS (4 s in), it would
    last until 9 s at least."""
    r = resident_tls(smtpd_session_timeout="6s")
    start = time.monotonic()
    c = r.client()
    c.ehlo()
    time.sleep(4)
    c.starttls()
    c.ehlo()
    code, lines = c.reply()     # waits for what the server says on its own
    elapsed = time.monotonic() - start
    assert code == 421, (code, lines)
    assert elapsed < 8, elapsed
    assert c.eof()


def test_unbuildable_context_is_454_then_plaintext(fct, resident_tls):
    # a key that is not the certificate's
    other = os.path.join(fct.etc, "other.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", other],
                   check=True, capture_output=True)
    os.chmod(other, 0o600)
    r = resident_tls(tls_key_file=other)
    c = Client(r.port)
    code, lines = c.cmd("EHLO x")
    assert code == 250 and "STARTTLS" in lines
    assert c.code("STARTTLS") == 454
    code, lines = c.cmd("EHLO x")
    assert code == 250 and "STARTTLS" not in lines
    assert c.code("STARTTLS") == 454
    code, _ = c.mail(ALICE, [ALICE], b"Subject: p\r\n\r\np\r\n.\r\n")
    assert code == 250
    assert c.code("QUIT") == 221


def test_without_smtpsession_sessions_are_forked_by_the_resident(
        fct, resident_tls):
    os.unlink(fct.program("smtpsession"))
    r = resident_tls()
    assert "sessions are forked here" in fct.log()
    c = r.client()
    c.ehlo()
    sess = the_session(r.m)
    assert int(H.proc_stat(sess)[1]) == r.res
    c.starttls()
    c.ehlo()
    assert the_session(r.m) == sess     # TLS in the same process
    assert c.code("QUIT") == 221


def test_killed_smtpsession_costs_its_sessions_only(fct, resident_tls):
    """A killed smtpsession takes its sessions; the resident starts it
    again after restart_delay, and the next sessions come from the new
    one (STARTTLS still handed to the resident)."""
    r = resident_tls()
    c = Client(r.port)
    assert c.code("EHLO x") == 250
    spawner = session_parent(r.res)
    os.kill(spawner, signal.SIGKILL)
    # its session dies with it; the resident notices and starts another
    assert c.eof()
    H.wait_until(lambda: "smtpsession %d killed by signal 9" % spawner
                 in fct.log(), CHECK_TIMEOUT, "the resident to notice")
    assert "smtpsession restarting in 1 s" in fct.log()
    H.wait_until(lambda: "started again; it forks the sessions" in
                 fct.log(), CHECK_TIMEOUT, "smtpsession to be started again")
    again = session_parent(r.res)
    assert again != spawner
    assert H.alive(r.res)
    d = r.client()
    d.ehlo()
    sess = the_session(r.m)
    assert int(H.proc_stat(sess)[1]) == again
    d.starttls()
    tag, msg = H.make_message()
    code, _ = d.mail(ALICE, [ALICE], msg.replace(b"\n", b"\r\n") + b".\r\n")
    assert code == 250
    assert d.code("QUIT") == 221
    fct.wait_for_tag("alice", tag)


def test_smtpsession_killed_before_its_answer_leaves_one_session(
        fct, resident_tls, strace):
    """smtpsession killed after it forked a session for a connection and
    before it answered the resident (strace kills it at the sendmsg of
    its answer): that connection is closed; it is never given to a
    second session forked by the resident, which would greet and talk on
    the same socket as the first (two greetings: a client out of step).
    The next connection is served."""
    r = resident_tls()
    # an smtpsession that forks the sessions: a slow start (ASan, a
    # loaded machine) has the resident give up on the first one and fork
    # the sessions itself until the next is ready
    box = []

    def spawning():
        c = Client(r.port)
        try:
            assert c.code("EHLO x") == 250
            sess = the_session(r.m)
            parent = int(H.proc_stat(sess)[1])
            box[:] = [parent] if H.proc_comm(parent) == "smtpsession" else []
            c.code("QUIT")
        finally:
            c.close()
        H.wait_until(lambda: not r.m.sessions(), CHECK_TIMEOUT, "no session")
        return bool(box)
    H.wait_until(spawning, CHECK_TIMEOUT, "sessions forked by smtpsession")
    spawner = box[0]
    tr = subprocess.Popen([strace, "-qq", "-o", "/dev/null", "-p",
                           str(spawner), "-e", "trace=sendmsg", "-e",
                           "inject=sendmsg:signal=KILL:when=1"],
                          stderr=subprocess.DEVNULL)
    try:
        # strace is attached once the process shows a tracer
        H.wait_until(lambda: int(open("/proc/%d/status" % spawner).read()
                                 .split("TracerPid:")[1].split()[0]) != 0,
                     CHECK_TIMEOUT, "strace to attach")
        s = socket.create_connection(("127.0.0.1", r.port), timeout=30)
        s.settimeout(1)
        got, eof, deadline = b"", False, time.monotonic() + 10
        while not eof and time.monotonic() < deadline:
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                continue
            eof = not chunk
            got += chunk
        s.close()
    finally:
        tr.wait(30)
    H.wait_until(lambda: "smtpsession %d killed by signal 9" % spawner
                 in fct.log(), CHECK_TIMEOUT, "the resident to notice")
    # closed, at most after the greeting of the session smtpsession had
    # forked: not served on by a second one
    assert eof, "the connection was given to another session: %r" % got
    greetings = [ln for ln in got.split(b"\r\n") if ln.startswith(b"220 ")]
    assert len(greetings) <= 1, got
    c = Client(r.port)
    assert c.code("EHLO x") == 250
    assert c.code("QUIT") == 221


def test_smtpsession_restarts_back_off(fct, resident_tls):
    """An smtpsession that dies at once is started again after 1, 2, 4 s
    (restart_delay, doubled each time); meanwhile the resident forks the
    sessions itself, and once the program works again it is back."""
    r = resident_tls()
    # the real one is up before its program is replaced
    first = session_parent(r.res)
    real = fct.program("smtpsession")
    os.rename(real, real + ".real")
    with open(real, "w") as f:
        f.write("#!/bin/sh\nexit 3\n")
    os.chmod(real, 0o755)
    os.kill(first, signal.SIGKILL)
    for delay in (1, 2, 4):
        H.wait_until(lambda: "smtpsession restarting in %d s" % delay
                     in fct.log(), CHECK_TIMEOUT,
                     "a restart after %d s" % delay)
    # while it is down, the resident serves
    c = Client(r.port)
    assert c.code("EHLO x") == 250
    sess = the_session(r.m)
    assert int(H.proc_stat(sess)[1]) == r.res
    assert c.code("QUIT") == 221
    c.close()
    H.wait_until(lambda: not r.m.sessions(), CHECK_TIMEOUT, "no session")
    os.rename(real + ".real", real)
    H.wait_until(lambda: "started again; it forks the sessions" in
                 fct.log(), CHECK_TIMEOUT, "smtpsession to come back")
    spawner = session_parent(r.res)
    d = Client(r.port)
    assert d.code("EHLO x") == 250
    assert int(H.proc_stat(the_session(r.m))[1]) == spawner
    assert d.code("QUIT") == 221


@pytest.mark.parametrize("starttls", [False, True])
def test_reverse_name_in_smtpsession_and_after_handoff(fct, resident_tls,
                                                       starttls):
    """smtpsession looks the client up (its static c-ares, in the chroot)
    and the name it found goes with the connection at STARTTLS."""
    from test_smtpd_dns import PTR, TinyDNS
    d = TinyDNS({PTR: "client.example.test"},
                {"client.example.test": "127.0.0.1"})
    try:
        r = resident_tls(smtpd_reverse_lookup="yes",
                         dns_resolver="127.0.0.1:%d" % d.port)
        c = r.client()
        c.ehlo()
        if starttls:
            c.starttls()
        tag, msg = H.make_message()
        code, _ = c.mail(ALICE, [ALICE], msg.replace(b"\n", b"\r\n") +
                         b".\r\n")
        assert code == 250
        assert c.code("QUIT") == 221
        _, _, rcv, _ = split_delivered(fct.wait_for_tag("alice", tag))
        assert b"(client.example.test [127.0.0.1])" in rcv, rcv
        assert (b"ESMTPS" in rcv) == starttls
        assert (PTR, 12) in d.questions
    finally:
        d.close()
