"""
test_smtpd_relay: the mx port relays for nobody but mynetworks and
authenticated clients.  A loopback client is a stranger (mynetworks is
empty by default): every relay attempt, whatever the address trick, is
554 5.7.1 at RCPT and nothing is queued.  A client in mynetworks, or one
that authenticated, relays; the message waits in the queue (there is no
remote transport yet) with its recipient, neither lost nor bounced.
"""
import os
import re

import pytest

import facteur_harness as H
from smtpd_fixtures import Client, SmtpdServer, queue_id_of, smtpd_conf
from test_smtpd_tls_fixtures import (TlsClient, plain_ir,  # noqa: F401
                                     smtpd3)

D = H.DOMAIN
ALICE = "alice@" + D

RELAY_TRICKS = [
    "user@remote.example",
    "user%remote.example@" + D,
    "user%remote.example@localhost",
    "@%s:user@remote.example" % D,
    "@%s,@localhost:user@remote.example" % D,
    '"user@remote.example"@' + D,
    "remote.example!user@" + D,
    "alice%remote.example@" + D.upper(),
    "user@remote.example.",
    "user@REMOTE.Example",
    "USER@Remote.EXAMPLE.",
    "user@[127.0.0.1]",
    "alice@[127.0.0.1]",
    "postmaster@[127.0.0.1]",
    "user@[IPv6:::1]",
    "user@[IPv6:2001:db8::1]",
    "alice@" + D + ".remote.example",
    "alice@sub." + D,
]


def queue_has_nothing(fct):
    return all(not v for v in fct.queue_files().values())


@pytest.mark.parametrize("rcpt", RELAY_TRICKS)
def test_stranger_cannot_relay(fct, smtpd3, rcpt):
    c = Client(smtpd3.mx.port)
    assert c.code("EHLO stranger.test") == 250
    assert c.code("MAIL FROM:<someone@remote.example>") == 250
    code, lines = c.cmd("RCPT TO:<%s>" % rcpt)
    assert code == 554 and lines[0].startswith("5.7.1"), (rcpt, code, lines)
    assert c.code("DATA") == 554
    assert c.code("QUIT") == 221
    assert queue_has_nothing(fct)
    # logged as Postfix logs it, which pflogsumm counts as a rejection
    assert re.search(r"NOQUEUE: reject: RCPT from \S+\[[^]]+\]: 554 5\.7\.1 "
                     r"<[^>]*>: Relay access denied", fct.log())


def test_stranger_still_delivers_locally(fct, smtpd3):
    c = Client(smtpd3.mx.port)
    assert c.code("EHLO stranger.test") == 250
    assert c.code("MAIL FROM:<someone@remote.example>") == 250
    assert c.code("RCPT TO:<user@remote.example>") == 554
    assert c.code("RCPT TO:<%s>" % ALICE) == 250
    assert c.code("RCPT TO:<ALICE@%s.>" % D.upper()) == 250
    assert c.code("DATA") == 354
    tag, msg = H.make_message()
    c.send(msg.replace(b"\n", b"\r\n") + b".\r\n")
    assert c.reply()[0] == 250
    c.cmd("QUIT")
    fct.wait_for_delivery("alice", 1)


def wait_deferred(fct, rcpt):
    # the harness's resolver answers nothing: the remote delivery defers
    H.wait_until(lambda: re.search(
        r"to=<%s>.*status=deferred \(" % re.escape(rcpt), fct.log()), 60,
        "deferral of %s" % rcpt)


def env_text(fct):
    envs = fct.queue_files()["env"]
    assert len(envs) == 1, fct.queue_files()
    with open(os.path.join(fct.queue, "env", envs[0]), "rb") as f:
        return f.read()


def relay_one(fct, c, rcpt):
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    assert c.code("RCPT TO:<%s>" % rcpt) == 250
    assert c.code("DATA") == 354
    tag, msg = H.make_message(to=rcpt)
    c.send(msg.replace(b"\n", b"\r\n") + b".\r\n")
    code, lines = c.reply()
    assert code == 250, lines
    return queue_id_of(lines)


@pytest.mark.parametrize("nets", ["127.0.0.0/8", "10.0.0.0/8, 127.0.0.1",
                                  "::1, [::ffff:127.0.0.0]/104, 127.0.0.1/32"])
def test_mynetworks_relays_and_waits_in_queue(fct, smtpd3, nets):
    fct.write_conf(mynetworks=nets)
    c = Client(smtpd3.mx.port)
    assert c.code("EHLO inside.test") == 250
    rcpt = "friend@remote.example"
    relay_one(fct, c, rcpt)
    c.cmd("QUIT")
    wait_deferred(fct, rcpt)
    assert rcpt.encode() in env_text(fct)
    # still there, and no bounce to the sender
    assert fct.messages("alice") == []


@pytest.mark.parametrize("nets", ["10.0.0.0/8", "::1/128",
                                  "127.0.0.2/32, 128.0.0.0/1"])
def test_outside_mynetworks_is_a_stranger(fct, smtpd3, nets):
    fct.write_conf(mynetworks=nets)
    c = Client(smtpd3.mx.port)
    assert c.code("EHLO outside.test") == 250
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    assert c.code("RCPT TO:<friend@remote.example>") == 554
    c.cmd("QUIT")


def test_mynetworks_never_allows_tricks(fct, smtpd3):
    fct.write_conf(mynetworks="127.0.0.0/8")
    c = Client(smtpd3.mx.port)
    assert c.code("EHLO inside.test") == 250
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    for rcpt in ("user%remote.example@" + D, "remote!user@" + D,
                 '"user@remote.example"@' + D):
        assert c.code("RCPT TO:<%s>" % rcpt) == 554, rcpt
    c.cmd("QUIT")


def test_bad_mynetworks_is_a_config_error(fct):
    smtpd_conf(fct)
    fct.write_conf(mynetworks="127.0.0.0/33")
    srv = SmtpdServer(fct)
    try:
        c = Client(srv.port, greet=False)
        code, lines = c.reply()
        assert code == 421
    finally:
        srv.close()


def test_authenticated_relays_on_mx(fct, smtpd3):
    c = TlsClient(smtpd3.mx.port, smtpd3.ca)
    c.ehlo()
    c.starttls()
    c.ehlo()
    assert c.code("MAIL FROM:<%s>" % ALICE) == 250
    assert c.code("RCPT TO:<friend@remote.example>") == 554
    assert c.code("RSET") == 250
    assert c.code("AUTH PLAIN " + plain_ir("alice")) == 235
    rcpt = "friend@remote.example"
    relay_one(fct, c, rcpt)
    c.cmd("QUIT")
    wait_deferred(fct, rcpt)
    assert rcpt.encode() in env_text(fct)
