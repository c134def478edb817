"""
Delivery status notifications (RFC 3461, RFC 3464) end to end, with
Python's smtplib as the client: smtpd offers DSN, takes MAIL RET= ENVID=
and RCPT NOTIFY= ORCPT=, its monitor records them and writes them after
the envelope, enqueue keeps them (docs/queue.md), and queued's notices
obey them:

  - NOTIFY=SUCCESS: a success notice (Action: delivered) once a local
    delivery completes the recipient, with ENVID and ORCPT in it; none
    without SUCCESS;
  - NOTIFY=NEVER: no bounce; NOTIFY=FAILURE with RET=FULL returns the
    whole message, RET=HDRS only its header, and with no RET the whole
    (Postfix's default, under bounce_size_limit);
  - delay warnings (Action: delayed) at delay_warning_time (shortened
    here to 2 s), once, only for recipients whose NOTIFY allows DELAY;
  - a local user's enqueue keeps the DSN parameters of the envelope
    extension but not the origin only smtpd's writers may claim.
sendmail's -N, -R and -V, and MAIL and RCPT parameters of sendmail -bs,
reach the queue the same way.  The remote side (NOTIFY passed to a
peer, "relayed" notices) is in the remote delivery's tests.
"""
import os
import re
import smtplib
import time

import pytest

import facteur_harness as H
from smtpd_fixtures import smtpd  # noqa: F401 (fixture)

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D
CAROL = "carol@" + D
DAVE = "dave@" + D


def send(port, rcpts, mail_options=(), rcpt_options=(), body=b"dsn body\n",
         sender=ALICE):
    tag, msg = H.make_message(body=body, sender=sender)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.test")
        assert s.has_extn("dsn")
        refused = s.sendmail(sender, rcpts, msg.replace(b"\n", b"\r\n"),
                             mail_options=list(mail_options),
                             rcpt_options=list(rcpt_options))
        assert refused == {}
    return tag


def notices(fct, user="alice"):
    return [m for m in fct.messages(user) if H.is_bounce(m)]


def wait_notices(fct, n, user="alice", timeout=30):
    return H.wait_until(lambda: (lambda x: x if len(x) >= n else None)(
        notices(fct, user)), timeout, "%d notice(s) for %s" % (n, user))


def field(msg, name):
    m = re.search(rb"^" + name.encode() + rb": ?(.*)$", msg, re.M)
    return m.group(1).decode() if m else None


def broken_dave(fct):
    """dave's Maildir is a file: every delivery to him fails for good."""
    u = fct.add_user("dave", make_maildir=False)
    path = os.path.join(u.home, "Maildir")
    with open(path, "w") as f:
        f.write("not a directory\n")
    if H.IS_ROOT:
        os.chown(path, u.uid, u.gid)


def test_success_notice(fct, smtpd):
    tag = send(smtpd.port, [BOB], mail_options=["RET=HDRS",
                                                "ENVID=QQ+2B314159"],
               rcpt_options=["NOTIFY=SUCCESS,FAILURE",
                             "ORCPT=rfc822;Bob+2BX@Example.NET"])
    fct.wait_for_tag("bob", tag)
    (n,) = wait_notices(fct, 1)
    assert field(n, "Subject") == "Successful Mail Delivery Report"
    assert b"Action: delivered\n" in n
    assert b"Status: 2.0.0\n" in n
    assert b"Final-Recipient: rfc822; %s\n" % BOB.encode() in n
    # xtext decoded, as RFC 3464 wants them in the report
    assert b"Original-Envelope-Id: QQ+314159\n" in n
    assert b"Original-Recipient: rfc822;Bob+X@Example.NET\n" in n
    # the header comes back, not the body
    assert b"X-Facteur-Test: " + tag.encode() in n
    assert b"dsn body" not in n
    assert re.search(r": sender delivery status notification: \w{14}",
                     fct.log())
    fct.assert_queue_empty()
    # without NOTIFY=SUCCESS: none
    tag2 = send(smtpd.port, [CAROL])
    fct.wait_for_tag("carol", tag2)
    fct.assert_queue_empty()
    time.sleep(0.5)
    assert len(notices(fct)) == 1


def test_notify_never_no_bounce(fct, smtpd):
    broken_dave(fct)
    send(smtpd.port, [DAVE], rcpt_options=["NOTIFY=NEVER"])
    H.wait_until(lambda: re.search(r"to=<%s>.*status=bounced" % DAVE,
                                   fct.log()), 30, "dave's failure")
    fct.assert_queue_empty()
    assert re.search(r"to=<%s>: no non-delivery notification \(NOTIFY=NEVER\)"
                     % DAVE, fct.log())
    time.sleep(0.5)
    assert notices(fct) == []
    # NOTIFY=SUCCESS alone asks for no failure report either
    send(smtpd.port, [DAVE], rcpt_options=["NOTIFY=SUCCESS"])
    H.wait_until(lambda: "(NOTIFY=SUCCESS)" in fct.log(), 30,
                 "the second failure")
    fct.assert_queue_empty()
    assert notices(fct) == []


@pytest.mark.parametrize("ret,whole", [("RET=FULL", True),
                                       ("RET=HDRS", False),
                                       (None, True)])
def test_bounce_ret(fct, smtpd, ret, whole):
    broken_dave(fct)
    tag = send(smtpd.port, [DAVE], mail_options=[ret] if ret else [],
               rcpt_options=["NOTIFY=FAILURE", "ORCPT=rfc822;dave@" + D])
    (n,) = wait_notices(fct, 1)
    assert field(n, "Subject") == "Undelivered Mail Returned to Sender"
    assert b"Action: failed\n" in n
    assert b"Original-Recipient: rfc822;dave@" + D.encode() in n
    assert b"X-Facteur-Test: " + tag.encode() in n
    if whole:
        assert b"Content-Type: message/rfc822\n" in n
        assert b"dsn body" in n
    else:
        assert b"Content-Type: text/rfc822-headers\n" in n
        assert b"dsn body" not in n
    assert re.search(r": sender non-delivery notification: \w{14}",
                     fct.log())


@pytest.mark.facteur(conf={"bounce_size_limit": "1000"})
def test_bounce_over_size_limit_returns_headers(fct, smtpd):
    broken_dave(fct)
    send(smtpd.port, [DAVE], mail_options=["RET=FULL"],
         body=(b"x" * 70 + b"\n") * 30)
    (n,) = wait_notices(fct, 1)
    assert b"Content-Type: text/rfc822-headers\n" in n
    assert b"x" * 70 not in n


@pytest.mark.facteur(conf={"delay_warning_time": "2s",
                           "queue_retry_min": "1s",
                           "queue_retry_max": "1s"})
def test_delay_warning(fct, smtpd):
    os.chmod(fct.maildir("bob", "tmp"), 0o500)
    # NOTIFY=DELAY: warned; NOTIFY=FAILURE: not
    send(smtpd.port, [BOB], mail_options=["ENVID=late-1"],
         rcpt_options=["NOTIFY=DELAY,FAILURE"])
    send(smtpd.port, [BOB], mail_options=["ENVID=late-2"],
         rcpt_options=["NOTIFY=FAILURE"])
    (n,) = wait_notices(fct, 1, timeout=30)
    assert field(n, "Subject") == "Delayed Mail (still being retried)"
    assert b"Action: delayed\n" in n
    assert re.search(rb"^Status: 4\.\d+\.\d+$", n, re.M)
    assert re.search(rb"^Will-Retry-Until: \w{3}, ", n, re.M)
    assert b"Original-Envelope-Id: late-1\n" in n
    assert re.search(r": sender delay notification: \w{14}", fct.log())
    # the warning is recorded (Y in state/<id>) and never sent twice
    states = [open(os.path.join(fct.queue, "state", f), "rb").read()
              for f in os.listdir(os.path.join(fct.queue, "state"))
              if len(f) == 14]
    assert any(b"\0Y" in s for s in states), states
    time.sleep(4)
    assert len(notices(fct)) == 1
    # delivered in the end: no failure notice
    os.chmod(fct.maildir("bob", "tmp"), 0o700)
    fct.wait_for_delivery("bob", 2, 30)
    fct.assert_queue_empty()
    assert len(notices(fct)) == 1


@pytest.mark.facteur(conf={"delay_warning_time": "0",
                           "queue_retry_min": "1s",
                           "queue_retry_max": "1s"})
def test_delay_warning_off(fct, smtpd):
    os.chmod(fct.maildir("bob", "tmp"), 0o500)
    send(smtpd.port, [BOB], rcpt_options=["NOTIFY=DELAY"])
    H.wait_until(lambda: len(re.findall(r"status=deferred", fct.log())) >= 3,
                 30, "three attempts")
    assert notices(fct) == []
    os.chmod(fct.maildir("bob", "tmp"), 0o700)
    fct.wait_for_delivery("bob", 1, 30)


def test_smtp_syntax(fct, smtpd):
    """Bad DSN parameters get 501 from the session; nothing is queued."""
    with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=30) as s:
        s.ehlo("client.test")
        for opt in ("RET=ALL", "ENVID=a+0Db", "RET=FULL RET=HDRS"):
            code, _ = s.mail(ALICE, opt.split())
            assert code == 501, opt
            s.rset()
        assert s.mail(ALICE, ["RET=HDRS"])[0] == 250
        for opt in ("NOTIFY=NEVER,SUCCESS", "NOTIFY=", "ORCPT=bob",
                    "ORCPT=rfc822;b+0A"):
            code, _ = s.rcpt(BOB, opt.split())
            assert code == 501, opt
        assert s.rcpt(BOB, ["NOTIFY=NEVER"])[0] == 250
    fct.assert_queue_empty()


def maillog(fct):
    with open(fct.conf["log_file"], "rb") as f:
        return f.read().decode("utf-8", "replace")


@pytest.mark.facteur(conf={"log_file": "@ROOT@/log/maillog"})
def test_local_enqueue_extension(fct):
    """A local user's enqueue: the DSN parameters of the envelope's
    extension are kept; "P smtp" (only smtpd's writers may say a message
    came by SMTP) is not, and the message is logged as picked up."""
    tag, data = H.make_message()
    env = (H.envelope(ALICE, [BOB]) + b"X1\0Psmtp\0RHDRS\0Dlocal-1\0"
           b"NSUCCESS\0Orfc822;bob@" + D.encode() + b"\0E\0")
    r = fct.enqueue_raw(data, env)
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)
    (n,) = wait_notices(fct, 1)
    assert b"Original-Envelope-Id: local-1\n" in n
    qid = field(n, "X-Facteur-Queue-ID")
    assert re.search(r"facteur/pickup\[\d+\]: %s: uid=\d+ from=<%s>"
                     % (qid, ALICE), maillog(fct)), maillog(fct)
    # a malformed extension: refused like a malformed envelope (exit 12)
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]) + b"X1\0NNEVER,DELAY"
                        b"\0O\0E\0")
    assert r.returncode == 12, r.stderr
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]) + b"junk")
    assert r.returncode == 12, r.stderr


# ------------------------------------------------ sendmail's DSN requests

def test_sendmail_dsn_options(fct):
    """sendmail -N, -R and -V reach the queue as an SMTP client's RCPT
    NOTIFY, MAIL RET and ENVID do (Postfix's sendmail takes them so)."""
    broken_dave(fct)
    # -N success: a success notice, with -V's envelope ID; -R hdrs
    tag, data = H.make_message(body=b"dsn body\n")
    r = fct.sendmail(["-N", "Success,failure", "-R", "hdrs", "-V", "env-7",
                      "-f", ALICE, BOB], data)
    assert r.returncode == 0, r.stderr
    fct.wait_for_tag("bob", tag)
    (n,) = wait_notices(fct, 1)
    assert field(n, "Subject") == "Successful Mail Delivery Report"
    assert b"Action: delivered\n" in n
    assert b"Original-Envelope-Id: env-7\n" in n
    assert b"Content-Type: text/rfc822-headers\n" in n
    assert b"dsn body" not in n
    # -N never: no bounce for dave's failure
    tag, data = H.make_message()
    assert fct.sendmail(["-N", "never", "-f", ALICE, DAVE],
                        data).returncode == 0
    H.wait_until(lambda: "(NOTIFY=NEVER)" in fct.log(), 30,
                 "dave's failure")
    fct.assert_queue_empty()
    time.sleep(0.5)
    assert len(notices(fct)) == 1
    # -N failure -R full (and -t: every recipient found gets -N)
    tag, data = H.make_message(body=b"whole body\n")
    data = b"To: " + DAVE.encode() + b"\n" + data
    assert fct.sendmail(["-N", "failure", "-R", "full", "-t", "-f", ALICE],
                        data).returncode == 0
    bounce = [m for m in wait_notices(fct, 2) if b"Action: failed\n" in m]
    assert len(bounce) == 1, notices(fct)
    assert b"Content-Type: message/rfc822\n" in bounce[0]
    assert b"whole body" in bounce[0]


def test_sendmail_bs_dsn(fct):
    """sendmail -bs offers DSN and passes each RCPT's NOTIFY and ORCPT and
    MAIL's RET and ENVID on, as smtpd does."""
    tag, data = H.make_message(body=b"dsn body\n")
    conv = (b"EHLO x\r\nMAIL FROM:<alice> RET=HDRS ENVID=bs+2B1\r\n"
            b"RCPT TO:<bob> NOTIFY=SUCCESS ORCPT=rfc822;Bob+2Bx@example.net"
            b"\r\nRCPT TO:<carol>\r\n"
            b"RCPT TO:<carol> NOTIFY=NEVER,SUCCESS\r\n"
            b"DATA\r\n" + data.replace(b"\n", b"\r\n") + b".\r\nQUIT\r\n")
    r = fct.sendmail(["-bs"], conv, user="alice")
    replies = r.stdout.decode().split("\r\n")
    assert "250-DSN" in replies, replies
    assert [int(x[:3]) for x in replies if x[3:4] == " "] == \
        [220, 250, 250, 250, 250, 501, 354, 250, 221], replies
    fct.wait_for_tag("bob", tag)
    fct.wait_for_tag("carol", tag)
    (n,) = wait_notices(fct, 1)
    assert b"Action: delivered\n" in n
    assert b"Final-Recipient: rfc822; %s\n" % BOB.encode() in n
    assert CAROL.encode() not in n
    assert b"Original-Envelope-Id: bs+1\n" in n
    assert b"Original-Recipient: rfc822;Bob+x@example.net\n" in n
    assert b"dsn body" not in n
    fct.assert_queue_empty()
