"""
DSN (RFC 3461) through smtpd to a remote destination: the parameters a
client gives smtpd (smtplib's MAIL and RCPT options) are kept by the
queue, handed by queued to rspawn in the remote job frame, and sent by
the SMTP client to a peer that lists DSN, as Postfix sends them: RET and
ENVID (xtext) on MAIL FROM, NOTIFY and ORCPT (addr-type;xtext) on each
RCPT TO that has them.  A recipient such a peer accepted gets no
"relayed" notice from facteur even when it asked NOTIFY=SUCCESS: the
peer reports it (RFC 3461 6.2.2).  To a peer without DSN none of the
parameters goes, and a recipient that asked for SUCCESS gets the
"relayed" notice.  Peers are scripted (python3-aiosmtpd, remote_fixtures)
and reached through relayhost; smtpd runs per connection (inetd style)
with loopback in mynetworks so that it relays.
"""
import re
import smtplib

import pytest

import facteur_harness as H
from conftest import _finish as conftest_finish
from remote_fixtures import Peer, remote_instance, wait_log
from smtpd_fixtures import SmtpdServer, smtpd_conf

D = H.DOMAIN
ALICE = "alice@" + D


@pytest.fixture
def relay(request):
    """(instance, smtpd, peer) for a peer made with the given options."""
    made = {"inst": [], "srv": [], "peer": []}

    def make(**peer_kw):
        p = Peer(**peer_kw)
        made["peer"].append(p)
        f = remote_instance(relayhost="[127.0.0.1]:%d" % p.port,
                            conf={"mynetworks": "127.0.0.0/8"})
        made["inst"].append(f)
        smtpd_conf(f)
        srv = SmtpdServer(f)
        made["srv"].append(srv)
        return f, srv, p
    yield make
    for s in made["srv"]:
        s.close()
    for p in made["peer"]:
        p.stop()
    for f in made["inst"]:
        conftest_finish(request, f)


def submit(port, mail_options, rcpts):
    """One message through smtpd; rcpts: [(address, [rcpt options])]."""
    tag, msg = H.make_message(to=", ".join(r for r, _ in rcpts))
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.test")
        assert s.has_extn("dsn")
        code, text = s.mail(ALICE, list(mail_options))
        assert code == 250, (code, text)
        for r, opts in rcpts:
            code, text = s.rcpt(r, list(opts))
            assert code == 250, (r, code, text)
        code, text = s.data(msg.replace(b"\n", b"\r\n"))
        assert code == 250, (code, text)
    return tag


def notices(f, user="alice"):
    return [m for m in f.messages(user) if H.is_bounce(m)]


def test_dsn_parameters_passed_to_a_dsn_peer(relay):
    f, srv, p = relay(dsn=True)
    submit(srv.port, ["RET=HDRS", "ENVID=QQ+2B314159"], [
        ("ok@remote.test", ["NOTIFY=SUCCESS,FAILURE",
                            "ORCPT=rfc822;Ok+2BX@Remote.TEST"]),
        ("never@remote.test", ["NOTIFY=NEVER"]),
        ("plain@remote.test", []),
        ("delay@remote.test", ["NOTIFY=delay,success",
                               "ORCPT=rfc822;a+20b@x"]),
    ])
    p.wait_messages(1)
    (mail,) = p.mail_args
    assert re.fullmatch(r"FROM:<%s> SIZE=\d+ RET=HDRS ENVID=QQ\+2B314159"
                        % re.escape(ALICE), mail), mail
    assert sorted(p.rcpt_args) == sorted([
        "TO:<ok@remote.test> NOTIFY=SUCCESS,FAILURE "
        "ORCPT=rfc822;Ok+2BX@Remote.TEST",
        "TO:<never@remote.test> NOTIFY=NEVER",
        "TO:<plain@remote.test>",
        "TO:<delay@remote.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+20b@x",
    ]), p.rcpt_args
    assert sorted(p.messages[0]["to"]) == sorted([
        "ok@remote.test", "never@remote.test", "plain@remote.test",
        "delay@remote.test"])
    # the peer said DSN: the successes are its to report, not ours
    assert len(wait_log(f, "status=sent", 4)) == 4
    wait_log(f, "removed")
    f.assert_queue_empty()
    assert notices(f) == []
    assert not [ln for ln in f.log().splitlines()
                if "delivery status notification" in ln]


def test_no_dsn_parameters_to_a_peer_without_dsn(relay):
    f, srv, p = relay()
    submit(srv.port, ["RET=FULL", "ENVID=rel-2"], [
        ("ok@remote.test", ["NOTIFY=SUCCESS",
                            "ORCPT=rfc822;ok@remote.test"]),
    ])
    p.wait_messages(1)
    (mail,) = p.mail_args
    assert re.fullmatch(r"FROM:<%s> SIZE=\d+" % re.escape(ALICE), mail), \
        mail
    assert p.rcpt_args == ["TO:<ok@remote.test>"]
    # the peer was not asked: facteur reports the success as relayed
    (n,) = H.wait_until(lambda: notices(f) or None, 30, "a relayed notice")
    assert b"Final-Recipient: rfc822; ok@remote.test\n" in n
    assert b"Original-Recipient: rfc822;ok@remote.test\n" in n
    assert b"Action: relayed\n" in n
    assert b"Original-Envelope-Id: rel-2\n" in n
    f.assert_queue_empty()
