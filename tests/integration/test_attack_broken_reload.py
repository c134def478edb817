"""
A refused reload is refused everywhere (issue 15, finding 4).  After a
SIGHUP with a broken facteur.conf the master kept its configuration, but
every program it started read the file again: new POP3 sessions answered
"-ERR [SYS/TEMP] configuration error", and a resident smtpd restarted
later exited 78 (SMTP 421).  Now the master hands each program the text
it accepted (-F, a sealed memfd), queued gets each accepted reload over
its channel, and lspawn gets queued's text through the keeper.

The test breaks the file, sends SIGHUP, and checks that new POP3 and
SMTP sessions, a resident smtpd killed and restarted, a queued killed
and restarted, and an lspawn killed and restarted all work on the old
configuration; then mends the file with visible changes, sends SIGHUP,
and checks that the new one applies to each of them.
"""
import os
import poplib
import re
import signal
import smtplib

import pytest

import facteur_harness as H
from pop3d_fixtures import PASSWORD, Raw, pop3_conf, put_message
from test_master import CHECK_TIMEOUT, Master, free_port

BROKEN = "no_such_key = 1\nmessage_size_limit = huge\n"


def pop3_stat(port):
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    try:
        p.user("alice")
        p.pass_(PASSWORD)
        return p.stat()[0]
    finally:
        p.quit()


def smtp_send(port, tag):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        greeting = s.docmd("NOOP")      # the connection is up
        s.sendmail("x@example.org", ["alice@facteur.test"],
                   "Subject: %s\r\nX-Facteur-Test: %s\r\n\r\n%s\r\n"
                   % (tag, tag, tag))
    return greeting


def smtp_greeting(port):
    s = smtplib.SMTP(timeout=30)
    code, msg = s.connect("127.0.0.1", port)
    s.quit()
    return code, msg


def child_named(m, name):
    for pid in H.children(m.proc.pid):
        if H.proc_comm(pid) == name:
            return pid
    return None


def queued_pid(fct):
    """The queued the master started last (its keeper, a fork of queued
    that outlives a killed queued for a moment, has the same name)."""
    started = re.findall(r"started queued, pid (\d+)", fct.log())
    pid = int(started[-1]) if started else None
    return pid if pid and H.proc_comm(pid) == "queued" else None


def lspawn_pid(fct):
    q = queued_pid(fct)
    for pid in H.descendants(q) if q else ():
        if H.proc_comm(pid) == "lspawn":
            return pid
    return None


def kill_and_wait_new(m, find, what):
    H.wait_until(lambda: find() is not None, CHECK_TIMEOUT, what)
    old = find()
    os.kill(old, signal.SIGKILL)
    H.wait_until(lambda: find() not in (None, old), CHECK_TIMEOUT,
                 "a new " + what)
    return find()


@pytest.mark.facteur(start=False)
def test_refused_reload_is_kept_by_every_program(fct):
    put_message(fct, "alice", b"Subject: waiting\n\nwaiting\n")
    pop3_conf(fct, pop3_plaintext_login="yes")
    pop3_port = free_port()
    m = Master(fct, pop3_listen="127.0.0.1:%d" % pop3_port,
               myhostname="before.facteur.test",
               local_domains="facteur.test, localhost")
    try:
        H.wait_until(lambda: lspawn_pid(fct) is not None, CHECK_TIMEOUT,
                     "queued and lspawn")
        assert b"before.facteur.test" in smtp_greeting(m.port)[1]

        # Break the file; the master refuses it.
        with open(fct.conf_path, "a") as f:
            f.write(BROKEN)
        m.proc.send_signal(signal.SIGHUP)
        H.wait_until(lambda: "keeping the running configuration"
                     in fct.log(), CHECK_TIMEOUT, "the refusal")

        # New sessions run on the configuration in force.
        assert pop3_stat(pop3_port) == 1
        assert b"before.facteur.test" in smtp_greeting(m.port)[1]
        smtp_send(m.port, "while-broken")
        fct.wait_for_tag("alice", "while-broken")

        # So do servers started again after the refusal.
        kill_and_wait_new(m, lambda: child_named(m, "smtpd-resident"),
                          "resident smtpd")
        assert b"before.facteur.test" in smtp_greeting(m.port)[1]
        smtp_send(m.port, "after-resident-restart")
        kill_and_wait_new(m, lambda: queued_pid(fct), "queued")
        kill_and_wait_new(m, lambda: lspawn_pid(fct), "lspawn")
        fct.wait_for_tag("alice", "after-resident-restart")
        smtp_send(m.port, "after-queue-restart")
        fct.wait_for_tag("alice", "after-queue-restart")
        # (a message whose delivery queued's kill interrupted may come
        # twice: delivery is at least once)
        assert pop3_stat(pop3_port) >= 4
        log = fct.log()
        assert "configuration error" not in log
        assert "exited with status 78" not in log
        assert "errors in the config" not in log

        # Mend it, with changes each program shows; SIGHUP applies them.
        fct.write_conf(myhostname="after.facteur.test",
                       pop3_error_limit="1")
        queued_before = queued_pid(fct)
        m.proc.send_signal(signal.SIGHUP)
        H.wait_until(lambda: "config reloaded from the master's copy"
                     in fct.log(), CHECK_TIMEOUT, "queued's reload")
        H.wait_until(lambda: b"after.facteur.test" in
                     smtp_greeting(m.port)[1], CHECK_TIMEOUT,
                     "the new resident's greeting")
        # queued was not restarted: it took the text over its channel
        assert queued_pid(fct) == queued_before
        c = Raw(pop3_port)
        assert c.cmd("NOSUCH") == b"-ERR unknown command"
        assert c.line() == b"-ERR too many errors, closing"
        assert c.eof()
        c.close()
        smtp_send(m.port, "after-mend")
        fct.wait_for_tag("alice", "after-mend")
    finally:
        m.stop()


@pytest.mark.facteur(start=False)
def test_inetd_started_programs_read_the_file(fct):
    """Without -F (inetd, systemd, by hand) a program reads the file
    itself, as before: a broken file is its own error."""
    import subprocess
    pop3_conf(fct)
    r = subprocess.run([fct.program("pop3d"), "-d", "-C", fct.conf_path],
                       input=b"QUIT\r\n", capture_output=True, timeout=30,
                       env=H.base_env())
    assert r.stdout.startswith(b"+OK"), r
    with open(fct.conf_path, "a") as f:
        f.write(BROKEN)
    r = subprocess.run([fct.program("pop3d"), "-d", "-C", fct.conf_path],
                       input=b"QUIT\r\n", capture_output=True, timeout=30,
                       env=H.base_env())
    assert r.stdout == b"-ERR [SYS/TEMP] configuration error\r\n"
    assert b"no_such_key" in r.stderr
