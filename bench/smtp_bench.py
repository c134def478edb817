"""
smtp_bench: SMTP figures for `make bench` (run by bench/run.sh).  See
bench/README.md for what each figure means.

  1. facteur as `make run` starts it (the master `facteur -d -C conf`,
     smtp_listen and smtps_listen on free loopback ports, a throw-away root
     built by tests/integration/facteur_harness.py) and, as root, a private
     Postfix 3.7 with its defaults (Debian's package), both up at once;
  2. the disk's own commit rate (commit_loop), then facteur and Postfix
     in turns under smtp-source at c=1, 10, 50 and with reused
     connections: accepted/s, end to end/s, CPU per message, the ratios
     (smtp_compare.py);
  3. latency with bench/smtp_load at c=10 (one message per connection,
     and 10 per connection with PIPELINING), both servers in turns;
  4. the memory of one idle session, facteur's and Postfix's, and
     facteur holding SMTP_BENCH_IDLE idle sessions while new clients
     send (smtp_idle.py);
  5. TLS: handshakes/s against smtps (openssl s_time, full and resumed),
     messages/s over STARTTLS at concurrency 10 beside plaintext, for
     facteur and Postfix.

Environment: FACTEUR_BUILD; SMTP_BENCH_N messages per run (2000),
SMTP_BENCH_RUNS (3), SMTP_BENCH_SIZE octets for smtp_load (4096),
SMTP_BENCH_POSTFIX (1; 0 skips Postfix), SMTP_BENCH_STIME seconds per
s_time case and per commit_loop case (5), SMTP_BENCH_IDLE idle sessions
(10000; 0 skips that part).

The parts: smtp_compare.py (the headline), smtp_drive.py (smtp_load and
the measurements), facteur_instance.py, postfix_instance.py,
smtp_memory.py and smtp_idle.py (idle sessions), smtp_tls_bench.py,
smtp_report.py (the summary), smtp_bench_util.py.
"""
import os
import sys
import time

from smtp_bench_util import env_int, say
import facteur_harness as H
import smtp_compare
from facteur_instance import Facteur
from postfix_instance import Postfix
from smtp_drive import BUILD, RCPT_USER, bench_turns, build_load, warm_up
from smtp_idle import idle_many
from smtp_memory import idle_memory, postfix_idle_memory
from smtp_report import summary
from smtp_tls_bench import bench_tls


def start_postfix(fct):
    """(Postfix instance or None, note saying why there is none)."""
    if not env_int("SMTP_BENCH_POSTFIX", 1):
        return None, "skipped (SMTP_BENCH_POSTFIX=0)"
    if not H.IS_ROOT:
        return None, "skipped: a private Postfix needs root"
    note = H.postfix_install()
    if note is not None:
        return None, note
    u = fct.inst.users[RCPT_USER]
    try:
        return Postfix(u.uid, u.gid), None
    except (H.HarnessError, AssertionError, OSError) as e:
        return None, "could not start: %s" % str(e)[-300:]


def main():
    if not os.path.isdir(BUILD):
        sys.exit("smtp bench: FACTEUR_BUILD is not a directory")
    n = env_int("SMTP_BENCH_N", 2000)
    runs = smtp_compare.env_runs()
    size = env_int("SMTP_BENCH_SIZE", 4096)
    stime = max(1, env_int("SMTP_BENCH_STIME", 5))
    nidle = env_int("SMTP_BENCH_IDLE", 10000)
    build_load()
    say("")
    say("smtp bench: %d messages per run, %d runs, %s" % (
        n, runs, "as root" if H.IS_ROOT else "unprivileged"))
    t_start = time.monotonic()
    fct = Facteur()
    post, pf_note = None, None
    res = {"note": None}
    try:
        post, pf_note = start_postfix(fct)
        res["note"] = pf_note
        servers = [("facteur", fct.port, lambda: fct.proc.pid,
                    fct.maildir)]
        if post is not None:
            say("facteur (master, resident smtpd, queued, lspawn) and "
                "Postfix %s (private instance, virtual(8) into Maildir), "
                "in turns:" % post.version())
            servers.append(("postfix", post.port, post.master_pid,
                            post.maildir))
        else:
            say("facteur (master, resident smtpd, queued, lspawn); "
                "Postfix: %s" % pf_note)
        for _, port, _, maildir in servers:
            warm_up(port, maildir, size)
        res["limit"], res["compare"] = smtp_compare.run(fct, post, n, runs,
                                                        stime)
        res["lat"] = bench_turns(servers, n, 10, size, runs, "c=10")
        res["batch"] = bench_turns(servers, n, 10, size, runs,
                                   "c=10 -m10 -P", ["-m", "10", "-P"])
        res["mem"] = idle_memory(fct)
        if post is not None:
            res["pf_mem"] = postfix_idle_memory(post)
        if nidle > 0:
            res["idle"] = idle_many(fct, nidle)
        res["tls"] = bench_tls(fct, n, size, runs, stime)
        if post is not None:
            res["pf_tls"] = bench_turns(servers[1:], n, 10, size, runs,
                                        "STARTTLS", ["-t"]).get("postfix")
    finally:
        if post is not None:
            post.stop()
        fct.stop()
        if fct.inst.health_problems():
            say("smtp bench: programs misbehaved: %s"
                % fct.inst.health_problems()[:5])
    summary(runs, n, size, res)
    say("smtp bench took %.0f s" % (time.monotonic() - t_start))


if __name__ == "__main__":
    main()
