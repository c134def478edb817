"""
What enqueue and queued do with bad input: malformed envelopes, limits,
recipients that are not local or do not exist, and a full disk.  A refused
message leaves nothing behind in msg/, tmp/ or env/.
"""
import os
import re

import pytest

import facteur_harness as H

D = H.DOMAIN
ALICE = "alice@" + D
BOB = "bob@" + D


def assert_nothing_left(fct):
    q = fct.queue_files()
    for sub in ("msg", "tmp", "env"):
        assert not q[sub], "left in %s/: %s" % (sub, q)


def sentinel(fct, user="bob"):
    """Sends a good message and waits for it: queued has taken every
    message injected before it."""
    tag, data = H.make_message()
    before = set(fct.queue_files()["env"])
    r = fct.enqueue_raw(data, H.envelope(ALICE, [user + "@" + D]))
    assert r.returncode == 0, r.stderr
    mine = set(fct.queue_files()["env"]) - before
    fct.wait_for_tag(user, tag)
    # delivered, then removed from the queue (Q7-Q9 come after delivery)
    H.wait_until(lambda: not mine & set(fct.queue_files()["env"] +
                                        fct.queue_files()["msg"]),
                 30, "the sentinel to leave the queue")
    return tag


LONG_LOCAL = "a" * (1001 - len("@" + D))

CASES = {
    "nul_in_rcpt": (b"F" + ALICE.encode() + b"\0Tbo\0b@" + D.encode()
                    + b"\0\0", 12),
    "newline_in_rcpt": (b"F" + ALICE.encode() + b"\0Tbob\n@" + D.encode()
                        + b"\0\0", 12),
    "cr_in_rcpt": (b"F" + ALICE.encode() + b"\0Tbob\r@" + D.encode()
                   + b"\0\0", 12),
    "control_in_sender": (b"Fali\x01ce@" + D.encode() + b"\0T"
                          + BOB.encode() + b"\0\0", 12),
    "newline_in_sender": (b"Falice\n@" + D.encode() + b"\0T"
                          + BOB.encode() + b"\0\0", 12),
    "no_recipient": (b"F" + ALICE.encode() + b"\0\0", 12),
    "no_sender_record": (b"T" + BOB.encode() + b"\0\0", 12),
    # an envelope cut short is a read error: qmail-queue says 54 (temporary)
    "unterminated": (b"F" + ALICE.encode() + b"\0T" + BOB.encode(), (12, 54)),
    "empty": (b"", (12, 54)),
    "rcpt_1001_octets": (b"F" + ALICE.encode() + b"\0T" + LONG_LOCAL.encode()
                         + b"@" + D.encode() + b"\0\0", 11),
    "sender_1001_octets": (b"F" + LONG_LOCAL.encode() + b"@" + D.encode()
                           + b"\0T" + BOB.encode() + b"\0\0", 11),
    "too_many_recipients": (H.envelope(ALICE, ["r%d@%s" % (i, D)
                                               for i in range(10001)]), 13),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_envelope(fct, name):
    env, want = CASES[name]
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, env)
    want = want if isinstance(want, tuple) else (want,)
    assert r.returncode in want, (r.returncode, r.stderr)
    assert_nothing_left(fct)
    sentinel(fct)
    fct.assert_queue_empty()
    assert tag not in fct.count_tags()


def test_address_of_1000_octets_accepted(fct):
    local = "a" * (1000 - len("@" + D))
    tag, data = H.make_message()
    r = fct.enqueue_raw(data, H.envelope(local + "@" + D, [BOB]))
    assert r.returncode == 0, r.stderr
    got = fct.wait_for_tag("bob", tag)
    assert got.startswith(("Return-Path: <%s@%s>\n" % (local, D)).encode())


@pytest.mark.facteur(conf={"message_size_limit": "1m"})
def test_message_over_size_limit(fct):
    tag, small = H.make_message()
    data = small + b"z" * (1024 * 1024)
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 31, (r.returncode, r.stderr)
    assert_nothing_left(fct)
    sentinel(fct)
    fct.assert_queue_empty()
    assert tag not in fct.count_tags()


@pytest.mark.facteur(conf={"message_size_limit": "1m"})
def test_message_under_size_limit(fct):
    tag, small = H.make_message()
    data = small + b"z" * (1024 * 1024 - len(small) - 1024)
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert fct.wait_for_tag("bob", tag).endswith(data)


def test_sendmail_over_size_limit_fails(fct):
    fct.write_conf(message_size_limit="1m")
    tag, small = H.make_message()
    r = fct.sendmail(["-i", "-f", ALICE, BOB], small + b"z" * (1100 * 1024))
    assert r.returncode not in (0, 75), (r.returncode, r.stderr)
    assert_nothing_left(fct)


def test_nonlocal_recipient_stays_queued(fct):
    """No remote delivery yet: the message waits, without a bounce."""
    tag, data = H.make_message(to="someone@remote.example")
    r = fct.enqueue_raw(data, H.envelope(ALICE, ["someone@remote.example"]))
    assert r.returncode == 0, r.stderr
    sentinel(fct)
    q = fct.queue_files()
    assert len(q["env"]) == 1 and len(q["msg"]) == 1, q
    fct.trigger()
    sentinel(fct)
    assert len(fct.queue_files()["env"]) == 1
    assert fct.messages("alice") == [], "bounce for a non-local recipient"
    assert tag not in fct.count_tags()


def test_unknown_user_bounces_to_local_sender(fct):
    tag, data = H.make_message(to="nobody@" + D)
    r = fct.enqueue_raw(data, H.envelope(ALICE, ["nobody@" + D]))
    assert r.returncode == 0, r.stderr
    msgs = fct.wait_for_delivery("alice", 1)
    fct.assert_queue_empty()
    msgs = fct.messages("alice")
    assert len(msgs) == 1, "%d messages for alice" % len(msgs)
    b = msgs[0]
    assert H.is_bounce(b), b[:300]
    assert b.startswith(b"Return-Path: <>\nDelivered-To: " + ALICE.encode()
                        + b"\n")
    hdr = b.partition(b"\n\n")[0].lower()
    assert re.search(rb"\nfrom:[^\n]*mailer-daemon", hdr), hdr
    assert b"multipart/report" in hdr and b"delivery-status" in hdr, hdr
    assert b"nobody@" + D.encode() in b
    assert re.search(rb"(?i)action:\s*failed", b), b
    assert re.search(rb"(?i)status:\s*5\.\d+\.\d+", b), b
    assert re.search(rb"(?i)unknown|no such|does not exist|not found", b), b
    assert tag.encode() in b, "bounce does not quote the original"


def test_bounce_of_bounce_is_not_sent(fct):
    """A failed message from the null sender is not bounced to anyone but,
    at most, once to the postmaster (alice here); it leaves the queue."""
    tag, data = H.make_message(to="nobody@" + D)
    r = fct.enqueue_raw(data, H.envelope("", ["nobody@" + D]))
    assert r.returncode == 0, r.stderr
    sentinel(fct)
    fct.assert_queue_empty()
    bounces = [m for u in fct.users for m in fct.messages(u)
               if H.is_bounce(m)]
    assert len(bounces) <= 1, bounces
    assert all(fct.messages("alice") == [b] for b in bounces), bounces
    assert fct.messages("bob") and len(fct.messages("bob")) == 1


def _tmpfs_queue(inst):
    try:
        inst.mount_tmpfs(inst.queue, "2m")
    except H.HarnessError as e:
        pytest.skip("cannot mount a tmpfs here: %s" % e)


@pytest.mark.root_only
@pytest.mark.facteur(before_start=_tmpfs_queue)
def test_disk_full(fct):
    tag, small = H.make_message()
    data = small + (b"f" * 1023 + b"\n") * (5 * 1024)
    r = fct.enqueue_raw(data, H.envelope(ALICE, [BOB]))
    assert r.returncode == 53, (r.returncode, r.stderr)
    assert_nothing_left(fct)
    st = os.statvfs(fct.queue)
    assert st.f_bfree * st.f_frsize > 1024 * 1024, "space not given back"
    # the queue still works afterwards
    sentinel(fct)
    fct.assert_queue_empty()
    assert tag not in fct.count_tags()
