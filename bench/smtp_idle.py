"""
smtp_idle: facteur holding many idle SMTP sessions (SMTP_BENCH_IDLE,
10,000 by default) while new clients still send: how long a new client
waits for its 250 (smtp_load at c=1, one message per connection, p50,
p99 and the slowest), and what the idle sessions cost (Pss and private
memory summed over every session process, per session; the resident's
own memory beside it).  Postfix is not run here: its default process
limit (100) serves 100 sessions at once.
"""
import asyncio
import os
import resource
import subprocess
import tempfile
import time

from smtp_bench_util import say
from smtp_drive import LOAD, RCPT, clear_maildir, maildir_count, pct
from smtp_memory import proc_mem
import facteur_harness as H

OPEN_AT_ONCE = 200      # connections being opened at a time


async def _one(port, sessions, stop, sem):
    """One idle session: connect, greeting, EHLO, then wait for stop.
    The semaphore bounds the sessions being opened at a time."""
    async with sem:
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        try:
            line = await asyncio.wait_for(r.readline(), 60)
            if not line.startswith(b"220"):
                w.close()
                return False
            w.write(b"EHLO idle.bench.test\r\n")
            while True:
                line = await asyncio.wait_for(r.readline(), 60)
                if not line.startswith(b"250"):
                    w.close()
                    return False
                if line[3:4] == b" ":
                    break
        except (OSError, asyncio.TimeoutError):
            w.close()
            return False
        sessions.append(w)
    await stop.wait()
    return True


async def _hold(port, k, measure):
    sessions, stop = [], asyncio.Event()
    sem = asyncio.Semaphore(OPEN_AT_ONCE)
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(_one(port, sessions, stop, sem))
             for _ in range(k)]
    while len(sessions) + sum(1 for t in tasks if t.done()) < k and \
            time.monotonic() - t0 < 600:
        await asyncio.sleep(0.05)
    opened = len(sessions)
    open_s = time.monotonic() - t0
    result = await asyncio.get_running_loop().run_in_executor(
        None, measure, opened)
    stop.set()
    for w in sessions:
        w.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    result.update({"opened": opened, "open_s": open_s})
    return result


def _new_clients(fct, n=50):
    """n messages from a new client each (c=1): conn->250 in seconds."""
    recs = tempfile.NamedTemporaryFile(prefix="smtp-idle-", delete=False)
    recs.close()
    clear_maildir(fct.maildir)
    try:
        r = subprocess.run([LOAD, "-p", str(fct.port), "-c", "1", "-n",
                            str(n), "-s", "4096", "-r", RCPT, "-w", "120",
                            "-o", recs.name], capture_output=True, text=True,
                           timeout=600)
        with open(recs.name) as f:
            lat = sorted((int(x.split()[2]) - int(x.split()[1])) / 1e9
                         for x in f if x.strip())
    finally:
        os.unlink(recs.name)
    H.wait_until(lambda: maildir_count(fct.maildir) >= n, 120,
                 "the new clients' messages")
    return r.returncode, lat


def idle_many(fct, k):
    """Holds k idle sessions (greeting and EHLO read) on facteur's SMTP
    port and measures new clients and memory meanwhile; a dict of
    figures, or None when the sessions could not be opened."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = k + 1024
    try:
        if hard < want:
            hard = want             # root may raise it
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    except (ValueError, OSError) as e:
        say("  idle sessions: cannot raise the descriptor limit to %d: %s"
            % (want, e))
        return None
    H.wait_until(lambda: not fct.sessions(), 60, "sessions to end")
    res_pid = [p for p in H.children(fct.proc.pid)
               if H.proc_comm(p) == "smtpd-resident"]
    res0 = proc_mem(res_pid[0]) if res_pid else None

    def measure(opened):
        """New clients first (the sessions are all there), then memory;
        quickly: an idle session times out after smtpd_timeout."""
        out = {}
        rc, lat = _new_clients(fct)
        out["rc"] = rc
        out["lat"] = lat
        # the sessions: smtpsession's children and the resident's own
        procs = []
        for r in res_pid:
            for c in H.children(r):
                if H.proc_comm(c) == "smtpsession":
                    procs += H.children(c)
                elif H.proc_comm(c) == "smtpd":
                    procs.append(c)
        mems = []
        for q in procs:
            try:
                mems.append(proc_mem(q))
            except OSError:
                pass
        out["procs"] = len(mems)
        out["pss"] = sum(m[1] for m in mems)
        out["priv"] = sum(m[2] for m in mems)
        if res_pid:
            out["resident"] = proc_mem(res_pid[0])
            out["resident0"] = res0
        return out
    say("  holding %d idle sessions (greeting and EHLO read) ..." % k)
    res = asyncio.run(_hold(fct.port, k, measure))
    res["wanted"] = k
    for line in report(res):
        say("  " + line)
    return res


def report(r):
    if r is None:
        return ["idle sessions: not measured"]
    lat = r.get("lat") or []
    out = ["idle sessions: %d of %d opened in %.1f s; %d session processes, "
           "together %.1f MB Pss and %.1f MB private (%.1f / %.1f kB per "
           "session)" % (r["opened"], r["wanted"], r["open_s"], r["procs"],
                         r["pss"] / 1024.0, r["priv"] / 1024.0,
                         r["pss"] / max(1, r["procs"]),
                         r["priv"] / max(1, r["procs"]))]
    if r.get("resident"):
        out.append("  the resident (VmRSS / Pss / private, kB): %d / %d / %d "
                   "with them, %d / %d / %d before" % (r["resident"] +
                                                       r["resident0"]))
    if lat:
        ok = r["opened"] >= r["wanted"] and lat[-1] < 0.1 and r["rc"] == 0
        out.append("  a new client meanwhile, conn->250 (%d messages, one "
                   "connection each): p50 %.1f ms, p99 %.1f ms, slowest "
                   "%.1f ms; target, %d sessions and every 250 under "
                   "100 ms: %s" % (len(lat), pct(lat, 0.5) * 1000,
                                   pct(lat, 0.99) * 1000, lat[-1] * 1000,
                                   r["wanted"], "met" if ok else "NOT met"))
    else:
        out.append("  a new client meanwhile: no message went through "
                   "(smtp_load rc %s)" % r.get("rc"))
    return out
