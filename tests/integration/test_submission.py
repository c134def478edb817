"""
test_submission: the submission (587, RFC 6409) and smtps (465, RFC 8314)
modes: AUTH before MAIL, the sender addresses an authenticated user may
use (its own in every local domain, plus sender_login_file), relaying
for authenticated users into the queue, and Message-ID/Date added when a
submitted message has none (and never in mx mode).
"""
import os
import re
import smtplib

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, split_delivered
from test_smtpd_tls_fixtures import (PASSWORD, TlsClient,  # noqa: F401
                                     plain_ir, smtpd3)

D = H.DOMAIN
ALICE = "alice@" + D


def authed(smtpd3, user="alice", smtps=False):
    if smtps:
        c = TlsClient(smtpd3.smtps.port, smtpd3.ca, implicit=True)
    else:
        c = TlsClient(smtpd3.sub.port, smtpd3.ca)
        c.ehlo()
        c.starttls()
    c.ehlo()
    assert c.code("AUTH PLAIN " + plain_ir(user)) == 235
    return c


@pytest.mark.parametrize("smtps", [False, True])
def test_mail_before_auth_is_530(fct, smtpd3, smtps):
    if smtps:
        c = TlsClient(smtpd3.smtps.port, smtpd3.ca, implicit=True)
    else:
        c = TlsClient(smtpd3.sub.port, smtpd3.ca)
        c.ehlo()
        c.starttls()
    c.ehlo()
    code, lines = c.cmd("MAIL FROM:<%s>" % ALICE)
    assert code == 530 and lines[0].startswith("5.7.0"), lines
    assert c.code("RCPT TO:<%s>" % ALICE) == 503
    assert c.code("QUIT") == 221


def test_plain_submission_mail_before_auth(fct, smtpd3):
    c = Client(smtpd3.sub.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<%s>" % ALICE) == 530
    c.cmd("QUIT")


@pytest.mark.parametrize("sender,ok", [
    (ALICE, True),
    ("alice@localhost", True),
    ("ALICE@" + D.upper(), True),
    ("", True),
    ("bob@" + D, False),
    ("alice@remote.example", False),
    ("alice@[127.0.0.1]", False),
    ("alicex@" + D, False),
])
def test_sender_ownership(fct, smtpd3, sender, ok):
    c = authed(smtpd3)
    code, lines = c.cmd("MAIL FROM:<%s>" % sender)
    if ok:
        assert code == 250, (sender, code, lines)
    else:
        assert code == 553 and lines[0].startswith("5.7.1"), (sender, lines)
    c.cmd("QUIT")


def test_sender_login_file(fct, smtpd3):
    path = os.path.join(fct.etc, "senders")
    with open(path, "w") as f:
        f.write("# address user[,user...]\n"
                "team@%s alice,bob\n"
                "boss@remote.example carol\n"
                "@shared.example bob\n" % D)
    fct.write_conf(sender_login_file=path)
    c = authed(smtpd3, "alice")
    assert c.code("MAIL FROM:<team@%s>" % D) == 250
    assert c.code("RSET") == 250
    assert c.code("MAIL FROM:<boss@remote.example>") == 553
    assert c.code("MAIL FROM:<x@shared.example>") == 553
    c.cmd("QUIT")
    c = authed(smtpd3, "carol")
    assert c.code("MAIL FROM:<Boss@Remote.Example>") == 250
    c.cmd("QUIT")
    c = authed(smtpd3, "bob")
    assert c.code("MAIL FROM:<x@shared.example>") == 250
    c.cmd("QUIT")


def test_authenticated_relay_waits_in_queue(fct, smtpd3):
    rcpt = "friend@remote.example"
    tag, msg = H.make_message(to=rcpt)
    with smtplib.SMTP_SSL("127.0.0.1", smtpd3.smtps.port, timeout=60,
                          context=smtpd3.context()) as c:
        c.login("alice", PASSWORD)
        c.sendmail(ALICE, [rcpt], msg.replace(b"\n", b"\r\n"))
    H.wait_until(lambda: re.search(
        r"to=<friend@remote\.example>.*status=deferred", fct.log()), 60,
        "the deferral")
    envs = fct.queue_files()["env"]
    assert len(envs) == 1
    with open(os.path.join(fct.queue, "env", envs[0]), "rb") as f:
        assert rcpt.encode() in f.read()
    assert fct.messages("alice") == []


def send_raw(c, rcpt, msg):
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    assert c.code("RCPT TO:<%s>" % rcpt) == 250
    assert c.code("DATA") == 354
    c.send(msg.replace(b"\n", b"\r\n") + b".\r\n")
    code, lines = c.reply()
    assert code == 250, lines


BARE = b"From: alice@facteur.test\nSubject: no id\n\nbody\n"


def test_message_id_and_date_added_in_submission(fct, smtpd3):
    c = authed(smtpd3)
    send_raw(c, ALICE, BARE)
    c.cmd("QUIT")
    fct.wait_for_delivery("alice", 1)
    _, _, received, rest = split_delivered(fct.messages("alice")[0])
    head = H.header_block(rest)
    assert re.search(rb"(?m)^Message-ID: <[^>@]+@[^>]+>$", head), head
    assert re.search(rb"(?m)^Date: \w{3}, \d\d \w{3} \d{4} ", head), head
    assert rest.endswith(b"\n\nbody\n")
    assert b"Subject: no id" in head


def test_existing_ids_kept_in_submission(fct, smtpd3):
    tag, msg = H.make_message()
    c = authed(smtpd3, smtps=True)
    send_raw(c, ALICE, msg)
    c.cmd("QUIT")
    fct.wait_for_delivery("alice", 1)
    _, _, _, rest = split_delivered(fct.messages("alice")[0])
    assert rest == msg
    head = H.header_block(rest)
    assert head.count(b"Message-ID:") == 1 and head.count(b"Date:") == 1


def test_only_date_missing(fct, smtpd3):
    c = authed(smtpd3)
    send_raw(c, ALICE, b"Message-Id: <x1@client.test>\nSubject: s\n\nb\n")
    c.cmd("QUIT")
    fct.wait_for_delivery("alice", 1)
    _, _, _, rest = split_delivered(fct.messages("alice")[0])
    head = H.header_block(rest)
    assert head.lower().count(b"message-id:") == 1
    assert head.count(b"\nDate: ") + head.startswith(b"Date: ") == 1


def test_big_header_section_still_gets_ids(fct, smtpd3):
    filler = b"".join(b"X-Filler-%d: %s\n" % (i, b"y" * 70)
                      for i in range(1500))
    c = authed(smtpd3)
    send_raw(c, ALICE, filler + b"Subject: big\n\nbody\n")
    c.cmd("QUIT")
    fct.wait_for_delivery("alice", 1)
    _, _, _, rest = split_delivered(fct.messages("alice")[0])
    assert rest.startswith(b"Message-ID: <")
    assert rest.endswith(filler + b"Subject: big\n\nbody\n")


def test_mx_mode_adds_nothing(fct, smtpd3):
    c = Client(smtpd3.mx.port)
    assert c.code("EHLO x") == 250
    send_raw(c, ALICE, BARE)
    c.cmd("QUIT")
    fct.wait_for_delivery("alice", 1)
    _, _, _, rest = split_delivered(fct.messages("alice")[0])
    assert rest == BARE
