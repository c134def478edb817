"""
Power loss (docs/queue.md, "Crash table"): the whole instance (queue,
Maildirs) on an ext4 filesystem whose disk drops everything not flushed
when its power is cut, with messages in flight; after the "reboot" every
message that got its 250 is delivered, and none twice.

Why this disk: the kernel here has no device mapper (no dm-flakey or
dm-log-writes) and LazyFS is not packaged for Debian.  So the disk is a
file in a small FUSE filesystem of our own (powercut_disk.py, with
Debian's python3-fuse) that keeps every write in a cache and makes it
durable only when the kernel flushes; a loop device over that file
carries a real ext4.  The filesystem, its journal and its ordering are
the kernel's own: only the disk is simulated, as dm-log-writes would
replay it.  At the cut the cache is lost (all of it, or with a share of
its blocks written anyway, in any order: a disk may have written any of
them), the processes are stopped first so that no 250 can come after
it, and from then on the disk refuses every write.  Then the "reboot":
the disk again from what was durable, the filesystem mounted (ext4
replays its journal; without a journal, e2fsck -y first, as a boot
would), the master started on the same root, and every message the
clients saw a 250 for must reach the Maildir.

Root only (loop devices, mounts); needs /dev/fuse and a free loop device.
"""
import os
import random
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time

import pytest

import facteur_harness as H
from test_master import Master
from test_kill_random import RECEIVED_ID, crlf

D = H.DOMAIN
USERS = ("alice", "bob", "carol")
HERE = os.path.dirname(os.path.abspath(__file__))
DISK_MB = 256
CLIENTS = 8


def need_fuse():
    if not H.IS_ROOT:
        pytest.skip("power loss needs root: loop devices and mounts")
    if not os.path.exists("/dev/fuse") or not shutil.which("losetup"):
        pytest.skip("no /dev/fuse or losetup here")
    probe = [sys.executable, "-c", "import fuse"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-qq",
                        "--no-install-recommends", "python3-fuse"],
                       capture_output=True, env=env)
        if subprocess.run(probe, capture_output=True).returncode != 0:
            pytest.skip("python3-fuse is not installed and apt-get failed")


def run(*argv, check=True):
    r = subprocess.run(list(argv), capture_output=True, text=True,
                       timeout=120)
    if check and r.returncode != 0:
        raise AssertionError("%s: %s %s" % (argv, r.stdout, r.stderr))
    return r


class PowerDisk:
    """The image, its FUSE disk, a loop device and the mounted ext4."""

    def __init__(self, top, journal, keep):
        self.top, self.keep = top, keep
        self.image = os.path.join(top, "disk.img")
        self.fuse = os.path.join(top, "fuse")
        self.mnt = os.path.join(top, "root")
        self.journal = journal
        self.daemon = self.dev = None
        for d in (self.fuse, self.mnt):
            os.mkdir(d)
        with open(self.image, "wb") as f:
            f.truncate(DISK_MB << 20)
        feats = [] if journal else ["-O", "^has_journal"]
        run("mkfs.ext4", "-q", "-F", *feats, self.image)
        self.log = os.path.join(top, "disk.log")

    def plug(self, fsck=False):
        argv = [sys.executable, os.path.join(HERE, "powercut_disk.py"),
                "--keep-fraction", str(self.keep),
                "--seed", str(random.getrandbits(31)), self.image, self.fuse]
        log = open(self.log, "a")
        self.daemon = subprocess.Popen(argv, stdout=log, stderr=log)
        log.close()
        H.wait_until(lambda: os.path.exists(os.path.join(self.fuse, "disk")),
                     30, "the FUSE disk")
        self.dev = run("losetup", "-f", "--show",
                       os.path.join(self.fuse, "disk")).stdout.strip()
        if fsck:
            # what a boot does with a filesystem that was not unmounted:
            # ext4's journal is replayed at mount; without one, e2fsck
            r = run("e2fsck", "-y", self.dev, check=False)
            assert r.returncode in (0, 1, 2), r.stdout + r.stderr
        run("mount", "-t", "ext4", self.dev, self.mnt)
        os.chmod(self.mnt, 0o755)

    def cut(self):
        with open(os.path.join(self.fuse, "cut"), "w") as f:
            f.write("1")

    def unplug(self):
        run("umount", self.mnt, check=False)
        if subprocess.run(["mountpoint", "-q", self.mnt]).returncode == 0:
            run("umount", "-l", self.mnt)
        if self.dev:
            run("losetup", "-d", self.dev, check=False)
            self.dev = None
        run("fusermount", "-u", self.fuse, check=False)
        if self.daemon is not None:
            try:
                self.daemon.wait(30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
            self.daemon = None


class Load:
    """Clients sending until told to stop; the tags that got 250."""

    def __init__(self, port):
        self.port = port
        self.n = 0
        self.acked = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            with self.lock:
                i = self.n
                self.n += 1
            user = USERS[i % 3]
            tag, msg = H.make_message(tag="power-%d" % i,
                                      body=b"message %d\n" % i)
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as s:
                    s.sendmail("p@example.org", ["%s@%s" % (user, D)],
                               crlf(msg))
                with self.lock:
                    self.acked[tag] = user
            except (smtplib.SMTPException, OSError):
                # refused or cut off: the client keeps it (no 250)
                pass


def freeze(master_pid, sig):
    for p in [master_pid] + H.descendants(master_pid):
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("journal,keep", [(True, 0.0), (True, 0.5),
                                          (False, 0.0)],
                         ids=["ext4", "ext4-some-unflushed-written",
                              "ext4-nojournal"])
def test_power_loss(journal, keep):
    need_fuse()
    top = tempfile.mkdtemp(prefix="facteur-power-",
                           dir=H.reachable_tmpdir())
    os.chmod(top, 0o755)
    disk = PowerDisk(top, journal, keep)
    inst = m = None
    try:
        disk.plug()
        inst = H.Instance(base=disk.mnt)
        m = Master(inst, queue_scan_interval="1s", queue_retry_min="1s",
                   restart_delay="1s", max_sessions_per_client="100")
        H.wait_until(lambda: m.queued_pid() is not None, 30, "queued")
        # the installation itself (programs, configuration, homes) is on
        # disk before the test starts, as on a machine that booted
        os.sync()
        load = Load(m.port)
        threads = [threading.Thread(target=load.run, daemon=True)
                   for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        H.wait_until(lambda: len(load.acked) >= 150, 120,
                     "150 messages accepted")
        time.sleep(random.uniform(0, 0.5))
        # the machine stops: no process runs past this point, so every
        # 250 a client reads from now on was sent before the cut
        freeze(m.proc.pid, signal.SIGSTOP)
        disk.cut()
        load.stop.set()
        for t in threads:
            t.join(30)
        acked = dict(load.acked)
        gone = [m.proc.pid] + H.descendants(m.proc.pid)
        freeze(m.proc.pid, signal.SIGKILL)
        m.proc.wait(30)
        H.wait_until(lambda: not any(os.path.exists("/proc/%d" % p)
                                     for p in gone), 30,
                     "every process of the instance to end")
        # nothing of the instance runs any more; the disk is dead
        disk.unplug()
        disk.plug(fsck=True)
        m = Master(inst, queue_scan_interval="1s", queue_retry_min="1s",
                   restart_delay="1s")

        def all_there():
            c = inst.count_tags(USERS)
            return all(c.get(t, 0) >= 1 for t in acked)
        H.wait_until(all_there, 180, "the %d messages that got 250"
                     % len(acked), interval=0.5)
        inst.assert_queue_empty(120)
        counts = inst.count_tags(USERS)
        lost = [t for t in acked if counts.get(t, 0) == 0]
        assert not lost, "%d of %d lost: %s" % (len(lost), len(acked),
                                                lost[:10])
        by_id = {}
        for u in USERS:
            for p in inst.maildir_files(u):
                with open(p, "rb") as f:
                    data = f.read()
                mm = RECEIVED_ID.search(data)
                assert mm, p
                by_id.setdefault(mm.group(1), []).append(p)
        twice = {k: v for k, v in by_id.items() if len(v) > 1}
        assert not twice, "delivered twice: %s" % list(twice.items())[:5]
        wrong = [t for t in acked
                 if t not in inst.count_tags([acked[t]])]
        assert not wrong, "in the wrong Maildir: %s" % wrong[:5]
        print("%d sent, %d acknowledged before the cut, %d delivered after "
              "the reboot (the rest never got a 250)" % (
                  load.n, len(acked), len(counts)))
    finally:
        if m is not None and m.proc.poll() is None:
            freeze(m.proc.pid, signal.SIGKILL)
            m.proc.wait(30)
        if inst is not None:
            inst.close()
        disk.unplug()
        shutil.rmtree(top, ignore_errors=True)
