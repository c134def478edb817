"""
The SMTP client against peers that do what RFC 5321 allows and what it
does not: PIPELINING used when offered (MAIL, every RCPT and DATA in one
write) and not otherwise; 452 "too many recipients" retried in a new
transaction on the same connection; SIZE, SMTPUTF8 and 8BITMIME rules;
HELO when EHLO is refused; 4xx and 5xx at each step; replies that break
the grammar (garbage in a multi-line reply, codes that change, a 100 kB
line, a bare CR), a peer that dribbles its greeting, one that never
answers the final dot, one that stops reading mid-DATA.  Every case ends
within its timeout with the mail deferred or bounced as it should be,
and nothing is lost.
"""
import threading
import time

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from remote_fixtures import (Peer, RawPeer, crlf, log_lines, remote_instance,
                             send, smtp_until_data, wait_log)

D = H.DOMAIN
ALICE = "alice@" + D


@pytest.fixture
def setup(request):
    made = {"inst": [], "peer": []}

    def make(peer=None, raw=None, conf=None):
        if raw is not None:
            p = RawPeer(raw)
        else:
            p = Peer(**(peer or {}))
        made["peer"].append(p)
        f = remote_instance(relayhost="[127.0.0.1]:%d" % p.port, conf=conf)
        made["inst"].append(f)
        return f, p
    yield make
    for i in made["inst"]:
        conftest_finish(request, i)
    for p in made["peer"]:
        p.stop()


def test_pipelining_sends_mail_rcpt_data_in_one_go(setup):
    seen = {}

    def script(c):
        c.send(b"220 raw.test ESMTP\r\n")
        c.readline()
        c.send(b"250-raw.test\r\n250 PIPELINING\r\n")
        # nothing is answered until MAIL, both RCPTs and DATA are in
        got = []
        while len(got) < 4:
            ln = c.readline(timeout=5)
            if ln is None:
                break
            got.append(ln)
        seen["before_replies"] = got
        c.send(b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
        seen["data"] = c.read_data()
        c.send(b"250 2.0.0 queued\r\n")
        c.readline()
        c.send(b"221 bye\r\n")
    f, p = setup(raw=script)
    send(f, ["a@remote.test", "b@remote.test"])
    wait_log(f, "status=sent", 2)
    cmds = [ln.split(b":")[0].upper() for ln in seen["before_replies"]]
    assert cmds == [b"MAIL FROM", b"RCPT TO", b"RCPT TO", b"DATA\r\n"], \
        seen["before_replies"]


def test_without_pipelining_one_command_at_a_time(setup):
    seen = {"early": []}

    def script(c):
        c.send(b"220 raw.test ESMTP\r\n")
        c.readline()
        c.send(b"250-raw.test\r\n250 8BITMIME\r\n")
        c.readline()                        # MAIL
        early = c.readline(timeout=1)       # nothing until it is answered
        if early is not None:
            seen["early"].append(early)
        c.send(b"250 ok\r\n")
        for _ in range(2):
            c.readline()
            c.send(b"250 ok\r\n")
        c.readline()
        c.send(b"354 go\r\n")
        c.read_data()
        c.send(b"250 ok\r\n")
        c.readline()
        c.send(b"221 bye\r\n")
    f, p = setup(raw=script)
    send(f, ["a@remote.test", "b@remote.test"])
    wait_log(f, "status=sent", 2)
    assert seen["early"] == []


def test_452_goes_in_another_transaction_on_the_same_connection(setup):
    f, p = setup(peer={"rcpt_limit": 2})
    rcpts = ["r%d@remote.test" % k for k in range(5)]
    send(f, rcpts)
    p.wait_messages(3)
    assert [len(m["to"]) for m in p.messages] == [2, 2, 1]
    assert sorted(r for m in p.messages for r in m["to"]) == sorted(rcpts)
    assert p.connections == 1
    assert len(wait_log(f, "status=sent", 5)) == 5
    assert not log_lines(f, "status=deferred")


def test_size_over_the_peers_limit_bounces_unsent(setup):
    f, p = setup(peer={"size": 1000})
    send(f, ["a@remote.test"], body=(b"x" * 70 + b"\n") * 100)
    ln = wait_log(f, "status=bounced")[0]
    assert "dsn=5.3.4" in ln and "exceeds size limit 1000 of server " \
        "127.0.0.1[127.0.0.1]" in ln
    assert p.mail_options == []
    f.wait_for_delivery("alice", 1)


def test_size_is_announced_in_mail_from(setup):
    f, p = setup()
    tag, msg = send(f, ["a@remote.test"])
    p.wait_messages(1)
    assert "SIZE=%d" % len(crlf(msg)) in p.mail_options[0]


def test_smtputf8_rules(setup):
    f, p = setup(peer={"smtputf8": False})
    rcpt = "j\u00f6rg@remote.test"
    tag, msg = H.make_message()
    r = f.enqueue_raw(msg, H.envelope(ALICE, [rcpt.encode(),
                                              "ascii@remote.test"]))
    assert r.returncode == 0, r.stderr
    ln = wait_log(f, "status=bounced")[0]
    assert "dsn=5.6.7" in ln and "SMTPUTF8 is required" in ln
    p.wait_messages(1)
    assert p.messages[0]["to"] == ["ascii@remote.test"]
    assert "SMTPUTF8" not in p.mail_options[0]


def test_smtputf8_offered(setup):
    f, p = setup(peer={"smtputf8": True})
    rcpt = "j\u00f6rg@remote.test"
    tag, msg = H.make_message()
    r = f.enqueue_raw(msg, H.envelope(ALICE, [rcpt.encode()]))
    assert r.returncode == 0, r.stderr
    p.wait_messages(1)
    assert p.messages[0]["to"] == [rcpt]
    assert "SMTPUTF8" in p.mail_options[0]


def test_8bit_to_a_peer_without_8bitmime_goes_unchanged(setup):
    f, p = setup(peer={"drop": ["8BITMIME"]})
    tag, msg = send(f, ["a@remote.test"], body=b"caf\xc3\xa9\n")
    p.wait_messages(1)
    assert not any(o.startswith("BODY") for o in p.mail_options[0])
    assert p.messages[0]["data"] == crlf(msg)


def test_helo_when_ehlo_is_refused(setup):
    state = {}

    def script(c):
        c.send(b"220 old.test\r\n")
        ln = c.readline()
        state["first"] = ln
        c.send(b"502 5.5.2 what is that\r\n")
        state["second"] = c.readline()
        c.send(b"250 old.test\r\n")
        c.readline()
        c.send(b"250 ok\r\n")
        state["rcpt"] = c.readline()
        c.send(b"250 ok\r\n")
        c.readline()
        c.send(b"354 go\r\n")
        c.read_data()
        c.send(b"250 ok\r\n")
        c.readline()
        c.send(b"221 bye\r\n")
    f, p = setup(raw=script)
    send(f, ["a@remote.test"])
    wait_log(f, "status=sent")
    assert state["first"].upper().startswith(b"EHLO " + D.encode().upper())
    assert state["second"].upper().startswith(b"HELO " + D.encode().upper())


@pytest.mark.parametrize("step,reply,status", [
    ("RCPT", "450 4.2.0 mailbox busy", "deferred"),
    ("RCPT", "553 5.1.3 bad address", "bounced"),
    ("DATA", "452 4.3.1 out of space", "deferred"),
    ("DATA", "554 5.6.0 content refused", "bounced"),
    ("MAIL", "553 5.1.8 bad sender", "bounced"),
])
def test_4xx_and_5xx_at_each_step(setup, step, reply, status):
    f, p = setup(peer={"replies": {step: reply}})
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=" + status)[0]
    what = {"RCPT": "RCPT TO command", "DATA": "end of DATA command",
            "MAIL": "MAIL FROM command"}[step]
    assert "said: %s (in reply to %s)" % (reply, what) in ln, ln
    assert "dsn=" + reply.split()[1] in ln


@pytest.mark.parametrize("greeting,word", [
    (b"554 5.7.1 go away\r\n", "refused to talk to me: 554 5.7.1 go away"),
    (b"421 4.3.2 busy\r\n", "refused to talk to me: 421 4.3.2 busy"),
])
def test_greeting_refusals_defer(setup, greeting, word):
    f, p = setup(raw=lambda c: c.send(greeting))
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert word in ln and "dsn=4." in ln


def test_ehlo_421_defers(setup):
    def script(c):
        c.send(b"220 raw.test\r\n")
        c.readline()
        c.send(b"421 4.3.2 shutting down\r\n")
    f, p = setup(raw=script)
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert "said: 421 4.3.2 shutting down (in reply to EHLO/HELO command)" \
        in ln and "dsn=4.3.2" in ln


def test_data_command_refused(setup):
    def script(c):
        c.send(b"220 raw.test\r\n")
        c.readline()
        c.send(b"250-raw.test\r\n250 8BITMIME\r\n")
        for _ in range(2):
            c.readline()
            c.send(b"250 ok\r\n")
        c.readline()
        c.send(b"554 5.3.0 no DATA today\r\n")
        c.readline()
        c.send(b"250 reset\r\n")
        c.readline()
        c.send(b"221 bye\r\n")
    f, p = setup(raw=script)
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=bounced")[0]
    assert "554 5.3.0 no DATA today (in reply to DATA command)" in ln


@pytest.mark.parametrize("ehlo,why", [
    (b"250-raw.test\r\ngarbage in the middle\r\n250 8BITMIME\r\n",
     "malformed reply: reply line does not start with a code"),
    (b"250-raw.test\r\n251 8BITMIME\r\n",
     "malformed reply: reply lines with different codes"),
    (b"250 " + b"x" * 100000 + b"\r\n",
     "malformed reply: a line longer than 2048 octets"),
    (b"250-raw\rtest\r\n250 ok\r\n", "malformed reply: control byte"),
    (b"25O ok\r\n", "malformed reply: reply line does not start with a"),
])
def test_replies_that_break_the_grammar(setup, ehlo, why):
    def script(c):
        c.send(b"220 raw.test\r\n")
        c.readline()
        c.send(ehlo)
        c.readline(timeout=5)
    f, p = setup(raw=script)
    t0 = time.monotonic()
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred")[0]
    assert why in ln, ln
    assert time.monotonic() - t0 < 20


def test_a_dribbled_greeting_ends_at_the_deadline(setup):
    stop = threading.Event()

    def script(c):
        # one byte every 0.3 s, never a whole line: only an absolute
        # deadline ends this (each read gets a byte well within 2 s)
        while not stop.is_set():
            c.send(b"2")
            time.sleep(0.3)
    f, p = setup(raw=script, conf={"smtp_helo_timeout": "2s"})
    try:
        t0 = time.monotonic()
        send(f, ["a@remote.test"])
        ln = wait_log(f, "status=deferred", timeout=30)[0]
        assert "timed out" in ln and "initial server greeting" in ln
        assert time.monotonic() - t0 < 15
    finally:
        stop.set()


def test_a_peer_that_never_answers_the_final_dot(setup):
    f, p = setup(peer={"data_delay": 30},
                 conf={"smtp_data_done_timeout": "2s"})
    t0 = time.monotonic()
    send(f, ["a@remote.test"])
    ln = wait_log(f, "status=deferred", timeout=30)[0]
    assert "while sending end of data -- message may be sent more than " \
        "once" in ln and "timed out" in ln
    assert time.monotonic() - t0 < 20


def test_a_peer_that_stops_reading_mid_data(setup):
    stop = threading.Event()

    def script(c):
        smtp_until_data(c)
        c.sock.setsockopt(__import__("socket").SOL_SOCKET,
                          __import__("socket").SO_RCVBUF, 4096)
        stop.wait(60)
    f, p = setup(raw=script, conf={"smtp_data_xfer_timeout": "2s"})
    try:
        t0 = time.monotonic()
        line = b"y" * 999 + b"\n"
        send(f, ["a@remote.test"], body=line * 8000)      # 8 MB
        ln = wait_log(f, "status=deferred", timeout=60)[0]
        assert "while sending message body" in ln and "timed out" in ln
        assert time.monotonic() - t0 < 40
    finally:
        stop.set()
