"""
Issue 15, finding 7: the free-space reserve of the queue's file system.

New mail is refused with a temporary error while the queue's file system
has less than queue_minfree_blocks percent of its blocks, or
queue_minfree_inodes percent of its inodes, free (OpenSMTPD refuses under
5%): enqueue exits 71, which sendmail reports as a temporary failure
(75) and smtpd as 452 4.3.1.  The check is the queue side's (enqueue, a
per-connection smtpd's queue child, a resident's queue writers), made for
each message; a bounce queued makes may use the reserve.  The queue here
is a small tmpfs the test mounts (size= and nr_inodes=), filled by the
test as root.
"""
import os
import smtplib

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, SmtpdServer, smtpd_conf
from test_master import Master

pytestmark = pytest.mark.root_only

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
EXIT_NOSPACE = 71
BLOCKS = 256            # the tmpfs: 1 MiB of 4 KiB pages
INODES = 200


def _small_queue(inst):
    try:
        inst.mount_tmpfs(inst.queue, "%dk" % (BLOCKS * 4), nr_inodes=INODES)
    except H.HarnessError as e:
        pytest.skip("cannot mount a tmpfs here: %s" % e)


def free_share(path):
    st = os.statvfs(path)
    return (100.0 * st.f_bavail / st.f_blocks,
            100.0 * st.f_favail / st.f_files)


def fill_blocks(fct, leave_pct):
    """One file in queue_dir (no folder of the queue's) that leaves
    about leave_pct percent of the blocks free."""
    st = os.statvfs(fct.queue)
    want = int(st.f_blocks * leave_pct / 100.0)
    n = (st.f_bavail - want) * st.f_frsize
    path = os.path.join(fct.queue, "filler")
    with open(path, "wb") as f:
        f.write(b"\0" * n)
    return path


def fill_inodes(fct, leave_pct):
    """Empty files in a directory of queue_dir that leave about leave_pct
    percent of the inodes free."""
    d = os.path.join(fct.queue, "inodes")
    os.mkdir(d)
    st = os.statvfs(fct.queue)
    want = int(st.f_files * leave_pct / 100.0)
    for i in range(st.f_favail - want):
        open(os.path.join(d, str(i)), "wb").close()
    return d


def unfill(path):
    if os.path.isdir(path):
        for n in os.listdir(path):
            os.unlink(os.path.join(path, n))
        os.rmdir(path)
    else:
        os.unlink(path)


def sendmail(fct, tag_data):
    tag, data = tag_data
    return fct.sendmail(["-f", ALICE, BOB], data)


def smtp_data(port, tag):
    c = Client(port)
    try:
        assert c.code("EHLO client.test") == 250
        return c.mail("x@example.org", [BOB],
                      b"Subject: r\r\nX-Facteur-Test: " + tag.encode() +
                      b"\r\n\r\nreserve\r\n.\r\n")
    finally:
        c.close()


@pytest.mark.facteur(before_start=_small_queue)
@pytest.mark.parametrize("what", ["blocks", "inodes"])
def test_sendmail_and_enqueue_refused_below_the_reserve(fct, what):
    filler = fill_blocks(fct, 2) if what == "blocks" else \
        fill_inodes(fct, 2)
    share = free_share(fct.queue)[0 if what == "blocks" else 1]
    assert share < 5, share
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == EXIT_NOSPACE, (r.returncode, r.stderr)
    assert b"below queue_minfree_%s (5%%)" % what.encode() in r.stderr, \
        r.stderr
    r = sendmail(fct, H.make_message())
    assert r.returncode == 75, (r.returncode, r.stderr)
    assert b"queue file system low on free space" in r.stderr, r.stderr
    assert fct.queue_is_empty()
    # room again: accepted and delivered
    unfill(filler)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)


@pytest.mark.facteur(before_start=_small_queue,
                     conf={"queue_minfree_blocks": "0"})
def test_reserve_zero_turns_the_check_off(fct):
    filler = fill_blocks(fct, 2)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)
    unfill(filler)


@pytest.mark.facteur(before_start=_small_queue,
                     conf={"queue_minfree_blocks": "40"})
def test_reserve_is_configurable(fct):
    # 30% free: below a 40% reserve, above the default 5%
    filler = fill_blocks(fct, 30)
    r = fct.enqueue_raw(H.make_message()[1], H.envelope(ALICE, [BOB]))
    assert r.returncode == EXIT_NOSPACE, (r.returncode, r.stderr)
    assert b"below queue_minfree_blocks (40%)" in r.stderr, r.stderr
    fct.write_conf(queue_minfree_blocks="20")
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)
    unfill(filler)


@pytest.mark.facteur(before_start=_small_queue)
def test_smtpd_per_connection_answers_452(fct):
    smtpd_conf(fct)
    srv = SmtpdServer(fct)
    try:
        filler = fill_blocks(fct, 2)
        code = smtp_data(srv.port, "low")
        assert code[0] == 452, code
        assert "4.3.1" in " ".join(code[1]), code
        assert fct.queue_is_empty()
        unfill(filler)
        code = smtp_data(srv.port, "room")
        assert code[0] == 250, code
        fct.wait_for_tag("bob", "room")
    finally:
        srv.close()


@pytest.mark.facteur(start=False, before_start=_small_queue)
def test_resident_queue_writer_answers_452(fct):
    m = Master(fct)
    try:
        H.wait_until(lambda: m.queued_pid() is not None, 30,
                     "queued to start")
        filler = fill_inodes(fct, 2)
        code = smtp_data(m.port, "low")
        assert code[0] == 452, code
        assert "4.3.1" in " ".join(code[1]), code
        assert "queue_minfree_inodes" in fct.log()
        unfill(filler)
        code = smtp_data(m.port, "room")
        assert code[0] == 250, code
        fct.wait_for_tag("bob", "room")
    finally:
        m.stop()


@pytest.mark.facteur(before_start=_small_queue)
def test_bounces_may_use_the_reserve(fct):
    """queued's bounces (enqueue -B) go through: the reserve is there so
    that the queue can drain."""
    fct.stop_queued()
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, ["nobody-here@" + D]))
    assert r.returncode == 0, r.stderr
    filler = fill_blocks(fct, 2)
    # an ordinary caller cannot ask for the reserve: -B is ignored
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]), argv=[
        fct.program("enqueue"), "-B"])
    assert r.returncode == EXIT_NOSPACE, (r.returncode, r.stderr)
    assert b"ignoring -B" in r.stderr, r.stderr
    fct.start_queued()
    (bounce,) = fct.wait_for_delivery("alice", 1)
    assert H.is_bounce(bounce) and tag.encode() in bounce
    fct.assert_queue_empty()
    unfill(filler)
