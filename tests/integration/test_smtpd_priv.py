"""
smtpd's privilege separation, as root: the session runs as facteur-smtpd
inside the empty chroot and cannot reach the queue or a Maildir; the
monitor stays root; enqueue starts as facteur-smtpd and gets the queue
identity only from its own set-uid bit.
"""
import os
import pwd
import subprocess

import pytest

import facteur_harness as H
from smtpd_fixtures import SMTPD_USER, Client, smtpd  # noqa: F401

pytestmark = pytest.mark.root_only
D = H.DOMAIN


def tree(smtpd, want_enqueue=False):
    mon = H.wait_until(lambda: smtpd.pids()[-1:] or None, 30, "smtpd")[0]

    def kids():
        k = H.children(mon)
        sess = [p for p in k if H.proc_comm(p) == "smtpd"]
        enq = [p for p in k if H.proc_comm(p) == "enqueue"]
        if not sess or (want_enqueue and not enq):
            return None
        return (sess[0], enq[0] if enq else None)
    sess, enq = H.wait_until(kids, 30, "the session process")
    return mon, sess, enq


def test_session_identity_and_chroot(fct, smtpd):
    pw = pwd.getpwnam(SMTPD_USER)
    c = Client(smtpd.port)
    assert c.greeting[0] == 220
    mon, sess, _ = tree(smtpd)
    assert H.proc_uids(sess) == (pw.pw_uid,) * 4
    with open("/proc/%d/status" % sess) as f:
        status = f.read()
    gids = [ln for ln in status.splitlines() if ln.startswith("Gid:")][0]
    assert gids.split()[1:] == [str(pw.pw_gid)] * 4
    groups = [ln for ln in status.splitlines()
              if ln.startswith("Groups:")][0]
    assert groups.split()[1:] in ([], [str(pw.pw_gid)])
    assert os.readlink("/proc/%d/root" % sess) == os.path.join(fct.root,
                                                               "empty")
    # the monitor keeps root and the real root directory
    assert H.proc_uids(mon)[1] == 0
    assert os.readlink("/proc/%d/root" % mon) == "/"
    # inside the session's root there is no queue and no home
    sroot = "/proc/%d/root" % sess
    assert os.listdir(sroot) == []
    assert not os.path.exists(sroot + fct.queue)
    assert not os.path.exists(sroot + fct.users["bob"].home)
    assert c.code("QUIT") == 221


def test_smtpd_user_cannot_open_queue_or_maildir(fct, smtpd):
    """Even outside the chroot, the session's identity has no access."""
    pw = pwd.getpwnam(SMTPD_USER)
    targets = [fct.queue, os.path.join(fct.queue, "env"),
               fct.maildir("bob"), fct.maildir("alice", "")]
    code = ("import os,sys\nbad=[]\nfor p in sys.argv[1:]:\n"
            "    try:\n        os.listdir(p)\n        bad.append(p)\n"
            "    except PermissionError:\n        pass\n"
            "    except FileNotFoundError:\n        pass\n"
            "sys.exit(1 if bad else 0)\n")
    r = subprocess.run(["/usr/bin/python3", "-c", code] + targets,
                       user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_enqueue_started_unprivileged(fct, smtpd):
    pw = pwd.getpwnam(SMTPD_USER)
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org>") == 250
    assert c.code("RCPT TO:<bob@%s>" % D) == 250
    assert c.code("DATA") == 354
    mon, sess, enq = tree(smtpd, want_enqueue=True)
    ruid, euid = H.proc_uids(enq)[:2]
    # started as facteur-smtpd (never root); set-uid gives the queue owner
    assert ruid in (pw.pw_uid, fct.queue_uid) and ruid != 0
    assert euid == fct.queue_uid
    c.send(b"Subject: x\r\nX-Facteur-Test: priv\r\n\r\nhi\r\n.\r\n")
    assert c.reply()[0] == 250
    fct.wait_for_tag("bob", "priv")


def test_not_root_same_split_without_chroot(fct):
    """Started as an ordinary user: monitor and session, no chroot, no
    uid change (logged once), and mail still goes through."""
    from smtpd_fixtures import SmtpdServer, smtpd_conf
    smtpd_conf(fct)
    alice = fct.users["alice"]
    srv = SmtpdServer(fct, user=alice)
    try:
        c = Client(srv.port)
        assert c.greeting[0] == 220
        mon, sess, _ = tree(srv)
        assert H.proc_uids(mon) == (alice.uid,) * 4
        assert H.proc_uids(sess) == (alice.uid,) * 4
        assert os.readlink("/proc/%d/root" % sess) == "/"
        tag, msg = H.make_message()
        code, text = c.mail("s@example.org", ["bob@" + D],
                            msg.replace(b"\n", b"\r\n") + b".\r\n")
        assert code == 250, text
        c.cmd("QUIT")
        fct.wait_for_tag("bob", tag)
    finally:
        srv.close()
    assert "not running as root: privileges not changed" in fct.log()
