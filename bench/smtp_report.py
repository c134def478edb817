"""
smtp_report: the summary the SMTP bench prints at the end: the
facteur/Postfix table of smtp_compare, the smtp_load latency rows (both
servers), the CPU split, idle session memory (one session, and many),
and the TLS figures.  Prints only; every figure is measured elsewhere.
"""
from smtp_bench_util import say
import smtp_compare
import smtp_idle


def summary(runs, n, size, res):
    """Prints the summary.  res holds: note (why there is no Postfix),
    limit and compare (smtp_compare), lat and batch ({server: medians} of
    smtp_load at c=10, and with -m10 -P), mem and pf_mem (one idle
    session), idle (smtp_idle.idle_many), tls (facteur's, from
    smtp_tls_bench) and pf_tls (Postfix over STARTTLS)."""
    say("")
    say("SMTP summary (median of %d runs, %d messages per run):" % (runs, n))
    if res.get("compare") is not None and res.get("note") is None:
        smtp_compare.report(res.get("limit"), res["compare"], runs, n)
    elif res.get("note"):
        say("  Postfix: %s" % res["note"])
    say("")
    say("  smtp_load, %d octets:  %10s %10s %19s %19s %9s" % (
        size, "accepted/s", "maildir/s", "conn->250 p50/p99",
        "conn->Maildir p50/p99", "cpu/1000"))

    def row(name, r):
        if r is None:
            say("  %-22s failed" % name)
            return
        say("  %-22s %10.1f %10.1f %8.3f / %-8.3f %8.3f / %-8.3f %8.2fs"
            % (name, r["rate"], r["maildir_rate"], r["p50"], r["p99"],
               r["dlat50"], r["dlat99"], r["cpu"]))
    for key, what in (("lat", "c=10"), ("batch", "c=10 -m10 -P")):
        for server in ("facteur", "postfix"):
            if server in (res.get(key) or {}) or server == "facteur":
                row("%s %s" % (server, what), (res.get(key) or {}).get(
                    server))
    f = (res.get("lat") or {}).get("facteur")
    if f and f.get("qcpu"):
        say("    facteur c=10 cpu/1000 split: master+smtpd+queue writers "
            "%.2fs, queued+lspawn+deliveries %.2fs" % (
                f["cpu"] - f["qcpu"], f["qcpu"]))
    mem = res.get("mem")
    tls_res = res.get("tls") or {}
    for what, m in (("greeting+EHLO", mem),
                    ("STARTTLS+EHLO", tls_res.get("mem"))):
        if m:
            say("  idle session memory (%s; VmRSS / Pss / private, kB): "
                "%d process(es): %s; together %d / %d / %d"
                % (what, len(m["procs"]),
                   ", ".join("%s %d / %d / %d" % p for p in m["procs"]),
                   m["rss"], m["pss"], m["priv"]))
            if what == "greeting+EHLO":
                say("    target, an idle plaintext session under 0.5 MB "
                    "Pss and 0.1 MB private: Pss %d kB %s, private %d kB "
                    "%s" % (m["pss"], "met" if m["pss"] < 512 else
                            "NOT met", m["priv"], "met" if
                            m["priv"] < 0.1 * 1024 else "NOT met"))
    if res.get("pf_mem"):
        say("  Postfix smtpd, one idle client (VmRSS / Pss / private, kB): "
            "%d / %d / %d" % res["pf_mem"])
    idle = res.get("idle")
    if idle:
        for line in smtp_idle.report(idle):
            say("  " + line)
    pf_tls = res.get("pf_tls")
    pf = (res.get("lat") or {}).get("postfix")
    if pf and pf_tls:
        say("  Postfix's own TLS cost at c=10 (plaintext/STARTTLS "
            "accepted/s): %.2fx, %d of %d connections resumed"
            % (pf["rate"] / pf_tls["rate"], pf_tls["resumed"],
               pf_tls["conns"]))
        if "msgs" in tls_res:
            say("  ratio facteur/Postfix over STARTTLS at c=10: accepted "
                "%.2f" % (tls_res["msgs"]["rate"] / pf_tls["rate"]))
    plain = {10: f} if f else {}
    for line in tls_summary(tls_res, plain):
        say("  " + line)


def tls_summary(res, plain):
    out = []
    if not res.get("smtps"):
        out.append("TLS handshakes (smtps): not available yet (smtpd does "
                   "not speak implicit TLS in this build)")
    else:
        for k, what in (("full", "full (-new)"),
                        ("resumed", "resumed (-reuse -tls1_2)")):
            v = res.get(k)
            if v:
                out.append("TLS handshakes/s %s: %.1f (%d of %d resumed)"
                           % (what, v[0], v[1], v[2]))
            else:
                out.append("TLS handshakes/s %s: s_time failed" % what)
    if not res.get("starttls"):
        out.append("STARTTLS c=10: not available yet (smtpd does not "
                   "offer STARTTLS in this build)")
    elif "msgs" in res:
        t = res["msgs"]
        out.append("STARTTLS c=10: accepted %.1f/s, maildir %.1f/s, "
                   "%d of %d connections resumed"
                   % (t["rate"], t["maildir_rate"], t["resumed"], t["conns"]))
        if 10 in plain:
            cost = plain[10]["rate"] / t["rate"]
            out.append("TLS cost at c=10 (plaintext/STARTTLS accepted/s): "
                       "%.2fx (target <= 2x: %s)"
                       % (cost, "met" if cost <= 2 else "NOT met"))
    return out
