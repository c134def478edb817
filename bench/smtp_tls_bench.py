"""
smtp_tls_bench: the TLS part of the SMTP bench against facteur: probing
whether smtpd answers on smtps and offers STARTTLS, handshakes/s by
openssl s_time (full and resumed), messages/s over STARTTLS at
concurrency 10, and the memory of an idle session after STARTTLS.
"""
import re
import subprocess
import time

from smtp_bench_util import say
from smtp_drive import LOAD, drive, median_of
from smtp_memory import idle_memory


def s_time(port, mode, secs):
    """(handshakes per wall-clock second, resumed, total) by openssl
    s_time; mode is -new or -reuse (with -tls1_2)."""
    argv = ["openssl", "s_time", "-connect", "127.0.0.1:%d" % port,
            "-time", str(secs), mode]
    if mode == "-reuse":
        argv.append("-tls1_2")
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=secs + 60)
    el = time.monotonic() - t0
    m = re.findall(r"(\d+) connections in [\d.]+s", r.stdout)
    if r.returncode != 0 or not m:
        return None
    n = int(m[-1])
    # progress characters: 'r' for a resumed session, '*' for a new one
    prog = "".join(ln for ln in r.stdout.splitlines()
                   if re.fullmatch(r"[r*]+", ln.strip() or "x"))
    return n / el, prog.count("r"), n


def tls_available(fct):
    """(smtps ok, STARTTLS ok) by probing each with smtp_load -I."""
    def probe(flag, port):
        try:
            p = subprocess.run([LOAD, "-p", str(port), "-I", flag, "-w", "10"],
                               input="\n", capture_output=True, text=True,
                               timeout=30)
            return p.returncode == 0
        except subprocess.TimeoutExpired:
            return False
    return probe("-T", fct.sport), probe("-t", fct.port)


def bench_tls(fct, n, size, runs, stime):
    res = {}
    smtps, starttls = tls_available(fct)
    res["smtps"], res["starttls"] = smtps, starttls
    if smtps:
        res["full"] = s_time(fct.sport, "-new", stime)
        res["resumed"] = s_time(fct.sport, "-reuse", stime)
        def hs(r):
            if not r:
                return "n/a"
            return "%.1f/s (%d of %d resumed)" % (r[0], r[1], r[2])
        say("  smtps handshakes: full %s, resumed %s"
            % (hs(res["full"]), hs(res["resumed"])))
    if starttls:
        rs = []
        for i in range(runs):
            r, err = drive(fct.port, fct.maildir, n, 10, size, ["-t"],
                           root=fct.proc.pid)
            if r is None:
                say("  STARTTLS c=10 run %d FAILED: %s" % (i + 1, err))
                continue
            rs.append(r)
            say("  STARTTLS c=10 run %d: accepted %6.1f/s, maildir %6.1f/s, "
                "resumed %d of %d connections" % (i + 1, r["rate"],
                                                  r["maildir_rate"],
                                                  r["resumed"], r["conns"]))
        if rs:
            res["msgs"] = {k: median_of(rs, k) for k in rs[0]}
        res["mem"] = idle_memory(fct, ["-t"])
    return res
