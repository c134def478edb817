"""
smtp_report: the summary the SMTP bench prints at the end: one row per
load (facteur at each concurrency, with 10 messages per connection and
PIPELINING, Postfix beside it), the CPU split, idle session memory, the
smtp-source cross-check, the facteur/Postfix ratios and the TLS figures.
Prints only; every figure is measured elsewhere.
"""
from smtp_bench_util import say


def summary(runs, n, size, levels, fct, post):
    """Prints the summary.  fct holds facteur's results: plain
    ({concurrency: medians}), batch (-m10 -P), mem (idle session), ss
    (smtp-source) and tls (smtp_tls_bench.bench_tls); post holds
    Postfix's: plain, batch, ss, mem, tls (STARTTLS) and note (why there
    are none)."""
    plain, batch, mem, ss, tls_res = (
        fct[k] for k in ("plain", "batch", "mem", "ss", "tls"))
    pf, pf_batch, pf_ss, pf_mem, pf_tls, pf_note = (
        post[k] for k in ("plain", "batch", "ss", "mem", "tls", "note"))
    say("")
    say("SMTP summary (median of %d runs, %d messages of %d octets):"
        % (runs, n, size))
    say("  %-20s %10s %10s %19s %19s %9s" % (
        "", "accepted/s", "maildir/s", "conn->250 p50/p99", "conn->Maildir "
        "p50/p99", "cpu/1000"))

    def row(name, r):
        if r is None:
            say("  %-20s failed" % name)
            return
        say("  %-20s %10.1f %10.1f %8.3f / %-8.3f %8.3f / %-8.3f %8.2fs"
            % (name, r["rate"], r["maildir_rate"], r["p50"], r["p99"],
               r["dlat50"], r["dlat99"], r["cpu"]))
    for c in levels:
        row("facteur c=%d" % c, plain.get(c))
    row("facteur c=10 -m10 -P", batch)
    for name, r in [("c=%d" % c, plain.get(c)) for c in levels] + \
            [("c=10 -m10 -P", batch)]:
        if r and r["qcpu"]:
            say("    facteur %s cpu/1000 split: master+smtpd+enqueue %.2fs, "
                "queued+lspawn+deliveries %.2fs" % (
                    name, r["cpu"] - r["qcpu"], r["qcpu"]))
    if pf:
        row("Postfix c=10", pf.get(10))
        row("Postfix c=10 -m10 -P", pf_batch)
        row("Postfix c=10 STARTTLS", pf_tls)
    for what, m in (("greeting+EHLO", mem),
                    ("STARTTLS+EHLO", tls_res.get("mem"))):
        if m:
            say("  idle session memory (%s; VmRSS / Pss / private, kB): "
                "%d process(es): %s; together %d / %d / %d"
                % (what, len(m["procs"]),
                   ", ".join("%s %d / %d / %d" % p for p in m["procs"]),
                   m["rss"], m["pss"], m["priv"]))
            if what == "greeting+EHLO":
                # what one more idle plaintext session costs (issue 11)
                say("    target, an idle plaintext session under 0.5 MB "
                    "Pss and 0.2 MB private: Pss %d kB %s, private %d kB "
                    "%s" % (m["pss"], "met" if m["pss"] < 512 else
                            "NOT met", m["priv"], "met" if
                            m["priv"] < 0.2 * 1024 else "NOT met"))
    if pf_mem:
        say("  Postfix smtpd, one idle client (VmRSS / Pss / private, kB): "
            "%d / %d / %d" % pf_mem)
    if ss:
        say("  smtp-source cross-check, facteur c=10: %.1f accepted/s" % ss)
    if pf and 10 in pf:
        r = pf[10]
        if 10 in plain:
            ratio = plain[10]["rate"] / r["rate"]
            say("  ratio facteur/Postfix at c=10: accepted %.2f, maildir "
                "%.2f, cpu per message %.2f (target accepted >= 1: %s)" % (
                    ratio, plain[10]["maildir_rate"] / r["maildir_rate"],
                    plain[10]["cpu"] / r["cpu"] if r["cpu"] else 0,
                    "met" if ratio >= 1 else "not met"))
        if batch and pf_batch:
            say("  ratio facteur/Postfix at c=10 -m10 -P: accepted %.2f, "
                "maildir %.2f" % (batch["rate"] / pf_batch["rate"],
                                  batch["maildir_rate"] /
                                  pf_batch["maildir_rate"]))
        if pf_ss:
            say("  smtp-source cross-check, Postfix c=10: %.1f accepted/s"
                % pf_ss)
            if ss:
                say("  ratio facteur/Postfix by smtp-source: %.2f"
                    % (ss / pf_ss))
    else:
        say("  Postfix: %s" % (pf_note or "failed"))
    if pf and 10 in pf and pf_tls:
        say("  Postfix's own TLS cost at c=10 (plaintext/STARTTLS "
            "accepted/s): %.2fx, %d of %d connections resumed"
            % (pf[10]["rate"] / pf_tls["rate"], pf_tls["resumed"],
               pf_tls["conns"]))
        if "msgs" in tls_res:
            say("  ratio facteur/Postfix over STARTTLS at c=10: accepted "
                "%.2f" % (tls_res["msgs"]["rate"] / pf_tls["rate"]))
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
