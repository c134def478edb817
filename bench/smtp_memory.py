"""
smtp_memory: what one idle SMTP client costs the server, for the SMTP
bench: VmRSS, Pss and private memory of the processes facteur runs for
the connection (under a resident smtpd, the session alone; started per
connection, a monitor and a session) while smtp_load -I holds a session
open (after EHLO, or after STARTTLS and EHLO), and of Postfix's smtpd
processes likewise.
"""
import contextlib
import statistics
import subprocess
import time

from smtp_drive import LOAD
import facteur_harness as H


def proc_mem(pid):
    """(VmRSS, Pss, private) of pid in kB.  private is
    Private_Clean + Private_Dirty: the memory only this process holds,
    what one more session costs the machine; Pss adds its share of the
    pages it shares (libraries, the resident's copy-on-write memory)."""
    rss = pss = priv = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                    priv += int(line.split()[1])
    except OSError:
        pass
    return rss, pss, priv


@contextlib.contextmanager
def idle_client(port, flags=()):
    """For the time of the with block, an smtp_load -I client holding one
    session open and idle (greeting and EHLO read, after STARTTLS with
    flags ["-t"]), 0.2 s after it said ready; yields False when it did
    not.  Ends the session on leaving."""
    p = subprocess.Popen([LOAD, "-p", str(port), "-I"] + list(flags),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    try:
        if p.stdout.readline().strip() != "ready":
            yield False
            return
        time.sleep(0.2)
        yield True
    finally:
        p.stdin.write("\n")
        p.stdin.close()
        p.wait(30)


def idle_memory(fct, flags=()):
    """Memory of one idle session (greeting and EHLO read, after STARTTLS
    with flags ["-t"]), 3 samples: {"procs": [(name, rss, pss, priv)],
    "rss", "pss", "priv": the sums}, medians."""
    H.wait_until(lambda: not fct.sessions(), 60, "sessions to end")
    samples = []
    for _ in range(3):
        with idle_client(fct.port, flags) as ready:
            if not ready:
                return None
            sess = H.wait_until(lambda: fct.sessions(), 10,
                                "the idle session")
            top, kids = sess[0]
            if kids:
                samples.append([("monitor", proc_mem(top)),
                                ("session", proc_mem(kids[0]))])
            else:
                samples.append([("session", proc_mem(top))])
        H.wait_until(lambda: not fct.sessions(), 30, "the session to end")
    names = [n for n, _ in samples[0]]
    if any([n for n, _ in s] != names for s in samples):
        return None
    procs = []
    for i, name in enumerate(names):
        procs.append((name,) + tuple(
            statistics.median(s[i][1][k] for s in samples)
            for k in range(3)))
    return {"procs": procs,
            "rss": sum(p[1] for p in procs),
            "pss": sum(p[2] for p in procs),
            "priv": sum(p[3] for p in procs)}


def postfix_idle_memory(post):
    """Postfix's smtpd memory while one client sits idle after EHLO: the
    median over its smtpd processes (the one serving and those kept for
    reuse are the same program in the same state)."""
    with idle_client(post.port) as ready:
        if not ready:
            return None
        pids = [q for q in H.descendants(post.master_pid())
                if H.proc_comm(q) == "smtpd"]
        mems = [proc_mem(q) for q in pids]
    if not mems:
        return None
    return tuple(statistics.median(m[i] for m in mems) for i in range(3))
