"""
smtp_bench: SMTP figures for `make bench` (run by bench/run.sh after the
queue bench).  See bench/README.md for what each figure means.

  1. facteur as `make run` starts it (the master `facteur -d -C conf`,
     smtp_listen and smtps_listen on free loopback ports, a throw-away root
     built by tests/integration/facteur_harness.py), driven by
     bench/smtp_load (C, built here into $FACTEUR_BUILD/bench/) at
     concurrency 1, 10 and 50 with 4 KB messages: accepted messages/s,
     messages/s into the Maildir, latency from the connection's first byte
     to the 250 and to the delivered file's mtime, and the memory of one
     idle smtpd session (monitor and session, VmRSS and Pss).
  2. Postfix 3.7 (Debian's package, root only) as a private instance with
     the same load at concurrency 10, and the ratio facteur/Postfix;
     smtp-source (from the postfix package) as a cross-check on both.
  3. TLS: handshakes/s against smtps (openssl s_time, full and resumed),
     messages/s over STARTTLS at concurrency 10 beside plaintext.

Environment: FACTEUR_BUILD; SMTP_BENCH_N messages per run (2000),
SMTP_BENCH_CONC concurrency levels ("1,10,50"), SMTP_BENCH_RUNS (3),
SMTP_BENCH_SIZE octets (4096), SMTP_BENCH_PER_CONN messages per connection
(1), SMTP_BENCH_PIPELINING (0), SMTP_BENCH_POSTFIX (1; 0 skips Postfix),
SMTP_BENCH_STIME seconds per s_time case (5).

The parts: smtp_drive.py (smtp_load and the measurements),
facteur_instance.py, postfix_instance.py, smtp_memory.py (idle sessions),
smtp_tls_bench.py, smtp_report.py (the summary), smtp_bench_util.py.
"""
import os
import sys
import time

from smtp_bench_util import env_int, say
import facteur_harness as H
from facteur_instance import Facteur
from postfix_instance import Postfix
from smtp_drive import (BUILD, RCPT_USER, bench_plain, build_load,
                        smtp_source, warm_up)
from smtp_memory import idle_memory, postfix_idle_memory
from smtp_report import summary
from smtp_tls_bench import bench_tls


def main():
    if not os.path.isdir(BUILD):
        sys.exit("smtp bench: FACTEUR_BUILD is not a directory")
    n = env_int("SMTP_BENCH_N", 2000)
    runs = max(1, env_int("SMTP_BENCH_RUNS", 3))
    size = env_int("SMTP_BENCH_SIZE", 4096)
    stime = max(1, env_int("SMTP_BENCH_STIME", 5))
    levels = [int(x) for x in os.environ.get("SMTP_BENCH_CONC",
                                             "1,10,50").split(",") if x]
    build_load()
    say("")
    say("smtp bench: %d messages of %d octets per run, concurrency %s, "
        "%d runs, %s" % (n, size, ",".join(map(str, levels)), runs,
                         "as root" if H.IS_ROOT else "unprivileged"))
    t_start = time.monotonic()
    fct = Facteur()
    plain = {}
    try:
        say("facteur (master, smtpd mx mode, queued, lspawn, deliver):")
        warm_up(fct.port, fct.maildir, size)
        plain = bench_plain(fct.port, fct.maildir, n, levels, size, runs,
                            "facteur", fct.proc.pid)
        batch = bench_plain(fct.port, fct.maildir, n, [10], size, runs,
                            "facteur -m10 -P", fct.proc.pid,
                            ["-m", "10", "-P"]).get(10)
        mem = idle_memory(fct)
        ss = smtp_source(fct.port, n, 10, size, fct.maildir)
        tls_res = bench_tls(fct, n, size, runs, stime)
    finally:
        fct.stop()
        if fct.inst.health_problems():
            say("smtp bench: programs misbehaved: %s"
                % fct.inst.health_problems()[:5])

    pf, pf_ss, pf_note, pf_batch, pf_tls = None, None, None, None, None
    pf_mem = None
    if not env_int("SMTP_BENCH_POSTFIX", 1):
        pf_note = "skipped (SMTP_BENCH_POSTFIX=0)"
    elif not H.IS_ROOT:
        pf_note = "skipped: a private Postfix needs root"
    else:
        pf_note = H.postfix_install()
    if pf_note is None:
        u = fct.inst.users[RCPT_USER]
        try:
            post = Postfix(u.uid, u.gid)
        except (H.HarnessError, AssertionError, OSError) as e:
            post, pf_note = None, "could not start: %s" % str(e)[-300:]
        if post is not None:
            try:
                say("Postfix %s (private instance, virtual(8) into Maildir):"
                    % post.version())
                warm_up(post.port, post.maildir, size)
                pf = bench_plain(post.port, post.maildir, n, [10], size,
                                 runs, "postfix", post.master_pid())
                pf_batch = bench_plain(post.port, post.maildir, n, [10],
                                       size, runs, "postfix -m10 -P",
                                       post.master_pid(),
                                       ["-m", "10", "-P"]).get(10)
                pf_ss = smtp_source(post.port, n, 10, size, post.maildir)
                pf_mem = postfix_idle_memory(post)
                pf_tls = bench_plain(post.port, post.maildir, n, [10], size,
                                     runs, "postfix STARTTLS",
                                     post.master_pid(), ["-t"]).get(10)
            finally:
                post.stop()

    summary(runs, n, size, levels,
            {"plain": plain, "batch": batch, "mem": mem, "ss": ss,
             "tls": tls_res},
            {"plain": pf, "batch": pf_batch, "ss": pf_ss, "mem": pf_mem,
             "tls": pf_tls, "note": pf_note})
    say("smtp bench took %.0f s" % (time.monotonic() - t_start))


if __name__ == "__main__":
    main()
