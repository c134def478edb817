#!/usr/bin/python3
"""
powercut_disk: a disk with a volatile write cache that can lose power,
for the power-loss test (test_power_loss.py).

A FUSE filesystem (python3-fuse) with one file, /disk, the size of the
image IMAGE (a regular file on the real disk, holding what is durable).
A loop device over /disk carries a real kernel filesystem (ext4), so the
kernel's own code decides what it writes and when it flushes:

  - a write lands in a cache in this process's memory (whole 4 KiB
    blocks), and reads see it, as reads see a disk's cache;
  - an fsync of /disk (what the loop driver does for a cache flush:
    REQ_PREFLUSH, and FUA writes, which the loop device turns into a
    flush) writes the cache into IMAGE and fsyncs IMAGE: only then is it
    durable;
  - a write into /cut cuts the power: the cache is lost, except, with
    --keep-fraction F, a random share F of its blocks (a real disk may
    have written any of them, in any order), and from then on every
    write and flush fails (EIO), so nothing more reaches IMAGE.

Restarted on the same IMAGE, it serves what was durable at the cut.  It
logs one line per flush and the cut to stderr.

usage: powercut_disk.py [--keep-fraction F] [--seed N] IMAGE MOUNTPOINT
(runs in the foreground; unmount MOUNTPOINT to stop it)
"""
import errno
import os
import random
import stat
import sys
import threading

import fuse

fuse.fuse_python_api = (0, 2)
BLOCK = 4096
NAME = "/disk"
CUT = "/cut"


class Disk(fuse.Fuse):
    def __init__(self, image, keep, seed, *a, **kw):
        super().__init__(*a, **kw)
        self.image = image
        self.fd = os.open(image, os.O_RDWR)
        self.size = os.fstat(self.fd).st_size
        self.cache = {}             # block number -> bytes (BLOCK octets)
        self.mu = threading.Lock()
        self.dead = False
        self.keep = keep
        self.rng = random.Random(seed)
        self.flushes = 0

    # ---- the disk ----

    def _block(self, n):
        """Block n as the disk's reader sees it (cache, else the image)."""
        b = self.cache.get(n)
        if b is not None:
            return b
        return os.pread(self.fd, BLOCK, n * BLOCK).ljust(BLOCK, b"\0")

    def cut(self):
        with self.mu:
            if self.dead:
                return
            kept = [n for n in sorted(self.cache)
                    if self.rng.random() < self.keep]
            for n in kept:
                os.pwrite(self.fd, self.cache[n], n * BLOCK)
            os.fsync(self.fd)
            sys.stderr.write("powercut: power cut, %d cached block(s) "
                             "lost, %d written anyway\n"
                             % (len(self.cache) - len(kept), len(kept)))
            sys.stderr.flush()
            self.cache.clear()
            self.dead = True

    # ---- FUSE ----

    def getattr(self, path):
        st = fuse.Stat()
        if path == "/":
            st.st_mode = stat.S_IFDIR | 0o755
            st.st_nlink = 2
        elif path == NAME:
            st.st_mode = stat.S_IFREG | 0o600
            st.st_nlink = 1
            st.st_size = self.size
        elif path == CUT:
            st.st_mode = stat.S_IFREG | 0o200
            st.st_nlink = 1
        else:
            return -errno.ENOENT
        return st

    def readdir(self, path, offset):
        for n in (".", "..", NAME[1:], CUT[1:]):
            yield fuse.Direntry(n)

    def open(self, path, flags):
        return 0 if path in (NAME, CUT) else -errno.ENOENT

    def truncate(self, path, size):
        if path == CUT:
            return 0
        return 0 if size == self.size else -errno.EPERM

    def read(self, path, size, offset):
        with self.mu:
            if offset >= self.size:
                return b""
            size = min(size, self.size - offset)
            out = bytearray()
            n, skip = divmod(offset, BLOCK)
            while len(out) < size:
                out += self._block(n)[skip:]
                n, skip = n + 1, 0
            return bytes(out[:size])

    def write(self, path, buf, offset):
        if path == CUT:
            self.cut()
            return len(buf)
        with self.mu:
            if self.dead:
                return -errno.EIO
            if offset + len(buf) > self.size:
                return -errno.ENOSPC
            done = 0
            while done < len(buf):
                n, at = divmod(offset + done, BLOCK)
                k = min(BLOCK - at, len(buf) - done)
                b = bytearray(self._block(n))
                b[at:at + k] = buf[done:done + k]
                self.cache[n] = bytes(b)
                done += k
            return len(buf)

    def fsync(self, path, isfsyncfile):
        if path == CUT:
            return 0
        with self.mu:
            if self.dead:
                return -errno.EIO
            for n in sorted(self.cache):
                os.pwrite(self.fd, self.cache[n], n * BLOCK)
            os.fsync(self.fd)
            self.flushes += 1
            self.cache.clear()
            return 0

    def flush(self, path):
        return 0        # a close: nothing becomes durable

    def release(self, path, flags):
        return 0


def main():
    args = sys.argv[1:]
    keep, seed = 0.0, None
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--keep-fraction":
            keep = float(args.pop(0))
        elif opt == "--seed":
            seed = int(args.pop(0))
        else:
            sys.exit("powercut_disk: unknown option %s" % opt)
    if len(args) != 2:
        sys.exit(__doc__)
    image, mnt = args
    d = Disk(image, keep, seed, version="powercut",
             usage=__doc__, dash_s_do="setsingle")
    d.fuse_args.mountpoint = mnt
    d.fuse_args.setmod("foreground")
    # direct_io: every write reaches us at once, never held in the
    # kernel's page cache of /disk, which a cut could not empty
    d.fuse_args.add("direct_io")
    d.fuse_args.add("allow_other")
    d.multithreaded = True
    d.main()


if __name__ == "__main__":
    main()
