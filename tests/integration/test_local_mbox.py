"""
mailbox_format = mbox (deliver/local_mbox.c): the user's mailbox in a
spool laid out as Debian's /var/mail (root:mail, 2775), read back by
Debian's mail(1) (bsd-mailx); the dotlock and the fcntl lock honoured,
a stale dotlock removed; the mailbox refused when it is not the
recipient's, a symbolic link or hard-linked; a spool the recipient's
group cannot write; a write that fails leaves the mailbox as it was.
"""
import fcntl
import grp
import os
import re
import time

import pytest

import facteur_harness as H
from conftest import need_package
from local_fixtures import (D, ALICE, CAROL, put_home, send, wait_log,
                            wait_file)

pytestmark = pytest.mark.root_only

FROM_LINE = rb"From %s  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n"


def spool_setup(inst, mode=0o2775, group="mail", path=None):
    """The spool (root:mail 2775 by default) and the keys for it."""
    spool = path or os.path.join(inst.root, "mail")
    if not os.path.isdir(spool):
        os.mkdir(spool)
    os.chown(spool, 0, grp.getgrnam(group).gr_gid)
    os.chmod(spool, mode)
    inst.write_conf(mailbox_format="mbox", mail_spool_directory=spool,
                    deliver_lock_attempts="2", deliver_lock_delay="1s")
    return spool


def spool(mode=0o2775):
    return pytest.mark.facteur(before_start=lambda i: spool_setup(i, mode))


def box_of(fct, user="alice"):
    return os.path.join(fct.conf["mail_spool_directory"], user)


@spool()
def test_mbox_in_a_debian_spool_read_by_mail(fct):
    """Two messages land as mbox entries, the mailbox is created for the
    recipient (group mail from the setgid spool, mode 0600), no dotlock
    is left, and Debian's mail(1) lists and shows them."""
    mail = need_package("bsd-mailx", "mail")
    box = box_of(fct)
    u = fct.user("alice")
    tag1, d1 = send(fct, [ALICE])
    wait_file(box)
    tag2, d2 = send(fct, [ALICE], body=b"From the start\nFrom: x\nend\n")
    fct.assert_queue_empty()
    st = os.stat(box)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == \
        (u.uid, grp.getgrnam("mail").gr_gid, 0o600)
    assert not os.path.exists(box + ".lock")
    text = open(box, "rb").read()
    prefix = lambda: (rb"Return-Path: <%s>\nDelivered-To: %s\n"  # noqa
                      % (re.escape(CAROL.encode()), re.escape(ALICE.encode())))
    rx = (FROM_LINE % re.escape(CAROL.encode()) + prefix() + re.escape(d1)
          + rb"\n" + FROM_LINE % re.escape(CAROL.encode()) + prefix()
          + re.escape(d2.replace(b"\nFrom the start", b"\n>From the start"))
          + rb"\n$")
    assert re.match(rx, text), text
    r = fct.run([mail, "-N", "-f", box], b"h\np 2\nx\n", user="alice")
    out = r.stdout.decode()
    assert '"%s": 2 messages' % box in out, out
    assert len(re.findall(r"^ ?>?N +[12] alice@facteur", out,
                          re.M)) == 2, out
    assert ">From the start" in out and tag2 in out


@spool()
def test_mbox_dotlock_is_honoured(fct):
    """A dotlock held by someone else defers the delivery; once it is
    gone the retry delivers."""
    lock = box_of(fct) + ".lock"
    open(lock, "w").close()
    tag, data = send(fct, [ALICE])
    wait_log(fct, r"status=deferred \(4\.2\.0 cannot lock %s: locked by "
             r"another process\)" % re.escape(box_of(fct)))
    os.unlink(lock)
    assert tag.encode() in wait_file(box_of(fct))
    fct.assert_queue_empty()
    assert not os.path.exists(lock)


@spool()
def test_mbox_fcntl_lock_is_honoured(fct):
    box = box_of(fct)
    u = fct.user("alice")
    with open(box, "w") as f:
        os.chown(box, u.uid, u.gid)
        os.chmod(box, 0o600)
        fcntl.lockf(f, fcntl.LOCK_EX)
        tag, data = send(fct, [ALICE])
        wait_log(fct, r"status=deferred \(4\.2\.0 cannot lock .*locked by "
                 r"another process\)")
        assert os.path.getsize(box) == 0
        fcntl.lockf(f, fcntl.LOCK_UN)
    assert tag.encode() in wait_file(box)
    fct.assert_queue_empty()


@spool()
def test_mbox_stale_dotlock_is_removed(fct):
    lock = box_of(fct) + ".lock"
    open(lock, "w").close()
    old = time.time() - 1000
    os.utime(lock, (old, old))
    tag, data = send(fct, [ALICE])
    assert tag.encode() in wait_file(box_of(fct))
    wait_log(fct, r"removing stale lock %s" % re.escape(lock))
    assert not os.path.exists(lock)


@spool()
def test_mbox_of_another_owner_waits(fct):
    box = box_of(fct)
    b = fct.user("bob")
    open(box, "w").close()
    os.chown(box, b.uid, b.gid)
    os.chmod(box, 0o666)        # writable: only the owner is wrong
    send(fct, [ALICE])
    wait_log(fct, r"status=deferred \(4\.2\.0 mailbox %s is not owned by "
             r"the recipient\)" % re.escape(box))
    assert os.path.getsize(box) == 0


@spool()
@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_mbox_link_is_refused(fct, how):
    """A mailbox that is a symbolic link or has another name is never
    written: the mail bounces, the other file is untouched."""
    other = os.path.join(fct.rundir, "precious")
    with open(other, "w") as f:
        f.write("keep me\n")
    u = fct.user("alice")
    os.chown(other, u.uid, u.gid)
    if how == "symlink":
        os.symlink(other, box_of(fct))
    else:
        os.link(other, box_of(fct))
    tag, _ = send(fct, [ALICE])
    # carol's mailbox is an mbox too: the bounce is there
    b = H.wait_until(lambda: os.path.exists(box_of(fct, "carol")) and
                     tag.encode() in open(box_of(fct, "carol"), "rb").read()
                     and open(box_of(fct, "carol"), "rb").read(), 30,
                     "the bounce in carol's mbox")
    assert re.search(rb"5\.2\.0 (cannot open .*: a symbolic link|.* is not "
                     rb"a regular file with one link)", b), b
    assert open(other).read() == "keep me\n"


@spool(mode=0o755)
def test_mbox_spool_the_group_cannot_write(fct):
    send(fct, [ALICE])
    wait_log(fct, r"mail_spool_directory %s is writable neither by "
             % re.escape(fct.conf["mail_spool_directory"]))
    wait_log(fct, r"status=deferred \(4\.3\.5 mail_spool_directory is not "
             r"writable by the recipient or its group\)")
    assert os.listdir(fct.conf["mail_spool_directory"]) == []


@spool(mode=0o1777)
def test_mbox_world_writable_spool(fct):
    """A sticky, world-writable spool needs no group: the mailbox is the
    user's own, group and all."""
    tag, _ = send(fct, [ALICE])
    box = box_of(fct)
    assert tag.encode() in wait_file(box)
    st = os.stat(box)
    u = fct.user("alice")
    assert (st.st_uid, st.st_gid) == (u.uid, u.gid)


@pytest.mark.facteur(start=False)
def test_mbox_failed_write_leaves_the_mailbox(fct):
    """On a full file system the delivery is deferred and the mailbox
    truncated back to what it held."""
    sp = os.path.join(fct.root, "mail")
    os.mkdir(sp)
    fct.mount_tmpfs(sp, "64k")
    spool_setup(fct, path=sp)
    fct.start_queued()
    tag1, _ = send(fct, [ALICE])
    box = os.path.join(sp, "alice")
    first = wait_file(box)
    send(fct, [ALICE], body=b"y" * 200000 + b"\n")
    wait_log(fct, r"status=deferred \(4\.3\.0 cannot write to %s: No space"
             % re.escape(box))
    assert open(box, "rb").read() == first


@spool()
def test_mbox_from_alias_file_target(fct):
    """A /file target of a .forward in the user's home: an mbox with
    locks, created by the user; a Maildir when it ends in '/'."""
    h = fct.user("alice").home
    put_home(fct, "alice", ".forward", "%s/keep.mbox, %s/Maildir/.sub/\n"
             % (h, h))
    tag, _ = send(fct, [ALICE])
    assert tag.encode() in wait_file(os.path.join(h, "keep.mbox"))
    sub = os.path.join(h, "Maildir", ".sub", "new")
    H.wait_until(lambda: os.path.isdir(sub) and os.listdir(sub), 30,
                 "the Maildir target")
    fct.assert_queue_empty()
    assert not os.path.exists(os.path.join(h, "keep.mbox.lock"))
    assert not os.path.exists(box_of(fct))
    assert D
