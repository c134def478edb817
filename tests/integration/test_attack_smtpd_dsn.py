"""
The attack battery, smtpd and DSN (issue 14): the monitor parses RET,
ENVID, NOTIFY and ORCPT itself, as the session sent them, and writes
them after the envelope (lib/queue/qmail_env.h).  A subverted session
(attack_fixtures.py) that sends a value its own parser would have
refused, or a frame of the old form, is killed, and nothing of its
transaction is queued; one that sends well-formed values gets them
recorded as given, never anything else (an origin, a recipient).
"""
import os

import pytest

import facteur_harness as H
from attack_fixtures import (ALICE, INETD, attack, attacker,  # noqa: F401
                             commits, qid, xfdclose, xfdwrite, xmon)

pytestmark = [pytest.mark.facteur(start=False), pytest.mark.root_only]

SERVICES = ("mx", "inetd-mx")


def start_queued_if_inetd(fct, service):
    if service in INETD:
        fct.start_queued()


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("frame", [
    ("MAIL", "<%s>", "ASCII", "ALL", ""),             # RET
    ("MAIL", "<%s>", "ASCII", "", "a+0Db"),           # ENVID: a CR
    ("MAIL", "<%s>", "ASCII", "", "x" * 101),         # ENVID: too long
    ("MAIL", "<%s>", "ASCII"),                        # the old form
    ("MAIL", "<%s>", "ASCII", "FULL", "ok", "more"),  # a field more
])
def test_attack_bad_mail_dsn(fct, attack, service, frame):
    start_queued_if_inetd(fct, service)
    sender = attacker()
    c = attack.open(service)
    fields = [f % sender if "%s" in f else f for f in frame]
    assert xmon(c, *fields) is None          # killed
    c.close()
    assert commits(fct, sender) == []


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("notify,orcpt", [
    ("NEVER,DELAY", ""), ("SOMETIMES", ""), ("", "bob@x"),
    ("", "rfc822;b+0A@x"), ("", "rfc822;" + "a" * 600)])
def test_attack_bad_rcpt_dsn(fct, attack, service, notify, orcpt):
    start_queued_if_inetd(fct, service)
    sender = attacker()
    c = attack.open(service)
    assert c.code("MAIL FROM:<%s>" % sender) == 250
    assert xmon(c, "RCPT", "<%s>" % ALICE, notify, orcpt) is None
    c.close()
    assert commits(fct, sender) == []


@pytest.mark.parametrize("service", SERVICES)
def test_attack_dsn_recorded_as_given(fct, attack, service):
    """Well-formed values straight to the monitor: recorded decoded, in
    the envelope's DSN records, and the message's origin is smtp."""
    start_queued_if_inetd(fct, service)
    sender, tag = attacker(), H.uuid.uuid4().hex
    c = attack.open(service)
    assert xmon(c, "MAIL", "<%s>" % sender, "ASCII", "HDRS",
                "Q+2B1") == (0, [b"OK"])
    assert xmon(c, "RCPT", "<%s>" % ALICE, "SUCCESS",
                "rfc822;A+2BB@x") == (0, [b"OK"])
    # held: queued is kept from delivering, to read the envelope
    if service in INETD:
        fct.stop_queued()
    ans = xmon(c, "MSGSTART", qid())
    assert ans is not None and ans[1] == [b"OK"], ans
    xfdwrite(c, 0, b"Subject: x\nX-Facteur-Test: %s\n\nbody\n" %
             tag.encode())
    xfdclose(c, 0)
    assert xmon(c, "MSGEND") == (0, [b"EXIT", b"0"])
    c.close()
    assert commits(fct, sender) == [1]
    if service in INETD:
        env = os.path.join(fct.queue, "env")
        (name,) = os.listdir(env)
        with open(os.path.join(env, name), "rb") as f:
            data = f.read()
        assert b"\0Psmtp\0RHDRS\0DQ+1\0T%s\0NSUCCESS\0Orfc822;A+B@x\0E\0" \
            % ALICE.encode() in data, data
