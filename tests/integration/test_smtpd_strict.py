"""
smtpd's strict input rules, each with its reply code and with the Maildir
checked afterwards: what landed, byte for byte, and that nothing else did.
A refused message is followed by a sentinel message; once the sentinel is
delivered and the queue is empty, anything else would have landed too.
"""
import re
import socket

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, smtpd, split_delivered  # noqa: F401

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D


def crlf(b):
    return b.replace(b"\n", b"\r\n")


def sentinel(fct, port, user="bob"):
    """Sends a good message on a new connection and waits for it."""
    tag, msg = H.make_message(body=b"sentinel\n")
    c = Client(port)
    code, text = c.mail("s@example.org", ["%s@%s" % (user, D)],
                        crlf(msg) + b".\r\n")
    assert code == 250, text
    c.cmd("QUIT")
    c.close()
    fct.wait_for_tag(user, tag)
    fct.assert_queue_empty()
    return tag


def assert_only(fct, users_tags):
    """Each user's Maildir holds exactly the tagged messages."""
    for user in ("alice", "bob", "carol"):
        tags = sorted(H.tag_of(m) or "?" for m in fct.messages(user))
        assert tags == sorted(users_tags.get(user, [])), (user, tags)


def start_data(c, rcpts=(BOB,)):
    assert c.code("EHLO client.test") == 250
    assert c.code("MAIL FROM:<s@example.org>") == 250
    for r in rcpts:
        assert c.code("RCPT TO:<%s>" % r) == 250
    assert c.code("DATA") == 354


# ---------------------------------------------------------- command lines

def test_command_line_limit(fct, smtpd):
    c = Client(smtpd.port)
    # 512 octets with CRLF: accepted
    assert c.cmd(b"NOOP " + b"x" * 505)[0] == 250
    # 513: refused, not truncated, and the session goes on
    code, text = c.cmd(b"NOOP " + b"x" * 506)
    assert code == 500 and text[0].startswith("5.5.2")
    code, text = c.cmd(b"MAIL FROM:<" + b"a" * 600 + b"@example.org>")
    assert code == 500
    assert c.code("EHLO x") == 250
    assert c.code("QUIT") == 221


def test_nul_in_command(fct, smtpd):
    c = Client(smtpd.port)
    code, text = c.cmd(b"EHLO a\x00b")
    assert code == 500 and text[0].startswith("5.5.2")
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<a\x00@example.org>") == 500
    assert c.code("QUIT") == 221


@pytest.mark.parametrize("line", [b"NOOP\n", b"NOOP\rx\r\n", b"EHLO x\r\r\n"])
def test_bare_lf_or_cr_in_command_closes(fct, smtpd, line):
    c = Client(smtpd.port)
    c.send(line + b"NOOP\r\n")
    code, text = c.reply()
    assert code == 521 and text[0].startswith("5.5.2")
    assert c.eof()


@pytest.mark.facteur(conf={"smtpd_bare_lf": "normalize"})
def test_bare_lf_in_command_normalized(fct, smtpd):
    c = Client(smtpd.port)
    c.send(b"EHLO x\nMAIL FROM:<s@example.org>\nRCPT TO:<" + BOB.encode() +
           b">\nQUIT\n")
    codes = [c.reply()[0] for _ in range(4)]
    assert codes == [250, 250, 250, 221]


# The pause gives the check a window: without it, whether bytes sent
# right after connect arrive before the session looks is a race.
@pytest.mark.facteur(conf={"smtpd_greet_pause": "2s"})
def test_early_talker_noted(fct, smtpd):
    c = Client(smtpd.port, greet=False)
    c.send(b"EHLO early.test\r\n")
    assert c.reply()[0] == 220
    assert c.reply()[0] == 250
    assert c.code("QUIT") == 221
    c.close()
    H.wait_until(lambda: "talked before the greeting" in fct.log(), 30,
                 "the early talker log line")


@pytest.mark.facteur(conf={"smtpd_reject_early_talkers": "yes",
                           "smtpd_greet_pause": "2s"})
def test_early_talker_dropped(fct, smtpd):
    c = Client(smtpd.port, greet=False)
    c.send(b"EHLO early.test\r\n")
    code, text = c.reply()
    assert code == 554
    assert c.eof()
    c2 = Client(smtpd.port)          # a polite client is served
    assert c2.greeting[0] == 220
    assert c2.code("QUIT") == 221


# ------------------------------------------------------------------- DATA

def test_text_line_limit(fct, smtpd):
    tag_ok, ok = H.make_message(body=b"y" * 998 + b"\n")
    tag_bad, bad = H.make_message(body=b"x" * 999 + b"\nafter\n")
    c = Client(smtpd.port)
    start_data(c)
    c.send(crlf(bad) + b".\r\n")
    code, text = c.reply()
    assert code == 554 and text[0].startswith("5.6.0"), text
    # the session is still in step: the next message goes through
    assert c.code("MAIL FROM:<s@example.org>") == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    assert c.code("DATA") == 354
    c.send(crlf(ok) + b".\r\n")
    assert c.reply()[0] == 250
    c.cmd("QUIT")
    got = fct.wait_for_tag("bob", tag_ok)
    assert split_delivered(got)[3] == ok
    sentinel(fct, smtpd.port)
    assert len(fct.messages("bob")) == 2
    assert all(H.tag_of(m) != tag_bad for m in fct.messages("bob"))


def test_huge_line_closes(fct, smtpd):
    c = Client(smtpd.port)
    start_data(c)
    c.send(b"Subject: x\r\n\r\n" + b"z" * 200000 + b"\r\n.\r\nQUIT\r\n")
    code, text = c.reply()
    assert code == 554
    assert c.eof()
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


@pytest.mark.parametrize("junk", [b"bare\nlf\r\n", b"bare\rcr\r\n",
                                  b"end\r\n.\n", b"x\r\n.\rmore\r\n"])
def test_bare_in_data_closes(fct, smtpd, junk):
    c = Client(smtpd.port)
    start_data(c)
    c.send(b"Subject: bare\r\n\r\n" + junk + b"tail\r\n.\r\n")
    code, text = c.reply()
    assert code == 521 and text[0].startswith("5.5.2"), text
    assert c.eof()
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


SMUGGLE = [b"\n.\n", b"\r.\r\n", b"\n.\r\n"]


def smuggling_payload(seq, tag_outer, tag_inner):
    return (b"Subject: outer\r\nX-Facteur-Test: " + tag_outer.encode() +
            b"\r\n\r\nouter body" + seq +
            b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<" + ALICE.encode() +
            b">\r\nDATA\r\nSubject: smuggled\r\nX-Facteur-Test: " +
            tag_inner.encode() + b"\r\n\r\nsmuggled body\r\n.\r\n")


@pytest.mark.parametrize("seq", SMUGGLE, ids=["LF.LF", "CR.CRLF", "LF.CRLF"])
def test_smuggling_rejected(fct, smtpd, seq):
    c = Client(smtpd.port)
    start_data(c)
    c.send(smuggling_payload(seq, "outer1", "inner1"))
    code, text = c.reply()
    assert code == 521
    assert c.eof()
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


@pytest.mark.facteur(conf={"smtpd_bare_lf": "normalize"})
@pytest.mark.parametrize("seq", SMUGGLE, ids=["LF.LF", "CR.CRLF", "LF.CRLF"])
def test_smuggling_normalized_is_one_message(fct, smtpd, seq):
    c = Client(smtpd.port)
    start_data(c)
    c.send(smuggling_payload(seq, "outer2", "inner2"))
    code, text = c.reply()
    assert code == 250, text
    # the smuggled commands were data: nothing else was answered
    assert c.code("QUIT") == 221
    got = fct.wait_for_tag("bob", "outer2")
    fct.assert_queue_empty()
    rest = split_delivered(got)[3]
    # the bare line ends became LF; the dot line is content
    want = (b"Subject: outer\nX-Facteur-Test: outer2\n\nouter body\n.\n"
            b"MAIL FROM:<evil@example.org>\nRCPT TO:<" + ALICE.encode() +
            b">\nDATA\nSubject: smuggled\nX-Facteur-Test: inner2\n\n"
            b"smuggled body\n")
    assert rest == want
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": ["outer2", t]})


def test_pipelined_after_354_is_data(fct, smtpd):
    c = Client(smtpd.port)
    c.send(b"EHLO x\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<" +
           BOB.encode() + b">\r\nDATA\r\nX-Facteur-Test: piped\r\n\r\n"
           b"QUIT\r\nRSET\r\nMAIL FROM:<x@y.z>\r\n..\r\n.\r\nNOOP\r\n")
    codes = [c.reply()[0] for _ in range(6)]
    assert codes == [250, 250, 250, 354, 250, 250]
    assert c.code("QUIT") == 221
    got = fct.wait_for_tag("bob", "piped")
    assert split_delivered(got)[3] == (b"X-Facteur-Test: piped\n\nQUIT\n"
                                       b"RSET\nMAIL FROM:<x@y.z>\n.\n")


def test_dot_unstuffing_exact(fct, smtpd):
    body = b".\n..\n...x\n. \n.a.\n"
    tag, msg = H.make_message(body=body)
    wire = crlf(msg).replace(b"\r\n.", b"\r\n..")
    c = Client(smtpd.port)
    start_data(c)
    c.send(wire + b".\r\n")
    assert c.reply()[0] == 250
    got = fct.wait_for_tag("bob", tag)
    assert split_delivered(got)[3] == msg


def test_empty_message(fct, smtpd):
    c = Client(smtpd.port)
    start_data(c)
    c.send(b".\r\n")
    assert c.reply()[0] == 250
    H.wait_until(lambda: len(fct.messages("bob")) == 1, 30, "delivery")
    assert split_delivered(fct.messages("bob")[0])[3] == b""


@pytest.mark.facteur(conf={"message_size_limit": "2k"})
def test_message_size_limit(fct, smtpd):
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org> SIZE=4096") == 552
    assert c.code("MAIL FROM:<s@example.org>") == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    assert c.code("DATA") == 354
    c.send(b"Subject: big\r\n\r\n" + (b"b" * 70 + b"\r\n") * 60 + b".\r\n")
    code, text = c.reply()
    assert code == 552 and text[0].startswith("5.3.4")
    assert c.code("QUIT") == 221
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


def test_recipient_limit_default(fct, smtpd):
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org>") == 250
    c.send(("RCPT TO:<%s>\r\n" % BOB).encode() * 1001)
    codes = [c.reply()[0] for _ in range(1001)]
    assert codes[:1000] == [250] * 1000
    code = codes[1000]
    assert code == 452
    assert c.code("RSET") == 250
    assert c.code("QUIT") == 221


@pytest.mark.facteur(conf={"smtpd_recipient_limit": "3"})
def test_recipient_limit_then_data(fct, smtpd):
    tag, msg = H.make_message()
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org>") == 250
    for u in ("alice", "bob", "carol"):
        assert c.code("RCPT TO:<%s@%s>" % (u, D)) == 250
    code, text = c.cmd("RCPT TO:<bob@%s>" % D)
    assert code == 452 and text[0].startswith("4.5.3")
    assert c.code("DATA") == 354
    c.send(crlf(msg) + b".\r\n")
    assert c.reply()[0] == 250
    for u in ("alice", "bob", "carol"):
        assert split_delivered(fct.wait_for_tag(u, tag))[3] == msg
    fct.assert_queue_empty()
    assert_only(fct, {"alice": [tag], "bob": [tag], "carol": [tag]})


@pytest.mark.facteur(conf={"smtpd_timeout": "1s"})
def test_command_timeout(fct, smtpd):
    c = Client(smtpd.port)
    code, text = c.reply()       # no command: the server gives up
    assert code == 421 and text[0].startswith("4.4.2")
    assert c.eof()


@pytest.mark.facteur(conf={"smtpd_session_timeout": "2s"})
def test_session_timeout(fct, smtpd):
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    code, text = c.reply()       # smtpd_timeout is 5m; the session ends
    assert code == 421 and text[0].startswith("4.4.2")
    assert c.eof()


@pytest.mark.facteur(conf={"smtpd_data_timeout": "1s"})
def test_data_timeout_queues_nothing(fct, smtpd):
    c = Client(smtpd.port)
    start_data(c)
    c.send(b"Subject: slow\r\n\r\npartial")
    code, text = c.reply()
    assert code == 421
    assert c.eof()
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


# ------------------------------------------------------ HELO in Received

LABEL = rb"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
DOMAIN_RE = re.compile(LABEL + rb"(?:\." + LABEL + rb")*")
LITERAL_RE = re.compile(rb"\[[\x21-\x5a\x5e-\x7e]+\]")


def received_from(helo):
    """The first line of smtpd's Received field for this HELO argument
    (smtpd/session_received.c): the word itself when it is a domain or
    an address literal, else "unknown" and a comment with every octet a
    comment cannot hold turned into '?'."""
    if DOMAIN_RE.fullmatch(helo) or LITERAL_RE.fullmatch(helo):
        return b"Received: from " + helo + b" ([127.0.0.1])\n"
    neutered = bytes(c if 33 <= c <= 126 and c not in b"()\\" else 63
                     for c in helo)
    return b"Received: from unknown (helo=" + neutered + b") ([127.0.0.1])\n"


def one_message(c):
    """A message to bob after EHLO; its tag."""
    tag, msg = H.make_message()
    assert c.code("MAIL FROM:<s@example.org>") == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    assert c.code("DATA") == 354
    c.send(crlf(msg) + b".\r\n")
    assert c.reply()[0] == 250
    return tag


def test_helo_every_byte_in_received(fct, smtpd):
    """Every octet in an EHLO argument: refused by the parser (501; bare
    CR or LF 521 and the end), or accepted and shown in Received as a
    token or inside a comment it cannot break out of."""
    fct.write_conf(smtpd_error_limit="1000")
    sent = {}
    c = Client(smtpd.port)
    for b in range(256):
        helo = b"a" + bytes([b]) + b"b.test"
        c.send(b"EHLO " + helo + b"\r\n")
        code, _ = c.reply()
        if b in (0x0a, 0x0d):
            assert code == 521 and c.eof(), (b, code)
            c = Client(smtpd.port)
            continue
        if b <= 0x20 or b >= 0x7f:
            # a control byte is refused by the command split (500), a
            # blank or a non-ASCII octet by the HELO parser (501)
            assert code in (500, 501), (b, code)
            continue
        assert code == 250, (b, code)
        sent[one_message(c)] = helo
    for n, ok in ((1, True), (254, True), (255, True), (256, False)):
        helo = b"(" * n if n % 2 else b"x" * n
        code, _ = c.cmd(b"EHLO " + helo)
        if not ok:
            assert code == 501, n
            continue
        assert code == 250, n
        sent[one_message(c)] = helo
    c.cmd("QUIT")
    assert len(sent) == 94 + 3
    for tag, helo in sent.items():
        rcv = split_delivered(fct.wait_for_tag("bob", tag))[2]
        first = rcv.split(b"\n\t", 1)[0].split(b"\n", 1)[0] + b"\n"
        assert first == received_from(helo), (helo, rcv)
        # one field: every line after the first is a continuation
        assert all(ln.startswith(b"\t") for ln in rcv.split(b"\n")[1:-1])


# ------------------------------------------------------------------ BDAT

def test_bdat_bare_lf_refused(fct, smtpd):
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org>") == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    data = b"Subject: x\r\n\r\nbare\nlf\r\n"
    c.send(b"BDAT %d LAST\r\n" % len(data) + data)
    code, text = c.reply()
    assert code == 554 and text[0].startswith("5.6.0")
    assert c.code("NOOP") == 250     # BDAT framing keeps us in step
    c.cmd("QUIT")
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


def test_bdat_without_recipients_reads_the_chunk(fct, smtpd):
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    c.send(b"BDAT 6 LAST\r\nNOOP\r\n")
    assert c.reply()[0] == 503
    assert c.code("NOOP") == 250
    c.send(b"BDAT x\r\n")
    assert c.reply()[0] == 501
    assert c.eof()


@pytest.mark.parametrize("size", ["999999999999999999", "52428801",
                                  "99999999999999999999999"])
@pytest.mark.parametrize("last", [" LAST", ""])
def test_bdat_chunk_over_the_size_limit(fct, smtpd, size, last):
    """A chunk larger than message_size_limit (50 MiB by default) gets
    552 5.3.4 at once, before any byte of it is read, and the connection
    closes: the rest of the chunk is never read."""
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org>") == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    c.send(b"BDAT %s%s\r\n" % (size.encode(), last.encode()))
    code, text = c.reply()
    assert code == 552 and text[0].startswith("5.3.4"), (code, text)
    assert c.eof()
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


def test_bdat_chunk_of_exactly_the_limit_is_read(fct, smtpd):
    """A chunk of exactly message_size_limit is read (the message with
    smtpd's Received field is then over the limit: 552 at the end), and
    the session stays in step."""
    fct.write_conf(message_size_limit="2048")
    c = Client(smtpd.port)
    assert c.code("EHLO x") == 250
    assert c.code("MAIL FROM:<s@example.org>") == 250
    assert c.code("RCPT TO:<%s>" % BOB) == 250
    tag, msg = H.make_message(body=b"x" * 100 + b"\n")
    data = crlf(msg)
    while 2048 - len(data) > 72:
        data += b"y" * 70 + b"\r\n"
    data += b"z" * (2048 - len(data) - 2) + b"\r\n"
    assert len(data) == 2048
    c.send(b"BDAT 2048 LAST\r\n" + data)
    code, text = c.reply()
    assert code == 552 and text[0] == "5.3.4 Message size exceeds fixed " \
        "limit", text
    assert c.code("NOOP") == 250
    assert c.code("QUIT") == 221
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


# -------------------------------------------------------- enqueue failures

@pytest.mark.parametrize("code,reply", [(75, 451), (111, 451), (31, 552),
                                        (13, 554), (12, 554)])
def test_enqueue_failure(fct, smtpd, code, reply):
    """A qmail-queue program's exit code becomes the reply to the final
    dot: smtpd_queue_filter runs a stand-in that fails with `code`."""
    import os
    path = os.path.join(fct.libexec, "failing-filter")
    with open(path, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\ncat <&1 >/dev/null\nexit %d\n"
                % code)
    os.chmod(path, 0o755)
    fct.write_conf(smtpd_queue_filter=path)
    c = Client(smtpd.port)
    start_data(c)
    c.send(b"Subject: x\r\n\r\nhello\r\n.\r\n")
    got, text = c.reply()
    assert got == reply, text
    assert c.code("QUIT") == 221
    fct.assert_queue_empty()
    assert_only(fct, {})


def test_queue_filter_that_queues(fct, smtpd):
    """A filter that passes the message on to enqueue (with smtpd's queue
    ID from FACTEUR_QUEUE_ID) delivers it, as qmail's QMAILQUEUE does."""
    import os
    path = os.path.join(fct.libexec, "passing-filter")
    with open(path, "w") as f:
        f.write('#!/bin/sh\nexec %s -i "$FACTEUR_QUEUE_ID"\n'
                % fct.program("enqueue"))
    os.chmod(path, 0o755)
    fct.write_conf(smtpd_queue_filter=path)
    t = sentinel(fct, smtpd.port)
    assert_only(fct, {"bob": [t]})


def test_in_process_queue_failure_is_temporary(fct, smtpd):
    """smtpd queues in-process by default; when the queue cannot be
    written (msg/ made read-only), the reply is 451 and nothing is
    queued or delivered."""
    import os
    msgdir = os.path.join(fct.queue, "msg")
    os.chmod(msgdir, 0o500)
    try:
        c = Client(smtpd.port)
        start_data(c)
        c.send(b"Subject: x\r\n\r\nhello\r\n.\r\n")
        got, text = c.reply()
        assert got == 451, text
        assert c.code("QUIT") == 221
    finally:
        os.chmod(msgdir, 0o700)
    fct.assert_queue_empty()
    assert_only(fct, {})
