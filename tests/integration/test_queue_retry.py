"""
Temporary failures: a recipient whose Maildir cannot be written is
deferred and retried (queue_retry_min doubling to queue_retry_max) until
it works; past queue_lifetime it bounces.  Injection-side temporary
failures: enqueue 55 (config unreadable) and 62 (queue directory), and
sendmail's 75 for them.  A retry that falls due while queued is still in
the pass that deferred (a slow state write) waits for the next pass, and
queued still stops on SIGTERM.
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


def deferrals(fct, rcpt):
    pat = re.compile(r"to=<%s>.*status=deferred" % re.escape(rcpt))
    return len([x for x in fct.log().splitlines() if pat.search(x)])


def test_deferred_then_delivered(fct):
    tmp = fct.maildir("bob", "tmp")
    os.chmod(tmp, 0o500)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    H.wait_until(lambda: deferrals(fct, BOB) >= 2, 60,
                 "two deferred attempts for bob")
    assert fct.messages("bob") == []
    assert len(fct.queue_files()["env"]) == 1
    os.chmod(tmp, 0o700)
    got = fct.wait_for_tag("bob", tag, 60)
    fct.assert_queue_empty()
    assert got == ("Return-Path: <%s>\nDelivered-To: %s\n"
                   % (ALICE, BOB)).encode() + data
    assert fct.messages("alice") == [], "bounce for a temporary failure"
    assert os.listdir(tmp) == []


@pytest.mark.facteur(conf={"queue_lifetime": "3s"})
def test_lifetime_expired_bounces(fct):
    tmp = fct.maildir("bob", "tmp")
    os.chmod(tmp, 0o500)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, r.stderr
    msgs = fct.wait_for_delivery("alice", 1, 60)
    fct.assert_queue_empty()
    assert len(msgs) == 1 and H.is_bounce(msgs[0]), msgs
    assert BOB.encode() in msgs[0] and tag.encode() in msgs[0]
    assert fct.messages("bob") == []


def test_enqueue_config_unreadable_55(fct):
    # -C and FACTEUR_CONF are a trusted caller's (root's here; a local
    # user's set-id enqueue reads only its installed configuration:
    # test_attack_enqueue.py)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]), user=None,
                        env={"FACTEUR_CONF": fct.rundir + "/missing.conf"})
    assert r.returncode == 55, (r.returncode, r.stderr)


def _bad_queue_conf(fct):
    """The installed configuration names a queue_dir that is not there."""
    fct.write_conf(queue_dir=fct.root + "/no-such-queue")


def test_enqueue_missing_queue_dir_62(fct):
    _bad_queue_conf(fct)
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    fct.write_conf(queue_dir=fct.queue)
    assert r.returncode == 62, (r.returncode, r.stderr)
    assert b"no-such-queue: No such file or directory" in r.stderr


@pytest.mark.usefixtures("sendmail_built")
def test_sendmail_temporary_failure_75(fct):
    _bad_queue_conf(fct)
    tag, data = H.make_message()
    r = fct.run([fct.program("sendmail"), "-C", fct.conf_path, "-f", ALICE,
                 BOB], data)
    fct.write_conf(queue_dir=fct.queue)
    assert r.returncode == 75, (r.returncode, r.stderr)


def _tracer_pid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


# A non-local job is deferred (the harness's resolver answers nothing) with its
# retry queue_retry_min (1s) later, then state/<id> is written.  Each
# fsync of that write is made to take 2.1 s (strace), so the retry is due
# before the pass ends.  queued used to decide "due" with the clock read
# when the pass began and again with a fresh one when the message was put
# back: the message went round between the ready list and the pass
# forever, never back to poll(), and SIGTERM was never read.  Root only:
# queued gave up root, so only root may ptrace it.
@pytest.mark.root_only
def test_retry_due_during_the_pass_then_sigterm(fct, strace):
    rcpt = "someone@remote.example"
    qpid = fct.queued.pid
    trace = os.path.join(fct.rundir, "queued.strace")
    st = subprocess.Popen([strace, "-q", "-o", trace, "-p", str(qpid),
                           "-e", "trace=fsync",
                           "-e", "inject=fsync:delay_exit=2100000"],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        H.wait_until(lambda: _tracer_pid(qpid) == st.pid, 30,
                     "strace to attach to queued")
        tag, data = H.make_message(to=rcpt)
        r = fct.enqueue_raw(data, H.envelope(ALICE, [rcpt]))
        assert r.returncode == 0, r.stderr
        H.wait_until(lambda: deferrals(fct, rcpt) >= 1, 60,
                     "the deferral of %s" % rcpt)
        # renamed into place: the slow first fsync is behind the pass
        H.wait_until(lambda: [x for x in fct.queue_files()["state"]
                              if "." not in x], 30,
                     "state/<id> to be written")
    finally:
        st.send_signal(signal.SIGTERM)      # strace detaches
        st.wait(timeout=30)
    pid = fct.queued.pid
    rc = fct.stop_queued(timeout=10)
    assert rc == 0, "queued (pid %d) did not stop on SIGTERM; log:\n%s" % (
        pid, fct.log_tail())
    assert "stopping on signal 15" in fct.log()
    assert len(fct.queue_files()["env"]) == 1
    assert fct.messages("alice") == [], "bounce for a non-local recipient"
