"""
Remote delivery meets the queue tools and the notices (issue 14 with
issue 12): a recipient a peer took, when its sender asked for a success
notice, gets one that says "relayed" (RFC 3461 6.2.2: the peer was not
asked for DSN), naming the peer and its reply; a remote deferral's reason
(the peer's reply) is what mailq and facteurctl explain show, and what a
delay warning reports; pflogsumm counts remote deliveries.  Peers are
scripted (python3-aiosmtpd) on loopback, reached through relayhost.
"""
import re

import pytest

import facteur_harness as H
from remote_fixtures import inst, peers, send, wait_log  # noqa: F401

D = H.DOMAIN
ALICE = "alice@" + D


def notices(f, user="alice"):
    return [m for m in f.messages(user) if H.is_bounce(m)]


def wait_notices(f, n, user="alice", timeout=30):
    return H.wait_until(lambda: (lambda x: x if len(x) >= n else None)(
        notices(f, user)), timeout, "%d notice(s) for %s" % (n, user))


def test_relayed_success_notice(peers, inst):
    p = peers()
    f = inst(relayhost="[127.0.0.1]:%d" % p.port)
    tag, msg = H.make_message(to="ok@remote.test")
    r = f.sendmail(["-N", "success,failure", "-V", "rel-1", "-f", ALICE,
                    "ok@remote.test"], msg)
    assert r.returncode == 0, r.stderr
    p.wait_messages(1)
    (n,) = wait_notices(f, 1)
    assert re.search(rb"^Subject: Successful Mail Delivery Report$", n, re.M)
    assert b"Final-Recipient: rfc822; ok@remote.test\n" in n
    assert b"Action: relayed\n" in n
    assert b"Status: 2.0.0\n" in n
    assert b"Remote-MTA: dns; 127.0.0.1\n" in n
    assert re.search(rb"^Diagnostic-Code: smtp; 250 ", n, re.M), n
    assert b"Original-Envelope-Id: rel-1\n" in n
    wait_log(f, "sender delivery status notification")
    f.assert_queue_empty()
    # without -N success: none
    send(f, ["ok2@remote.test"])
    p.wait_messages(2)
    wait_log(f, "removed", 2)
    f.assert_queue_empty()
    assert len(notices(f)) == 1


def test_remote_deferral_in_mailq_and_explain(peers, inst):
    p = peers(replies={"MAIL": "451 4.3.0 try later"})
    f = inst(relayhost="[127.0.0.1]:%d" % p.port,
             conf={"queue_retry_min": "1h", "queue_retry_max": "1h",
                   "log_file": "@ROOT@/log/maillog"})
    send(f, ["later@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    qid = re.search(r"(\w{14}): to=<later@remote\.test>", ln).group(1)
    said = ("host 127.0.0.1[127.0.0.1] said: 451 4.3.0 try later (in "
            "reply to MAIL FROM command)")
    # mailq: under the message, the reason of its last attempt
    r = f.sendmail(["-bp"], b"", user="alice")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    i = [k for k, x in enumerate(lines) if x.startswith(qid)][0]
    assert lines[i + 1] == "(%s)" % said, lines
    assert lines[i + 2].strip() == "later@remote.test"
    # explain: the attempt, where it went, what the peer said, the next
    r = f.run([f.program("facteurctl"), "-C", f.conf_path, "explain", qid],
              user=None)
    out = r.stdout.decode()
    assert re.search(r"attempt 1 via 127\.0\.0\.1\[127\.0\.0\.1\]:%d, "
                     r"took [\d.]+ s:\n\s+deferred \(%s\)"
                     % (p.port, re.escape(said)), out), out
    assert "next attempt" in out
    # postqueue -j's delay_reason
    r = f.run([f.program("facteurctl"), "-C", f.conf_path, "queue", "list",
               "--json"], user=None)
    assert said in r.stdout.decode()


def test_remote_delay_warning(peers, inst):
    p = peers(replies={"RCPT": "452 4.2.2 mailbox full"})
    f = inst(relayhost="[127.0.0.1]:%d" % p.port,
             conf={"delay_warning_time": "2s"})
    send(f, ["full@remote.test"])
    (n,) = wait_notices(f, 1)
    assert b"Action: delayed\n" in n
    assert b"Status: 4.2.2\n" in n
    assert b"Remote-MTA: dns; 127.0.0.1\n" in n
    assert b"Diagnostic-Code: smtp; 452 4.2.2 mailbox full\n" in n
    wait_log(f, "sender delay notification")
    # delivered in the end: no other notice
    p.replies.clear()
    p.wait_messages(1, timeout=60)
    wait_log(f, "removed")
    f.assert_queue_empty()
    assert len(notices(f)) == 1
