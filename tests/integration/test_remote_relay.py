"""
Remote delivery through relayhost and transport_file to scripted peers
(python3-aiosmtpd) on loopback: what the peer receives is the queued
message byte for byte (CRLF on the wire, dots unstuffed by the peer);
several recipients go in one transaction; the log lines have Postfix's
form; a 5xx bounces with the remote reply as Diagnostic-Code: smtp; a 4xx
defers and the retry delivers; routing by transport_file (error:, local,
smtp:[host]:port, .subdomain, *).
"""
import os
import re
import subprocess

import pytest

import facteur_harness as H
from conftest import need_package
from remote_fixtures import (crlf, inst, log_lines,  # noqa: F401
                             peers, send, wait_log)

D = H.DOMAIN
ALICE = "alice@" + D


def test_relayhost_byte_for_byte(peers, inst):
    p = peers()
    f = inst(relayhost="[127.0.0.1]:%d" % p.port)
    body = (b"caf\xc3\xa9 8-bit line\n"
            b".leading dot\n..two dots\n.\n"
            + b"x" * 5000 + b"\n"
            + b"no final newline")
    msg = (b"From: alice@" + D.encode() + b"\nTo: a@remote.test\n"
           b"Subject: bytes\n\n" + body)
    r = f.enqueue_raw(msg, H.envelope(ALICE, ["a@remote.test",
                                              "b@remote.test"]))
    assert r.returncode == 0, r.stderr
    got = p.wait_messages(1)[0]
    # the wire form of the stored bytes, a final CRLF added
    assert got["data"] == crlf(msg) + b"\r\n"
    assert got["from"] == ALICE
    assert sorted(got["to"]) == ["a@remote.test", "b@remote.test"]
    assert "BODY=8BITMIME" in got["options"]
    lines = wait_log(f, "status=sent", 2)
    for ln in lines:
        assert re.search(r": to=<[ab]@remote\.test>, relay=127\.0\.0\.1"
                         r"\[127\.0\.0\.1\]:%d, delay=[0-9.]+, "
                         r"delays=[0-9.e-]+/[0-9.e-]+/[0-9.e-]+/[0-9.e-]+, "
                         r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: "
                         r"queued as PEER1\)$" % p.port, ln), ln
    f.assert_queue_empty()


def test_rcpt_5xx_bounces_with_the_remote_reply(peers, inst):
    p = peers(rcpt_replies={"gone@remote.test":
                            "550 5.1.1 <gone@remote.test>: no such user"})
    f = inst(relayhost="[127.0.0.1]:%d" % p.port)
    tag, _ = send(f, ["gone@remote.test", "ok@remote.test"])
    p.wait_messages(1)
    assert p.messages[0]["to"] == ["ok@remote.test"]
    bounce = f.wait_for_delivery("alice", 1)[0]
    assert H.is_bounce(bounce)
    assert b"Final-Recipient: rfc822; gone@remote.test" in bounce
    assert b"Status: 5.1.1" in bounce
    assert b"Remote-MTA: dns; 127.0.0.1" in bounce
    assert (b"Diagnostic-Code: smtp; 550 5.1.1 <gone@remote.test>: "
            b"no such user") in bounce
    # (the report part; the returned message, whole or its header, names
    # ok@remote.test in its To:)
    report = re.split(rb"Content-Type: (?:message/rfc822|"
                      rb"text/rfc822-headers)", bounce)[0]
    assert b"ok@remote.test" not in report
    ln = wait_log(f, "to=<gone@remote.test>")[0]
    assert "dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: " \
        "550 5.1.1 <gone@remote.test>: no such user (in reply to RCPT " \
        "TO command))" in ln
    f.assert_queue_empty()


def test_4xx_defers_then_the_retry_delivers(peers, inst):
    p = peers(replies={"MAIL": "451 4.3.0 try later"})
    f = inst(relayhost="[127.0.0.1]:%d" % p.port)
    send(f, ["later@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert "dsn=4.3.0" in ln and "451 4.3.0 try later (in reply to MAIL " \
        "FROM command)" in ln
    assert p.messages == []
    p.replies.clear()
    p.wait_messages(1, timeout=60)
    wait_log(f, "status=sent")
    f.assert_queue_empty()
    assert f.messages("alice") == [], "no bounce for a deferral"


def test_null_sender_is_never_bounced(peers, inst):
    """A failed message from the null sender (a report) is never bounced
    to its sender: a double bounce goes to postmaster (alice here), from
    double-bounce@myhostname, with the remote reply; and a double bounce
    that fails in turn is dropped, so reports never loop."""
    p = peers(replies={"RCPT": "550 5.7.1 no"})
    f = inst(relayhost="[127.0.0.1]:%d" % p.port)
    tag, msg = H.make_message()
    r = f.enqueue_raw(msg, H.envelope("", ["x@remote.test"]))
    assert r.returncode == 0, r.stderr
    wait_log(f, "status=bounced")
    wait_log(f, "postmaster notification (double bounce) sent to "
             "<postmaster@%s>" % H.DOMAIN)
    f.wait_for_delivery("alice", 1)
    (dbl,) = f.messages("alice")
    assert b"Return-Path: <double-bounce@%s>" % H.DOMAIN.encode() in dbl
    assert b"Diagnostic-Code: smtp; 550 5.7.1 no" in dbl
    assert tag.encode() in dbl
    # a double bounce that fails is dropped
    tag2, msg2 = H.make_message()
    r = f.enqueue_raw(msg2, H.envelope("double-bounce@" + H.DOMAIN,
                                       ["y@remote.test"]))
    assert r.returncode == 0, r.stderr
    wait_log(f, "undeliverable double bounce for 1 recipient(s) discarded")
    f.assert_queue_empty()
    assert len(f.messages("alice")) == 1
    assert not log_lines(f, "non-delivery notification sent to "
                         "<double-bounce@")


def test_transport_routes(peers, inst):
    a, b = peers(), peers()
    f = inst(relayhost="[127.0.0.1]:%d" % a.port, transport={
        "refused.test": "error:5.7.1 we do not send there",
        "here.test": "local",
        ".sub.test": "smtp:[127.0.0.1]:%d" % b.port,
        "plain.test": "relay:",
    })
    send(f, ["x@refused.test"])
    ln = wait_log(f, "to=<x@refused.test>")[0]
    assert "relay=none" in ln and "status=bounced (5.7.1 we do not send " \
        "there)" in ln
    bounce = f.wait_for_delivery("alice", 1)[0]
    assert b"Diagnostic-Code: X-Facteur; we do not send there" in bounce
    send(f, ["bob@here.test"])
    f.wait_for_delivery("bob", 1)
    send(f, ["y@deep.sub.test", "z@plain.test", "w@sub.test"])
    b.wait_messages(1)
    assert b.messages[0]["to"] == ["y@deep.sub.test"]
    # plain.test: relay: without a nexthop takes relayhost; sub.test itself
    # is not a subdomain of sub.test; both in one transaction
    a.wait_messages(1)
    assert sorted(a.messages[0]["to"]) == ["w@sub.test", "z@plain.test"]
    f.assert_queue_empty()


def test_bad_transport_file_is_refused(peers):
    i = H.Instance()
    try:
        path = i.etc + "/transport"
        with open(path, "w") as fh:
            fh.write("ok.test smtp:[127.0.0.1]:25\nbad.test smtp:[x:1\n")
        i.write_conf(transport_file=path)
        p = i.start_queued(wait=False)
        p.wait(30)
        assert p.returncode != 0
        assert "entry \"bad.test\": missing ']'" in i.log()
        assert "cannot load transport_file" in i.log()
    finally:
        i.close()


def test_recipients_beyond_the_limit_go_in_another_request(peers, inst):
    p = peers()
    f = inst(relayhost="[127.0.0.1]:%d" % p.port,
             conf={"smtp_destination_recipient_limit": "2"})
    rcpts = ["r%d@remote.test" % k for k in range(5)]
    send(f, rcpts)
    p.wait_messages(3)
    assert sorted(len(m["to"]) for m in p.messages) == [1, 2, 2]
    assert sorted(r for m in p.messages for r in m["to"]) == sorted(rcpts)
    # the peer has the message before queued logs the 250 it got
    assert len(wait_log(f, "status=sent", 5)) == 5


def test_facteurctl_check_finds_remote_mistakes():
    i = H.Instance()
    try:
        tr = os.path.join(i.etc, "transport")
        with open(tr, "w") as fh:
            fh.write("a.test smtp:[127.0.0.1]:25\nb.test lmtp:x\n")
        pol = os.path.join(i.etc, "tls_policy")
        with open(pol, "w") as fh:
            fh.write("a.test verify\nb.test sometimes\n")
        sec = os.path.join(i.etc, "passwords")
        with open(sec, "w") as fh:
            fh.write("[a.test]:587 no-colon-here\n")
        os.chmod(sec, 0o644)
        i.write_conf(relayhost="[bad", transport_file=tr,
                     smtp_tls_policy_file=pol, smtp_sasl_password_file=sec,
                     smtp_tls_security_level="strict")
        r = i.run([i.program("facteurctl"), "-C", i.conf_path, "check"],
                  user=None)
        err = r.stderr.decode()
        assert r.returncode == 1, err
        assert "relayhost \"[bad\": missing ']'" in err
        assert "smtp_tls_security_level: \"strict\" is not" in err
        assert "\"b.test\": unknown transport" in err
        assert "\"b.test\": \"sometimes\" is not a TLS level" in err
        assert "must belong to root, mode 0600" in err
        if H.IS_ROOT:
            assert "\"[a.test]:587\": not user:password" in err
        assert "no-colon-here" not in err
    finally:
        i.close()


def test_pflogsumm_reads_the_log(peers, inst):
    """The log lines are Postfix's: pflogsumm counts them right once each
    carries a syslog prefix (foreground logs have none)."""
    pflogsumm = need_package("pflogsumm")
    p = peers(rcpt_replies={"no@remote.test": "550 5.1.1 no such user",
                            "later@remote.test": "450 4.2.1 try later"})
    f = inst(relayhost="[127.0.0.1]:%d" % p.port,
             conf={"queue_retry_min": "1h"})
    for r in ("a@remote.test", "b@remote.test", "c@remote.test"):
        send(f, [r])
    send(f, ["no@remote.test"])
    send(f, ["later@remote.test"])
    wait_log(f, "status=sent", 3 + 1)       # and the bounce, delivered here
    wait_log(f, "status=deferred")
    wait_log(f, "status=bounced")
    lines = []
    for ln in f.log().splitlines():
        m = re.match(r"queued\[(\d+)\]: (.*)$", ln)
        if m:
            lines.append("Dec  7 12:00:00 mx facteur/qmgr[%s]: %s\n"
                         % m.groups())
    path = os.path.join(f.rundir, "maillog")
    with open(path, "w") as fh:
        fh.writelines(lines)
    r = subprocess.run([pflogsumm, "--syslog-name=facteur", path],
                       capture_output=True, text=True, timeout=60)
    out = r.stdout
    assert r.returncode == 0, r.stderr
    counts = dict((m.group(2), int(m.group(1))) for m in re.finditer(
        r"^\s+(\d+)\s+(received|delivered|deferred|bounced)\b", out, re.M))
    assert counts["delivered"] == 4, out      # 3 remote + the bounce
    assert counts["bounced"] == 1, out
    assert counts["deferred"] == 1, out
    assert re.search(r"^\s+3\s+\S+\s+\d+\s+\d+\.?\d*\s*s?\s+.*remote\.test",
                     out, re.M), out
