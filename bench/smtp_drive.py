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
import shutil
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


def build_load():
    os.makedirs(os.path.dirname(LOAD), exist_ok=True)
    srcs = [os.path.join(HERE, f) for f in ("smtp_load.c", "smtp_load_conn.c")]
    newest = max(os.stat(f).st_mtime for f in
                 srcs + [os.path.join(HERE, "smtp_load.h")])
    if os.path.exists(LOAD) and os.stat(LOAD).st_mtime >= newest:
        return
    cmd = [os.environ.get("CC", "cc")] + HARDEN + ["-o", LOAD] + srcs + [
        "-lssl", "-lcrypto", "-pthread"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("smtp bench: building smtp_load failed:\n%s" % r.stderr)


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
    for n in os.listdir(d):
        try:
            os.unlink(os.path.join(d, n))
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


def smtp_source(port, n, c, size, maildir=None):
    """smtp-source's own run, timed from outside (accepted msgs/s)."""
    exe = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
    if not os.path.exists(exe):
        return None
    if maildir:
        clear_maildir(maildir)
    t0 = time.monotonic()
    r = subprocess.run([exe, "-s", str(c), "-m", str(n), "-l", str(size),
                        "-f", "bench@bench.test", "-t", RCPT,
                        "127.0.0.1:%d" % port], capture_output=True,
                       text=True, timeout=600)
    el = time.monotonic() - t0
    if r.returncode != 0:
        return None
    if maildir:
        # let every copy land so that the next run starts from an empty box
        try:
            H.wait_until(lambda: maildir_count(maildir) >= n, 300,
                         "smtp-source's messages", interval=0.05)
        except AssertionError:
            pass
        clear_maildir(maildir)
    return n / el
