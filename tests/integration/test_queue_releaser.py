"""
queued's releaser (queue/queued_free.c; docs/queue.md, Q10): a child of
queued, as the queue's owner, that makes a finished message's files in
free/ takeable, so that their fsyncs, truncates and renames never hold up
queued's loop.

- The release happens while queued itself is stopped (SIGSTOP): it is
  done by another process.
- The releaser runs as the queue's owner with nothing open but its pipe
  and the log: not the queue's lock, not queued's channels or control
  socket.
- When it is killed, queued exits (and, under the master, is restarted),
  and mail goes on: no file of free/ is taken before its removal from
  msg/ and env/ was made durable (the start purges free/).
- A SIGTERM to every process at once (systemd's stop) stops queued
  cleanly: the releaser ignores it and ends with queued.
"""
import os
import signal
import stat

import facteur_harness as H

TIMEOUT = 30


def msg(tag):
    return H.make_message(tag)[1]


def send(fct, tag):
    assert fct.sendmail(["bob@" + H.DOMAIN], msg(tag)).returncode == 0
    fct.wait_for_tag("bob", tag, TIMEOUT)


def releaser(fct):
    """The pid of queued's child named queued-free."""
    box = []

    def find():
        box[:] = [p for p in H.children(fct.queued.pid)
                  if H.proc_comm(p) == "queued-free"]
        return len(box) == 1
    H.wait_until(find, TIMEOUT, "queued's releaser")
    return box[0]


def free_names(fct):
    return os.listdir(os.path.join(fct.queue, "free"))


def test_release_is_done_while_queued_is_stopped(fct):
    """Files put in free/ are released by the releaser even while queued
    cannot run at all; without it, queued's own loop released them."""
    pending = []
    for i in range(5):
        send(fct, "rel-%d" % i)
        # delivered: Q7 and Q9 follow at once; the release a second later
        H.wait_until(lambda: any(n.endswith("~") for n in free_names(fct)),
                     TIMEOUT, "files put in free/")
        os.kill(fct.queued.pid, signal.SIGSTOP)
        pending = [n for n in free_names(fct) if n.endswith("~")]
        if pending:
            break
        # released in the moment between the two looks: once more
        os.kill(fct.queued.pid, signal.SIGCONT)
    assert pending, "no file was ever seen waiting for its release"
    try:
        def released():
            names = free_names(fct)
            return (not any(n.endswith("~") for n in names) and
                    all(p[:-1] in names for p in pending))
        H.wait_until(released, TIMEOUT,
                     "the release of %s while queued is stopped" % pending)
        for p in pending:
            st = os.stat(os.path.join(fct.queue, "free", p[:-1]))
            assert st.st_size == 0 and stat.S_IMODE(st.st_mode) == 0o600
    finally:
        os.kill(fct.queued.pid, signal.SIGCONT)
    send(fct, "rel-after")


def test_releaser_holds_only_its_pipe(fct):
    """The releaser is the queue's owner and holds nothing of queued's
    but its pipe: not the queue's lock (no descriptor of it, no lock on
    any), no socket, not the trigger; the queue's folders it opened
    itself, with queue_open's checks, and free/.released."""
    pid = releaser(fct)
    assert H.proc_uids(pid) == (fct.queue_uid,) * 4
    kinds = {fd: os.readlink("/proc/%d/fd/%s" % (pid, fd))
             for fd in os.listdir("/proc/%d/fd" % pid)}
    folders = {fct.queue} | {os.path.join(fct.queue, s) for s in
                             H.QUEUE_SUBDIRS + ("corrupt", "free")}
    # and the FIFO in which it hands the released names out
    folders.add(os.path.join(fct.queue, "free", ".released"))
    others = {fd: t for fd, t in kinds.items()
              if not t.startswith("pipe:") and t not in folders
              and not t.startswith(fct.logdir + "/")}
    assert others == {}, kinds
    assert [fd for fd, t in kinds.items() if t.startswith("pipe:")] == \
        ["0"], kinds
    for fd in kinds:
        with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
            assert "lock:" not in f.read(), (fd, kinds[fd])
    # the check means something: queued holds the lock, and the
    # releaser's pipe is queued's
    qfd = {}
    for fd in os.listdir("/proc/%d/fd" % fct.queued.pid):
        qfd[fd] = os.readlink("/proc/%d/fd/%s" % (fct.queued.pid, fd))
    locked = []
    for fd in qfd:
        with open("/proc/%d/fdinfo/%s" % (fct.queued.pid, fd)) as f:
            if "lock:" in f.read():
                locked.append(fd)
    assert locked, qfd
    assert kinds["0"] in qfd.values()


def test_killed_releaser_stops_queued_and_nothing_is_lost(fct):
    """kill -9 of the releaser: queued exits at once (so that it is
    restarted and purges free/), a message queued meanwhile is delivered
    after the restart, and the next messages reuse nothing unreleased."""
    send(fct, "before-kill")
    H.wait_until(lambda: any(n.endswith("~") for n in free_names(fct)),
                 TIMEOUT, "files put in free/")
    pid = releaser(fct)
    fct.expect_crash("releaser of free/")
    os.kill(pid, signal.SIGKILL)
    fct.queued.wait(TIMEOUT)
    assert fct.queued.returncode != 0
    assert "the releaser of free/ exited" in fct.log()
    # what the dead releaser had not released: never handed to a writer
    left = [n for n in free_names(fct) if n.endswith("~")]
    r = fct.sendmail(["bob@" + H.DOMAIN], msg("while-down"))
    assert r.returncode == 0
    fct.start_queued()
    fct.wait_for_tag("bob", "while-down", TIMEOUT)
    names = free_names(fct)
    for n in left:
        assert n not in names and n[:-1] not in names, (n, names)
    assert releaser(fct) != pid
    send(fct, "after-restart")
    fct.assert_queue_empty()


def test_service_stop_signals_leave_the_releaser_to_queued(fct):
    """A SIGTERM (or SIGHUP) to the releaser alone does not end it; a
    SIGTERM to queued and the releaser at once, as systemd stops a
    service, ends queued cleanly ("stopped", status 0), not by the
    releaser's death, and the releaser with it."""
    send(fct, "before-signals")
    pid = releaser(fct)
    os.kill(pid, signal.SIGTERM)
    os.kill(pid, signal.SIGHUP)
    send(fct, "after-signals")
    assert H.alive(pid) and releaser(fct) == pid
    qpid = fct.queued.pid
    os.kill(pid, signal.SIGTERM)
    assert fct.stop_queued(signal.SIGTERM, TIMEOUT) == 0
    assert "queued[%d]: stopped" % qpid in fct.log()
    assert "releaser of free/ exited" not in fct.log()
    H.wait_until(lambda: not H.alive(pid), TIMEOUT, "the releaser's end")


def test_released_names_are_handed_out_in_a_fifo_of_the_owner(fct):
    """free/.released is a FIFO, 0600, of the queue's owner, in free/
    (0700, the owner's): no other user can hand a writer a name; and the
    start-up purge of free/ leaves it."""
    send(fct, "fifo-1")
    path = os.path.join(fct.queue, "free", ".released")
    H.wait_until(lambda: os.path.exists(path), TIMEOUT, "free/.released")
    st = os.lstat(path)
    assert stat.S_ISFIFO(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == fct.queue_uid and st.st_nlink == 1
    fst = os.stat(os.path.join(fct.queue, "free"))
    assert stat.S_IMODE(fst.st_mode) == 0o700 and fst.st_uid == fct.queue_uid
    fct.stop_queued()
    fct.start_queued()
    send(fct, "fifo-2")
    assert os.lstat(path).st_ino == st.st_ino
