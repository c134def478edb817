"""
smtp_drive: the load driver of the SMTP bench.  Builds bench/smtp_load.c
into $FACTEUR_BUILD/bench/smtp_load, runs it against a server's port and
measures what it reports beside what lands in the Maildir: accepted and
delivered messages/s, latency to the 250 and to the Maildir, and the
server's CPU per 1000 messages; also smtp-source's run as a cross-check.
Used alike for facteur and for the private Postfix.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from smtp_bench_util import HERE, env_int, say
import facteur_harness as H

TICK = os.sysconf("SC_CLK_TCK")

BUILD = os.path.abspath(os.environ.get("FACTEUR_BUILD", ""))
LOAD = os.path.join(BUILD, "bench", "smtp_load")
RCPT_USER = "alice"
RCPT = "%s@%s" % (RCPT_USER, H.DOMAIN)
HARDEN = ["-std=c17", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
          "-Wshadow", "-Wformat=2", "-O2", "-g", "-D_FORTIFY_SOURCE=2",
          "-fstack-protector-strong", "-fPIE", "-fstack-clash-protection",
          "-fcf-protection", "-pie", "-Wl,-z,relro,-z,now"]


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p))]


def build_c(out, srcs, deps=(), libs=()):
    """Builds a bench program from bench/ sources into
    $FACTEUR_BUILD/bench/ (no Makefile rule), when older than them."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    srcs = [os.path.join(HERE, f) for f in srcs]
    newest = max(os.stat(f).st_mtime for f in
                 srcs + [os.path.join(HERE, f) for f in deps])
    if os.path.exists(out) and os.stat(out).st_mtime >= newest:
        return
    cmd = [os.environ.get("CC", "cc")] + HARDEN + ["-o", out] + srcs + \
        list(libs)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("smtp bench: building %s failed:\n%s" % (out, r.stderr))


def build_load():
    build_c(LOAD, ("smtp_load.c", "smtp_load_conn.c"), ("smtp_load.h",),
            ("-lssl", "-lcrypto", "-pthread"))
    build_c(os.path.join(BUILD, "bench", "commit_loop"), ("commit_loop.c",))


def parse_load(out):
    m = re.search(r"sent=(\d+) failed=(\d+) conns=(\d+) resumed=(\d+) "
                  r"elapsed=([\d.]+) rate=([\d.]+) p50=([\d.]+) "
                  r"p99=([\d.]+)", out)
    if not m:
        return None
    k = ("sent", "failed", "conns", "resumed", "elapsed", "rate", "p50",
         "p99")
    return {a: float(b) for a, b in zip(k, m.groups())}


def load_argv(port, n, c, size, extra=()):
    argv = [LOAD, "-p", str(port), "-c", str(c), "-n", str(n), "-s",
            str(size), "-r", RCPT, "-m",
            str(env_int("SMTP_BENCH_PER_CONN", 1)), "-w", "120"]
    if env_int("SMTP_BENCH_PIPELINING", 0):
        argv.append("-P")
    return argv + list(extra)


def maildir_count(d):
    try:
        return sum(1 for n in os.listdir(d) if not n.startswith("."))
    except FileNotFoundError:
        return 0


def clear_maildir(d):
    """Empties the Maildir whose new/ is d, by moving its files into a
    directory beside the Maildir (bench-archive/, removed with the
    instance), not by unlinking them: on file systems that skip recently
    freed inodes when they make a file (ext4 without a journal scans past
    every inode freed in the last minutes), thousands of removals between
    runs would make every following delivery's create slower, a cost of
    the bench, not of the server under test (docs/performance.md)."""
    box = os.path.dirname(os.path.normpath(d))
    dest = os.path.join(os.path.dirname(box), "bench-archive")
    os.makedirs(dest, exist_ok=True)
    for sub in (d, os.path.join(box, "cur")):
        try:
            names = os.listdir(sub)
        except FileNotFoundError:
            continue
        for n in names:
            try:
                os.rename(os.path.join(sub, n), os.path.join(dest, n))
            except FileNotFoundError:
                pass


def delivery_latencies(d):
    """Seconds from X-Bench-Start (just before connect) to each delivered
    file's mtime (the end of its write, before the link into new/)."""
    out = []
    for n in os.listdir(d):
        p = os.path.join(d, n)
        try:
            with open(p, "rb") as f:
                head = f.read(8192)
            mt = os.stat(p).st_mtime_ns
        except OSError:
            continue
        m = re.search(rb"\nX-Bench-Start: (\d+)\r?\n", head)
        if m:
            out.append((mt - int(m.group(1))) / 1e9)
    out.sort()
    return out


def tree_cpu(root):
    """CPU seconds (user+sys) of the process tree under root: for every
    live process, its own times and those of the children it has reaped
    (/proc/PID/stat utime, stime, cutime, cstime).  A process that exits
    moves its times into its parent's cutime/cstime, so the sum only
    grows, and a difference covers every process that ran in between."""
    if root is None:
        return 0.0
    return sum(H.cpu_ticks(p) for p in [root] + H.descendants(root)) / TICK


def queue_cpu(root):
    """The part of tree_cpu(root) under facteur's queued (queued, lspawn
    and the deliveries); 0 for a tree without queued (Postfix)."""
    if root is None:
        return 0.0
    for p in H.children(root):
        if H.proc_comm(p) == "queued":
            return tree_cpu(p)
    return 0.0


def drive(port, maildir, n, c, size, extra=(), wait_delivery=True,
          deadline=600, root=None):
    """One load run; once the load generator is done, polls the Maildir
    every 10 ms until every message is there.  Returns
    the load generator's figures plus maildir_rate, delivery latency and
    the server's CPU per 1000 messages (process tree under root)."""
    clear_maildir(maildir)
    cpu0, qcpu0 = tree_cpu(root), queue_cpu(root)
    recs = tempfile.NamedTemporaryFile(prefix="smtp-load-", delete=False)
    recs.close()
    argv = load_argv(port, n, c, size, extra) + ["-o", recs.name]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    done_ns = None
    end = time.monotonic() + deadline
    # The Maildir is counted only once the load is over: listing a
    # directory of thousands of files every 10 ms costs a tenth of a
    # core, which the server under test would lose while it works.
    try:
        out, err = p.communicate(timeout=max(10, end - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    while wait_delivery and p.returncode == 0 and time.monotonic() < end:
        if maildir_count(maildir) >= n:
            done_ns = time.time_ns()
            break
        time.sleep(0.01)
    r = parse_load(out)
    try:
        with open(recs.name) as f:
            starts = [int(line.split()[1]) for line in f if line.strip()]
    finally:
        os.unlink(recs.name)
    if r is None or r["sent"] < n:
        return None, "load: rc %s %s %s" % (p.returncode, out.strip(),
                                            err.strip()[-300:])
    if wait_delivery:
        if done_ns is None:
            return None, "only %d of %d in the Maildir" % (
                maildir_count(maildir), n)
        t0 = min(starts)
        r["maildir_rate"] = n / ((done_ns - t0) / 1e9)
        lat = delivery_latencies(maildir)
        r["dlat50"] = pct(lat, 0.5)
        r["dlat99"] = pct(lat, 0.99)
        r["cpu"] = (tree_cpu(root) - cpu0) * 1000.0 / n
        # facteur: delivery side (queued tree) and the rest (master,
        # smtpd monitor and session, enqueue)
        r["qcpu"] = (queue_cpu(root) - qcpu0) * 1000.0 / n
    return r, None


def median_of(results, k):
    return statistics.median(x[k] for x in results)


def warm_up(port, maildir, size):
    """An unmeasured run first, so that both servers start measured runs
    with their processes and caches warm (Postfix keeps its smtpd and
    cleanup processes; the page cache holds facteur's programs)."""
    r, err = drive(port, maildir, 100, 10, size)
    if r is None:
        say("  warm-up FAILED: %s" % err)


def bench_plain(port, maildir, n, levels, size, runs, label, root=None,
                extra=()):
    res = {}
    for c in levels:
        rs = []
        for i in range(runs):
            r, err = drive(port, maildir, n, c, size, extra, root=root)
            if r is None:
                say("  %s c=%d run %d FAILED: %s" % (label, c, i + 1, err))
                continue
            rs.append(r)
            say("  %s c=%-2d run %d: accepted %6.1f/s, maildir %6.1f/s, "
                "conn->250 p50 %.3fs p99 %.3fs, conn->maildir p50 %.3fs "
                "p99 %.3fs, cpu %.2fs/1000" % (
                    label, c, i + 1, r["rate"], r["maildir_rate"], r["p50"],
                    r["p99"], r["dlat50"], r["dlat99"], r["cpu"]))
        if rs:
            res[c] = {k: median_of(rs, k) for k in rs[0]}
    return res


def bench_turns(servers, n, c, size, runs, label, extra=()):
    """smtp_load runs against several servers in turns: servers is
    [(name, port, root pid function, maildir)]; each repetition runs each
    server once, the first one alternating.  {name: medians}."""
    per = {s[0]: [] for s in servers}
    for i in range(runs):
        order = servers if i % 2 == 0 else list(reversed(servers))
        for name, port, root, maildir in order:
            r, err = drive(port, maildir, n, c, size, extra, root=root())
            if r is None:
                say("  %s %s run %d FAILED: %s" % (name, label, i + 1, err))
                continue
            per[name].append(r)
            say("  %-8s %s run %d: accepted %6.1f/s, maildir %6.1f/s, "
                "conn->250 p50 %.3fs p99 %.3fs, conn->maildir p50 %.3fs "
                "p99 %.3fs, cpu %.2fs/1000" % (
                    name, label, i + 1, r["rate"], r["maildir_rate"],
                    r["p50"], r["p99"], r["dlat50"], r["dlat99"], r["cpu"]))
    return {name: {k: median_of(rs, k) for k in rs[0]}
            for name, rs in per.items() if rs}
