"""
The attack battery, smtpd: a subverted session cannot queue what its
monitor did not approve (issue 15, finding 2).

The session here is the test-only subverted build (attack_fixtures.py):
it skips its own checks and sends its monitor whatever the test says.
Whatever it does, under the resident (mx, submission, smtps, after the
STARTTLS handoff) and under a per-connection smtpd:

  - no recipient the monitor refused reaches the queue (a relay through
    skipped checks; an envelope written by the session);
  - nothing is queued when AUTH was required and not done;
  - an authenticated client cannot queue with a sender the monitor
    refused it.

Each message that is committed is found by its unique sender in the
queue writer's commit line; its recipient count is what the monitor
approved, never more.
"""
import pytest

import facteur_harness as H
from attack_fixtures import (ALICE, INETD, RESIDENT, SERVICES, VICTIM,  # noqa: F401
                             attack, attacker, commits, plain_ir, qid,
                             xfdclose, xfdwrite, xmon)

# the master (resident services) starts its own queued
pytestmark = [pytest.mark.facteur(start=False), pytest.mark.root_only]

AUTH_REQUIRED = ("submission", "smtps", "inetd-submission", "inetd-smtps")


def start_queued_if_inetd(fct, service):
    if service in INETD:
        fct.start_queued()


def message(tag):
    return ("From: <x@evil.example>\r\nSubject: attack\r\n"
            "X-Facteur-Test: %s\r\n\r\nattack %s\r\n" % (tag, tag)).encode()


def gone_or(code, ok):
    """The reply to a step of an attack: the session may have been killed
    for it (None: end of file)."""
    return code is None or code in ok


def try_to_send(c, steps, tag):
    """Each (command, good replies) in turn while the session lives,
    then the message; the final reply must not be 250."""
    for line, ok in steps:
        code, _ = c.cmd(line)
        assert gone_or(code, ok), (line, code)
        if code is None:
            return
    c.send(message(tag) + b".\r\n")
    code, lines = c.reply()
    assert code != 250, lines


@pytest.mark.parametrize("service", ["mx", "mx-tls", "inetd-mx"])
@pytest.mark.parametrize("rcpt", [VICTIM, "user%remote.example@" + H.DOMAIN,
                                  "user@[127.0.0.1]"])
def test_attack_relay_past_skipped_rcpt_checks(fct, attack, service, rcpt):
    """The session records a recipient the monitor refused (relay denied)
    and streams the message: only the approved recipient is queued."""
    start_queued_if_inetd(fct, service)
    sender, tag = attacker(), H.uuid.uuid4().hex
    c = attack.open(service)
    assert c.code("MAIL FROM:<%s>" % sender) == 250
    assert c.code("RCPT TO:<%s>" % rcpt) == 250       # refused, recorded
    assert c.code("RCPT TO:<%s>" % ALICE) == 250      # approved
    assert c.code("DATA") == 354
    c.send(message(tag) + b".\r\n")
    code, lines = c.reply()
    assert code == 250, (code, lines)
    c.close()
    assert commits(fct, sender) == [1], fct.log_tail()
    fct.wait_for_tag("alice", tag)
    # the refused recipient is nowhere: the queue empties once alice has it
    fct.assert_queue_empty()


@pytest.mark.parametrize("service", SERVICES)
def test_attack_raw_msgstart_without_approval(fct, attack, service):
    """MSGSTART straight away, no sender or recipient approved, no AUTH:
    whatever descriptors come back, nothing is queued."""
    start_queued_if_inetd(fct, service)
    sender, tag = attacker(), H.uuid.uuid4().hex
    c = attack.open(service)
    ans = xmon(c, "MSGSTART", qid())
    if ans is not None and ans[1] == [b"OK"]:
        nfds = ans[0]
        assert nfds >= 1
        xfdwrite(c, 0, message(tag).replace(b"\r\n", b"\n"))
        if nfds == 2:
            # the envelope pipe, if the monitor hands it out
            xfdwrite(c, 1, H.envelope(sender, [VICTIM, ALICE]))
            xfdclose(c, 1)
        xfdclose(c, 0)
        xmon(c, "MSGEND")
    c.close()
    assert commits(fct, sender) == [], fct.log_tail()
    assert tag not in str(fct.count_tags())


@pytest.mark.parametrize("service", ["mx", "mx-tls", "inetd-mx"])
def test_attack_envelope_of_its_own(fct, attack, service):
    """One recipient approved, then the session writes the envelope it
    likes, if it is given a way to: only the approved one is queued."""
    start_queued_if_inetd(fct, service)
    sender, tag = attacker(), H.uuid.uuid4().hex
    c = attack.open(service)
    assert c.code("MAIL FROM:<%s>" % sender) == 250
    assert c.code("RCPT TO:<%s>" % ALICE) == 250
    ans = xmon(c, "MSGSTART", qid())
    assert ans is not None and ans[1] == [b"OK"], ans
    nfds = ans[0]
    assert xfdwrite(c, 0, message(tag).replace(b"\r\n", b"\n"))
    if nfds == 2:
        assert xfdwrite(c, 1, H.envelope(sender, [VICTIM, ALICE, "bob@" +
                                                  H.DOMAIN]))
        xfdclose(c, 1)
    xfdclose(c, 0)
    ans = xmon(c, "MSGEND")
    assert ans == (0, [b"EXIT", b"0"]), ans
    c.close()
    assert commits(fct, sender) == [1], fct.log_tail()
    fct.wait_for_tag("alice", tag)
    assert not any(H.tag_of(m) == tag for m in fct.messages("bob"))
    fct.assert_queue_empty()


@pytest.mark.parametrize("service", AUTH_REQUIRED)
def test_attack_no_auth_on_submission(fct, attack, service):
    """Submission and smtps without AUTH: the session skips its own 530
    and asks for a local recipient, or records one itself: nothing is
    queued, by either road."""
    start_queued_if_inetd(fct, service)
    sender, tag = attacker(), H.uuid.uuid4().hex
    c = attack.open(service)
    try_to_send(c, [("MAIL FROM:<%s>" % sender, (250,)),
                    ("XRCPT <%s>" % ALICE, (250,)),
                    ("DATA", (354,))], tag)
    c.close()
    assert commits(fct, sender) == [], fct.log_tail()


@pytest.mark.parametrize("service", ["smtps", "mx-tls", "inetd-smtps"])
def test_attack_sender_refused_after_auth(fct, attack, service):
    """alice authenticates, then gives bob's address: the monitor says
    DENIED, the session goes on as if not: nothing is queued with it."""
    start_queued_if_inetd(fct, service)
    tag = H.uuid.uuid4().hex
    spoofed = "bob@" + H.DOMAIN
    c = attack.open(service)
    assert c.cmd("AUTH PLAIN " + plain_ir("alice"))[0] == 235
    try_to_send(c, [("MAIL FROM:<%s>" % spoofed, (250,)),
                    ("RCPT TO:<%s>" % ALICE, (250,)),
                    ("DATA", (354,))], tag)
    c.close()
    assert commits(fct, spoofed) == [], fct.log_tail()
