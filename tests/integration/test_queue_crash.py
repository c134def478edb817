"""
Crashes at every step of the queue protocol, with kill -9 delivered by
strace's fault injection (no hooks in the code):

  enqueue: a probe run under strace records the program's own sequence of
  open/write/fsync/rename calls; the steps must come in docs/queue.md's
  order (E1-E8: each before the next, every step but E7/E8 before the
  commit), and each test then kills a fresh run at one step of it (the
  kill happens on entry, so that call never runs).  Killed before the
  rename into env/: never delivered, nothing left after queued's
  recovery.  Killed after it: delivered exactly once.
  a resident smtpd's queue writer, with its spares: the same, with strace
  attached to the long-lived writer (the spares are renamed into msg/<id>
  and tmp/<id> instead of being created there).
  queued: kill -9 with deliveries in flight; every message arrives at least
  once, duplicates only within the in-flight window.
  delivery (a delivery worker of lspawn): killed before its fsync or its
  link into new/: retried, lands once, no partial file in new/.
"""
import os
import re
import subprocess
import uuid

import pytest

import facteur_harness as H
from test_master import master_factory  # noqa: F401

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
ID = r"[0-9A-Z]{14}"
OPENS = ("open", "openat", "openat2", "creat")
WRITES = ("write", "writev", "pwrite64", "pwritev", "pwritev2")
FSYNCS = ("fsync", "fdatasync")
RENAMES = ("rename", "renameat", "renameat2", "link", "linkat")
TRACE = ",".join(OPENS + WRITES + FSYNCS + RENAMES)
NOLEAK = {"ASAN_OPTIONS": "detect_leaks=0"}   # LSan cannot run under ptrace

LINE_RE = re.compile(r"^(\d+)\s+(\w+)\((.*)$")


class Event:
    def __init__(self, pid, name, line, nth):
        self.pid, self.name, self.line, self.nth = pid, name, line, nth

    def __repr__(self):
        return "%s#%d %s" % (self.name, self.nth, self.line[:120])


def parse_trace_by_pid(path):
    """{pid: events}, each event with its ordinal among that process's
    calls of the same name (strace counts injections per process)."""
    out, counts = {}, {}
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE_RE.match(line)
            if not m:
                continue
            pid, name = int(m.group(1)), m.group(2)
            n = counts.setdefault(pid, {})
            n[name] = n.get(name, 0) + 1
            out.setdefault(pid, []).append(
                Event(pid, name, line.rstrip("\n"), n[name]))
    return out


def parse_trace(path):
    """Events of the first process, each with its ordinal among the calls
    of the same name (what strace's when=N counts)."""
    by_pid = parse_trace_by_pid(path)
    return next(iter(by_pid.values()), [])


def step_finders(queue, spares=False):
    """(name, predicate, must come after the commit), in docs/queue.md's
    order.  With spares (a queue writer), E1 and E4 start by renaming a
    spare into place."""
    q = re.escape(os.path.realpath(queue))

    def on_file(names, sub):
        pat = re.compile(r"\(\d+<" + q + "/" + sub + "/" + ID + r">")
        return lambda e: e.name in names and pat.search(e.line)

    def opened(sub):
        pat = re.compile(r"= \d+<" + q + "/" + sub + "/" + ID + r">")
        return lambda e: e.name in OPENS and pat.search(e.line)

    def on_dir(names, sub):
        pat = re.compile(r"\(\d+<" + q + "/" + sub + r">")
        return lambda e: e.name in names and pat.search(e.line)

    def renamed_to(sub):
        # "sub/<id>" relative to queue_dir, or "<id>" relative to the
        # folder's own descriptor (queue_open opens every folder)
        pat = re.compile(r"[\"/]" + sub + "/" + ID + r"\"|<" + q + "/" +
                         sub + r">, \"" + ID + r"\"")
        return lambda e: e.name in RENAMES and pat.search(e.line)

    commit_pat = re.compile(q + r"/env[/>]|\"env/")
    trig = re.compile(r"<" + q + r"/trigger>")
    take_msg = [("take_msg", renamed_to("msg"), False)] if spares else []
    take_tmp = [("take_tmp", renamed_to("tmp"), False)] if spares else []
    return take_msg + [
        ("open_msg", opened("msg"), False),
        ("fsync_msg_dir", on_dir(FSYNCS, "msg"), False),
        ("write_msg", on_file(WRITES, "msg"), False),
        ("fsync_msg", on_file(FSYNCS, "msg"), False),
    ] + take_tmp + [
        ("open_tmp", opened("tmp"), False),
        ("write_tmp", on_file(WRITES, "tmp"), False),
        ("fsync_tmp", on_file(FSYNCS, "tmp"), False),
        ("rename", lambda e: e.name in RENAMES and commit_pat.search(e.line),
         False),
        ("fsync_env_dir", on_dir(FSYNCS, "env"), True),
        ("open_trigger", lambda e: e.name in OPENS and trig.search(e.line),
         True),
        ("write_trigger", lambda e: e.name in WRITES and trig.search(e.line),
         True),
    ]


STEPS = [s[0] for s in step_finders("/q")]
WRITER_STEPS = [s[0] for s in step_finders("/q", spares=True)]
COMMIT = "rename"


def step_indices(events, finders):
    """{step: index of its first event}; asserts that every step is there
    and that they come in the documented order, each after the one
    before it, the commit after every step that must precede it."""
    where, last = {}, -1
    for name, pred, after in finders:
        idx = next((i for i in range(last + 1, len(events))
                    if pred(events[i])), None)
        first = next((i for i in range(len(events)) if pred(events[i])),
                     None)
        assert first is not None, "no %s step; trace:\n%s" % (
            name, "\n".join(map(repr, events)))
        assert idx is not None and first == idx, \
            "%s comes before a step docs/queue.md puts first (at %d); " \
            "trace:\n%s" % (name, first, "\n".join(
                "%3d %r" % (i, e) for i, e in enumerate(events)))
        where[name] = last = idx
    commit = where[COMMIT]
    for name, pred, after in finders:
        assert (where[name] > commit) == after or name == COMMIT, \
            "%s is on the wrong side of the commit" % name
    return where


def strace_argv(fct, strace, extra):
    argv = [strace, "-f", "-qq"] + extra
    if H.IS_ROOT:
        # root tracer: the set-uid bit of enqueue is honoured under -u
        argv += ["-u", fct.users["alice"].login]
    return argv + [fct.program("enqueue")]


def run_traced(fct, strace, data, env_bytes, extra, expect_signal=None):
    return fct.enqueue_raw(data, env_bytes, user=None, env=NOLEAK,
                           argv=strace_argv(fct, strace, extra),
                           expect_signal=expect_signal)


def probe(fct, strace):
    """Runs enqueue once under strace; returns (events, data size)."""
    out = os.path.join(fct.rundir, "probe.%s" % uuid.uuid4().hex)
    tag, data = H.make_message()
    r = run_traced(fct, strace, data, H.envelope(ALICE, [BOB]),
                   ["-y", "-s", "0", "-o", out, "-e", "trace=" + TRACE])
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    assert fct.count_tags()[tag] == 1
    return parse_trace(out)


def restart_and_settle(fct):
    fct.stop_queued()
    fct.cleanup_processes()
    fct.start_queued()
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()


def test_enqueue_steps_in_order(fct, strace):
    """E1-E8 in docs/queue.md's order, not only each of them somewhere:
    moving a step (fsync of msg/ after the rename, or after the message
    is written, say) fails here."""
    step_indices(probe(fct, strace), step_finders(fct.queue))


@pytest.mark.parametrize("step", STEPS)
def test_enqueue_killed_at(fct, strace, step):
    events = probe(fct, strace)
    where = step_indices(events, step_finders(fct.queue))
    commit = where[COMMIT]
    ev = events[where[step]]
    committed = where[step] > commit

    tag, data = H.make_message()
    inj = ["-e", "trace=" + ev.name, "-e",
           "inject=%s:signal=KILL:when=%d" % (ev.name, ev.nth)]
    r = run_traced(fct, strace, data, H.envelope(ALICE, [BOB]), inj,
                   expect_signal=9)
    assert r.returncode == -9, "injection at %r did not kill enqueue " \
        "(exit %s)" % (ev, r.returncode)
    q = fct.queue_files()
    if not committed:
        assert not q["env"], "killed before the rename, yet committed: %s" % q
    # (a committed one may already be on its way: queued rescans on a timer)
    restart_and_settle(fct)
    n = fct.count_tags().get(tag, 0)
    if committed:
        assert n == 1, "killed after commit (%r): %d copies" % (ev, n)
    else:
        assert n == 0, "killed before commit (%r): delivered %d times" \
            % (ev, n)
    assert fct.queue_is_empty()


def test_enqueue_ok_while_queued_down(fct):
    """exit 0 means durable: delivered once after queued comes back."""
    fct.stop_queued()
    tags = []
    for i in range(5):
        tag, data = H.make_message()
        r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
        assert r.returncode == 0, r.stderr
        tags.append(tag)
    fct.start_queued()
    for t in tags:
        fct.wait_for_tag("bob", t)
    fct.assert_queue_empty()
    c = fct.count_tags()
    assert [c.get(t) for t in tags] == [1] * 5


@pytest.mark.facteur(conf={"local_concurrency": "5"})
def test_queued_killed_mid_batch(fct):
    # Delivered to the Maildir but not yet recorded by queued: up to
    # local_concurrency jobs out at lspawn, and as many results read but
    # not on disk (Q4-Q7).  The new queued looks in the Maildir before it
    # delivers a message committed before it started (docs/queue.md,
    # "Exactly once"): none of them is delivered twice.
    n = 50
    fct.stop_queued()
    tags = []
    for i in range(n):
        tag, data = H.make_message(body=b"batch %d\n" % i)
        r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
        assert r.returncode == 0, r.stderr
        tags.append(tag)
    fct.start_queued()
    H.wait_until(lambda: len(fct.maildir_files("bob")) >= 10, 60,
                 "10 deliveries", interval=0.002)
    kids = fct.kill_queued()
    at_kill = len(fct.maildir_files("bob"))
    left = fct.wait_children_gone(kids, 30)
    assert not left, "still running 30 s after queued was killed: %s" % [
        (p, H.proc_comm(p)) for p in left]
    fct.start_queued()
    H.wait_until(lambda: set(tags) <= set(fct.count_tags(["bob"])), 120,
                 "all %d messages" % n)
    fct.assert_queue_empty(60)
    c = fct.count_tags(["bob"])
    dups = sum(c[t] - 1 for t in tags)
    print("queued killed with %d/%d delivered; %d duplicate(s) after "
          "restart" % (at_kill, n, dups))
    assert all(c[t] >= 1 for t in tags)
    assert dups == 0, "%d message(s) delivered twice" % dups
    assert set(c) == set(tags)


# where: (system calls, which one of them the worker is killed at, 1 if
# the message is in new/ when it dies).  "new-fsync" is its fsync of new/
# (D5), after the link (D3): the file is there but the result K never
# leaves the worker, and queued's retry must find it (docs/queue.md,
# "Exactly once") instead of delivering again.
DELIVER_KILLS = {
    "fsync": ("fsync,fdatasync", 1, 0),
    "link": ("link,linkat,rename,renameat,renameat2", 1, 0),
    "new-fsync": ("fsync,fdatasync", 2, 1),
}


def _tracer_pid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


# lspawn delivers in forked workers, without an exec of deliver: strace
# attaches to the running lspawn and follows its forks; injections count
# per process, so the first worker is killed at its first such call
# (lspawn itself makes none).  strace detaches before queued's first retry.
@pytest.mark.parametrize("where", sorted(DELIVER_KILLS))
@pytest.mark.facteur(conf={"queue_retry_min": "5s",
                           "queue_retry_max": "5s"})
def test_deliver_killed(fct, strace, where):
    names, when, linked = DELIVER_KILLS[where]
    lspawn = fct.lspawn_pid()
    trace = os.path.join(fct.rundir, "lspawn.strace")
    st = subprocess.Popen([strace, "-f", "-q", "-o", trace,
                           "-p", str(lspawn), "-e", "trace=" + names,
                           "-e", "inject=%s:signal=KILL:when=%d" % (
                               names, when)],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        H.wait_until(lambda: _tracer_pid(lspawn) == st.pid, 30,
                     "strace to attach to lspawn")
        tag, data = H.make_message()
        r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
        assert r.returncode == 0, r.stderr
        H.wait_until(lambda: "killed by signal 9" in fct.log(), 30,
                     "the delivery child to be killed")
    finally:
        st.terminate()
        st.wait(timeout=30)
    assert _tracer_pid(lspawn) == 0, "strace did not detach"
    if linked:
        assert len(fct.messages("bob")) == 1, "not in new/ at the kill"
    else:
        assert fct.messages("bob") == [], "delivered although killed"
    got = fct.wait_for_tag("bob", tag, timeout=60)
    fct.assert_queue_empty(60)
    assert fct.messages("bob") == [got], "partial or extra file in new/"
    assert got == ("Return-Path: <%s>\nDelivered-To: %s\n"
                   % (ALICE, BOB)).encode() + data
    assert fct.messages("alice") == [], "a bounce for a temporary failure"


def test_recovery_spares_a_locked_message(fct):
    """queued's start-up recovery removes orphan msg/ files, but not one
    that a running enqueue still holds its lock on."""
    tag, head = H.make_message(body=b"")
    data = head + (b"y" * 1023 + b"\n") * 1024
    mr, mw = os.pipe()
    er, ew = os.pipe()
    p = subprocess.Popen([fct.program("enqueue")], stdin=mr, stdout=er,
                         stderr=subprocess.PIPE, cwd="/",
                         env=fct._env_for("alice", None),
                         **fct._creds("alice"))
    os.close(mr)
    os.close(er)
    try:
        os.write(mw, data[:4096])
        H.wait_until(lambda: fct.queue_files()["msg"], 30,
                     "enqueue to create its msg/ file")
        name = fct.queue_files()["msg"][0]
        fct.stop_queued()
        fct.start_queued()
        # let the new queued finish its start-up scan: a sentinel goes through
        tag2, d2 = H.make_message()
        assert fct.enqueue_raw(d2, H.envelope(ALICE, [BOB])).returncode == 0
        fct.wait_for_tag("bob", tag2)
        assert name in fct.queue_files()["msg"], \
            "recovery removed the file of a running enqueue"
        view = memoryview(data)[4096:]
        while view:
            view = view[os.write(mw, view[:65536]):]
        os.close(mw)
        mw = None
        os.write(ew, H.envelope(ALICE, [BOB]))
        os.close(ew)
        ew = None
        err = p.communicate(timeout=120)[1]
    finally:
        for fd in (mw, ew):
            if fd is not None:
                os.close(fd)
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    got = fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    assert got.endswith(data)
    assert fct.count_tags()[tag] == 1


# ---- a resident smtpd's queue writer, with spares ----

def _attached(pid, tracer):
    return _tracer_pid(pid) == tracer


class Attached:
    """strace attached to a running process for the time of a with block:
    trace to a file, optionally a kill injected at one call."""

    def __init__(self, strace, pid, out, names, inject=None):
        argv = [strace, "-f", "-qq", "-y", "-s", "0", "-o", out,
                "-p", str(pid), "-e", "trace=" + names]
        if inject is not None:
            argv += ["-e", "inject=%s:signal=KILL:when=%d" % inject]
        self.pid = pid
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def __enter__(self):
        H.wait_until(lambda: _attached(self.pid, self.proc.pid), 30,
                     "strace to attach to %d" % self.pid)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def writer_probe(fct, strace, m, res):
    """A writer idle with its spares made; the calls it makes for one
    message, as (writer pid, events)."""
    from test_master_resident_queue import deliver_one, writers
    deliver_one(fct, m.port, "start-writer")
    H.wait_until(lambda: len(writers(res)) == 1, 30, "one queue writer")
    (w,) = writers(res)
    H.wait_until(lambda: len([n for n in fct.queue_files()["tmp"]
                              if n.startswith("spare.")]) == 2, 30,
                 "the writer's two spares")
    out = os.path.join(fct.rundir, "writer.%s" % uuid.uuid4().hex)
    with Attached(strace, w, out, TRACE):
        deliver_one(fct, m.port, "probe")
    assert _tracer_pid(w) == 0, "strace did not detach"
    return w, parse_trace(out)


@pytest.fixture
def resident(fct, master_factory):
    """A master with a resident smtpd for mx, whose queued rescans (and
    recovers orphans) every second."""
    from test_master_resident import wait_resident
    m = master_factory(queue_scan_interval="1s")
    return m, wait_resident(m)


@pytest.mark.facteur(start=False)
def test_writer_steps_in_order(fct, strace, resident):
    m, res = resident
    w, events = writer_probe(fct, strace, m, res)
    step_indices(events, step_finders(fct.queue, spares=True))


@pytest.mark.parametrize("step", WRITER_STEPS)
@pytest.mark.facteur(start=False)
def test_writer_killed_at(fct, strace, resident, step):
    from smtpd_fixtures import Client
    from test_master_resident_queue import message, writers
    m, res = resident
    w, events = writer_probe(fct, strace, m, res)
    where = step_indices(events, step_finders(fct.queue, spares=True))
    ev = events[where[step]]
    committed = where[step] > where[COMMIT]
    tag = "killed-%s" % step
    out = os.path.join(fct.rundir, "kill.%s" % uuid.uuid4().hex)
    with Attached(strace, w, out, ev.name, (ev.name, ev.nth)):
        c = Client(m.port)
        code = c.mail("x@example.org", [ALICE], message(tag))
        c.close()
    H.wait_until(lambda: w not in writers(res), 30, "the writer to die")
    # the writer died before it answered; the resident looked in the
    # queue: 250 if the message was committed (and is delivered), 451 if
    # not (and nothing of it stays)
    assert code[0] == (250 if committed else 451), (step, code)
    if committed:
        assert fct.wait_for_tag("alice", tag) is not None
        assert "the queue writer died after its commit" in fct.log()
    # queued's timed scans recover what the writer left (its spares, which
    # are no message, stay until they are an hour old)
    fct.assert_queue_empty(60)
    n = fct.count_tags(["alice"]).get(tag, 0)
    assert n == (1 if committed else 0), \
        "killed at %r (%s the commit): delivered %d times" % (
            ev, "after" if committed else "before", n)


# ---- the queue child of a monitor: a resident without writers
# (smtpd_queue_writers = 0) and a per-connection smtpd ----

def monitor_of(m, how, before):
    """The process that forks the queue child of the client that came
    after the per-connection smtpds in before."""
    from test_master_resident import wait_resident
    if how == "resident":
        return wait_resident(m)
    box = []

    def new():
        box[:] = [p for p in m.sessions() if p not in before]
        return len(box) == 1
    H.wait_until(new, 30, "the per-connection smtpd")
    return box[0]


def child_send(fct, strace, m, how, tag, out, inject=None):
    """One message on a new connection, with strace attached (-f) to its
    monitor from EHLO on; the final reply."""
    from smtpd_fixtures import Client
    from test_master_resident_queue import message
    before = set(m.sessions())
    c = Client(m.port)
    assert c.code("EHLO client.test") == 250
    pid = monitor_of(m, how, before)
    names = TRACE if inject is None else inject[0]
    with Attached(strace, pid, out, names, inject):
        assert c.code("MAIL FROM:<x@example.org>") == 250
        assert c.code("RCPT TO:<%s>" % ALICE) == 250
        assert c.code("DATA") == 354
        c.send(message(tag))
        code = c.reply()
    c.close()
    return code


@pytest.fixture(params=["resident", "per-connection"])
def child_master(request, fct, master_factory):
    if request.param == "resident":
        m = master_factory(queue_scan_interval="1s",
                           smtpd_queue_writers="0")
    else:
        m = master_factory(queue_scan_interval="1s", smtpd_resident="no")
    return m, request.param


# strace follows the monitor's forks and counts injections per process,
# but it injects into the monitor too: only calls the monitor never makes
# while a message is queued (fsync, rename) pick out the child.  The
# open and write steps run the same code in the writer tests above.
CHILD_STEPS = ["fsync_msg_dir", "fsync_msg", "fsync_tmp", "rename",
               "fsync_env_dir"]


@pytest.mark.parametrize("step", CHILD_STEPS)
@pytest.mark.facteur(start=False)
def test_queue_child_killed_at(fct, strace, child_master, step):
    """The monitor's queue child killed at each step of the commit: the
    client gets 250 exactly when the message was committed, and then it
    is delivered once; with 451 nothing of it is ever delivered."""
    m, how = child_master
    out = os.path.join(fct.rundir, "probe.%s" % uuid.uuid4().hex)
    code = child_send(fct, strace, m, how, "child-probe", out)
    assert code[0] == 250, code
    fct.wait_for_tag("alice", "child-probe")
    finders = step_finders(fct.queue)
    commit_pred = dict((f[0], f[1]) for f in finders)[COMMIT]
    (events,) = [ev for ev in parse_trace_by_pid(out).values()
                 if any(commit_pred(e) for e in ev)]
    where = step_indices(events, finders)
    ev = events[where[step]]
    committed = where[step] > where[COMMIT]
    tag = "child-killed-%s" % step
    out = os.path.join(fct.rundir, "kill.%s" % uuid.uuid4().hex)
    code = child_send(fct, strace, m, how, tag, out, (ev.name, ev.nth))
    assert code[0] == (250 if committed else 451), (step, code)
    assert "killed by signal 9" in fct.log()
    if committed:
        fct.wait_for_tag("alice", tag)
    fct.assert_queue_empty(60)
    n = fct.count_tags(["alice"]).get(tag, 0)
    assert n == (1 if committed else 0), \
        "killed at %r (%s the commit): delivered %d times" % (
            ev, "after" if committed else "before", n)
