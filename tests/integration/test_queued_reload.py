"""
Issue 15, finding 6: a reload must never kill queued or turn mail away.

In a fresh-clone `make check`, a SIGHUP that the master passed on while
queued was still starting killed queued ("queued killed by signal 1"):
queued installed its handlers only after loading its configuration,
starting its keeper and dropping root, and SIGHUP's default action is to
end the process.  And while queued was down, mail got 451: the queue's
folders were made only by queued, late in its start-up, so a queue
writer found no msg/ ("create msg/<id>: No such file or directory").

Both are reproduced here deterministically: queued is held at its first
system call after the exec (strace -D, `inject=brk:delay_enter`, no code
hook), before any handler of its own can exist, and the SIGHUP or the
mail comes while it is held.  The master now starts queued with SIGHUP
and SIGUSR1 blocked (queued unblocks them once its handlers are in
place), and makes the queue before it opens a listener.  The master no
longer passes SIGHUP on: it hands queued the configuration it accepted
over a channel (test_attack_broken_reload.py), so the SIGHUP is sent to
queued itself, as a terminal's hangup or an administrator would, beside
a reload of the master.
"""
import os
import signal
import smtplib
import subprocess
import time

import pytest

import facteur_harness as H
from test_master import Master, send_one

HOLD_S = 6          # how long queued is held at start
WAIT = 30


class HeldQueued:
    """program_dir/queued replaced by a script that runs the real queued
    under `strace -D`, held HOLD_S seconds at its first brk(2): the pid
    the master started becomes queued at the exec, as without strace."""

    def __init__(self, fct, strace):
        self.real_dir = os.path.join(fct.libexec, "held")
        os.mkdir(self.real_dir, 0o755)
        self.real = os.path.join(self.real_dir, "queued")
        os.rename(fct.program("queued"), self.real)
        wrapper = os.path.join(fct.libexec, "queued")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n"
                    "exec %s -D -qq -o /dev/null -e trace=brk "
                    "-e inject=brk:delay_enter=%d:when=1 %s \"$@\"\n"
                    % (strace, HOLD_S * 1000000, self.real))
        os.chmod(wrapper, 0o755)

    def held(self, pid):
        """True while pid is the real queued, stopped by the tracer."""
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
            with open("/proc/%d/status" % pid) as f:
                state = [l for l in f if l.startswith("State:")][0]
        except (OSError, IndexError):
            return False
        return exe == self.real and "(tracing stop)" in state

    @staticmethod
    def pending(pid):
        """The signals pending for pid (thread and process), as a mask."""
        mask = 0
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("SigPnd:", "ShdPnd:")):
                    mask |= int(line.split()[1], 16)
        return mask

    def wait_held(self, m):
        def find():
            for pid in H.children(m.proc.pid):
                if self.held(pid):
                    return pid
            return None
        return H.wait_until(find, WAIT, "queued to be held at its start")

    def release_tracer(self):
        """Ends the tracer (it detaches), so that queued runs untraced."""
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"strace") and \
                    any(self.real.encode() == a for a in argv):
                try:
                    os.kill(int(d), signal.SIGTERM)
                except ProcessLookupError:
                    pass


def queued_line(fct, pid, text):
    return "queued[%d]: %s" % (pid, text) in fct.log()


@pytest.mark.facteur(start=False)
def test_sighup_while_queued_starts_is_a_reload(fct, strace):
    hold = HeldQueued(fct, strace)
    m = Master(fct)
    try:
        pid = hold.wait_held(m)
        t0 = time.monotonic()
        m.proc.send_signal(signal.SIGHUP)
        os.kill(pid, signal.SIGHUP)
        H.wait_until(lambda: "configuration re-read" in fct.log(), WAIT,
                     "the master to re-read its configuration")
        # The SIGHUP came while queued was held at its first system
        # call, before any handler of queued's could exist.
        assert hold.held(pid) and time.monotonic() - t0 < HOLD_S, \
            "the hold ended before the SIGHUP reached queued; " \
            "the machine is too slow for HOLD_S"
        assert hold.pending(pid) & (1 << (signal.SIGHUP - 1)), \
            "SIGHUP is not pending for the held queued"
        assert not queued_line(fct, pid, "started")
        # Released, queued starts: the SIGHUP is not its end, and the
        # master's reload, waiting on its channel, is applied.
        H.wait_until(lambda: queued_line(fct, pid, "config reloaded") or
                     "queued killed by signal" in fct.log(),
                     WAIT + HOLD_S, "the held queued to reload (or die)")
        hold.release_tracer()
        assert "queued killed by signal" not in fct.log()
        assert queued_line(fct, pid, "config reloaded from the master's "
                           "copy")
        H.wait_until(lambda: queued_line(fct, pid, "SIGHUP: the "
                     "configuration comes from the master"), WAIT,
                     "queued to take the SIGHUP")
        assert m.queued_pid() == pid
        send_one(m.port, "after-early-hup")
        fct.wait_for_tag("alice", "after-early-hup")
    finally:
        hold.release_tracer()
        m.stop()


@pytest.mark.facteur(start=False, create_queue_dir=False)
def test_mail_is_queued_while_queued_is_held_at_start(fct, strace):
    hold = HeldQueued(fct, strace)
    m = Master(fct)
    try:
        pid = hold.wait_held(m)
        t0 = time.monotonic()
        tag, data = H.make_message()
        data = data.replace(b"\n", b"\r\n")
        with smtplib.SMTP("127.0.0.1", m.port, timeout=WAIT) as s:
            refused = s.sendmail("x@example.org", ["alice@" + H.DOMAIN],
                                 data)
        assert refused == {}
        assert hold.held(pid) and time.monotonic() - t0 < HOLD_S, \
            "the hold ended before the message was accepted; " \
            "the machine is too slow for HOLD_S"
        # Accepted and committed while queued had not yet run at all.
        assert len(os.listdir(os.path.join(fct.queue, "env"))) == 1
        fct.wait_for_tag("alice", tag, timeout=WAIT + HOLD_S)
        hold.release_tracer()
        assert "No such file or directory" not in fct.log()
    finally:
        hold.release_tracer()
        m.stop()


@pytest.mark.root_only
def test_queued_own_reload_does_not_reach_lspawn(fct):
    """queued started by hand (no master) re-reads the file at SIGHUP as
    facteur-queue: that text is queued's own, and the keeper takes only a
    configuration a root process made (lspawn runs as root: its
    mailbox_command, first_valid_uid, users_file would be queued's
    choice).  So queued does not hand it on; it says so, the keeper and
    lspawn stay, and mail is delivered."""
    queued = fct.queued.pid
    lspawn = fct.lspawn_pid()
    os.kill(queued, signal.SIGHUP)
    H.wait_until(lambda: "lspawn keeps the configuration it has"
                 in fct.log(), WAIT, "queued's reload")
    assert "config reloaded from %s" % fct.conf_path in fct.log()
    assert "bad request from queued" not in fct.log()
    assert fct.queued.poll() is None
    assert fct.lspawn_pid() == lspawn
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope("alice@" + H.DOMAIN,
                                         [fct.users["bob"].addr]))
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)
