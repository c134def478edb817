"""
smtp_compare: the headline of the SMTP bench, facteur against Postfix
measured in turns in the same invocation, with Postfix's own load
generator, smtp-source, and 4 KB messages:

  - the disk's own limit first: bench/commit_loop (a plain C loop of
    create, write 4 KB, fsync, rename, fsync of the directory) with one
    writer and with ten, on the file system the queues are on;
  - then, for each case (c=1, c=10, c=50 with one message per connection,
    and c=10 with the connections reused, smtp-source -d), SMTP_BENCH_RUNS
    repetitions, each one run of facteur and one of Postfix, in turns
    (which goes first alternates), each run of SMTP_BENCH_N messages:
    accepted/s (smtp-source's wall time), end to end/s (until the last
    file is in the Maildir) and the server's CPU per message (every
    process under its master, user and system, reaped children
    included), and smtp-source's own CPU per message;
  - medians and the ratios facteur/Postfix per case.

Delivered files are moved out of the Maildir between runs, not unlinked
(smtp_drive.clear_maildir says why).
"""
import os
import resource
import shutil
import statistics
import subprocess
import time

from smtp_bench_util import env_int, say
from smtp_drive import BUILD, RCPT, clear_maildir, maildir_count, tree_cpu

COMMIT_LOOP = os.path.join(BUILD, "bench", "commit_loop")
SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"

# (label, sessions, extra smtp-source flags)
CASES = [("c=1", 1, []), ("c=10", 10, []), ("c=50", 50, []),
         ("c=10 reused", 10, ["-d"])]


def commit_limit(where, secs):
    """{writers: (commits/s, cpu ms per commit)} of commit_loop with 1
    and 10 writers in a fresh directory under where; None if it failed."""
    out = {}
    for w in (1, 10):
        d = os.path.join(where, "commit-loop-%d" % w)
        os.makedirs(d, exist_ok=True)
        try:
            r = subprocess.run([COMMIT_LOOP, d, str(w), str(secs)],
                               capture_output=True, text=True,
                               timeout=secs + 120)
            fields = dict(x.split("=", 1) for x in r.stdout.split())
            out[w] = (float(fields["rate"]), float(fields["cpu_ms"]))
        except (OSError, KeyError, ValueError, subprocess.TimeoutExpired):
            return None
    return out


def source_run(port, root, maildir, n, sessions, flags, deadline=600):
    """One smtp-source run: {accepted, e2e, cpu, client_cpu} (rates per
    second, CPU in ms per message), or None with the reason."""
    clear_maildir(maildir)
    cpu0 = tree_cpu(root)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        r = subprocess.run([SMTP_SOURCE, "-s", str(sessions), "-m", str(n),
                            "-l", "4096", "-f", "bench@bench.test", "-t",
                            RCPT] + flags + ["127.0.0.1:%d" % port],
                           capture_output=True, text=True, timeout=deadline)
    except subprocess.TimeoutExpired:
        return None, "smtp-source did not finish in %d s" % deadline
    t1 = time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        return None, "smtp-source: rc %d %s" % (r.returncode,
                                                r.stderr.strip()[-300:])
    end = t1 + deadline
    while maildir_count(maildir) < n and time.monotonic() < end:
        time.sleep(0.005)
    t2 = time.monotonic()
    got = maildir_count(maildir)
    if got < n:
        return None, "only %d of %d in the Maildir" % (got, n)
    # the server's CPU once every delivery is done
    cpu = (tree_cpu(root) - cpu0) * 1000.0 / n
    ccpu = ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)) \
        * 1000.0 / n
    return {"accepted": n / (t1 - t0), "e2e": n / (t2 - t0), "cpu": cpu,
            "client_cpu": ccpu}, None


def compare(servers, n, runs):
    """servers: [(name, port, root pid function, maildir)].  Returns
    {case label: {server name: medians}}.  Each repetition runs every
    server once per case, in turns, the first one alternating."""
    res = {}
    for label, sessions, flags in CASES:
        per = {s[0]: [] for s in servers}
        for rep in range(runs):
            order = servers if rep % 2 == 0 else list(reversed(servers))
            for name, port, root, maildir in order:
                r, err = source_run(port, root(), maildir, n, sessions,
                                    flags)
                if r is None:
                    say("  %-8s %-12s run %d FAILED: %s"
                        % (name, label, rep + 1, err))
                    continue
                per[name].append(r)
                say("  %-8s %-12s run %d: accepted %6.0f/s, end to end "
                    "%6.0f/s, cpu %.3f ms/msg (smtp-source %.3f)"
                    % (name, label, rep + 1, r["accepted"], r["e2e"],
                       r["cpu"], r["client_cpu"]))
        res[label] = {name: {k: statistics.median(x[k] for x in rs)
                             for k in rs[0]}
                      for name, rs in per.items() if rs}
    return res


def report(limit, res, runs, n):
    say("")
    say("facteur against Postfix, smtp-source, %d messages of 4 KB per "
        "run, median of %d runs taken in turns:" % (n, runs))
    if limit:
        say("  the disk's limit (commit_loop: create, write 4 KB, fsync, "
            "rename, fsync of the directory): 1 writer %.0f commits/s "
            "(%.3f ms CPU each), 10 writers %.0f commits/s (%.3f ms CPU "
            "each)" % (limit[1][0], limit[1][1], limit[10][0],
                       limit[10][1]))
    else:
        say("  the disk's limit: commit_loop failed")
    say("  %-12s %21s %21s %21s %15s %12s" % (
        "", "accepted/s f / P", "end to end/s f / P", "cpu ms/msg f / P",
        "ratio acc/e2e", "cpu ratio"))
    for label, _, _ in CASES:
        f = res.get(label, {}).get("facteur")
        p = res.get(label, {}).get("postfix")
        if f is None or p is None:
            say("  %-12s incomplete" % label)
            continue
        say("  %-12s %10.0f / %-10.0f %10.0f / %-10.0f %10.3f / %-10.3f "
            "%6.2f / %-6.2f %10.2f" % (
                label, f["accepted"], p["accepted"], f["e2e"], p["e2e"],
                f["cpu"], p["cpu"], f["accepted"] / p["accepted"],
                f["e2e"] / p["e2e"], p["cpu"] / f["cpu"] if f["cpu"] else 0))
    for label in ("c=10", "c=50"):
        f = res.get(label, {}).get("facteur")
        p = res.get(label, {}).get("postfix")
        if f and p:
            ratio = f["e2e"] / p["e2e"]
            say("  target at %s: end to end at least twice Postfix's: "
                "%.2f, %s" % (label, ratio, "met" if ratio >= 2 else
                              "NOT met"))
    say("  (cpu ratio: Postfix's CPU per message over facteur's; "
        "smtp-source's own CPU per message is in the run lines)")


def run(fct, post, n, runs, secs):
    limit = commit_limit(fct.inst.root, secs)
    servers = [("facteur", fct.port, lambda: fct.proc.pid, fct.maildir)]
    if post is not None:
        servers.append(("postfix", post.port, post.master_pid,
                        post.maildir))
    res = compare(servers, n, runs)
    if post is not None:
        report(limit, res, runs, n)
    return limit, res


def env_runs():
    return max(1, env_int("SMTP_BENCH_RUNS", 3))
