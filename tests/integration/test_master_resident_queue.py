"""
What the resident smtpd does as the monitor of its sessions: messages are
queued by long-lived queue writers (smtpd_queue_writers; 0 is a child per
message, as a per-connection smtpd does), a writer that dies costs only
the message it had (451, nothing queued), and AUTH is checked in a child
so that a slow AUTH never holds the resident's other sessions.
"""
import os
import signal
import socket
import stat

import pytest

import facteur_harness as H
from smtpd_fixtures import Client
from test_master import CHECK_TIMEOUT, free_port, master_factory  # noqa: F401
from test_master_resident import wait_resident
from test_smtpd_tls_fixtures import PASSWORD, b64, tls_conf

ALICE = "alice@" + H.DOMAIN


def writers(res):
    """The resident's queue writers (children named enqueue)."""
    return [p for p in H.children(res) if H.proc_comm(p) == "enqueue"]


def message(tag):
    return (b"Subject: %s\r\nX-Facteur-Test: %s\r\n\r\nbody\r\n.\r\n"
            % (tag.encode(), tag.encode()))


def deliver_one(fct, port, tag):
    """One message on a connection of its own, accepted and delivered."""
    c = Client(port)
    code = c.mail("x@example.org", [ALICE], message(tag))
    assert code[0] == 250, code
    c.close()
    return fct.wait_for_tag("alice", tag)


@pytest.mark.facteur(start=False)
def test_one_writer_queues_message_after_message(fct, master_factory):
    m = master_factory()
    res = wait_resident(m)
    seen = set()
    for i in range(5):
        c = Client(m.port)
        code = c.mail("x@example.org", [ALICE], message("qw-%d" % i))
        assert code[0] == 250, code
        assert c.code("QUIT") == 221
        c.close()
        seen.update(writers(res))
    for i in range(5):
        fct.wait_for_tag("alice", "qw-%d" % i)
    # one message at a time: one writer did them all, and it stays
    assert len(seen) == 1, seen
    (w,) = seen
    assert writers(res) == [w]
    st = os.stat(fct.conf["queue_dir"])
    if H.IS_ROOT:
        # the queue owner's identity, nothing of the resident's root
        assert H.proc_uids(w) == (st.st_uid,) * 4
    # between messages: the standard descriptors, its channel to the
    # resident, the queue directory and its six folders (opened once,
    # O_NOFOLLOW and checked), the FIFO of released names
    # (free/.released), the log socket when it logs to syslog; no
    # session's descriptor, no queue file
    qdir = fct.conf["queue_dir"]
    folders = [qdir + "/" + s for s in H.QUEUE_SUBDIRS + ("corrupt", "free")]
    folders.append(qdir + "/free/.released")
    for fd in os.listdir("/proc/%d/fd" % w):
        target = os.readlink("/proc/%d/fd/%s" % (w, fd))
        assert not target.startswith(qdir + "/") or target in folders, \
            target
    assert len(os.listdir("/proc/%d/fd" % w)) <= 12
    # each message once, whole
    tags = sorted(H.tag_of(b) for b in fct.messages("alice"))
    assert tags == ["qw-%d" % i for i in range(5)], tags
    for b in fct.messages("alice"):
        assert b.endswith(b"\nbody\n"), b[-40:]


@pytest.mark.facteur(start=False)
def test_killed_writer_costs_only_its_message(fct, master_factory):
    m = master_factory()
    res = wait_resident(m)
    # a first message starts the writer
    deliver_one(fct, m.port, "first")
    (w,) = writers(res)
    # the next message is in the writer's hands when it dies
    c = Client(m.port)
    assert c.code("EHLO client.test") == 250
    assert c.code("MAIL FROM:<x@example.org>") == 250
    assert c.code("RCPT TO:<%s>" % ALICE) == 250
    assert c.code("DATA") == 354
    c.send(b"Subject: lost\r\nX-Facteur-Test: killed-writer\r\n\r\nhalf")
    os.kill(w, signal.SIGKILL)
    H.wait_until(lambda: w not in writers(res), CHECK_TIMEOUT,
                 "the writer to be gone")
    c.send(b" of it\r\n.\r\n")
    code, lines = c.reply()
    assert code == 451, (code, lines)
    assert c.code("QUIT") == 221
    c.close()
    # nothing of it queued or delivered; the next message gets a new
    # writer and arrives
    deliver_one(fct, m.port, "after")
    assert not [b for b in fct.messages("alice")
                if b"killed-writer" in b]
    H.wait_until(fct.queue_is_empty, CHECK_TIMEOUT, "the queue to be empty")
    assert len(writers(res)) == 1 and writers(res) != [w]


@pytest.mark.facteur(start=False)
def test_no_writers_a_child_per_message(fct, master_factory):
    m = master_factory(smtpd_queue_writers="0")
    res = wait_resident(m)
    for i in range(3):
        deliver_one(fct, m.port, "nw-%d" % i)
        # the child queued it and is gone
        H.wait_until(lambda: not writers(res), CHECK_TIMEOUT,
                     "no queue process left")


@pytest.mark.facteur(start=False)
def test_all_writers_busy_a_child_takes_the_message(fct, master_factory):
    """With every writer busy (one, held by a client in the middle of its
    DATA), another message is queued by a child of its own, at once."""
    m = master_factory(smtpd_queue_writers="1")
    res = wait_resident(m)
    slow = Client(m.port)
    assert slow.code("EHLO slow.test") == 250
    assert slow.code("MAIL FROM:<x@example.org>") == 250
    assert slow.code("RCPT TO:<%s>" % ALICE) == 250
    assert slow.code("DATA") == 354
    slow.send(b"Subject: s\r\nX-Facteur-Test: held-writer\r\n\r\nfirst")
    H.wait_until(lambda: len(writers(res)) == 1, CHECK_TIMEOUT,
                 "the only writer")
    (w,) = writers(res)
    fast = Client(m.port)
    code = fast.mail("x@example.org", [ALICE], message("beside-writer"))
    assert code[0] == 250, code
    fast.close()
    fct.wait_for_tag("alice", "beside-writer")
    # the writer is still the slow client's (the child is gone), and its
    # message arrives whole
    H.wait_until(lambda: writers(res) == [w], CHECK_TIMEOUT,
                 "the child to be gone, the writer to stay")
    slow.send(b" half\r\n.\r\n")
    assert slow.reply()[0] == 250
    slow.close()
    body = fct.wait_for_tag("alice", "held-writer")
    assert body.endswith(b"\nfirst half\n"), body[-40:]


def auth_line(user, password):
    return "AUTH PLAIN " + b64("\0%s\0%s" % (user, password))


@pytest.mark.facteur(start=False)
def test_slow_auth_holds_no_other_session(fct, master_factory):
    """A wrong password is answered after the failure delay; meanwhile
    the same resident serves another client from greeting to 250."""
    tls_conf(fct, auth_fail_delay_max="30s", smtpd_plaintext_auth="yes")
    sub = free_port()
    m = master_factory(submission_listen="127.0.0.1:%d" % sub)
    res = wait_resident(m, "-msubmission")
    slow = Client(sub)
    assert slow.code("EHLO slow.test") == 250
    # fails to reach the delay: each failure from the address counts
    slow.send((auth_line("alice", "wrong-password") + "\r\n").encode())
    H.wait_until(lambda: any(H.proc_comm(p) == "smtpd-auth"
                             for p in H.children(res)),
                 CHECK_TIMEOUT, "the AUTH child")
    fast = Client(sub)
    assert fast.code("EHLO fast.test") == 250
    assert fast.code(auth_line("alice", PASSWORD)) == 235
    code = fast.mail(ALICE, [ALICE], message("while-auth-waits"))
    assert code[0] == 250, code
    assert fast.code("QUIT") == 221
    fast.close()
    fct.wait_for_tag("alice", "while-auth-waits")
    # the wrong password's answer has still not come
    slow.s.setblocking(False)
    with pytest.raises(BlockingIOError):
        slow.s.recv(100)
    slow.s.settimeout(60)
    code, lines = slow.reply()
    assert code == 535, (code, lines)
    slow.close()


def spares(fct):
    return sorted(n for n in os.listdir(os.path.join(fct.conf["queue_dir"],
                                                     "tmp"))
                  if n.startswith("spare."))


@pytest.mark.facteur(start=False)
def test_writer_makes_its_files_between_messages(fct, master_factory):
    """A queue writer has the two empty files of its next message ready
    in tmp/ (lib/queue/queue_spare.h), renames them into place for it, makes
    two more, and removes them when it ends."""
    m = master_factory()
    res = wait_resident(m)
    deliver_one(fct, m.port, "sp-1")
    (w,) = writers(res)
    H.wait_until(lambda: len(spares(fct)) == 2, CHECK_TIMEOUT,
                 "two spares")
    first = spares(fct)
    assert all(n.startswith("spare.%d." % w) for n in first), first
    tmp = os.path.join(fct.conf["queue_dir"], "tmp")
    inodes = {os.stat(os.path.join(tmp, n)).st_ino for n in first}
    for n in first:
        st = os.stat(os.path.join(tmp, n))
        assert st.st_size == 0 and st.st_mode & 0o777 == 0o600
    body = deliver_one(fct, m.port, "sp-2")
    assert body.endswith(b"\nbody\n")
    H.wait_until(lambda: len(spares(fct)) == 2 and spares(fct) != first,
                 CHECK_TIMEOUT, "two new spares")
    # the message went into the spares' inodes: they are gone from tmp/
    assert not set(first) & set(spares(fct))
    assert not inodes & {os.stat(os.path.join(tmp, n)).st_ino
                         for n in spares(fct)}
    m.stop()
    assert spares(fct) == []


@pytest.mark.facteur
def test_queued_removes_old_spares(fct):
    """Spares a writer left when it died are removed by queued's full
    scan once an hour old; younger ones are left alone."""
    tmp = os.path.join(fct.conf["queue_dir"], "tmp")
    st = os.stat(fct.conf["queue_dir"])
    old, young = "spare.999999.1", "spare.999999.2"
    for n in (old, young):
        p = os.path.join(tmp, n)
        open(p, "w").close()
        os.chmod(p, 0o600)
        if H.IS_ROOT:
            os.chown(p, st.st_uid, st.st_gid)
    two_hours = os.stat(os.path.join(tmp, old)).st_mtime - 7200
    os.utime(os.path.join(tmp, old), (two_hours, two_hours))
    fct.stop_queued()
    fct.start_queued()
    # the start-up scan is done once a message has gone through
    tag, data = H.make_message()
    assert fct.enqueue_raw(data, H.envelope(ALICE, [ALICE])).returncode == 0
    fct.wait_for_tag("alice", tag)
    assert spares(fct) == [young]


@pytest.mark.facteur(start=False)
def test_resident_reads_a_changed_aliases_file(fct, master_factory):
    """The resident loads aliases_file once and again when it changes:
    a new alias is known at the next connection, without SIGHUP."""
    m = master_factory()
    wait_resident(m)
    c = Client(m.port)
    assert c.code("EHLO client.test") == 250
    assert c.code("MAIL FROM:<x@example.org>") == 250
    assert c.code("RCPT TO:<newalias@%s>" % H.DOMAIN) == 550
    c.close()
    fct.write_aliases("newalias: alice\n")
    c2 = Client(m.port)
    code = c2.mail("x@example.org", ["newalias@" + H.DOMAIN],
                               message("via-new-alias"))
    assert code[0] == 250, code
    c2.close()
    fct.wait_for_tag("alice", "via-new-alias")


@pytest.mark.facteur(start=False)
def test_finished_files_are_reused(fct, master_factory):
    """queued moves a finished message's files to free/, and, once their
    removal is durable, empties them for the writers, whose next messages
    are written into them: no create, no unlink (lib/queue/queue_free.h)."""
    m = master_factory()
    wait_resident(m)
    free = os.path.join(fct.conf["queue_dir"], "free")
    for i in range(3):
        deliver_one(fct, m.port, "reuse-a%d" % i)

    def released():
        names = os.listdir(free)
        return names and not any(n.endswith("~") for n in names)
    H.wait_until(released, CHECK_TIMEOUT, "finished files to be released")
    pool = {}
    for n in os.listdir(free):
        st = os.stat(os.path.join(free, n))
        assert st.st_size == 0 and stat.S_IMODE(st.st_mode) == 0o600
        pool[st.st_ino] = n
    for i in range(3):
        deliver_one(fct, m.port, "reuse-b%d" % i)
    # the files taken from free/ are gone from it; each message arrived
    # whole (deliver_one checked it), in a reused inode or a new one
    left = {os.stat(os.path.join(free, n)).st_ino for n in os.listdir(free)
            if not n.endswith("~")}
    assert set(pool) - left, (pool, left)
    for i in range(3):
        fct.wait_for_tag("alice", "reuse-b%d" % i)


def many_recipients(c, n):
    """n remote recipients of about 75 octets each, pipelined: an
    envelope larger than a pipe holds (64 KiB)."""
    rcpts = ["r%05d-%s@remote.example" % (i, "x" * 50) for i in range(n)]
    c.send(b"".join(b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts))
    for r in rcpts:
        assert c.reply()[0] == 250, r
    return rcpts


@pytest.mark.facteur(start=False, conf={"mynetworks": "127.0.0.0/8",
                                        "smtpd_recipient_limit": "2000"})
@pytest.mark.parametrize("resident", ["yes", "no"])
def test_envelope_larger_than_a_pipe(fct, master_factory, resident):
    """The monitor writes the envelope it approved into the writer's
    pipe: the resident from its poll loop when the pipe cannot take it
    at once, a per-connection monitor in one go."""
    m = master_factory(smtpd_resident=resident)
    c = Client(m.port)
    assert c.code("EHLO client.test") == 250
    assert c.code("MAIL FROM:<big@example.org>") == 250
    rcpts = many_recipients(c, 1500)
    assert c.code("DATA") == 354
    c.send(message("big-env"))
    code, lines = c.reply()
    assert code == 250, lines
    c.close()
    assert "from=<big@example.org>, size=" in fct.log()
    assert H.re.search(r"from=<big@example.org>, size=\d+, nrcpt=1500, uid=",
                       fct.log()), fct.log_tail()
    (env,) = [os.path.join(fct.queue, "env", n)
              for n in fct.queue_files()["env"]]
    with open(env, "rb") as f:
        data = f.read()
    assert all(r.encode() in data for r in rcpts)
    if resident == "yes":
        assert H.re.search(r"envelope: \d+ octets wait for the pipe",
                           fct.log())
