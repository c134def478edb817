"""
Issue 15, finding 1: the set-uid enqueue, attacked by a local user.

enqueue is installed set-uid to the queue's owner (facteur-queue), so any
local user runs it with the right to write the queue.  On the build the
issue was filed against, an ordinary user could hand it a configuration
(-C or FACTEUR_CONF) that was a file of the queue owner's, such as the
body of a message of its own in msg/<id>; choose the queue ID (-i); point
queue_dir at a directory of its own whose tmp/ was a symbolic link into
the real queue; and so rewrite another user's deferred envelope, so that
the message went to the attacker, or raise message_size_limit.

Every step of that attack is replayed here by a throwaway local user
(created with useradd for this module, removed after it) against the
enqueue the harness installs set-uid to the test queue's owner in the
test root: each fails with a clear error on enqueue's stderr, and the
victim's message (bob to carol, queued while queued was stopped, so
deferred) is delivered intact to carol and nothing reaches the attacker.
What the attacker's process leaves to enqueue (closed or odd descriptors,
umask, environment, signals, resource limits) is tried too.

FACTEUR_ATTACK_ENQUEUE=<path> installs another enqueue binary in its
place (the old one, to show these tests fail without the fixes).
"""
import os
import resource
import select
import signal
import subprocess
import time
import uuid

import pytest

import facteur_harness as H

pytestmark = pytest.mark.root_only

D = H.DOMAIN
BOB = "bob@" + D
CAROL = "carol@" + D
MALLORY = "mallory@" + D
EXIT_CALLER = 32        # an option this caller may not give
EXIT_TOO_BIG = 31
EXIT_WRITE = 53
EXIT_QUEUE = 62


# ------------------------------------------------------------ the attacker

@pytest.fixture(scope="module")
def attacker_account():
    """A throwaway local user: created for this module, removed after."""
    if not H.IS_ROOT:
        pytest.skip("needs root")
    name = "fct-atk-%s" % uuid.uuid4().hex[:8]
    pw = H.ensure_user(name)
    yield pw
    for _ in range(20):
        r = subprocess.run(["userdel", name], capture_output=True)
        if r.returncode in (0, 6):      # 6: no such user
            break
        # 1 or 10: /etc/passwd locked by a concurrent useradd
        time.sleep(0.25)


@pytest.fixture
def atk(fct, attacker_account):
    """The attacker as a user of the instance (mallory, with a Maildir),
    and a scratch directory of its own in /tmp."""
    fct.add_user("mallory", uid=attacker_account.pw_uid,
                 gid=attacker_account.pw_gid)
    old = os.environ.get("FACTEUR_ATTACK_ENQUEUE")
    if old:
        dst = fct.program("enqueue")
        with open(old, "rb") as src, open(dst + ".new", "wb") as out:
            out.write(src.read())
        os.chown(dst + ".new", fct.queue_uid, fct.queue_gid)
        os.chmod(dst + ".new", 0o4711)
        os.rename(dst + ".new", dst)
    scratch = os.path.join("/tmp", "fct-atk-%s" % uuid.uuid4().hex[:12])
    os.mkdir(scratch, 0o755)
    os.chown(scratch, attacker_account.pw_uid, attacker_account.pw_gid)
    a = fct.users["mallory"]
    a.scratch = scratch
    yield a
    subprocess.run(["rm", "-rf", scratch])


def as_attacker(fct, a, args=(), msg=b"", env_bytes=b"", env=None,
                preexec=None):
    """Runs the installed enqueue as the attacker, with its message on
    fd 0 and envelope on fd 1, the environment the attacker chose (the
    harness's FACTEUR_CONF, the installed file, unless env says other),
    the attacker's own directory as working directory, and preexec run
    in the child before the exec.  (exit code, stderr text)."""
    r = fct.enqueue_raw(msg, env_bytes, user=a, env=env,
                        argv=[fct.program("enqueue")] + list(args),
                        cwd=a.scratch, preexec=preexec, timeout=60)
    return r.returncode, r.stderr.decode(errors="replace")


def attacker_run(fct, a, argv, timeout=60):
    """Any program as the attacker (a shell command, say)."""
    return subprocess.run(argv, capture_output=True, timeout=timeout,
                          env=H.base_env({"HOME": a.home}), cwd=a.scratch,
                          user=a.uid, group=a.gid, extra_groups=[])


def evil_conf(fct, a, queue_dir, **over):
    """The attacker's configuration: the instance's, with its choices."""
    lines = []
    for k, v in fct.conf.items():
        if k == "queue_dir":
            v = queue_dir
        if k in over:
            v = over.pop(k)
        lines.append("%s = %s\n" % (k, v))
    lines += ["%s = %s\n" % kv for kv in over.items()]
    return "".join(lines)


def attacker_queue(fct, a, name="q", tmp_link=None):
    """A queue directory of the attacker's in its scratch directory, open
    to everyone (so that facteur-queue could write it), tmp/ optionally
    a symbolic link; its path."""
    q = os.path.join(a.scratch, name)
    os.mkdir(q)
    for sub in H.QUEUE_SUBDIRS + ("corrupt", "free"):
        if sub == "tmp" and tmp_link:
            os.symlink(tmp_link, os.path.join(q, sub))
        else:
            os.mkdir(os.path.join(q, sub))
    for dp, dns, fns in os.walk(q):
        os.chown(dp, a.uid, a.gid, follow_symlinks=False)
        os.chmod(dp, 0o777)
    return q


def write_as(path, text, uid, gid, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def tree(path):
    """Every file below path (symbolic links not followed)."""
    out = []
    for dp, dns, fns in os.walk(path):
        out += [os.path.join(dp, n) for n in fns]
    return sorted(out)


# ------------------------------------------------------------ the victim

@pytest.fixture
def victim(fct):
    """bob's message to carol, queued while queued is stopped (deferred,
    as in the issue): its ID, its envelope and content bytes."""
    fct.stop_queued()
    tag, data = H.make_message(sender=BOB, to=CAROL,
                               body=b"for carol only\n")
    r = fct.enqueue_raw(data, H.envelope(BOB, [CAROL]), user="bob")
    assert r.returncode == 0, r.stderr
    (vid,) = os.listdir(os.path.join(fct.queue, "env"))
    with open(os.path.join(fct.queue, "env", vid), "rb") as f:
        env = f.read()
    return {"tag": tag, "data": data, "id": vid, "env": env}


def victim_envelope_unchanged(fct, v):
    path = os.path.join(fct.queue, "env", v["id"])
    assert os.path.exists(path), \
        "the victim's envelope is gone from the queue: %s" % fct.queue_files()
    with open(path, "rb") as f:
        got = f.read()
    assert got == v["env"], "the victim's envelope was changed: %r" % got


def victim_intact_and_delivered(fct, v, own=()):
    """The victim's envelope is as bob's enqueue wrote it; once queued
    runs, carol gets the message byte for byte, and the attacker gets
    nothing but the messages it sent itself (own)."""
    victim_envelope_unchanged(fct, v)
    assert b"T" + CAROL.encode() + b"\0" in v["env"]
    if fct.queued is None:
        fct.start_queued()
    got = fct.wait_for_tag("carol", v["tag"])
    assert got.endswith(v["data"]), got[-200:]
    assert len(fct.messages("carol")) == 1
    fct.assert_queue_empty()
    for m in fct.messages("mallory"):
        assert any(m.endswith(o) for o in own), m[-300:]
        assert v["tag"].encode() not in m


def assert_refused(code, err, want, *words):
    assert code == want, (code, err)
    for w in words:
        assert w in err, (w, err)


def nothing_queued_by(fct, a):
    """No envelope in the real queue records the attacker's uid."""
    for name in os.listdir(os.path.join(fct.queue, "env")):
        with open(os.path.join(fct.queue, "env", name), "rb") as f:
            assert b"\0U%d\0" % a.uid not in f.read(), name


# ------------------------------------------------------------ the battery

@pytest.mark.parametrize("how", ["-C", "FACTEUR_CONF"])
def test_attacker_config_pointing_at_own_queue_is_refused(fct, atk, victim,
                                                           how):
    q = attacker_queue(fct, atk)
    conf = os.path.join(atk.scratch, "evil.conf")
    write_as(conf, evil_conf(fct, atk, q), atk.uid, atk.gid)
    tag, data = H.make_message()
    args, env = (["-C", conf], None) if how == "-C" else \
        ([], {"FACTEUR_CONF": conf})
    code, err = as_attacker(fct, atk, args, data,
                            H.envelope(MALLORY, [MALLORY]), env=env)
    assert_refused(code, err, EXIT_CALLER, "%s %s refused" % (how, conf),
                   "reads only its installed configuration")
    assert tree(q) == []
    nothing_queued_by(fct, atk)
    victim_intact_and_delivered(fct, victim)


def plant_config(fct, atk, text):
    """The issue's vector: the attacker queues a message whose body is a
    configuration (queued is stopped, so it stays): msg/<id> is then a
    file of the queue owner's that nobody else may write, with content
    the attacker chose byte for byte.  Its path."""
    before = set(os.listdir(os.path.join(fct.queue, "msg")))
    code, err = as_attacker(fct, atk, [], text.encode(),
                            H.envelope(MALLORY, [MALLORY]))
    assert code == 0, err
    (mid,) = set(os.listdir(os.path.join(fct.queue, "msg"))) - before
    planted = os.path.join(fct.queue, "msg", mid)
    st = os.stat(planted)
    assert (st.st_uid, st.st_mode & 0o777) == (fct.queue_uid, 0o600)
    return planted


def test_attacker_message_body_as_config_is_refused(fct, atk, victim):
    q = attacker_queue(fct, atk)
    text = evil_conf(fct, atk, q)
    planted = plant_config(fct, atk, text)
    tag, data = H.make_message()
    code, err = as_attacker(fct, atk, ["-C", planted], data,
                            H.envelope(MALLORY, [MALLORY]))
    assert_refused(code, err, EXIT_CALLER, "-C %s refused" % planted)
    assert tree(q) == []
    # the planted "config" was never more than a message to mallory
    victim_intact_and_delivered(fct, victim, own=[text.encode()])


@pytest.mark.parametrize("which", ["victim", "fresh"])
def test_attacker_chosen_queue_id_is_ignored(fct, atk, victim, which):
    """-i is a hint: from a local user it is ignored (with a warning),
    and the message is queued under a fresh ID."""
    qid = victim["id"] if which == "victim" else "0" * 14
    tag, data = H.make_message(to=MALLORY)
    code, err = as_attacker(fct, atk, ["-i", qid], data,
                            H.envelope(MALLORY, [MALLORY]))
    assert code == 0, err
    assert "ignoring -i" in err and "only from root or the queue's owner" \
        in err, err
    ids = os.listdir(os.path.join(fct.queue, "env"))
    assert len(ids) == 2 and qid not in (set(ids) - {victim["id"]}), ids
    victim_intact_and_delivered(fct, victim, own=[data])


@pytest.mark.parametrize("sub", ["tmp", "msg", "env"])
def test_symlinked_queue_folder_is_refused(fct, atk, victim, sub):
    """A folder of the queue that is a symbolic link (here to a directory
    the attacker owns and everyone may write) is never followed."""
    bait = os.path.join(atk.scratch, "bait")
    os.mkdir(bait)
    os.chmod(bait, 0o777)
    real = os.path.join(fct.queue, sub)
    os.rename(real, real + ".real")
    os.symlink(bait, real)
    try:
        tag, data = H.make_message()
        code, err = as_attacker(fct, atk, [], data,
                                H.envelope(MALLORY, [MALLORY]))
    finally:
        os.unlink(real)
        os.rename(real + ".real", real)
    assert_refused(code, err, EXIT_QUEUE,
                   "%s/: a symbolic link (refused)" % sub)
    assert tree(bait) == []
    nothing_queued_by(fct, atk)
    victim_intact_and_delivered(fct, victim)


@pytest.mark.parametrize("how", ["owned", "symlink"])
def test_queue_dir_of_the_attacker_is_refused(fct, atk, victim, how):
    """The installed configuration names a queue_dir the attacker could
    take over (the issue's /tmp/x/q): a directory it owns, or a symbolic
    link it put there."""
    q = attacker_queue(fct, atk)
    named = q
    if how == "symlink":
        named = os.path.join(atk.scratch, "link")
        os.symlink(fct.queue, named)
    fct.write_conf(queue_dir=named)
    try:
        tag, data = H.make_message()
        code, err = as_attacker(fct, atk, [], data,
                                H.envelope(MALLORY, [MALLORY]))
    finally:
        fct.write_conf(queue_dir=fct.queue)
    if how == "owned":
        assert_refused(code, err, EXIT_QUEUE,
                       "queue_dir belongs to uid %d, not to uid %d"
                       % (atk.uid, fct.queue_uid))
    else:
        assert_refused(code, err, EXIT_QUEUE,
                       "queue_dir %s: a symbolic link (refused)" % named)
    assert tree(q) == []
    victim_intact_and_delivered(fct, victim)


def test_rewrite_of_deferred_envelope_fails(fct, atk, victim):
    """The whole chain of the issue at once: a config planted as a queued
    message names the attacker's queue, whose tmp/ is a symbolic link to
    the real queue's env/; -i names the victim's ID, the envelope the
    attacker.  On the old enqueue, tmp/<victim id> reached through the
    link was the victim's envelope: it was replaced by the attacker's, or
    removed as "stale" and moved out of the queue."""
    q = attacker_queue(fct, atk, tmp_link=os.path.join(fct.queue, "env"))
    text = evil_conf(fct, atk, q)
    planted = plant_config(fct, atk, text)
    tag, data = H.make_message(sender=MALLORY, to=MALLORY,
                               body=b"stolen\n")
    code, err = as_attacker(fct, atk, ["-C", planted, "-i", victim["id"]],
                            data, H.envelope(MALLORY, [MALLORY]))
    victim_envelope_unchanged(fct, victim)
    assert_refused(code, err, EXIT_CALLER, "-C %s refused" % planted,
                   "ignoring -i")
    assert tree(q) == []
    victim_intact_and_delivered(fct, victim, own=[text.encode()])


@pytest.mark.facteur(conf={"message_size_limit": "8k"})
def test_raised_message_size_limit_is_refused(fct, atk, victim):
    big = b"x" * 20000 + b"\n"
    tag, data = H.make_message(body=big, to=MALLORY)
    text = evil_conf(fct, atk, fct.queue, message_size_limit="4g")
    planted = plant_config(fct, atk, text)
    code, err = as_attacker(fct, atk, ["-C", planted], data,
                            H.envelope(MALLORY, [MALLORY]))
    assert_refused(code, err, EXIT_CALLER, "-C %s refused" % planted)
    # with the installed configuration the real limit holds
    code, err = as_attacker(fct, atk, [], data,
                            H.envelope(MALLORY, [MALLORY]))
    assert code == EXIT_TOO_BIG, (code, err)
    victim_intact_and_delivered(fct, victim, own=[text.encode()])


# ------------------------------------------- what the caller's process leaves

def test_closed_stderr_never_becomes_a_queue_file(fct, atk, victim):
    """With fd 2 closed by the caller, a file enqueue opens would become
    its stderr and take its warnings: it opens /dev/null there first."""
    tag, data = H.make_message(to=MALLORY)
    code, err = as_attacker(fct, atk, [], data,
                            H.envelope(MALLORY, [MALLORY]),
                            preexec=lambda: os.close(2))
    assert code == 0
    (eid,) = [n for n in os.listdir(os.path.join(fct.queue, "env"))
              if n != victim["id"]]
    with open(os.path.join(fct.queue, "msg", eid), "rb") as f:
        assert f.read() == data
    victim_intact_and_delivered(fct, victim, own=[data])


def test_caller_umask_environment_and_signals_are_not_inherited(fct, atk,
                                                                 victim):
    def hostile():
        os.umask(0)
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM,
                                                  signal.SIGALRM])
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    tag, data = H.make_message(to=MALLORY)
    env = {"LD_PRELOAD": "/nonexistent/evil.so", "TZ": "/etc/shadow",
           "MALLOC_PERTURB_": "85", "TMPDIR": atk.scratch}
    code, err = as_attacker(fct, atk, [], data,
                            H.envelope(MALLORY, [MALLORY]), env=env,
                            preexec=hostile)
    assert code == 0, err
    (eid,) = [n for n in os.listdir(os.path.join(fct.queue, "env"))
              if n != victim["id"]]
    for sub in ("env", "msg"):
        st = os.stat(os.path.join(fct.queue, sub, eid))
        assert st.st_mode & 0o777 == 0o600, (sub, oct(st.st_mode))
        assert st.st_uid == fct.queue_uid
    with open(os.path.join(fct.queue, "msg", eid), "rb") as f:
        assert f.read() == data
    # the envelope names the caller, whatever else it changed
    with open(os.path.join(fct.queue, "env", eid), "rb") as f:
        assert b"\0U%d\0" % atk.uid in f.read()
    victim_intact_and_delivered(fct, victim, own=[data])


def test_caller_cannot_signal_or_stop_a_running_enqueue(fct, atk, victim):
    """Its uids all become the queue owner's, so the caller can no longer
    stop it (SIGSTOP) while it holds a locked queue file."""
    argv = [fct.program("enqueue")]
    mr, mw = os.pipe()
    er, ew = os.pipe()
    p = subprocess.Popen(argv, stdin=mr, stdout=er, stderr=subprocess.PIPE,
                         env=H.base_env({"FACTEUR_CONF": fct.conf_path}),
                         cwd=atk.scratch, user=atk.uid, group=atk.gid,
                         extra_groups=[])
    os.close(mr)
    os.close(er)
    head = b"Subject: held\n\npart one\n"
    try:
        os.write(mw, head)
        msgdir = os.path.join(fct.queue, "msg")
        H.wait_until(lambda: len(os.listdir(msgdir)) == 2, 30,
                     "enqueue to create its msg/ file")
        assert H.proc_uids(p.pid) == (fct.queue_uid,) * 4
        r = attacker_run(fct, atk, [
            "/usr/bin/python3", "-c",
            "import os, signal; os.kill(%d, signal.SIGSTOP)" % p.pid])
        assert r.returncode != 0, "the caller stopped the set-uid enqueue"
        assert b"PermissionError" in r.stderr, r.stderr
        assert H.proc_stat(p.pid)[0] != "T"
    finally:
        os.kill(p.pid, signal.SIGCONT)
        os.close(mw)
        os.write(ew, H.envelope(MALLORY, [MALLORY]))
        os.close(ew)
        p.communicate(timeout=60)
    assert p.returncode == 0
    victim_intact_and_delivered(fct, victim, own=[head])


def test_callers_terminal_cannot_stop_enqueue(fct, atk, victim):
    """The message typed on a terminal, as a job of a shell, and ^Z in the
    middle of it: the tty's SIGTSTP reaches the foreground job whatever
    its uids, so enqueue ignores it rather than stop with msg/<id>
    locked.  A session leader stands in for the shell (a job of an
    orphaned process group would never get the signal)."""
    import pty
    er, ew = os.pipe()
    part1 = b"Subject: typed\n\nline one\n"
    pid, master = pty.fork()
    if pid == 0:                                # the "shell"
        try:
            job = os.fork()
            if job == 0:
                os.setpgid(0, 0)
                signal.signal(signal.SIGTTOU, signal.SIG_IGN)
                os.tcsetpgrp(0, os.getpgrp())   # the foreground job
                signal.signal(signal.SIGTTOU, signal.SIG_DFL)
                os.dup2(er, 1)
                os.setgroups([])
                os.setgid(atk.gid)
                os.setuid(atk.uid)
                os.execve(fct.program("enqueue"), ["enqueue"], H.base_env(
                    {"FACTEUR_CONF": fct.conf_path}))
            os.close(er)
            _, st = os.waitpid(job, os.WUNTRACED)
            if os.WIFSTOPPED(st):
                os.kill(job, signal.SIGKILL)
                os._exit(3)
            os._exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 4)
        finally:
            os._exit(127)
    os.close(er)
    status = None
    try:
        os.write(master, part1)
        msgdir = os.path.join(fct.queue, "msg")

        def read_part1():
            for n in os.listdir(msgdir):
                if n != victim["id"] and os.stat(
                        os.path.join(msgdir, n)).st_size == len(part1):
                    return True
            return False
        # ^Z flushes the tty's input: enqueue has read part1 first
        H.wait_until(read_part1, 30, "enqueue to read the first lines")
        os.write(master, b"\x1a")              # ^Z
        os.write(master, b"line two\n\x04")    # then the end, ^D
        os.write(ew, H.envelope(MALLORY, [MALLORY]))
        os.close(ew)
        ew = None
        deadline = time.monotonic() + 30
        while status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
                break
            assert time.monotonic() < deadline, "the job did not end"
            # the echo, read with a bound: a job that hangs silently
            # must still meet the deadline above
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    os.read(master, 4096)
                except OSError:
                    pass
    finally:
        if ew is not None:
            os.close(ew)
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(master)
    assert os.WEXITSTATUS(status) != 3, "^Z stopped the set-uid enqueue"
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    victim_intact_and_delivered(fct, victim, own=[part1 + b"line two\n"])


@pytest.mark.parametrize("limit", ["fsize", "nofile"])
def test_caller_resource_limits_only_make_it_fail_cleanly(fct, atk, victim,
                                                          limit):
    def low():
        if limit == "fsize":
            resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))
        else:
            resource.setrlimit(resource.RLIMIT_NOFILE, (5, 5))
    tag, data = H.make_message(body=b"y" * 5000 + b"\n")
    code, err = as_attacker(fct, atk, [], data,
                            H.envelope(MALLORY, [MALLORY]), preexec=low)
    assert code != 0 and code < 128, (code, err)
    assert code in (EXIT_WRITE, EXIT_QUEUE, 55, 81), (code, err)
    # nothing of that message stays behind
    files = fct.queue_files()
    assert files["msg"] == [victim["id"]] and files["tmp"] == [], files
    victim_intact_and_delivered(fct, victim)
