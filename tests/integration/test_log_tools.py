"""
The log as administrators read it, with log_file set (every program
writes its lines there, in rsyslog's form):

  - facteurctl explain: the story of a message that came by submission
    with STARTTLS and AUTH, was deferred for one recipient twice and then
    delivered: arrival (client, HELO, TLS, AUTH user), every attempt per
    recipient with its time, where it went, the answer and how long it
    took, the next attempt and why while it waits, the end; and for an
    ordinary user, who cannot read the log, its own message's state;
  - pflogsumm (Debian's) over the log of a run of every kind of outcome:
    its counts of received, delivered, deferred, bounced and rejected
    messages, senders and recipients, are the run's.
"""
import os
import re
import subprocess
import time

import pytest

import facteur_harness as H
from conftest import need_package
from smtpd_fixtures import Client, SmtpdServer, smtpd_conf
from test_smtpd_tls_fixtures import (TlsClient, plain_ir,  # noqa: F401
                                     smtpd3)

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
CAROL = "carol@" + D

LOGCONF = {"log_file": "@ROOT@/log/maillog", "queue_retry_min": "1s",
           "queue_retry_max": "1s", "delay_warning_time": "0"}


def maillog(fct):
    with open(fct.conf["log_file"], "rb") as f:
        return f.read().decode("utf-8", "replace")


def explain(fct, qid, user=None, *extra):
    return fct.run([fct.program("facteurctl"), "-C", fct.conf_path,
                    "explain"] + list(extra) + [qid], user=user)


def deferrals(fct, qid, rcpt):
    """queued's deferrals of rcpt (lspawn's lines have no relay=)."""
    return len(re.findall(r"%s: to=<%s>, relay=.*status=deferred"
                          % (qid, rcpt), maillog(fct)))


@pytest.mark.facteur(conf=LOGCONF)
def test_log_file_lines(fct):
    """Every program writes the file: rsyslog's form, tag facteur/NAME."""
    tag, data = H.make_message()
    assert fct.sendmail(["-f", ALICE, BOB], data).returncode == 0
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    st = os.stat(fct.conf["log_file"])
    assert st.st_mode & 0o777 == 0o640 and st.st_uid == fct.queue_uid
    lines = maillog(fct).splitlines()
    pat = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d "
                     r"\S+ facteur/(\w+)\[\d+\]: ")
    progs = set()
    for ln in lines:
        m = pat.match(ln)
        assert m, ln
        progs.add(m.group(1))
    assert {"queued", "lspawn", "pickup", "enqueue"} <= progs, progs


@pytest.mark.facteur(conf=LOGCONF)
def test_explain_several_attempts(fct, smtpd3):
    os.chmod(fct.maildir("bob", "tmp"), 0o500)
    tag, data = H.make_message()
    c = TlsClient(smtpd3.sub.port, smtpd3.ca)
    c.ehlo()
    c.starttls()
    c.ehlo()
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 235
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    assert c.code("RCPT TO:<%s>" % CAROL) == 250
    assert c.code("DATA") == 354
    code, lines = c.cmd(data.replace(b"\n", b"\r\n") + b".")
    assert code == 250, lines
    c.cmd("QUIT")
    qid = re.search(r"queued as (\w{14})", lines[-1]).group(1)
    fct.wait_for_tag("carol", tag)
    H.wait_until(lambda: deferrals(fct, qid, BOB) >= 2, 60,
                 "two deferred attempts")

    # while it waits
    r = explain(fct, qid)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("Message   %s\n" % qid), out
    assert re.search(r"Arrived   \d{4}-\d\d-\d\d [\d:.]+  by SMTP from "
                     r"\S+\[127\.0\.0\.1\], HELO client\.test, ESMTPSA\n",
                     out), out
    assert re.search(r"TLS: TLSv?1\.[23] with cipher \S+", out), out
    assert "AUTH PLAIN as alice\n" in out
    assert re.search(r"sender <%s>, \d+ octets, 2 recipient" % ALICE, out)
    bob = out[out.index("Recipient <%s>" % BOB):]
    bob = bob[:bob.index("Recipient <", 1)] if "Recipient <" in bob[1:] \
        else bob
    assert re.search(r"attempt 1 via local, took \d+\.\d\d s:\n\s+deferred "
                     r"\(cannot deliver", bob), bob
    assert "attempt 2 via local" in bob
    assert re.search(r"next attempt \d{4}-[\d: .-]+: after \d+ failed "
                     r"attempts?, the wait doubles from queue_retry_min "
                     r"\(1s\) up to queue_retry_max \(1s\)", bob), bob
    assert "returned to the sender if it still fails after" in bob
    assert re.search(r"Recipient <%s>\n\s+\S+ \S+  attempt 1 via local, took "
                     r"[\d.]+ s:\n\s+sent \(delivered to maildir\)"
                     % CAROL, out), out
    # (its next attempt, a second away, may be under way: active)
    assert re.search(r"Now       in the queue, (deferred|active)\n", out), out

    # an ordinary user reads neither the log nor a message it did not
    # submit with sendmail (this one came by SMTP)
    if H.IS_ROOT:
        r = explain(fct, qid, "alice")
        assert r.returncode == 1
        assert b"cannot read the log" in r.stderr
        assert b"not in the queue" in r.stderr
        assert BOB.encode() not in r.stdout

    # delivered at last: the whole story
    os.chmod(fct.maildir("bob", "tmp"), 0o700)
    fct.wait_for_tag("bob", tag)
    fct.assert_queue_empty()
    r = explain(fct, qid)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    n = deferrals(fct, qid, BOB)
    assert re.search(r"attempt %d via local, took [\d.]+ s:\n\s+sent "
                     r"\(delivered to maildir\)" % (n + 1), out), out
    assert re.search(r"Ended     \d{4}-[\d: .-]+  every recipient done; "
                     r"removed from the queue", out), out
    # the same read from standard input (journalctl ... | explain -f -)
    with open(fct.conf["log_file"], "rb") as f:
        r2 = subprocess.run([fct.program("facteurctl"), "-C", fct.conf_path,
                             "explain", "-f", "-", qid], stdin=f,
                            capture_output=True)
    assert r2.stdout == r.stdout


@pytest.mark.facteur(conf=LOGCONF)
def test_explain_notices_and_actions(fct):
    """A bounce's notice and an administrator's hold and delete."""
    os.chmod(fct.maildir("bob", "tmp"), 0o500)
    tag, data = H.make_message()
    assert fct.sendmail(["-f", ALICE, BOB], data).returncode == 0
    qid = H.wait_until(lambda: fct.queue_files()["env"], 30)[0]
    ctl = [fct.program("facteurctl"), "-C", fct.conf_path, "queue"]
    assert fct.run(ctl + ["hold", qid], user=None).returncode == 0
    r = explain(fct, qid)
    assert re.search(r"Event     \S+ \S+  placed on hold", r.stdout.decode())
    assert b"held since" in r.stdout
    assert b"no attempt until it is released" in r.stdout
    # alice, who sent it: its state, though the log is not hers to read
    if H.IS_ROOT:
        r = explain(fct, qid, "alice")
        assert r.returncode == 0, r.stderr
        assert b"cannot read the log" in r.stderr
        assert b"Now       in the queue, hold" in r.stdout
        assert b"no attempt until it is released" in r.stdout
    assert fct.run(ctl + ["delete", qid], user=None).returncode == 0
    fct.assert_queue_empty()
    r = explain(fct, qid)
    out = r.stdout.decode()
    assert re.search(r"Event     \S+ \S+  deleted by uid \d+", out), out
    assert "Arrived" in out and "submitted locally (sendmail) by uid" in out
    # a message that never was
    r = explain(fct, "0000000000ZZZZ")
    assert r.returncode == 1


@pytest.mark.facteur(conf=LOGCONF)
def test_pflogsumm_counts(fct):
    """pflogsumm over a run's log counts what happened in it."""
    pflogsumm = need_package("pflogsumm")
    smtpd_conf(fct)
    erin = fct.add_user("erin")
    os.chmod(fct.maildir("erin", "tmp"), 0o500)      # deferred
    fct.add_user("dave", make_maildir=False)           # bounced
    with open(os.path.join(fct.users["dave"].home, "Maildir"), "w") as f:
        f.write("a file, not a Maildir\n")
    srv = SmtpdServer(fct)
    try:
        def smtp(sender, rcpts, refused=()):
            tag, data = H.make_message(sender=sender)
            c = Client(srv.port)
            assert c.code("EHLO client.test") == 250
            assert c.code("MAIL FROM:<%s>" % sender) == 250
            for r in refused:
                assert c.code("RCPT TO:<%s>" % r) >= 500
            for r in rcpts:
                assert c.code("RCPT TO:<%s>" % r) == 250
            assert c.code("DATA") == 354
            code, _ = c.cmd(data.replace(b"\n", b"\r\n") + b".")
            assert code == 250
            c.cmd("QUIT")
            return tag
        # 1: two recipients, delivered; one refused (no such user)
        t1 = smtp(ALICE, [BOB, CAROL], refused=["nobody@" + D])
        # 2: bounced (its bounce delivered to carol)
        smtp(CAROL, ["dave@" + D])
        # 3: deferred
        smtp(ALICE, ["erin@" + D])
        # a second refusal, in a transaction that queues nothing
        c = Client(srv.port)
        assert c.code("EHLO client.test") == 250
        assert c.code("MAIL FROM:<%s>" % ALICE) == 250
        assert c.code("RCPT TO:<who@%s>" % D) == 550
        c.cmd("QUIT")
    finally:
        srv.close()
    # 4: local submission, delivered
    t4, data = H.make_message()
    assert fct.sendmail(["-f", ALICE, BOB], data).returncode == 0
    fct.wait_for_tag("carol", t1)
    fct.wait_for_tag("bob", t4)
    H.wait_until(lambda: any(H.is_bounce(m) for m in fct.messages("carol")),
                 30, "the bounce")
    H.wait_until(lambda: "to=<erin@%s>" % D in maillog(fct), 30,
                 "erin's deferral")
    H.wait_until(lambda: len(fct.queue_files()["env"]) == 1, 30,
                 "only erin's message left")
    time.sleep(0.5)
    r = subprocess.run([pflogsumm, "--syslog-name=facteur",
                        fct.conf["log_file"]], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = {}
    for key in ("received", "delivered", "deferred", "bounced", "rejected",
                "senders", "recipients"):
        m = re.search(r"^\s+(\d+)\s+%s\b" % key, r.stdout, re.M)
        assert m, (key, r.stdout)
        got[key] = int(m.group(1))
    assert got == {"received": 4, "delivered": 4, "deferred": 1,
                   "bounced": 1, "rejected": 2, "senders": 2,
                   "recipients": 2}, r.stdout
    assert erin is not None


def test_explain_arrival_line_in_any_order(fct, tmp_path):
    """enqueue logs its pickup line after the commit, and queued, woken by
    it, may log first: the arrival is found wherever it is."""
    qid = "0123456789ABCD"
    log = tmp_path / "maillog"
    pre = "2026-12-07T10:11:12.%06d+00:00 h facteur/%s[%d]: " + qid + ": "
    log.write_text("\n".join([
        pre % (100, "queued", 7) + "from=<a@x.test>, size=300, nrcpt=1",
        pre % (200, "queued", 7) + "to=<b@x.test>, relay=local, delay=0.1,"
        " delays=0.1/0/0/0, dsn=2.0.0, status=sent (delivered to maildir)",
        pre % (300, "pickup", 9) + "uid=1234 from=<a@x.test>",
        pre % (400, "queued", 7) + "removed", ""]))
    r = fct.run([fct.program("facteurctl"), "-C", fct.conf_path, "explain",
                 "-f", str(log), qid], user=None)
    out = r.stdout.decode()
    assert "submitted locally (sendmail) by uid 1234\n" in out, out
    assert "sender <a@x.test>, 300 octets, 1 recipient(s)" in out, out
    assert "how is not in the log" not in out
