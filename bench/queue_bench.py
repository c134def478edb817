"""
queue_bench: the queue path under load (enqueue -> queued -> lspawn ->
deliver -> Maildir), in a throw-away instance built by
tests/integration/facteur_harness.py.  Run by bench/run.sh (`make bench`).

Environment: FACTEUR_BUILD (programs), BENCH_N messages per run (2000),
BENCH_C parallel senders (8), BENCH_SIZE octets per message (4096),
BENCH_RUNS (3), BENCH_VIA enqueue|sendmail (enqueue).

Each run starts a fresh instance, then C sender threads each run the
injector (enqueue with the qmail-queue protocol, or sendmail) N/C times.
Every message carries X-Bench-Injected: <ns since the epoch>, taken just
before its injector starts.  Reported, as the median over the runs:

  inject/s    N / (time from the first injection's start to the last
              injector's exit 0): the rate to a durable queue.
  maildir/s   N / (time from the first injection's start to the moment the
              poller (every 10 ms) sees all N files in the Maildirs).
  latency     injection timestamp to the Maildir file's mtime (deliver
              writes the file, then links it into new/; its mtime is the
              end of the write), median and 99th percentile.
  cpu/1000    CPU seconds (user+sys) of queued, lspawn and every
              delivery worker per 1,000 messages.  Method:
              /proc/PID/stat fields 14-17 (utime, stime, cutime, cstime)
              of queued and every live process under it (its keeper,
              lspawn, the workers).  cutime/cstime hold the times of
              children that have exited and been waited for, so lspawn's
              pair covers every worker it reaped, and a live worker is
              counted by its own fields.  Sampled once before the first
              injection and once after the last delivery with the queue
              empty; the difference is reported.  Injector processes (enqueue, sendmail) are not
              in it: they belong to the senders.
"""
import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import facteur_harness as H  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("bench: %s must be a number" % name)


def tree_ticks(inst):
    try:
        inst.lspawn_pid(timeout=10)     # started, so that it is counted
    except AssertionError:
        pass
    pids = [inst.queued.pid] + H.descendants(inst.queued.pid)
    return sum(H.cpu_ticks(p) for p in pids)


def one_run(n, c, size, via):
    inst = H.Instance(conf={"local_concurrency": "10",
                            "queue_scan_interval": "60s",
                            "log_debug": "no"})
    try:
        inst.start_queued()
        users = list(inst.users)
        pad = b"x" * 75 + b"\n"
        cpu0 = tree_ticks(inst)
        errors = []
        per = [n // c + (1 if i < n % c else 0) for i in range(c)]
        t_first = [None]
        t_last_ok = [0.0]
        lock = threading.Lock()

        def sender(k):
            for i in range(per[k]):
                u = users[(k + i) % len(users)]
                now_ns = time.time_ns()
                t0 = time.monotonic()
                with lock:
                    if t_first[0] is None:
                        t_first[0] = t0
                tag = "b%d-%d" % (k, i)
                hdr = ("From: alice@%s\nTo: %s@%s\nSubject: bench\n"
                       "Date: Thu, 27 Nov 2025 10:00:00 +0000\n"
                       "Message-ID: <%s@bench>\nX-Facteur-Test: %s\n"
                       "X-Bench-Injected: %d\n\n"
                       % (H.DOMAIN, u, H.DOMAIN, tag, tag, now_ns)).encode()
                body = pad * max(1, (size - len(hdr)) // len(pad))
                data = hdr + body
                if via == "sendmail":
                    r = inst.sendmail(["-i", "-f", "alice@" + H.DOMAIN,
                                       "%s@%s" % (u, H.DOMAIN)], data,
                                      user="alice")
                else:
                    r = inst.enqueue_raw(data, H.envelope(
                        "alice@" + H.DOMAIN, ["%s@%s" % (u, H.DOMAIN)]),
                        user="alice")
                t1 = time.monotonic()
                if r.returncode != 0:
                    errors.append((r.returncode, r.stderr[-200:]))
                    return
                with lock:
                    t_last_ok[0] = max(t_last_ok[0], t1)

        threads = [threading.Thread(target=sender, args=(k,))
                   for k in range(c)]
        for t in threads:
            t.start()
        done_at = [None]

        def all_there():
            total = sum(len(inst.maildir_files(u)) for u in users)
            if total >= n and done_at[0] is None:
                done_at[0] = time.monotonic()
            return total >= n
        # poll while injecting too, so the completion time is not late
        deadline = time.monotonic() + max(600, n)
        while not all_there():
            if errors or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        for t in threads:
            t.join()
        if errors:
            raise SystemExit("bench: injection failed: %r" % errors[:3])
        if done_at[0] is None:
            raise SystemExit("bench: only %d of %d delivered; log:\n%s" % (
                sum(len(inst.maildir_files(u)) for u in users), n,
                inst.log_tail()))
        inst.assert_queue_empty(120)
        cpu1 = tree_ticks(inst)
        lat = []
        for u in users:
            for p in inst.maildir_files(u):
                with open(p, "rb") as f:
                    head = f.read(4096)
                i = head.find(b"\nX-Bench-Injected: ")
                if i < 0:
                    continue
                inj = int(head[i + 19:head.index(b"\n", i + 1)])
                lat.append((os.stat(p).st_mtime_ns - inj) / 1e9)
        lat.sort()
        t0 = t_first[0]
        return {
            "inject_rate": n / (t_last_ok[0] - t0),
            "maildir_rate": n / (done_at[0] - t0),
            "lat_median": statistics.median(lat),
            "lat_p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            "cpu_per_1000": (cpu1 - cpu0) / TICK * 1000.0 / n,
        }
    finally:
        inst.close()
        if inst.health_problems():
            print("bench: programs misbehaved: %s"
                  % inst.health_problems(), file=sys.stderr)


def main():
    n = env_int("BENCH_N", 2000)
    c = max(1, env_int("BENCH_C", 8))
    size = env_int("BENCH_SIZE", 4096)
    runs = max(1, env_int("BENCH_RUNS", 3))
    via = os.environ.get("BENCH_VIA", "enqueue")
    if via not in ("enqueue", "sendmail"):
        sys.exit("bench: BENCH_VIA is enqueue or sendmail")
    print("queue bench: %d messages of %d octets, %d senders, via %s, "
          "%s, %d runs" % (n, size, c, via,
                           "as root" if H.IS_ROOT else "unprivileged", runs))
    results = []
    for i in range(runs):
        r = one_run(n, c, size, via)
        results.append(r)
        print("  run %d: inject %.0f/s, maildir %.0f/s, latency median "
              "%.3fs p99 %.3fs, cpu %.2fs/1000 msgs"
              % (i + 1, r["inject_rate"], r["maildir_rate"], r["lat_median"],
                 r["lat_p99"], r["cpu_per_1000"]))
        sys.stdout.flush()

    def med(k):
        return statistics.median(x[k] for x in results)
    print("median of %d runs:" % runs)
    print("  injection to durable queue: %8.1f messages/s" % med("inject_rate"))
    print("  delivery to Maildir:        %8.1f messages/s" % med("maildir_rate"))
    print("  injection->Maildir latency: median %.3f s, p99 %.3f s"
          % (med("lat_median"), med("lat_p99")))
    print("  CPU of queued+lspawn+deliver: %.2f s per 1000 messages "
          "(user+sys, /proc/PID/stat utime+stime+cutime+cstime)"
          % med("cpu_per_1000"))


if __name__ == "__main__":
    main()
