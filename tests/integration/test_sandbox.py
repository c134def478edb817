"""
The seccomp sandboxes (lib/sandbox; docs/architecture.md, "Sandboxes")
on the live processes of every role: the SMTP session (forked by
smtpsession, by the resident after STARTTLS and for smtps, and by a
per-connection smtpd), pop3d's login process, pop3session and lspawn's
delivery worker.  For each: Seccomp: 2 and NoNewPrivs: 1 in its /proc
status once it serves a client, the protocol still works inside it (TLS
handshakes included), and a forbidden call made by the process itself
(harness_syscall.py: execve, the creation of a file, a TCP socket) kills
that process with SIGSYS and nothing else: the other sessions, the
resident and the queue go on, and no mail is lost.  Then the modes:
report names the forbidden call before the process dies, off keeps only
NoNewPrivs, and a bad value is a configuration error.
"""
import os
import signal
import ssl
import subprocess
import threading

import pytest

import facteur_harness as H
from pop3d_fixtures import (PASSWORD, Raw, pop3,  # noqa: F401
                            put_message, tls_dir)
from smtpd_fixtures import Client, smtpd  # noqa: F401
from test_master import CHECK_TIMEOUT, free_port, master_factory  # noqa
from test_master_resident import session_parent, wait_resident
from test_master_resident_tls import the_session
from test_smtpd_tls_fixtures import TlsClient, tls_conf

ALICE = "alice@" + H.DOMAIN
BOB = "bob@" + H.DOMAIN


@pytest.fixture
def inject():
    """The tests that make a process make a call (harness_syscall.py)."""
    why = H.syscall_injection_supported()
    if why:
        pytest.skip(why)


def sandboxed(pid):
    assert H.proc_sandbox(pid) == (2, 1), \
        "pid %d (%s): Seccomp, NoNewPrivs = %r" % (
            pid, H.proc_comm(pid), H.proc_sandbox(pid))


def crlf(msg):
    return msg.replace(b"\n", b"\r\n")


def kill_with(fct, pid, call, **kw):
    """pid makes call; it must die of SIGSYS, which the logs may say."""
    fct.expect_crash(pid)
    st = H.make_syscall(pid, call, **kw)
    assert st is not None, "pid %d survived %s" % (pid, call)
    assert H.killed_by_sigsys(st), "pid %d: status %#x" % (pid, st)


# ---------------------------------------------------------------- SMTP

@pytest.mark.root_only
@pytest.mark.facteur(start=False)
@pytest.mark.parametrize("call", ["execve", "openat", "socket"])
def test_smtp_session_plaintext(fct, master_factory, call, inject):
    """A plaintext session (forked by smtpsession) is sandboxed; the call
    kills it alone, mid-transaction of another session, which commits."""
    m = master_factory()
    res = wait_resident(m)
    spawner = session_parent(res)
    a = Client(m.port)
    sa = the_session(m, [])
    b = Client(m.port)
    sb = the_session(m, [sa])
    for s in (sa, sb):
        assert int(H.proc_stat(s)[1]) == spawner
        sandboxed(s)
    # b is in the middle of DATA when a dies
    tag, msg = H.make_message()
    msg = crlf(msg)
    assert b.code("EHLO b.test") == 250
    assert b.code("MAIL FROM:<x@example.org>") == 250
    assert b.code("RCPT TO:<%s>" % ALICE) == 250
    assert b.code("DATA") == 354
    b.send(msg[:40])
    assert a.code("EHLO a.test") == 250
    kill_with(fct, sa, call)
    assert a.eof()
    b.send(msg[40:] + b".\r\n")
    code, lines = b.reply()
    assert code == 250, (code, lines)
    assert b.code("QUIT") == 221
    fct.wait_for_tag("alice", tag)
    # the resident and its smtpsession go on, and serve the next client
    assert H.alive(res) and H.alive(spawner)
    c = Client(m.port)
    tag2, msg2 = H.make_message()
    assert c.mail("x@example.org", [ALICE], crlf(msg2) + b".\r\n")[0] == 250
    fct.wait_for_tag("alice", tag2)
    assert session_parent(res) == spawner
    H.wait_until(lambda: "session %d killed by signal 31" % sa in fct.log(),
                 CHECK_TIMEOUT, "smtpsession to log the killed session")


@pytest.mark.root_only
@pytest.mark.facteur(start=False)
def test_smtp_session_tls(fct, master_factory, inject):
    """After STARTTLS (the resident's own child) and with smtps, the
    session is sandboxed and TLS works inside it; the call kills it."""
    tls_conf(fct)
    smtps = free_port()
    m = master_factory(smtps_listen="127.0.0.1:%d" % smtps)
    res = wait_resident(m)
    ca = os.path.join(tls_dir(), "ca.pem")
    c = TlsClient(m.port, ca)
    c.ehlo()
    plain = the_session(m, [])
    c.starttls()
    c.ehlo()
    H.wait_until(lambda: not H.alive(plain), CHECK_TIMEOUT,
                 "the plaintext session to hand over")
    tls = the_session(m, [])
    assert int(H.proc_stat(tls)[1]) == res
    sandboxed(tls)
    tag, msg = H.make_message()
    code, lines = c.mail(ALICE, [ALICE], crlf(msg) + b".\r\n")
    assert code == 250, (code, lines)
    fct.wait_for_tag("alice", tag)

    s = TlsClient(smtps, ca, implicit=True)
    assert s.greeting[0] == 220
    implicit = the_session(m, [tls])
    sandboxed(implicit)
    s.ehlo()

    kill_with(fct, tls, "execve")
    assert c.eof()
    # the smtps session and the resident go on
    assert s.auth_plain("alice")[0] == 235
    tag2, msg2 = H.make_message()
    code, lines = s.mail(ALICE, [ALICE], crlf(msg2) + b".\r\n")
    assert code == 250, (code, lines)
    fct.wait_for_tag("alice", tag2)
    assert H.alive(res)


@pytest.mark.root_only
def test_smtp_session_per_connection(fct, smtpd, inject):
    """An smtpd started per connection (inetd): its session builds the
    TLS context inside the sandbox at STARTTLS; the call kills it and
    its monitor ends the connection."""
    tls_conf(fct)
    ca = os.path.join(tls_dir(), "ca.pem")
    c = TlsClient(smtpd.port, ca)
    (monitor,) = [p for p in smtpd.pids() if H.alive(p)]
    (session,) = H.children(monitor)
    sandboxed(session)
    c.ehlo()
    c.starttls()
    c.ehlo()
    tag, msg = H.make_message()
    code, lines = c.mail(ALICE, [ALICE], crlf(msg) + b".\r\n")
    assert code == 250, (code, lines)
    fct.wait_for_tag("alice", tag)
    fct.expect_crash(monitor)
    kill_with(fct, session, "openat")
    assert c.eof()
    H.wait_until(lambda: not H.alive(monitor), CHECK_TIMEOUT,
                 "the monitor to end")


# ---------------------------------------------------------------- POP3

def pop3_processes(server):
    """(monitor, its children) of the one live connection of server."""
    (monitor,) = [p for p in server.pids() if H.alive(p)]
    return monitor, H.children(monitor)


@pytest.mark.root_only
def test_pop3_login(fct, pop3, inject):
    """The login process is sandboxed, with POP3S and with STLS (the
    context is built inside it); the call kills it, and a logged-in
    connection next to it goes on."""
    put_message(fct, "bob", b"Subject: b\n\nfor bob\n", sub="cur")
    other = Raw(pop3.port)
    assert other.cmd("STLS").startswith(b"+OK")
    other.s = ssl.create_default_context(cafile=pop3.ca).wrap_socket(
        other.s, server_hostname="localhost")
    other.f = other.s.makefile("rb")
    assert other.login("bob").startswith(b"+OK")

    c = Raw(pop3.sport, tls=True, ca=pop3.ca)
    assert c.greeting.startswith(b"+OK")
    monitor, (login,) = pop3_processes(pop3.tls)
    sandboxed(login)
    fct.expect_crash(monitor)
    kill_with(fct, login, "execve")
    assert c.eof()
    assert other.cmd("RETR 1").startswith(b"+OK")
    assert b"for bob" in b"\n".join(other.multi())
    assert other.cmd("QUIT").startswith(b"+OK")
    # a new POP3S connection is served
    d = Raw(pop3.sport, tls=True, ca=pop3.ca)
    assert d.login("bob").startswith(b"+OK")
    assert d.cmd("QUIT").startswith(b"+OK")


@pytest.mark.root_only
@pytest.mark.parametrize("call", ["openat", "execve", "socket"])
def test_pop3_session(fct, pop3, call, inject):
    """pop3session is sandboxed once its Maildir is open, still reads
    messages (RETR opens them), and the call kills it: nothing is
    deleted, the lock goes with it, and the next login sees the mail."""
    fct.write_conf(pop3_plaintext_login="yes")
    put_message(fct, "alice", b"Subject: one\n\nfirst\n", sub="cur")
    put_message(fct, "alice", b"Subject: two\n\nsecond\n")
    c = Raw(pop3.port)
    assert c.login("alice").startswith(b"+OK 2 ")
    monitor, kids = pop3_processes(pop3.plain)
    (session,) = [k for k in kids if H.proc_comm(k) == "pop3session"]
    sandboxed(session)
    assert c.cmd("RETR 1").startswith(b"+OK")
    c.multi()
    assert c.cmd("DELE 1").startswith(b"+OK")
    fct.expect_crash(monitor)
    kill_with(fct, session, call)
    assert c.eof()
    assert len(fct.maildir_files("alice", "cur")) == 2
    d = Raw(pop3.port)
    assert d.login("alice").startswith(b"+OK 2 ")
    assert d.cmd("QUIT").startswith(b"+OK")


# ---------------------------------------------------------------- delivery

def workers(fct):
    return [p for p in H.children(fct.lspawn_pid())
            if H.proc_comm(p) == "lspawn-worker"]


@pytest.mark.root_only
@pytest.mark.facteur(conf={"local_worker_idle": "300s"})
def test_delivery_worker(fct, inject):
    """The delivery worker is sandboxed; killed by the call in the middle
    of a delivery (at its first open), its job is retried by a new
    worker and the message arrives once; another user's worker goes
    on."""
    tag, data = H.make_message()
    assert fct.enqueue_raw(data, H.envelope(ALICE, [BOB])).returncode == 0
    fct.wait_for_tag("bob", tag)
    tag, data = H.make_message(to=ALICE)
    assert fct.enqueue_raw(data, H.envelope(BOB, [ALICE])).returncode == 0
    fct.wait_for_tag("alice", tag)
    by_uid = {H.proc_uids(w)[0]: w for w in workers(fct)}
    wbob, walice = by_uid[fct.user("bob").uid], by_uid[fct.user("alice").uid]
    for w in (wbob, walice):
        sandboxed(w)

    box = []
    t = threading.Thread(target=lambda: box.append(
        H.make_syscall(wbob, "execve", at=("openat",))))
    fct.expect_crash(wbob)
    fct.expect_crash("deliver killed by signal 31")
    t.start()
    H.wait_until(lambda: _traced(wbob), CHECK_TIMEOUT,
                 "the tracer to attach")
    tag, data = H.make_message()
    assert fct.enqueue_raw(data, H.envelope(ALICE, [BOB])).returncode == 0
    t.join(60)
    assert not t.is_alive()
    assert box and box[0] is not None and H.killed_by_sigsys(box[0]), box
    got = fct.wait_for_tag("bob", tag, timeout=60)
    fct.assert_queue_empty(60)
    assert fct.messages("bob").count(got) == 1
    assert fct.maildir_files("bob", "tmp") == []
    assert "deliver killed by signal 31" in fct.log()
    # alice's worker was not touched and still delivers
    assert H.alive(walice)
    tag, data = H.make_message(to=ALICE)
    assert fct.enqueue_raw(data, H.envelope(BOB, [ALICE])).returncode == 0
    fct.wait_for_tag("alice", tag)
    assert walice in workers(fct)


def _traced(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1]) != 0
    return False


# ---------------------------------------------------------------- modes

@pytest.mark.root_only
@pytest.mark.facteur(start=False)
def test_report_mode_names_the_call(fct, master_factory, inject):
    """sandbox = report: the process logs the forbidden call by name and
    then dies of SIGSYS all the same (the call is never made)."""
    m = master_factory(sandbox="report")
    wait_resident(m)
    a = Client(m.port)
    sa = the_session(m, [])
    sandboxed(sa)
    kill_with(fct, sa, "execve")
    assert a.eof()
    H.wait_until(lambda: "smtpd[%d]: sandbox: smtp-session: forbidden "
                 "system call execve (59); killing the process" % sa
                 in fct.log(), CHECK_TIMEOUT, "the report")
    c = Client(m.port)
    assert c.code("QUIT") == 221


@pytest.mark.root_only
@pytest.mark.facteur(conf={"sandbox": "report", "local_worker_idle": "300s"})
def test_report_mode_delivery_worker(fct, inject):
    """A delivery worker's report reaches lspawn's log, through its pipe,
    as the text of the job it was killed in."""
    tag, data = H.make_message()
    assert fct.enqueue_raw(data, H.envelope(ALICE, [BOB])).returncode == 0
    fct.wait_for_tag("bob", tag)
    (w,) = workers(fct)
    box = []
    t = threading.Thread(target=lambda: box.append(
        H.make_syscall(w, "socket", at=("openat",))))
    fct.expect_crash(w)
    t.start()
    H.wait_until(lambda: _traced(w), CHECK_TIMEOUT, "the tracer to attach")
    tag, data = H.make_message()
    assert fct.enqueue_raw(data, H.envelope(ALICE, [BOB])).returncode == 0
    t.join(60)
    assert box and box[0] is not None and H.killed_by_sigsys(box[0]), box
    fct.wait_for_tag("bob", tag, timeout=60)
    assert ("status=deferred (lspawn[%d]: sandbox: delivery: forbidden "
            "system call socket (41); killing the process)" % w) in fct.log()


@pytest.mark.facteur(start=False)
def test_off_keeps_no_new_privs(fct, master_factory):
    """sandbox = off: no filter (and a warning), NoNewPrivs all the
    same; what the filter would forbid is made."""
    m = master_factory(sandbox="off")
    wait_resident(m)
    a = Client(m.port)
    sa = the_session(m, [])
    assert H.proc_sandbox(sa) == (0, 1)
    assert "sandbox = off: sessions run without their system call " \
        "filters" in fct.log()
    if H.syscall_injection_supported() is None:
        assert H.make_syscall(sa, "socket") is None
    assert a.code("EHLO a.test") == 250
    assert a.code("QUIT") == 221


@pytest.mark.facteur(start=False)
def test_bad_value_is_a_configuration_error(fct, smtpd):
    """A word that is not a mode: smtpd refuses with 421, the master does
    not start, facteurctl check names it."""
    fct.write_conf(sandbox="maybe")
    c = Client(smtpd.port, greet=False)
    code, lines = c.reply()
    assert code == 421 and "Configuration error" in lines[0], (code, lines)
    assert 'sandbox: "maybe" is not enforce, report or off' in fct.log()
    r = subprocess.run([fct.program("facteurctl"), "-C", fct.conf_path,
                        "check"], capture_output=True, text=True)
    assert r.returncode != 0
    assert 'sandbox: "maybe" is not enforce, report or off' in r.stderr, \
        r.stderr
    fct.write_conf(smtp_listen="127.0.0.1:%d" % free_port())
    r = subprocess.run([fct.program("facteur"), "-d", "-C", fct.conf_path],
                       capture_output=True, text=True, timeout=60,
                       env=H.base_env(), cwd="/")
    assert r.returncode != 0
    assert "configuration has errors" in r.stderr, r.stderr


@pytest.mark.facteur(start=False)
def test_bad_value_at_sighup_is_kept_out(fct, master_factory):
    """The master keeps its running configuration when a reload brings a
    sandbox mode the children would refuse, and sessions go on."""
    m = master_factory()
    res = wait_resident(m)
    fct.write_conf(sandbox="none")
    m.proc.send_signal(signal.SIGHUP)
    H.wait_until(lambda: "has errors; keeping the running configuration"
                 in fct.log(), CHECK_TIMEOUT, "the master to refuse it")
    c = Client(m.port)
    tag, msg = H.make_message()
    assert c.mail("x@example.org", [ALICE], crlf(msg) + b".\r\n")[0] == 250
    fct.wait_for_tag("alice", tag)
    assert wait_resident(m) == res
