#!/usr/bin/python3
"""Shows that each channel fuzz target fails when the check it guards is
broken (docs/security-fuzz.md, "Each target fails without its check").
For each mutant below it changes one line of the receiving code, runs
that target as `make check` does (sh mk/fuzz.sh -c TARGET: the fixed
number of runs, seed 1, over the seeds), puts the file back, and prints
whether the target failed ("caught") or passed ("MISSED": a hole in the
target).  A mutant whose text is no longer in its file is reported
"gone": the code moved, and the mutant must be written again.

    /usr/bin/python3 tests/fuzz/mutants.py [number ...]

With FUZZ_RUNS=0 the targets run their seeds alone, no mutation: every
mutant here is caught that way too, by a seed on the bound it breaks,
so that catching it does not hang on what the fuzzer happens to try.

Run it from a clean worktree: it rewrites the files it mutates (and
restores them, also on ^C).  Not part of `make check`."""
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

# (file, text, mutated text, target, what the mutant lets through)
MUTANTS = [
    ("lib/ipc/chan.c",
     "\t\tif (m->nfds > 0)\n\t\t\tgoto bad;\n\t\treturn 0;",
     "\t\treturn 0;",
     "chan", "an empty packet with a descriptor taken as end of file"),
    ("lib/ipc/chan.c",
     "\t\t\t\t(void)close(fd);\n\t\t\t\tbad = 1;",
     "\t\t\t\t(void)close(fd);",
     "chan", "a frame with a third descriptor taken with two"),
    ("smtpd/monitor_check.c",
     "\tif (monitor_needs_auth(m))\n\t\treturn \"RCPT before AUTH\";",
     "\tif (monitor_needs_auth(m) && 0)\n\t\treturn \"RCPT before AUTH\";",
     "smtpd_monitor", "RCPT before AUTH in submission and smtps"),
    ("smtpd/monitor_check.c",
     "\tif (!m->tx_open)\n\t\treturn \"RCPT before MAIL\";",
     "\tif (!m->tx_open && 0)\n\t\treturn \"RCPT before MAIL\";",
     "smtpd_monitor", "RCPT before MAIL"),
    ("smtpd/monitor_check.c",
     "\tif (!monitor_tx_ready(m))\n",
     "\tif (!monitor_tx_ready(m) && 0)\n",
     "smtpd_monitor", "MSGSTART without an approved sender and recipient"),
    ("smtpd/monitor_check.c",
     "\tif (auth_fail_too_many(m->conf, m->fails))\n",
     "\tif (auth_fail_too_many(m->conf, m->fails) && 0)\n",
     "smtpd_monitor", "AUTH after CLOSE (past auth_fail_limit)"),
    ("smtpd/monitor_check.c",
     "\tif (!monitor_queue_busy(m) || (m->rc != NULL && m->rc->q_owed != 0))",
     "\tif (m->rc != NULL && m->rc->q_owed != 0)",
     "smtpd_monitor", "MSGEND or MSGABORT with no message"),
    ("smtpd/monitor_check.c",
     "\t    st.st_dev != rc->sock_dev || st.st_ino != rc->sock_ino)\n",
     "\t    0)\n",
     "smtpd_monitor", "STARTTLS handing over a socket that is not the "
     "client's connection"),
    ("smtpd/resident_wire.c",
     "chan_field_num(m->f[2], 0, 1, &o)", "chan_field_num(m->f[2], 0, 2, &o)",
     "resident_master", "a connection from the master with over = 2"),
    ("master/facteur_report.c",
     "chan_field_num(m->f[2], 2, INT32_MAX, &p)",
     "chan_field_num(m->f[2], 1, INT32_MAX, &p)",
     "resident_master", "a resident reporting pid 1 for a session"),
    ("smtpd/resident_wire.c",
     "\tif (m->nf == 1 && m->nfds == 0 && strcmp(m->f[0], \"F\") == 0)",
     "\tif (m->nf == 1 && strcmp(m->f[0], \"F\") == 0)",
     "smtpsession_answer", "smtpsession's [F] with a descriptor"),
    ("smtpd/resident_wire.c",
     "chan_field_num(m->f[1], 0, 255, &c)",
     "chan_field_num(m->f[1], 0, 256, &c)",
     "qwriter_answer", "a queue writer's DONE 256"),
    ("smtpd/resident_wire.c",
     "m->f[1][0] != '\\0' &&\n", "",
     "auth_verdict", "the AUTH child's [O] with an empty user"),
    ("lib/login/login_split.c",
     "strcmp(m->f[0], \"A\") != 0 || m->nfds != 0)",
     "strcmp(m->f[0], \"A\") != 0)",
     "login_monitor", "credentials with a descriptor"),
    ("lib/login/login_split.c",
     "\tif (closed) {", "\tif (closed && 0) {",
     "login_monitor", "credentials after \"close\" (too many failures)"),
    ("deliver/lspawn_job.c",
     "\tif (slot_in_use(ls, slot))\n\t\treturn \"slot already in use\";",
     "\tif (slot_in_use(ls, slot) && 0)\n\t\treturn \"slot already in use\";",
     "lspawn_job", "a job in a slot another job holds"),
    ("deliver/lspawn_job.c",
     "!field_ok(j->user) || !field_ok(j->ext))",
     "!field_ok(j->user))",
     "lspawn_job", "control bytes in a job's extension"),
    ("deliver/deliver_wire.c",
     "\tif (r != 1 || !busy || nfds != 0 ||",
     "\tif (r != 1 || (!busy && 0) || nfds != 0 ||",
     "lspawn_result", "a result from a worker that has no job"),
    ("queue/queued_keeper.c",
     "\t    keeper_pipe_end(m->fds[0], O_RDONLY) &&\n", "",
     "keeper", "lspawn started on a job descriptor that is no pipe"),
    ("queue/queued_keeper.c",
     "(sl & seals) == seals;", "((sl & seals) == seals || 1);",
     "keeper", "a writable memfd taken as lspawn's configuration"),
    ("queue/queued_keeper.c",
     "\t    st.st_uid == geteuid() &&\n", "",
     "keeper", "a sealed memfd queued made after giving up root taken as "
     "lspawn's configuration (caught as root)"),
    ("deliver/lspawn_out.c",
     "\tlog_sanitize(line, w->out, n);", "\t(void)strlcpy(line, w->out, n);",
     "lspawn_output", "a worker's control bytes reach lspawn's log"),
    ("deliver/lspawn_out.c",
     "LSPAWN_OUT_MAX - w->outlen);", "LSPAWN_OUT_MAX + 1 - w->outlen);",
     "lspawn_output", "a worker's output kept past its buffer"),
    # bound checks of the frame parsers under the channel targets
    ("lib/base/netstring.c",
     "\t\tif (nf >= maxf)\n\t\t\treturn -1;\n", "",
     "login_split", "more fields than the caller has room for (written "
     "past its array)"),
    ("deliver/deliver_wire.c",
     "\t\tif (i >= max || (unsigned char)s[i] < 0x20",
     "\t\tif ((i >= max && 0) || (unsigned char)s[i] < 0x20",
     "deliver_wire", "a worker's result text over DELIVER_TEXT_MAX"),
    # the parsers' own targets: a bound check removed
    ("lib/base/netstring.c",
     "\t\tif (len > max)\n", "\t\tif (len > max && 0)\n",
     "netstring", "a netstring longer than its maximum"),
    ("lib/queue/qmail_env.c",
     "buf_init(&e->rec, 1 + QUEUE_ADDR_MAX);",
     "buf_init(&e->rec, 2 + QUEUE_ADDR_MAX);",
     "qmail_env", "an envelope address over QUEUE_ADDR_MAX read"),
    ("lib/smtp/smtp_cmd.c",
     "\tif (n > SMTP_HELO_MAX)\n", "\tif (n > SMTP_HELO_MAX && 0)\n",
     "smtp_cmd", "a HELO name over SMTP_HELO_MAX"),
    ("lib/auth/sasl.c",
     "\tif (len > SASL_NAME_MAX)\n\t\treturn SASL_ERR_TOO_LONG;\n", "",
     "sasl", "a SASL user name over SASL_NAME_MAX"),
    ("lib/queue/queue_env.c",
     "\tif (n > QUEUE_ADDR_MAX)\n\t\treturn 0;\n\tfor (i = 0; i < n; i++)\n"
     "\t\tif ((unsigned char)s[i] < 0x20",
     "\tfor (i = 0; i < n; i++)\n\t\tif ((unsigned char)s[i] < 0x20",
     "queue_env", "an envelope file's address over QUEUE_ADDR_MAX"),
    ("lib/mail/addr_path.c",
     "\tif (*len >= ADDR_LOCAL_MAX)\n", "\tif (*len >= ADDR_LOCAL_MAX + 1)\n",
     "addr_path", "a local part of ADDR_LOCAL_MAX + 1 octets"),
    ("lib/mail/addr_list.c",
     "\t\tp->ret = r;\n", "",
     "addr_list", "a caller's stop from the callback lost"),
    ("lib/conf/alias_item.c",
     "\tmax = bufsz - 1 < ALIAS_ITEM_MAX ? bufsz - 1 : ALIAS_ITEM_MAX;",
     "\tmax = bufsz < ALIAS_ITEM_MAX ? bufsz : ALIAS_ITEM_MAX + 1;",
     "alias_item", "an alias item one octet over ALIAS_ITEM_MAX (its NUL "
     "past the buffer)"),
    ("lib/auth/auth_state.c",
     "strtonum(c, 0, STATE_COUNT_MAX, &err)",
     "strtonum(c, 0, STATE_COUNT_MAX + 1, &err)",
     "auth_state", "a failure count over AUTH_STATE_COUNT_MAX"),
    ("lib/mail/crlf.c",
     "\t\tif (c->bol && stuff && p[i] == '.') {",
     "\t\tif (stuff && p[i] == '.') {",
     "crlf", "a dot stuffed inside a line"),
    ("lib/mail/header_scan.c",
     "\t\tif (o + 1 >= outsz) {", "\t\tif (o >= outsz) {",
     "header_scan", "an unfolded value's NUL past its buffer"),
    ("lib/base/lineio.c",
     "(chunk > max || line->len > max - chunk)",
     "(chunk > max + 1 || line->len > max + 1 - chunk)",
     "lineio", "a line one octet over its maximum"),
    ("lib/maildir/maildir_sizes.c",
     "\tif (len == 0 || len > 18)", "\tif (len == 0 || len > 19)",
     "maildir_sizes", "a size of 19 digits in the cache"),
    ("lib/mime/mime.c",
     "\t\tif (p->depth + 1 >= MIME_DEPTH_MAX) {",
     "\t\tif (p->depth + 1 >= MIME_DEPTH_MAX + 1) {",
     "mime", "a message nested one level past MIME_DEPTH_MAX"),
    ("pop3d/pop3_cmd.c",
     "\t\tif (v == 0)\n\t\t\treturn pop3_err(p, \"no such message\"), -1;\n",
     "",
     "pop3_cmd", "message number 0 handed to RETR, DELE, LIST, TOP"),
    ("imapd/imap_section.c",
     "\t\tif (sec->nparts == IMAP_SECTION_PARTS_MAX)\n"
     "\t\t\treturn fail(why, \"too many part numbers\");\n", "",
     "imap_section", "more part numbers than IMAP_SECTION_PARTS_MAX"),
    ("imapd/imap_parse.c",
     "\tcase '(':\n\t\tif (depth + 1 > IMAP_DEPTH_MAX)\n",
     "\tcase '(':\n\t\tif (depth + 1 > IMAP_DEPTH_MAX + 2)\n",
     "imap_command", "lists nested two levels past IMAP_DEPTH_MAX (the "
     "target allows one more, for a FETCH section's brackets)"),
    ("imapd/store_keywords.c",
     "\t\tif (!keyword_valid(p, (size_t)(nul - p)))\n\t\t\tbreak;\n", "",
     "imap_store", "a keyword in facteur-keywords that is no atom"),
    ("lib/queue/queue_state.c",
     "\tif (n > max)\n\t\treturn 0;\n", "\tif (n > max + 1)\n\t\treturn 0;\n",
     "queue_state", "a state file's recipient over QUEUE_ADDR_MAX"),
    ("lib/smtp/smtp_data.c",
     "\t\t\t\tif (d->prev_crlf) {", "\t\t\t\tif (1) {",
     "smtp_data", "\".\" CR LF after a bare LF ends DATA (smuggling)"),
    ("lib/conf/conf_value.c",
     "v->num < k->min || v->num > k->max) {",
     "v->num < k->min || v->num > k->max + 1) {",
     "conf", "a number one over its key's maximum"),
    ("imapd/imap_quote.c",
     "['\"'] = 1, ['\\\\'] = 1,", "['\"'] = 0, ['\\\\'] = 1,",
     "imap_envelope", "a '\"' in a header left unescaped in ENVELOPE"),
    ("lib/maildir/maildir_name.c",
     "\tif (nf + 1 > sizeof(fl) - 2) {", "\tif (nf + 1 > sizeof(fl) - 1) {",
     "maildir_name", "a 63rd flag written (62 are read back)"),
    ("lib/conf/aliases.c",
     "\tif (r->nseen >= ALIASES_EXPAND_MAX) {",
     "\tif (r->nseen >= ALIASES_EXPAND_MAX + 1) {",
     "table", "an alias expanding to ALIASES_EXPAND_MAX + 1 targets"),
    ("deliver/lspawn_job.c",
     "\tif (strcmp(m->f[7], \"0\") != 0 && strcmp(m->f[7], \"1\") != 0) {",
     "\tif (0) {",
     "lspawn_job", "a job whose check (look in the Maildir first) is "
     "neither 0 nor 1"),
]


def main(argv):
    os.chdir(ROOT)
    chosen = {int(a) for a in argv[1:]}
    missed = 0
    for i, (path, text, mutant, target, what) in enumerate(MUTANTS):
        if chosen and i not in chosen:
            continue
        with open(path) as f:
            orig = f.read()
        if orig.count(text) != 1:
            print("%2d %-18s gone: %s" % (i, target, what))
            missed += 1
            continue
        try:
            with open(path, "w") as f:
                f.write(orig.replace(text, mutant))
            r = subprocess.run(["sh", "mk/fuzz.sh", "-c", target],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        finally:
            with open(path, "w") as f:
                f.write(orig)
        built = "did not build" not in r.stdout
        if r.returncode != 0 and built:
            print("%2d %-18s caught: %s" % (i, target, what))
        else:
            print("%2d %-18s MISSED: %s%s" % (i, target, what,
                  "" if built else " (the mutant did not build)"))
            missed += 1
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
