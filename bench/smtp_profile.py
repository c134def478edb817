"""
smtp_profile: where the time goes, per message (docs/performance.md).
Not part of `make bench`: run it alone, as root, on a machine nobody else
loads (the counters are system-wide):

    FACTEUR_BUILD=$PWD/build /usr/bin/python3 bench/smtp_profile.py

It starts facteur (bench/facteur_instance.py) and a private Postfix
(bench/postfix_instance.py) as smtp_bench.py does, warms both up, and for
each, in turns, sends SMTP_BENCH_N messages (2000) of 4 KB with
smtp-source at c=SMTP_BENCH_PROFILE_C (10), one message per connection, under `perf stat -a`,
waiting for the last delivery inside the measured time.  It prints, per
message: the server's CPU (every process under its master, as
smtp_compare.py counts it), and, for the whole machine (the client
included), context switches, forks, execs, system calls, fsync+fdatasync calls, and
renames and links.  Then one `perf record -a -g` of facteur under the
same load: the CPU by process name and the top symbols
(SMTP_BENCH_PROFILE_TOP, 25).  SMTP_BENCH_PROFILE_RECORD=0 skips it.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

from smtp_bench_util import env_int, say
import facteur_harness as H
from facteur_instance import Facteur
from postfix_instance import Postfix
from smtp_drive import BUILD, RCPT, RCPT_USER, clear_maildir, \
    maildir_count, tree_cpu, warm_up

SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
PERF = shutil.which("perf") or "/usr/bin/perf"
EVENTS = [
    ("context-switches", "context switches"),
    ("sched:sched_process_fork", "forks"),
    ("sched:sched_process_exec", "execs"),
    ("raw_syscalls:sys_enter", "system calls"),
    ("syscalls:sys_enter_fsync", "fsync"),
    ("syscalls:sys_enter_fdatasync", "fdatasync"),
    ("syscalls:sys_enter_rename", "rename"),
    ("syscalls:sys_enter_renameat2", "renameat2"),
    ("syscalls:sys_enter_link", "link"),
    ("syscalls:sys_enter_linkat", "linkat"),
]


CONC = env_int("SMTP_BENCH_PROFILE_C", 10)


def source_argv(port, n):
    return [SMTP_SOURCE, "-s", str(CONC), "-m", str(n), "-l", "4096",
            "-f", "bench@bench.test", "-t", RCPT, "127.0.0.1:%d" % port]


def load_and_wait(port, maildir, n):
    """A shell command line: smtp-source, then wait for n files."""
    return [sys.executable, "-c",
            "import subprocess, sys, time, os\n"
            "r = subprocess.run(%r)\n"
            "d = %r\n"
            "end = time.monotonic() + 600\n"
            "while time.monotonic() < end:\n"
            "    if len(os.listdir(d)) >= %d: break\n"
            "    time.sleep(0.005)\n"
            "sys.exit(r.returncode)\n" % (source_argv(port, n), maildir, n)]


def perf_stat(port, root, maildir, n):
    clear_maildir(maildir)
    cpu0 = tree_cpu(root)
    with tempfile.NamedTemporaryFile("r", suffix=".perf") as out:
        argv = [PERF, "stat", "-a", "-x", ",", "-o", out.name]
        for ev, _ in EVENTS:
            argv += ["-e", ev]
        t0 = time.monotonic()
        r = subprocess.run(argv + ["--"] + load_and_wait(port, maildir, n),
                           capture_output=True, text=True, timeout=900)
        wall = time.monotonic() - t0
        cpu = (tree_cpu(root) - cpu0) * 1000.0 / n
        if r.returncode != 0:
            return None, "perf stat: rc %d %s" % (r.returncode,
                                                  r.stderr[-300:])
        counts = {}
        for line in out.read().splitlines():
            f = line.split(",")
            if len(f) >= 3 and f[0].replace(".", "", 1).isdigit():
                counts[f[2]] = float(f[0])
    if maildir_count(maildir) < n:
        return None, "only %d of %d delivered" % (maildir_count(maildir), n)
    return {"wall": wall, "cpu": cpu, "counts": counts}, None


def perf_record(port, maildir, n, top):
    clear_maildir(maildir)
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "perf.data")
        r = subprocess.run([PERF, "record", "-a", "-g", "-q", "-o", data,
                            "--"] + load_and_wait(port, maildir, n),
                           capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            say("  perf record failed: %s" % r.stderr[-300:])
            return
        for sort, lines in (("comm", 20), ("comm,dso,sym", top)):
            rep = subprocess.run([PERF, "report", "-i", data, "--stdio",
                                  "--no-children", "-g", "none",
                                  "--percent-limit", "0.5",
                                  "--sort", sort],
                                 capture_output=True, text=True,
                                 timeout=300)
            rows = [x for x in rep.stdout.splitlines()
                    if x.strip() and not x.startswith("#")]
            say("  perf record, by %s (%% of all samples, the client "
                "included):" % sort)
            for x in rows[:lines]:
                say("    " + x.strip())


def main():
    if not os.path.isdir(BUILD):
        sys.exit("smtp_profile: FACTEUR_BUILD is not a directory")
    if not H.IS_ROOT:
        sys.exit("smtp_profile: needs root (perf -a, a private Postfix)")
    n = env_int("SMTP_BENCH_N", 2000)
    top = env_int("SMTP_BENCH_PROFILE_TOP", 25)
    fct = Facteur()
    post = None
    try:
        note = H.postfix_install()
        if note is None:
            u = fct.inst.users[RCPT_USER]
            post = Postfix(u.uid, u.gid)
        servers = [("facteur", fct.port, lambda: fct.proc.pid, fct.maildir)]
        if post is not None:
            servers.append(("postfix", post.port, post.master_pid,
                            post.maildir))
        for _, port, _, maildir in servers:
            warm_up(port, maildir, 4096)
        say("")
        say("smtp profile: smtp-source c=%d, %d messages of 4 KB, one per "
            "connection, per message (perf stat -a, whole machine):"
            % (CONC, n))
        res = {}
        for name, port, root, maildir in servers:
            r, err = perf_stat(port, root(), maildir, n)
            if r is None:
                say("  %s: %s" % (name, err))
                continue
            res[name] = r
        names = [s[0] for s in servers if s[0] in res]
        say("  %-38s %s" % ("", "  ".join("%12s" % x for x in names)))
        say("  %-38s %s" % ("messages/s, end to end", "  ".join(
            "%12.0f" % (n / res[x]["wall"]) for x in names)))
        say("  %-38s %s" % ("server CPU ms (user+sys)", "  ".join(
            "%12.3f" % res[x]["cpu"] for x in names)))
        for ev, label in EVENTS:
            say("  %-38s %s" % (label, "  ".join(
                "%12.3f" % (res[x]["counts"].get(ev, float("nan")) / n)
                for x in names)))
        if env_int("SMTP_BENCH_PROFILE_RECORD", 1):
            say("")
            say("facteur under perf record -a -g, the same load:")
            perf_record(fct.port, fct.maildir, n, top)
    finally:
        if post is not None:
            post.stop()
        fct.stop()


if __name__ == "__main__":
    main()
