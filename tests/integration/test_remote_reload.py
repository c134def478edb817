"""
rspawn runs on the configuration queued accepted, as lspawn does (issue
15's handoff, applied to remote delivery).  queued's keeper hands rspawn
the text queued runs on (-F 3, the last [C] frame); rspawn never reads
facteur.conf itself.  So a broken file that the master refused does not
stop a restarted rspawn (it would exit on the file's errors, and every
remote message would wait), and an accepted reload reaches rspawn even
though the file it would have read says something else by then.

The master also checks smtp_chroot, rspawn's chroot, before it starts
and at each reload, as it checks the chroots of the services it listens
for.
"""
import os
import signal
import smtplib
import subprocess

import pytest

import facteur_harness as H
from remote_fixtures import Peer
from test_attack_chroot import unfit_dirs
from test_master import CHECK_TIMEOUT, Master

BROKEN = "no_such_key = 1\nmessage_size_limit = huge\n"
REMOTE = "bob@remote.test"


def find_rspawn(m):
    q = m.queued_pid()
    for pid in H.descendants(q) if q else ():
        if H.proc_comm(pid) == "rspawn":
            return pid
    return None


def send(m, tag):
    """Through the master's smtpd (sendmail would read the file, which
    the test breaks): loopback is in mynetworks, so it relays."""
    with smtplib.SMTP("127.0.0.1", m.port, timeout=30) as s:
        s.sendmail("alice@facteur.test", [REMOTE],
                   "Subject: %s\r\n\r\n%s\r\n" % (tag, tag))


def remote_conf(peer):
    return {"relayhost": "[127.0.0.1]:%d" % peer.port,
            "mynetworks": "127.0.0.0/8",
            "smtp_tls_security_level": "none",
            "queue_retry_min": "1s", "queue_retry_max": "2s"}


@pytest.mark.facteur(start=False)
def test_rspawn_runs_on_the_configuration_queued_accepted(fct):
    a, b = Peer(), Peer()
    m = Master(fct, **remote_conf(a))
    try:
        first = H.wait_until(lambda: find_rspawn(m), CHECK_TIMEOUT,
                             "rspawn")
        send(m, "before")
        a.wait_messages(1, CHECK_TIMEOUT)

        # Break the file; the master refuses it, and an rspawn started
        # after that runs on the text in force, not on the file.
        with open(fct.conf_path, "a") as f:
            f.write(BROKEN)
        m.proc.send_signal(signal.SIGHUP)
        H.wait_until(lambda: "keeping the running configuration"
                     in fct.log(), CHECK_TIMEOUT, "the refusal")
        os.kill(first, signal.SIGKILL)
        fct.expected_crashes.append(first)
        second = H.wait_until(lambda: find_rspawn(m) not in (None, first)
                              and find_rspawn(m), CHECK_TIMEOUT,
                              "a new rspawn")
        send(m, "while-broken")
        msgs = a.wait_messages(2, CHECK_TIMEOUT)
        assert b"while-broken" in msgs[1]["data"]
        assert find_rspawn(m) == second
        log = fct.log()
        assert "cannot load the configuration" not in log
        assert "no_such_key" not in log.split(
            "keeping the running configuration")[-1]

        # Mend it, pointing the relayhost at b; the reload reaches a new
        # rspawn, which sends there.
        fct.write_conf(**remote_conf(b))
        m.proc.send_signal(signal.SIGHUP)
        H.wait_until(lambda: "config reloaded from the master's copy"
                     in fct.log(), CHECK_TIMEOUT, "queued's reload")
        send(m, "after-mend")
        got = b.wait_messages(1, CHECK_TIMEOUT)
        assert b"after-mend" in got[0]["data"]
        assert len(a.messages) == 2

        # Now change the file behind the master's back (no reload): a
        # restarted rspawn still sends to b, the relayhost in force.
        fct.write_conf(**remote_conf(a))
        third = find_rspawn(m)
        os.kill(third, signal.SIGKILL)
        fct.expected_crashes.append(third)
        H.wait_until(lambda: find_rspawn(m) not in (None, third),
                     CHECK_TIMEOUT, "a new rspawn")
        send(m, "file-unread")
        got = b.wait_messages(2, CHECK_TIMEOUT)
        assert b"file-unread" in got[1]["data"]
        assert len(a.messages) == 2
    finally:
        m.stop()
        a.stop()
        b.stop()


@pytest.mark.root_only
@pytest.mark.facteur(start=False)
def test_master_checks_smtp_chroot(fct):
    bad, why = unfit_dirs(fct)[1]
    fct.write_conf(smtp_chroot=bad)
    r = subprocess.run([fct.program("facteur"), "-d", "-C", fct.conf_path],
                       capture_output=True, text=True, timeout=60,
                       env=H.base_env(), stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert "smtp_chroot %s is unfit for a chroot: %s" % (bad, why) \
        in r.stderr, r.stderr
    r = subprocess.run([fct.program("facteurctl"), "-C", fct.conf_path,
                        "check"], capture_output=True, text=True,
                       timeout=60, env=H.base_env())
    assert r.returncode == 1
    assert "smtp_chroot %s is unfit for a chroot" % bad in r.stderr

    # started with a fit one, a reload to an unfit one is refused
    m = Master(fct, smtp_chroot=fct.empty)
    try:
        rs = H.wait_until(lambda: find_rspawn(m), CHECK_TIMEOUT, "rspawn")
        # its start line comes once it has chrooted and dropped root
        H.wait_until(lambda: "rspawn[%d]: started" % rs in fct.log(),
                     CHECK_TIMEOUT, "rspawn in its chroot")
        fct.write_conf(smtp_chroot=bad)
        m.proc.send_signal(signal.SIGHUP)
        H.wait_until(lambda: "keeping the running configuration"
                     in fct.log(), CHECK_TIMEOUT, "the refusal")
        assert os.readlink("/proc/%d/root" % rs) == fct.empty
    finally:
        m.stop()
