"""
smtpd with real clients (smtplib, swaks, curl, a raw BDAT client): what
each one sends lands in the Maildir byte for byte, after deliver's
Return-Path/Delivered-To and smtpd's Received header.
"""
import shutil
import smtplib
import subprocess

import pytest

import facteur_harness as H
from smtpd_fixtures import (Client, queue_id_of, smtpd,  # noqa: F401
                            split_delivered)

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D


def only(fct, user, tag):
    fct.wait_for_tag(user, tag)
    fct.assert_queue_empty()
    copies = [m for m in fct.messages(user) if H.tag_of(m) == tag]
    assert len(copies) == 1, "%d copies" % len(copies)
    return copies[0]


def crlf(b):
    return b.replace(b"\n", b"\r\n")


def test_raw_session_byte_exact(fct, smtpd):
    tag, msg = H.make_message(body=b"line one\n.leading dot\n..two\n\n"
                              b"last\n")
    stuffed = crlf(msg).replace(b"\r\n.", b"\r\n..")
    c = Client(smtpd.port)
    assert c.greeting[0] == 220
    code, text = c.mail("sender@example.org", [BOB], stuffed + b".\r\n")
    assert code == 250, text
    qid = queue_id_of(text)
    assert qid
    assert c.code("QUIT") == 221
    got = only(fct, "bob", tag)
    rp, dt, rcv, rest = split_delivered(got)
    assert rp == "sender@example.org"
    assert dt == BOB
    assert rest == msg
    assert b"with ESMTP id " + qid.encode() in rcv
    assert b"[127.0.0.1]" in rcv
    assert b"for <" + BOB.encode() + b">" in rcv
    # enqueue used smtpd's queue ID: queued logs the message under it
    assert "queued[" in fct.log()
    assert any(ln.startswith("queued[") and (": %s: " % qid) in ln
               for ln in fct.log().splitlines()), fct.log_tail()


def test_smtplib_send_message(fct, smtpd):
    tag, msg = H.make_message(body=b"caf\xc3\xa9 8-bit body\n")
    with smtplib.SMTP("127.0.0.1", smtpd.port) as s:
        s.ehlo("client.test")
        assert s.has_extn("pipelining")
        assert s.has_extn("8bitmime")
        assert s.has_extn("chunking")
        assert s.has_extn("smtputf8")
        assert s.has_extn("enhancedstatuscodes")
        assert int(s.esmtp_features["size"]) == 50 * 1024 * 1024
        s.sendmail("x@example.org", [ALICE, BOB], crlf(msg),
                   mail_options=["BODY=8BITMIME"])
    for u in ("alice", "bob"):
        got = only(fct, u, tag)
        rp, dt, rcv, rest = split_delivered(got)
        assert rest == msg
        assert b"\n\tfor <" not in rcv  # two recipients: no "for"


def test_smtputf8_addresses(fct, smtpd):
    fct.write_aliases("j\u00f6rg: bob\npostmaster: alice\n")
    tag, msg = H.make_message(body=b"utf8\n")
    with smtplib.SMTP("127.0.0.1", smtpd.port) as s:
        s.ehlo("client.test")
        r = s.sendmail("\u00e9l\u00e8ve@example.org", ["j\u00f6rg@" + D],
                       crlf(msg), mail_options=["SMTPUTF8"])
        assert r == {}
    got = only(fct, "bob", tag)
    rp, dt, rcv, rest = split_delivered(got)
    assert rp == "\u00e9l\u00e8ve@example.org"
    assert b"with UTF8SMTP id" in rcv
    assert rest == msg


def test_utf8_address_needs_smtputf8(fct, smtpd):
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.cmd("MAIL FROM:<\u00e9@example.org>".encode())[0] == 553
    assert c.code("MAIL FROM:<a@example.org>") == 250
    assert c.cmd(("RCPT TO:<j\u00f6rg@" + D + ">").encode())[0] == 553
    c.close()


def test_swaks(fct, smtpd):
    if not shutil.which("swaks"):
        pytest.skip("swaks is not installed")
    for pipeline in (False, True):
        tag, msg = H.make_message()
        argv = ["swaks", "--server", "127.0.0.1", "--port", str(smtpd.port),
                "--from", "s@example.org", "--to", BOB, "--data", "-",
                "--helo", "swaks.test"]
        if pipeline:
            argv.append("--pipeline")
        # swaks ends the data with CRLF "." CRLF itself: give it the
        # message without its last newline.
        r = subprocess.run(argv, input=msg[:-1], capture_output=True,
                           timeout=60)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
        got = only(fct, "bob", tag)
        rest = split_delivered(got)[3]
        assert rest == msg


def test_curl(fct, smtpd):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    tag, msg = H.make_message(body=b"from curl\n.dot line\n")
    r = subprocess.run(["curl", "-sS", "--url",
                        "smtp://127.0.0.1:%d/curl.test" % smtpd.port,
                        "--mail-from", "c@example.org", "--mail-rcpt", ALICE,
                        "--upload-file", "-", "--crlf"],
                       input=msg, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    got = only(fct, "alice", tag)
    assert split_delivered(got)[3] == msg


def test_bdat_chunks(fct, smtpd):
    tag, msg = H.make_message(body=b"a\n.\n..b\nlast line\n")
    wire = crlf(msg)
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org> BODY=8BITMIME") == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    a, b = wire[:37], wire[37:]
    c.send(b"BDAT %d\r\n" % len(a) + a)
    assert c.reply()[0] == 250
    c.send(b"BDAT %d LAST\r\n" % len(b) + b)
    code, text = c.reply()
    assert code == 250, text
    assert queue_id_of(text)
    assert c.code("QUIT") == 221
    got = only(fct, "bob", tag)
    assert split_delivered(got)[3] == msg


def test_bdat_pipelined_with_commands(fct, smtpd):
    tag, msg = H.make_message()
    wire = crlf(msg)
    c = Client(smtpd.port)
    c.send(b"EHLO x\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<" +
           BOB.encode() + b">\r\nBDAT " + str(len(wire)).encode() +
           b" LAST\r\n" + wire + b"QUIT\r\n")
    codes = [c.reply()[0] for _ in range(5)]
    assert codes == [250, 250, 250, 250, 221]
    assert split_delivered(only(fct, "bob", tag))[3] == msg


def test_bdat_binarymime(fct, smtpd):
    tag, msg = H.make_message(body=b"bin\x00ary\rbytes\n")
    wire = crlf(msg)
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org> BODY=BINARYMIME") == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    assert c.code("DATA") == 503        # BINARYMIME needs BDAT
    c.send(b"BDAT %d LAST\r\n" % len(wire) + wire)
    assert c.reply()[0] == 250
    assert split_delivered(only(fct, "bob", tag))[3] == msg


def test_pipelining_before_ehlo_answered_in_order(fct, smtpd):
    c = Client(smtpd.port)
    c.send(b"NOOP\r\nHELO a.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<nobody@"
           + D.encode() + b">\r\nRSET\r\nVRFY bob\r\nHELP\r\nQUIT\r\n")
    codes = [c.reply()[0] for _ in range(8)]
    assert codes == [250, 250, 250, 550, 250, 252, 214, 221]


def test_recipients(fct, smtpd):
    c = Client(smtpd.port)
    try:
        check_recipients(c)
    finally:
        c.close()


def check_recipients(c):
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<>") == 250
    assert c.cmd("RCPT TO:<nobody@%s>" % D) == (550, ["5.1.1 No such user "
                                                      "here"])
    assert c.cmd("RCPT TO:<bob@example.com>")[1][0].startswith("5.7.1")
    assert c.code("RCPT TO:<team@%s>" % D) == 250          # alias
    assert c.code("RCPT TO:<Bob@%s>" % D) == 250           # case
    assert c.code("RCPT TO:<alice@localhost>") == 250      # local domain
    for pm in ("<postmaster>", "<PostMaster>", "<POSTMASTER@%s>" % D,
               "<postmaster@localhost>"):
        assert c.code("RCPT TO:" + pm) == 250, pm
    # postmaster of a domain that is not ours is a relay attempt.
    assert c.cmd("RCPT TO:<postmaster@example.com>")[0] == 554
    assert c.code("RCPT TO:<bob>") == 501
    # DSN is offered (RFC 3461): NOTIFY is taken, a bad one is 501,
    # an unknown parameter 555
    assert c.code("RCPT TO:<bob@%s> NOTIFY=NEVER" % D) == 250
    assert c.code("RCPT TO:<bob@%s> NOTIFY=NEVER,DELAY" % D) == 501
    assert c.code("RCPT TO:<bob@%s> XNOTIFY=NEVER" % D) == 555


def test_postmaster_delivered(fct, smtpd):
    tag, msg = H.make_message()
    c = Client(smtpd.port)
    code, text = c.mail("s@example.org", ["Postmaster"],
                        crlf(msg) + b".\r\n")
    assert code == 250
    # postmaster is an alias of alice in the harness
    got = only(fct, "alice", tag)
    assert split_delivered(got)[3] == msg


@pytest.mark.facteur(conf={"smtpd_error_limit": "50"})
def test_commands_and_sequence(fct, smtpd):
    c = Client(smtpd.port)
    assert c.cmd("MAIL FROM:<a@b.c>")[0] == 503
    assert c.cmd("EXPN staff") == (502, ["5.5.1 Command not implemented"])
    assert c.cmd("XYZZY") == (500, ["5.5.2 Command unrecognized"])
    assert c.code("HELO") == 501
    assert c.code("EHLO x") == 250
    assert c.code("DATA") == 503
    assert c.code("RCPT TO:<bob@%s>" % D) == 503
    assert c.code("MAIL FROM:<a@b.c> FOO=BAR") == 555
    assert c.code("MAIL FROM:<a@b.c> BODY=16BIT") == 501
    assert c.code("MAIL FROM:<a@b.c> SIZE=999999999999") == 552
    assert c.code("MAIL FROM:<a@b.c> SIZE=1000") == 250
    assert c.code("MAIL FROM:<a@b.c>") == 503
    assert c.code("DATA") == 554        # no valid recipients
    assert c.code("RSET") == 250
    assert c.code("NOOP") == 250
    assert c.code("RSET x") == 501
    assert c.cmd("VRFY bob")[0] == 252
    assert c.code("QUIT") == 221
    assert c.eof()


def test_web_request_closes(fct, smtpd):
    c = Client(smtpd.port)
    assert c.code("GET / HTTP/1.0") == 521
    assert c.eof()


def test_curl_bare_lf_refused(fct, smtpd):
    """Without --crlf curl sends bare LFs: refused, connection closed."""
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    tag, msg = H.make_message()
    r = subprocess.run(["curl", "-sS", "--url",
                        "smtp://127.0.0.1:%d/curl.test" % smtpd.port,
                        "--mail-from", "c@example.org", "--mail-rcpt", ALICE,
                        "--upload-file", "-"],
                       input=msg, capture_output=True, timeout=60)
    assert r.returncode != 0
    fct.assert_queue_empty()
    assert fct.messages("alice") == []


def test_error_limit(fct, smtpd):
    c = Client(smtpd.port)
    for _ in range(9):
        assert c.code("XYZZY") == 500
    assert c.cmd("XYZZY")[0] == 500
    code, text = c.reply()
    assert code == 421 and text[0].startswith("4.7.0")
    assert c.eof()
