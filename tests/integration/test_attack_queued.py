"""
Issue 15, the queue's side of the threat model: what a subverted queued
(code running as facteur-queue, the queue's owner) can make lspawn, the
root process that opens each message and hands it to a delivery worker
running as the recipient, do.

lspawn is run here on its own, as queued's keeper starts it (root, jobs
on fd 0, results on fd 1), and the test plays queued: it sends the job
frames a subverted queued could send and plants in the queue what the
queue's owner can plant there.  A hard link to a file of root's is
planted by the test itself: the kernel's protected_hardlinks keeps the
queue's owner from making one, but lspawn must not depend on that
setting.  In every case no byte of a file outside the queue reaches a
recipient, and lspawn goes on delivering honest jobs.
"""
import os
import select
import subprocess
import time

import pytest

import facteur_harness as H

pytestmark = pytest.mark.root_only

D = H.DOMAIN
ALICE = "alice@" + D
SECRET = b"root's secret: not for any mailbox\n"


def frame(fields):
    """A chan frame (lib/ipc/chan.h) as queued writes it."""
    payload = b"\0".join(f.encode() for f in fields)
    if fields[-1] == "":
        payload += b"\0"
    return str(len(payload)).encode() + b":" + payload + b","


class Lspawn:
    """lspawn as the keeper starts it, with the test as its queued."""

    def __init__(self, fct):
        self.fct = fct
        log = open(fct.log_path, "ab")
        self.p = subprocess.Popen(
            [fct.program("lspawn"), "-d", "-C", fct.conf_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            env=H.base_env(), cwd="/")
        log.close()
        self.buf = b""
        self.slot = 0

    def job(self, qid, user="alice", rcpt=ALICE):
        slot = str(self.slot)
        self.slot += 1
        self.p.stdin.write(frame(["J", slot, qid, "x@example.org", rcpt,
                                  user, "", "0"]))
        self.p.stdin.flush()
        return self.result(slot)

    def result(self, slot, timeout=30):
        """(status, text) of the R frame for slot."""
        end = time.monotonic() + timeout
        while True:
            if b":" in self.buf:
                n, rest = self.buf.split(b":", 1)
                n = int(n)
                if len(rest) > n:
                    payload, self.buf = rest[:n], rest[n + 1:]
                    f = payload.split(b"\0")
                    assert f[0] == b"R" and f[1] == slot.encode(), f
                    return f[2].decode(), f[3].decode()
            left = end - time.monotonic()
            assert left > 0, "no result from lspawn for slot %s" % slot
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 4096)
                assert chunk, "lspawn closed its results: %s" % \
                    self.fct.log_tail()
                self.buf += chunk

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def make_queue(fct):
    """The queue's folders, as queued makes them."""
    for sub in H.QUEUE_SUBDIRS + ("corrupt", "free"):
        p = os.path.join(fct.queue, sub)
        if not os.path.isdir(p):
            os.mkdir(p, 0o700)
            os.chown(p, fct.queue_uid, fct.queue_gid)


def plant_message(fct, qid, data):
    p = os.path.join(fct.queue, "msg", qid)
    with open(p, "wb") as f:
        f.write(data)
    os.chown(p, fct.queue_uid, fct.queue_gid)
    os.chmod(p, 0o600)
    return p


def new_id():
    """A queue ID of the right form (what queued would send): digits 6-9
    hold microseconds, so the first of them is 0 here."""
    import random
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    r = "".join(random.choice(alphabet) for _ in range(13))
    return r[:6] + "0" + r[6:]


@pytest.fixture
def secret(fct):
    """A file of root's, readable by root only, outside the queue."""
    d = os.path.join(fct.root, "rootonly")
    os.mkdir(d, 0o700)
    p = os.path.join(d, "secret")
    with open(p, "wb") as f:
        f.write(SECRET)
    os.chmod(p, 0o600)
    return p


@pytest.fixture
def lspawn(fct):
    make_queue(fct)
    ls = Lspawn(fct)
    yield ls
    ls.close()


def honest_job_still_delivered(fct, ls):
    tag, data = H.make_message(to=ALICE)
    qid = new_id()
    plant_message(fct, qid, data)
    status, text = ls.job(qid)
    assert status == "K", text
    got = fct.wait_for_tag("alice", tag)
    assert got.endswith(data)


def nothing_of_the_secret_delivered(fct):
    for m in fct.messages("alice"):
        assert SECRET not in m, m


@pytest.mark.facteur(start=False)
def test_queued_cannot_have_lspawn_follow_a_link_in_msg(fct, lspawn,
                                                         secret):
    qid = new_id()
    os.symlink(secret, os.path.join(fct.queue, "msg", qid))
    status, text = lspawn.job(qid)
    assert status == "Z", text
    assert "cannot open message" in text, text
    nothing_of_the_secret_delivered(fct)
    honest_job_still_delivered(fct, lspawn)
    nothing_of_the_secret_delivered(fct)


@pytest.mark.facteur(start=False)
def test_queued_cannot_have_lspawn_deliver_a_hard_link(fct, lspawn, secret):
    qid = new_id()
    os.link(secret, os.path.join(fct.queue, "msg", qid))
    status, text = lspawn.job(qid)
    assert status == "Z", text
    assert "not a regular file of the queue's owner with one link" in text
    nothing_of_the_secret_delivered(fct)
    honest_job_still_delivered(fct, lspawn)


@pytest.mark.facteur(start=False)
def test_queued_cannot_hold_lspawn_with_a_fifo(fct, lspawn):
    qid = new_id()
    p = os.path.join(fct.queue, "msg", qid)
    os.mkfifo(p, 0o600)
    os.chown(p, fct.queue_uid, fct.queue_gid)
    status, text = lspawn.job(qid)
    assert status == "Z", text
    honest_job_still_delivered(fct, lspawn)


@pytest.mark.facteur(start=False)
def test_queued_cannot_swap_msg_for_a_link_under_lspawn(fct, lspawn,
                                                         secret):
    """msg/ replaced by a link to a directory of root's after lspawn
    opened it: lspawn reaches messages through the msg/ it opened and
    checked at start, never through the name."""
    honest_job_still_delivered(fct, lspawn)
    qid = new_id()
    os.link(secret, os.path.join(os.path.dirname(secret), qid))
    real = os.path.join(fct.queue, "msg")
    os.rename(real, real + ".old")
    os.symlink(os.path.dirname(secret), real)
    try:
        status, text = lspawn.job(qid)
    finally:
        os.unlink(real)
        os.rename(real + ".old", real)
    assert status == "Z", text
    nothing_of_the_secret_delivered(fct)


@pytest.mark.facteur(start=False)
def test_lspawn_refuses_a_queue_whose_msg_is_a_link(fct, secret):
    make_queue(fct)
    real = os.path.join(fct.queue, "msg")
    os.rmdir(real)
    os.symlink(os.path.dirname(secret), real)
    ls = Lspawn(fct)
    try:
        assert ls.p.wait(30) != 0
    finally:
        ls.close()
    assert "queue: msg/: a symbolic link (refused)" in fct.log()


@pytest.mark.facteur(start=False, extra_users={"zero": (0, 0)})
def test_queued_cannot_have_lspawn_deliver_as_root(fct, lspawn):
    tag, data = H.make_message()
    qid = new_id()
    plant_message(fct, qid, data)
    status, text = lspawn.job(qid, user="zero", rcpt="zero@" + D)
    assert status == "D", text
    assert not os.path.exists(os.path.join(fct.root, "home/zero/Maildir"))


@pytest.mark.facteur(start=False)
def test_a_malformed_job_ends_lspawn(fct, lspawn):
    """queued restarts lspawn and retries what was in flight."""
    lspawn.p.stdin.write(b"5:J\0\0\0\0,")
    lspawn.p.stdin.flush()
    assert lspawn.p.wait(30) == 111
    assert "malformed frame from queued" in fct.log()


@pytest.mark.facteur(start=False)
def test_a_job_with_a_bad_check_field_ends_lspawn(fct, lspawn):
    """The eighth field says whether to look in the Maildir first: "0" or
    "1" and nothing else."""
    lspawn.p.stdin.write(frame(["J", "0", new_id(), "x@example.org", ALICE,
                                "alice", "", "yes"]))
    lspawn.p.stdin.flush()
    assert lspawn.p.wait(30) == 111
    assert "bad check field" in fct.log()
