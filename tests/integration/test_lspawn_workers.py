"""
lspawn's delivery workers: one long-lived process per recipient identity
delivers many messages, runs as exactly that uid and gid (groups: the gid
only), never serves another user; local_worker_max_jobs = 1 gives every
delivery a fresh process; a worker killed in a delivery costs that job
only (retried, delivered once, by another process); idle workers exit
after local_worker_idle; local_concurrency bounds the workers, idle ones
are retired to make room for another user.

Which worker delivered what is read from lspawn's debug lines
("ID: delivery for USER as uid N by worker PID, job K of it") and from
/proc while the workers idle.
"""
import os
import re
import signal
import subprocess

import pytest

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
CAROL = "carol@" + D

GIVEN_RE = re.compile(r"([0-9A-Z]{14}): delivery for (\S+) as uid (\d+) "
                      r"by worker (\d+), job (\d+) of it")
WORKER = "lspawn-worker"


def given(fct):
    """[(queue id, user, uid, worker pid, job number)] from the log."""
    return [(m.group(1), m.group(2), int(m.group(3)), int(m.group(4)),
             int(m.group(5)))
            for m in GIVEN_RE.finditer(fct.log())]


def workers(fct):
    """Live delivery workers under lspawn: {pid: (uids, gids, groups)}."""
    out = {}
    for pid in H.children(fct.lspawn_pid()):
        if H.proc_comm(pid) != WORKER or not H.alive(pid):
            continue
        try:
            with open("/proc/%d/status" % pid) as f:
                st = dict(line.rstrip("\n").split(":\t", 1) for line in f
                          if ":\t" in line)
        except OSError:
            continue
        out[pid] = (tuple(int(x) for x in st["Uid"].split()),
                    tuple(int(x) for x in st["Gid"].split()),
                    tuple(int(x) for x in st.get("Groups", "").split()))
    return out


def send(fct, rcpts, **kw):
    tag, data = H.make_message(**kw)
    r = fct.enqueue_raw(data, H.envelope(ALICE, rcpts))
    assert r.returncode == 0, r.stderr
    return tag, data


def expected(rcpt, data):
    return ("Return-Path: <%s>\nDelivered-To: %s\n"
            % (ALICE, rcpt)).encode() + data


def send_one_by_one(fct, user, n):
    """n messages to user, each sent after the previous one landed."""
    sent = []
    for i in range(n):
        tag, data = send(fct, [fct.users[user].addr])
        got = fct.wait_for_tag(user, tag)
        assert got == expected(fct.users[user].addr, data)
        sent.append(tag)
    fct.assert_queue_empty()
    return sent


@pytest.mark.facteur(conf={"local_worker_idle": "1h"})
def test_one_worker_delivers_many(fct):
    send_one_by_one(fct, "bob", 5)
    g = given(fct)
    assert len(g) == 5, g
    pids = {x[3] for x in g}
    assert len(pids) == 1, "one worker for one user: %s" % g
    assert [x[4] for x in g] == [1, 2, 3, 4, 5], g
    # the worker idles, as bob, with bob's gid and no other group
    pid = pids.pop()
    w = workers(fct)
    assert list(w) == [pid], (w, pid)
    if H.IS_ROOT:
        bob = fct.users["bob"]
        uids, gids, groups = w[pid]
        assert uids == (bob.uid,) * 4, uids
        assert gids == (bob.gid,) * 4, gids
        assert groups == (bob.gid,), groups
    # and it delivers again after idling
    send_one_by_one(fct, "bob", 1)
    assert given(fct)[-1][3] == pid


@pytest.mark.root_only
@pytest.mark.parametrize("concurrency", ["10", "1"])
def test_users_never_share_a_worker(fct, concurrency):
    fct.stop_queued()
    fct.write_conf(local_concurrency=concurrency, local_worker_idle="1h")
    fct.start_queued()
    tags = []
    for i in range(3):
        for user in ("bob", "carol"):
            tags += send_one_by_one(fct, user, 1)
    # one message for both, and a burst for both
    tag, data = send(fct, [BOB, CAROL])
    tags.append(tag)
    for i in range(6):
        tags.append(send(fct, [BOB if i % 2 else CAROL])[0])
    for user in ("bob", "carol"):
        fct.wait_for_delivery(user, 7)
    fct.assert_queue_empty()
    counts = fct.count_tags()
    assert all(counts.get(t) for t in tags), counts
    assert sum(counts.values()) == 14, counts
    g = given(fct)
    assert len(g) == 14, g
    by_user = {}
    for qid, user, uid, pid, n in g:
        assert uid == fct.users[user].uid, (user, uid)
        by_user.setdefault(user, set()).add(pid)
    assert by_user["bob"] and by_user["carol"]
    assert not by_user["bob"] & by_user["carol"], by_user
    # a pid is never reused by the kernel this fast; what idles is right
    for pid, (uids, gids, groups) in workers(fct).items():
        user = "bob" if pid in by_user["bob"] else "carol"
        assert pid in by_user[user], (pid, by_user)
        assert uids == (fct.users[user].uid,) * 4, (pid, uids)
        assert groups == (fct.users[user].gid,), (pid, groups)
    if concurrency == "1":
        assert len(workers(fct)) <= 1
        # room was made by retiring the other user's idle worker
        assert len(by_user["bob"]) >= 3 and len(by_user["carol"]) >= 3


@pytest.mark.parametrize("max_jobs", [1, 2])
def test_max_jobs(fct, max_jobs):
    fct.stop_queued()
    fct.write_conf(local_worker_max_jobs=str(max_jobs),
                   local_worker_idle="1h")
    fct.start_queued()
    send_one_by_one(fct, "bob", 4)
    g = given(fct)
    assert len(g) == 4, g
    pids = [x[3] for x in g]
    assert len(set(pids)) == 4 // max_jobs, g
    want = [1, 1, 1, 1] if max_jobs == 1 else [1, 2, 1, 2]
    assert [x[4] for x in g] == want, g
    # a worker that made its last delivery exits; none is left idling
    H.wait_until(lambda: not workers(fct), 30, "the workers to exit")
    for pid in pids:
        assert re.search(r"delivery worker %d \(uid \d+\) exited after %d "
                         r"job" % (pid, max_jobs), fct.log()), pid


def _tracer_pid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


# A worker that already delivered is killed (SIGKILL, injected by strace
# at its next fsync) in the middle of its second job: that job alone is a
# temporary failure, retried by queued and delivered once by a new worker.
# Root only: a worker is not dumpable, so only root may ptrace it.
@pytest.mark.root_only
@pytest.mark.facteur(conf={"queue_retry_min": "2s", "queue_retry_max": "2s",
                           "local_worker_idle": "1h"})
def test_worker_killed_mid_delivery(fct, strace):
    send_one_by_one(fct, "bob", 1)
    first = given(fct)[0][3]
    assert list(workers(fct)) == [first]
    trace = os.path.join(fct.rundir, "worker.strace")
    st = subprocess.Popen([strace, "-q", "-o", trace, "-p", str(first),
                           "-e", "trace=fsync,fdatasync",
                           "-e", "inject=fsync,fdatasync:signal=KILL:when=1"],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        H.wait_until(lambda: _tracer_pid(first) == st.pid, 30,
                     "strace to attach to the worker")
        tag, data = send(fct, [BOB])
        H.wait_until(lambda: "deliver killed by signal 9" in fct.log(), 30,
                     "the worker to be killed")
    finally:
        st.wait(timeout=30)     # it ends with the killed worker
    assert_retried_once(fct, tag, data, first)
    assert not H.alive(first)


def assert_retried_once(fct, tag, data, first):
    """The second message (tag) to bob was deferred when worker first was
    killed, then delivered once, whole, by another worker; no bounce."""
    assert re.search(r"to=<%s>, user=bob, status=deferred \(deliver killed "
                     r"by signal 9\)" % re.escape(BOB), fct.log())
    got = fct.wait_for_tag("bob", tag, timeout=60)
    fct.assert_queue_empty(60)
    assert got == expected(BOB, data)
    assert fct.count_tags()[tag] == 1
    assert fct.messages("alice") == [], "a bounce for a temporary failure"
    g = given(fct)
    tries = [x for x in g if x[0] == g[1][0]]
    assert len(tries) == 2 and tries[0][3] == first, g
    assert tries[1][3] != first, "the killed worker was used again"


# A worker that dies while idle (kill -9 by its own user, say) is noticed
# and replaced; no job is lost or failed.
@pytest.mark.facteur(conf={"local_worker_idle": "1h"})
def test_worker_killed_while_idle(fct):
    send_one_by_one(fct, "bob", 1)
    first = given(fct)[0][3]
    os.kill(first, signal.SIGKILL)
    H.wait_until(lambda: "delivery worker %d (uid" % first in fct.log()
                 and "killed by signal 9" in fct.log(), 30,
                 "lspawn to reap the idle worker")
    send_one_by_one(fct, "bob", 2)
    g = given(fct)
    assert len(g) == 3 and g[1][3] != first and g[1][3] == g[2][3], g
    assert "status=deferred" not in fct.log()


@pytest.mark.facteur(conf={"local_worker_idle": "1s"})
def test_idle_worker_exits(fct):
    send_one_by_one(fct, "bob", 1)
    pid = given(fct)[0][3]
    H.wait_until(lambda: not H.alive(pid), 30, "the idle worker to exit")
    assert re.search(r"delivery worker %d \(uid \d+\) idle for \d+ ms; "
                     r"retired" % pid, fct.log())
    assert not workers(fct)
    # the next message gets a new worker
    send_one_by_one(fct, "bob", 1)
    assert given(fct)[1][3] != pid


# A delivery that never ends (here: its worker is stopped; in life, a
# Maildir on a hung file system) holds its worker for local_delivery_timeout
# at most: lspawn kills the worker, the job is a temporary failure, and
# queued's retry delivers it once with a new worker.
@pytest.mark.facteur(conf={"queue_retry_min": "2s", "queue_retry_max": "2s",
                           "local_worker_idle": "1h",
                           "local_delivery_timeout": "2s"})
def test_stuck_delivery_is_killed(fct):
    send_one_by_one(fct, "bob", 1)
    first = given(fct)[0][3]
    os.kill(first, signal.SIGSTOP)
    try:
        tag, data = send(fct, [BOB])
        H.wait_until(lambda: "local_delivery_timeout); killed" in fct.log(),
                     30, "lspawn to kill the stuck worker")
    finally:
        if H.alive(first):
            os.kill(first, signal.SIGCONT)
    assert_retried_once(fct, tag, data, first)
    H.wait_until(lambda: not H.alive(first), 30, "the stuck worker to go")
